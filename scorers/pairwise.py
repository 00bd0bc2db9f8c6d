"""Inspect glue: the position-swapped pairwise scorer and its metrics (statistics live in stats.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
from inspect_ai.model import Model, get_model, model_roles
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.util import collect

from . import stats
from .judge import OrderVerdict, cloze_preference, likelihood_api
from .judge_cache import CachedJudge, CallLedger, VerdictStore, judge_identity, open_store
from .judge_quality import self_preference_flag
from .metrics import bias_controlled, judge_cost, judge_diagnostics, panel_report, wtr_report

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
def judge_preflight(arbiter: Arbiter = "auto", judge_roles: str | list[str] = "grader") -> Solver:
    """Fail before the student runs when a judge is unbound or cannot serve the arbiter."""
    roles = _role_list(judge_roles)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for role in roles:
            judge = get_model(role=role, required=True)
            resolve_arbiter(arbiter, judge)
        return state

    return solve


def _role_list(judge_roles: str | list[str]) -> list[str]:
    """'grader,grader_2' or ['grader', 'grader_2'] (-T splits on commas) -> role names."""
    raw = judge_roles.split(",") if isinstance(judge_roles, str) else judge_roles
    return [r.strip() for r in raw if r.strip()]


McpMode = Literal["auto", "reason", "direct"]


@dataclass(frozen=True)
class JudgeSettings:
    arbiter: Arbiter = "auto"
    mcp_mode: McpMode = "auto"
    max_retries: int = 2
    cloze_temperature: float = 1.0
    tie_margin: float = stats.SOFT_TIE_MARGIN
    judge_cache: bool = True  # Inspect's cache for the judge's first-attempt calls


async def judge_comparison(
    judge: CachedJudge, method: str, student: str, reference: str, settings: JudgeSettings
) -> tuple[OrderVerdict, OrderVerdict]:
    """Both orders of one student-vs-reference comparison: (student in slot 1, student in slot 2).

    MCP: the two orders go out together (concurrent calls, batched by local providers; served
    judges see the shared prompt prefix back to back). Cloze: both candidates under both
    framings in one batched scoring request, order-free.
    """
    if not student:
        empty = "empty student output: the reference wins without a judge call"
        return OrderVerdict(2, 0.0, "text", empty), OrderVerdict(1, 1.0, "text", empty)
    if method == "cloze":
        s_student, s_ref = await judge.cloze_scores([student, reference])
        return (
            cloze_preference(s_student, s_ref, settings.cloze_temperature),
            cloze_preference(s_ref, s_student, settings.cloze_temperature),
        )
    mode, retries, cache = settings.mcp_mode, settings.max_retries, settings.judge_cache
    fwd, bwd = await collect(
        judge.mcp(student, reference, "student_first", mode, retries, cache),
        judge.mcp(reference, student, "student_second", mode, retries, cache),
    )
    return fwd, bwd


def comparison_record(fwd: OrderVerdict, bwd: OrderVerdict, tie_margin: float) -> dict[str, float]:
    if fwd.choice is None or bwd.choice is None:
        return stats.invalid_comparison()
    return stats.reconcile_orders(*_student_view(fwd, bwd), tie_margin=tie_margin)


async def absolute_funniness(checker: CachedJudge, texts: list[str]) -> list[float]:
    """Cloze score of each text minus that of a verbatim copy of the input (> 0: funnier than literal)."""
    copy_score, *scores = await checker.cloze_scores([checker.input_text, *texts])
    return [s - copy_score for s in scores]


def _verdict_detail(v: OrderVerdict) -> dict:
    return {"choice": v.choice, "p_first": v.p_first, "source": v.source, "attempts": v.attempts,
            "mode": v.mode, "cached": v.cached}


@scorer(metrics=[wtr_report(), judge_diagnostics(), bias_controlled(), panel_report(), judge_cost()])
def pairwise_humor_judge(
    arbiter: Arbiter = "auto",
    reference: ReferenceChoice = "hash",
    reference_seed: int = 0,
    mcp_mode: McpMode = "auto",
    max_retries: int = 2,
    cloze_temperature: float = 1.0,
    tie_margin: float = stats.SOFT_TIE_MARGIN,
    judge_cache: bool = True,
    judge_roles: str | list[str] = "grader",
    tie_check: bool = True,
    verdict_cache: str | None = None,
) -> Scorer:
    """Student vs teacher reference(s), judged in both orders by each model in `judge_roles`.

    The first role is the primary judge (unprefixed values); further roles form a panel and add
    `<role>:wtr_item`, `<role>:invalid` values and per-order choices in metadata. With `tie_check`,
    the model bound to role `tie_check` (or a local judge itself) scores each side's absolute
    funniness against a copy of the input, to tell both-good ties from both-bad ones.
    `verdict_cache`: path of the content-addressed verdict cache (judge_cache.py), None = off;
    `judge_cache`: Inspect's cache of the judge's raw first-attempt calls.
    """
    roles = _role_list(judge_roles)
    settings = JudgeSettings(arbiter, mcp_mode, max_retries, cloze_temperature, tie_margin, judge_cache)
    store: VerdictStore | None = open_store(verdict_cache) if verdict_cache else None

    async def score(state: TaskState, target: Target) -> Score:
        models = [get_model(role=role, required=True) for role in roles]
        methods = [resolve_arbiter(arbiter, model) for model in models]
        student = state.output.completion.strip()
        references = select_references(list(target.target), str(state.sample_id), reference, reference_seed)
        input_text, item_id = state.input_text, str(state.sample_id)
        ledger = CallLedger()
        judges = [CachedJudge(model, store, item_id, input_text, ledger) for model in models]
        value: dict[str, float] = {}
        details: list[dict] = [{"reference": ref, "len_student": len(student), "len_reference": len(ref)} for ref in references]
        notes: list[str] = []
        panel: dict[str, list[dict]] = {}
        checker = _tie_checker(models[0]) if tie_check and student else None
        checker_view = None
        if checker is not None:
            same_model = checker is models[0] or judge_identity(checker) == judge_identity(models[0])
            checker_view = judges[0] if same_model else CachedJudge(checker, store, item_id, input_text, ledger)
            if methods[0] == "cloze" and checker_view is judges[0]:  # one batched request for judge + tie check
                await checker_view.cloze_scores([student, *references, input_text])
        for k, (role, judge, method) in enumerate(zip(roles, judges, methods)):
            verdicts = [await judge_comparison(judge, method, student, ref, settings) for ref in references]
            records = [comparison_record(fwd, bwd, tie_margin) for fwd, bwd in verdicts]
            item = stats.average_comparisons(records)
            if k == 0:
                value.update(item)
                for detail, record, (fwd, bwd) in zip(details, records, verdicts):
                    detail.update(fwd=_verdict_detail(fwd), bwd=_verdict_detail(bwd), outcome=stats.outcome_label(record))
                    notes.append(f"[student first] {fwd.raw}\n[student second] {bwd.raw}")
            else:
                value[f"{role}:wtr_item"] = item["conservative_win"] + item["conservative_tie"]
                value[f"{role}:invalid"] = item["invalid"]
                panel[role] = [{"fwd": fwd.choice, "bwd": bwd.choice} for fwd, bwd in verdicts]
        value["len_student"] = float(len(student))
        value["len_reference"] = float(np.mean([len(r) for r in references]))
        value["self_preference"] = float(
            any(self_preference_flag(str(m), state.metadata.get("teacher_family")) for m in models)
        )
        if checker_view is not None:
            student_abs, *ref_abs = await absolute_funniness(checker_view, [student, *references])
            for detail, r_abs in zip(details, ref_abs):
                detail.update(student_abs=student_abs, reference_abs=r_abs)
        return Score(
            value=value,
            answer=student,
            explanation="\n\n".join(notes),
            metadata={
                "judge": str(models[0]),
                "arbiter": methods[0],
                "judges": {role: str(m) for role, m in zip(roles, models)},
                "mcp_mode": mcp_mode if "mcp" in methods else None,
                "reference_choice": reference,
                "comparisons": details,
                "panel": panel,
                "judge_calls": ledger.as_dict(),
                "engines": {"student": getattr(get_model().api, "engine", None), "judge": getattr(models[0].api, "engine", None)},
                "raw_output": state.metadata.get("raw_output"),
            },
        )

    return score


def _tie_checker(judge: Model) -> Model | None:
    """The likelihood model for absolute funniness: role `tie_check` if bound, else a local judge, else none."""
    bound = model_roles().get("tie_check")
    for candidate in ([bound] if bound is not None else []) + [judge]:
        model = candidate[0] if isinstance(candidate, list) else candidate
        if callable(getattr(model.api, "continuation_logprobs", None)):
            return model
    return None
