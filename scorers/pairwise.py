"""Inspect glue: the position-swapped pairwise scorer and its metrics (statistics live in stats.py)."""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np
from inspect_ai.model import Model, get_model
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, Value, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import collect

from . import stats
from .judge import OrderVerdict, cloze_humor_scores, cloze_preference, judge_mcp, likelihood_api

Arbiter = Literal["auto", "mcp", "cloze"]
ReferenceChoice = Literal["hash", "first", "all"]


def select_references(references: list[str], item_id: str, choice: ReferenceChoice, seed: int = 0) -> list[str]:
    """Which teacher references the student is compared with.

    hash (default): one per item, index = sha256(f"{seed}:{item_id}") mod 3, so every item uses a
    fixed reference that does not depend on authoring order; first: the first; all: all three
    (3x the judge calls; the item's values are averaged over them).
    """
    if choice == "first":
        return references[:1]
    if choice == "all":
        return list(references)
    if choice == "hash":
        digest = hashlib.sha256(f"{seed}:{item_id}".encode()).hexdigest()
        return [references[int(digest, 16) % len(references)]]
    raise ValueError(f"unknown reference choice '{choice}'; choose one of: hash, first, all")


def resolve_arbiter(arbiter: Arbiter, judge: Model) -> Literal["mcp", "cloze"]:
    """auto: cloze when the judge can score continuations (local weights), else the MCP prompt."""
    if arbiter == "cloze":
        likelihood_api(judge)  # raises a clear error when the judge cannot
        return "cloze"
    if arbiter == "mcp":
        return "mcp"
    if arbiter == "auto":
        return "cloze" if callable(getattr(judge.api, "continuation_logprobs", None)) else "mcp"
    raise ValueError(f"unknown arbiter '{arbiter}'; choose one of: auto, mcp, cloze")


def _student_view(fwd: OrderVerdict, bwd: OrderVerdict) -> tuple[float, float, float, float]:
    """(pick_fwd, pick_bwd, p_fwd, p_bwd) for the student, from slot-1 verdicts of both orders."""
    pick = {1: 1.0, 2: 0.0, 0: 0.5}
    return (pick[fwd.choice], 1.0 - pick[bwd.choice], fwd.p_first, 1.0 - bwd.p_first)


@solver
def judge_preflight(arbiter: Arbiter = "auto", judge_role: str = "grader") -> Solver:
    """Fail before the student runs when the judge is unbound or cannot serve the arbiter."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        judge = get_model(role=judge_role, required=True)
        state.metadata["arbiter"] = resolve_arbiter(arbiter, judge)
        state.metadata["judge"] = str(judge)
        return state

    return solve


@metric
def wtr_report(n_boot: int = 2000, seed: int = 0) -> Metric:
    """Headline WTR with its item-clustered bootstrap CI, per-rule rates and judge diagnostics."""

    def compute(scores: list[SampleScore]) -> Value:
        items = [s.score.as_dict() for s in scores]
        if not items:
            return {"wtr": float("nan")}
        valid = [(i, s.sample_id) for i, s in zip(items, scores) if not np.isnan(i.get("conservative_win", np.nan))]
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


@scorer(metrics=[wtr_report()])
def pairwise_humor_judge(
    arbiter: Arbiter = "auto",
    reference: ReferenceChoice = "hash",
    reference_seed: int = 0,
    mcp_mode: Literal["reason", "direct"] = "reason",
    max_retries: int = 2,
    cloze_temperature: float = 1.0,
    tie_margin: float = stats.SOFT_TIE_MARGIN,
    judge_cache: bool = True,
    judge_role: str = "grader",
) -> Scorer:
    """Student vs teacher reference(s), judged in both orders by the model bound to `judge_role`."""

    async def score(state: TaskState, target: Target) -> Score:
        judge = get_model(role=judge_role, required=True)
        method = resolve_arbiter(arbiter, judge)
        student = state.output.completion.strip()
        references = select_references(list(target.target), str(state.sample_id), reference, reference_seed)
        comparisons, notes, details = [], [], []
        for ref in references:
            if not student:
                empty = "empty student output: the reference wins without a judge call"
                fwd, bwd = OrderVerdict(2, 0.0, "text", empty), OrderVerdict(1, 1.0, "text", empty)
            elif method == "cloze":
                s_student, s_ref = await cloze_humor_scores(likelihood_api(judge), state.input_text, [student, ref])
                fwd = cloze_preference(s_student, s_ref, cloze_temperature)
                bwd = cloze_preference(s_ref, s_student, cloze_temperature)
            else:
                fwd, bwd = await collect(
                    judge_mcp(judge, state.input_text, student, ref, mcp_mode, max_retries, judge_cache),
                    judge_mcp(judge, state.input_text, ref, student, mcp_mode, max_retries, judge_cache),
                )
            if fwd.choice is None or bwd.choice is None:
                comparisons.append(stats.invalid_comparison())
            else:
                comparisons.append(stats.reconcile_orders(*_student_view(fwd, bwd), tie_margin=tie_margin))
            notes.append(f"[student first] {fwd.raw}\n[student second] {bwd.raw}")
            details.append(
                {
                    "reference": ref,
                    "fwd": {"choice": fwd.choice, "p_first": fwd.p_first, "source": fwd.source, "attempts": fwd.attempts},
                    "bwd": {"choice": bwd.choice, "p_first": bwd.p_first, "source": bwd.source, "attempts": bwd.attempts},
                }
            )
        value = stats.average_comparisons(comparisons)
        value["len_student"] = float(len(student))
        value["len_reference"] = float(np.mean([len(r) for r in references]))
        return Score(
            value=value,
            answer=student,
            explanation="\n\n".join(notes),
            metadata={
                "judge": str(judge),
                "arbiter": method,
                "mcp_mode": mcp_mode if method == "mcp" else None,
                "reference_choice": reference,
                "comparisons": details,
                "raw_output": state.metadata.get("raw_output"),
            },
        )

    return score
