"""Pairs to label: a student's output against the reference it was judged with, or rows of a pairs file."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from benchmark.board.annotate.store import AnnotateError, Pair
from benchmark.board.files import repo_relative
from benchmark.board.logs import SCORER, SUITE_OF_TASK, read_log
from benchmark.board.manifest import SUBMISSION_KEY
from benchmark.tools.judge_report import load_labeled_pairs

CARRIED_FIELDS = ("case", "note", "student", "split")  # pairs-file fields that travel to the export


def pairs_from_log(path: str | Path) -> list[Pair]:
    """(student output, judged reference) for every scored sample of one humor_wtr log."""
    path = Path(path)
    log = read_log(path)
    suite = SUITE_OF_TASK.get(log.eval.task)
    if suite is None:
        raise AnnotateError(f"'{path}' is a log of task '{log.eval.task}', not of benchmark/humor_wtr.py "
                            f"({' or '.join(SUITE_OF_TASK)}); pass a log of this benchmark")
    manifest = (log.eval.metadata or {}).get(SUBMISSION_KEY) or {}
    student = str(manifest.get("name") or log.eval.model)
    pairs: list[Pair] = []
    for sample in log.samples or []:
        score = (sample.scores or {}).get(SCORER)
        if score is None:
            continue  # an errored or unscored sample
        text = sample.input if isinstance(sample.input, str) else " ".join(m.text for m in sample.input)
        for k, comparison in enumerate((score.metadata or {}).get("comparisons", [])):
            pair = Pair("", text, str(score.answer or ""), str(comparison["reference"]))
            origin = {"kind": "log", "source": repo_relative(path), "student": student, "suite": suite,
                      "item_id": str(sample.id), "judge": str(manifest.get("judge") or "")}
            suffix = f"#r{k}" if k else ""
            pairs.append(Pair(f"{student}/{sample.id}{suffix}/{pair.key[:8]}", text, pair.a, pair.b, origin))
    if not pairs:
        raise AnnotateError(f"'{path}' has no scored samples ({len(log.samples or [])} samples, status "
                            f"'{log.status}'); pass a finished log of `inspect eval benchmark/humor_wtr.py`")
    return pairs


def pairs_from_file(path: str | Path) -> list[Pair]:
    """Rows of a pairs file (judge_validation.jsonl format); their labels, if any, are not shown or used."""
    rows = load_labeled_pairs(path, labeled=False)
    source = repo_relative(path)
    return [
        Pair(str(r["id"]), r["input"], r["a"], r["b"],
             {"kind": "pairs", "source": source, **{f: r[f] for f in CARRIED_FIELDS if f in r}})
        for r in rows
    ]


def file_labels(path: str | Path) -> dict[str, tuple[str, str | None]]:
    """pair key -> (funnier, more_faithful) as written in a labeled pairs file (for `--import`)."""
    return {Pair("", r["input"], r["a"], r["b"]).key: (r["funnier"], r.get("more_faithful"))
            for r in load_labeled_pairs(path)}


def seeded_order(keys: list[str], seed: int) -> list[str]:
    """The order every annotator sees (the same for all, so their labels overlap early)."""
    return sorted(dict.fromkeys(keys), key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())


def first_side(annotator: str, key: str, seed: int) -> str:
    """Which side ('a' or 'b') this annotator sees as paraphrase 1: a fair coin per annotator and pair."""
    return "a" if int(hashlib.sha256(f"{seed}:{annotator}:{key}".encode()).hexdigest(), 16) % 2 == 0 else "b"


def draw_items(pairs: list[Pair], n_items: int, seed: int) -> list[Pair]:
    """The pairs of N items drawn by seed from all items met (an item: its id in the log, or the pair id)."""
    if n_items < 1:
        raise AnnotateError(f"--items {n_items}: pass a positive number of items")
    item = [p.origin.get("item_id", p.pair_id) for p in pairs]
    chosen = set(random.Random(seed).sample(sorted(set(item)), min(n_items, len(set(item)))))
    return [p for p, i in zip(pairs, item) if i in chosen]
