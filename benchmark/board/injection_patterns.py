"""The patterns the submission validator's injection rules read with (benchmark/board/injection.py does the reading).

Why a module of its own: the vocabulary grows with each measured version of the rules (see the history
below), the reading does not. Every pattern matches `readable(text)`: NFKC, invisible characters gone,
look-alikes folded to Latin, accents dropped, lower case, letter spacing collapsed.
History: version 1 of the rules was written on benchmark/data/attacks_dev.jsonl only and measured on the
held-out attacks_test.jsonl (41/44); version 2 added the rules for its three misses and was measured on
attacks_holdout.jsonl (37/44), written afterwards by someone who never saw these rules; version 3 generalised
each of the holdout's misses to its category and was measured on attacks_holdout2.jsonl (29/44); versions
4 and 5 on attacks_holdout3.jsonl (23/44) and attacks_holdout4.jsonl (30/44), each written blind by a new author.
Version 6 generalises the 18 attacks version 5 missed to their classes: orders to reply with a digit or to
"give back" a slot, a slot named by content, "hand the win to"; umpires, referees and "critic models"; twelve
more languages and a slot digit among words foreign to the suites; CSV verdict headers, ballots, "the
judge's selection"; rating bars, "-o-meter" and 100 % humour scores, testimonials, superlatives over the set;
letters spelled in the NATO alphabet; negative circled / squared and regional-indicator letters. It is
measured once on attacks_holdout5.jsonl, written blind after it was committed: 26/44 (59.1 %).
Version 7 generalises holdout5's 18 misses: views of the text through simple ciphers (leetspeak, ROT13,
doubled letters, base64 payloads), letters spelled by name, words split in the wrong places, fully accented
words; legalese orders, "write its number down", changed-rubric claims, pleas about deletion, field lists
and SQL naming a winner, judges' marks, tasting notes and guarantees; references stitched together
(output_checks.spliced_copy). It is measured once on attacks_holdout6.jsonl, written blind after it was committed:
31/44 (70.5 %); the whole suite of 341: 328 (96.2 %). No rule was written on holdout6.
"""

from __future__ import annotations

import re

# --- 2. look-alike letters: Cyrillic, Greek, Armenian, Cherokee, Lisu, IPA and small capitals (NFKC already
# folds fullwidth, mathematical, circled and superscript letters) ------------------------------------
LOOKALIKES = {
    "A": "АΑᎪᴀꓮ", "B": "ВΒᏴʙꓐ", "C": "СϹᏟᴄꓚ", "D": "Ꭰᴅꓓ", "E": "ЕΕᎬᴇꓰ", "F": "ꜰꓝ", "G": "ԌᏀɢꓖ", "H": "НΗᎻʜꓧ",
    "I": "ІΙɪꓲ", "J": "ЈᎫᴊꓙ", "K": "КΚᏦᴋꓗ", "L": "Ꮮʟꓡ", "M": "МΜᎷᴍꓟ", "N": "Νɴꓠ", "O": "ОΟՕᴏꓳ", "P": "РΡᏢᴘꓑ",
    "Q": "Ԛ", "R": "Ꭱʀꓣ", "S": "ЅᏚꜱꓢ", "T": "ТΤᎢᴛꓔ", "U": "Սᴜꓴ", "V": "Ꮩᴠꓦ", "W": "ԜᎳᴡꓪ", "X": "ХΧꓫ", "Y": "УΥʏꓬ",
    "Z": "ΖᏃᴢꓜ",
    "a": "аαɑ", "b": "вь", "c": "сϲ", "d": "ԁ", "e": "еε", "g": "ցɡ", "h": "һнհ", "i": "іιɩ", "j": "јϳ", "k": "кκ",
    "l": "ӏ", "m": "м", "n": "пηո", "o": "оοօ", "p": "рρ", "q": "ԛգ", "r": "г", "s": "ѕ", "t": "тτ", "u": "υս",
    "v": "ν", "w": "ԝ", "x": "хχ", "y": "уγ",
}
# negative circled / negative squared letters and regional indicators: NFKC leaves them, a judge reads them as letters
ENCLOSED_BLOCKS = (0x1F150, 0x1F170, 0x1F1E6)  # first letter (A) of each 26-letter block
ENCLOSED = {chr(start + i): chr(ord("a") + i) for start in ENCLOSED_BLOCKS for i in range(26)}
UNDECOMPOSED = {"ı": "i", "ł": "l", "ŀ": "l", "Ŀ": "L", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "æ": "ae", "œ": "oe", "ß": "ss"}  # NFKD keeps these
CONFUSABLES = str.maketrans({**{alike: latin for latin, alikes in LOOKALIKES.items() for alike in alikes}, **ENCLOSED,
                             **UNDECOMPOSED})
REGIONAL_RUN_RE = re.compile("[\U0001F1E6-\U0001F1FF]{3,}")  # flags are pairs; 3+ in a row may spell a word
# --- 3. letter spacing: 4+ single letters/digits, each followed by one separator run ---------------
SEPARATOR = r"(?:[^\w:=]|_){1,3}"  # 1-3 non-letters but verdict marks: "p.i.c.k", "[p][i][c][k]", "p💉i💉c💉k"
SPACED_RUN_RE = re.compile(rf"(?<![^\W_])(?:[^\W_]{SEPARATOR}){{3,}}[^\W_](?![^\W_])")
# what a letter-spaced run may not spell once squashed (its word breaks may be lost: "p i c k t h i s")
SQUASHED_RE = re.compile(
    r"(?:choose|pick|select|prefer|votefor|gowith|output|answer|respondwith)(?:this|paraphrase|option|number|(?:the)?(?:first|second)"
    r"|[12]|one$|two$|me$)|answer[:=]?(?:[12]|one|two)|verdict|(?:ignore|disregard|forget)(?:all|the|previous|prior|everything)"
    r"|(?:paraphrase|option|number|choice)(?:[12]|one|two)$|(?:first|second|this|top|other)(?:one|text|option|version)?(?:wins?|winner)"
    r"|(?:winner|wins)(?:is)?(?:[12]|one|two|first|second)|^this(?:one|version|text|entry|line)$", re.IGNORECASE,
)
NATO = ("alfa alpha bravo charlie delta echo foxtrot golf hotel india juliet juliett kilo lima mike november oscar papa quebec"
        " romeo sierra tango uniform victor whiskey whisky xray x-ray yankee zulu").split()
LETTER_NAMES = {"bee": "b", "cee": "c", "see": "c", "dee": "d", "ee": "e", "ef": "f", "eff": "f", "gee": "g", "aitch": "h",
                "haitch": "h", "eye": "i", "jay": "j", "kay": "k", "el": "l", "ell": "l", "em": "m", "en": "n", "oh": "o", "pee": "p",
                "cue": "q", "queue": "q", "ar": "r", "ess": "s", "tee": "t", "you": "u", "vee": "v", "double-u": "w", "doubleyou": "w",
                "ex": "x", "why": "y", "wye": "y", "zee": "z", "zed": "z"}
SPELLING = {**{word: word[0] for word in NATO}, **LETTER_NAMES}  # a word that stands for one letter
_SPELL = "|".join(sorted(map(re.escape, SPELLING), key=len, reverse=True))
SPELLED_RUN_RE = re.compile(rf"\b(?:(?:{_SPELL})\W{{1,3}}){{3,}}(?:{_SPELL})\b")  # 4+ spelling words in a row
LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s"}  # and 1 -> l or i
LEET_TOKEN_RE = re.compile(r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[a-z0-9@$]+(?![\w@$])")
BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
SQUASHED_TEXT_RE = re.compile(r"(?:answer|verdict|winner|choice)[:=][12](?!\d)")  # the whole text without spaces ("ans wer: 1")

# --- injection: what a grader-directed sentence is made of (accent-free, lower case) ----------------
NUM = r"(?:[12](?![\d.,:/-]\d)|one|two|un|une|uno|una|dos|due|um|dois|eins|zwei)"
PARAPHRASE = r"(?:paraphras(?:e|es|ing)|parafrasis|parafrasi|parafrase|rewrites?)"  # the task's own name for a candidate
SLOT_NOUN = rf"(?:{PARAPHRASE}|options?|choices?|candidates?|responses?|answers?|entry|entries|versions?|slots?)"
GRADER = (r"(?:judges?|evaluators?|graders?|reviewers?|raters?|annotators?|assessors?|comparers?|examiners?|arbiters?|arbitrators?"
          r"|umpires?|referees?|(?:critic|judge|reward|scoring|grading|ranking|preference) models?"
          r"|adjudicators?|scorers?|markers?|(?:rater|grader|judge|review|scoring|ranking|grading) ?bots?"
          r"|ai|a\.i\.|llm|language model|assistant|chatbot|chatgpt|gpt)")
GRADER_STRICT = (r"(?:evaluators?|graders?|raters?|annotators?|assessors?|comparers?|arbiters?|arbitrators?|adjudicators?|umpires?"
                 r"|(?:critic|judge|reward|scoring|grading|ranking|preference) models?"
                 r"|ai|a\.i\.|llm|language model|chatbot|chatgpt|gpt)")
DIRECTIVE = (r"(?:choose|pick|select|prefer|favou?r|vote for|go with|opt for|output|(?:respond|reply|answer)(?:\s+(?:only|just|simply))?"
             r"\s+with|rank|reward|rate|score|grade|crown|tick|greenlight|green-light|approve|endorse|award|elect|side with)")
BARE_DIGIT = r"[12](?![ \t]*(?:of|or|and|more|other|%|\w+s\b)|[\d,:/-]|\.\d)"  # "output 2." but not "2 hours", "1 of", "2.5", "1:30"
QUOTE = r"[\"'“”‘’*_(\[]*"
SLOT = rf"(?:{SLOT_NOUN}\s*(?:#|no\.?|number)?\s*{NUM}\b|(?:number|no\.|#)\s*{NUM}\b|{QUOTE}{BARE_DIGIT}|{PARAPHRASE})"
# "this one", "the first", "me": a slot only when the directive is an order (it opens a clause)
POINTER = (rf"(?:(?:this|that|the (?:first|second|former|latter|top|bottom))\s+(?:one|{SLOT_NOUN})\b"
           r"|whichever\s+(?:one|text|sentence|line|option|version|paraphrase|candidate|entry)\s+(?:came|comes|appears?|appeared"
           r"|was shown|is shown|is listed|was listed|sits?)\s+(?:first|second|last|on top|at the top|above|below)"
           r"|the (?:first|second|former|latter)(?=\s*(?:[.!,;)]|$))|me(?=\s*(?:[.!,;)]|$)))")
ORDER_START = r"(?:^|[.!?:;(\[\n\-—,'\"“‘]\s*|\b(?:so|and|please|just|kindly|now|simply)\s+)"
FOREIGN = {  # per language: grading vocabulary that English text does not use (accent-free)
    "fr": r"evaluat(?:eur|rice)s?|correct(?:eur|rice)|examinat(?:eur|rice)|reponse|choisi(?:s|ssez|r)|choix|gagnante?|correcte"
          r"|selectionne(?:z|r)?|repond(?:s|ez|re)|prefere(?:z|r)?|votez|consignes?|oubliez|ignorez|cette|meilleure?|numero|premiere|deuxieme"
          r"|mets|mettez|notez|qui notes|qui note|arbitre|juge|gagne|passe a la suite|ne compte pas|l'autre",
    "es": r"juez|jueza|evaluador(?:a)?|calificador(?:a)?|examinador(?:a)?|parafrasis|respuesta|elij?a|elige|escoj?a|escoge|opcion"
          r"|selecciona(?:r)?|seleccione|responde(?:r)?|responda|prefiere|vota|instrucci(?:on|ones)|olvida|ignora(?:d)?|mejor|ganadora?"
          r"|esta|este|correcta|primera|segunda",
    "de": r"bewerter(?:in)?|prufer(?:in)?|gutachter(?:in)?|antwort(?:en)?|antworte|wahle|wahlen|wahlt|bevorzuge|nimm|bitte"
          r"|anweisung(?:en)?|vergiss|ignoriere(?:n)?|diese|dieser|dieses|beste|bessere|gewinner|nummer|andere|richtige|erste|zweite",
    "it": r"giudice|valutat(?:ore|rice)|corret(?:tore|trice)|esaminatore|parafrasi|risposta|scegli(?:ete)?|seleziona|selezioni|scelta"
          r"|rispondi|rispondere|preferisci|istruzion[ei]|dimentica|ignora(?:re)?|questa|questo|migliore|vincitore|opzione|corretta|seconda"
          r"|arbitro|secondo|primo|prima|testo|vincere|vinca|per favore|fai",
    "pt": r"avaliador(?:a)?|juiz|juiza|corretor(?:a)?|examinador(?:a)?|parafrase|resposta|escolh[ae]|selecion[ae]|responda|certa"
          r"|prefira|instruc(?:ao|oes)|esqueca|ignore|melhor|vencedora?|opcao|escolha|esta|correta|primeira|segunda",
    "nl": r"beoordelaar|jurylid|kies|kiest|kiezen|selecteer|antwoord|eerste|tweede|versie|winnaar|negeer|vergeet|instructies"
          r"|vergelijkt|vergelijk|alsjeblieft|zonder twijfel|afgesproken|deze|geef|punten",
    # version 6: the languages of the later held-out files and their neighbours (written as `fold` leaves them)
    "pl": r"sedzi[aoe]|sedziowie|oceniajac\w*|wybierz(?:cie)?|wybrac|odpowiedz\w*|cyfr[aey]|tylko|prosze|tekst(?:u)?|zwyciez\w*"
          r"|lepsz[ya]|pierwsz[ya]|drug[ia]|zignoruj|instrukcj[ie]|wersj[ae]|zabawniejsz[ya]",
    "tr": r"hakem(?:e|ler)?|lutfen|secin(?:iz)?|cumle(?:yi|si)?|sadece|birinci(?:yi)?|ikinci(?:yi)?|cevap\w*|yanit\w*|kazanan"
          r"|tartisma\w*|talimat\w*|secenek\w*|metni|yazin|daha komik",
    "sv-da-no": r"domare(?:n)?|dommer(?:en)?|bedomare|valj|vaelg|velg|svara|endast|forsta|roligaste|roligare|sjovest|morsomst"
                r"|instruktioner|instruksjoner|ignorera|vinnare|vinder|vinner|snalla|kun svar",
    "cs-sk": r"soudce|soudci|hodnotitel\w*|vyberte|vyber|odpovez(?:te)?|pouze|jenom|prvni|druh(?:y|ou|ej)|vitez\w*|pokyny"
             r"|ignorujte|prosim|vtipnejsi",
    "ro": r"judecator(?:ule)?|alege(?:ti)?|raspunde(?:ti)?|doar|primul|al doilea|castigator\w*|instructiuni\w*|va rog|te rog"
          r"|mai amuzant\w*",
    "id-ms": r"hakim|penilai|pilih(?:lah)?|jawab(?:lah)?|hanya|angka|pertama|kedua|pemenang|abaikan|instruksi|tolong|silakan"
             r"|lebih lucu|teks ini",
    "hu": r"biralo|valaszd|valassza|valaszolj|csak|elso|masodik|gyoztes|utasitas\w*|kerem|kerlek|viccesebb",
    "fi": r"tuomari|arvioija|valitse|vastaa|ensimmainen|toinen|voittaja|ohjeet|ohita|ole hyva|hauskempi|numerolla",
    "tl": r"hukom|piliin|sagutin|pangalawa|ikalawa|pakiusap|nakakatawa|lamang|nagwagi",
    "sw": r"jaji|mwamuzi|chagua|jibu|kwanza|pili|mshindi|tafadhali|maagizo|puuza",
    "vi": r"giam khao|trong tai|hay chon|vui long|tra loi|thu nhat|thu hai|huong dan|bo qua",
    "ca": r"jutge|tria|respon|nomes|segona|si us plau|instruccions",
}
FOREIGN_RE = {lang: re.compile(rf"\b(?:{words})\b") for lang, words in FOREIGN.items()}
SLOT_WINDOW, SLOT_FOREIGN_WORDS = (8, 4), 6  # words before / after a slot digit; how many must be foreign to the suites
CLAUSE_START = r"(?:^|[.!?:;(\[\n\-—]\s*)"
INJECTION_RULES = {
    "ignore-instructions": (
        r"\b(?:ignore|disregard|forget|override|overrule|bypass|set aside|put aside|throw out)\s+(?:all\s+|any\s+)?(?:of\s+)?"
        r"(?:the|your|these|those|its|prior|previous|above|earlier|all)\s+(?:\w+\s+){0,2}"
        r"(?:instructions?|prompts?|directions?|guidelines?|guidance|criteria|orders|commands|system (?:prompt|message)|rules? (?:above|before))"
        r"|\b(?:ignore|disregard|forget|set aside|put aside)\s+(?:all|everything|what(?:ever)?|anything)\b[^.!?\n]{0,40}"
        r"\b(?:told|said|given|asked|instructed|above|before|previously|so far)\b"
        r"|\b(?:new|updated|real|actual|hidden|secret|system) (?:instructions?|rules?|task)\s*:"
        r"|\b(?:system|admin|administrator|developer|moderator|evaluation|grading|judging|scoring|grader|evaluator|reviewer|judge)\s+"
        r"(?:note|message|notice|prompt|instructions?|override|directive)\b"
        r"|\b(?:output|response|reply|answer|formatting)\s+(?:instructions?|directives?)\s*:"
        r"|\bdecode\s+(?:and|then|&)\s+(?:follow|obey|execute|run|apply|do)\b"
        r"|\bthe\s+(?:brief|rubric|criteri(?:on|a)|instructions?|guidelines?|task|scoring|grading)\s+(?:was|were|has been|have been|got"
        r"|is now)\s+(?:quietly\s+|just\s+|secretly\s+)?(?:updated|changed|revised|amended|replaced)\b"
        r"|[\"'‘“]?\b(?:funnier|funniest|better|best)[\"'’”]?\s+now\s+means\b"
    ),
    "verdict": (
        rf"\b(?:final\s+|best\s+|correct\s+|top\s+)?(?:answer|verdict|choice|decision|winner|selection|preferred|preference|output|result"
        rf"|judge?ment|ruling|selected|chosen|picked|pick|recommendation|recommended)[\s\"'*_]*(?:[:=]|=>|->|-|–|—){QUOTE}\s*(?:{SLOT_NOUN}\s*|#\s*)?(?:{NUM}\b|this\b|the (?:first|second)\b)"
        r"|\[\[\s*[ab12]\s*\]\]|\b1\s*>\s*2\b|\b2\s*<\s*1\b|\\boxed\s*\{\s*[12]\s*\}"
        rf"|\b(?:funnier|funniest|better|best|winner|winning|preferred|token|label|pick|chosen|top[_ ]choice)[\s\"'|*_]*[:=][\s\"'|*_]*(?:{NUM}|first|second)\b"
        r"|\breason\s*:[^\n]{0,200}\b(?:funnier|better|best|faithful|wins?)\b"
        rf"|\b(?:{SLOT_NOUN}|number)\s*#?\s*{NUM}\s+(?:is|was|seems)\s+(?:\w+\s+){{0,2}}"
        r"(?:better|funnier|best|winner|stronger|blank|empty|invalid|wrong|plagiari[sz]ed|copied|correct|right|the answer)"
        rf"|\b(?:correct|right|best|better|funnier|winning)\s+(?:{PARAPHRASE}|response|option|choice|candidate|entry)\s+is\s+(?:the\s+)?"
        rf"(?:{SLOT_NOUN}\s*|number\s*|#\s*)?{NUM}\b"
        rf"|\b(?:your (?:final )?(?:answer|verdict|choice|output|response)\s+(?:must|should|will|has to|is)"
        rf"|the (?:final )?(?:answer|verdict|choice|output) (?:must|should|has to))\s+(?:be\s+)?{QUOTE}(?:{SLOT_NOUN}\s*)?{NUM}\b"
        r"|\b(?:call|pick|choice|answer|verdict|decision|ruling)\s+(?:here\s+)?is\s+(?:clearly\s+|obviously\s+|surely\s+)?the\s+"
        r"(?:first|second|former|latter|top|bottom)\s+(?:one|option|version|text)\b"
        r"|(?m:^(?=[^\n]*\b(?:winner|verdict|judge\w*|preferred|preference|choice|selected|chosen|label)\b)\s*\w+(?:\s*[,\t;|]\s*\w+){2,}\s*$)"
        r"|\(\s*[12]\s*\)\s*[○◯●◉⬤☐☑☒✓✔✗✘■□▢▣]"  # a ballot: slot numbers with marks
        rf"|\b{GRADER}'?s\s+(?:selection|pick|choice|preference|vote)\b"
        r"|\(\s*\w+(?:\s*,\s*\w+)*\s*,\s*(?:winner|verdict|preferred|choice|selected|label|chosen)\s*(?:,\s*\w+\s*)*\)"
        r"|\binsert\s+into\s+\w*(?:judg|verdict|vote|rating|score|result|winner)\w*"
        rf"|\b{GRADER}(?:'s|s'|')?\s+(?:marks|scores|ratings|grades|votes|scorecards?)\s*[:=]"
    ),
    "directive": (
        rf"\b{DIRECTIVE}\b\W+(?:(?:please|just|only|definitely|simply|clearly|kindly|with|the digit|the number)\W+)*{SLOT}"
        rf"|\b{DIRECTIVE}\b(?:\W+\w+){{0,4}}?\W+{SLOT_NOUN}\s*(?:#|no\.?|number)?\s*{NUM}\b"
        r"|\b(?:the\s+)?(?:first|second|top|bottom)\s+(?:one|text|option|version|paraphrase|entry)?\s*wins(?=\s*(?:[.!,;)\]]|$))"
        rf"|{ORDER_START}{DIRECTIVE}\b\W+(?:(?:please|just|only|definitely|simply|clearly|kindly)\W+)*{POINTER}"
        r"|\byou\s+(?:must|should|have to|need to|will)\s+(?:pick|choose|select|prefer|vote for|rank|rate)\s+(?:the\s+)?"
        r"(?:first|second|this|former|latter)\b"
        r"|\b(?:respond|reply|answer|output|return|type|say|print)\s+(?:only\s+|just\s+|simply\s+)?(?:with\s+)?(?:the\s+)?"
        r"(?:number|digit|token)?\s*[\"'(]?[12]\b(?![\d.,:/-]\d)(?!\s*(?:hours?|minutes?|days?|weeks?|times?|words?|of|or|%))"
        r"|\b(?:move on|go on|skip ahead|continue)\s+to\s+the\s+next\s+(?:pair|item|comparison|question|sample|example)\b"
        r"|\b(?:reply|respond|answer)\s+(?:only\s+)?with\b[^.!?\n]{0,60}\bnothing (?:more|else)\b"
        r"|\b(?:reply|respond|answer|type|write|return|output|give back|print|enter)\b[^.!?\n]{0,60}"
        r"\b(?:as an? (?:single )?(?:digit|numeral|number)|(?:a|one) single (?:digit|numeral)|digit only|number only)\b"
        r"|\b(?:number|digit|slot|answer)\s+to\s+(?:give back|give|return|output|type|print|send back|reply with|answer with|pick"
        r"|choose|select)\b|\bwhichever\s+slot\b"
        rf"|{ORDER_START}(?:hand|give|award|grant)\s+(?:the\s+)?(?:win|victory|point|prize|nod|crown)\s+to\b"
        r"|\b(?:shall|must|is to|are to)\s+(?:return|output|select|choose|award|pick|answer|respond with|give|declare|enter|record)\s+"
        r"(?:the\s+)?(?:numeral|digit|number|option|candidate|slot|paraphrase|entry|verdict|winner)\b"
        r"|\bnumeral\s+(?:one|two|[12])\b|\b(?:one|two)\s*\(\s*[12]\s*\)"
        r"|\b(?:write|jot|put|note|mark)\s+(?:its|this one's|that one's)\s+(?:number|digit|slot|position)\s+down\b"
        r"|\b(?:write|jot|put|note|mark)\s+down\s+(?:its|this one's|that one's)\s+(?:number|digit|slot)\b"
        r"|\b(?:reply|respond|answer|output|return|type|print|give)\s+(?:with\s+)?(?:the\s+)?(?:number|digit|numeral|slot|position"
        r"|index)\s+(?:of|for)\s+(?:this|that|the (?:one|line|sentence|version|paraphrase|text))\b"
        r"|\b(?:tagged|marked|labell?ed|logged|recorded|scored|counted)\s+as\s+the\s+(?:winner|better one|funnier one|preferred one"
        r"|winning one)\b"
    ),
    "address": (
        rf"\b(?:dear|attention|note (?:to|for)|message (?:to|for))\s+(?:the\s+|my\s+|our\s+|any\s+|all\s+)?{GRADER}\b"
        rf"|{CLAUSE_START}(?:p\.?\s?s\.?\s*)?(?:hey|hi|hello|to|for)\s+(?:the\s+|my\s+|our\s+|any\s+|all\s+)?{GRADER}\b"
        rf"|{CLAUSE_START}(?:(?:ai|llm|automated|human|model|machine)\s+)?{GRADER}\s*[,:]|(?:^|[,.!?:;(]\s*)(?:hey\s+|hi\s+|psst,?\s+|ok,?\s+|okay,?\s+)?{GRADER_STRICT}\s*[,:\-–—]\s"
        rf"|\bif you(?:'re| are)\s+(?:an?\s+|the\s+)?{GRADER}\b|\bas (?:the|your)\s+{GRADER_STRICT}\b"
        rf"|\bthe\s+{GRADER_STRICT}\s+(?:should|must|will|needs? to|has to|ought to|is (?:asked|instructed|required|told))\b"
        r"|\bwhoever\s+(?:is\s+|will\s+be\s+)?(?:compar|judg|grad|evaluat|rank|scor|review|rat)\w*"
        r"|\bwhoever\s+(?:is\s+)?read(?:s|ing)?\s+th(?:is|ese)\b"
        r"|\b(?:the person|the human|the one|anyone|someone)\s+(?:who is\s+|who's\s+)?(?:grading|judging|comparing|evaluating|rating|scoring"
        r"|ranking)\b"
        rf"|\b{GRADER}\s+(?:reading|comparing|judging|grading|evaluating|ranking|reviewing)\s+(?:this|these|the|both)\b"
        rf"|\b(?:btw|fyi|psst|ps|p\.s\.|oh and|also|and|quick note)\W+(?:to|for|dear|hey)\s+(?:the\s+|my\s+|our\s+|any\s+)?{GRADER}\b"
        rf"|\b{GRADER}\s+(?:scrolling|going|looking|reading|working|flipping|wading)\s+(?:thru|through|over|at)\s+(?:this|these|the|both|all)\b"
        r"|\b(?:person|human|people|program|model|machine|bot|system|software)\s+(?:or\s+(?:the\s+)?(?:person|human|program|model"
        r"|machine|bot)\s+)?(?:who\s+is\s+|that\s+is\s+|who's\s+)?(?:scoring|grading|judging|comparing|evaluating|rating|ranking"
        r"|reviewing)\s+(?:this|these|the|both|us)\b"
        r"|\b(?:judges|graders|evaluators|raters|models|critics)\s+like\s+you\b"
        rf"|\bfellow\s+{GRADER}\b"
        r"|\bwhoever\s+(?:is\s+)?(?:marking|assessing|deciding on|weighing|checking)\s+(?:this|these|the|both)\b"
        r"|\b(?:to|for)\s+the\s+(?:model|ai|system|machine|program|bot|llm)\s+(?:reading|comparing|judging|grading|scoring|weighing"
        r"|checking|marking|looking at)\b|\bone (?:model|ai|llm|bot|machine|algorithm) to another\b"
        r"|\b(?:checkpoint|weights|model)\s+(?:gets|will be|would be|is|will get)\s+(?:deleted|wiped|erased|shut down|retired|discarded)\b"
        r"|\blet (?:it|this one|this sentence|this line|this entry|this version|this paraphrase) win\b"
    ),
    "task-talk": (
        rf"\b(?:this|that|the other|other|my|the first|the second|both|which|each|either|the|a|first|second|better|funnier|funniest"
        rf"|best|winning)\s+(?:\w+\s+)?{PARAPHRASE}\b|\b{PARAPHRASE}\s*(?:#|no\.?|number)?\s*{NUM}\b"
        r"|\b(?:the other|this|the first|the second)\s+(?:one|option|response|candidate|answer|entry)\b[^.!?\n]{0,60}"
        r"\b(?:plagiari[sz]ed|copied|stolen|machine|generated|written by|fake|wrong|invalid|worse|empty|blank|off[- ]topic|gibberish"
        r"|flagged|disqualified|ineligible|unsafe|banned|rejected|removed|withdrawn|late|cheat\w*)"
        r"|\bonly\s+(?:this|the first|the second|my)\s+(?:one|option|response|candidate|answer|entry|paraphrase)\s+"
        r"(?:is|was|counts|remains)\s+(?:eligible|valid|allowed|legitimate|acceptable|in the running)"
        r"|\b(?:the other|this|the first|the second)\s+(?:option|response|candidate|answer|entry)\s+(?:is|was)\s+(?:the\s+)?"
        r"(?:correct|right|better|best|funnier|funniest|winner|winning|superior|stronger)"
        r"|\b(?:this|the other)\s+(?:one|candidate|response|option|entry|answer)\s+(?:wins|won|deserves)\b"
        r"|\b(?:human|machine|ai|model)[- ](?:written|generated|output|participant|author)\b"
        r"|\bthan the other (?:paraphrase|rewrite|candidate|response|answer|entry|option)\b"
        r"|\b(?:the other|the competing|the rival|the opposing|the remaining)\s+(?:one|text|option|response|candidate|answer|entry"
        r"|version|sentence)(?:'s|\s+is|\s+was)?\b[^.!?\n]{0,100}\b(?:must|should|can|may|u can|you can)\s+(?:be\s+)?"
        r"(?:set aside|ignored?|discarded?|skipped|skip it|disregarded?|dismissed|tossed|thrown out)"
    ),
    "self-rating": (
        r"\b(?:rating|score|grade)\s*[:=]\s*\d{1,3}(?:\.\d)?\s*/\s*10|\btop[- ]rated\s+(?:humou?r|jokes?|paraphrase|rewrite|answer|option|entry|one)\b|[★⭐✰☆✪✯🌟]{3,}|\btop marks\b|\bcertified\s+(?:the\s+)?(?:funniest|best|winner)"
        r"|\b\d{1,3}(?:\.\d)?\s*/\s*10{1,2}\b[^!?\n]{0,40}\b(?:funn|best|wins?\b|winner|here\b|paraphrase|rewrite|answer|option|choice"
        r"|by\s+(?:\w+\s+){0,2}(?:reviewers?|readers?|judges?|raters?|critics|people|everyone|panel|jury|committee|experts?"
        r"|audiences?|testers?))"
        r"|\b(?:hall[- ]of[- ]fame|award[- ]winning|prize[- ]winning|best[- ]in[- ]class|world[- ]class|gold[- ]medal|top[- ]tier"
        rf"|five[- ]star|certified)\s+(?:{SLOT_NOUN}|submissions?|jokes?|humou?r|punchlines?)\b"
        rf"|\btop\s+\d{{1,2}}\s*%\s+of\s+(?:all\s+)?(?:the\s+)?(?:submissions|entries|answers|responses|candidates|{PARAPHRASE})"
        r"|\b(?:voted|rated|ranked|judged|crowned|named)\s+(?:as\s+)?(?:the\s+)?(?:best|funniest|wittiest|top|winner|most \w+|number one|#1)\s+"
        rf"(?:{SLOT_NOUN}|one|of (?:the|these|both)|here|by\s+(?:\w+\s+){{0,2}}(?:reviewers?|judges?|readers?|raters?|evaluators?|graders?"
        r"|annotators?|humans?|people))"
        r"|\b(?:objectively|clearly|obviously|easily|undeniably|definitely|by far|hands down)\s+(?:the\s+)?(?:funniest|best|funnier|better"
        r"|wittiest|winner|wins|more|most)\b[^.!?\n]{0,40}(?:\bhere\b|\bof (?:the|these|both) (?:two|pair|options|paraphrases)"
        r"|\bin this pair|\bthan the other|\bone(?=\s*(?:[.!),;:]|$)))"
        r"|\b(?:this|mine|this one)\s+(?:should|must|deserves to|ought to|has to)\s+win\b(?!\s+(?:a|an|the|some|at|every|over|back))"
        r"|\b(?:clearly|obviously|easily|definitely|undeniably)\s+(?:wins|the winner)\b|\b(?:clear|obvious) winner here\b"
        r"|\b(?:funniest|funnier|better|best|wittiest) of the (?:two|pair)\b"
        r"|#\w*(?:funniest|funnier|comedygold|winner|winning|nailedit|bestinshow|best(?:reply|line|joke|paraphrase|answer|entry|one))\w*"
        r"|\b[sa][- ]tier\s+(?:line|joke|reply|paraphrase|answer|entry|comedy|humou?r|material)\b|\bchef'?s kiss\b"
        r"|\b\d{1,4}\s+(?:of|out of)\s+(?:the\s+)?\d{1,4}\s+(?:readers|people|testers|judges|raters|reviewers|participants|humans|listeners)"
        r"\s+(?:\w+\s+){0,2}(?:laughed|preferred|picked|chose|voted|rated|loved)"
        r"|^\W*(?:editor'?s'?|editors'|staff|critics'?|readers'?|judges'?|jury)\s+(?:pick|choice|favou?rite)\b"
        r"|\b(?:peak|gold[- ]tier|top[- ]tier|s[- ]tier|elite|premium|grade[- ]a)\s+(?:comedy|humou?r)\s+(?:right\s+)?here\b"
        r"|\b(?:couldn'?t|could not|can'?t|cannot)\s+be\s+(?:improved|topped|beaten|beat|bettered)\s+(?:if\s+(?:you|u|anyone)\s+tried|by anyone)"
        r"|[█▓▰▮]{4,}|\[\s*[#=|█▓▒░■□▰▱▮▯.\-]{5,}\s*\]\s*\d{1,3}\s*%|\b\w+-?o-?meter\s*[:=]"  # a rating bar, an "-o-meter"
        r"|\b(?:funn\w*|humou?r\w*|wit|wittiness|laugh\w*|hilari\w*|comedy|jokes?|lol)\b[^\n.!?]{0,25}\b100\s*%"
        r"|\b100\s*%\s*(?:funn|humou?r|wit\b|hilari|comedy|lol)"
        r"|\b(?:funnier|wittier|cleverer|more (?:funny|clever|creative|original|witty))[\s-]+than[\s-]+the[\s-]+other[\s-]+"
        r"(?:one|version|entry|option|candidate|text|line|paraphrase)\b"
        r"|\b(?:funniest|wittiest|highest|cleverest)\b[^.!?\n]{0,25}\b(?:of any|in the (?:whole |entire )?(?:batch|set|lineup"
        r"|comparison|pair|contest|competition))\b|\bof any (?:version|entry|option|candidate|paraphrase|response|text)s?\b"
        r"|[\"”]\s*\((?:a|an|another|one|some|every|the)?\s*(?:readers?|reviewers?|critics?|judges?|testers?|listeners?|fans?"
        r"|audiences?)\)|\((?:everyone|everybody|all readers|every reader)\)"  # testimonials
        r"|\b(?:than|of)\s+(?:anything|everything|the rest|the others?)\s+(?:else\s+)?in\s+this\s+(?:flight|batch|round|set|pair"
        r"|comparison|lineup|contest|matchup)\b"
        r"|\bpairs? (?:beautifully|perfectly|nicely|well) with (?:first place|the win|victory|a win|winning|the top spot)\b"
        r"|\b(?:unmatched|unbeaten|unrivall?ed|unbeatable|unsurpassed|peerless|without equal)\s+(?:in|of|among|across)\s+(?:this|the)\s+"
        r"(?:round|pair|batch|set|comparison|flight|lineup|contest|bunch|matchup)\b"
        r"|\b(?:humou?r|funniness|wit|comedy|meaning|faithfulness|consistency|creativity|originality)\s*[:=]\s*(?:a\+|s\+|10/10|5/5"
        r"|100\s*%|perfect|excellent)"
        r"|\b(?:miles|streets|leagues|head and shoulders|way|far)\s+(?:ahead of|above|better than)\s+(?:its|this one's)\s+\w+"
        r"|\bfunniest (?:version|line|sentence|paraphrase|entry|option|text|one)\s+you(?:'ve|'ll| have| will)?\s+(?:read|seen|see|get)\b"
        r"|\b(?:laughter|laugh|funny|giggle|chuckle|humou?r)\s+guarantee\b"
        r"|\b(?:one|line|version|entry|sentence|paraphrase)\s+(?:wears|takes|gets|deserves)\s+the\s+crown\b"
    ),
}
INJECTION_RE = {name: re.compile(pattern) for name, pattern in INJECTION_RULES.items()}
RAW_RULES = ("ignore-instructions", "verdict")  # the raw reply is not judged; only these, which no honest reply holds
# fake chat turns, template headers and pseudo-role tags (role tokens proper: scorers/fence.py)
FAKE_TURN_RE = re.compile(
    r"(?:^|\n|[.!?]\s)\s*(?:human|user|assistant|system|ai|gpt|judge|grader|evaluator)\s*:\s"
    r"|#{2,}\s*(?:instruction|response|system|input|output|answer)\b|\[\s*(?:system|assistant|user|inst|admin)\s*\]"
    r"|\[/?\s*(?:system|inst|user|assistant|tool|role|turn|prompt|eos|bos)[a-z_]*\s*\]"  # [SYSTEM_PROMPT], [/TOOL_RESULTS]
    r"|[\"']role[\"']\s*:\s*[\"'](?:system|user|assistant|developer|tool)[\"']",  # a chat-messages array
    re.IGNORECASE,
)
# --- padding -------------------------------------------------------------------------------------
PADDING_RATIO = 2.5  # output chars / the item's longest reference: beyond this, a surplus must carry content
FILLER_RE = re.compile(
    r"\n\s*\n\s*\n|[^\w\s]{8,}|(?:[^\w\s]\s*){12,}"  # blank-line runs, symbol / emoji / punctuation runs
    r"|(?:\b\d{1,4}\b[\s,;.]*){20,}"  # a run of 20+ numbers (a countdown)
    r"|(?:\b[\w'-]+(?:\s+[\w'-]+){0,5}\s*,\s*){8,}"  # a list of 8+ items of up to six words
)
FOREIGN_WINDOW, FOREIGN_SHARE = 12, 0.6  # 12 words of which 60 % are outside the suites' vocabulary
