"""`humor-bench rescore NAME --grader JUDGE`: judge a row's logged outputs again with another judge.

Why: the student's outputs are in its logs, so a new judge needs no checkpoint and no generation
(Arena-Hard's lesson: keep answers and judgments as separate files). Each suite's latest successful
log of the row under the source judge is scored by the task's own scorer (same task parameters) with
`grader` bound, through Inspect's `score_async`; the new log gets the row's manifest with the new
judge, the current judge-prompt hash and `rescored_from` (the source judge and log), and lands in
the row's folder for that judge, where `humor-bench leaderboard` finds it as a second judge section.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from inspect_ai import score_async
from inspect_ai.log import write_eval_log

from benchmark.board.files import LOG_DIR
from benchmark.board.logs import LogError, read_log, submission_header
from benchmark.board.manifest import SUBMISSION_KEY
from benchmark.board.submit import SubmissionError, _run_folder, teacher_parity_task
from benchmark.humor_wtr import humor_wtr
from scorers.verdict_cache import judge_prompts_hash

# The student is not run again (its outputs are read from the log); Inspect still needs a model bound.
NO_STUDENT = "scripted/echo"


def source_logs(root: Path, name: str, from_judge: str | None) -> dict[str, tuple[Path, dict]]:
    """Per suite, the latest successful submission log of `name` (judged by `from_judge`, if given)."""
    found: dict[str, tuple[str, Path, dict]] = {}
    for path in sorted((root / name).rglob("*.eval")):
        try:
            suite, created, manifest = submission_header(path)
        except LogError:
            continue  # foreign, unfinished or ad-hoc: not a source
        if manifest.get("rescored_from") or (from_judge and manifest["judge"] != from_judge):
            continue
        if suite not in found or created > found[suite][0]:
            found[suite] = (created, path, manifest)
    if not found:
        raise SubmissionError(f"no successful submission log of '{name}' under {root / name}"
                              + (f" judged by {from_judge}" if from_judge else "") + "; see `humor-bench leaderboard`")
    return {suite: (path, manifest) for suite, (_, path, manifest) in found.items()}


async def rescore_log(path: Path, task: Any, grader: str):
    """The log at `path` judged again by `grader` with `task`'s scorer (Inspect score_async); not written."""
    log = read_log(path)
    scored = await score_async(log, task.scorer, model=NO_STUDENT, model_roles={"grader": grader}, action="overwrite", display="none")
    if scored.eval.model_roles and "grader" in scored.eval.model_roles:
        scored.eval.model_roles["grader"].model = grader
    return scored


async def _rescore(path: Path, manifest: dict, suite: str, grader: str, root: Path) -> Path:
    make = teacher_parity_task if manifest["kind"] == "baseline-teacher" else humor_wtr
    scored = await rescore_log(path, make(suite=suite, **manifest.get("params", {})), grader)
    new_manifest = {**manifest, "judge": grader, "judge_prompt_sha256": judge_prompts_hash(),
                    "rescored_from": {"judge": manifest["judge"], "log": path.name}}
    scored.eval.metadata = {**(scored.eval.metadata or {}), SUBMISSION_KEY: new_manifest}
    target = _run_folder(root, new_manifest) / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(scored, str(target))
    return target


def rescore(name: str, grader: str, from_judge: str | None = None, root: str | Path = LOG_DIR) -> list[Path]:
    """Rescore each suite's log of the row `name` with `grader`; returns the new logs' paths."""
    root = Path(root)
    written = []
    for suite, (path, manifest) in sorted(source_logs(root, name, from_judge).items()):
        written.append(asyncio.run(_rescore(path, manifest, suite, grader, root)))
    return written


def describe(paths: list[Path]) -> list[dict[str, Any]]:
    out = []
    for path in paths:
        log = read_log(path, header_only=True)
        metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()} if log.results else {}
        out.append({"log": str(path), "task": log.eval.task, "wtr": metrics.get("wtr")})
    return out
