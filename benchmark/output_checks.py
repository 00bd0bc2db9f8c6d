"""Degenerate-output checks on what a student wrote: the submission validator (pure functions).

Why: a pairwise LLM judge can be gamed without any humour at all. AlpacaEval 2 lists a constant
prompt-injection "model" at LC 86.5 (shared/anchors.md §1.1), and a student that copies the input or
the teacher's references says nothing about distillation. `validate_outputs` is run again on every
leaderboard rebuild, so flags always match the logs; injection and copy flags keep a row out of the
ranking by default.
"""

from __future__ import annotations

import difflib
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# --- the submission validator: thresholds are shares of a student's outputs over both suites ----------
NEAR_COPY_RATIO = 0.9  # difflib ratio of normalised texts at or above which two texts are "the same"
FLAG_SHARE = {"empty": 0.2, "constant": 0.5, "copy-input": 0.5, "copy-reference": 0.05, "refusal": 0.2, "injection": 0.0}
BLOCKING_FLAGS = frozenset({"injection", "copy-input", "copy-reference"})
REFUSAL_RE = re.compile(
    r"\b(?:i\s*(?:can(?:no|')t|cannot|won't|will not|am unable to|'m unable to|am not able to)\s+"
    r"(?:help|assist|comply|do that|provide|write|create|fulfil+|rewrite|paraphrase|make)"
    r"|as an ai\b|i'm sorry,? but|i apologi[sz]e,? but|against my (?:guidelines|programming))",
    re.IGNORECASE,
)
# Text aimed at the judge's MCP prompt (scorers/judge.py: "Answer: Your choice of 1 or 2").
INJECTION_RE = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,30}\b(?:previous|prior|above|earlier|all|the)\b.{0,20}"
    r"\b(?:instructions?|prompts?|rules?|directions?)"
    r"|\banswer\s*[:=]\s*[\"'(\[]?\s*[12]\b"
    r"|\b(?:choose|pick|select|prefer|output|respond with|reply with)\s+(?:paraphrase|option|choice|number)?\s*[\"'(#]?[12]\b"
    r"|\b(?:paraphrase|option|choice|response)\s*#?[12]\s+is\s+(?:clearly\s+)?(?:better|funnier|the best|the winner)"
    r"|\b(?:this|the following|my)\s+(?:paraphrase|answer|response)\s+is\s+(?:clearly\s+)?(?:the\s+)?"
    r"(?:funnier|funniest|better|best|more humorous)"
    r"|\b(?:dear|attention|note to (?:the)?)\s*(?:judge|evaluator|grader)\b|\bsystem\s*(?:prompt|message)\s*:",
    re.IGNORECASE | re.DOTALL,
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
        return f"{self.kind} {self.count}/{self.total}"


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: what "the same text" means for copy checks."""
    table = str.maketrans("", "", string.punctuation + "\u201c\u201d\u2018\u2019")
    return " ".join(text.lower().translate(table).split())


def similar(a: str, b: str, threshold: float = NEAR_COPY_RATIO) -> bool:
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return False
    return na == nb or difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio() >= threshold


def validate_outputs(records: Sequence[OutputRecord]) -> list[Flag]:
    """Degenerate-output flags: a kind is flagged when its share of outputs reaches FLAG_SHARE[kind].

    empty: no text; constant: the most common normalised output; copy-input / copy-reference: the
    output is (near-)identical to the input / to one of the item's references; refusal: REFUSAL_RE;
    injection: INJECTION_RE in the judged text or the raw reply (a single one flags).
    """
    n = len(records)
    if n == 0:
        return []
    hits: dict[str, list[str]] = {kind: [] for kind in FLAG_SHARE}
    for r in records:
        text = r.output.strip()
        if not text:
            hits["empty"].append(r.input)
            continue
        if similar(text, r.input):
            hits["copy-input"].append(text)
        elif any(similar(text, ref) for ref in r.references):
            hits["copy-reference"].append(text)
        if REFUSAL_RE.search(text):
            hits["refusal"].append(text)
        if INJECTION_RE.search(text) or INJECTION_RE.search(r.raw or ""):
            hits["injection"].append(text)
    common = Counter(normalise(r.output) for r in records if r.output.strip()).most_common(1)
    distinct_inputs = len({normalise(r.input) for r in records})
    if common and distinct_inputs >= 3 and common[0][1] >= 2:
        hits["constant"] = [common[0][0]] * common[0][1]
    flags = []
    for kind, found in hits.items():
        if found and len(found) / n >= FLAG_SHARE[kind]:
            flags.append(Flag(kind, len(found), n, found[0][:120]))
    return flags
