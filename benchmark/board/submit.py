"""Submitting a student: check the checkpoint, run both suites through Inspect, flag degenerate outputs.

The flags come from `benchmark.board.output_checks.validate_outputs` (pure, re-run on every leaderboard rebuild).

Resumability: each (name, judge, settings) gets its own `eval_set` log folder under results/logs/<name>/.
Running the same command again after an interruption reuses finished samples from the logs, and the
judge's verdicts are in the content-addressed verdict cache (`scorers/verdict_cache.py`), so nothing finished is paid twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval_set
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import Model, ModelOutput
from inspect_ai.solver import Generate, Solver, TaskState, solver

from benchmark.board.files import LOG_DIR, repo_relative
from benchmark.board.leaderboard import rebuild
from benchmark.board.logs import read_manifests
from benchmark.board.manifest import NAME_RE, SUBMISSION_KEY, build_manifest
from benchmark.errors import HumorBenchError
from benchmark.humor_wtr import DEPRECATED_PARAMETERS, EMBEDDED_JUDGE, EMBEDDED_STUDENT, TASK_PARAMETER_NAMES, humor_wtr
from benchmark.models.checkpoint import CheckpointError, GenerationSettings, load_checkpoint, validate_checkpoint_dir
from benchmark.models.device import default_device
from scorers.scorer import judge_preflight, select_references
from solvers.paraphrase import student_messages

BASELINES = {"embedded": ("baseline-embedded", "embedded-base"), "teacher": ("baseline-teacher", "teacher-parity")}
PARITY_SEED_OFFSET = 1  # the teacher's "student" reference: hash choice with reference_seed + 1

class SubmissionError(HumorBenchError):
    """A submission that cannot run as asked; the message names the fix."""


# --- checkpoints ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Student:
    model: str  # the Inspect model spec that plays the student
    kind: str
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None


def check_checkpoint(path: str | Path, allow_pickle: bool = False) -> Path:
    """Safe to load (safetensors, no remote code), the tokenizer loads, and the model generates."""
    folder = validate_checkpoint_dir(path, allow_pickle=allow_pickle)
    from transformers import AutoTokenizer

    try:
        AutoTokenizer.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
    except Exception as ex:  # noqa: BLE001 - any loader failure becomes one actionable line
        raise CheckpointError(
            f"checkpoint '{path}': the tokenizer does not load ({type(ex).__name__}); "
            "save it into the same folder with tokenizer.save_pretrained(folder)"
        ) from None
    try:
        ckpt = load_checkpoint(folder, device=default_device(), allow_pickle=allow_pickle)
        ckpt.generate([ckpt.render_chat(student_messages("I missed the bus this morning."))], GenerationSettings(max_new_tokens=4))
    except CheckpointError:
        raise
    except Exception as ex:  # noqa: BLE001
        raise CheckpointError(
            f"checkpoint '{path}': the model does not load or generate ({type(ex).__name__}: {str(ex)[:120]}); "
            "re-save it with model.save_pretrained(folder, safe_serialization=True)"
        ) from None
    return folder


def folder_sha256(folder: Path) -> str:
    """Content hash of a checkpoint folder: every regular file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def resolve_student(checkpoint: str | None, baseline: str | None = None, allow_pickle: bool = False) -> Student:
    """CHECKPOINT folder, `local/<alias>`, `scripted/<name>` (test double) or a --baseline."""
    if baseline is not None:
        if baseline not in BASELINES:
            raise SubmissionError(f"unknown baseline '{baseline}'; choose one of: {', '.join(BASELINES)}")
        if baseline == "teacher":
            return Student("none", "baseline-teacher")
        return _embedded_student("baseline-embedded")
    if not checkpoint:
        raise SubmissionError("nothing to submit; pass a CHECKPOINT folder or --baseline embedded|teacher")
    if checkpoint.startswith("scripted/"):
        return Student(checkpoint, "scripted")
    if checkpoint == EMBEDDED_STUDENT:
        return _embedded_student("submission")
    folder = check_checkpoint(checkpoint.removeprefix("hf-folder/"), allow_pickle)
    return Student(f"hf-folder/{_loadable_path(folder)}", "submission", repo_relative(folder), folder_sha256(folder))


def _loadable_path(folder: Path) -> Path:
    """Relative to the working folder when the checkpoint is under it (commands run from the repository
    root, so the logs hold `runs/...`, not the machine's folders); else absolute, which Inspect needs."""
    resolved, here = folder.resolve(), Path.cwd().resolve()
    return resolved.relative_to(here) if resolved.is_relative_to(here) else resolved


def _embedded_student(kind: str) -> Student:
    from benchmark.models.embedded import ensure_converted

    folder = check_checkpoint(ensure_converted())
    return Student(EMBEDDED_STUDENT, kind, repo_relative(folder), folder_sha256(folder))


# --- the teacher's parity baseline ---------------------------------------------------------------------
@solver
def teacher_as_student() -> Solver:
    """The 'student' is one of the teacher's own references (set per sample); no model is called."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        text = state.metadata["teacher_reference"]
        state.output = ModelOutput.from_content(model="teacher", content=text)
        state.metadata["raw_output"] = text
        return state

    return solve


def teacher_parity_task(suite: str, **params: Any) -> Task:
    """One reference of each item judged against another reference of the same item (expected ~50 %).

    The suite task of `humor_wtr` is reused whole (dataset, scorer, judge roles, settings); only the
    student is replaced: reference index hash(reference_seed + 1) plays the student, and the scorer
    picks its usual hash reference among the other two.
    """
    base = humor_wtr(suite=suite, **params)
    settings = base.metadata["settings"]
    samples = []
    for sample in base.dataset:
        refs = list(sample.target)
        chosen = select_references(refs, str(sample.id), "hash", settings["reference_seed"] + PARITY_SEED_OFFSET)[0]
        others = [r for r in refs if r != chosen] or refs
        metadata = {**(sample.metadata or {}), "teacher_reference": chosen}
        samples.append(Sample(id=sample.id, input=sample.input, target=others, metadata=metadata))
    return Task(
        dataset=MemoryDataset(samples, name=f"{base.dataset.name}_teacher_parity"),
        solver=[judge_preflight(settings["arbiter"]), teacher_as_student()],
        scorer=base.scorer,
        model_roles=base.model_roles,
        name=base.name,
        version=base.version,
        metadata={**base.metadata, "settings": {**settings, "student": "teacher-parity"}},
    )


# --- manifest and running ------------------------------------------------------------------------------
def _run_folder(root: Path, manifest: dict) -> Path:
    keyed = {k: manifest[k] for k in ("student", "checkpoint_sha256", "params", "limit", "judge", "data_sha256")}
    key = hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:10]
    judge_slug = re.sub(r"[^A-Za-z0-9.-]+", "_", manifest["judge"]).strip("_")[:48]
    return root / manifest["name"] / f"{judge_slug}-{key}"


def _check_name(root: Path, name: str, student: Student, replace: bool) -> None:
    """A name belongs to one checkpoint: refuse to mix two under one row unless --replace."""
    for path, manifest in read_manifests(root / name):
        if manifest.get("checkpoint_sha256") != student.checkpoint_sha256 or manifest.get("student") != student.model:
            if not replace:
                raise SubmissionError(
                    f"name '{name}' already holds another student ({manifest.get('student')}, log {path.name}); "
                    "choose another --name, or pass --replace to let this submission supersede it"
                )


def run_submission(
    name: str,
    student: Student | Model,
    graders: Sequence[str | Model] = (),
    suites: Sequence[str] = ("id", "ood"),
    limit: int | None = None,
    params: dict | None = None,
    log_root: str | Path = LOG_DIR,
    out_dir: str | Path | None = "results",
    replace: bool = False,
    allow_pickle: bool = False,
    **eval_kwargs: Any,
) -> list[dict]:
    """Run the suites for one student and each grader (default: the task's embedded judge), then rebuild.

    `student` may be an Inspect Model (tests); returns this name's leaderboard rows.
    """
    if not NAME_RE.match(name or ""):
        raise SubmissionError(f"bad --name '{name}'; use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    model: Any = student
    if isinstance(student, Model):
        student = Student(str(student), "scripted")
    else:
        model = student.model
    params = dict(params or {})
    known = {*TASK_PARAMETER_NAMES, *DEPRECATED_PARAMETERS}  # deprecated names still run, for one version
    if set(params) - known:
        raise SubmissionError(f"unknown task parameter(s) {', '.join(sorted(set(params) - known))}; valid: {', '.join(sorted(known))}")
    root = Path(log_root)
    _check_name(root, name, student, replace)
    eval_kwargs.setdefault("display", "none")
    if allow_pickle:
        eval_kwargs.setdefault("model_args", {"allow_pickle": True})
    for grader in graders or [EMBEDDED_JUDGE]:
        manifest = build_manifest(name, student, str(grader), suites, params, limit)
        make = teacher_parity_task if student.kind == "baseline-teacher" else humor_wtr
        tasks = [make(suite=suite, **params) for suite in suites]
        folder = _run_folder(root, manifest)
        ok, logs = eval_set(
            tasks, log_dir=str(folder), model=model, model_roles={"grader": grader}, limit=limit,
            metadata={SUBMISSION_KEY: manifest}, **eval_kwargs,
        )
        if not ok:
            failed = [log for log in logs if log.status != "success"]
            reason = failed[0].error.message.splitlines()[0] if failed and failed[0].error else "interrupted"
            raise SubmissionError(
                f"submission '{name}' with judge {grader} did not finish ({reason[:160]}); run the same command "
                f"again to resume: finished samples and judge calls in {folder} are reused"
            )
    if out_dir is None:
        return []
    board = rebuild(root, Path(out_dir))
    return [row for row in board.rows if row["name"] == name]
