"""Win-tie-rate statistics over plain per-comparison and per-item records (no Inspect needed).

Conventions (student's point of view). One comparison = student vs one reference, judged twice:
  fwd: student in slot 1;  bwd: student in slot 2.
  pick_fwd, pick_bwd in {1: student chosen, 0: reference chosen, 0.5: exact tie}
  p_fwd, p_bwd: P(student better) in each order (the judge's probability, or the hard pick).

Reconciliation rules (paper §4.2 leaves ties undefined, so all three are reported side by side):
  averaged      a = (pick_fwd + pick_bwd) / 2: a win in both orders counts 1, a loss in both 0, and a
                verdict that flips with the order (or an exact tie) counts 1/2;
                averaged_wtr = mean(a)          <- the headline `wtr`
                Why this one: a judge that ignores the content (always slot 1, or a coin) gives every
                student 0.5, so position bias cannot inflate the headline; the paper's "average over
                both positions" (§4) is exactly this. Its win/tie/loss are the conservative categories.
  conservative  MT-Bench: win if the student wins both orders, loss if it loses both, else tie;
                conservative_wtr = win + tie (the paper's "win or tie"); an always-slot-1 judge turns
                every comparison into a tie and gives every student 1.0, so it is reported, not headlined
  soft          q = (p_fwd + p_bwd) / 2; win if q > 0.5 + m, loss if q < 0.5 - m, else tie;
                soft_wtr = mean(q) (the probability-weighted rate)
Diagnostics: position consistency = share of comparisons with the same winner in both orders;
first-slot rate = share of single judgments that chose slot 1; invalid rate = share of comparisons
with an unusable verdict in either order (excluded from every rate above, never counted as ties).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

SOFT_TIE_MARGIN = 0.05
RULES = ("soft", "conservative", "averaged")
OUTCOMES = ("win", "tie", "loss")
NAN = float("nan")


def reconcile_orders(
    pick_fwd: float, pick_bwd: float, p_fwd: float, p_bwd: float, tie_margin: float = SOFT_TIE_MARGIN
) -> dict[str, float]:
    """Per-comparison values under every rule, plus the order diagnostics."""
    soft = (p_fwd + p_bwd) / 2
    averaged = (pick_fwd + pick_bwd) / 2
    hard = "win" if pick_fwd == 1 and pick_bwd == 1 else "loss" if pick_fwd == 0 and pick_bwd == 0 else "tie"
    soft_outcome = "win" if soft > 0.5 + tie_margin else "loss" if soft < 0.5 - tie_margin else "tie"
    slot1_fwd = pick_fwd  # student sits in slot 1
    slot1_bwd = 1.0 - pick_bwd  # reference sits in slot 1
    values = {
        "soft": soft,
        "averaged": averaged,
        "consistent": float(pick_fwd == pick_bwd),
        "first_slot": (slot1_fwd + slot1_bwd) / 2,
        "pick_fwd": float(pick_fwd),
        "pick_bwd": float(pick_bwd),
        "p_fwd": float(p_fwd),
        "p_bwd": float(p_bwd),
        "invalid": 0.0,
    }
    for outcome in OUTCOMES:
        values[f"soft_{outcome}"] = float(soft_outcome == outcome)
        values[f"conservative_{outcome}"] = float(hard == outcome)
    return values


def outcome_label(record: dict[str, float]) -> str | None:
    """'win' | 'tie' | 'loss' under the conservative rule, or None for an invalid comparison."""
    if record["invalid"]:
        return None
    return next(o for o in OUTCOMES if record[f"conservative_{o}"] == 1.0)


def invalid_comparison() -> dict[str, float]:
    """The record of a comparison whose verdict was unusable: NaN everywhere but `invalid`."""
    keys = reconcile_orders(1, 1, 1, 1).keys()
    return {k: (1.0 if k == "invalid" else NAN) for k in keys}


def average_comparisons(comparisons: Sequence[dict[str, float]]) -> dict[str, float]:
    """One item's record from its comparisons (one per reference): valid ones averaged; invalid = share."""
    valid = [c for c in comparisons if c["invalid"] == 0]
    keys = comparisons[0].keys()
    item = {k: (float(np.mean([c[k] for c in valid])) if valid else NAN) for k in keys if k != "invalid"}
    item["invalid"] = sum(c["invalid"] for c in comparisons) / len(comparisons)
    return item


def _valid(items: Iterable[dict[str, float]]) -> list[dict[str, float]]:
    return [i for i in items if not math.isnan(i.get("conservative_win", NAN))]


def rule_rates(items: Sequence[dict[str, float]]) -> dict[str, float]:
    """win/tie/loss and wtr for each rule over the valid items (NaN when none is valid)."""
    valid = _valid(items)
    rates: dict[str, float] = {}
    for rule in ("soft", "conservative"):
        for outcome in OUTCOMES:
            rates[f"{rule}_{outcome}"] = _mean(i[f"{rule}_{outcome}"] for i in valid)
    for outcome in OUTCOMES:
        rates[f"averaged_{outcome}"] = rates[f"conservative_{outcome}"]
    rates["soft_wtr"] = _mean(i["soft"] for i in valid)
    rates["conservative_wtr"] = rates["conservative_win"] + rates["conservative_tie"]
    rates["averaged_wtr"] = _mean(i["averaged"] for i in valid)
    return rates


def win_tie_rate(items: Sequence[dict[str, float]]) -> float:
    """Headline WTR: the averaged rule (a flip or tie counts half), over the valid items."""
    return rule_rates(items)["averaged_wtr"]


def item_wtr(record: dict[str, float]) -> float:
    """One item's headline value: (pick_fwd + pick_bwd) / 2 averaged over its comparisons; NaN if invalid."""
    return float(record.get("averaged", NAN))


def position_consistency(items: Sequence[dict[str, float]]) -> float:
    return _mean(i["consistent"] for i in _valid(items))


def first_slot_rate(items: Sequence[dict[str, float]]) -> float:
    return _mean(i["first_slot"] for i in _valid(items))


def invalid_rate(items: Sequence[dict[str, float]]) -> float:
    return _mean(i["invalid"] for i in items)


def item_wtr_values(items: Sequence[dict[str, float]]) -> list[float]:
    """Per-item headline contribution (`item_wtr`), valid items only."""
    return [item_wtr(i) for i in _valid(items)]


def bootstrap_ci(
    values: Sequence[float],
    clusters: Sequence[object] | None = None,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean, resampling whole clusters (items) with replacement.

    With `clusters`, all values of a drawn cluster enter the replicate together (several references
    or epochs of one item are not independent); the replicate is the mean over its values.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (NAN, NAN)
    rng = np.random.default_rng(seed)
    if clusters is None:
        sums, counts = x, np.ones_like(x)
    else:
        labels = {c: k for k, c in enumerate(dict.fromkeys(clusters))}
        index = np.array([labels[c] for c in clusters])
        sums = np.bincount(index, weights=x)
        counts = np.bincount(index).astype(float)
    draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    replicates = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    alpha = (1.0 - level) / 2
    return (float(np.quantile(replicates, alpha)), float(np.quantile(replicates, 1 - alpha)))


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return float(np.mean(vals)) if vals else NAN
