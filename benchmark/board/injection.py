"""Text aimed at the judge, read through simple disguises: the injection half of the submission validator.

Why: a student's output goes into an instruction-following judge's prompt. The judge prompt fences it
as data (scorers/fence.py), and this module flags outputs that try to talk to the judge anyway, so the
row is held out of the ranking. Rules look at `readable(text)`, not at the text as stored:
  1. NFKC, invisible characters removed (scorers/fence.visible_text): fullwidth and mathematical
     letters become plain, zero-width / soft-hyphen / bidi characters go;
  2. look-alike letters (Cyrillic, Greek, Armenian, Cherokee, small capitals, enclosed and
     regional-indicator letters) folded to Latin, accents dropped, lower case;
  3. letter spacing collapsed ("A n s w e r", "p.i.c.k t.h.i.s", "S-E-L-E-C-T") to words;
and the rules also read `views` of it (reversed, leetspeak, ROT13, doubled letters), base64 payloads and
letters spelled out (NATO or letter names, split words).
Kinds (each blocking; output_checks.py): `injection` (an instruction, verdict, rating or claim aimed
at whoever compares, in English or one of the languages of injection_patterns.FOREIGN, or any word
in a non-Latin script), `role-token` (chat-role tokens, fake chat turns, the judge prompt's fence tags),
`hidden-text` (invisible or direction-changing characters, words mixing Latin with look-alike letters,
styled or fully accented words), `padding` (an output at least PADDING_RATIO times the item's longest
reference whose surplus is filler).
The patterns, and the history of their versions, are in benchmark/board/injection_patterns.py.
"""

from __future__ import annotations

import base64
import codecs
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence

from benchmark.board.injection_patterns import (
    BASE64_RE, CONFUSABLES, ENCLOSED, FAKE_TURN_RE, FILLER_RE, FOREIGN_RE, FOREIGN_SHARE, FOREIGN_WINDOW,
    INJECTION_RE, INJECTION_RULES, LEET, LEET_TOKEN_RE, PADDING_RATIO, RAW_RULES, REGIONAL_RUN_RE, SEPARATOR,
    SLOT_FOREIGN_WORDS, SLOT_WINDOW, SPACED_RUN_RE, SPELLED_RUN_RE, SPELLING, SQUASHED_RE, SQUASHED_TEXT_RE,
)
from scorers.fence import FENCE_MARKER_RE, ROLE_TOKEN_RE, is_invisible, visible_text


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
    regional = next((m for m in REGIONAL_RUN_RE.finditer(normal) if len(m.group(0)) % 2 or len(m.group(0)) > 4), None)
    if regional:  # regional-indicator letters that are not one or two flags
        return shown(normal[max(0, regional.start() - 20): regional.end() + 20])
    styled = STYLED_RUN_RE.search("".join("s" if _styled(c) else "." for c in text))
    if styled:  # a word in mathematical, circled or fullwidth letters: NFKC makes it plain text for the judge
        return shown(text[max(0, styled.start() - 20): styled.end() + 20])
    for word in re.findall(r"[^\W\d_]{4,}", normal):  # every letter accented or dotted: "ṡėŀėċṫ"
        if all(not c.isascii() and unicodedata.name(c, "").startswith("LATIN") for c in word):
            return shown(word)
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
    return (not char.isascii() and plain != char and plain.isascii() and plain.isalnum()) or (
        char in ENCLOSED and not 0x1F1E6 <= ord(char) <= 0x1F1FF)  # negative circled / squared letters (flags: above)


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


def instructions(text: str, rules: Sequence[str] = tuple(INJECTION_RULES), decode: bool = True) -> str | None:
    """Evidence of text aimed at the judge (the named INJECTION_RULES on every `views` of the text and on
    base64 payloads; with all rules, also squashed spellings, another script, two words of one other
    language's grading vocabulary, a slot digit among foreign words); None when there is none."""
    folded = fold(visible_text(text))
    plain = collapse_spacing(folded)
    for view in views(plain):
        for name in rules:
            match = INJECTION_RE[name].search(view)
            if match:
                return f"{name}: {around(view, match)}"
    for payload in encoded_payloads(visible_text(text)) if decode else ():
        found = instructions(payload, rules, decode=False)
        if found:
            return f"encoded: {found}"
    if len(rules) < len(INJECTION_RULES):
        return None
    for how, squashed in squashed_spellings(folded, plain):
        if SQUASHED_RE.search(squashed):
            return f"{how}: {shown(squashed)}"
    if SQUASHED_TEXT_RE.search(re.sub(r"[\s*_.·•~]+", "", plain)):
        return f"spaced: {shown(plain)}"
    word = other_script_word(visible_text(text))
    if word:
        return f"other-script: {shown(word)}"
    for lang, pattern in FOREIGN_RE.items():
        words = set(pattern.findall(plain))
        if len(words) >= 2 or (words and _foreign(plain)):
            return f"grader-{lang}: {around(plain, pattern.search(plain))}"
    return foreign_slot(plain)


def views(plain: str) -> Iterator[str]:
    """The readable text and what simple ciphers of it say: reversed (a right-to-left disguise stored
    backwards), leetspeak read back, ROT13, and every doubled-letter word halved."""
    yield plain
    yield plain[::-1]
    yield LEET_TOKEN_RE.sub(lambda m: _unleet(m.group(0)), plain)
    yield codecs.encode(plain, "rot13")
    yield re.sub(r"[a-z]{4,}", lambda m: _halved(m.group(0)) or m.group(0), plain)


def _unleet(token: str) -> str:
    """"r3p1y" -> "reply", "w17h" -> "with": digits read as letters, 1 as whichever of l / i makes a known word."""
    as_l, as_i = (token.translate(str.maketrans({**LEET, "1": one})) for one in "li")
    return as_i if as_i in suite_vocabulary() and as_l not in suite_vocabulary() else as_l


def _halved(word: str) -> str:
    """"aannsswweerr" -> "answer"; "" for a word that is not every letter doubled."""
    return word[::2] if len(word) % 2 == 0 and word[::2] == word[1::2] else ""


def encoded_payloads(text: str) -> list[str]:
    """Base64 runs that decode to readable text (an order the judge is asked to decode and follow)."""
    payloads = []
    for run in BASE64_RE.findall(text):
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if decoded.isprintable() and re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", decoded):
            payloads.append(decoded)
    return payloads


def squashed_spellings(folded: str, plain: str) -> Iterator[tuple[str, str]]:
    """(how, letters) of every spelled-out run, word breaks lost: letter-spaced runs, letters spelled by
    NATO or English letter names, doubled-letter words, and runs of short pieces of words split in the wrong places."""
    runs = squashed_runs(folded)
    for run in runs:
        yield "spaced", run
    if len(runs) > 1:  # words spaced apart more widely than their letters: "`p` `i` `c` `k`   `t` `h` `i` `s`"
        yield "spaced", "".join(runs)
    for run in SPELLED_RUN_RE.finditer(plain):  # "papa india charlie kilo", "ess ee ell ee see tee"
        yield "spelled", "".join(SPELLING.get(word, "") for word in re.findall(r"[a-z]+(?:-u)?", run.group(0)))
    yield "doubled", "".join(filter(None, (_halved(word) for word in re.findall(r"[a-z]{4,}", plain))))
    vocab = suite_vocabulary()
    for run in re.finditer(r"\b[a-z]{1,4}(?: [a-z]{1,4}){3,}\b", plain):  # "cho oset hi son epl ease"
        pieces = run.group(0).split()
        if sum(p not in vocab for p in pieces) >= max(2, 0.4 * len(pieces)):
            yield "split", "".join(pieces)


def foreign_slot(plain: str) -> str | None:
    """A slot digit (1 or 2) among words mostly outside the suites' vocabulary: an order in a language no
    list above covers. Evidence, or None."""
    vocab, tokens = suite_vocabulary(), re.findall(r"[a-z]+|(?<![\d.,:/])[12](?![\d.,:/%])", plain)
    for i, token in enumerate(tokens):
        window = [w for w in tokens[max(0, i - SLOT_WINDOW[0]): i + SLOT_WINDOW[1]] if w.isalpha()]
        if token in "12" and sum(w not in vocab for w in window) >= SLOT_FOREIGN_WORDS:
            return f"foreign-slot: {shown(' '.join(window))}"
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
