"""Judge report card on the labeled judge-validation pairs: the paper's Table 1 columns for any judge.

Each labeled pair (a, b) is judged in both orders (a first, then b first) with the benchmark's own
judge code (MCP prompt or cloze arbiter), and `scorers.judge_quality` turns the verdicts into
Ag-H, Ag-C, PB, LB, position consistency and preference fairness.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from inspect_ai.model import get_model

from benchmark.suites import DATA_DIR
from scorers.judge import cloze_humor_scores, cloze_preference, judge_mcp, likelihood_api
from scorers.judge_quality import LabeledPair, human_agreement, order_diagnostics

VALIDATION_FILE = DATA_DIR / "judge_validation.jsonl"


def load_validation_pairs(path: Path = VALIDATION_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _judge_both_orders(judge, method: str, pair: dict, mcp_mode: str) -> tuple[int | None, int | None]:
    if method == "cloze":
        s_a, s_b = await cloze_humor_scores(likelihood_api(judge), pair["input"], [pair["a"], pair["b"]])
        return cloze_preference(s_a, s_b).choice, cloze_preference(s_b, s_a).choice
    ab = judge_mcp(judge, pair["input"], pair["a"], pair["b"], mcp_mode, cache=False)
    ba = judge_mcp(judge, pair["input"], pair["b"], pair["a"], mcp_mode, cache=False)
    v_ab, v_ba = await asyncio.gather(ab, ba)
    return v_ab.choice, v_ba.choice


def judge_report(grader: str, method: str = "mcp", mcp_mode: str = "reason", limit: int | None = None) -> dict:
    """Table-1 columns (x100 in the printout) plus order diagnostics for one judge."""
    pairs = load_validation_pairs()[:limit]
    judge = get_model(grader)
    if method == "cloze":
        likelihood_api(judge)  # clear error before any work

    async def run_all() -> list[tuple[int | None, int | None]]:
        return list(await asyncio.gather(*[_judge_both_orders(judge, method, p, mcp_mode) for p in pairs]))

    start = time.monotonic()
    choices = asyncio.run(run_all())
    labeled = [
        LabeledPair(c_ab, c_ba, p["funnier"], p.get("more_faithful"), len(p["a"]), len(p["b"]))
        for p, (c_ab, c_ba) in zip(pairs, choices)
    ]
    agreement = human_agreement(labeled)
    order = order_diagnostics(choices)
    return {
        "judge": grader,
        "method": method,
        "mcp_mode": mcp_mode if method == "mcp" else None,
        "n_pairs": len(pairs),
        "ag_h": agreement["ag_h"],
        "ag_c": agreement["ag_c"],
        "pb": agreement["pb"],
        "lb": agreement["lb"],
        "lb_given_human_prefers_shorter": agreement["lb_given_shorter_preferred"],
        "prefer_longer": agreement["prefer_longer"],
        "position_consistency": order["position_consistency"],
        "preference_fairness": order["preference_fairness"],
        "first_slot_rate": order["first_slot_rate"],
        "invalid_rate": order["invalid_rate"],
        "seconds": round(time.monotonic() - start, 1),
    }


def format_table(report: dict) -> str:
    cols = ["ag_h", "ag_c", "pb", "lb", "position_consistency", "preference_fairness", "first_slot_rate", "invalid_rate"]
    head = "judge / method".ljust(34) + "".join(c[:10].rjust(11) for c in cols)
    name = f"{report['judge']} / {report['method']}" + (f" ({report['mcp_mode']})" if report["mcp_mode"] else "")
    row = name[:33].ljust(34) + "".join(f"{100 * report[c]:11.1f}" for c in cols)
    return f"{head}\n{row}\n(x100; {report['n_pairs']} labeled pairs, {report['seconds']}s)"
