"""The submission manifest: the board's data contract, stored in each submission log's eval metadata.

`build_manifest` writes it when a student is submitted (board/submit.py); `parse_manifest` checks it when
the board is rebuilt (board/leaderboard.py). Everything a row needs to be reproduced is in it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import subprocess
import time
from collections.abc import Sequence
from typing import Any

from benchmark.board.files import REPO_ROOT
from benchmark.errors import HumorBenchError
from benchmark.humor_wtr import humor_wtr
from benchmark.suites import suite_path
from scorers.verdict_cache import judge_prompts_hash

SUBMISSION_KEY = "humor_bench_submission"  # eval metadata key holding the manifest
MANIFEST_SCHEMA = 1
KINDS = ("submission", "baseline-embedded", "baseline-teacher", "scripted")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DECODING_KEYS = ("prompt_style", "temperature", "top_p", "max_tokens", "num_beams", "seed")


class ManifestError(HumorBenchError):
    """A submission manifest that is malformed; the message names the field."""


def parse_manifest(raw: Any) -> dict:
    """Validate the manifest stored in a log's eval metadata (types only; values are shown as they are)."""
    if not isinstance(raw, dict):
        raise ManifestError(f"manifest must be an object, got {type(raw).__name__}")
    if raw.get("schema") != MANIFEST_SCHEMA:
        raise ManifestError(f"manifest schema {raw.get('schema')!r} is not {MANIFEST_SCHEMA}; re-submit with this humor-bench")
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ManifestError(f"manifest name {name!r} is not a valid submission name")
    if raw.get("kind") not in KINDS:
        raise ManifestError(f"manifest kind {raw.get('kind')!r} is not one of {', '.join(KINDS)}")
    for key in ("student", "judge"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ManifestError(f"manifest field '{key}' must be a non-empty string")
    for key in ("decoding", "data_sha256"):
        if not isinstance(raw.get(key), dict):
            raise ManifestError(f"manifest field '{key}' must be an object")
    for key in ("checkpoint_sha256", "judge_prompt_sha256", "harness_version", "git_revision"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ManifestError(f"manifest field '{key}' must be a string or null")
    return dict(raw)


def data_sha256(suite: str, split: str = "test") -> str:
    return hashlib.sha256(suite_path(suite, split).read_bytes()).hexdigest()


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        # results/ is data (logs, boards) that every submission changes: only code makes a revision dirty
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head.stdout.strip() or "unknown") + ("-dirty" if dirty.stdout.strip() else "")


def harness_version() -> str:
    try:
        return importlib.metadata.version("humor-bench")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def build_manifest(name: str, student: Any, judge: str, suites: Sequence[str], params: dict, limit: int | None) -> dict:
    """Everything a row needs to be reproduced, stored in each log's eval metadata."""
    settings = humor_wtr(suite=suites[0], **params).metadata["settings"]
    return {
        "schema": MANIFEST_SCHEMA,
        "name": name,
        "kind": student.kind,
        "student": student.model,
        "checkpoint": student.checkpoint,
        "checkpoint_sha256": student.checkpoint_sha256,
        "decoding": {k: settings.get(k) for k in DECODING_KEYS},
        "params": params,
        "limit": limit,
        "judge": judge,
        "judge_prompt_sha256": judge_prompts_hash(),
        "data_sha256": {suite: data_sha256(suite, settings["split"]) for suite in suites},
        "harness_version": harness_version(),
        "git_revision": git_revision(),
        "submitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
