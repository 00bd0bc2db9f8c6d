"""results/reproduction.md: Tables 2 (ID) and 3 (OOD) with the critic, an independent judge and
read-by-hand labels, paired differences against FT, length, and the time of every stage."""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path
from typing import Any

from benchmark.board.files import RESULTS_DIR
from benchmark.models.device import device_description
from scorers.compare import paired_comparison
from scorers.stats import bootstrap_ci

from . import data as datafiles
from .checkpoints import read_manifest
from .config import RecipeConfig
from .reproduce import eval_command, judgings, student_result

BASELINE = "ft"
FEEDBACK_STUDENTS = ("sd", "brio", "dpo", "brio_dpo")
# Paper Table 2 (in-domain, WTR vs the teacher x 100): (WTR_llama2, WTR_GPT4); Table 3 (SAMSum): the same.
PAPER = {"id": {"ft": (28, 30), "sd": (36, 35), "brio": (53, 48), "dpo": (60, 52), "brio_dpo": (65, 56)},
         "ood": {}}
LABELS = {"ft": "FT", "sd": "SD", "brio": "BRIO", "dpo": "DPO", "brio_dpo": "BRIO-DPO", "ft_ws": "FT-WS"}
LONGER = 1.3  # outputs longer than the reference by more than 30 %: LC-WTR matters
TABLE4_REPORT = RESULTS_DIR / "reproduction_table4.md"  # `humor-bench table4` writes it; the report embeds it


def pct(x: float) -> str:
    return f"{100 * x:.1f}" if isinstance(x, (int, float)) and math.isfinite(x) else "n/a"


def lc_cell(results: list[dict | None]) -> str:
    """LC-WTR under each judge, "critic / judge"; (!) where the length fit diverged."""
    metrics = [(r or {}).get("metrics", {}) for r in results]
    return " / ".join(pct(m.get("lc_wtr", math.nan)) + (" (!)" if m.get("lc_diverges") else "") for m in metrics)


def length_cell(ratio: float) -> str:
    return f"{ratio:.2f}" + (" (>1.3)" if ratio > LONGER else "")


def wtr_cell(metrics: dict, values: dict[str, float]) -> str:
    if "wtr_ci_lower" in metrics:
        return f"{pct(metrics['wtr'])} [{pct(metrics['wtr_ci_lower'])}, {pct(metrics['wtr_ci_upper'])}]"
    valid = [v for v in values.values() if not math.isnan(v)]
    if not valid:
        return "n/a"
    lo, hi = bootstrap_ci(valid)
    return f"{pct(sum(valid) / len(valid))} [{pct(lo)}, {pct(hi)}]"


def versus(values: dict[str, float], base: dict[str, float] | None) -> tuple[str, Any]:
    """('+21.0 [+13.5, +28.5] *', comparison) against FT on shared items; * = the paired CI excludes 0."""
    if base is None:
        return "n/a (no FT)", None
    try:
        c = paired_comparison(values, base)
    except ValueError:
        return "n/a (< 2 shared items)", None
    mark = " *" if c.ci_low > 0 or c.ci_high < 0 else ""
    return f"{100 * c.difference:+.1f} [{100 * c.ci_low:+.1f}, {100 * c.ci_high:+.1f}]{mark}", c


def collect(cfg: RecipeConfig, logs: dict[tuple[str, str, str], Path]) -> dict[tuple[str, str, str], dict]:
    """(student, suite, kind) -> student_result; the critic's ID logs carry the read-by-hand values."""
    from benchmark.board.annotate.store import read_labels

    labels = read_labels(cfg.eval.labels) if cfg.eval.labels else []
    return {key: student_result(path, labels if key[1] == "id" and key[2] == "critic" else None) for key, path in logs.items()}


def suite_table(cfg: RecipeConfig, results: dict, suite: str) -> list[str]:
    kinds = [j.kind for j in judgings(cfg)]
    head = ["student"] + [c for kind in kinds for c in (f"WTR {kind} x100 [95% CI]", f"vs FT ({kind})")]
    if suite == "id":
        head += ["WTR read by hand x100 [95% CI] (items)", "vs FT (read)"]
    head += ["LC-WTR " + " / ".join(kinds), "length / reference"] + (["paper WTR_llama2 / WTR_GPT4", "steps"] if suite == "id" else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for student in cfg.eval.students:
        if (student, suite, "critic") not in results:
            continue
        cells = [LABELS.get(student, student)]
        for kind in kinds:
            r, base = results.get((student, suite, kind)), results.get((BASELINE, suite, kind))
            if r is None:
                cells += ["n/a", "n/a"]
                continue
            cells += [wtr_cell(r["metrics"], r["values"]),
                      "(baseline)" if student == BASELINE else versus(r["values"], base and base["values"])[0]]
        critic = results[(student, suite, "critic")]
        if suite == "id":
            read, base_read = critic["read"], results.get((BASELINE, suite, "critic"), {}).get("read")
            cells += [f"{wtr_cell({}, read)} ({len(read)})" if read else "no labels",
                      "(baseline)" if student == BASELINE else (versus(read, base_read)[0] if read and base_read else "n/a")]
        cells += [lc_cell([results.get((student, suite, kind)) for kind in kinds]), length_cell(critic["length_ratio"])]
        if suite == "id":
            paper = PAPER["id"].get(student)
            manifest = read_manifest(Path(cfg.run_dir) / student) or {}
            cells += [f"{paper[0]} / {paper[1]}" if paper else "", str(manifest.get("steps", ""))]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def verdicts(cfg: RecipeConfig, results: dict) -> list[str]:
    """Does each feedback student beat FT (paired 95% CI excluding 0)? Under the independent judge and the readers."""
    out = []
    sources = [("judge", "the independent judge", lambda r: r["values"], "judge"),
               ("read", "the read-by-hand labels", lambda r: r["read"], "critic")]
    for student in (s for s in cfg.eval.students if s in FEEDBACK_STUDENTS):
        parts = []
        for _, name, pick, kind in sources:
            r, base = results.get((student, "id", kind)), results.get((BASELINE, "id", kind))
            if r is None or base is None or not pick(r) or not pick(base):
                parts.append(f"{name}: not measured")
                continue
            cell, c = versus(pick(r), pick(base))
            answer = "n/a" if c is None else ("beats FT" if c.ci_low > 0 else "worse than FT" if c.ci_high < 0 else "does not beat FT (CI includes 0)")
            parts.append(f"{name}: {answer}, {cell} on {c.n_items if c else 0} items")
        out.append(f"- **{LABELS.get(student, student)} vs FT** (ID): " + "; ".join(parts) + ".")
    return out


def stage_times(cfg: RecipeConfig) -> dict[str, dict]:
    """run_dir/timings.json, merged into a copy beside the committed logs (a later checkout has no runs/)."""
    entries = datafiles.read_timings(cfg.run_dir)
    if cfg.eval.log_dir:
        kept = Path(cfg.eval.log_dir).parent
        entries = {**datafiles.read_timings(kept), **entries}
        datafiles.write_json(entries, kept / "timings.json")
    return entries


def timings(cfg: RecipeConfig) -> list[str]:
    """Every stage's wall and CPU seconds (CPU: where the run recorded it), and the totals per table."""
    entries = stage_times(cfg)
    rows = ["| stage | wall seconds | CPU seconds | detail |", "|---|---:|---:|---|"]
    totals = {name: [0.0, 0.0, 0] for name in ("training (shared by both tables)", "Table 2 evaluation (ID)", "Table 3 evaluation (OOD)")}
    for stage, entry in entries.items():
        detail = ", ".join([f"{k}={v}" for k, v in entry.items() if k not in ("seconds", "at", "log", "cpu_seconds")]
                           + cache_detail(entry.get("log")))
        rows.append(f"| {stage} | {entry['seconds']:.0f} | {entry.get('cpu_seconds', '')} | {detail} |")
        group = ("Table 2 evaluation (ID)" if ":id:" in stage else "Table 3 evaluation (OOD)" if ":ood:" in stage
                 else None if stage.startswith("eval:") else "training (shared by both tables)")
        if group:
            totals[group][0] += entry["seconds"]
            totals[group][1] += entry.get("cpu_seconds", 0.0)
            totals[group][2] += "cpu_seconds" not in entry
    for name, (wall, cpu, unmeasured) in totals.items():
        note = f" (+{unmeasured} stage(s) recorded before CPU time was)" if unmeasured else ""
        rows.append(f"| **{name}** | **{wall:.0f}** | **{cpu:.0f}**{note} | |")
    return rows


def cache_detail(log: str | None) -> list[str]:
    """How much of an evaluation's judging the verdict cache served (its time is only what was paid for)."""
    from benchmark.board.logs import log_metrics, read_log

    if not log or not Path(log).is_file():
        return []
    metrics = log_metrics(read_log(log, header_only=True))
    if "judge_cache_hit_rate" not in metrics:
        return []
    rate = metrics["judge_cache_hit_rate"]
    return [f"judge requests paid {metrics.get('judge_requests_made', 0):.0f}, from the cache {pct(rate) if math.isfinite(rate) else 'n/a'} %"]


def write_report(cfg: RecipeConfig, logs: dict[tuple[str, str, str], Path], command: str, out: Path | None = None,
                 note: str | None = None) -> Path:
    results = collect(cfg, logs)
    js = judgings(cfg)
    lines = [
        "# Reproduction: FT, SD, BRIO, DPO, BRIO-DPO at small scale, judged twice and read by hand", "",
        f"Made by `{command}` with config `{cfg.source}` (run folder `{cfg.run_dir}`), "
        f"{time.strftime('%Y-%m-%d %H:%M')}, on {platform.machine()} / {device_description()}.",
        *([f"Note: {note}"] if note else []),
        f"Base model `{cfg.base_model}`; teacher `{cfg.teacher.model}` (id/{cfg.teacher.split}, limit {cfg.teacher.limit}); "
        f"critic `{cfg.feedback.critic}` ({cfg.feedback.method}).",
        "Judges: " + "; ".join(f"**{j.kind}** `{j.model}`" + (f" ({j.task_args.get('method', j.task_args.get('arbiter', 'auto'))})") for j in js)
        + ". The critic labeled the feedback students' training data (the paper's WTR_llama2); the judge did not"
        " (the paper's WTR_GPT4 role) and judges the very same outputs (the critic's logs, rescored).",
        "", "Each student's outputs (greedy; the paper used 5 beams):", "", "```",
        *(" ".join(eval_command(cfg, s, suite)) for suite in cfg.eval.suites for s in cfg.eval.students
          if (s, suite, "critic") in logs), "```", "",
    ]
    if "id" in cfg.eval.suites:
        lines += ["## Table 2: in-domain (ID test)", ""] + suite_table(cfg, results, "id") + [""]
        lines += ["Does feedback beat imitation? (paired bootstrap 95% CI of the per-item difference against FT)", ""]
        lines += verdicts(cfg, results) + [""]
    if "ood" in cfg.eval.suites:
        lines += ["## Table 3: out of distribution (OOD test, chat-style inputs)", ""] + suite_table(cfg, results, "ood") + [""]
    if TABLE4_REPORT.is_file():
        body = TABLE4_REPORT.read_text(encoding="utf-8").splitlines()
        lines += ["## Table 4: data size and feedback frequency (ID)", "", *body[2:], ""]
    else:
        lines += ["## Table 4: data size and feedback frequency", "", "Not run yet: `humor-bench table4 trainers/configs/table4/*.yaml`.", ""]
    lines += ["x100. `*`: the paired CI excludes 0. LC-WTR: AlpacaEval-2's length-controlled WTR fitted on each",
              "log, (!) where AlpacaEval warns it diverges from the raw WTR. Length / reference: mean character ratio",
              "of the output to the reference it was judged against; (>1.3) marks outputs 30 % longer, where the LC-WTR",
              "column is the one to read. Read by hand: `humor-bench annotate` labels of the same (output, reference)",
              f"pairs in `{cfg.eval.labels}`, blind (who labeled: benchmark/data/DATA_CARD.md).", "",
              "## Time of every stage (this machine)", "",
              "Judging goes through the verdict cache (scorers/verdict_cache.py), so a stage pays only for judgments not",
              "made before (the teacher's references are scored once; identical outputs of a retrained student are served).",
              "Each evaluation's detail says how much the cache served; feedback stages record judge_cached / judge_made",
              "(stages run before that was recorded do not; CPU taken from a re-run says in `cpu_from` whether its cache was empty).",
              ""] + timings(cfg) + [""]
    out = Path(out or cfg.eval.report)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


