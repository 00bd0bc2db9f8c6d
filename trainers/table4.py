"""The paper's Table 4 at small scale: FT and BRIO at three data sizes, BRIO at three feedback frequencies.

Each variant is a config in trainers/configs/table4/ (`extends` the small recipe); `humor-bench
table4 CONFIG...` trains what each config's students need (finished stages are reused), evaluates
them on the ID suite with the critic and the independent judge (trainers/reproduce.py), and writes
the table: one row per (config, student), with the machine time each row cost.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from pathlib import Path
from typing import Callable

from benchmark.board.files import atomic_write_text

from .config import RecipeConfig, load_config
from .reproduce import evaluate, existing_logs, judgings, student_result
from .tables import LABELS, TABLE4_REPORT, lc_cell, length_cell, stage_times, versus, wtr_cell

SHARED = ("teacher", "ft_ws")  # made once per run folder, used by every student of it
FIRST_FEEDBACK = "feedback:ft_ws"  # the first feedback round of every feedback student


def feedback_label(cfg: RecipeConfig, student: str) -> str:
    """The paper's 'feedback frequency' column: rounds / epochs ("1/10 epochs" is one-shot)."""
    if student in ("ft", "ft_ws"):
        return "–"
    epochs = cfg.schedule.brio_epochs if student.startswith("brio") else cfg.schedule.dpo_epochs
    return f"{math.ceil(epochs / cfg.schedule.feedback_every)}/{epochs} epochs"


def own_seconds(times: dict[str, dict], student: str) -> tuple[float, float | None]:
    """Wall and CPU seconds of the stages that made and judged this student (its rounds and their feedback)."""
    def mine(stage: str) -> bool:
        return (stage == student or stage.startswith(f"{student}-round") or stage.startswith(f"feedback:{student}-round")
                or stage.endswith(f":id:{student}") or (stage == FIRST_FEEDBACK and student != "ft"))
    return seconds([entry for stage, entry in times.items() if mine(stage)])


def seconds(entries: list[dict]) -> tuple[float, float | None]:
    """Summed wall and CPU seconds; CPU is None when a stage ran before CPU time was recorded."""
    cpu = None if any("cpu_seconds" not in e for e in entries) else sum(e["cpu_seconds"] for e in entries)
    return sum(e["seconds"] for e in entries), cpu


def minutes_cell(wall: float, cpu: float | None) -> str:
    return f"{wall / 60:.0f} / " + ("–" if cpu is None else f"{cpu / 60:.0f}")


def table4_rows(configs: list[RecipeConfig], logs: dict[str, dict]) -> list[str]:
    kinds = [j.kind for j in judgings(configs[0])] if configs else ["critic"]
    head = ["config", "student", "inputs (pairs)", "feedback", *(f"WTR {k} x100 [95% CI]" for k in kinds),
            *(f"vs FT, same inputs ({k})" for k in kinds), "LC-WTR " + " / ".join(kinds), "length / reference",
            "wall / CPU minutes (own stages)", "wall / CPU minutes (shared: teacher, FT-WS)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    results = {(cfg.source, student, k): student_result(logs[cfg.source][(student, "id", k)])
               for cfg in configs for student in cfg.eval.students for k in kinds if (student, "id", k) in logs[cfg.source]}
    counted: dict[tuple[Path, str], tuple[float, float | None]] = {}  # (run folder, student or "shared"): each once
    for cfg in configs:
        times = stage_times(cfg)
        shared = seconds([times[s] for s in SHARED if s in times])
        counted[(Path(cfg.run_dir).resolve(), "shared")] = shared
        for student in cfg.eval.students:
            if (cfg.source, student, "critic") not in results:
                lines.append(f"| {Path(cfg.source).stem} | {LABELS.get(student, student)} | not evaluated yet |" + " |" * (len(head) - 3))
                continue
            mine = {k: results.get((cfg.source, student, k)) for k in kinds}
            ft = {k: ft_result(configs, cfg, results, k) for k in kinds}
            cells = [Path(cfg.source).stem, LABELS.get(student, student),
                     f"{cfg.teacher.limit} ({cfg.teacher.limit * cfg.teacher.n})", feedback_label(cfg, student)]
            cells += [wtr_cell(mine[k]["metrics"], mine[k]["values"]) if mine[k] else "n/a" for k in kinds]
            cells += ["–" if student == "ft" else versus(mine[k]["values"], ft[k] and ft[k]["values"])[0] if mine[k] else "n/a"
                      for k in kinds]
            own = counted[(Path(cfg.run_dir).resolve(), student)] = own_seconds(times, student)
            cells += [lc_cell([mine[k] for k in kinds]), length_cell(mine["critic"]["length_ratio"]),
                      minutes_cell(*own), minutes_cell(*shared)]
            lines.append("| " + " | ".join(cells) + " |")
    walls, cpus = zip(*counted.values()) if counted else ((), ())
    total = minutes_cell(sum(walls), None if None in cpus else sum(cpus))
    lines.append("| **the whole table** |" + " |" * (len(head) - 3) + f" {total} (every stage once) | |")
    return lines


def ft_result(configs: list[RecipeConfig], cfg: RecipeConfig, results: dict, kind: str) -> dict | None:
    """The FT student `cfg` would train (its own, or another variant's with the same warm start and FT epochs), judged by `kind`."""
    for other in [cfg, *configs]:
        same_ft = warm_start_key(other) == warm_start_key(cfg) and other.schedule.ft_epochs == cfg.schedule.ft_epochs
        if same_ft and (other.source, "ft", kind) in results:
            return results[(other.source, "ft", kind)]
    return None


WARM_START_FILES = ("data/teacher_pairs.jsonl", "data/teacher_pairs.meta.json", "ft_ws",
                    "feedback/ft_ws.jsonl", "feedback/ft_ws.meta.json")  # what FT-WS and its first feedback made


def warm_start_key(cfg: RecipeConfig) -> str:
    """What the teacher data, FT-WS and the first feedback round depend on (the variants differ after)."""
    parts = {"base": cfg.base_model, "seed": cfg.seed, "teacher": dataclasses.asdict(cfg.teacher), "feedback": dataclasses.asdict(cfg.feedback),
             "ws_epochs": cfg.schedule.ws_epochs, "sft": cfg.sft}
    return json.dumps(parts, sort_keys=True, default=str)


def share_warm_start(donor: RecipeConfig, cfg: RecipeConfig, log: Callable[[str], None] = print) -> None:
    """Hard-link a finished warm start from another variant with the same teacher, FT-WS and feedback
    settings, so it is not trained twice. Safe: the recipe still checks each stage's fingerprint and
    retrains on a mismatch, and a retrain replaces the links, never the donor's files."""
    source, target = Path(donor.run_dir), Path(cfg.run_dir)
    if source.resolve() == target.resolve() or warm_start_key(donor) != warm_start_key(cfg):
        return
    for name in WARM_START_FILES:
        src, dst = source / name, target / name
        if dst.exists() or not src.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, copy_function=os.link)
        else:
            os.link(src, dst)
        log(f"table4: {dst} shared with {src} (same teacher, FT-WS and feedback settings)")


def table4(config_paths: list[Path], out: Path = TABLE4_REPORT, skip_train: bool = False, skip_eval: bool = False,
           log: Callable[[str], None] = print) -> Path:
    from .recipes import Run

    configs = [load_config(p) for p in config_paths]  # every config checked before any work
    logs: dict[str, dict] = {}
    for cfg in configs:
        if not skip_train:
            for donor in configs:
                share_warm_start(donor, cfg, log)
            run = Run(cfg, log=log)
            for student in cfg.eval.students:
                run.run(student)
        logs[cfg.source] = existing_logs(cfg) if skip_eval else evaluate(cfg, log=log)
    lines = ["# Table 4 at small scale: data size and feedback frequency", "",
             "Made by `humor-bench table4 " + " ".join(str(p) for p in config_paths) + "`. ID test suite, WTR against the",
             "teacher's reference x100, judged by the critic (the paper's WTR_llama2 column) and by the independent judge.",
             "Minutes on this machine (2 cores, often shared, so wall time is an upper bound; CPU: – where a stage ran before",
             "CPU time was recorded; `cpu_from` in a run's timings.json: CPU from a re-run that made the same output,",
             "saying how that was checked).",
             "Stages shared by a run folder are counted once, in the last column; 0 there means the warm start was",
             "hard-linked from another variant with the same teacher and FT-WS settings (its time is on that row).",
             "vs FT: the paired bootstrap 95% CI of the per-item difference against the FT student trained on the same",
             "teacher inputs (`*`: it excludes 0). LC-WTR: the length-controlled WTR under each judge, (!) where it diverges",
             "from the raw WTR; (>1.3) marks outputs 30 % longer than the reference, where LC-WTR is the column to read.", ""]
    lines += table4_rows(configs, logs) + [""]
    return atomic_write_text(out, "\n".join(lines) + "\n")
