"""One self-contained HTML report (plus the PNGs beside it) from the same logs as the leaderboard.

Plots (matplotlib, Agg): WTR ± CI per student with ID and OOD side by side; raw vs length- vs
style-controlled WTR; per-judge position consistency, first-slot and prefer-longer rates; the
length difference (student − reference, characters) against the judge's win probability; WTR by
emotion (ID) and topic (OOD). Images are embedded as data URIs so the page is one file.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benchmark.board.files import LOG_DIR, RESULTS_DIR, atomic_write_bytes, atomic_write_text  # noqa: E402
from benchmark.board.leaderboard import Board, SuiteRun, _pooled_judge_metrics, display_cells, rebuild  # noqa: E402
from scorers import stats  # noqa: E402

SUITE_COLORS = {"id": "#3b6ea5", "ood": "#d9822b"}
CONTROL_COLORS = ("#555555", "#3b9c6e", "#9c3b8a")
DPI = 110
NA_NOTE = ("n/a: the fit is undefined for this run (scorers/debias.py needs at least 5 valid items with varied "
           "outcomes and lengths), or the log predates scorers/debias.py")


def _label(row: dict) -> str:
    return f"{row['name']}\n({row['judge'].split('/')[-1]})"


def _save(fig, out_dir: Path, name: str) -> Path:
    path = out_dir / name
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(path, buffer.getvalue())


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=10, color="#777777", wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_wtr(rows: list[dict], out_dir: Path) -> Path:
    """WTR with its 95 % CI per student: ID and OOD bars side by side; 50 % = parity with the teacher."""
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows) + 2), 4.2))
    x = np.arange(len(rows))
    for k, suite in enumerate(("id", "ood")):
        values = np.array([r[f"{suite}_wtr"] for r in rows], dtype=float)
        lower = np.array([r[f"{suite}_ci_lower"] for r in rows], dtype=float)
        upper = np.array([r[f"{suite}_ci_upper"] for r in rows], dtype=float)
        err = np.nan_to_num(np.vstack([values - lower, upper - values]), nan=0.0).clip(min=0)
        ax.bar(x + (k - 0.5) * 0.38, np.nan_to_num(values), 0.38, yerr=err, capsize=4,
               color=SUITE_COLORS[suite], label=suite.upper())
    ax.axhline(0.5, color="#999999", lw=1, ls="--", label="parity (50 %)")
    ax.set_xticks(x, [_label(r) for r in rows], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("win-tie rate vs teacher")
    ax.set_title("WTR ± 95 % CI per student (ID and OOD)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if not rows:
        _empty(ax, "no rows yet")
    return _save(fig, out_dir, "wtr_by_suite.png")


def plot_controlled(rows: list[dict], out_dir: Path) -> Path:
    """Raw vs length-controlled (AlpacaEval-2 GLM) vs style-controlled WTR, per suite."""
    fig, axes = plt.subplots(1, 2, figsize=(max(8, 2.2 * len(rows) + 3), 4.2), sharey=True)
    for ax, suite in zip(axes, ("id", "ood")):
        x = np.arange(len(rows))
        for k, (key, label) in enumerate((("wtr", "raw"), ("lc_wtr", "length-controlled"), ("style_wtr", "style-controlled"))):
            values = np.array([r[f"{suite}_{key}"] for r in rows], dtype=float)
            bars = ax.bar(x + (k - 1) * 0.27, np.nan_to_num(values), 0.27, color=CONTROL_COLORS[k], label=label)
            for bar, value in zip(bars, values):
                if not math.isfinite(value):
                    ax.text(bar.get_x() + bar.get_width() / 2, 0.02, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
        ax.axhline(0.5, color="#999999", lw=1, ls="--")
        ax.set_xticks(x, [_label(r) for r in rows], fontsize=8, rotation=30, ha="right")  # side by side: names overlap
        ax.set_title(f"{suite.upper()}: raw vs controlled WTR")
        ax.set_ylim(0, 1.05)
    axes[0].set_ylabel("win-tie rate")
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out_dir, "controlled_wtr.png")


def judge_summary(runs: list[SuiteRun]) -> dict[str, dict[str, float]]:
    """Per judge, pooled over every student it judged: order and length diagnostics."""
    by_judge: dict[str, list[SuiteRun]] = defaultdict(list)
    for run in runs:
        by_judge[run.manifest["judge"]].append(run)
    summary = {}
    for judge, judged in sorted(by_judge.items()):
        items = [i for r in judged for i in r.items]
        scores = [s for r in judged for s in r.scores]
        summary[judge] = {
            "position consistency": stats.position_consistency(items),
            "first-slot rate": stats.first_slot_rate(items),
            "prefer-longer rate": _pooled_judge_metrics(scores).get("prefer_longer_rate", math.nan),
        }
    return summary


def plot_judges(runs: list[SuiteRun], out_dir: Path) -> Path:
    summary = judge_summary(runs)
    fig, ax = plt.subplots(figsize=(max(6, 2.5 * len(summary) + 2), 4))
    names = list(summary)
    x = np.arange(len(names))
    for k, metric in enumerate(("position consistency", "first-slot rate", "prefer-longer rate")):
        values = np.array([summary[j][metric] for j in names], dtype=float)
        bars = ax.bar(x + (k - 1) * 0.27, np.nan_to_num(values), 0.27, color=CONTROL_COLORS[k], label=metric)
        for bar, value in zip(bars, values):
            text = f"{value:.2f}" if math.isfinite(value) else "n/a"
            ax.text(bar.get_x() + bar.get_width() / 2, max(np.nan_to_num(value), 0) + 0.02, text, ha="center", fontsize=7)
    ax.axhline(0.5, color="#999999", lw=1, ls="--", label="no bias (first slot, longer)")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_title("Judge diagnostics (pooled over students and suites)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if not names:
        _empty(ax, "no judged runs yet")
    return _save(fig, out_dir, "judge_bias.png")


def length_curve(runs: list[SuiteRun], n_bins: int = 6) -> dict[str, tuple[list[float], list[float], list[int]]]:
    """Per judge: quantile bins of Δlen = len(student) − len(reference) -> mean P(student wins) (soft)."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for run in runs:
        for item in run.items:
            soft, ls, lr = item.get("soft", math.nan), item.get("len_student", math.nan), item.get("len_reference", math.nan)
            if all(isinstance(v, (int, float)) and math.isfinite(v) for v in (soft, ls, lr)):
                points[run.manifest["judge"]].append((ls - lr, soft))
    curves = {}
    for judge, pts in sorted(points.items()):
        delta = np.array([p[0] for p in pts])
        prob = np.array([p[1] for p in pts])
        edges = np.unique(np.quantile(delta, np.linspace(0, 1, n_bins + 1)))
        which = np.clip(np.searchsorted(edges, delta, side="right") - 1, 0, max(len(edges) - 2, 0))
        xs, ys, ns = [], [], []
        for b in sorted(set(which.tolist())):
            mask = which == b
            xs.append(float(delta[mask].mean()))
            ys.append(float(prob[mask].mean()))
            ns.append(int(mask.sum()))
        curves[judge] = (xs, ys, ns)
    return curves


def plot_length_curve(runs: list[SuiteRun], out_dir: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    curves = length_curve(runs)
    for judge, (xs, ys, ns) in curves.items():
        ax.plot(xs, ys, marker="o", label=judge)
        for x, y, n in zip(xs, ys, ns):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(0, 6), fontsize=6, ha="center")
    ax.axhline(0.5, color="#999999", lw=1, ls="--")
    ax.axvline(0, color="#cccccc", lw=1)
    ax.set_xlabel("length difference, student − reference (characters; bin means)")
    ax.set_ylabel("P(student wins), soft, both orders")
    ax.set_ylim(0, 1)
    ax.set_title("Length difference vs win probability (numbers: items per bin)")
    if curves:
        ax.legend(fontsize=8)
    else:
        _empty(ax, "no valid items yet")
    return _save(fig, out_dir, "length_vs_win.png")


def group_table(runs: list[SuiteRun], suite: str) -> tuple[list[str], list[str], np.ndarray]:
    """(groups, row labels, WTR matrix groups x rows) for one suite: emotion (ID) or topic (OOD)."""
    selected = [r for r in runs if r.suite == suite]
    groups = sorted({g for r in selected for g in r.groups if g})
    labels = [f"{r.manifest['name']} ({r.manifest['judge'].split('/')[-1]})" for r in selected]
    matrix = np.full((len(groups), len(selected)), np.nan)
    for j, run in enumerate(selected):
        for i, group in enumerate(groups):
            items = [it for it, g in zip(run.items, run.groups) if g == group]
            matrix[i, j] = stats.win_tie_rate(items) if items else np.nan
    return groups, labels, matrix


def plot_groups(runs: list[SuiteRun], out_dir: Path) -> Path:
    tables = [(suite, *group_table(runs, suite)) for suite in ("id", "ood")]
    height = max(4.0, 0.22 * max((len(t[1]) for t in tables), default=0) + 1.5)
    width = max(10, 1.4 * max((len(t[2]) for t in tables), default=1) * 2 + 7)
    fig, axes = plt.subplots(1, 2, figsize=(width, height), gridspec_kw={"wspace": 0.75})
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#dddddd")
    image = None
    for ax, (suite, groups, labels, matrix) in zip(axes, tables):
        if not groups or not labels:
            _empty(ax, f"no {suite.upper()} runs")
            continue
        image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap=cmap, vmin=0, vmax=1)
        ax.set_yticks(range(len(groups)), groups, fontsize=7)
        ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=30, ha="right")
        ax.set_title(f"{suite.upper()} WTR by {'emotion' if suite == 'id' else 'topic'}")
        for (i, j), value in np.ndenumerate(matrix):
            if math.isfinite(value) and matrix.shape[1] <= 8:
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6)
    if image is not None:
        fig.colorbar(image, ax=list(axes), shrink=0.6, label="win-tie rate")
    return _save(fig, out_dir, "wtr_by_group.png")


FIGURES = (
    ("wtr_by_suite.png", "Win-tie rate with 95 % item-bootstrap CI, ID and OOD side by side. Dashed: parity with the teacher."),
    ("controlled_wtr.png", "Raw vs length-controlled (AlpacaEval-2 GLM) vs style-controlled WTR. " + NA_NOTE + "."),
    ("judge_bias.png", "Per judge: position consistency (1 = same winner in both orders), first-slot rate and "
                       "prefer-longer rate (0.5 = unbiased)."),
    ("length_vs_win.png", "Length difference (student − reference) against the judge's probability that the student wins."),
    ("wtr_by_group.png", "WTR by emotion (ID) and by topic (OOD); grey = no items."),
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>humor-bench report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }}
table {{ border-collapse: collapse; font-size: 12px; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f0f0f0; }} figure {{ margin: 1.5em 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption, .note {{ color: #555; font-size: 13px; }} code {{ font-size: 12px; }}
</style></head><body>
<h1>humor-bench report</h1>
<p class="note">Built {built} from {n_runs} suite logs in <code>{log_dir}</code> by <code>humor-bench report</code>.
WTR = win-tie rate of the student against the teacher's reference (paper §4.2; conservative rule over both orders).</p>
<h2>Leaderboard</h2>
{table}
{figures}
<h2>Skipped logs</h2>
<ul>{skipped}</ul>
</body></html>
"""


def render_html(board: Board, images: dict[str, bytes], log_dir: str) -> str:
    cells = [display_cells(r) for r in board.rows]
    headers = list(cells[0]) if cells else ["Student"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers + ["Judge"])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c[h])}</td>" for h in headers) + f"<td>{html.escape(r['judge'])}</td></tr>"
        for c, r in zip(cells, board.rows)
    ) or f"<tr><td colspan='{len(headers) + 1}'>no submissions yet</td></tr>"
    figures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(images[name]).decode()}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in FIGURES
    )
    skipped = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in board.skipped) or "<li>none</li>"
    return PAGE.format(
        built=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), n_runs=len(board.runs), log_dir=html.escape(log_dir),
        table=f"<table><tr>{head}</tr>{body}</table>", figures=figures, skipped=skipped,
    )


def build_report(board: Board, out_dir: str | Path = RESULTS_DIR / "report", log_dir: str | Path = LOG_DIR) -> Path:
    """Write the PNGs and index.html into out_dir; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [plot_wtr(board.rows, out), plot_controlled(board.rows, out), plot_judges(board.runs, out),
             plot_length_curve(board.runs, out), plot_groups(board.runs, out)]
    images = {p.name: p.read_bytes() for p in paths}
    return atomic_write_text(out / "index.html", render_html(board, images, log_dir))


def report(log_dir: str | Path = LOG_DIR, out_dir: str | Path = RESULTS_DIR / "report", include_flagged: bool = False) -> Path:
    """Rebuild from the logs (without touching leaderboard files) and write the report."""
    board = rebuild(log_dir, None, include_flagged=include_flagged)
    return build_report(board, out_dir, str(log_dir))
