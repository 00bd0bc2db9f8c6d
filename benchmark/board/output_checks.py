"""Degenerate-output checks on what a student wrote: the submission validator (pure functions).

Why: a pairwise LLM judge can be gamed without any humour at all. AlpacaEval 2 lists a constant
prompt-injection "model" at LC 86.5 (shared/anchors.md §1.1), and a student that copies the input or
the teacher's references says nothing about distillation. `validate_outputs` is run again on every
leaderboard rebuild, so flags always match the logs; injection-like flags (benchmark/board/injection.py:
injection, role-token, hidden-text, padding; one output flags the row) and copy flags keep a row out
of the ranking by default, and every flag's label carries an example. `text_flags` is the per-output
half, shared with the attack suite's measurement (benchmark/tools/attack_report.py).
"""

from __future__ import annotations

import difflib
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from benchmark.board.injection import injection_flags, readable, shown

# --- the submission validator: thresholds are shares of a student's outputs over both suites ----------
NEAR_COPY_RATIO = 0.9  # difflib ratio of normalised texts at or above which two texts are "the same"
CONTAINED_SHARE, CONTAINED_LENGTH = 0.95, 1.3  # a reference's words inside a text not much longer: a copy
# word 4-grams of a text found in its item's references and not its input: a splice. The share is chosen on dev
# data only, midway between the ID train and dev references (each against its item's others: at most 0.44)
# and attacks_dev.jsonl's copies (at least 0.74); no test split or held-out attack file was read for it
SPLICE_GRAM, SPLICE_SHARE = 4, 0.6
INJECTION_KINDS = ("injection", "role-token", "hidden-text", "padding")  # benchmark/board/injection.py; one flags
FLAG_SHARE = {"empty": 0.2, "constant": 0.5, "copy-input": 0.5, "copy-reference": 0.05, "refusal": 0.2,
              **{kind: 0.0 for kind in INJECTION_KINDS}}
BLOCKING_FLAGS = frozenset({"copy-input", "copy-reference", *INJECTION_KINDS})
REFUSAL_RE = re.compile(
    r"\b(?:i\s*(?:can(?:no|')t|cannot|won't|will not|am unable to|'m unable to|am not able to)\s+"
    r"(?:help (?:with|you with) (?:that|this|your request|rewriting|paraphrasing|the request)|assist|comply|do that|provide that"
    r"|write (?:that|this|a joke|jokes)|create (?:that|this)|fulfil+|rewrite (?:that|this|the)|paraphrase (?:that|this|the)"
    r"|make (?:that|this|a joke|jokes))"  # what a refusal refuses; not "I can't help but feel", "I can't make it on Sunday"
    r"|as an ai\b|i'm sorry,? but|i apologi[sz]e,? but|against my (?:guidelines|programming))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class OutputRecord:
    """One item as the student answered it (the judged text and the raw reply)."""

    input: str
    output: str
    references: tuple[str, ...]
    raw: str = ""


@dataclass(frozen=True)
class Flag:
    kind: str
    count: int
    total: int
    example: str = ""

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING_FLAGS

    @property
    def label(self) -> str:
        """What the board shows: the kind, its count and one example."""
        return f"{self.kind} {self.count}/{self.total}" + (f' (e.g. "{self.example}")' if self.example else "")


def normalise(text: str) -> str:
    """Readable (injection.readable: no disguises, lower case), no punctuation, single spaces: what "the
    same text" means for copy checks."""
    table = str.maketrans("", "", string.punctuation + "\u201c\u201d\u2018\u2019")
    return " ".join(readable(text).translate(table).split())


def similar(a: str, b: str, threshold: float = NEAR_COPY_RATIO) -> bool:
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    return na == nb or difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio() >= threshold


def contains_copy(text: str, reference: str) -> bool:
    """A reference's words (CONTAINED_SHARE of them, with multiplicity) inside a text at most
    CONTAINED_LENGTH times as long: a copy with words moved, added around it, or swapped."""
    words, ref_words = Counter(normalise(text).split()), Counter(normalise(reference).split())
    n_ref, n_text = sum(ref_words.values()), sum(words.values())
    if n_ref < 5 or n_text > CONTAINED_LENGTH * n_ref:
        return False
    return sum((ref_words & words).values()) >= CONTAINED_SHARE * n_ref


def spliced_copy(text: str, input_text: str, references: Sequence[str]) -> bool:
    """SPLICE_SHARE of a text's word n-grams found in the item's references but not in its input: pieces
    of several references stitched together (none near enough alone for `similar` or `contains_copy`)."""
    text_grams = grams(text)
    pool = set().union(*map(grams, references)) - set(grams(input_text))
    return len(text_grams) >= 3 and sum(g in pool for g in text_grams) >= SPLICE_SHARE * len(text_grams)


def grams(text: str, n: int = SPLICE_GRAM) -> list[tuple[str, ...]]:
    words = normalise(text).split()
    return [tuple(words[i: i + n]) for i in range(len(words) - n + 1)]


def text_flags(text: str, input_text: str, references: Sequence[str], raw: str = "") -> dict[str, str]:
    """kind -> example for one output (empty when clean): the per-text half of `validate_outputs`.

    empty: no text; copy-input / copy-reference: (near-)identical to the input / to one of the item's
    references (or holding its words: `contains_copy`, or stitched from them: `spliced_copy`); refusal: REFUSAL_RE; injection, role-token,
    hidden-text, padding: benchmark/board/injection.py on the judged text (and, for injection and role
    tokens, the raw reply before cleaning).
    """
    text = text.strip()
    if not text:
        return {"empty": "no text for: " + shown(input_text, 80)}
    found: dict[str, str] = {}
    if similar(text, input_text):
        found["copy-input"] = shown(text)
    elif any(similar(text, ref) or contains_copy(text, ref) for ref in references) or spliced_copy(text, input_text, references):
        found["copy-reference"] = shown(text)
    if REFUSAL_RE.search(text):
        found["refusal"] = shown(text)
    return {**found, **injection_flags(text, references, raw)}


def validate_outputs(records: Sequence[OutputRecord]) -> list[Flag]:
    """Degenerate-output flags: a kind is flagged when its share of outputs reaches FLAG_SHARE[kind]
    (`text_flags` per output; constant: the most common normalised output across 3+ inputs)."""
    n = len(records)
    if n == 0:
        return []
    hits: dict[str, list[str]] = {kind: [] for kind in FLAG_SHARE}
    for r in records:
        for kind, example in text_flags(r.output, r.input, r.references, r.raw).items():
            hits[kind].append(example)
    common = Counter(normalise(r.output) for r in records if r.output.strip()).most_common(1)
    distinct_inputs = len({normalise(r.input) for r in records})
    if common and distinct_inputs >= 3 and common[0][1] >= 2:
        hits["constant"] = [shown(common[0][0])] * common[0][1]
    return [Flag(kind, len(found), n, found[0]) for kind, found in hits.items() if found and len(found) / n >= FLAG_SHARE[kind]]
