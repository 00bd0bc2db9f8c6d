"""Inspect glue: the student-vs-reference scorer and its metrics (judging in pairwise.py, statistics in stats.py)."""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np
from inspect_ai.model import Model, get_model, model_roles
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from benchmark.errors import HumorBenchError

from . import stats
from .judge import OrderVerdict
from .judge_cache import CachedJudge, CallLedger, VerdictStore, judge_identity, open_store
from .judge_quality import self_preference_flag
from .metrics import bias_controlled, judge_cost, judge_diagnostics, panel_report, wtr_report
from .pairwise import Arbiter, JudgeSettings, can_score_likelihoods, comparison_record, judge_pair, resolve_method
from .probe import load_probe

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
    raise HumorBenchError(f"unknown reference choice '{choice}'; choose one of: hash, first, all")


@solver
def judge_preflight(arbiter: Arbiter = "auto", judge_roles: str | list[str] = "grader") -> Solver:
    """Fail before the student runs when a judge is unbound or cannot serve the method."""
    roles = _role_list(judge_roles)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for role in roles:
            resolve_method(arbiter, get_model(role=role, required=True))
        return state

    return solve


def _role_list(judge_roles: str | list[str]) -> list[str]:
    """'grader,grader_2' or ['grader', 'grader_2'] (-T splits on commas) -> role names."""
    raw = judge_roles.split(",") if isinstance(judge_roles, str) else judge_roles
    return [r.strip() for r in raw if r.strip()]


async def absolute_funniness(checker: CachedJudge, texts: list[str], method: str = "cloze") -> list[float]:
    """Each text's score minus that of a verbatim copy of the input (> 0: better than literal): the
    probe's reward when the judge uses the probe, else the cloze humor contrast."""
    probe = load_probe(str(checker.model)) if method == "probe" else None
    everything = [checker.input_text, *texts]
    copy_score, *scores = await (checker.probe_rewards(everything, probe) if probe else checker.cloze_scores(everything))
    return [s - copy_score for s in scores]


def _verdict_detail(v: OrderVerdict) -> dict:
    return {"choice": v.choice, "p_first": v.p_first, "source": v.source, "attempts": v.attempts,
            "mode": v.mode, "cached": v.cached}


def _tie_checker(judge: Model) -> Model | None:
    """The likelihood model for absolute funniness: role `tie_check` if bound, else a local judge, else none."""
    bound = model_roles().get("tie_check")
    for candidate in ([bound] if bound is not None else []) + [judge]:
        model = candidate[0] if isinstance(candidate, list) else candidate
        if can_score_likelihoods(model):
            return model
    return None


@scorer(metrics=[wtr_report(), judge_diagnostics(), bias_controlled(), panel_report(), judge_cost()])
def pairwise_humor_judge(
    arbiter: Arbiter = "auto",
    reference: ReferenceChoice = "hash",
    reference_seed: int = 0,
    mcp_mode: Literal["auto", "reason", "direct"] = "auto",
    max_retries: int = 2,
    cloze_temperature: float = 1.0,
    tie_margin: float = stats.SOFT_TIE_MARGIN,
    judge_cache: bool = True,
    judge_roles: str | list[str] = "grader",
    tie_check: bool = True,
    verdict_cache: str | None = None,
) -> Scorer:
    """Student vs teacher reference(s), judged in both orders by each model in `judge_roles`.

    Steps per sample: bind the judges and their methods; judge every (student, reference) pair with
    `judge_pair`; reconcile the two orders under every rule; with `tie_check`, score each side's
    absolute funniness (the model bound to role `tie_check`, or a local judge) to tell both-good ties
    from both-bad ones. The first role is the primary judge (unprefixed values); further roles form a
    panel (`<role>:wtr_item`, `<role>:invalid`). `verdict_cache`: the content-addressed verdict cache
    file (judge_cache.py), None = off; `judge_cache`: Inspect's cache of the judge's raw MCP calls.
    """
    roles = _role_list(judge_roles)
    settings = JudgeSettings(arbiter, mcp_mode, max_retries, cloze_temperature, tie_margin, judge_cache)
    store: VerdictStore | None = open_store(verdict_cache) if verdict_cache else None

    async def score(state: TaskState, target: Target) -> Score:
        student = state.output.completion.strip()
        item_id, input_text = str(state.sample_id), state.input_text
        references = select_references(list(target.target), item_id, reference, reference_seed)
        models = [get_model(role=role, required=True) for role in roles]
        methods = [resolve_method(arbiter, model) for model in models]
        ledger = CallLedger()
        judges = [CachedJudge(model, store, item_id, input_text, ledger) for model in models]
        checker = _tie_check_view(models[0], judges[0], methods[0], store, item_id, input_text, ledger) if tie_check and student else None
        check_method = methods[0] if checker is judges[0] else "cloze"
        if checker is judges[0]:  # one batched request for the judge's and the tie check's scores
            if check_method == "probe":
                await checker.probe_rewards([student, *references, input_text], load_probe(str(models[0])))
            else:
                await checker.likelihood_scores([student, *references, input_text], meaning=methods[0] == "cloze_meaning")

        value: dict[str, float] = {}
        details = [{"reference": ref, "len_student": len(student), "len_reference": len(ref)} for ref in references]
        notes: list[str] = []
        panel: dict[str, list[dict]] = {}
        for k, (role, judge, method) in enumerate(zip(roles, judges, methods)):
            verdicts = [await judge_pair(judge, method, student, ref, settings) for ref in references]
            records = [comparison_record(fwd, bwd, tie_margin) for fwd, bwd in verdicts]
            item = stats.average_comparisons(records)
            if k == 0:
                value.update(item)
                for detail, record, (fwd, bwd) in zip(details, records, verdicts):
                    detail.update(fwd=_verdict_detail(fwd), bwd=_verdict_detail(bwd), outcome=stats.outcome_label(record))
                    notes.append(f"[student first] {fwd.raw}\n[student second] {bwd.raw}")
            else:
                value[f"{role}:wtr_item"] = stats.item_wtr(item)
                value[f"{role}:invalid"] = item["invalid"]
                panel[role] = [{"fwd": fwd.choice, "bwd": bwd.choice} for fwd, bwd in verdicts]
        value["len_student"] = float(len(student))
        value["len_reference"] = float(np.mean([len(r) for r in references]))
        value["self_preference"] = float(
            any(self_preference_flag(str(m), state.metadata.get("teacher_family")) for m in models)
        )
        if checker is not None:
            student_abs, *ref_abs = await absolute_funniness(checker, [student, *references], check_method)
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


def _tie_check_view(
    judge_model: Model, judge_view: CachedJudge, method: str, store: VerdictStore | None,
    item_id: str, input_text: str, ledger: CallLedger,
) -> CachedJudge | None:
    """The tie check's view: the judge's own when it is the same model (shared scores), else its own."""
    checker = _tie_checker(judge_model)
    if checker is None:
        return None
    if checker is judge_model or judge_identity(checker) == judge_identity(judge_model):
        return judge_view
    return CachedJudge(checker, store, item_id, input_text, ledger)
