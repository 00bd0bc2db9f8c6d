"""The humor-bench console script: listings and one-line errors that name the fix."""

import json

from click.testing import CliRunner

from benchmark.cli import main


def test_suites_lists_counts():
    result = CliRunner().invoke(main, ["suites"])
    assert result.exit_code == 0
    assert "id   test=200, train=300, dev=50" in result.output and "ood  test=100" in result.output


def test_cloze_signal_with_a_judge_that_cannot_score(tmp_path):
    result = CliRunner().invoke(main, ["cloze-signal", "--judge", "scripted/judge", "--limit", "2", "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "grader=local/smollm2-135m" in result.output
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
