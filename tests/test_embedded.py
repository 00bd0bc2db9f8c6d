"""The real embedded models (SmolLM2-135M-Instruct student, Qwen2.5-Coder-1.5B judge): the default path, on a few items."""

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from benchmark.humor_wtr import humor_wtr
from benchmark.suites import load_suite
from benchmark.tools.diagnostics import reference_vs_copy

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def test_default_task_runs_embedded_student_against_the_embedded_judge(tmp_path, embedded_dir):
    [log] = inspect_eval(
        humor_wtr(suite="id", max_tokens=24), model="local/smollm2-135m",
        log_dir=str(tmp_path), display="none", limit=3,
    )
    assert log.status == "success", log.error
    assert log.eval.model_roles["grader"].model == "local/qwen2.5-coder-0.5b"  # the task's default judge
    assert log.eval.model_roles["tie_check"].model == "local/smollm2-135m"
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert 0 <= metrics["wtr_ci_lower"] <= metrics["wtr"] <= metrics["wtr_ci_upper"] <= 1
    assert metrics["position_consistency"] == 1 and metrics["invalid_rate"] == 0  # order-free by construction
    # per item the judge scores student and reference (2 candidates) and the tie check, another model,
    # the input copy, student and reference (3); nothing is cached in a fresh verdict cache
    assert metrics["judge_requests_made"] == 3 * (2 + 3) and metrics["judge_cache_hit_rate"] == 0
    sample = read_eval_log(log.location).samples[0]
    score = sample.scores["pairwise_humor_judge"]
    assert score.metadata["arbiter"] == "probe" and score.metadata["judge"] == "local/qwen2.5-coder-0.5b"
    assert " s2=" in score.explanation  # both rewards are in the transcript
    assert score.answer and sample.output.usage.output_tokens <= 24
    assert log.stats.model_usage["local/smollm2-135m"].output_tokens > 0


def test_the_embedded_judge_reports_on_real_student_outputs(embedded_dir):
    """The judge report's plumbing on 8 held-out pairs; the figure itself is a benchmark command
    (`humor-bench judge-report --pairs benchmark/data/judge_students_test.jsonl`, see the README)."""
    from benchmark.tools.judge_report import judge_report

    report = judge_report("local/qwen2.5-coder-0.5b", pairs_path=ROOT / "benchmark/data/judge_students_test.jsonl", limit=8)
    assert report["method"] == "probe" and report["n_pairs"] == 8 and len(report["verdicts"]) == 8
    assert report["position_consistency"] == 1 and report["invalid_rate"] == 0  # order-free by construction
    assert all(v["ab"] in (1, 2) and v["ab"] != v["ba"] for v in report["verdicts"])  # mirror images


def test_the_default_judge_prefers_a_joke_to_a_copy_of_the_input(embedded_dir):
    """The humor direction on real weights: the first 6 ID items' 18 references against a verbatim copy
    of the input (17 of 18 win here; 98 % on the plain dev pairs in cross-validation). Not tested
    here because the judge does not have it: a joke about another event (58 % on dev, see the README)."""
    from benchmark.humor_wtr import EMBEDDED_JUDGE

    report = reference_vs_copy(load_suite("id")[:6], EMBEDDED_JUDGE)
    assert report["arbiter"] == "probe" and report["n_items"] == 6
    assert report["reference_beats_copy_per_reference"] >= 15 / 18


def test_the_students_cloze_contrast_prefers_references_to_a_copy_of_the_input(embedded_dir):
    report = reference_vs_copy(load_suite("id")[:12], "local/smollm2-135m", "cloze")
    assert report["n_items"] == 12
    assert report["chosen_reference_beats_copy"] >= 0.75  # full split: see `humor-bench cloze-signal`


def test_cli_runs_embedded_student_with_scripted_judge(tmp_path, embedded_dir):
    """Acceptance: --model local/smollm2-135m --model-role grader=<scripted judge> from the CLI."""
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "benchmark/humor_wtr.py@humor_wtr_ood",
         "--model", "local/smollm2-135m", "--model-role", "grader=scripted/judge",
         "-T", "max_tokens=24", "--limit", "2", "--log-dir", str(tmp_path), "--display", "plain"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [path] = tmp_path.glob("*.eval")
    log = read_eval_log(str(path))
    assert log.status == "success" and log.eval.model == "local/smollm2-135m"
    assert read_eval_log(str(path)).samples[0].scores["pairwise_humor_judge"].metadata["arbiter"] == "mcp"
