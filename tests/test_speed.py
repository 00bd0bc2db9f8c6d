"""`humor-bench speed` end to end on a few items: every section measured, the warm repeat pays nothing.

Timings themselves are not asserted (that is what the benchmark command is for); what is asserted is
that each measurement ran on the same items and that the cache claim holds: 0 model calls on the repeat.
"""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmark.cli import main

pytestmark = pytest.mark.slow


def test_speed_command_measures_every_section_and_the_repeat_is_free(tmp_path, embedded_dir):
    out = tmp_path / "speed.json"
    result = CliRunner().invoke(main, ["speed", "--judge-items", "2", "--student-items", "2", "--suite-limit", "2",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    judge, student, cache = report["judge"], report["student"], report["cache"]
    for regime in ("batched", "per_request"):
        section = judge[regime]
        assert section["judgments"] == 4 and section["direct"]["attempts"] >= 4 and section["reason"]["attempts"] >= 4
        assert section["direct"]["from_logprobs"] == 1.0  # single-token verdicts really came from logprobs
        assert section["direct"]["decoded_tokens_per_judgment"] <= 1 < section["reason"]["decoded_tokens_per_judgment"]
    assert judge["prompt_tokens_per_judgment"] > 100
    assert student["prompts"] == 2 and student["batched"]["output_tokens"] > 0
    assert cache["items"] == 2 and cache["cold"]["student_calls"] == 2 and cache["cold"]["judge_requests_made"] > 0
    assert cache["model_calls_on_repeat"] == 0 and cache["warm"]["student_cache_reads"] == 2
    assert cache["same_wtr"] and cache["warm"]["judge_cache_hit_rate"] == 1.0
    assert set(report["targets"]) == {"logprob_judge_5x_batched", "logprob_judge_5x_per_request", "batched_generation_3x",
                                      "cached_repeat_20x_and_0_calls", "id_suite_10_min"}
    assert report["targets"]["id_suite_10_min"] is False  # 2 items are not the suite: never claimed as met
    assert "(c) 2 items" in result.output and Path(out).is_file() and report["git_revision"]
