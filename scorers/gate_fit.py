"""Choosing the constants of the cloze_meaning rule on labeled dev pairs (pure; no model needed).

A pair row holds each side's humor contrast and meaning score and the human label. For a gate
(floor, weight), the rule prefers side a when g(a) > g(b), g = humor - weight * max(0, floor - meaning)
(scorers.judge.MeaningGate). `fit_meaning_gate` searches a grid of floors and weights for the best
balanced agreement (each group of pairs, e.g. each dev file, counts equally, so a large group of one
kind cannot buy a rule that fails the others), breaking ties toward the smaller weight and the lower
floor (the least intervention); then the temperature T of P = sigmoid(delta / T) is the maximum-
likelihood fit on the chosen rule's score differences. Fit on dev pairs only; report on held-out ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.errors import HumorBenchError

from .judge import MeaningGate

WEIGHTS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
FLOOR_QUANTILES = tuple(np.linspace(0.0, 0.6, 25))  # of the meaning scores of the winning sides


@dataclass(frozen=True)
class GateRow:
    """One labeled pair: humor and meaning of each side, the human label, and its group."""

    humor_a: float
    meaning_a: float
    humor_b: float
    meaning_b: float
    funnier: str  # a | b (tie labels are left out before fitting)
    group: str = "all"


def gated_agreement(rows: Sequence[GateRow], gate: MeaningGate) -> dict[str, float]:
    """Share of rows whose label the gate reproduces, per group and balanced (mean over groups)."""
    groups: dict[str, list[bool]] = {}
    for r in rows:
        g_a, g_b = gate.score(r.humor_a, r.meaning_a), gate.score(r.humor_b, r.meaning_b)
        groups.setdefault(r.group, []).append((g_a > g_b) if r.funnier == "a" else (g_b > g_a))
    report = {f"agreement_{g}": float(np.mean(v)) for g, v in sorted(groups.items())}
    report["balanced_agreement"] = float(np.mean([np.mean(v) for v in groups.values()])) if groups else math.nan
    return report


def fit_temperature(rows: Sequence[GateRow], gate: MeaningGate) -> float:
    """Maximum-likelihood T of P(label side) = sigmoid(delta / T), delta = g(label side) - g(other side)."""
    deltas = np.array([
        (gate.score(r.humor_a, r.meaning_a) - gate.score(r.humor_b, r.meaning_b)) * (1 if r.funnier == "a" else -1)
        for r in rows
    ])
    grid = np.exp(np.linspace(math.log(0.05), math.log(50.0), 400))
    nll = [np.sum(np.logaddexp(0.0, -deltas / t)) for t in grid]
    return float(grid[int(np.argmin(nll))])


def fit_meaning_gate(rows: Sequence[GateRow]) -> tuple[MeaningGate, list[dict[str, float]]]:
    """The best gate on `rows` (balanced agreement, then least intervention) and the whole grid searched."""
    rows = [r for r in rows if r.funnier in ("a", "b")]
    if not rows:
        raise HumorBenchError("no labeled pairs with a winner to fit on; pass dev pairs whose `funnier` is a or b")
    winners = [r.meaning_a if r.funnier == "a" else r.meaning_b for r in rows]
    floors = sorted({round(float(q), 4) for q in np.quantile(winners, FLOOR_QUANTILES)})
    grid = []
    for weight in WEIGHTS:
        for floor in floors if weight > 0 else [0.0]:
            gate = MeaningGate(floor=floor, weight=weight)
            grid.append({"floor": floor, "weight": weight, **gated_agreement(rows, gate)})
    best = max(grid, key=lambda g: (round(g["balanced_agreement"], 9), -g["weight"], -g["floor"]))
    chosen = MeaningGate(floor=best["floor"], weight=best["weight"])
    return MeaningGate(chosen.floor, chosen.weight, fit_temperature(rows, chosen)), grid
