"""Inspect glue: the student-vs-reference scorer and its metrics (judging in pairwise.py, statistics in stats.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from inspect_ai.model import Model, get_model, model_roles
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from benchmark.errors import HumorBenchError

from . import stats
from .judge import OrderVerdict
from .judge_quality import self_preference_flag
from .metrics import bias_controlled, judge_cost, judge_diagnostics, panel_report, wtr_report
from .pairwise import (
    JudgeMethod, JudgeSettings, ReferenceChoice, ResolvedMethod, can_score_likelihoods, comparison_record, judge_pair,
    resolve_method, role_list,
)
from .probe import load_probe
from .verdict_cache import CachedJudge, CallLedger, VerdictStore, judge_identity, open_store

SCORER_NAME = "pairwise_humor_judge"  # the key of this scorer's Score in every sample of every log

Verdicts = list[tuple[OrderVerdict, OrderVerdict]]  # one (student first, student second) pair per reference


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
def judge_preflight(method: JudgeMethod = "auto", judge_roles: str | Sequence[str] = "grader") -> Solver:
    """Fail before the student runs when a judge is unbound or cannot serve the method."""
    roles = role_list(judge_roles)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        for role in roles:
            resolve_method(method, get_model(role=role, required=True))
        return state

    return solve


# --- the scorer: one closure over JudgeSettings, one named step per job ----------------------------------
@scorer(metrics=[wtr_report(), judge_diagnostics(), bias_controlled(), panel_report(), judge_cost()])
def pairwise_humor_judge(settings: JudgeSettings = JudgeSettings()) -> Scorer:
    """Student vs teacher reference(s), judged in both orders by each judge in `settings.roles`.

    The first role is the primary judge (unprefixed values); further roles form a panel
    (`<role>:wtr_item`, `<role>:invalid`). With `settings.tie_check`, each side's absolute funniness
    (the model bound to role `tie_check`, or a local judge) tells both-good ties from both-bad ones.
    `settings.verdict_cache` is our verdict cache's file (verdict_cache.py), None = off;
    `settings.inspect_cache` is Inspect's cache of the judge's raw MCP calls.
    """
    store: VerdictStore | None = open_store(settings.verdict_cache) if settings.verdict_cache else None

    async def score(state: TaskState, target: Target) -> Score:
        student = state.output.completion.strip()
        item = ItemScope(str(state.sample_id), state.input_text, store, CallLedger())
        references = select_references(list(target.target), item.item_id, settings.reference, settings.reference_seed)
        judges = bind_judges(settings, item)
        tie_judge = await prepare_tie_check(judges[0], item, student, references) if settings.tie_check and student else None
        verdicts = {judge.role: await judge_both_orders(judge, student, references, settings) for judge in judges}
        value, comparisons = reconcile(judges, verdicts, student, references, settings.tie_margin)
        value.update(item_features(state, judges, student, references))
        if tie_judge is not None:
            await tie_check(tie_judge, student, references, comparisons)
        return build_score(state, student, judges, verdicts, value, comparisons, item.ledger, settings)

    return score


@dataclass(frozen=True)
class ItemScope:
    """What every judge of one sample shares: the item, the verdict cache, and the sample's call ledger."""

    item_id: str
    input_text: str
    store: VerdictStore | None
    ledger: CallLedger

    def view(self, model: Model) -> CachedJudge:
        return CachedJudge(model, self.store, self.item_id, self.input_text, self.ledger)


@dataclass(frozen=True)
class BoundJudge:
    """One judge role for one sample: its model, the method it serves, and its cached view of the item."""

    role: str
    model: Model
    method: ResolvedMethod
    view: CachedJudge


@dataclass(frozen=True)
class TieJudge:
    """Who scores absolute funniness, and how (the judge's own probe, or the cloze contrast)."""

    view: CachedJudge
    method: str


def bind_judges(settings: JudgeSettings, item: ItemScope) -> list[BoundJudge]:
    """Step 1: the model bound to each judge role, and the method each serves (`auto` resolved per judge)."""
    models = [get_model(role=role, required=True) for role in settings.roles]
    return [BoundJudge(role, model, resolve_method(settings.method, model), item.view(model))
            for role, model in zip(settings.roles, models)]


async def prepare_tie_check(judge: BoundJudge, item: ItemScope, student: str, references: list[str]) -> TieJudge | None:
    """Step 2: the tie check's judge: role `tie_check` if bound, else a local primary judge, else none.

    When it is the primary judge itself, the scores of student, references and input copy go out now in
    one batched request, so the judge's verdicts and the tie check read the same cached scores.
    """
    model = tie_check_model(judge.model)
    if model is None:
        return None
    if model is not judge.model and judge_identity(model) != judge_identity(judge.model):
        return TieJudge(item.view(model), "cloze")
    texts = [student, *references, item.input_text]
    if judge.method == "probe":
        await judge.view.probe_rewards(texts, load_probe(str(judge.model)))
    else:
        await judge.view.likelihood_scores(texts, meaning=judge.method == "cloze_meaning")
    return TieJudge(judge.view, judge.method)


def tie_check_model(judge: Model) -> Model | None:
    """The likelihood model for absolute funniness: role `tie_check` if bound, else a local judge, else none."""
    bound = model_roles().get("tie_check")
    for candidate in ([bound] if bound is not None else []) + [judge]:
        model = candidate[0] if isinstance(candidate, list) else candidate
        if can_score_likelihoods(model):
            return model
    return None


async def judge_both_orders(judge: BoundJudge, student: str, references: list[str], settings: JudgeSettings) -> Verdicts:
    """Step 3: every (student, reference) comparison in both orders (`judge_pair`, the one pairwise path)."""
    return [await judge_pair(judge.view, judge.method, student, ref, settings) for ref in references]


def reconcile(
    judges: list[BoundJudge], verdicts: dict[str, Verdicts], student: str, references: list[str], tie_margin: float,
) -> tuple[dict[str, float], list[dict]]:
    """Step 4: the two orders reconciled under every rule, averaged over the references.

    Returns the item's values (the primary judge's unprefixed, each panel judge's `<role>:wtr_item` and
    `<role>:invalid`) and one detail per comparison of the primary judge.
    """
    primary, *panel = judges
    records = [comparison_record(fwd, bwd, tie_margin) for fwd, bwd in verdicts[primary.role]]
    value = stats.average_comparisons(records)
    comparisons = [
        {"reference": ref, "len_student": len(student), "len_reference": len(ref),
         "fwd": verdict_detail(fwd), "bwd": verdict_detail(bwd), "outcome": stats.outcome_label(record)}
        for ref, record, (fwd, bwd) in zip(references, records, verdicts[primary.role])
    ]
    for judge in panel:
        item = stats.average_comparisons([comparison_record(fwd, bwd, tie_margin) for fwd, bwd in verdicts[judge.role]])
        value[f"{judge.role}:wtr_item"] = stats.item_wtr(item)
        value[f"{judge.role}:invalid"] = item["invalid"]
    return value, comparisons


def item_features(state: TaskState, judges: list[BoundJudge], student: str, references: list[str]) -> dict[str, float]:
    """Lengths (for length control) and whether any judge shares the teacher's family (self-preference)."""
    family = state.metadata.get("teacher_family")
    return {
        "len_student": float(len(student)),
        "len_reference": float(np.mean([len(r) for r in references])),
        "self_preference": float(any(self_preference_flag(str(judge.model), family) for judge in judges)),
    }


async def tie_check(tie_judge: TieJudge, student: str, references: list[str], comparisons: list[dict]) -> None:
    """Step 5: each side's absolute funniness, added to its comparison (splits ties into both-good / both-bad)."""
    student_abs, *ref_abs = await absolute_funniness(tie_judge.view, [student, *references], tie_judge.method)
    for comparison, reference_abs in zip(comparisons, ref_abs):
        comparison.update(student_abs=student_abs, reference_abs=reference_abs)


async def absolute_funniness(tie_judge: CachedJudge, texts: list[str], method: str = "cloze") -> list[float]:
    """Each text's score minus that of a verbatim copy of the input (> 0: better than literal): the
    probe's reward when the judge uses the probe, else the cloze humor contrast."""
    probe = load_probe(str(tie_judge.model)) if method == "probe" else None
    everything = [tie_judge.input_text, *texts]
    copy_score, *scores = await (tie_judge.probe_rewards(everything, probe) if probe else tie_judge.cloze_scores(everything))
    return [s - copy_score for s in scores]


def build_score(
    state: TaskState, student: str, judges: list[BoundJudge], verdicts: dict[str, Verdicts], value: dict[str, float],
    comparisons: list[dict], ledger: CallLedger, settings: JudgeSettings,
) -> Score:
    """Step 6: the Score: values for the metrics, what the judge said as the explanation, the detail as metadata."""
    primary = judges[0]
    methods = {judge.method for judge in judges}
    return Score(
        value=value,
        answer=student,
        explanation="\n\n".join(f"[student first] {fwd.raw}\n[student second] {bwd.raw}" for fwd, bwd in verdicts[primary.role]),
        metadata={
            "judge": str(primary.model),
            "method": primary.method,
            "arbiter": primary.method,  # the same, under the name logs and the leaderboard have always read
            "judges": {judge.role: str(judge.model) for judge in judges},
            "mcp_mode": settings.mcp_mode if "mcp" in methods else None,
            "reference_choice": settings.reference,
            "comparisons": comparisons,
            "panel": {judge.role: [{"fwd": fwd.choice, "bwd": bwd.choice} for fwd, bwd in verdicts[judge.role]]
                      for judge in judges[1:]},
            "judge_calls": ledger.as_dict(),
            "engines": {"student": getattr(get_model().api, "engine", None), "judge": getattr(primary.model.api, "engine", None)},
            "raw_output": state.metadata.get("raw_output"),
        },
    )


def verdict_detail(v: OrderVerdict) -> dict:
    return {"choice": v.choice, "p_first": v.p_first, "source": v.source, "attempts": v.attempts,
            "mode": v.mode, "cached": v.cached}
