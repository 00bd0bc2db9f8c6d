"""Fitting the probe method's weights on labeled dev pairs (pure: feature vectors in, weights out).

A Bradley-Terry model over feature differences: P(a better than b) = sigmoid(w . (phi_a - phi_b)),
an L2-penalised logistic regression without intercept on both orientations of every pair (so the
fit cannot learn a side). The penalty C is chosen by item-grouped k-fold cross-validation (all the
pairs of an item stay in one fold), scored by the balanced agreement over the groups of pairs (each
dev file counts equally); then the weights are refitted on every pair. Dev and train-split pairs
only: a probe's report on held-out pairs is the judge report's business.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.errors import HumorBenchError

PENALTIES = (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
FOLDS = 5


@dataclass(frozen=True)
class ProbePair:
    """The features of the better side and of the worse side of one labeled pair."""

    better: Sequence[float]
    worse: Sequence[float]
    group: str
    item: str  # pairs of one item stay in one cross-validation fold


def _design(pairs: Sequence[ProbePair]) -> tuple[np.ndarray, np.ndarray]:
    diffs = np.array([np.asarray(p.better, dtype=np.float64) - np.asarray(p.worse, dtype=np.float64) for p in pairs])
    return np.concatenate([diffs, -diffs]), np.concatenate([np.ones(len(pairs)), np.zeros(len(pairs))])


def fit_weights(pairs: Sequence[ProbePair], penalty: float) -> np.ndarray:
    """Weights of the logistic regression (C = penalty) on both orientations of every pair."""
    from sklearn.linear_model import LogisticRegression

    x, y = _design(pairs)
    model = LogisticRegression(C=penalty, fit_intercept=False, max_iter=5000)
    return model.fit(x, y).coef_[0]


def agreement(pairs: Sequence[ProbePair], weights: np.ndarray) -> dict[str, float]:
    """Share of pairs whose better side gets the higher reward, per group and balanced over groups."""
    groups: dict[str, list[bool]] = {}
    for p in pairs:
        margin = float(np.dot(weights, np.asarray(p.better) - np.asarray(p.worse)))
        groups.setdefault(p.group, []).append(margin > 0)
    report = {f"agreement_{g}": float(np.mean(v)) for g, v in sorted(groups.items())}
    report["balanced_agreement"] = float(np.mean([np.mean(v) for v in groups.values()])) if groups else math.nan
    return report


def item_folds(pairs: Sequence[ProbePair], folds: int = FOLDS, seed: int = 0) -> list[set[str]]:
    items = sorted({p.item for p in pairs})
    random.Random(seed).shuffle(items)
    return [set(items[k::folds]) for k in range(folds)]


def fit_probe(pairs: Sequence[ProbePair], penalties: Sequence[float] = PENALTIES, folds: int = FOLDS, seed: int = 0
              ) -> tuple[np.ndarray, float, list[dict[str, float]]]:
    """(weights refitted on all pairs, the chosen penalty, the cross-validation table)."""
    if len({p.group for p in pairs}) == 0 or len(pairs) < 2 * folds:
        raise HumorBenchError(f"too few labeled pairs to fit a probe ({len(pairs)}); pass the dev pair files")
    table = []
    for penalty in penalties:
        held_out: list[ProbePair] = []
        margins: list[bool] = []
        for fold in item_folds(pairs, folds, seed):
            train = [p for p in pairs if p.item not in fold]
            test = [p for p in pairs if p.item in fold]
            if not train or not test:
                continue
            weights = fit_weights(train, penalty)
            held_out += test
            margins += [float(np.dot(weights, np.asarray(p.better) - np.asarray(p.worse))) > 0 for p in test]
        groups: dict[str, list[bool]] = {}
        for p, ok in zip(held_out, margins):
            groups.setdefault(p.group, []).append(ok)
        row = {"penalty": penalty, **{f"cv_agreement_{g}": float(np.mean(v)) for g, v in sorted(groups.items())}}
        row["cv_balanced_agreement"] = float(np.mean([np.mean(v) for v in groups.values()]))
        table.append(row)
    best = max(table, key=lambda r: (round(r["cv_balanced_agreement"], 9), -r["penalty"]))
    return fit_weights(pairs, best["penalty"]), best["penalty"], table
