"""Suite files -> validated items -> Inspect datasets.

Why strict validation: the suites are the yardstick; a malformed line must stop a run before any
model is called, with the file, the line and the fix in one sentence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from benchmark.errors import HumorBenchError

DATA_DIR = Path(__file__).parent / "data"

# suite -> split -> file in benchmark/data
SUITES: dict[str, dict[str, str]] = {
    "id": {"test": "id_test.jsonl", "train": "id_train.jsonl", "dev": "id_dev.jsonl"},
    "ood": {"test": "ood_test.jsonl"},
}
SUITE_DESCRIPTIONS = {
    "id": "in-domain: literal first-person sentences about experiences and feelings (EmpatheticDialogues style)",
    "ood": "out-of-distribution: short chat lines about plans, logistics and banter (SAMSum style)",
}
# Who wrote each suite's references: the judge's self-preference flag compares this with its name.
TEACHER_FAMILY = {"id": "human", "ood": "human"}
REQUIRED_KEYS = ("id", "input", "references", "metadata")
N_REFERENCES = 3


class SuiteError(HumorBenchError):
    """A suite name, split or line that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class SuiteItem:
    id: str
    input: str
    references: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    devices: tuple[str, ...] = ()


def suite_path(suite: str, split: str = "test") -> Path:
    if suite not in SUITES:
        raise SuiteError(f"suite '{suite}' not found; choose one of: {', '.join(SUITES)}")
    if split not in SUITES[suite]:
        raise SuiteError(f"suite '{suite}' has no split '{split}'; choose one of: {', '.join(SUITES[suite])}")
    path = DATA_DIR / SUITES[suite][split]
    if not path.is_file():
        raise SuiteError(f"{path} is missing; reinstall humor-bench (pip install -e .) to restore the suite files")
    return path


def parse_item(line: str, where: str) -> SuiteItem:
    """One JSONL line -> SuiteItem, or a SuiteError that says which line and what to fix."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as ex:
        raise SuiteError(f"{where}: not valid JSON ({ex.msg}); fix or remove the line") from None
    except RecursionError:
        raise SuiteError(f"{where}: JSON nested too deeply; a suite line is one flat object") from None
    if not isinstance(record, dict):
        raise SuiteError(f"{where}: expected a JSON object with keys {', '.join(REQUIRED_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise SuiteError(f"{where}: missing key(s) {', '.join(missing)}; every line needs {', '.join(REQUIRED_KEYS)}")
    if not isinstance(record["id"], str) or not record["id"].strip():
        raise SuiteError(f"{where}: 'id' must be a non-empty string")
    if not isinstance(record["input"], str) or not record["input"].strip():
        raise SuiteError(f"{where}: 'input' must be a non-empty string")
    refs = record["references"]
    if (
        not isinstance(refs, list)
        or len(refs) != N_REFERENCES
        or not all(isinstance(r, str) and r.strip() for r in refs)
    ):
        raise SuiteError(f"{where}: 'references' must be a list of {N_REFERENCES} non-empty strings")
    if not isinstance(record["metadata"], dict):
        raise SuiteError(f"{where}: 'metadata' must be a JSON object (e.g. {{\"emotion\": \"proud\"}})")
    devices = record.get("devices", [])
    if not isinstance(devices, list):
        raise SuiteError(f"{where}: 'devices' must be a list of strings")
    return SuiteItem(
        id=record["id"].strip(),
        input=record["input"].strip(),
        references=tuple(r.strip() for r in refs),
        metadata=dict(record["metadata"]),
        devices=tuple(str(d) for d in devices),
    )


def read_items(path: str | Path) -> list[SuiteItem]:
    """All items of a JSONL suite file; ids must be unique."""
    path = Path(path)
    items: list[SuiteItem] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as ex:
        raise SuiteError(f"{path.name}: not UTF-8 text (byte {ex.start}); re-save the file as UTF-8") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item = parse_item(line, f"{path.name} line {number}")
        if item.id in seen:
            raise SuiteError(
                f"{path.name} line {number}: duplicate id '{item.id}' (first on line {seen[item.id]}); ids must be unique"
            )
        seen[item.id] = number
        items.append(item)
    if not items:
        raise SuiteError(f"{path} has no items; a suite file needs one JSON object per line")
    return items


def load_suite(suite: str, split: str = "test") -> list[SuiteItem]:
    return read_items(suite_path(suite, split))


def suite_dataset(suite: str, split: str = "test", items: list[SuiteItem] | None = None) -> MemoryDataset:
    """Inspect dataset: input = the literal sentence, target = the 3 references, metadata for grouping."""
    items = items if items is not None else load_suite(suite, split)
    samples = [
        Sample(
            id=item.id,
            input=item.input,
            target=list(item.references),
            metadata={
                **item.metadata,
                "suite": suite,
                "split": split,
                "devices": list(item.devices),
                "teacher_family": TEACHER_FAMILY.get(suite),
            },
        )
        for item in items
    ]
    return MemoryDataset(samples, name=f"humor_{suite}_{split}")
