"""The one path that judges a pair of paraphrases in both orders.

The Inspect scorer (student vs reference), the training critic (candidate vs candidate),
`judge-report` (labeled pairs) and `speed` all call `judge_pair`, so an evaluation, a feedback label
and a judge's report card are the same judgment, served by the same verdict cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inspect_ai.model import Model
from inspect_ai.util import collect

from benchmark.errors import HumorBenchError

from . import stats
from .judge import LIKELIHOOD_METHODS, MeaningGate, OrderVerdict, cloze_preference, features_api, likelihood_api, meaning_gate_for
from .judge_cache import CachedJudge
from .probe import has_probe, load_probe

Arbiter = Literal["auto", "mcp", "cloze", "cloze_meaning", "probe"]
Method = Literal["mcp", "cloze", "cloze_meaning", "probe"]
McpMode = Literal["auto", "reason", "direct"]
DEFAULT_LOCAL_METHOD: Method = "cloze_meaning"


@dataclass(frozen=True)
class JudgeSettings:
    """How a judge is asked; flows unchanged from the task (or a command) down to `judge_pair`."""

    arbiter: Arbiter = "auto"
    mcp_mode: McpMode = "auto"
    max_retries: int = 2
    cloze_temperature: float = 1.0
    tie_margin: float = stats.SOFT_TIE_MARGIN
    judge_cache: bool = True  # Inspect's cache for the judge's first-attempt MCP calls
    gate: MeaningGate | None = None  # cloze_meaning's constants; None = those fitted for the judge


def can_score_likelihoods(judge: Model) -> bool:
    return callable(getattr(judge.api, "continuation_logprobs", None))


def resolve_method(arbiter: Arbiter, judge: Model) -> Method:
    """auto: the reward probe when one was fitted for this judge, else cloze_meaning when the judge
    scores continuations (local weights), else the MCP prompt."""
    if arbiter == "probe":
        features_api(judge)  # raises a clear error when the judge cannot
        load_probe(str(judge))  # ... or when no probe was fitted for it
        return "probe"
    if arbiter in LIKELIHOOD_METHODS:
        likelihood_api(judge)  # raises a clear error when the judge cannot
        return arbiter  # type: ignore[return-value]
    if arbiter == "mcp":
        return "mcp"
    if arbiter == "auto":
        if has_probe(str(judge)) and callable(getattr(judge.api, "continuation_features", None)):
            return "probe"
        return DEFAULT_LOCAL_METHOD if can_score_likelihoods(judge) else "mcp"
    raise HumorBenchError(f"unknown arbiter '{arbiter}'; choose one of: auto, mcp, cloze, cloze_meaning, probe")


def _empty_side(first: str, second: str) -> tuple[OrderVerdict, OrderVerdict] | None:
    """An empty paraphrase loses without a judge call (two empty ones tie)."""
    if first and second:
        return None
    note = "empty paraphrase: no judge call"
    if not first and not second:
        return OrderVerdict(0, 0.5, "text", note), OrderVerdict(0, 0.5, "text", note)
    first_wins = bool(first)
    return (OrderVerdict(1 if first_wins else 2, 1.0 if first_wins else 0.0, "text", note),
            OrderVerdict(2 if first_wins else 1, 0.0 if first_wins else 1.0, "text", note))


async def judge_pair(
    judge: CachedJudge, method: Method, first: str, second: str, settings: JudgeSettings
) -> tuple[OrderVerdict, OrderVerdict]:
    """Both orders of one comparison: (first in slot 1, second in slot 1), each from slot 1's view.

    MCP: the two orders go out together (concurrent calls, batched by local providers). Likelihood
    methods: each candidate is scored alone (one batched request, per-candidate verdict cache), so
    the two orders are mirror images of one score difference.
    """
    first, second = first.strip(), second.strip()
    empty = _empty_side(first, second)
    if empty is not None:
        return empty
    if method == "probe":
        r1, r2 = await judge.probe_rewards([first, second], load_probe(str(judge.model)))
        return cloze_preference(r1, r2), cloze_preference(r2, r1)
    if method in LIKELIHOOD_METHODS:
        (h1, m1), (h2, m2) = await judge.likelihood_scores([first, second], meaning=method == "cloze_meaning")
        if method == "cloze_meaning":
            gate = settings.gate or meaning_gate_for(str(judge.model))
            h1, h2 = gate.score(h1, m1), gate.score(h2, m2)  # type: ignore[arg-type]
            temperature = gate.temperature
        else:
            temperature = settings.cloze_temperature
        fwd, bwd = cloze_preference(h1, h2, temperature), cloze_preference(h2, h1, temperature)
        if method == "cloze_meaning":
            fwd.raw += f" m1={m1:.3f} m2={m2:.3f}"
            bwd.raw += f" m1={m2:.3f} m2={m1:.3f}"
        return fwd, bwd
    mode, retries, cache = settings.mcp_mode, settings.max_retries, settings.judge_cache
    fwd, bwd = await collect(
        judge.mcp(first, second, "first_in_slot_1", mode, retries, cache),
        judge.mcp(second, first, "first_in_slot_2", mode, retries, cache),
    )
    return fwd, bwd


def first_side_probability(fwd: OrderVerdict, bwd: OrderVerdict) -> float | None:
    """P(first is better), averaged over both orders; None when either verdict is invalid."""
    if fwd.choice is None or bwd.choice is None or fwd.p_first is None or bwd.p_first is None:
        return None
    return (fwd.p_first + 1.0 - bwd.p_first) / 2


def first_side_view(fwd: OrderVerdict, bwd: OrderVerdict) -> tuple[float, float, float, float]:
    """(pick_fwd, pick_bwd, p_fwd, p_bwd) for the first side, from slot-1 verdicts of both orders."""
    pick = {1: 1.0, 2: 0.0, 0: 0.5}
    return (pick[fwd.choice], 1.0 - pick[bwd.choice], fwd.p_first, 1.0 - bwd.p_first)  # type: ignore[index,operator]


def comparison_record(fwd: OrderVerdict, bwd: OrderVerdict, tie_margin: float) -> dict[str, float]:
    """The per-comparison values of every reconciliation rule (stats.reconcile_orders), first side's view."""
    if fwd.choice is None or bwd.choice is None:
        return stats.invalid_comparison()
    return stats.reconcile_orders(*first_side_view(fwd, bwd), tie_margin=tie_margin)
