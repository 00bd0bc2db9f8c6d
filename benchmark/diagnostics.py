"""Judge sanity checks that need no student: does the arbiter prefer a teacher reference to a copy of the input?

Why: a judge that cannot tell a joke from the literal sentence it paraphrases gives WTRs that mean
nothing. The check asks the cloze arbiter, item by item, whether each reference beats a verbatim
copy of the input; the acceptance bar for the embedded judge is 80 % of items.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from inspect_ai.model import get_model

from benchmark.suites import SuiteItem
from scorers.judge import cloze_humor_scores, likelihood_api
from scorers.pairwise import select_references


def reference_vs_copy(items: list[SuiteItem], judge: str = "local/smollm2-135m", reference_seed: int = 0) -> dict:
    """Share of items whose reference out-scores a verbatim copy of the input under the cloze arbiter."""
    api = likelihood_api(get_model(judge))

    async def score_all() -> list[list[float]]:
        jobs = [cloze_humor_scores(api, it.input, [it.input, *it.references]) for it in items]
        return list(await asyncio.gather(*jobs))

    start = time.monotonic()
    scores = asyncio.run(score_all())
    seconds = time.monotonic() - start
    chosen_wins, all_three, per_reference = 0, 0, 0
    for item, (copy_score, *ref_scores) in zip(items, scores):
        chosen = select_references(list(item.references), item.id, "hash", reference_seed)[0]
        chosen_wins += ref_scores[item.references.index(chosen)] > copy_score
        all_three += all(s > copy_score for s in ref_scores)
        per_reference += sum(s > copy_score for s in ref_scores)
    n = len(items)
    return {
        "judge": judge,
        "arbiter": "cloze",
        "n_items": n,
        "chosen_reference_beats_copy": chosen_wins / n,
        "all_three_references_beat_copy": all_three / n,
        "reference_beats_copy_per_reference": per_reference / (3 * n),
        "seconds": round(seconds, 1),
    }


def write_json(data: dict, path: Path) -> Path:
    """Atomic write: a crash never leaves a half-written result file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
    return path
