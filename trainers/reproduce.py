"""The paper's Tables 2 and 3 at small scale: evaluate each student, judged twice, plus read-by-hand labels.

For every student and suite (eval.suites: id = Table 2, ood = Table 3):
  critic  `inspect eval benchmark/humor_wtr.py@humor_wtr_<suite> --model hf-folder/<checkpoint>
          --model-role grader=<critic>`: the student's outputs judged by the critic that labeled its
          feedback (the paper's WTR_llama2);
  judge   the same log judged again by eval.independent_judge (`benchmark.board.rescore.rescore_log`, Inspect
          score_async: no second generation), a model and rule other than the critic's (WTR_GPT4's role);
  read    the labels that `humor-bench annotate` holds for those very pairs (Table 6's role).
A log is reused while it carries its checkpoint's fingerprint (the same configuration, data and
parents), or when the checkpoint is gone (delete the log to redo it), so the command resumes in
pieces and, with eval.log_dir under results/, in a later checkout; each stage's wall and CPU seconds
go to run_dir/timings.json.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from benchmark.board.files import REPO_ROOT
from benchmark.board.logs import SCORER
from benchmark.errors import MissingInputError, StepFailedError
from scorers.stats import item_wtr

from . import data as datafiles
from .checkpoints import MANIFEST, read_manifest
from .config import RecipeConfig

FINGERPRINT_KEY = "checkpoint_fingerprint"  # eval metadata: which checkpoint configuration made the outputs


@dataclass(frozen=True)
class Judging:
    """One judge column: who judges and with which task arguments."""

    kind: str  # critic | judge
    model: str
    task_args: dict[str, Any]


def judgings(cfg: RecipeConfig) -> list[Judging]:
    """The critic (its feedback method) and, when configured, the independent judge (method auto)."""
    critic_args = dict(cfg.eval.task_args)
    if cfg.feedback.method != "auto" and "arbiter" not in critic_args:  # arbiter: the deprecated name of -T method
        critic_args.setdefault("method", cfg.feedback.method)
    out = [Judging("critic", cfg.eval.judge or cfg.feedback.critic, critic_args)]
    if cfg.eval.independent_judge:
        out.append(Judging("judge", cfg.eval.independent_judge, {k: v for k, v in cfg.eval.task_args.items() if k not in ("arbiter", "method")}))
    return out


def log_folder(cfg: RecipeConfig, student: str, suite: str, kind: str) -> Path:
    return _repo_path(Path(cfg.eval.log_dir or Path(cfg.run_dir) / "logs") / student / suite / kind)


def eval_command(cfg: RecipeConfig, student: str, suite: str = "id") -> list[str]:
    """The `inspect eval` command line of one student on one suite, judged by the critic."""
    checkpoint = _repo_path(Path(cfg.run_dir) / student)
    critic = judgings(cfg)[0]
    command = ["inspect", "eval", f"{cfg.eval.task}@humor_wtr_{suite}", "--model", f"hf-folder/{checkpoint}",
               "--model-role", f"grader={critic.model}"]
    for key, value in critic.task_args.items():
        command += ["-T", f"{key}={value}"]
    for key, value in cfg.eval.model_args.items():
        command += ["-M", f"{key}={value}"]
    if cfg.eval.limit:
        command += ["--limit", str(cfg.eval.limit)]
    made = checkpoint_fingerprint(Path(cfg.run_dir) / student)
    if made:  # lets a later checkout, which retrains the same configuration, reuse this log
        command += ["--metadata", f"{FINGERPRINT_KEY}={made}"]
    return command + ["--log-dir", str(log_folder(cfg, student, suite, "critic"))]


def checkpoint_fingerprint(folder: Path) -> str | None:
    """How the checkpoint was made (config, data, parents; trainers/checkpoints.py), or None."""
    return (read_manifest(folder) or {}).get("fingerprint")


def _repo_path(path: Path) -> Path:
    """Relative to the repository root (where the eval runs) when inside it, else absolute."""
    path = path.resolve()
    return path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path


def evaluate(cfg: RecipeConfig, log: Callable[[str], None] = print) -> dict[tuple[str, str, str], Path]:
    """(student, suite, kind) -> its log, running what is missing or older than the checkpoint.

    Every critic evaluation (the only stage that needs the checkpoints) runs before any rescoring.
    """
    logs: dict[tuple[str, str, str], Path] = {}
    for judging in judgings(cfg):
        for suite in cfg.eval.suites:
            for student in cfg.eval.students:
                folder = REPO_ROOT / log_folder(cfg, student, suite, judging.kind)
                found = fresh_log(folder, Path(cfg.run_dir) / student)
                if found is None:
                    found = _run_stage(cfg, student, suite, judging, logs, log)
                logs[(student, suite, judging.kind)] = found
    return logs


def _run_stage(cfg: RecipeConfig, student: str, suite: str, judging: Judging,
               logs: dict[tuple[str, str, str], Path], log: Callable[[str], None]) -> Path:
    started = datafiles.clock()
    folder = REPO_ROOT / log_folder(cfg, student, suite, judging.kind)
    if judging.kind == "critic":
        command = eval_command(cfg, student, suite)
        log("eval: " + " ".join(command))
        result = subprocess.run([str(Path(sys.executable).parent / "inspect"), *command[1:]], cwd=REPO_ROOT)
        if result.returncode != 0:
            raise StepFailedError(f"evaluation of '{student}' on {suite} failed (exit {result.returncode}): {' '.join(command)}")
        path = latest_log(folder)
    else:
        path = rescore(logs[(student, suite, "critic")], suite, judging, folder, log)
    datafiles.record_time(cfg.run_dir, f"{judging.kind}:{suite}:{student}", started, log=str(_repo_path(path)))
    return path


def rescore(source: Path, suite: str, judging: Judging, folder: Path, log: Callable[[str], None]) -> Path:
    """The critic's log judged again by the independent judge, written beside it."""
    from inspect_ai.log import write_eval_log

    from benchmark.humor_wtr import humor_wtr
    from benchmark.board.rescore import rescore_log

    log(f"rescore: {_repo_path(source)} with {judging.model}")
    scored = asyncio.run(rescore_log(source, humor_wtr(suite=suite, **judging.task_args), judging.model))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    write_eval_log(scored, str(target))
    return target


def fresh_log(folder: Path, checkpoint: Path) -> Path | None:
    """The newest successful log in `folder` of this very checkpoint configuration, or None.

    A log counts when it carries the checkpoint's fingerprint (or neither has one), or when the
    checkpoint is gone (a fresh checkout that has not retrained: the committed logs are all there is).
    """
    from benchmark.board.logs import read_log

    gone = not (checkpoint / MANIFEST).is_file()
    wanted = checkpoint_fingerprint(checkpoint)
    for path in sorted(folder.glob("*.eval"), key=lambda p: p.stat().st_mtime, reverse=True):
        header = read_log(path, header_only=True)
        if header.status == "success" and (gone or (header.eval.metadata or {}).get(FINGERPRINT_KEY) == wanted):
            return path
    return None


def existing_logs(cfg: RecipeConfig) -> dict[tuple[str, str, str], Path]:
    """(student, suite, kind) -> the newest log already in the run folder (`reproduce --skip-eval`)."""
    logs = {}
    for student in cfg.eval.students:
        for suite in cfg.eval.suites:
            for judging in judgings(cfg):
                found = sorted((REPO_ROOT / log_folder(cfg, student, suite, judging.kind)).glob("*.eval"),
                               key=lambda p: p.stat().st_mtime)
                if found:
                    logs[(student, suite, judging.kind)] = found[-1]
    return logs


def latest_log(folder: Path) -> Path:
    found = sorted(folder.glob("*.eval"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise MissingInputError(f"no Inspect log in '{folder}'; run the evaluation first (humor-bench reproduce)")
    return found[-1]


def student_result(log_path: Path, labels: list | None = None) -> dict[str, Any]:
    """WTR, its CI and per-item values (a flip counts half; NaN when invalid); with `labels`, the
    read-by-hand values of the same (student, reference) pairs."""
    from benchmark.board.logs import log_metrics, read_log

    log = read_log(log_path)
    if log.status != "success":
        raise StepFailedError(f"Inspect log '{log_path}' has status '{log.status}'; rerun that evaluation")
    metrics = log_metrics(log)
    values, ratios = {}, []
    for sample in log.samples or []:
        value = sample.scores[SCORER].value if sample.scores and SCORER in sample.scores else None
        values[str(sample.id)] = item_wtr(value) if isinstance(value, dict) else math.nan
        if isinstance(value, dict) and value.get("len_reference"):
            ratios.append(float(value["len_student"]) / float(value["len_reference"]))
    return {"log": str(log_path), "metrics": metrics, "values": values, "judge": _judge_of(log), "model": log.eval.model,
            "length_ratio": sum(ratios) / len(ratios) if ratios else math.nan,
            "read": read_values(log_path, labels) if labels else {}}


def read_values(log_path: Path, labels: list) -> dict[str, float]:
    """item -> read-by-hand value of this log's pairs (1: the student at least as funny; mean over annotators)."""
    from benchmark.board.annotate.pairs import pairs_from_log
    from benchmark.board.annotate.summary import human_item_values

    items: dict[str, list[str]] = {}
    for pair in pairs_from_log(log_path):
        items.setdefault(pair.origin["item_id"], []).append(pair.key)
    return human_item_values(items, labels)


def _judge_of(log: Any) -> str:
    roles = getattr(log.eval, "model_roles", None) or {}
    grader = roles.get("grader")
    return getattr(grader, "model", str(grader)) if grader else "unknown"
