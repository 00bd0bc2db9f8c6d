"""Student checkpoints: standard HF folders plus a `humor_bench.json` manifest, written atomically.

Why a manifest: the leaderboard and the report must know what a folder is (base model, recipe, data
hashes, critic and method, steps, seed) without guessing from its name; and a resumed run must know
whether a folder is finished and was made by the same configuration (`fingerprint`).
A folder without a complete manifest is never trusted: it is retrained.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from .data import write_json

MANIFEST = "humor_bench.json"
MANIFEST_FORMAT = 1


def fingerprint(obj: Any) -> str:
    """A short stable hash of a JSON-able description of how something was made."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def is_complete(folder: str | Path, expected_fingerprint: str) -> bool:
    manifest = read_manifest(folder)
    return bool(manifest and manifest.get("complete") and manifest.get("fingerprint") == expected_fingerprint)


def library_versions() -> dict[str, str]:
    import torch
    import transformers
    import trl

    return {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__}


def save_student(model: Any, tokenizer: Any, out: str | Path, manifest: dict[str, Any]) -> Path:
    """Weights (safetensors), tokenizer and chat template, manifest; the folder appears only when complete."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    record = {
        "format": MANIFEST_FORMAT,
        **manifest,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": library_versions(),
        "complete": True,
    }
    write_json(record, tmp / MANIFEST)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def last_trainer_checkpoint(work_dir: str | Path) -> str | None:
    """The newest `checkpoint-N` a Trainer left in `work_dir` (to resume after a crash), if any."""
    from transformers.trainer_utils import get_last_checkpoint

    work_dir = Path(work_dir)
    return get_last_checkpoint(str(work_dir)) if work_dir.is_dir() else None
