"""The one reader of this task's Inspect logs: whole logs, submission headers, per-item values.

Every `.eval` read of a humor_wtr log goes through here, so a wrong or broken file gets the same one-line
answer everywhere (`LogError`, naming the file and why).
"""

from __future__ import annotations

from pathlib import Path

from inspect_ai.log import EvalLog, read_eval_log

from benchmark.board.manifest import SUBMISSION_KEY, parse_manifest
from benchmark.errors import HumorBenchError, MissingInputError
from scorers.scorer import SCORER_NAME as SCORER  # the key of our Score in every sample
from scorers.stats import item_wtr

SUITE_OF_TASK = {"humor_wtr_id": "id", "humor_wtr_ood": "ood"}  # the task names of benchmark/humor_wtr.py


class LogError(HumorBenchError):
    """A log that cannot be used as asked; the message names the file and why."""


def read_log(path: str | Path, header_only: bool = False) -> EvalLog:
    """An Inspect log (or only its header), or a one-line error naming the file and the fix."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"log '{path}' not found; pass an .eval file from results/logs (see `inspect log list`)")
    try:
        return read_eval_log(str(path), header_only=header_only)
    except Exception as ex:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        raise LogError(f"{path}: not a readable Inspect log ({type(ex).__name__}); pass an .eval file") from None


def log_metrics(log: EvalLog) -> dict[str, float]:
    """Every metric of the log's scores by name (the first scorer's value where two share a name)."""
    metrics: dict[str, float] = {}
    for score in log.results.scores if log.results else []:
        metrics.update({name: m.value for name, m in score.metrics.items() if name not in metrics})
    return metrics


def submission_header(path: str | Path) -> tuple[str, str, dict]:
    """(suite, created, manifest) of a finished submission log, or LogError saying why it is not one."""
    log = read_log(path, header_only=True)
    suite = SUITE_OF_TASK.get(log.eval.task)
    if suite is None:
        raise LogError(f"{path}: foreign log (task '{log.eval.task}', not {' or '.join(SUITE_OF_TASK)})")
    if log.status != "success":
        raise LogError(f"{path}: status '{log.status}': unfinished (run the same submit command again to resume)")
    metadata = log.eval.metadata or {}
    if SUBMISSION_KEY not in metadata:
        raise LogError(f"{path}: ad-hoc run without a submission manifest (use `humor-bench submit` to make a row)")
    return suite, str(log.eval.created), parse_manifest(metadata[SUBMISSION_KEY])


def read_manifests(folder: Path) -> list[tuple[Path, dict]]:
    """Manifests of the readable submission logs under a folder (any status), for name checks."""
    found = []
    for path in sorted(folder.rglob("*.eval")) if folder.is_dir() else []:
        try:
            metadata = read_log(path, header_only=True).eval.metadata or {}
            found.append((path, parse_manifest(metadata[SUBMISSION_KEY])))
        except (HumorBenchError, KeyError):  # unreadable logs are the leaderboard's business, not the name check's
            continue
    return found


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
        raise LogError(f"'{path}' has no {SCORER} scores; compare logs of benchmark/humor_wtr.py runs")
    return values
