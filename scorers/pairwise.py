"""The one path that judges a pair of paraphrases in both orders.

The Inspect scorer (student vs reference), the training critic (candidate vs candidate),
`judge-report` (labeled pairs) and `speed` all call `judge_pair`, so an evaluation, a feedback label
and a judge's report card are the same judgment, served by the same verdict cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from os import PathLike, fspath
from typing import Any, Literal, get_args

from inspect_ai.model import Model
from inspect_ai.util import collect

from benchmark.errors import HumorBenchError

from . import stats
from .judge import LIKELIHOOD_METHODS, MeaningGate, OrderVerdict, cloze_preference, features_api, likelihood_api, meaning_gate_for
from .probe import has_probe, load_probe
from .verdict_cache import CachedJudge

JudgeMethod = Literal["auto", "mcp", "cloze", "cloze_meaning", "probe"]  # how the judge is asked; auto: per judge
ResolvedMethod = Literal["mcp", "cloze", "cloze_meaning", "probe"]  # what `auto` becomes for one judge
McpMode = Literal["auto", "reason", "direct"]
ReferenceChoice = Literal["hash", "first", "all"]  # which teacher references (scorer.select_references)
DEFAULT_LOCAL_METHOD: ResolvedMethod = "cloze_meaning"


@dataclass(frozen=True)
class JudgeSettings:
    """How the judge is asked and used; flows unchanged from the task (or a command) down to `judge_pair`.

    `judge_pair` reads the first group (a pair in both orders); the scorer also reads the second (which
    references, which judge roles, the tie check, the verdict cache). Checked once, when built.
    """

    method: JudgeMethod = "auto"
    mcp_mode: McpMode = "auto"
    max_retries: int = 2
    cloze_temperature: float = 1.0
    tie_margin: float = stats.SOFT_TIE_MARGIN
    inspect_cache: bool = True  # Inspect's cache of the judge's first-attempt MCP calls
    gate: MeaningGate | None = None  # cloze_meaning's constants; None = those fitted for the judge
    # the scorer's
    reference: ReferenceChoice = "hash"
    reference_seed: int = 0
    roles: tuple[str, ...] = ("grader",)  # the judges' model roles, first = primary ("grader,grader_2" is split)
    tie_check: bool = True
    verdict_cache: str | PathLike | None = None  # our verdict cache's file (verdict_cache.py); None = off

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", role_list(self.roles))
        if isinstance(self.verdict_cache, PathLike):
            object.__setattr__(self, "verdict_cache", fspath(self.verdict_cache))
        for name, valid, fix in SETTING_CHECKS:
            if not valid(getattr(self, name)):
                raise HumorBenchError(f"judge setting '{name}' is {getattr(self, name)!r}; {fix}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data (task metadata, the log's record of the scorer's arguments)."""
        return {**asdict(self), "roles": list(self.roles)}

    _repr_params_ = as_dict  # how Inspect records this scorer argument in the log


def role_list(roles: str | Sequence[str]) -> tuple[str, ...]:
    """'grader,grader_2' or ['grader', 'grader_2'] (-T splits on commas) -> role names."""
    raw = roles.split(",") if isinstance(roles, str) else roles if isinstance(roles, Sequence) else ()
    return tuple(str(r).strip() for r in raw if str(r).strip())


def _one_of(kind: Any) -> tuple[Callable[[Any], bool], str]:
    return (lambda value: value in get_args(kind)), f"choose one of: {', '.join(get_args(kind))}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# (field, valid?, the fix named in the error): JudgeSettings checks itself against this table when built
SETTING_CHECKS: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("method", *_one_of(JudgeMethod)),
    ("mcp_mode", *_one_of(McpMode)),
    ("reference", *_one_of(ReferenceChoice)),
    ("max_retries", _whole, "pass a whole number >= 0"),
    ("reference_seed", _whole, "pass a whole number >= 0"),
    ("cloze_temperature", lambda v: _number(v) and v > 0, "pass a positive number"),
    ("tie_margin", lambda v: _number(v) and v >= 0, "pass a number >= 0"),
    ("inspect_cache", lambda v: isinstance(v, bool), "pass true or false"),
    ("tie_check", lambda v: isinstance(v, bool), "pass true or false"),
    ("roles", lambda v: bool(v) and len(set(v)) == len(v), "name one or more distinct model roles, e.g. grader or grader,grader_2"),
    ("verdict_cache", lambda v: v is None or isinstance(v, str), "pass the path of a verdict-cache file, or None for no cache"),
)


def can_score_likelihoods(judge: Model) -> bool:
    return callable(getattr(judge.api, "continuation_logprobs", None))


def resolve_method(method: JudgeMethod, judge: Model) -> ResolvedMethod:
    """auto: the reward probe when one was fitted for this judge, else cloze_meaning when the judge
    scores continuations (local weights), else the MCP prompt."""
    if method == "probe":
        features_api(judge)  # raises a clear error when the judge cannot
        load_probe(str(judge))  # ... or when no probe was fitted for it
        return "probe"
    if method in LIKELIHOOD_METHODS:
        likelihood_api(judge)  # raises a clear error when the judge cannot
        return method  # type: ignore[return-value]
    if method == "mcp":
        return "mcp"
    if method == "auto":
        if has_probe(str(judge)) and callable(getattr(judge.api, "continuation_features", None)):
            return "probe"
        return DEFAULT_LOCAL_METHOD if can_score_likelihoods(judge) else "mcp"
    raise HumorBenchError(f"unknown method '{method}'; choose one of: {', '.join(get_args(JudgeMethod))}")


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
    judge: CachedJudge, method: ResolvedMethod, first: str, second: str, settings: JudgeSettings
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
    mode, retries, cache = settings.mcp_mode, settings.max_retries, settings.inspect_cache
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
