"""Judge sanity checks that need no student: does the judge prefer a teacher reference to a copy of the input?

Why: a judge that cannot tell a joke from the literal sentence it paraphrases gives WTRs that mean
nothing. The check asks the judge (through the one pair path, `scorers.pairwise.judge_pair`), item by
item, whether each reference beats a verbatim copy of the input.
"""

from __future__ import annotations

import asyncio
import time

from inspect_ai.model import get_model

from benchmark.suites import SuiteItem
from scorers.verdict_cache import CachedJudge, CallLedger
from scorers.pairwise import JudgeSettings, first_side_probability, judge_pair, resolve_method
from scorers.scorer import select_references


def reference_vs_copy(items: list[SuiteItem], judge: str, method: str = "auto", reference_seed: int = 0) -> dict:
    """Share of items whose reference beats a verbatim copy of the input (P(reference) > 0.5, both orders)."""
    model = get_model(judge)
    resolved = resolve_method(method, model)  # type: ignore[arg-type]
    settings = JudgeSettings(method=resolved)

    async def item_wins(item: SuiteItem) -> list[bool]:
        view = CachedJudge(model, None, item.id, item.input, CallLedger())
        verdicts = [await judge_pair(view, resolved, ref, item.input, settings) for ref in item.references]
        return [(first_side_probability(*v) or 0.0) > 0.5 for v in verdicts]

    async def score_all() -> list[list[bool]]:
        return list(await asyncio.gather(*(item_wins(it) for it in items)))

    start = time.monotonic()
    wins = asyncio.run(score_all())
    seconds = time.monotonic() - start
    chosen = [w[item.references.index(select_references(list(item.references), item.id, "hash", reference_seed)[0])]
              for item, w in zip(items, wins)]
    n = len(items)
    return {
        "judge": judge,
        "arbiter": resolved,
        "n_items": n,
        "chosen_reference_beats_copy": sum(chosen) / n,
        "all_three_references_beat_copy": sum(all(w) for w in wins) / n,
        "reference_beats_copy_per_reference": sum(map(sum, wins)) / (3 * n),
        "seconds": round(seconds, 1),
    }

