"""Critic feedback: k candidates from a student, the most diverse pair, the length filter, the critic's label.

Paper §3.2: from the warm-started student, k = 6 candidates per input; the pair with the maximum
pairwise n-gram edit distance; only pairs with a length ratio in [0.8, 1.2] (length-bias mitigation);
the critic (the same pairwise judge as the evaluation) labels it, giving a chosen and a rejected
paraphrase and the critic's probability. Our choices where the paper is silent (each a config key):
  distance      Levenshtein distance between the two word-n-gram sequences (n = 2), divided by the
                longer sequence's length, so 0 = identical and 1 = nothing in common in order
  length        characters (the benchmark's length diagnostics also count characters); the ratio must
                lie in [lo, hi] both ways round, so the order of the pair does not matter
  order         filter_then_select (default): the most diverse pair among those passing the filter;
                select_then_filter: the most diverse pair overall, dropped when it fails the filter
  decoding      nucleus sampling; diverse (group) beam search moved out of transformers (>= 4.56) into
                Hub remote code, which humor-bench never runs
  label         the evaluation's own judgment (`scorers.pairwise.judge_pair`, verdict cache included):
                both orders, P(a) = (p_fwd(a first) + 1 - p_bwd(a second)) / 2 from the judge's "1"/"2"
                probabilities or text (MCP), or the sigmoid of the (gated) score difference (likelihood
                methods). Invalid verdicts and exact ties (P = 0.5) are dropped and counted.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from inspect_ai.model import Model, get_model

from benchmark.errors import HumorBenchError
from benchmark.models.checkpoint import GenerationSettings, LoadedCheckpoint, validate_checkpoint_dir
from benchmark.models.device import default_device
from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore, open_store
from scorers.pairwise import JudgeSettings, first_side_probability, judge_pair, resolve_method
from solvers.paraphrase import clean_paraphrase, student_messages

from .data import group_pairs

WORD_RE = re.compile(r"\w+|[^\w\s]")
TIE_TOLERANCE = 1e-9  # |P - 0.5| below this is a tie (position-inconsistent MCP verdicts average to 0.5)


@dataclass
class FeedbackConfig:
    """How feedback is collected (the `feedback:` section of a recipe config)."""

    critic: str = "local/smollm2-135m"  # any Inspect model: API judges through MCP, local ones also cloze
    critic_args: dict[str, Any] = field(default_factory=dict)
    method: Literal["auto", "mcp", "cloze", "cloze_meaning"] = "auto"
    mcp_mode: Literal["auto", "reason", "direct"] = "auto"  # auto: one token where logprobs exist
    max_retries: int = 2
    cloze_temperature: float = 1.0
    judge_cache: bool = True
    k: int = 6
    decoding: Literal["sample"] = "sample"
    temperature: float = 1.0
    top_p: float = 0.95
    max_new_tokens: int = 48
    repetition_penalty: float = 1.1  # the local provider's default at evaluation
    batch_size: int = 8  # inputs per generate call (x k sequences)
    ngram: int = 2
    length_ratio: tuple[float, float] = (0.8, 1.2)
    length_unit: Literal["chars", "words"] = "chars"
    order: Literal["filter_then_select", "select_then_filter"] = "filter_then_select"
    limit: int | None = None  # inputs that receive feedback (None: every teacher input)


@dataclass
class CandidatePair:
    first: str
    second: str
    distance: float
    length_ratio: float  # len(first) / len(second)


def ngram_edit_distance(a: str, b: str, n: int = 2) -> float:
    """Levenshtein distance of the word n-gram sequences of a and b / the longer sequence (in [0, 1])."""
    seq_a, seq_b = _ngrams(a, n), _ngrams(b, n)
    if not seq_a and not seq_b:
        return 0.0
    previous = list(range(len(seq_b) + 1))
    for i, gram_a in enumerate(seq_a, 1):
        current = [i]
        for j, gram_b in enumerate(seq_b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (gram_a != gram_b)))
        previous = current
    return previous[-1] / max(len(seq_a), len(seq_b))


def _ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    words = WORD_RE.findall(text.lower())
    if len(words) < n:
        return [tuple(words)] if words else []
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def text_length(text: str, unit: str = "chars") -> int:
    return len(text.split()) if unit == "words" else len(text)


def length_ratio_ok(a: str, b: str, bounds: tuple[float, float] = (0.8, 1.2), unit: str = "chars") -> bool:
    """Paper §3.2 length filter: len(a)/len(b) and len(b)/len(a) both within [lo, hi]."""
    la, lb = text_length(a, unit), text_length(b, unit)
    if la == 0 or lb == 0:
        return False
    lo, hi = bounds
    return lo <= la / lb <= hi and lo <= lb / la <= hi


def select_pair(
    candidates: list[str],
    n: int = 2,
    bounds: tuple[float, float] = (0.8, 1.2),
    unit: str = "chars",
    order: str = "filter_then_select",
) -> tuple[CandidatePair | None, str]:
    """The most diverse candidate pair, or (None, why): too_few_distinct | length_filter."""
    unique: list[str] = []
    for cand in candidates:
        if cand.strip() and cand.strip().lower() not in {u.lower() for u in unique}:
            unique.append(cand.strip())
    if len(unique) < 2:
        return None, "too_few_distinct"
    pairs = [(a, b) for i, a in enumerate(unique) for b in unique[i + 1 :]]
    if order == "filter_then_select":
        pairs = [(a, b) for a, b in pairs if length_ratio_ok(a, b, bounds, unit)]
    elif order != "select_then_filter":
        raise HumorBenchError(f"unknown pair order '{order}'; choose filter_then_select or select_then_filter")
    if not pairs:
        return None, "length_filter"
    best = max(pairs, key=lambda p: ngram_edit_distance(p[0], p[1], n))  # first maximum wins ties
    if not length_ratio_ok(*best, bounds, unit):
        return None, "length_filter"
    a, b = best
    return CandidatePair(a, b, ngram_edit_distance(a, b, n), text_length(a, unit) / text_length(b, unit)), "ok"


def sample_candidates(folder: str, inputs: list[str], cfg: FeedbackConfig, seed: int = 0, device: str | None = None) -> list[list[str]]:
    """k cleaned candidates per input from the checkpoint in `folder`, by nucleus sampling."""
    from tqdm.auto import tqdm

    if cfg.decoding != "sample":
        raise HumorBenchError(f"unknown decoding '{cfg.decoding}'; only 'sample' (nucleus sampling) is available offline")
    ckpt = LoadedCheckpoint(validate_checkpoint_dir(folder), device=device or default_device())
    prompts = [ckpt.render_chat(student_messages(sentence)) for sentence in inputs]
    out: list[list[str]] = []
    for batch_no, start in enumerate(tqdm(range(0, len(prompts), cfg.batch_size), desc="candidates", unit="batch")):
        chunk = prompts[start : start + cfg.batch_size]
        settings = GenerationSettings(
            max_new_tokens=cfg.max_new_tokens,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            repetition_penalty=cfg.repetition_penalty,
            seed=seed * 100_003 + batch_no,
        )
        generations = ckpt.generate([p for p in chunk for _ in range(cfg.k)], settings)
        texts = [clean_paraphrase(g.text) for g in generations]
        out.extend(texts[i * cfg.k : (i + 1) * cfg.k] for i in range(len(chunk)))
    del ckpt
    return out


def judge_settings(cfg: FeedbackConfig) -> JudgeSettings:
    return JudgeSettings(cfg.method, cfg.mcp_mode, cfg.max_retries, cfg.cloze_temperature, inspect_cache=cfg.judge_cache)


async def critic_probability(
    judge: Model, method: str, item_id: str, sentence: str, a: str, b: str, cfg: FeedbackConfig, store: VerdictStore | None = None,
    ledger: CallLedger | None = None,
) -> float | None:
    """P(a is the better paraphrase) from the benchmark's own pair judgment; None when a verdict is invalid.
    `ledger` counts the judge requests paid for and those served by the verdict cache."""
    view = CachedJudge(judge, store, item_id, sentence, ledger if ledger is not None else CallLedger())
    fwd, bwd = await judge_pair(view, method, a, b, judge_settings(cfg))  # type: ignore[arg-type]
    return first_side_probability(fwd, bwd)


async def label_pairs_async(
    judge: Model, items: list[dict[str, Any]], cfg: FeedbackConfig, source: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """items: {id, input, candidates, reference} -> preference records, plus counts of what was dropped."""
    from tqdm.auto import tqdm

    method = resolve_method(cfg.method, judge)
    store = _verdict_store() if cfg.judge_cache else None
    counts = {"inputs": len(items), "too_few_distinct": 0, "length_filter": 0, "invalid": 0, "tie": 0, "kept": 0}
    selected = []
    for item in items:
        pair, why = select_pair(item["candidates"], cfg.ngram, tuple(cfg.length_ratio), cfg.length_unit, cfg.order)
        if pair is None:
            counts[why] += 1
        else:
            selected.append((item, pair))
    bar = tqdm(total=len(selected), desc=f"critic ({method})", unit="pair")
    ledger = CallLedger()  # a stage's time means little without how much of its judging the cache served

    async def judge_one(item: dict[str, Any], pair: CandidatePair) -> float | None:
        p = await critic_probability(judge, method, str(item["id"]), item["input"], pair.first, pair.second, cfg, store, ledger)
        bar.update(1)
        return p

    probabilities = await asyncio.gather(*(judge_one(i, p) for i, p in selected))
    bar.close()
    records = []
    for (item, pair), p_first in zip(selected, probabilities):
        if p_first is None or abs(p_first - 0.5) < TIE_TOLERANCE:
            counts["invalid" if p_first is None else "tie"] += 1
            continue
        first_wins = p_first > 0.5
        records.append(
            {
                "id": item["id"],
                "prompt": item["input"],
                "chosen": pair.first if first_wins else pair.second,
                "rejected": pair.second if first_wins else pair.first,
                "p_chosen": p_first if first_wins else 1.0 - p_first,
                "reference": item.get("reference"),
                "distance": round(pair.distance, 4),
                "length_ratio": round(pair.length_ratio, 4),
                "critic": str(judge),
                "method": method,
                "source": source,
            }
        )
    counts.update(kept=len(records), judge_cached=ledger.cached, judge_made=ledger.made)
    return records, counts


def label_pairs(items: list[dict[str, Any]], cfg: FeedbackConfig, source: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    judge = get_model(cfg.critic, **cfg.critic_args)
    return asyncio.run(label_pairs_async(judge, items, cfg, source))


def feedback_items(pairs: list[dict[str, Any]], limit: int | None = None, teacher_candidates: bool = False) -> list[dict[str, Any]]:
    """One item per teacher input: its first teacher paraphrase as BRIO's MLE target; the teacher's
    paraphrases as the candidates when the teacher ranks its own outputs (BRIO-DPO), else none yet."""
    groups = list(group_pairs(pairs).items())[:limit]
    return [
        {"id": i, "input": sentence, "reference": refs[0], "candidates": list(refs) if teacher_candidates else []}
        for i, (sentence, refs) in groups
    ]


def student_feedback(folder: str, items: list[dict[str, Any]], cfg: FeedbackConfig, seed: int = 0) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """k samples per item from the checkpoint in `folder`, then `label_pairs`."""
    samples = sample_candidates(folder, [item["input"] for item in items], cfg, seed)
    items = [{**item, "candidates": candidates} for item, candidates in zip(items, samples)]
    return label_pairs(items, cfg, f"student:{Path(folder).name}")


def _verdict_store() -> VerdictStore:
    from benchmark.humor_wtr import default_verdict_cache

    return open_store(default_verdict_cache())


