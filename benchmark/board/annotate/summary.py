"""What labels say (pure functions): human WTR per run, agreement between annotators, the export rows.

Human WTR counts a labeled (student, reference) pair 1 when the annotator found the student's
paraphrase funnier or as funny (a tie), else 0; skips count nowhere. An item's value is the mean
over its pairs and annotators, and the CI resamples items (several annotators of one item are not
independent), as the judge's WTR does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from itertools import combinations

from benchmark.board.annotate.store import Label, Pair, pair_key
from scorers import stats
from scorers.judge_quality import cohen_kappa, krippendorff_alpha_nominal

NAN = float("nan")
EXPORTED_ORIGIN = ("case", "note", "student", "split", "suite", "item_id", "source")


def answered(labels: Iterable[Label]) -> list[Label]:
    """Labels that say something (a skip is 'I cannot tell', not a tie)."""
    return [label for label in labels if label.funnier != "skip"]


def export_rows(pairs: Sequence[Pair], labels: Iterable[Label]) -> list[dict]:
    """One judge_validation.jsonl row per labeled pair and annotator, in the pairs' order.

    a and b keep the pair's own sides (for log pairs, a = the student, b = the reference), whatever
    side the page showed first; `shown_first` records that side.
    """
    by_key: dict[str, list[Label]] = {}
    for label in answered(labels):
        by_key.setdefault(label.key, []).append(label)
    rows = []
    for pair in pairs:
        for label in sorted(by_key.get(pair.key, []), key=lambda x: x.annotator):
            row = {"id": pair.pair_id, "input": pair.input, "a": pair.a, "b": pair.b, "funnier": label.funnier}
            if label.more_faithful is not None:
                row["more_faithful"] = label.more_faithful
            row["annotator"] = label.annotator
            row.update({k: pair.origin[k] for k in EXPORTED_ORIGIN if k in pair.origin})
            if pair.origin.get("kind") == "log":
                row["reference_side"] = "b"
            row["shown_first"] = label.first
            row["labeled_at"] = datetime.fromtimestamp(label.labeled_at, timezone.utc).isoformat(timespec="seconds")
            rows.append(row)
    return rows


def human_item_values(items: dict[str, Sequence[str]], labels: Iterable[Label], student_side: str = "a") -> dict[str, float]:
    """item id -> mean over its pairs and annotators of [the student is at least as funny]; labeled items only."""
    by_key: dict[str, list[Label]] = {}
    for label in answered(labels):
        by_key.setdefault(label.key, []).append(label)
    values: dict[str, float] = {}
    for item, keys in items.items():
        found = [1.0 if label.funnier in (student_side, "tie") else 0.0 for key in keys for label in by_key.get(key, [])]
        if found:
            values[item] = sum(found) / len(found)
    return values


def human_wtr(items: dict[str, Sequence[str]], labels: Sequence[Label], student_side: str = "a") -> dict:
    """Human WTR of one run: `items` maps item id -> the keys of its (student, reference) pairs."""
    values = human_item_values(items, labels, student_side)
    keys = {k for item in values for k in items[item]}
    mine = [label for label in answered(labels) if label.key in keys]
    lower, upper = stats.bootstrap_ci(list(values.values()))  # one value per item: resampling items
    return {"wtr": sum(values.values()) / len(values) if values else NAN, "ci_lower": lower, "ci_upper": upper,
            "n_items": len(values), "n_labels": len(mine), "annotators": sorted({label.annotator for label in mine})}


def annotator_agreement(labels: Iterable[Label]) -> dict:
    """Cohen's kappa and raw agreement per pair of annotators on shared pairs; Krippendorff's alpha over all."""
    table: dict[str, dict[str, str]] = {}
    for label in answered(labels):
        table.setdefault(label.annotator, {})[label.key] = label.funnier
    annotators = sorted(table)
    pairwise = []
    for one, two in combinations(annotators, 2):
        shared = sorted(set(table[one]) & set(table[two]))
        first, second = [table[one][k] for k in shared], [table[two][k] for k in shared]
        pairwise.append({
            "annotators": [one, two], "n_shared": len(shared),
            "agreement": sum(x == y for x, y in zip(first, second)) / len(shared) if shared else NAN,
            "kappa": cohen_kappa(first, second) if shared else NAN,
        })
    units = sorted({k for answers in table.values() for k in answers})
    alpha = krippendorff_alpha_nominal([[table[a].get(k) for k in units] for a in annotators]) if len(annotators) > 1 else NAN
    return {"annotators": {a: len(table[a]) for a in annotators}, "pairwise": pairwise, "krippendorff_alpha": alpha}


def format_summary(runs: dict[str, dict], agreement: dict) -> str:
    """A few readable lines for the terminal (rates x100)."""
    def pct(x: float) -> str:
        return f"{100 * x:.1f}" if isinstance(x, float) and math.isfinite(x) else "n/a"

    lines = [f"{'run':48} {'human WTR % [95% CI]':24} items  labels"]
    for name, r in runs.items():
        lines.append(f"{name[:48]:48} {pct(r['wtr'])} [{pct(r['ci_lower'])}, {pct(r['ci_upper'])}]".ljust(74)
                     + f"{r['n_items']:5d} {r['n_labels']:7d}")
    lines.append("annotators: " + (", ".join(f"{a} ({n})" for a, n in agreement["annotators"].items()) or "none"))
    for p in agreement["pairwise"]:
        lines.append(f"  {p['annotators'][0]} vs {p['annotators'][1]}: {p['n_shared']} shared, "
                     f"agreement {pct(p['agreement'])} %, Cohen's kappa {pct(p['kappa'])}")
    if len(agreement["annotators"]) > 1:
        lines.append(f"  Krippendorff's alpha (nominal, funnier): {pct(agreement['krippendorff_alpha'])}")
    return "\n".join(lines)


def run_items(run) -> dict[str, list[str]]:
    """item id -> the keys of the (student, reference) pairs a leaderboard SuiteRun judged."""
    items: dict[str, list[str]] = {}
    for sample, record in zip(run.scores, run.records):
        comparisons = (sample.score.metadata or {}).get("comparisons")
        if not isinstance(comparisons, list):
            continue  # a malformed log's sample: no pairs to look up (the board still shows the row)
        items[str(sample.sample_id)] = [pair_key(record.input, record.output, str(c["reference"]))
                                        for c in comparisons if isinstance(c, dict) and "reference" in c]
    return items


def add_human_columns(rows: list[dict], runs: Sequence, labels: Sequence[Label]) -> None:
    """Human WTR per suite on each leaderboard row, from the labels of its logs' pairs (NaN without)."""
    by_row = {(run.key, run.suite): run for run in runs}
    for row in rows:
        names: set[str] = set()
        for suite in ("id", "ood"):
            run = by_row.get(((row["name"], row["judge"]), suite))
            result = human_wtr(run_items(run), labels) if run is not None and labels else {}
            row[f"{suite}_human_wtr"] = result.get("wtr", NAN)
            row[f"{suite}_human_ci_lower"] = result.get("ci_lower", NAN)
            row[f"{suite}_human_ci_upper"] = result.get("ci_upper", NAN)
            row[f"{suite}_human_n"] = result.get("n_items", 0)
            names.update(result.get("annotators", []))
        row["human_annotators"] = ",".join(sorted(names))
