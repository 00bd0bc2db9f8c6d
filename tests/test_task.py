"""End to end through Inspect with offline models: rules, invalid verdicts, errors, the CLI."""

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from benchmark.humor_wtr import humor_wtr

ROOT = Path(__file__).resolve().parents[1]
SCORER = "pairwise_humor_judge"


def run(tmp_path, judge, student="scripted/student", limit=6, **task_args):
    [log] = inspect_eval(
        humor_wtr(**task_args), model=student, model_roles={"grader": judge},
        log_dir=str(tmp_path), display="none", limit=limit,
    )
    return log


def metrics(log):
    return {k: v.value for k, v in log.results.scores[0].metrics.items()}


def test_always_first_judge_has_zero_consistency_and_the_defined_rates(tmp_path):
    log = run(tmp_path, "scripted/judge-first", suite="ood")
    assert log.status == "success"
    m = metrics(log)
    assert m["position_consistency"] == 0 and m["first_slot_rate"] == 1
    assert (m["conservative_win"], m["conservative_tie"], m["conservative_loss"]) == (0, 1, 0)
    # the headline counts a verdict that flips with the order as half: position bias cannot inflate it;
    # the conservative rule (a flip is a tie, a tie a win) would hand this judge's every student 1.0
    assert m["wtr"] == 0.5 and m["averaged_wtr"] == 0.5 and m["conservative_wtr"] == 1
    # with logprobs the always-1 judge says P(slot 1) = 0.9 in both orders: soft = (0.9 + 0.1) / 2
    assert m["soft_wtr"] == pytest.approx(0.5) and m["soft_tie"] == 1
    assert m["invalid_rate"] == 0


def test_a_coin_flipping_judge_gives_a_headline_of_one_half(tmp_path):
    log = run(tmp_path, "scripted/judge-random", suite="ood", limit=100, tie_check=False)
    m = metrics(log)
    assert abs(m["wtr"] - 0.5) < 0.08  # 100 items; each order a fair coin: E[wtr] = 1/2
    assert m["conservative_wtr"] > 0.65  # what the conservative rule would have headlined (E = 3/4)
    assert m["position_consistency"] < 0.65


def test_length_judge_against_longer_student(tmp_path):
    # the scripted student appends a clause, so it is longer than most references
    log = run(tmp_path, "scripted/judge-longer", suite="ood", limit=10)
    full = read_eval_log(log.location)
    wins = [s.scores[SCORER].value["conservative_win"] for s in full.samples]
    longer = [
        s.scores[SCORER].value["len_student"] > s.scores[SCORER].value["len_reference"] for s in full.samples
    ]
    assert wins == [float(x) for x in longer]
    # consistent exactly when the lengths differ (equal lengths: slot 1 both times)
    unequal = [
        s.scores[SCORER].value["len_student"] != s.scores[SCORER].value["len_reference"] for s in full.samples
    ]
    assert metrics(log)["position_consistency"] == pytest.approx(sum(unequal) / len(unequal))


def test_unparseable_judge_is_invalid_not_a_tie(tmp_path):
    log = run(tmp_path, "scripted/judge-garbage", suite="ood", limit=3)
    assert log.status == "success"
    m = metrics(log)
    assert m["invalid_rate"] == 1 and m["n_valid"] == 0
    assert m["wtr"] != m["wtr"]  # NaN: no valid item, no number
    sample = read_eval_log(log.location).samples[0]
    fwd = sample.scores[SCORER].metadata["comparisons"][0]["fwd"]
    # mcp_mode auto: 3 single-token tries, then 3 in the paper's reason format, then invalid
    assert (fwd["source"], fwd["mode"], fwd["attempts"]) == ("invalid", "reason", 6)
    reason_only = read_eval_log(run(tmp_path, "scripted/judge-garbage", suite="ood", limit=1, mcp_mode="reason").location)
    fwd = reason_only.samples[0].scores[SCORER].metadata["comparisons"][0]["fwd"]
    assert (fwd["source"], fwd["attempts"]) == ("invalid", 3)


def test_all_references_triple_the_comparisons(tmp_path):
    log = run(tmp_path, "scripted/judge-longer", suite="ood", reference="all", limit=2)
    sample = read_eval_log(log.location).samples[0]
    assert len(sample.scores[SCORER].metadata["comparisons"]) == 3
    assert sample.scores[SCORER].metadata["arbiter"] == "mcp"


def test_cleaned_output_is_scored_and_raw_kept(tmp_path):
    log = run(tmp_path, "scripted/judge-longer", suite="ood", limit=1)
    sample = read_eval_log(log.location).samples[0]
    assert sample.messages[-1].text.startswith('Paraphrase: "')  # the raw reply stays in the transcript
    assert sample.output.completion == sample.scores[SCORER].answer
    answer = sample.scores[SCORER].answer
    assert not answer.startswith("Paraphrase") and answer.endswith("sitcom plot.")
    assert sample.scores[SCORER].metadata["raw_output"].startswith("Paraphrase:")


def test_cloze_with_a_judge_that_cannot_score_fails_before_the_student_runs(tmp_path):
    log = run(tmp_path, "scripted/judge", suite="ood", method="cloze", limit=2)
    assert log.status == "error"
    assert "cloze arbiter needs a judge that scores continuations" in log.error.message
    assert "local/qwen2.5-coder-0.5b" in log.error.message
    assert log.stats.model_usage.get("scripted/student") is None  # no student call was paid for


def test_missing_grader_role_is_an_error_not_a_silent_self_judge(tmp_path):
    [log] = inspect_eval(
        humor_wtr(suite="ood"), model="scripted/student", model_roles={"grader": "scripted/judge"},
        log_dir=str(tmp_path), display="none", limit=1,
    )
    assert log.status == "success"
    from benchmark.humor_wtr import humor_wtr_ood
    task = humor_wtr_ood()
    task.model_roles = None
    [log] = inspect_eval(task, model="scripted/student", log_dir=str(tmp_path), display="none", limit=1)
    assert log.status == "error" and "grader" in log.error.message


def test_unknown_task_parameter_names_the_valid_ones():
    from benchmark.humor_wtr import humor_wtr_id
    with pytest.raises(ValueError, match="unknown task parameter\\(s\\) refrence; valid: .*reference"):
        humor_wtr_id(refrence="all")


def test_cli_smoke_with_embedded_student_name_and_scripted_models(tmp_path):
    """The CLI path: providers come from our entry point; inspect exits 0 even on errors, so read the log."""
    result = subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "benchmark/humor_wtr.py",
         "--model", "scripted/student", "--model-role", "grader=scripted/judge",
         "--limit", "2", "--log-dir", str(tmp_path), "--display", "plain"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    logs = sorted(tmp_path.glob("*.eval"))
    assert len(logs) == 2  # both suites
    for path in logs:
        log = read_eval_log(str(path))
        assert log.status == "success" and log.eval.model == "scripted/student"
        assert log.eval.model_roles["grader"].model == "scripted/judge"
    assert "wtr_ci_lower" in result.stdout and "position_consistency" in result.stdout


def test_judge_panel_reports_each_judge_pooled_wtr_and_alpha(tmp_path):
    [log] = inspect_eval(
        humor_wtr(suite="ood", judges="grader,grader_2", tie_check=False), model="scripted/student",
        model_roles={"grader": "scripted/judge-longer", "grader_2": "scripted/judge-first"},
        log_dir=str(tmp_path), display="none", limit=6,
    )
    assert log.status == "success", log.error
    m = metrics(log)
    assert m["wtr_grader_2"] == 0.5  # an always-"1" judge splits every comparison: each counts half
    assert m["wtr_pooled"] == pytest.approx((m["wtr"] + 0.5) / 2)
    assert -1 <= m["judge_alpha"] < 0.5  # a length judge and a slot-1 judge barely agree
    assert "preference_fairness" in m and "lc_wtr" in m and "style_wtr" in m


def test_tie_check_splits_ties_into_both_good_and_both_bad(tmp_path, embedded_dir):
    log = run(tmp_path, "scripted/judge-first", suite="ood", limit=4)  # every comparison is a tie
    m = metrics(log)
    assert m["tie_unscored"] == 0
    assert m["tie_both_good_rate"] + m["tie_both_bad_rate"] <= 1
    sample = read_eval_log(log.location).samples[0]
    comparison = sample.scores[SCORER].metadata["comparisons"][0]
    assert isinstance(comparison["student_abs"], float) and isinstance(comparison["reference_abs"], float)
