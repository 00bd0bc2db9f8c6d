"""Per-item values out of an Inspect log of the humor tasks, with clear errors for the wrong file."""

from __future__ import annotations

from pathlib import Path

from inspect_ai.log import EvalLog, read_eval_log

from scorers.stats import item_wtr

SCORER = "pairwise_humor_judge"
SUITE_OF_TASK = {"humor_wtr_id": "id", "humor_wtr_ood": "ood"}  # the task names of benchmark/humor_wtr.py


def read_log(path: str | Path) -> EvalLog:
    """A whole Inspect log, or a one-line error naming the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"log '{path}' not found; pass an .eval file from results/logs (see `inspect log list`)")
    try:
        return read_eval_log(str(path))
    except Exception as ex:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        raise ValueError(f"'{path}' is not a readable Inspect log ({type(ex).__name__}); pass an .eval file") from None


def item_wtr_values(path: str | Path) -> dict[str, float]:
    """item id -> headline value (stats.item_wtr: a flip counts half); NaN for an invalid item."""
    log = read_log(path)
    values: dict[str, float] = {}
    for sample in log.samples or []:
        score = (sample.scores or {}).get(SCORER)
        if score is None or not isinstance(score.value, dict):
            continue
        values[str(sample.id)] = item_wtr(score.value)
    if not values:
        raise ValueError(f"'{path}' has no {SCORER} scores; compare logs of benchmark/humor_wtr.py runs")
    return values
