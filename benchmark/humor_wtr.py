"""Humor win-tie rate (Ravi et al., ACL 2024): a student's humorous paraphrase vs the teacher's reference.

Usage:
    inspect eval benchmark/humor_wtr.py                       # both suites, embedded student + embedded judge
    inspect eval benchmark/humor_wtr.py@humor_wtr_ood --model <student> --model-role grader=<judge>
    inspect eval benchmark/humor_wtr.py@humor_wtr_id -T split=dev -T reference=all -T arbiter=mcp

Defaults: with no --model the student is the embedded SmolLM2-135M-Instruct (`local/smollm2-135m`,
set by INSPECT_EVAL_MODEL in the repository's .env, because a Task's own model would override --model);
with no grader role the judge is the embedded Qwen2.5-Coder-0.5B-Instruct (`local/qwen2.5-coder-0.5b`)
through the probe method (a linear reward head on its hidden states, fitted on labeled dev pairs; it
agrees with the readers' labels more than the 1.5B's likelihood rules, with one forward pass per candidate; an A/B
prompt has no signal at this size). The judge and method used are recorded in every sample's score.
"""

import inspect
import os
from typing import Any, Literal

from inspect_ai import Task, task
from inspect_ai.log import HeadlineMetric

from benchmark.errors import HumorBenchError
from benchmark.models.embedded import cache_root
from benchmark.suites import SUITE_DESCRIPTIONS, suite_dataset
from scorers.judge_cache import CACHE_FILE
from scorers.scorer import judge_preflight, pairwise_humor_judge
from solvers.paraphrase import humorous_paraphrase

EMBEDDED_STUDENT = "local/smollm2-135m"
EMBEDDED_JUDGE = "local/qwen2.5-coder-0.5b"  # role `grader`; its default method is the fitted reward probe
TASK_VERSION = 1


def humor_wtr(
    suite: str = "id",
    split: str = "test",
    arbiter: Literal["auto", "mcp", "cloze", "cloze_meaning"] = "auto",
    reference: Literal["hash", "first", "all"] = "hash",
    reference_seed: int = 0,
    mcp_mode: Literal["auto", "reason", "direct"] = "auto",
    max_retries: int = 2,
    cloze_temperature: float = 1.0,
    judge_cache: bool | str = True,
    judges: str | list[str] = "grader",
    tie_check: bool = True,
    prompt_style: Literal["auto", "chat", "raw"] = "auto",
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_tokens: int = 48,
    num_beams: int = 1,
    seed: int = 0,
) -> Task:
    """One suite split; decoding parameters apply to the student, judge settings to the grader role.

    Not a @task itself (inspect runs every @task in this file, and the two below cover the suites);
    the full settings, defaults included, are recorded in the task metadata. judge_cache: true (the
    verdict cache at default_verdict_cache(), plus Inspect's cache of the judge's calls), false
    (neither), or the path of a verdict-cache file.
    """
    settings = {k: v for k, v in locals().items()}
    verdict_cache = None if judge_cache is False else (judge_cache if isinstance(judge_cache, str) else default_verdict_cache())
    return Task(
        dataset=suite_dataset(suite, split),
        solver=[
            judge_preflight(arbiter, judges),
            humorous_paraphrase(
                prompt_style=prompt_style,
                temperature=temperature,
                top_p=top_p,
                max_tokens=max_tokens,
                num_beams=num_beams if num_beams > 1 else None,
                seed=seed,
            ),
        ],
        scorer=pairwise_humor_judge(
            arbiter=arbiter,
            reference=reference,
            reference_seed=reference_seed,
            mcp_mode=mcp_mode,
            max_retries=max_retries,
            cloze_temperature=cloze_temperature,
            judge_cache=judge_cache is not False,
            judge_roles=judges,
            tie_check=tie_check,
            verdict_cache=verdict_cache,
        ),
        model_roles={"grader": EMBEDDED_JUDGE, "tie_check": EMBEDDED_STUDENT},
        name=f"humor_wtr_{suite}",
        version=TASK_VERSION,
        metadata={"suite_description": SUITE_DESCRIPTIONS.get(suite, ""), "settings": settings},
        headline_metric=HeadlineMetric(metric="wtr"),
    )


def default_verdict_cache() -> str:
    """$HUMOR_BENCH_JUDGE_CACHE, else judge_cache.sqlite in humor-bench's cache folder."""
    return os.environ.get("HUMOR_BENCH_JUDGE_CACHE") or str(cache_root() / CACHE_FILE)


def _suite_task(suite: str, params: dict[str, Any]) -> Task:
    params.pop("model", None)  # inspect always offers `model`; the student comes from --model
    known = set(inspect.signature(humor_wtr).parameters) - {"suite"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise HumorBenchError(f"unknown task parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
    return humor_wtr(suite=suite, **params)


@task
def humor_wtr_id(**params: Any) -> Task:
    """In-domain suite (EmpatheticDialogues-style sentences); -T takes any humor_wtr() parameter."""
    return _suite_task("id", params)


@task
def humor_wtr_ood(**params: Any) -> Task:
    """Out-of-distribution suite (SAMSum-style chat lines); -T takes any humor_wtr() parameter."""
    return _suite_task("ood", params)
