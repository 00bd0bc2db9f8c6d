"""Rendering leaderboard rows as Markdown, CSV or JSON (rows come from benchmark/board/leaderboard.py)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from benchmark.errors import HumorBenchError

FORMATS = ("md", "csv", "json")


def _finite(*values: float) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def pct(value: Any, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}" if _finite(value) else "n/a"


def wtr_cell(row: dict, suite: str) -> str:
    if not row[f"{suite}_n"]:
        return "—"
    return f"{pct(row[f'{suite}_wtr'])} [{pct(row[f'{suite}_ci_lower'])}, {pct(row[f'{suite}_ci_upper'])}]"


def human_cell(row: dict) -> str:
    """Human WTR per suite where people labeled the row's pairs (`humor-bench annotate`), with n items."""
    cells = [f"{pct(row[f'{s}_human_wtr'])} [{pct(row[f'{s}_human_ci_lower'])}, {pct(row[f'{s}_human_ci_upper'])}] "
             f"(n={row[f'{s}_human_n']})" if row.get(f"{s}_human_n") else "—" for s in ("id", "ood")]
    return " / ".join(cells)


def display_cells(row: dict) -> dict[str, str]:
    """The human-readable columns shared by the markdown table and the HTML report."""
    cost = row["cost_usd"]
    return {
        "Rank": str(row["rank"]) if row["rank"] is not None else "–",
        "Student": row["name"],
        "Kind": row["kind"],
        "ID WTR % [95% CI]": wtr_cell(row, "id"),
        "OOD WTR % [95% CI]": wtr_cell(row, "ood"),
        "Human WTR % ID / OOD": human_cell(row),
        "LC-WTR % ID / OOD": f"{pct(row['id_lc_wtr'])} / {pct(row['ood_lc_wtr'])}",
        "Style-WTR % ID / OOD": f"{pct(row['id_style_wtr'])} / {pct(row['ood_style_wtr'])}",
        "Pos. consistency %": pct(row["position_consistency"]),
        "Prefer longer %": pct(row["prefer_longer_rate"]),
        "Pref. fairness": f"{row['preference_fairness']:+.2f}" if _finite(row.get("preference_fairness")) else "n/a",
        "Ties good / bad %": f"{pct(row.get('tie_both_good_rate'))} / {pct(row.get('tie_both_bad_rate'))}",
        "Len. ratio": f"{row['len_ratio']:.2f}" if _finite(row["len_ratio"]) else "n/a",
        "Invalid %": pct(row["invalid_rate"]),
        "Tokens / cost": f"{row['tokens']:,} / " + (f"${cost:.4f}" if cost is not None else "n/a"),
        "Cache hit %": pct(row["cache_hit_rate"]),
        "Flags": row["flags"] or "none",
        "Manifest": f"ckpt {str(row['checkpoint_sha256'] or 'n/a')[:12]}, rev {str(row['git_revision'])[:12]}",
    }


def markdown_tables(rows: list[dict]) -> list[str]:
    """One markdown table per judge (ranks only compare rows of the same judge)."""
    lines: list[str] = []
    for judge in dict.fromkeys(r["judge"] for r in rows):
        group = [r for r in rows if r["judge"] == judge]
        cells = [display_cells(r) for r in group]
        headers = list(cells[0])
        lines += [f"## Judge: `{judge}` (arbiter: {group[0]['arbiter']})", "",
                  "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(c[h].replace("|", "/") for h in headers) + " |" for c in cells]
        lines.append("")
    return lines


def to_markdown(rows: list[dict]) -> str:
    lines = ["# humor-bench leaderboard", "",
             "Rebuilt from the Inspect logs in `results/logs/` by `humor-bench leaderboard`; never edit by hand.",
             "WTR = win-tie rate of the student against the teacher's reference, judged in both orders: a win in both",
             "counts 1, a verdict that flips with the order counts 1/2 (so a judge that ignores the content gives 50).",
             "Rank: 1 + the number of rows (same judge) whose ID-WTR CI lower bound is above this row's upper bound;",
             "rows flagged for injection or copying are not ranked (–). Judge: the grader model.", ""]
    annotators = sorted({a for r in rows for a in str(r.get("human_annotators") or "").split(",") if a})
    if annotators:
        lines += ["Human WTR: share of a row's (student, reference) pairs that annotators found the student at least as",
                  "funny as, blind (`humor-bench annotate`; results/annotations/); the same for every judge's section.",
                  f"Annotators: {', '.join(annotators)} (who they are: benchmark/data/DATA_CARD.md, 'Labels from annotate').", ""]
    lines += markdown_tables(rows)
    if not rows:
        lines += ["No submissions yet: `humor-bench submit --baseline embedded` and `--baseline teacher` add the baselines.", ""]
    lines += ["## Manifests", "", "| Student | Judge | Student model | Checkpoint sha256 | Decoding | Judge prompt sha256 | "
              "Data sha256 (ID / OOD) | Harness | Git revision |", "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['name']} | {r['judge']} | {r['student']} | {r['checkpoint_sha256'] or 'n/a'} | "
                     f"`{r['decoding']}` | {str(r['judge_prompt_sha256'])[:16]} | {str(r['data_sha256_id'])[:12]} / "
                     f"{str(r['data_sha256_ood'])[:12]} | {r['harness_version']} | {r['git_revision']} |")
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    columns = list(rows[0]) if rows else ["rank", "name", "kind", "judge"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) and math.isfinite(v) else ("" if isinstance(v, float) else v))
                         for k, v in row.items()})
    return buffer.getvalue()


def to_json(rows: list[dict]) -> str:
    clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]
    return json.dumps(clean, indent=2) + "\n"


def render(rows: list[dict], fmt: str) -> str:
    if fmt not in FORMATS:
        raise HumorBenchError(f"unknown format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    return {"md": lambda: to_markdown(rows), "csv": lambda: to_csv(rows), "json": lambda: to_json(rows)}[fmt]()


# --- files ---------------------------------------------------------------------------------------------
