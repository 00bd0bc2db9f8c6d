"""Humor win-tie rate (Ravi et al., ACL 2024): a student's humorous paraphrase vs the teacher's reference.

Usage:
    inspect eval benchmark/humor_wtr.py                       # both suites, embedded student + embedded judge
    inspect eval benchmark/humor_wtr.py@humor_wtr_ood --model <student> --model-role grader=<judge>
    inspect eval benchmark/humor_wtr.py@humor_wtr_id -T split=dev -T reference=all -T method=mcp

Defaults: with no --model the student is the embedded SmolLM2-135M-Instruct (`local/smollm2-135m`,
set by INSPECT_EVAL_MODEL in the repository's .env, because a Task's own model would override --model);
with no grader role the judge is the embedded Qwen2.5-Coder-0.5B-Instruct (`local/qwen2.5-coder-0.5b`)
through the probe method (a linear reward head on its hidden states, fitted on labeled dev pairs; it
agrees with the readers' labels more than the 1.5B's likelihood rules, with one forward pass per candidate; an A/B
prompt has no signal at this size). The judge and method used are recorded in every sample's score.
"""

import os
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.log import HeadlineMetric

from benchmark.errors import HumorBenchError
from benchmark.models.embedded import cache_root
from benchmark.suites import SUITE_DESCRIPTIONS, suite_dataset
from scorers.pairwise import JudgeSettings
from scorers.scorer import judge_preflight, pairwise_humor_judge
from scorers.verdict_cache import CACHE_FILE
from solvers.paraphrase import StudentDecoding, humorous_paraphrase

EMBEDDED_STUDENT = "local/smollm2-135m"
EMBEDDED_JUDGE = "local/qwen2.5-coder-0.5b"  # role `grader`; its default method is the fitted reward probe
TASK_VERSION = 1

# The flat -T surface besides `split` (Inspect passes task parameters flat): name -> default. `task_settings`
# turns them at once into the student's StudentDecoding and the judge's JudgeSettings (README: Parameters).
TASK_PARAMETERS: dict[str, Any] = {
    # the judge: scorers.pairwise.JudgeSettings
    "method": "auto",
    "reference": "hash",
    "reference_seed": 0,
    "mcp_mode": "auto",
    "max_retries": 2,
    "cloze_temperature": 1.0,
    "verdict_cache": True,  # true: the default verdict cache + Inspect's cache; false: neither; a path: that verdict cache
    "judges": "grader",  # -> JudgeSettings.roles
    "tie_check": True,
    # the student: solvers.paraphrase.StudentDecoding
    "prompt_style": "auto",
    "temperature": 0.0,
    "top_p": 1.0,
    "max_tokens": 48,
    "num_beams": 1,
    "seed": 0,
}
TASK_PARAMETER_NAMES = ("split", *TASK_PARAMETERS)  # every current -T name (suite is the task's own)
DEPRECATED_PARAMETERS = {"arbiter": "method", "judge_cache": "verdict_cache"}  # old name -> new; removed in the next version


def humor_wtr(suite: str = "id", split: str = "test", **params: Any) -> Task:
    """One suite split; the -T parameters (TASK_PARAMETERS) become the student's decoding and the judge's settings.

    Not a @task itself (inspect runs every @task in this file, and the two below cover the suites).
    The task metadata records both objects (`student_decoding`, `judge_settings`) and the flat
    parameters, defaults included (`settings`: what submission manifests and stored logs compare).
    """
    flat = task_parameters(params)
    decoding, judge_settings = task_settings(flat)
    legacy = {old: flat[new] for old, new in DEPRECATED_PARAMETERS.items()}  # the keys logs have always carried
    return Task(
        dataset=suite_dataset(suite, split),
        solver=[judge_preflight(judge_settings.method, list(judge_settings.roles)), humorous_paraphrase(decoding)],
        scorer=pairwise_humor_judge(judge_settings),
        model_roles={"grader": EMBEDDED_JUDGE, "tie_check": EMBEDDED_STUDENT},
        name=f"humor_wtr_{suite}",
        version=TASK_VERSION,
        metadata={
            "suite_description": SUITE_DESCRIPTIONS.get(suite, ""),
            "settings": {"suite": suite, "split": split, **flat, **legacy},
            "student_decoding": decoding.as_dict(),
            "judge_settings": judge_settings.as_dict(),
        },
        headline_metric=HeadlineMetric(metric="wtr"),
    )


def task_parameters(params: dict[str, Any]) -> dict[str, Any]:
    """Every flat parameter with its default filled in; a deprecated name warns and becomes its new one."""
    params = dict(params)
    for old, new in DEPRECATED_PARAMETERS.items():
        if old not in params:
            continue
        if new in params:
            raise HumorBenchError(
                f"task parameters '{old}' and '{new}' are one setting ('{old}' is deprecated); pass only -T {new}=..."
            )
        warnings.warn(f"task parameter '{old}' is deprecated and will be removed in the next version; use '{new}' (-T {new}=...)",
                      FutureWarning, stacklevel=3)  # shown to users (DeprecationWarning is hidden outside __main__)
        params[new] = params.pop(old)
    unknown = sorted(set(params) - set(TASK_PARAMETERS))
    if unknown:
        raise HumorBenchError(f"unknown task parameter(s) {', '.join(unknown)}; valid: {', '.join(sorted(TASK_PARAMETER_NAMES))}")
    return {**TASK_PARAMETERS, **params}


def task_settings(flat: dict[str, Any]) -> tuple[StudentDecoding, JudgeSettings]:
    """The flat parameters as the two settings objects; each checks its own values (HumorBenchError naming the fix)."""
    cache = flat["verdict_cache"]
    if not isinstance(cache, bool | str):
        raise HumorBenchError(f"task parameter verdict_cache is {cache!r}; pass true, false or the path of a verdict-cache file")
    judge_settings = JudgeSettings(
        method=flat["method"], mcp_mode=flat["mcp_mode"], max_retries=flat["max_retries"],
        cloze_temperature=flat["cloze_temperature"], inspect_cache=cache is not False,
        reference=flat["reference"], reference_seed=flat["reference_seed"], roles=flat["judges"], tie_check=flat["tie_check"],
        verdict_cache=None if cache is False else (cache if isinstance(cache, str) else default_verdict_cache()),
    )
    return StudentDecoding(**{f.name: flat[f.name] for f in fields(StudentDecoding)}), judge_settings


def default_verdict_cache() -> str:
    """$HUMOR_BENCH_JUDGE_CACHE, else judge_cache.sqlite in humor-bench's cache folder; under the home
    folder written as ~/... (it is recorded in every log, which holds no machine paths; open_store expands it)."""
    path = os.environ.get("HUMOR_BENCH_JUDGE_CACHE") or str(cache_root() / CACHE_FILE)
    home = str(Path.home())
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


def _suite_task(suite: str, params: dict[str, Any]) -> Task:
    params.pop("model", None)  # inspect always offers `model`; the student comes from --model
    return humor_wtr(suite=suite, **params)


@task
def humor_wtr_id(**params: Any) -> Task:
    """In-domain suite (EmpatheticDialogues-style sentences); -T takes any of TASK_PARAMETER_NAMES."""
    return _suite_task("id", params)


@task
def humor_wtr_ood(**params: Any) -> Task:
    """Out-of-distribution suite (SAMSum-style chat lines); -T takes any of TASK_PARAMETER_NAMES."""
    return _suite_task("ood", params)
