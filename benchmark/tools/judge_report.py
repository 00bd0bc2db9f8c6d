"""A judge's report card on labeled pairs: the paper's Table 1 columns, Cohen's kappa, order diagnostics.

Each labeled pair (a, b) is judged in both orders with `scorers.pairwise.judge_pair` (the benchmark's
own judgment, verdict cache included) and `scorers.judge_quality` turns the verdicts into Ag-H,
kappa, Ag-C, PB, LB, position consistency, preference fairness and the first-slot rate, overall and
per `case` / `student` / `split` field when the file has them.

Pairs files are JSON Lines in the judge_validation.jsonl format: `id, input, a, b, funnier` (a | b |
tie), optional `more_faithful`, `case`, `note`, `student`, `split`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inspect_ai.model import get_model

from benchmark.board.files import jsonl_objects
from benchmark.errors import HumorBenchError
from benchmark.suites import DATA_DIR
from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore
from scorers.judge_quality import LabeledPair, human_agreement, order_diagnostics
from scorers.pairwise import JudgeSettings, judge_pair, resolve_method

VALIDATION_FILE = DATA_DIR / "judge_validation.jsonl"
LABELS = {"funnier": ("a", "b", "tie"), "more_faithful": ("a", "b", "tie")}
BREAKDOWN_FIELDS = ("case", "student", "split", "annotator")


class PairsFileError(HumorBenchError):
    """A labeled-pairs file that cannot be read; the message names the file, the line and the fix."""


def load_labeled_pairs(path: str | Path = VALIDATION_FILE, labeled: bool = True) -> list[dict]:
    """Validated labeled pairs (every failure names the file, the line and the fix).

    `labeled=False` accepts rows without `funnier` (pairs still to be labeled). An id may repeat only
    with different `annotator` fields (an export of `humor-bench annotate`: one row per annotator).
    """
    path = Path(path)
    if not path.is_file():
        raise PairsFileError(f"pairs file '{path}' not found; pass a JSONL file of {{id, input, a, b, funnier}} rows")
    pairs, seen = [], set()
    for where, row in jsonl_objects(path, PairsFileError, "id, input, a, b, funnier"):
        for key in ("id", "input"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise PairsFileError(f"{where}: field '{key}' must be a non-empty string")
        for key in ("a", "b"):  # an empty paraphrase is a real student output (it loses without a call)
            if not isinstance(row.get(key), str):
                raise PairsFileError(f"{where}: field '{key}' must be a string")
        for key, allowed in LABELS.items():
            if ((key == "funnier" and labeled) or key in row) and row.get(key) not in allowed:
                raise PairsFileError(f"{where}: '{key}' is {row.get(key)!r}; use one of {', '.join(allowed)}")
        if "annotator" in row and (not isinstance(row["annotator"], str) or not row["annotator"].strip()):
            raise PairsFileError(f"{where}: field 'annotator' must be a non-empty string when present")
        identity = (row["id"], row.get("annotator"))
        if identity in seen:
            who = f" for annotator '{row['annotator']}'" if "annotator" in row else ""
            raise PairsFileError(f"{where}: id '{row['id']}' appears twice{who}; ids must be unique (per annotator)")
        seen.add(identity)
        pairs.append(row)
    if not pairs:
        raise PairsFileError(f"pairs file '{path}' has no pairs")
    return pairs


async def judge_labeled_pairs(
    grader: Any, method: str, pairs: Sequence[dict], settings: JudgeSettings, store: VerdictStore | None
) -> list[tuple[int | None, int | None]]:
    """(choice with a in slot 1, choice with b in slot 1) per pair, through the one pair path."""

    async def one(pair: dict) -> tuple[int | None, int | None]:
        view = CachedJudge(grader, store, str(pair["id"]), pair["input"], CallLedger())
        fwd, bwd = await judge_pair(view, method, pair["a"], pair["b"], settings)  # type: ignore[arg-type]
        return fwd.choice, bwd.choice

    return list(await asyncio.gather(*(one(p) for p in pairs)))


def card(pairs: Sequence[dict], choices: Sequence[tuple[int | None, int | None]]) -> dict[str, float]:
    """Agreement and order diagnostics of one set of judged pairs (pure)."""
    labeled = [
        LabeledPair(ab, ba, p["funnier"], p.get("more_faithful"), len(p["a"]), len(p["b"]))
        for p, (ab, ba) in zip(pairs, choices)
    ]
    agreement = human_agreement(labeled)
    order = order_diagnostics(list(choices))
    return {
        "n_pairs": len(pairs),
        "n_tie_labels": agreement["n_tie_labels"],
        "ag_h": agreement["ag_h"],
        "kappa_h": agreement["kappa_h"],
        "ag_c": agreement["ag_c"],
        "pb": agreement["pb"],
        "lb": agreement["lb"],
        "lb_given_human_prefers_shorter": agreement["lb_given_shorter_preferred"],
        "prefer_longer": agreement["prefer_longer"],
        "position_consistency": order["position_consistency"],
        "preference_fairness": order["preference_fairness"],
        "first_slot_rate": order["first_slot_rate"],
        "invalid_rate": order["invalid_rate"],
    }


def judge_report(
    grader: str,
    method: str = "auto",
    mcp_mode: str = "auto",
    pairs_path: str | Path = VALIDATION_FILE,
    limit: int | None = None,
    store: VerdictStore | None = None,
) -> dict:
    """The report card of one judge and method on one labeled-pairs file (rates in [0, 1])."""
    pairs = load_labeled_pairs(pairs_path)[:limit]
    judge = get_model(grader)
    resolved = resolve_method(method, judge)  # type: ignore[arg-type]  # a clear error before any work
    settings = JudgeSettings(method=resolved, mcp_mode=mcp_mode, inspect_cache=False)  # type: ignore[arg-type]
    start = time.monotonic()
    choices = asyncio.run(judge_labeled_pairs(judge, resolved, pairs, settings, store))
    report: dict[str, Any] = {
        "judge": grader,
        "method": resolved,
        "mcp_mode": mcp_mode if resolved == "mcp" else None,
        "pairs": str(pairs_path),
        **card(pairs, choices),
        "seconds": round(time.monotonic() - start, 1),
    }
    for field in BREAKDOWN_FIELDS:
        groups = sorted({str(p[field]) for p in pairs if field in p})
        if len(groups) > 1:
            report[f"by_{field}"] = {
                g: card([p for p in pairs if str(p.get(field)) == g], [c for p, c in zip(pairs, choices) if str(p.get(field)) == g])
                for g in groups
            }
    report["verdicts"] = [{"id": p["id"], "ab": ab, "ba": ba} for p, (ab, ba) in zip(pairs, choices)]
    return report


COLUMNS = ("ag_h", "kappa_h", "ag_c", "pb", "lb", "position_consistency", "preference_fairness", "first_slot_rate", "invalid_rate")


def format_table(report: dict) -> str:
    head = "judge / method".ljust(40) + "".join(c[:10].rjust(11) for c in COLUMNS)
    name = f"{report['judge']} / {report['method']}" + (f" ({report['mcp_mode']})" if report["mcp_mode"] else "")
    row = name[:39].ljust(40) + "".join(f"{100 * report[c]:11.1f}" for c in COLUMNS)
    lines = [head, row]
    for field in BREAKDOWN_FIELDS:
        for group, sub in report.get(f"by_{field}", {}).items():
            lines.append(f"  {field}={group} ({sub['n_pairs']})".ljust(40) + "".join(f"{100 * sub[c]:11.1f}" for c in COLUMNS))
    lines.append(f"(x100; {report['n_pairs']} labeled pairs from {report['pairs']}, {report['seconds']}s)")
    return "\n".join(lines)
