"""The trainers' two data files: teacher pairs and critic preferences (JSONL), validated and hashed.

Why strict: a training run is long; a malformed or empty file must stop it before any model is
loaded, with the file, the line and the fix in one sentence. Files are written atomically so an
interrupted run never leaves a half file that a resumed run would trust.

Pairs (teacher data), one literal/humorous pair a line (N per input):
    {"id": "id-train-001", "input": "<literal sentence>", "paraphrase": "<humorous>", "source": "authored:id/train"}
Preferences (critic feedback), one labeled candidate pair a line:
    {"id", "prompt": "<literal sentence>", "chosen", "rejected", "p_chosen": critic P(chosen better),
     "reference": <a teacher paraphrase or null, the MLE target of BRIO>, "distance", "length_ratio",
     "critic", "method", "source"}
`prompt` is the literal input, not a chat prompt: the student prompt is applied at training time with
`solvers.paraphrase.student_messages`, so data never goes stale when the prompt changes.
"""

from __future__ import annotations

import hashlib
import resource
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmark.board import files
from benchmark.board.files import jsonl_objects
from benchmark.errors import HumorBenchError

PAIR_KEYS = {"id": str, "input": str, "paraphrase": str}
PREFERENCE_KEYS = {"id": str, "prompt": str, "chosen": str, "rejected": str, "p_chosen": (int, float)}


class DataFileError(HumorBenchError):
    """A data file that cannot be trained on; the message names the file, the line and the fix."""


def read_jsonl(path: str | Path, required: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Validated records of a JSONL file; blank lines are skipped, an empty file is an error."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{kind} file '{path}' does not exist; create it first (see `humor-bench train --help`)")
    records = []
    for where, record in jsonl_objects(path, DataFileError, f"keys {', '.join(required)}", where="{name} line {number}",
                                       fix="fix or remove the line"):
        for key, kind_type in required.items():
            value = record.get(key)
            if not isinstance(value, kind_type) or (isinstance(value, str) and not value.strip()):
                raise DataFileError(f"{where}: '{key}' is missing or not a non-empty {_type_name(kind_type)}")
        records.append(record)
    if not records:
        raise DataFileError(f"{kind} file '{path}' is empty; regenerate it (delete it and rerun the recipe)")
    return records


def read_pairs(path: str | Path) -> list[dict[str, Any]]:
    return read_jsonl(path, PAIR_KEYS, "teacher pairs")


def read_preferences(path: str | Path) -> list[dict[str, Any]]:
    records = read_jsonl(path, PREFERENCE_KEYS, "preference")
    for number, record in enumerate(records, 1):
        if not 0.0 <= float(record["p_chosen"]) <= 1.0:
            raise DataFileError(f"{Path(path).name} record {number}: 'p_chosen' must be a probability in [0, 1]")
    return records


def write_json(obj: Any, path: str | Path) -> Path:
    """Pretty JSON through the one atomic writer; `default=str` because manifests carry trainer values
    (enums, paths) that JSON cannot hold as they are."""
    return files.write_json(obj, Path(path), ensure_ascii=False, default=str)


def read_timings(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    path = Path(run_dir) / "timings.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def clock() -> tuple[float, float]:
    """(wall, CPU) seconds now; CPU counts this process and its finished children (the inspect subprocesses),
    so a stage's CPU seconds say what it cost on a shared machine, where wall time also counts the waiting."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic(), own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def record_time(run_dir: str | Path, stage: str, started: tuple[float, float], **extra: Any) -> float:
    """run_dir/timings.json: stage -> wall and CPU seconds since `started` (a `clock()`) and details (the
    last run of each stage); returns the wall seconds."""
    wall, cpu = clock()
    timings = read_timings(run_dir)
    timings[stage] = {"seconds": round(wall - started[0], 1), "cpu_seconds": round(cpu - started[1], 1), **extra,
                      "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_json(timings, Path(run_dir) / "timings.json")
    return wall - started[0]


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_file(path: str | Path) -> dict[str, Any]:
    """What a manifest records about a data file: path, sha256 and record count."""
    path = Path(path)
    n = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {"path": str(path), "sha256": file_sha256(path), "records": n}


def group_pairs(pairs: list[dict[str, Any]]) -> dict[str, tuple[str, list[str]]]:
    """id -> (input, [paraphrases]) in file order: the teacher's N outputs per input."""
    groups: dict[str, tuple[str, list[str]]] = {}
    order: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        groups.setdefault(pair["id"], (pair["input"], order[pair["id"]]))
        order[pair["id"]].append(pair["paraphrase"])
    return groups


def _type_name(kind_type: Any) -> str:
    return "number" if isinstance(kind_type, tuple) else {str: "string"}.get(kind_type, str(kind_type))
