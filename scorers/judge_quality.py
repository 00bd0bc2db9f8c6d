"""Judge-quality statistics over plain data: order bias, agreement with humans, self-preference, alpha, ties.

Conventions. A pair (x, y) is judged twice: order "xy" (x in slot 1) and order "yx" (y in slot 1).
A single judgment's choice is 1 or 2 (the slot chosen), 0 (exact tie) or None (invalid). With Shi et al.'s
position letters (A = slot 1, B = slot 2, C = tie; arXiv 2406.07791, code `Position-Bias-Analyzer`
`consistency_preference_calculation.py`) a pair's pattern is (choice_xy, choice_yx):
  consistent {AB, BA, CC}   primacy-preferred {AA, AC, CA}   recency-preferred {BB, BC, CB}
A pair is valid when both choices are; invalid pairs are counted apart and enter no rate (never ties).
On the labeled judge-validation set (benchmark/data/judge_validation.jsonl) x = side "a", y = side "b".
Every rate is NaN when its denominator is empty.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import NamedTuple

from benchmark.errors import HumorBenchError

Choice = int | None  # 1 | 2 | 0 (tie) | None (invalid)
CHOICES = (0, 1, 2)
PREFER_LONGER_RATIO = 1.3  # "lengths differ by more than 30 %", relative to the shorter (AlpacaEval-style)
TIE_CLASSES = ("both_good", "both_bad", "mixed")
_NAME_SEPARATORS = re.compile(r"[-_.\s]")
NAN = float("nan")

_LETTER = {1: "A", 2: "B", 0: "C"}
_PATTERNS = {"AB": "consistent", "BA": "consistent", "CC": "consistent",
             "AA": "primacy", "AC": "primacy", "CA": "primacy",
             "BB": "recency", "BC": "recency", "CB": "recency"}


def _check(choice: Choice) -> Choice:
    if choice is not None and choice not in CHOICES:
        raise HumorBenchError(f"judge choice {choice!r} is not one of 1, 2, 0 (tie) or None (invalid)")
    return choice


def pair_pattern(choice_xy: Choice, choice_yx: Choice) -> str:
    """'consistent' | 'primacy' | 'recency' (Shi et al. letters above) or 'invalid' if either choice is None."""
    if _check(choice_xy) is None or _check(choice_yx) is None:
        return "invalid"
    return _PATTERNS[_LETTER[choice_xy] + _LETTER[choice_yx]]


def picked_side(choice: Choice, order: str) -> str | None:
    """The side a single judgment prefers: 'x' | 'y' | 'tie', or None when invalid; order is 'xy' or 'yx'."""
    if order not in ("xy", "yx"):
        raise HumorBenchError(f"order {order!r} must be 'xy' (x in slot 1) or 'yx' (y in slot 1)")
    if _check(choice) is None:
        return None
    if choice == 0:
        return "tie"
    return ("x", "y")[(choice == 2) != (order == "yx")]


def reconciled_side(choice_xy: Choice, choice_yx: Choice) -> str | None:
    """Pair verdict (MT-Bench conservative): the side picked in both orders; 'tie' when the orders disagree."""
    xy, yx = picked_side(choice_xy, "xy"), picked_side(choice_yx, "yx")
    if xy is None or yx is None:
        return None
    return xy if xy == yx else "tie"


def _rate(num: float, den: float) -> float:
    return num / den if den else NAN


def order_diagnostics(pairs: Sequence[tuple[Choice, Choice]]) -> dict[str, float]:
    """Position-bias diagnostics from (choice_xy, choice_yx) per pair.

    position_consistency PC = n_consistent / n_valid                                  (Shi et al.)
    preference_fairness  PF = raw / n_valid, raw = (n_rec^2 - n_pri^2) / (n_pri + n_rec) = n_rec - n_pri
        Shi et al. min-max rescale raw from [-N, N] to [-1, 1] (N = pairs), which is raw / N; we use
        N = valid pairs, so an always-slot-1 judge gives -1 and always-slot-2 +1; 0 fair, < 0 primacy,
        > 0 recency. raw = 0 when n_pri + n_rec = 0 (a fully consistent judge is fair), as in their code
        (Shi et al. arXiv 2406.07791).
    flip_rate = share of valid pairs whose decisive winner reverses on swap (patterns AA, BB: a winner
        in both orders, and not the same side); equals 1 - PC when there are no ties, else <= 1 - PC
        (a change to or from a tie, AC/CA/BC/CB, is inconsistent but not a flip).
    first_slot_rate = share of valid single judgments (ties included in the denominator) choosing slot 1,
        over every valid judgment, also the valid half of an invalid pair (AlpacaEval "prefer 1").
    invalid_rate = n_invalid / n_pairs.
    """
    patterns = Counter(pair_pattern(xy, yx) for xy, yx in pairs)
    n_valid = len(pairs) - patterns["invalid"]
    n_pri, n_rec = patterns["primacy"], patterns["recency"]
    raw = (n_rec**2 - n_pri**2) / (n_pri + n_rec) if n_pri + n_rec else 0.0
    flips = sum(1 for xy, yx in pairs if (xy, yx) in ((1, 1), (2, 2)))
    judgments = [c for pair in pairs for c in pair if c is not None]
    return {
        "n_pairs": float(len(pairs)),
        "n_valid": float(n_valid),
        "n_invalid": float(patterns["invalid"]),
        "n_consistent": float(patterns["consistent"]),
        "n_primacy": float(n_pri),
        "n_recency": float(n_rec),
        "position_consistency": _rate(patterns["consistent"], n_valid),
        "preference_fairness_raw": raw if n_valid else NAN,
        "preference_fairness": _rate(raw, n_valid),
        "flip_rate": _rate(flips, n_valid),
        "first_slot_rate": _rate(sum(1 for c in judgments if c == 1), len(judgments)),
        "invalid_rate": _rate(patterns["invalid"], len(pairs)),
    }


def _longer(len_x: float, len_y: float, ratio: float = 1.0) -> str | None:
    """'x' or 'y' when that side is longer than `ratio` times the other (strictly), else None."""
    if len_x > ratio * len_y:
        return "x"
    if len_y > ratio * len_x:
        return "y"
    return None


def prefer_longer_rate(
    pairs: Sequence[tuple[Choice, Choice]],
    len_x: Sequence[float],
    len_y: Sequence[float],
    min_ratio: float = PREFER_LONGER_RATIO,
) -> float:
    """Share of valid single judgments picking the longer side, over pairs where longer > min_ratio * shorter.

    AlpacaEval's "Proba. prefer longer" with a relative threshold (30 % of the shorter side, since jokes are
    short). A judge tie counts as not picking the longer side. Lengths in any unit (characters, tokens).
    """
    if not len(pairs) == len(len_x) == len(len_y):
        raise HumorBenchError(f"pairs ({len(pairs)}), len_x ({len(len_x)}) and len_y ({len(len_y)}) must align")
    picks = [
        picked_side(c, order) == longer
        for (xy, yx), lx, ly in zip(pairs, len_x, len_y)
        if (longer := _longer(lx, ly, min_ratio)) is not None
        for c, order in ((xy, "xy"), (yx, "yx"))
        if c is not None
    ]
    return _rate(sum(picks), len(picks))


class LabeledPair(NamedTuple):
    """One judge-validation pair judged in both orders, with the human labels (sides 'a' = x, 'b' = y)."""

    choice_ab: Choice  # side a in slot 1
    choice_ba: Choice  # side b in slot 1
    funnier: str  # human: 'a' | 'b' | 'tie' (a tie label enters no agreement rate)
    more_faithful: str | None = None  # human: 'a' | 'b' | 'tie'; None = not labeled
    len_a: float | None = None
    len_b: float | None = None


def human_agreement(pairs: Sequence[LabeledPair], min_ratio: float = PREFER_LONGER_RATIO) -> dict[str, float]:
    """Critic-quality metrics of Ravi et al. (ACL 2024) §5.1, Table 1, plus length preferences.

    ag_h = share of valid single judgments (both orders counted apart, "independently matching each human
        judgment ... with the model judgment") that pick the human-funnier side; a judge tie disagrees;
        pairs labeled a tie by the human are left out (n_tie_labels counts them).
    kappa_h = Cohen's kappa between those single judgments (x | y | tie) and the human label (x | y):
        agreement beyond what the two marginals give by chance (0 = chance, 1 = perfect).
    ag_c = the same against `more_faithful`, over pairs whose faithful label is not a tie.
    pb = share of valid pairs whose verdict changes with the order (= 1 - position consistency).
    lb: "samples where humans prefer the shorter response, but the critic prefers the longer" (lengths
        differ, funnier side strictly shorter). The paper's denominator is ambiguous, so both are given:
        lb                         judge preference per single judgment, over all valid judgments (with lengths)
        lb_given_shorter_preferred per judgment, over valid judgments on human-shorter pairs
        lb_pair, lb_pair_given_shorter_preferred   the same per pair, the judge's preference being the
            order-reconciled verdict (`reconciled_side`; a split counts as no preference), valid pairs.
        Per judgment is the headline, matching how Ag-H is matched; per pair shows what survives the swap.
    prefer_longer / human_prefer_longer: the judge's and the humans' funnier pick of the longer side when
        longer > min_ratio * shorter (`prefer_longer_rate`).
    """
    sides = {"a": "x", "b": "y"}
    for p in pairs:
        if p.funnier not in ("a", "b", "tie") or p.more_faithful not in (None, "a", "b", "tie"):
            raise HumorBenchError(f"labels funnier={p.funnier!r}, more_faithful={p.more_faithful!r}: "
                             "use funnier 'a'|'b'|'tie' and more_faithful 'a'|'b'|'tie'|None")
    n_tie_labels = sum(p.funnier == "tie" for p in pairs)
    pairs = [p for p in pairs if p.funnier != "tie"]
    singles = [(p, picked_side(c, o)) for p in pairs for c, o in ((p.choice_ab, "xy"), (p.choice_ba, "yx"))]
    singles = [(p, side) for p, side in singles if side is not None]
    faithful = [(p, side) for p, side in singles if p.more_faithful in ("a", "b")]
    valid = [p for p in pairs if pair_pattern(p.choice_ab, p.choice_ba) != "invalid"]

    def shorter_preferred(p: LabeledPair) -> bool:
        return _longer(p.len_a, p.len_b) == ("y" if p.funnier == "a" else "x")

    sized_singles = [(p, s) for p, s in singles if p.len_a is not None and p.len_b is not None]
    sized_pairs = [p for p in valid if p.len_a is not None and p.len_b is not None]
    lb_singles = [s == _longer(p.len_a, p.len_b) for p, s in sized_singles if shorter_preferred(p)]
    lb_pairs = [reconciled_side(p.choice_ab, p.choice_ba) == _longer(p.len_a, p.len_b)
                for p in sized_pairs if shorter_preferred(p)]
    sized = [p for p in pairs if p.len_a is not None and p.len_b is not None]
    humans = [(1, 2) if p.funnier == "a" else (2, 1) for p in sized]  # the human pick, read in both orders
    return {
        "n_pairs": float(len(pairs)),
        "n_valid_pairs": float(len(valid)),
        "n_judgments": float(len(singles)),
        "n_tie_labels": float(n_tie_labels),
        "ag_h": _rate(sum(s == sides[p.funnier] for p, s in singles), len(singles)),
        "kappa_h": cohen_kappa([s for _, s in singles], [sides[p.funnier] for p, _ in singles]),
        "ag_c": _rate(sum(s == sides[p.more_faithful] for p, s in faithful), len(faithful)),
        "n_ag_c_judgments": float(len(faithful)),
        "pb": _rate(sum(pair_pattern(p.choice_ab, p.choice_ba) != "consistent" for p in valid), len(valid)),
        "lb": _rate(sum(lb_singles), len(sized_singles)),
        "lb_given_shorter_preferred": _rate(sum(lb_singles), len(lb_singles)),
        "lb_pair": _rate(sum(lb_pairs), len(sized_pairs)),
        "lb_pair_given_shorter_preferred": _rate(sum(lb_pairs), len(lb_pairs)),
        "n_shorter_preferred_pairs": float(sum(shorter_preferred(p) for p in sized)),
        "prefer_longer": prefer_longer_rate([(p.choice_ab, p.choice_ba) for p in sized],
                                            [p.len_a for p in sized], [p.len_b for p in sized], min_ratio),
        "human_prefer_longer": prefer_longer_rate(humans, [p.len_a for p in sized],
                                                  [p.len_b for p in sized], min_ratio),
    }


def cohen_kappa(rater_1: Sequence[Hashable], rater_2: Sequence[Hashable]) -> float:
    """Cohen's kappa of two aligned label lists: (p_o - p_e) / (1 - p_e), p_e from each rater's marginals.

    NaN when there is nothing to compare or when chance agreement is already 1 (both raters constant
    and equal: kappa is undefined there, not perfect).
    """
    if len(rater_1) != len(rater_2):
        raise HumorBenchError(f"rater lists differ in length ({len(rater_1)} vs {len(rater_2)})")
    n = len(rater_1)
    if n == 0:
        return NAN
    observed = sum(a == b for a, b in zip(rater_1, rater_2)) / n
    count_1, count_2 = Counter(rater_1), Counter(rater_2)
    expected = sum(count_1[k] * count_2.get(k, 0) for k in count_1) / (n * n)
    return NAN if expected == 1 else (observed - expected) / (1 - expected)


def _normalise_name(name: str) -> str:
    return _NAME_SEPARATORS.sub("", name.lower())


def self_preference_flag(judge_name: str, teacher_family: str | None) -> bool:
    """True when the judge may favour the teacher's references because it is of the teacher's family.

    Match: the family token is a substring of the judge's model name after both are lower-cased and
    stripped of '-', '_', '.' and whitespace ('/' is kept), so 'llama2' matches
    'meta-llama/Llama-2-70b-chat-hf' and 'smollm2' matches 'local/smollm2-135m'. No family (None or
    empty after normalising) gives False. A substring test: 'llama' also matches every Llama generation.
    """
    family = _normalise_name(teacher_family or "")
    return bool(family) and family in _normalise_name(judge_name)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def krippendorff_alpha_nominal(ratings: Sequence[Sequence[Hashable | None]]) -> float:
    """Krippendorff's alpha, nominal, rows = raters, columns = units; None (or NaN) = missing.

    Krippendorff (2011), "Computing Krippendorff's alpha-reliability": units with m_u >= 2 values add
    o_ck += (#ordered c-k value pairs in u) / (m_u - 1) to the coincidence matrix; n_c = sum_k o_ck,
    n = sum_c n_c;  alpha = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k.
    NaN when undefined: fewer than two pairable values, or a single value in all pairable data.
    """
    rows = [list(r) for r in ratings]
    n_units = len(rows[0]) if rows else 0
    if any(len(r) != n_units for r in rows):
        raise HumorBenchError(f"ratings rows have lengths {sorted({len(r) for r in rows})}; every rater needs "
                         "one entry per unit (None where missing)")
    coincidence: Counter = Counter()
    for u in range(n_units):
        counts = Counter(r[u] for r in rows if not _missing(r[u]))
        m_u = sum(counts.values())
        if m_u < 2:
            continue
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                coincidence[c, k] += (n_c * (n_c - 1) if c == k else n_c * n_k) / (m_u - 1)
    totals: Counter = Counter()
    for (c, _), o in coincidence.items():
        totals[c] += o
    n = sum(totals.values())
    disagree_observed = sum(o for (c, k), o in coincidence.items() if c != k)
    disagree_expected = n * n - sum(v * v for v in totals.values())  # sum_{c!=k} n_c n_k
    if n <= 1 or disagree_expected <= 0:
        return NAN
    return 1.0 - (n - 1) * disagree_observed / disagree_expected


def classify_tie(student_abs: float, reference_abs: float, margin: float = 0.0) -> str:
    """'both_good' (both > margin), 'both_bad' (both <= margin) or 'mixed'; 'unscored' if either is missing."""
    if _missing(student_abs) or _missing(reference_abs):
        return "unscored"
    good = (student_abs > margin, reference_abs > margin)
    return "both_good" if all(good) else "both_bad" if not any(good) else "mixed"


def tie_quality(
    outcomes: Sequence[str],
    student_abs: Sequence[float | None],
    reference_abs: Sequence[float | None],
    margin: float = 0.0,
) -> dict[str, float]:
    """Split student-reference ties into both-good, both-bad and mixed (anchors §5.8: tie semantics).

    student_abs / reference_abs: an absolute funniness score of each side against a baseline, e.g. the
    side's cloze score minus that of a verbatim copy of the input (> 0 = funnier than the literal input).
    Rates: `<class>_among_ties` = count / scored ties; `<class>_among_items` = count / all items, so
    both_bad_among_items is how much of the WTR comes from mutual failure. Ties missing a score are
    counted in n_unscored_ties and enter neither class. Wins and losses need no score.
    """
    if not len(outcomes) == len(student_abs) == len(reference_abs):
        raise HumorBenchError(f"outcomes ({len(outcomes)}), student_abs ({len(student_abs)}) and reference_abs "
                         f"({len(reference_abs)}) must have one entry per item")
    bad = sorted({o for o in outcomes} - {"win", "tie", "loss"})
    if bad:
        raise HumorBenchError(f"outcomes {bad} not understood; use 'win', 'tie' or 'loss'")
    classes = Counter(classify_tie(s, r, margin) for o, s, r in zip(outcomes, student_abs, reference_abs)
                      if o == "tie")
    n_ties = sum(classes.values())
    n_scored = n_ties - classes["unscored"]
    rates = {"n_items": float(len(outcomes)), "n_ties": float(n_ties),
             "n_unscored_ties": float(classes["unscored"]), "tie_rate": _rate(n_ties, len(outcomes))}
    for name in TIE_CLASSES:
        rates[f"n_{name}"] = float(classes[name])
        rates[f"{name}_among_ties"] = _rate(classes[name], n_scored)
        rates[f"{name}_among_items"] = _rate(classes[name], len(outcomes))
    return rates
