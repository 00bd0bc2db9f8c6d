"""`humor-bench judge-fit`: choose the cloze_meaning constants, or fit the reward probe, of a judge on the dev pairs only.

Dev pairs (never the test suites' items): the labeled reference-vs-student pairs on ID dev/train
items, the reference-vs-plain-paraphrase pairs, and off-meaning controls built here from the ID dev
split (each item's reference against another item's reference: funny, fluent, and about something
else, so the item's own reference is the better paraphrase by construction). Each group counts
equally in the fit (scorers/gate_fit.py). The result goes to results/judge_fit/<judge>.json with the
whole grid; copy the chosen gate into scorers.judge.MEANING_GATES (a test keeps the two equal).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from inspect_ai.model import get_model

from benchmark.board.files import REPO_ROOT, RESULTS_DIR
from benchmark.suites import DATA_DIR, load_suite
from benchmark.tools.judge_report import load_labeled_pairs
from scorers.gate_fit import GateRow, fit_meaning_gate, gated_agreement
from scorers.judge import MeaningGate, features_api
from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore
from scorers.pairwise import resolve_method
from scorers.probe import RewardProbe, load_probe, probe_file, probe_request
from scorers.probe_fit import ProbePair, agreement, fit_probe

DEV_PAIR_FILES = {
    "students": DATA_DIR / "judge_students_dev.jsonl",
    "plain": DATA_DIR / "judge_plain_dev.jsonl",
}
OFF_MEANING_SHIFT = 7  # item k's reference is paired with item k+7's (a different event)


def off_meaning_controls(split: str = "dev") -> list[dict]:
    """Each ID item's first reference against another item's first reference (label: the item's own)."""
    items = load_suite("id", split)
    rows = []
    for k, item in enumerate(items):
        other = items[(k + OFF_MEANING_SHIFT) % len(items)]
        own_first = k % 2 == 0  # alternate sides so that no side bias can help
        a, b = (item.references[0], other.references[0]) if own_first else (other.references[0], item.references[0])
        rows.append({"id": f"offmeaning-{item.id}", "input": item.input, "a": a, "b": b,
                     "funnier": "a" if own_first else "b", "case": "off_meaning_control"})
    return rows


def dev_pairs() -> dict[str, list[dict]]:
    """The dev groups; pairs with an empty side are left out (the rule does not decide them: empty loses)."""
    groups = {name: [p for p in load_labeled_pairs(path) if p["a"].strip() and p["b"].strip()]
              for name, path in DEV_PAIR_FILES.items()}
    groups["off_meaning"] = off_meaning_controls()
    return groups


async def _scores(judge: Any, pairs: list[dict], store: VerdictStore | None) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    async def one(pair: dict):
        view = CachedJudge(judge, store, str(pair["id"]), pair["input"], CallLedger())
        return tuple(await view.likelihood_scores([pair["a"], pair["b"]], meaning=True))

    return list(await asyncio.gather(*(one(p) for p in pairs)))


def gate_rows(judge: Any, groups: dict[str, list[dict]], store: VerdictStore | None) -> list[GateRow]:
    rows = []
    for name, pairs in groups.items():
        for pair, ((h_a, m_a), (h_b, m_b)) in zip(pairs, asyncio.run(_scores(judge, pairs, store))):
            rows.append(GateRow(h_a, m_a, h_b, m_b, pair["funnier"], name))
    return rows


def judge_fit(grader: str, store: VerdictStore | None = None) -> dict[str, Any]:
    """Fit the gate for `grader` on the dev pairs; report the grid and the humor-only baseline."""
    judge = get_model(grader)
    resolve_method("cloze_meaning", judge)  # a clear error for a judge without likelihoods
    start = time.monotonic()
    groups = dev_pairs()
    rows = gate_rows(judge, groups, store)
    gate, grid = fit_meaning_gate(rows)
    return {
        "judge": grader,
        "gate": asdict(gate),
        "dev_pairs": {name: len(pairs) for name, pairs in groups.items()},
        "dev_agreement": gated_agreement(rows, gate),
        "dev_agreement_humor_only": gated_agreement(rows, MeaningGate(0.0, 0.0)),
        "grid": grid,
        "seconds": round(time.monotonic() - start, 1),
    }


def format_fit(report: dict[str, Any]) -> str:
    gate, dev, base = report["gate"], report["dev_agreement"], report["dev_agreement_humor_only"]
    lines = [f"{report['judge']}: floor={gate['floor']:.4f} weight={gate['weight']} temperature={gate['temperature']:.3f}"]
    for key in dev:
        lines.append(f"  {key:32} {100 * dev[key]:6.1f}   (humor contrast alone: {100 * base[key]:5.1f})")
    lines.append(f"  dev pairs: {report['dev_pairs']} ({report['seconds']}s)")
    return "\n".join(lines)


def default_out(grader: str) -> Path:
    return RESULTS_DIR / "judge_fit" / ("".join(ch if ch.isalnum() else "_" for ch in grader).strip("_") + ".json")


PROBE_FIT_GROUPS = ("students", "plain", "funny")  # labeled dev files; the off-meaning controls are reported, not fitted
FUNNY_PAIRS = DATA_DIR / "judge_funny_dev.jsonl"  # two jokes, one funnier: probe fit data only (the gate's fit predates it)


def probe_layers(judge: Any) -> tuple[int, int]:
    """Half and three quarters of the way up: chosen on dev cross-validation for the 0.5B (12, 18 of 24),
    where adding the last layer's states lost 3 points."""
    depth = int(json.loads((judge.api.folder / "config.json").read_text())["num_hidden_layers"])
    return depth // 2, (3 * depth) // 4


async def _probe_pairs(judge: Any, groups: dict[str, list[dict]], layers: tuple[int, ...]) -> list[ProbePair]:
    requests, index = [], {}
    for pairs in groups.values():
        for pair in pairs:
            for side in ("a", "b"):
                key = (pair["input"].strip(), pair[side].strip())
                if key not in index:
                    index[key] = len(requests)
                    requests.append(probe_request(*key))
    vectors = await features_api(judge).continuation_features(requests, layers)
    rows = []
    for name, pairs in groups.items():
        for pair in pairs:
            better, worse = ("a", "b") if pair["funnier"] == "a" else ("b", "a")
            rows.append(ProbePair(vectors[index[(pair["input"].strip(), pair[better].strip())]],
                                  vectors[index[(pair["input"].strip(), pair[worse].strip())]],
                                  name, str(pair.get("item") or pair["id"])))
    return rows


def fit_reward_probe(grader: str) -> dict[str, Any]:
    """Fit the probe for `grader` on the labeled dev pairs; write scorers/probes/<judge>.json; report the CV."""
    judge = get_model(grader)
    features_api(judge)  # a clear error for a judge without hidden states
    start = time.monotonic()
    groups = {name: [p for p in pairs if p["funnier"] in ("a", "b")] for name, pairs in dev_pairs().items()}
    groups["funny"] = load_labeled_pairs(FUNNY_PAIRS)
    layers = probe_layers(judge)
    rows = asyncio.run(_probe_pairs(judge, groups, layers))
    fitted = [r for r in rows if r.group in PROBE_FIT_GROUPS]
    weights, penalty, table = fit_probe(fitted)
    fit = {"pairs": {name: len(pairs) for name, pairs in groups.items()}, "fitted_on": list(PROBE_FIT_GROUPS),
           "penalty": penalty, "dev_agreement": agreement(rows, weights), "cv": table,
           "command": f"humor-bench judge-fit --method probe --grader {grader}"}
    probe = RewardProbe(grader, layers, tuple(float(w) for w in weights), fit=fit)
    path = probe_file(grader)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(probe.to_json()) + "\n")
    load_probe.cache_clear()
    relative = path.relative_to(REPO_ROOT)  # stored results hold no machine paths
    return {"judge": grader, "method": "probe", "layers": list(layers), **fit, "probe_file": str(relative),
            "seconds": round(time.monotonic() - start, 1)}


def format_probe_fit(report: dict[str, Any]) -> str:
    lines = [f"{report['judge']}: probe on layers {report['layers']}, penalty C={report['penalty']} -> {report['probe_file']}"]
    for row in report["cv"]:
        lines.append(f"  C={row['penalty']:<7} cross-validated balanced agreement {100 * row['cv_balanced_agreement']:5.1f}")
    for key, value in report["dev_agreement"].items():
        lines.append(f"  fitted, {key:28} {100 * value:5.1f}")
    lines.append(f"  dev pairs: {report['pairs']} ({report['seconds']}s)")
    return "\n".join(lines)
