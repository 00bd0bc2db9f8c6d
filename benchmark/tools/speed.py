"""`humor-bench speed`: what a benchmark run costs, measured side by side in one run on the same items.

  (a) judge     the MCP judge in single-token logprob mode vs the paper's reason-then-answer mode,
                same judge model, same comparisons (both orders, concurrent, no caches)
  (b) student   batched vs one-at-a-time generation, same prompts and decoding
  (c) cache     a full `inspect eval` run with cold caches; then a second checkpoint (the same student
                sampled at temperature 0.7, so every output is new) with the verdict cache as the first
                run left it (the references' judge scores are shared); then the first command again with
                warm caches: the repeat's model calls are counted from its log (student calls not read
                from Inspect's cache + judge requests not served by the verdict cache) and must be 0
  (d) suite     the cold run of (c) is the end-to-end wall time of the default ID suite (the default
                command plus `--cache`, so that (c)'s repeat can be served), in a fresh process
  (e) engines   with the `fast` extra: llama.cpp vs transformers on the same prompts and cloze pairs
  (f) grader    the default judge alone on (c)'s (student, reference) pairs through `judge_pair`: cold,
                then the second checkpoint's pairs with only the references' scores cached (the share
                of judge time the cache saves); its achieved matmul FLOP/s against this machine's
                measured torch.mm peak in the same dtype and thread count

Every ratio is computed from timings of this one run; the JSON keeps the raw seconds too.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmark.board.files import REPO_ROOT
from benchmark.errors import StepFailedError
from benchmark.suites import load_suite

EMBEDDED = "local/smollm2-135m"
SECOND_CHECKPOINT = ["-T", "temperature=0.7", "-T", "seed=1"]  # new outputs from the same weights


def judge_modes(items: list, judge_name: str = EMBEDDED, per_request_items: int = 4, engine: str | None = None) -> dict[str, Any]:
    """(a) Reference 1 vs reference 2 of each item, both orders, in 'direct' (1 token) and 'reason' mode.

    Two regimes: batched (all comparisons concurrent, as the scorer runs them against a local
    judge) and per request (one judgment at a time, as a single stream to a served judge sees it).
    The profile says where the time goes: prompt tokens prefilled vs tokens decoded per judgment.
    """
    from inspect_ai.model import get_model

    from scorers.judge import judge_mcp, mcp_prompt
    from scorers.judge_quality import order_diagnostics

    judge = get_model(judge_name, **({"engine": engine} if engine else {}))

    def jobs(subset: list) -> list:
        return [(it.input, a, b) for it in subset for a, b in ((it.references[0], it.references[1]), (it.references[1], it.references[0]))]

    async def batched(subset: list, mode: str) -> list:
        return list(await asyncio.gather(*(judge_mcp(judge, x, a, b, mode, 2, cache=False) for x, a, b in jobs(subset))))

    async def sequential(subset: list, mode: str) -> list:
        return [await judge_mcp(judge, x, a, b, mode, 2, cache=False) for x, a, b in jobs(subset)]

    asyncio.run(batched(items[:2], "direct"))  # load and warm the model outside the timings
    tokenizer = judge.api.checkpoint.tokenizer
    n_tokens = lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    out: dict[str, Any] = {"judge": judge_name, "engine": getattr(judge.api, "engine", None),
                           "comparisons": len(items), "judgments": 2 * len(items)}
    for regime, runner, subset in (("batched", batched, items), ("per_request", sequential, items[:per_request_items])):
        section: dict[str, Any] = {"judgments": 2 * len(subset)}
        for mode in ("direct", "reason"):
            start = time.perf_counter()
            verdicts = asyncio.run(runner(subset, mode))
            seconds = time.perf_counter() - start
            pairs = list(zip(verdicts[0::2], verdicts[1::2]))
            order = order_diagnostics([(f.choice, b.choice) for f, b in pairs])
            section[mode] = {
                "seconds": round(seconds, 3),
                "ms_per_judgment": round(1000 * seconds / len(verdicts), 1),
                "from_logprobs": sum(v.source == "logprobs" for v in verdicts) / len(verdicts),
                "invalid_rate": order["invalid_rate"],
                "position_consistency": order["position_consistency"],
                "attempts": sum(v.attempts for v in verdicts),
                "decoded_tokens_per_judgment": round(sum(n_tokens(v.raw) for v in verdicts) / len(verdicts), 1),
            }
        section["speedup_logprob_vs_reason"] = round(section["reason"]["seconds"] / section["direct"]["seconds"], 2)
        out[regime] = section
    prompts = [mcp_prompt(x, a, b, "direct") for x, a, b in jobs(items)]
    out["prompt_tokens_per_judgment"] = round(sum(map(n_tokens, prompts)) / len(prompts), 1)
    out["speedup_logprob_vs_reason"] = out["batched"]["speedup_logprob_vs_reason"]
    return out


def student_batching(items: list, alias: str = "smollm2-135m", max_new_tokens: int = 48) -> dict[str, Any]:
    """(b) The same greedy prompts through the engine as one batch vs one prompt at a time."""
    from benchmark.models.checkpoint import GenerationSettings, load_checkpoint
    from benchmark.models.embedded import ensure_converted
    from solvers.paraphrase import student_messages

    ckpt = load_checkpoint(ensure_converted(alias))
    prompts = [ckpt.render_chat(student_messages(it.input)) for it in items]
    settings = GenerationSettings(max_new_tokens=max_new_tokens, repetition_penalty=1.1)
    ckpt.generate(prompts[:2], settings)  # warm-up
    out: dict[str, Any] = {"model": alias, "prompts": len(prompts), "max_new_tokens": max_new_tokens}
    start = time.perf_counter()
    batched = ckpt.generate(prompts, settings)
    out["batched"] = _throughput(batched, time.perf_counter() - start)
    start = time.perf_counter()
    single = [g for p in prompts for g in ckpt.generate([p], settings)]
    out["one_at_a_time"] = _throughput(single, time.perf_counter() - start)
    out["same_outputs"] = sum(a.text == b.text for a, b in zip(batched, single)) / len(prompts)
    out["throughput_ratio"] = round(out["batched"]["tokens_per_s"] / out["one_at_a_time"]["tokens_per_s"], 2)
    return out


def engine_comparison(items: list, alias: str = "smollm2-135m", max_new_tokens: int = 48) -> dict[str, Any]:
    """(e) The optional llama.cpp engine against transformers: one-at-a-time generation, cloze scoring."""
    from benchmark.models.checkpoint import GenerationSettings, load_checkpoint
    from benchmark.models.embedded import ensure_converted, locate_gguf
    from benchmark.models.llama_cpp_engine import LlamaCppEngine, llama_cpp_available
    from scorers.judge import CLOZE_FUNNY_CONTEXT, CLOZE_PLAIN_CONTEXT
    from solvers.paraphrase import student_messages

    if not llama_cpp_available():
        return {"skipped": "llama-cpp-python is not installed (HUMOR_BENCH_FAST=1 bash setup.sh)"}
    folder = ensure_converted(alias)
    engines = {"transformers": load_checkpoint(folder), "llama_cpp": LlamaCppEngine(locate_gguf(alias), folder)}
    settings = GenerationSettings(max_new_tokens=max_new_tokens, repetition_penalty=1.1)
    pairs = [(ctx.format(input=it.input), " " + c) for it in items for c in (it.input, it.references[0])
             for ctx in (CLOZE_FUNNY_CONTEXT, CLOZE_PLAIN_CONTEXT)]
    out: dict[str, Any] = {"prompts": len(items), "cloze_pairs": len(pairs)}
    for name, engine in engines.items():
        prompts = [engine.render_chat(student_messages(it.input)) for it in items]
        engine.generate(prompts[:1], settings)  # warm-up
        start = time.perf_counter()
        generations = [g for p in prompts for g in engine.generate([p], settings)]
        generated = _throughput(generations, time.perf_counter() - start)
        start = time.perf_counter()
        engine.continuation_logprobs(pairs)
        out[name] = {"one_at_a_time": generated, "cloze_seconds": round(time.perf_counter() - start, 3)}
    out["generation_speedup"] = round(out["llama_cpp"]["one_at_a_time"]["tokens_per_s"] / out["transformers"]["one_at_a_time"]["tokens_per_s"], 2)
    out["cloze_speedup"] = round(out["transformers"]["cloze_seconds"] / out["llama_cpp"]["cloze_seconds"], 2)
    return out


def _throughput(generations: list, seconds: float) -> dict[str, float]:
    tokens = sum(g.output_tokens for g in generations)
    return {"seconds": round(seconds, 3), "output_tokens": tokens, "tokens_per_s": round(tokens / seconds, 1)}


def cached_repeat(limit: int | None, work: Path, task: str = "benchmark/humor_wtr.py@humor_wtr_id",
                  engine: str | None = None) -> dict[str, Any]:
    """(c) + (d): the default task twice in fresh processes, caches cold then warm (engine: the embedded
    student's, judge's and tie check's, else the default)."""
    env = {**os.environ, "INSPECT_CACHE_DIR": str(work / "inspect_cache"),
           "HUMOR_BENCH_JUDGE_CACHE": str(work / "judge_cache.sqlite")}
    command = [str(Path(sys.executable).parent / "inspect"), "eval", task, "--cache", "--display", "none"]
    if limit:
        command += ["--limit", str(limit)]
    if engine:
        command += ["-M", f"engine={engine}"]
        from benchmark.humor_wtr import EMBEDDED_JUDGE

        for role in ("grader", "tie_check"):
            command += ["--model-role", f"{role}={{model: {EMBEDDED_JUDGE}, model_args: {{engine: {engine}}}}}"]
    runs = {}
    for name, extra in (("cold", []), ("second_checkpoint", SECOND_CHECKPOINT), ("warm", [])):
        log_dir = work / f"logs_{name}"
        start = time.perf_counter()
        done = subprocess.run([*command, *extra, "--log-dir", str(log_dir)], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise StepFailedError(f"speed: `{' '.join(command)}` failed ({done.returncode}): {done.stderr.strip()[-300:]}")
        runs[name] = {"seconds": round(seconds, 2), **_log_calls(log_dir)}
    cold, second, warm = runs["cold"], runs["second_checkpoint"], runs["warm"]
    return {
        "command": " ".join(["inspect", *command[1:]]),
        "items": cold["samples"],
        "cold": cold,
        "second_checkpoint": {**second, "extra_args": " ".join(SECOND_CHECKPOINT)},
        "warm": warm,
        "speedup_warm_vs_cold": round(cold["seconds"] / warm["seconds"], 1),
        "speedup_second_checkpoint_vs_cold": round(cold["seconds"] / second["seconds"], 2),
        "model_calls_on_repeat": warm["student_calls"] + warm["judge_requests_made"],
        "same_wtr": cold["wtr"] == warm["wtr"],
        "logs": {name: str(next((work / f"logs_{name}").glob("*.eval"))) for name in runs},
    }


def matmul_peak(dtype: str = "bfloat16", n: int = 2048, repeats: int = 6) -> float:
    """This machine's torch.mm throughput (FLOP/s) on n x n matrices, best of `repeats`, current threads."""
    import torch

    a = torch.randn(n, n).to(getattr(torch, dtype))
    b = torch.randn(n, n).to(getattr(torch, dtype))
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2.0 * n**3 / best


def grader_cost(cold_log: str, second_log: str, judge_name: str | None = None, limit: int | None = 64) -> dict[str, Any]:
    """(f) The default judge on the first `limit` logged (student, reference) pairs: cold, then a second
    checkpoint with only the references' scores cached; achieved FLOP/s vs the measured matmul peak."""
    from inspect_ai.model import get_model

    from benchmark.board.logs import SCORER, read_log
    from benchmark.humor_wtr import EMBEDDED_JUDGE
    from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore
    from scorers.pairwise import JudgeSettings, judge_pair, resolve_method
    from scorers.probe import load_probe

    judge = get_model(judge_name or EMBEDDED_JUDGE)
    method = resolve_method("auto", judge)
    settings = JudgeSettings()

    def pairs(path: str) -> list[tuple[str, str, str, str]]:
        log = read_log(path)
        return [(str(s.id), s.input if isinstance(s.input, str) else s.input[-1].text,
                 s.scores[SCORER].answer or "", s.scores[SCORER].metadata["comparisons"][0]["reference"])
                for s in (log.samples or [])[:limit]]

    async def judge_all(jobs: list, store: VerdictStore, references_only: bool = False) -> None:
        views = [CachedJudge(judge, store, i, x, CallLedger()) for i, x, _, _ in jobs]
        if references_only and method == "probe":
            probe = load_probe(str(judge))
            await asyncio.gather(*(v.probe_rewards([r], probe) for v, (_, _, _, r) in zip(views, jobs)))
        elif references_only:
            await asyncio.gather(*(v.likelihood_scores([r], meaning=method == "cloze_meaning") for v, (_, _, _, r) in zip(views, jobs)))
        else:
            await asyncio.gather(*(judge_pair(v, method, s, r, settings) for v, (_, _, s, r) in zip(views, jobs)))

    cold_jobs, second_jobs = pairs(cold_log), pairs(second_log)
    asyncio.run(judge_all(cold_jobs[:2], VerdictStore(":memory:")))  # load and warm the model outside the timings
    engine = judge.api.checkpoint
    out: dict[str, Any] = {"judge": str(judge), "method": method, "pairs": len(cold_jobs),
                           "dtype": str(next(engine.model.parameters()).dtype).removeprefix("torch.")}
    with tempfile.TemporaryDirectory() as tmp:
        tokens, rows = engine.scored_tokens, engine.scored_head_rows
        start = time.perf_counter()
        asyncio.run(judge_all(cold_jobs, VerdictStore(Path(tmp) / "cold.sqlite")))
        cold_s = time.perf_counter() - start
        tokens, rows = engine.scored_tokens - tokens, engine.scored_head_rows - rows
        warm_store = VerdictStore(Path(tmp) / "second.sqlite")
        asyncio.run(judge_all(second_jobs, warm_store, references_only=True))  # what a first submission leaves
        start = time.perf_counter()
        asyncio.run(judge_all(second_jobs, warm_store))
        second_s = time.perf_counter() - start
    flops = engine.scoring_flops(tokens, rows)
    peak = matmul_peak(out["dtype"])
    out.update({
        "cold_seconds": round(cold_s, 2),
        "second_checkpoint_seconds": round(second_s, 2),
        "share_of_judge_time_saved_by_cache": round(1 - second_s / cold_s, 3),
        "cold_tokens_scored": tokens,
        "cold_tokens_per_s": round(tokens / cold_s, 1),
        "achieved_gflops": round(flops / cold_s / 1e9, 1),
        "matmul_peak_gflops": round(peak / 1e9, 1),
        "share_of_peak": round(flops / cold_s / peak, 3),
    })
    return out


def _log_calls(log_dir: Path) -> dict[str, Any]:
    """From the run's .eval log: status, WTR, student calls not read from cache, judge requests paid."""
    from benchmark.board.logs import read_log

    [path] = sorted(log_dir.glob("*.eval"))
    log = read_log(path)
    if log.status != "success":
        raise StepFailedError(f"speed: the run in {log_dir} ended with status '{log.status}'")
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    events = [e for s in log.samples or [] for e in s.events if e.event == "model"]
    return {
        "samples": len(log.samples or []),
        "wtr": metrics.get("wtr"),
        "student_calls": sum(1 for e in events if e.role is None and e.cache != "read"),
        "student_cache_reads": sum(1 for e in events if e.role is None and e.cache == "read"),
        "judge_requests_made": int(metrics.get("judge_requests_made", 0)),
        "judge_cache_hit_rate": metrics.get("judge_cache_hit_rate"),
        "inspect_seconds": _inspect_seconds(log),
    }


def _inspect_seconds(log: Any) -> float | None:
    from datetime import datetime

    try:
        return round((datetime.fromisoformat(log.stats.completed_at) - datetime.fromisoformat(log.stats.started_at)).total_seconds(), 2)
    except (TypeError, ValueError):
        return None


def speed_report(judge_items: int = 32, student_items: int = 64, suite_limit: int | None = None,
                 engine: str | None = None) -> dict[str, Any]:
    """All measurements; suite_limit None = the whole default ID suite (200 items); engine: the embedded
    model's engine for (a), (c) and (d) (default: the provider's default)."""
    import torch

    from benchmark.board.manifest import git_revision
    from benchmark.models.device import device_description

    items = load_suite("id", "test")
    report: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "device": device_description()},
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "git_revision": git_revision(),
        "engine": engine or "default",
    }
    with tempfile.TemporaryDirectory(prefix="humor-bench-speed-") as tmp:
        report["cache"] = cached_repeat(suite_limit, Path(tmp), engine=engine)
        report["suite"] = {"items": report["cache"]["items"], "seconds": report["cache"]["cold"]["seconds"],
                           "second_checkpoint_seconds": report["cache"]["second_checkpoint"]["seconds"],
                           "note": "the cold run of 'cache': default command + --cache, fresh process, model load included"}
        report["grader"] = grader_cost(report["cache"]["logs"]["cold"], report["cache"]["logs"]["second_checkpoint"])
        report["cache"]["logs"] = {name: Path(log).name for name, log in report["cache"]["logs"].items()}  # temporary: names only
    report["judge"] = judge_modes(items[:judge_items], engine=engine)
    report["student"] = student_batching(items[:student_items])
    report["engines"] = engine_comparison(items[: min(student_items, 16)])
    report["targets"] = {
        "logprob_judge_5x_batched": report["judge"]["batched"]["speedup_logprob_vs_reason"] >= 5,
        "logprob_judge_5x_per_request": report["judge"]["per_request"]["speedup_logprob_vs_reason"] >= 5,
        "batched_generation_3x": report["student"]["throughput_ratio"] >= 3,
        "cached_repeat_20x_and_0_calls": report["cache"]["speedup_warm_vs_cold"] >= 20 and report["cache"]["model_calls_on_repeat"] == 0,
        "id_suite_10_min": report["suite"]["items"] >= 200 and report["suite"]["seconds"] <= 600,
    }
    return report


def _engine_line(e: dict[str, Any]) -> str:
    if "skipped" in e:
        return f"(e) llama.cpp engine: skipped ({e['skipped']})"
    return (f"(e) llama.cpp vs transformers, one at a time: {e['llama_cpp']['one_at_a_time']['tokens_per_s']} vs "
            f"{e['transformers']['one_at_a_time']['tokens_per_s']} tok/s -> {e['generation_speedup']}x; cloze scoring "
            f"{e['cloze_pairs']} pairs: {e['llama_cpp']['cloze_seconds']}s vs {e['transformers']['cloze_seconds']}s -> {e['cloze_speedup']}x")


def _grader_line(g: dict[str, Any]) -> str:
    return (f"(f) judge {g['judge']} ({g['method']}, {g['dtype']}) on {g['pairs']} pairs: cold {g['cold_seconds']}s, second "
            f"checkpoint {g['second_checkpoint_seconds']}s (cache saves {100 * g['share_of_judge_time_saved_by_cache']:.0f}% "
            f"of judge time); {g['cold_tokens_per_s']} tokens/s = {g['achieved_gflops']} GFLOP/s of a measured "
            f"{g['matmul_peak_gflops']} GFLOP/s matmul peak ({100 * g['share_of_peak']:.0f}%)")


def format_report(report: dict[str, Any]) -> str:
    j, s, c, d = report["judge"], report["student"], report["cache"], report["suite"]
    return "\n".join([
        f"(a) judge {j['judge']} ({j['engine']}), {j['prompt_tokens_per_judgment']} prompt tokens per judgment: "
        f"batched, {j['batched']['judgments']} judgments: direct (1 token) {j['batched']['direct']['seconds']}s vs reason "
        f"({j['batched']['reason']['decoded_tokens_per_judgment']} tokens decoded) {j['batched']['reason']['seconds']}s -> "
        f"{j['batched']['speedup_logprob_vs_reason']}x; per request, {j['per_request']['judgments']} judgments: "
        f"{j['per_request']['direct']['seconds']}s vs {j['per_request']['reason']['seconds']}s -> {j['per_request']['speedup_logprob_vs_reason']}x",
        f"(b) student, {s['prompts']} prompts: batched {s['batched']['tokens_per_s']} tok/s vs one at a time "
        f"{s['one_at_a_time']['tokens_per_s']} tok/s -> {s['throughput_ratio']}x",
        f"(c) {c['items']} items: cold {c['cold']['seconds']}s, warm {c['warm']['seconds']}s -> {c['speedup_warm_vs_cold']}x; "
        f"model calls on the repeat: {c['model_calls_on_repeat']}; same WTR: {c['same_wtr']}",
        f"(d) ID suite ({d['items']} items) end to end: {d['seconds']}s cold; a second checkpoint with the references' "
        f"judge scores cached: {d['second_checkpoint_seconds']}s",
        _grader_line(report["grader"]),
        _engine_line(report["engines"]),
        "targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in report["targets"].items()),
    ])

