"""Inspect metrics over the pairwise scorer's per-sample scores: thin wrappers around the pure statistics.

Every metric returns a dict (each key becomes one metric in the log). Rows for the bias and
judge diagnostics are the primary judge's comparisons (one per compared reference) from
`score.metadata["comparisons"]`; the WTR report uses the per-item values.
"""

from __future__ import annotations

import math

import numpy as np
from inspect_ai.scorer import Metric, SampleScore, Value, metric

from . import stats
from .debias import length_controlled_wtr, style_controlled_wtr
from .judge_quality import krippendorff_alpha_nominal, order_diagnostics, prefer_longer_rate, tie_quality

OUTCOME_VALUE = {"win": 1.0, "tie": 0.5, "loss": 0.0}


def _comparisons(scores: list[SampleScore]) -> list[tuple[SampleScore, dict]]:
    return [(s, c) for s in scores for c in (s.score.metadata or {}).get("comparisons", [])]


@metric
def wtr_report(n_boot: int = 2000, seed: int = 0) -> Metric:
    """Headline WTR with its item-clustered bootstrap CI, per-rule rates and order diagnostics."""

    def compute(scores: list[SampleScore]) -> Value:
        items = [s.score.as_dict() for s in scores]
        if not items:
            return {"wtr": float("nan")}
        valid = [(i, s.sample_id) for i, s in zip(items, scores) if not math.isnan(i.get("conservative_win", math.nan))]
        lower, upper = stats.bootstrap_ci(
            stats.item_wtr_values([i for i, _ in valid]), [sid for _, sid in valid], n_boot=n_boot, seed=seed
        )
        report = {"wtr": stats.win_tie_rate(items), "wtr_ci_lower": lower, "wtr_ci_upper": upper}
        report.update(stats.rule_rates(items))
        report["position_consistency"] = stats.position_consistency(items)
        report["first_slot_rate"] = stats.first_slot_rate(items)
        report["invalid_rate"] = stats.invalid_rate(items)
        report["n_valid"] = float(len(valid))
        return report

    return compute


@metric
def judge_diagnostics() -> Metric:
    """Judge bias on this run's own comparisons: fairness, flips, length preference, self-preference, tie quality."""

    def compute(scores: list[SampleScore]) -> Value:
        rows = _comparisons(scores)
        pairs = [(c["fwd"]["choice"], c["bwd"]["choice"]) for _, c in rows if "fwd" in c]
        if not pairs:
            return {"preference_fairness": float("nan")}
        order = order_diagnostics(pairs)
        judged = [c for _, c in rows if "fwd" in c]
        longer = prefer_longer_rate(pairs, [c["len_student"] for c in judged], [c["len_reference"] for c in judged])
        outcomes = [c["outcome"] for c in judged if c.get("outcome")]
        ties = tie_quality(
            outcomes,
            [c.get("student_abs") for c in judged if c.get("outcome")],
            [c.get("reference_abs") for c in judged if c.get("outcome")],
        )
        return {
            "preference_fairness": order["preference_fairness"],
            "flip_rate": order["flip_rate"],
            "prefer_longer_rate": longer,
            "self_preference": float(any(s.score.as_dict().get("self_preference", 0) > 0 for s in scores)),
            "tie_both_good_rate": ties["both_good_among_ties"],
            "tie_both_bad_rate": ties["both_bad_among_ties"],
            "tie_unscored": ties["n_unscored_ties"],
        }

    return compute


@metric
def bias_controlled() -> Metric:
    """Length-controlled (AlpacaEval-2 GLM) and style-controlled (Arena-Hard BT) WTR, fitted on this run."""

    def compute(scores: list[SampleScore]) -> Value:
        rows = [(s.score.answer or "", c) for s, c in _comparisons(scores) if c.get("outcome")]
        if len(rows) < 2:
            return {"lc_wtr": float("nan"), "style_wtr": float("nan")}
        outcome = [OUTCOME_VALUE[c["outcome"]] for _, c in rows]
        students = [answer for answer, _ in rows]
        references = [c["reference"] for _, c in rows]
        lc = length_controlled_wtr(outcome, students, references)
        style = style_controlled_wtr(outcome, students, references)
        report = {
            "lc_wtr": lc.lc_wtr,
            "lc_wtr_se": lc.lc_standard_error,
            "lc_length_coef": lc.phi,
            "lc_diverges": float(lc.warning is not None),
            "style_wtr": style.controlled_wtr,
            "style_wtr_se": style.standard_error,
        }
        report.update({f"style_coef_{name}": value for name, value in style.coefficients.items()})
        return report

    return compute


@metric
def panel_report() -> Metric:
    """With several judges: each judge's WTR, the pooled WTR, and Krippendorff's alpha between judges."""

    def compute(scores: list[SampleScore]) -> Value:
        roles = sorted({k.split(":")[0] for s in scores for k in s.score.as_dict() if k.endswith(":wtr_item")})
        if not roles:
            return {}
        report: dict[str, float] = {}
        per_judge = [[stats.win_tie_rate([s.score.as_dict()]) for s in scores]]
        for role in roles:
            values = [s.score.as_dict().get(f"{role}:wtr_item", math.nan) for s in scores]
            per_judge.append(values)
            report[f"wtr_{role}"] = float(np.nanmean(values)) if not all(math.isnan(v) for v in values) else math.nan
        pooled = [float(np.nanmean(col)) for col in zip(*per_judge) if not all(math.isnan(v) for v in col)]
        report["wtr_pooled"] = float(np.mean(pooled)) if pooled else math.nan
        report["judge_alpha"] = krippendorff_alpha_nominal(_panel_ratings(scores, roles))
        return report

    return compute


def _panel_ratings(scores: list[SampleScore], roles: list[str]) -> list[list[object]]:
    """Rows = judges (primary first), columns = single judgments (comparison x order)."""
    ratings: list[list[object]] = [[] for _ in range(len(roles) + 1)]
    for s in scores:
        meta = s.score.metadata or {}
        for k, c in enumerate(meta.get("comparisons", [])):
            cells = [(c.get("fwd", {}).get("choice"), c.get("bwd", {}).get("choice"))]
            cells += [tuple(meta["panel"][role][k].values()) if role in meta.get("panel", {}) else (None, None) for role in roles]
            for order in (0, 1):
                for row, cell in enumerate(cells):
                    ratings[row].append(cell[order])
    return ratings


@metric
def judge_cost() -> Metric:
    """Judge requests this run paid for vs served by the verdict cache (MCP attempts + cloze candidates)."""

    def compute(scores: list[SampleScore]) -> Value:
        calls = [(s.score.metadata or {}).get("judge_calls") or {} for s in scores]
        cached = sum(int(c.get("cached", 0)) for c in calls)
        made = sum(int(c.get("made", 0)) for c in calls)
        return {
            "judge_requests_made": float(made),
            "judge_cache_hit_rate": cached / (cached + made) if cached + made else float("nan"),
        }

    return compute
