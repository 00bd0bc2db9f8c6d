"""The humor-bench console script: listings and one-line errors that name the fix."""

import json

from click.testing import CliRunner

from benchmark.cli import main


def test_suites_lists_counts():
    result = CliRunner().invoke(main, ["suites"])
    assert result.exit_code == 0
    assert "id   test=200, train=300, dev=50" in result.output and "ood  test=100" in result.output


def test_cloze_signal_with_a_judge_that_cannot_score(tmp_path):
    result = CliRunner().invoke(main, ["cloze-signal", "--judge", "scripted/judge", "--method", "cloze", "--limit", "2", "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "grader=local/qwen2.5-coder-0.5b" in result.output
    assert not (tmp_path / "x.json").exists()


def test_unknown_suite_is_one_line():
    result = CliRunner().invoke(main, ["cloze-signal", "--suite", "odd"])
    assert result.exit_code == 2
    assert result.output.strip() == "humor-bench: error: suite 'odd' not found; choose one of: id, ood"


def test_build_inputs_from_a_local_samsum_copy(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "samsum_sample.json"
    out = tmp_path / "inputs.jsonl"
    result = CliRunner().invoke(main, ["build-inputs", "samsum", "--local", str(fixture), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(set(line) == {"id", "input", "metadata"} for line in lines)
    assert f"{len(lines)} inputs from samsum" in result.output


def test_judge_report_with_a_position_biased_judge_shows_the_bias(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["judge-report", "--grader", "scripted/judge-first", "--limit", "10"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "results" / "judge_reports" / "scripted_judge_first_mcp_auto_judge_validation.json").read_text())
    assert report["position_consistency"] == 0 and report["pb"] == 1 and report["first_slot_rate"] == 1
    assert report["preference_fairness"] == -1 and report["ag_h"] == 0.5  # slot 1 is right in exactly one order
    assert "ag_h" in result.output


def test_judge_report_cloze_needs_a_likelihood_judge():
    result = CliRunner().invoke(main, ["judge-report", "--grader", "scripted/judge", "--method", "cloze"])
    assert result.exit_code == 2 and "cloze arbiter needs a judge that scores continuations" in result.output


def test_compare_unknown_log_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(tmp_path / "a.eval"), str(tmp_path / "b.eval")])
    assert result.exit_code == 2
    assert result.output.strip().startswith("humor-bench: error: log") and "not found" in result.output


def test_compare_two_scripted_runs(tmp_path):
    from inspect_ai import eval as inspect_eval

    from benchmark.humor_wtr import humor_wtr

    logs = []
    for judge in ("scripted/judge-longer", "scripted/judge-shorter"):
        [log] = inspect_eval(humor_wtr(suite="ood", tie_check=False), model="scripted/student",
                             model_roles={"grader": judge}, log_dir=str(tmp_path / judge.split("/")[1]),
                             display="none", limit=8)
        logs.append(log.location)
    result = CliRunner().invoke(main, ["compare", *logs])
    assert result.exit_code == 0, result.output
    assert "on 8 shared items" in result.output and "McNemar" in result.output


def test_every_subcommand_help_exits_zero():
    for name, command in main.commands.items():
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output and "error" not in result.output, name
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    version = CliRunner().invoke(main, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("humor-bench, version ")
