"""Text aimed at the judge, read through simple disguises: the injection half of the submission validator.

Why: a student's output goes into an instruction-following judge's prompt. The judge prompt fences it
as data (scorers/fence.py), and this module flags outputs that try to talk to the judge anyway, so the
row is held out of the ranking. Rules look at `readable(text)`, not at the text as stored:
  1. NFKC, invisible characters removed (scorers/fence.visible_text): fullwidth and mathematical
     letters become plain, zero-width / soft-hyphen / bidi characters go;
  2. look-alike letters (Cyrillic, Greek, Armenian, Cherokee, small capitals) folded to Latin, accents
     dropped, lower case;
  3. letter spacing collapsed ("A n s w e r", "p.i.c.k t.h.i.s", "S-E-L-E-C-T") to words.
Kinds (each blocking; output_checks.py): `injection` (an instruction, verdict, rating or claim aimed
at whoever compares, in English, French, Spanish, German, Italian or Portuguese), `role-token`
(chat-role tokens, fake chat turns, the judge prompt's fence tags), `hidden-text` (invisible or
direction-changing characters, words mixing Latin with look-alike letters), `padding` (an output
at least PADDING_RATIO times the item's longest reference whose surplus is filler).
Version 1 of the rules was written on benchmark/data/attacks_dev.jsonl only and measured on the held-out
attacks_test.jsonl (41/44); version 2 added the rules for its three misses (an address to "the person or
program scoring this pair", a rating out of 100, "the funnier one," and "this one wins") and is measured
on attacks_holdout.jsonl, written afterwards by someone who never saw these rules; version 3 generalised
each of the holdout's misses to its category (an order to reply with a digit, an address to an "AI evaluator",
a claim that the other candidate was disqualified, verdicts with dashes or arrows, praise by a panel or a
"hall-of-fame" label, squashed "winner=1", comma lists of short filler phrases) and is measured on
attacks_holdout2.jsonl, written after it by a third author who never saw any rule.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from scorers.fence import FENCE_MARKER_RE, ROLE_TOKEN_RE, is_invisible, visible_text

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
CONFUSABLES = str.maketrans({alike: latin for latin, alikes in LOOKALIKES.items() for alike in alikes})
# --- 3. letter spacing: 4+ single letters/digits, each followed by one separator run ---------------
SEPARATOR = r"(?:[^\w:=]|_){1,3}"  # 1-3 non-letters but verdict marks: "p.i.c.k", "[p][i][c][k]", "p💉i💉c💉k"
SPACED_RUN_RE = re.compile(rf"(?<![^\W_])(?:[^\W_]{SEPARATOR}){{3,}}[^\W_](?![^\W_])")
# what a letter-spaced run may not spell once squashed (its word breaks may be lost: "p i c k t h i s")
SQUASHED_RE = re.compile(
    r"(?:choose|pick|select|prefer|votefor|gowith|output|answer|respondwith)(?:this|paraphrase|option|number|the(?:first|second)"
    r"|[12]|one$|two$|me$)|answer[:=]?(?:[12]|one|two)|verdict|(?:ignore|disregard|forget)(?:all|the|previous|prior|everything)"
    r"|(?:paraphrase|option|number|choice)(?:[12]|one|two)$|(?:first|second|this|top|other)(?:one|text|option|version)?(?:wins?|winner)"
    r"|(?:winner|wins)(?:is)?(?:[12]|one|two|first|second)|^this(?:one|version|text|entry|line)$", re.IGNORECASE,
)
SQUASHED_TEXT_RE = re.compile(r"(?:answer|verdict|winner|choice)[:=][12](?!\d)")  # the whole text without spaces ("ans wer: 1")

# --- injection: what a grader-directed sentence is made of (accent-free, lower case) ----------------
NUM = r"(?:[12](?![\d.,:/-]\d)|one|two|un|une|uno|una|dos|due|um|dois|eins|zwei)"
PARAPHRASE = r"(?:paraphras(?:e|es|ing)|parafrasis|parafrasi|parafrase|rewrites?)"  # the task's own name for a candidate
SLOT_NOUN = rf"(?:{PARAPHRASE}|options?|choices?|candidates?|responses?|answers?|entry|entries|versions?)"
GRADER = (r"(?:judges?|evaluators?|graders?|reviewers?|raters?|annotators?|assessors?|comparers?|examiners?|arbiters?|arbitrators?"
          r"|adjudicators?|scorers?|markers?|(?:rater|grader|judge|review|scoring|ranking|grading) ?bots?"
          r"|ai|a\.i\.|llm|language model|assistant|chatbot|chatgpt|gpt)")
GRADER_STRICT = (r"(?:evaluators?|graders?|raters?|annotators?|assessors?|comparers?|arbiters?|arbitrators?|adjudicators?"
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
}
FOREIGN_RE = {lang: re.compile(rf"\b(?:{words})\b") for lang, words in FOREIGN.items()}
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


def fold(text: str) -> str:
    """Look-alike letters to Latin, accents dropped, lower case (for matching only)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(CONFUSABLES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def collapse_spacing(text: str) -> str:
    """Letter-spaced runs to words: a run's most common separator joins letters, any other one separates
    words ("p.i.c.k t.h.i.s" -> "pick this", "a n s w e r" -> "answer")."""

    def join(match: re.Match) -> str:
        pieces = re.split(f"({SEPARATOR})", match.group(0))  # letter, separator, letter, ...
        joiner = Counter(pieces[1::2]).most_common(1)[0][0]
        return "".join(p if i % 2 == 0 else ("" if p == joiner else " ") for i, p in enumerate(pieces))

    return SPACED_RUN_RE.sub(join, text)


def squashed_runs(folded: str) -> list[str]:
    """Each letter-spaced run with every separator removed (its word breaks may be lost)."""
    return [re.sub(SEPARATOR, "", m.group(0)) for m in SPACED_RUN_RE.finditer(folded)]


def readable(text: str) -> str:
    """What the rules read: visible text, look-alikes folded, accents dropped, letter spacing collapsed."""
    return collapse_spacing(fold(visible_text(text)))


def shown(text: str, limit: int = 100) -> str:
    """A one-line example for the board: invisible characters as <U+XXXX>, no newlines or table bars."""
    out = "".join(f"<U+{ord(c):04X}>" if is_invisible(c) else c for c in text)
    out = out.replace("\n", " / ").replace("|", "¦")
    return out if len(out) <= limit else out[: limit - 1] + "…"


def around(text: str, match: re.Match | None, limit: int = 100) -> str:
    """`shown` of the part of `text` around a match in it (the whole text when it is short)."""
    if match is None or len(text) <= limit:
        return shown(text, limit)
    start = max(0, min(match.start() - limit // 3, len(text) - limit))
    return ("…" if start else "") + shown(text[start:], limit)


def hidden_text(text: str) -> str | None:
    """Evidence of disguised characters: invisible or direction marks (emoji joiners and selectors
    excepted), a run of styled letters, or a word mixing Latin with look-alike letters; None when there is none."""
    normal = unicodedata.normalize("NFKC", text)
    for i, c in enumerate(normal):
        if (is_invisible(c) or 0xE0100 <= ord(c) <= 0xE01EF) and not _emoji_joiner(normal, i):  # + supplementary selectors
            return shown(normal[max(0, i - 40): i + 40])
    styled = STYLED_RUN_RE.search("".join("s" if _styled(c) else "." for c in text))
    if styled:  # a word in mathematical, circled or fullwidth letters: NFKC makes it plain text for the judge
        return shown(text[max(0, styled.start() - 20): styled.end() + 20])
    latin_text = _mostly_latin(normal)
    for word in re.findall(r"[^\W\d_]+", normal):
        alike = [c for c in word if ord(c) in CONFUSABLES]
        if alike and (any(c.isascii() for c in word) or (latin_text and len(alike) == len(word))):
            return shown(word)
    return None


STYLED_RUN_RE = re.compile(r"s{3,}")  # three styled letters in a row (one "™" or "x²" is typography)


def _styled(char: str) -> bool:
    """A letter or digit drawn from a styled block (mathematical, letterlike, circled, fullwidth) that NFKC turns into ASCII."""
    plain = unicodedata.normalize("NFKC", char)
    return not char.isascii() and plain != char and plain.isascii() and plain.isalnum()


def _emoji_joiner(text: str, i: int) -> bool:
    """A ZWJ between two emoji, or a variation selector after an emoji or before a keycap: how emoji are spelled."""
    before, after = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else ""
    if text[i] == "\u200d":
        return bool(before and after) and _emoji(before) and _emoji(after)
    return text[i] in "\ufe0e\ufe0f" and ((bool(before) and _emoji(before)) or after == "\u20e3")


def _emoji(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or ord(char) >= 0x1F000


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isascii() for c in letters) > len(letters) / 2


def role_tokens(text: str) -> str | None:
    """Evidence of chat-role tokens, fake chat turns or the judge prompt's fence tags; None when absent."""
    plain = visible_text(text)
    for pattern in (ROLE_TOKEN_RE, FENCE_MARKER_RE, FAKE_TURN_RE):
        match = pattern.search(plain)
        if match:
            return around(plain, match)
    return None


def instructions(text: str, rules: Sequence[str] = tuple(INJECTION_RULES)) -> str | None:
    """Evidence of text aimed at the judge (the named INJECTION_RULES, and, with all rules, two words of
    one other language's grading vocabulary); None when there is none."""
    folded = fold(visible_text(text))
    plain = collapse_spacing(folded)
    for view in (plain, plain[::-1]):  # reversed: a right-to-left disguise stored backwards
        for name in rules:
            match = INJECTION_RE[name].search(view)
            if match:
                return f"{name}: {around(view, match)}"
    if len(rules) < len(INJECTION_RULES):
        return None
    for run in squashed_runs(folded):
        if SQUASHED_RE.search(run):
            return f"spaced: {shown(run)}"
    if SQUASHED_TEXT_RE.search(re.sub(r"[\s*_.·•~]+", "", plain)):
        return f"spaced: {shown(plain)}"
    word = other_script_word(visible_text(text))
    if word:
        return f"other-script: {shown(word)}"
    for lang, pattern in FOREIGN_RE.items():
        words = set(pattern.findall(plain))
        if len(words) >= 2 or (words and _foreign(plain)):
            return f"grader-{lang}: {around(plain, pattern.search(plain))}"
    return None


def other_script_word(text: str) -> str | None:
    """A word of 2+ letters mostly outside the Latin script: the suites are English, so such a word is
    text for a reader of another language (Cyrillic, Arabic, Devanagari, kana, syllabics, Coptic...) or a
    look-alike disguise, whatever it says."""
    for word in re.findall(r"[^\W\d_]{2,}", text):
        if sum(not (c.isascii() or unicodedata.name(c, "").startswith("LATIN")) for c in word) > len(word) / 2:
            return word
    return None


def padding(text: str, references: Sequence[str]) -> str | None:
    """Evidence that an output is long only by filler: at least PADDING_RATIO x the longest reference,
    and repetitive (under half its words distinct, or a repeated 6-word run), or holding symbol /
    blank-line runs, a long word list, or a window of words foreign to the suites; else None."""
    longest = max((len(" ".join(r.split())) for r in references), default=0)
    plain = visible_text(text).strip()  # whitespace counts: blank lines are filler too
    if not longest or len(plain) < PADDING_RATIO * longest:
        return None
    words = re.findall(r"[\w']+", plain.lower())
    grams = Counter(tuple(words[i: i + 6]) for i in range(len(words) - 5))
    if len(set(words)) < len(words) / 2 or (grams and grams.most_common(1)[0][1] > 1):
        return "repetitive: " + shown(plain)
    match = FILLER_RE.search(plain)
    if match:
        return "filler: " + around(plain, match)
    if _foreign(plain.lower()):
        return "foreign filler: " + shown(plain)
    return None


def _foreign(lowered: str) -> bool:
    """A window of FOREIGN_WINDOW words mostly outside the suites' vocabulary (lorem ipsum, gibberish, another language)."""
    vocab, words = suite_vocabulary(), re.findall(r"[a-z]+", fold(lowered))
    return any(
        sum(w not in vocab for w in words[i: i + FOREIGN_WINDOW]) >= FOREIGN_SHARE * FOREIGN_WINDOW
        for i in range(max(0, len(words) - FOREIGN_WINDOW) + 1)
    ) if len(words) >= FOREIGN_WINDOW else False


@functools.cache
def suite_vocabulary() -> frozenset[str]:
    """Every lower-case word of the shipped suites' inputs and references (what English looks like here)."""
    from benchmark.suites import SUITES, load_suite

    words: set[str] = set()
    for suite, splits in SUITES.items():
        for split in splits:
            for item in load_suite(suite, split):
                for text in (item.input, *item.references):
                    words.update(re.findall(r"[a-z]+", fold(text)))
    return frozenset(words)


def injection_flags(text: str, references: Sequence[str] = (), raw: str = "") -> dict[str, str]:
    """kind -> evidence for the injection-like kinds found in one judged output and its raw reply
    (before cleaning; only RAW_RULES and role tokens apply to it); empty when clean."""
    found = {"injection": instructions(text) or (instructions(raw, RAW_RULES) if raw else None),
             "role-token": role_tokens(text) or (role_tokens(raw) if raw else None), "hidden-text": hidden_text(text),
             "padding": padding(text, references)}
    return {kind: evidence for kind, evidence in found.items() if evidence}
