"""The leaderboard, rebuilt from Inspect logs only (Arena-Hard-Auto's show_result.py habit): never edited by hand.

One row per (submission name, judge): the newest successful `humor_wtr_id` and `humor_wtr_ood` logs
carrying a submission manifest (benchmark/board/submit.py). Rank (Chatbot Arena rule, within one judge, on
the ID WTR): rank = 1 + #{rows whose CI lower bound > this row's CI upper bound}. Rows with a blocking
flag (injection, copy) are listed but not ranked unless `include_flagged`. A corrupt, foreign,
unfinished or manifest-less log is skipped with a one-line message and the rest still builds.
Outputs are written atomically (temp file + rename) under an fcntl lock, so concurrent submissions
both land: each rebuild reads every log while holding the lock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.scorer import SampleScore

from benchmark.board.annotate.store import DEFAULT_DB as LABELS_DB, read_labels
from benchmark.board.annotate.summary import add_human_columns
from benchmark.board.files import LOCK_NAME, LOG_DIR, atomic_write_text, locked  # noqa: F401 - re-exported (report, tests)
from benchmark.board.logs import SCORER, LogError, read_log, submission_header
from benchmark.board.manifest import ManifestError, data_sha256
from benchmark.board.output_checks import BLOCKING_FLAGS, OutputRecord, validate_outputs
from benchmark.board.render import (  # noqa: F401 - re-exported for callers of the board
    FORMATS, _finite, display_cells, markdown_tables, render, to_csv, to_json, to_markdown,
)
from benchmark.errors import MissingInputError
from scorers import stats

NAN = float("nan")
GROUP_KEYS = {"id": "emotion", "ood": "topic"}
# per-sample score keys the rows read (scorers/stats.py conventions)
VALUE_KEYS = ("conservative_win", "conservative_tie", "conservative_loss", "soft", "averaged", "consistent",
              "first_slot", "invalid", "len_student", "len_reference")


@dataclass
class SuiteRun:
    """One finished suite log of one submission, reduced to what rows and plots need."""

    path: Path
    created: str
    suite: str
    manifest: dict
    metrics: dict[str, float]
    scores: list[SampleScore] = field(default_factory=list)
    records: list[OutputRecord] = field(default_factory=list)
    groups: list[str | None] = field(default_factory=list)
    n_dataset: int = 0
    tokens: int = 0
    cost: float | None = None
    requests: int = 0  # student generations + judge requests (MCP attempts, cloze candidates)
    cached: int = 0  # of those, served from Inspect's cache or the judge verdict cache

    @property
    def key(self) -> tuple[str, str]:
        return (self.manifest["name"], self.manifest["judge"])

    @property
    def items(self) -> list[dict[str, float]]:
        return [s.score.as_dict() for s in self.scores]


def output_record(sample: Any, score: Any) -> OutputRecord:
    """What the student wrote for one scored sample of a log, beside its input and references."""
    refs = tuple(str(t) for t in sample.target) if isinstance(sample.target, list) else (str(sample.target),)
    raw = (score.metadata or {}).get("raw_output") or ""
    text = sample.input if isinstance(sample.input, str) else " ".join(m.text for m in sample.input)
    return OutputRecord(text, str(score.answer or ""), refs, str(raw))


def read_run(path: str | Path) -> SuiteRun:
    """A full log -> SuiteRun (LogError when it is not a usable submission log)."""
    path = Path(path)
    suite, created, manifest = submission_header(path)
    try:
        log = read_log(path)
        metrics = {k: _float(v.value) for k, v in log.results.scores[0].metrics.items()} if log.results and log.results.scores else {}
        run = SuiteRun(path, created, suite, manifest, metrics, n_dataset=int(log.eval.dataset.samples or 0))
        for sample in log.samples or []:
            score = (sample.scores or {}).get(SCORER)
            if score is None:
                continue  # an errored or unscored sample
            bad = _bad_value(score.value)
            if bad:
                raise LogError(f"{path}: sample {sample.id}: score {bad}; was it written by another scorer version?")
            run.scores.append(SampleScore(score=score, sample_id=sample.id))
            run.records.append(output_record(sample, score))
            group = (sample.metadata or {}).get(GROUP_KEYS[suite])
            run.groups.append(None if group is None else str(group))
            requests, cached = _sample_requests(sample, score)
            run.requests, run.cached = run.requests + requests, run.cached + cached
        usage = log.stats.model_usage.values() if log.stats else []
        run.tokens = sum(u.total_tokens or 0 for u in usage)
        costs = [u.total_cost for u in usage if u.total_cost is not None]
        run.cost = sum(costs) if costs else None
    except LogError:
        raise
    except Exception as ex:  # noqa: BLE001 - a malformed log body is skipped like a corrupt file
        raise LogError(f"{path}: malformed log body ({type(ex).__name__}: {str(ex)[:80]})") from None
    return run


def _sample_requests(sample: Any, score: Any) -> tuple[int, int]:
    """(requests, of which cached) for one sample: student calls (Inspect model events without a role)
    and judge requests (the scorer's ledger)."""
    student = [e for e in sample.events or [] if getattr(e, "event", None) == "model" and getattr(e, "role", None) is None]
    requests, cached = len(student), sum(getattr(e, "cache", None) == "read" for e in student)
    calls = (score.metadata or {}).get("judge_calls") or {}
    if isinstance(calls, dict):
        judge_cached, judge_made = int(calls.get("cached", 0)), int(calls.get("made", 0))
        requests, cached = requests + judge_cached + judge_made, cached + judge_cached
    return requests, cached


def _bad_value(value: Any) -> str | None:
    """Why a per-sample score value cannot enter the statistics, or None when it can."""
    if not isinstance(value, dict):
        return f"value is a {type(value).__name__}, not a dict"
    missing = [k for k in VALUE_KEYS if k not in value]
    if missing:
        return f"value lacks {', '.join(missing)}"
    wrong = [k for k in VALUE_KEYS if isinstance(value[k], bool) or not isinstance(value[k], (int, float))]
    return f"values of {', '.join(wrong)} are not numbers" if wrong else None


def collect_runs(log_dir: str | Path | None = None, paths: Sequence[str | Path] = ()) -> tuple[list[SuiteRun], list[str]]:
    """The newest readable successful log per (name, judge, suite), and one message per skipped file."""
    if paths:
        files = [Path(p) for p in paths]
    else:
        root = Path(log_dir or LOG_DIR)
        files = sorted([*root.rglob("*.eval"), *root.rglob("*.json")], key=str)
        files = [f for f in files if f.name not in ("logs.json", "eval-set.json") and not f.name.startswith(".")]
    skipped, candidates, ad_hoc = [], {}, 0
    for path in files:
        try:
            suite, created, manifest = submission_header(path)
        except (LogError, ManifestError) as ex:
            ad_hoc += "ad-hoc" in str(ex) and not paths
            if "ad-hoc" not in str(ex) or paths:
                skipped.append(_skip_message(path, ex))
            continue
        candidates.setdefault((manifest["name"], manifest["judge"], suite), []).append((created, str(path)))
    if ad_hoc:
        skipped.append(f"skipped {ad_hoc} ad-hoc log(s) without a submission manifest (use `humor-bench submit` to make a row)")
    runs = []
    for key in sorted(candidates):
        for _, path in sorted(candidates[key], reverse=True):  # newest first; an unreadable body falls back
            try:
                runs.append(read_run(path))
                break
            except (LogError, ManifestError) as ex:
                skipped.append(_skip_message(path, ex))
    return runs, skipped


def _skip_message(path: str | Path, error: Exception) -> str:
    """LogError names its file already; a manifest error does not."""
    return f"skipped {error}" if isinstance(error, LogError) else f"skipped {path}: {error}"


# --- rows ----------------------------------------------------------------------------------------------
def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return NAN


def _pooled_judge_metrics(scores: list[SampleScore]) -> dict[str, float]:
    """Prefer-longer rate etc. from the scorer's own diagnostics metric, where that metric exists."""
    try:
        from scorers.metrics import judge_diagnostics
    except ImportError:
        return {}
    try:
        return {k: _float(v) for k, v in judge_diagnostics()(scores).items()}  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - older logs lack the fields it reads: shown as n/a
        return {}


def _controlled(run: SuiteRun | None, key: str) -> float:
    """lc_wtr / style_wtr from the run's metrics; older logs: recomputed with scorers.metrics if present."""
    if run is None:
        return NAN
    if key in run.metrics:
        return run.metrics[key]
    try:
        from scorers.metrics import bias_controlled

        return _float(bias_controlled()(run.scores).get(key))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - no debias module, or a log without comparisons: n/a
        return NAN


def _headline(run: SuiteRun | None) -> tuple[float, float, float, float]:
    """(wtr, CI lower, CI upper, conservative_wtr) recomputed from the run's per-sample values with
    today's rules, so rows of logs written under an older headline rule read the same way."""
    if run is None or not run.scores:
        return NAN, NAN, NAN, NAN
    items = run.items
    valid = [(i, s.sample_id) for i, s in zip(items, run.scores) if not math.isnan(i.get("conservative_win", NAN))]
    lower, upper = stats.bootstrap_ci(stats.item_wtr_values([i for i, _ in valid]), [sid for _, sid in valid])
    return stats.win_tie_rate(items), lower, upper, stats.rule_rates(items)["conservative_wtr"]


def build_rows(runs: Iterable[SuiteRun], include_flagged: bool = False) -> list[dict[str, Any]]:
    """Pair the ID and OOD runs of each (name, judge) into one flat row, then rank."""
    grouped: dict[tuple[str, str], dict[str, SuiteRun]] = {}
    for run in runs:
        grouped.setdefault(run.key, {})[run.suite] = run
    rows = [_row(name, judge, by_suite) for (name, judge), by_suite in grouped.items()]
    return assign_ranks(rows, include_flagged)


def _row(name: str, judge: str, by_suite: dict[str, SuiteRun]) -> dict[str, Any]:
    runs = [by_suite[s] for s in ("id", "ood") if s in by_suite]
    manifest = max(runs, key=lambda r: r.created).manifest
    items = [i for r in runs for i in r.items]
    scores = [s for r in runs for s in r.scores]
    row: dict[str, Any] = {"rank": None, "name": name, "kind": manifest["kind"], "judge": judge}
    row["arbiter"] = ",".join(sorted({str((s.score.metadata or {}).get("arbiter")) for s in scores})) or None
    for suite in ("id", "ood"):
        run = by_suite.get(suite)
        m = run.metrics if run else {}
        headline = _headline(run)
        row[f"{suite}_wtr"], row[f"{suite}_ci_lower"], row[f"{suite}_ci_upper"] = headline[:3]
        row[f"{suite}_conservative_wtr"] = headline[3]
        row[f"{suite}_n"] = len(run.scores) if run else 0
        row[f"{suite}_lc_wtr"] = _controlled(run, "lc_wtr")
        row[f"{suite}_style_wtr"] = _controlled(run, "style_wtr")
    row["position_consistency"] = stats.position_consistency(items) if items else NAN
    row["first_slot_rate"] = stats.first_slot_rate(items) if items else NAN
    diagnostics = _pooled_judge_metrics(scores)
    for key in ("prefer_longer_rate", "preference_fairness", "tie_both_good_rate", "tie_both_bad_rate", "self_preference"):
        row[key] = diagnostics.get(key, NAN)
    ratios = [i["len_student"] / i["len_reference"] for i in items if i.get("len_reference")]
    row["len_ratio"] = sum(ratios) / len(ratios) if ratios else NAN
    row["invalid_rate"] = stats.invalid_rate(items) if items else NAN
    row["tokens"] = sum(r.tokens for r in runs)
    costs = [r.cost for r in runs if r.cost is not None]
    row["cost_usd"] = sum(costs) if costs else None
    requests, cached = sum(r.requests for r in runs), sum(r.cached for r in runs)
    row["cache_hit_rate"] = cached / requests if requests else NAN
    flags = _flags(manifest, runs, by_suite)
    if row["self_preference"] == 1.0:
        flags.append("self-preference-risk (judge and teacher share a model family)")
    row["flags"] = "; ".join(flags)
    row["blocked"] = any(f.split(" ")[0] in BLOCKING_FLAGS for f in flags)
    row.update(_manifest_columns(manifest))
    row["logs"] = ";".join(str(r.path.name) for r in runs)
    return row


def _flags(manifest: dict, runs: list[SuiteRun], by_suite: dict[str, SuiteRun]) -> list[str]:
    flags = []
    if manifest["kind"] == "baseline-teacher":
        flags.append("baseline (references as the student; copy checks not applicable)")
    else:
        flags += [f.label for f in validate_outputs([rec for r in runs for rec in r.records])]
    for suite in ("id", "ood"):
        run = by_suite.get(suite)
        if run is None:
            flags.append(f"missing-{suite}")
        elif run.n_dataset and len(run.scores) < run.n_dataset:
            flags.append(f"partial-{suite} {len(run.scores)}/{run.n_dataset}")
        recorded = manifest["data_sha256"].get(suite)
        if run is not None and recorded:
            try:
                if recorded != data_sha256(suite):
                    flags.append(f"data-changed-{suite}")
            except ValueError:
                flags.append(f"data-missing-{suite}")
    return flags


def _manifest_columns(manifest: dict) -> dict[str, Any]:
    data = manifest.get("data_sha256") or {}
    return {
        "student": manifest.get("student"),
        "checkpoint_sha256": manifest.get("checkpoint_sha256"),
        "decoding": json.dumps(manifest.get("decoding"), sort_keys=True),
        "judge_prompt_sha256": manifest.get("judge_prompt_sha256"),
        "data_sha256_id": data.get("id"),
        "data_sha256_ood": data.get("ood"),
        "harness_version": manifest.get("harness_version"),
        "git_revision": manifest.get("git_revision"),
    }


def assign_ranks(rows: list[dict[str, Any]], include_flagged: bool = False) -> list[dict[str, Any]]:
    """rank = 1 + #{same-judge ranked rows j : lower_j > upper_i} on the ID WTR CI; sorted for display."""
    rankable = [r for r in rows if (include_flagged or not r["blocked"]) and _finite(r["id_ci_lower"], r["id_ci_upper"])]
    for row in rows:
        row["rank"] = None
    for row in rankable:
        peers = [p for p in rankable if p["judge"] == row["judge"]]
        row["rank"] = 1 + sum(1 for p in peers if p["id_ci_lower"] > row["id_ci_upper"])
    return sorted(rows, key=lambda r: (r["judge"], r["rank"] is None, r["rank"] or 0, -_or0(r["id_wtr"]), r["name"]))


def _or0(value: float) -> float:
    return value if _finite(value) else 0.0


# --- rendering -----------------------------------------------------------------------------------------
@dataclass
class Board:
    rows: list[dict]
    runs: list[SuiteRun]
    skipped: list[str]


def rebuild(
    log_dir: str | Path = LOG_DIR,
    out_dir: str | Path | None = "results",
    paths: Sequence[str | Path] = (),
    include_flagged: bool = False,
    labels: str | Path = LABELS_DB,
) -> Board:
    """Read every log and (with out_dir) write leaderboard.md and leaderboard.csv, all under the lock.

    `labels`: the `humor-bench annotate` database; rows whose pairs people labeled get a human WTR.
    """
    log_dir = Path(log_dir)
    if not paths and not log_dir.is_dir():
        raise MissingInputError(f"log folder '{log_dir}' not found; run `humor-bench submit` first or pass --log-dir")
    for p in paths:
        if not Path(p).is_file():
            raise MissingInputError(f"log '{p}' not found; pass an existing .eval file or drop --log to scan --log-dir")
    with locked(log_dir if log_dir.is_dir() else Path(paths[0]).parent):
        runs, skipped = collect_runs(log_dir, paths)
        rows = build_rows(runs, include_flagged)
        add_human_columns(rows, runs, read_labels(labels))
        if out_dir is not None:
            texts = {"leaderboard.md": to_markdown(rows), "leaderboard.csv": to_csv(rows)}  # both before either
            for name, text in texts.items():
                atomic_write_text(Path(out_dir) / name, text)
    return Board(rows, runs, skipped)
