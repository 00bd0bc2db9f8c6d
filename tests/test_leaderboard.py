"""The leaderboard rebuilt from logs: ranks, rows, skipped logs, locking, resuming, the teacher's parity row."""

import csv
import io
import json
import math
import shutil
import threading
import time
from pathlib import Path

import pytest
from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import get_model

from benchmark.board.leaderboard import (
    LOCK_NAME, assign_ranks, collect_runs, locked, rebuild, render, to_csv,
)
from benchmark.board.submit import SubmissionError, resolve_student, run_submission, teacher_parity_task
from benchmark.humor_wtr import TASK_PARAMETER_NAMES, humor_wtr
from tests.conftest import model_output

# The tie check loads the embedded model for every sample; scripted tests do not need it.
FAST = {"tie_check": False} if "tie_check" in TASK_PARAMETER_NAMES else {}


def submit(root, name, student="scripted/student", judge="scripted/judge", limit=2, **kwargs):
    target = resolve_student(student) if isinstance(student, str) else student
    return run_submission(name, target, graders=[judge], limit=limit, params=dict(FAST), log_root=root / "logs",
                          out_dir=root, **kwargs)


@pytest.fixture(autouse=True)
def private_inspect_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "inspect-cache"))


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory):
    """Three scripted submissions and the teacher's parity row, 2 items per suite (built once)."""
    root = tmp_path_factory.mktemp("board")
    submit(root, "student")
    submit(root, "echo", "scripted/echo")
    run_submission("teacher-parity", resolve_student(None, "teacher"), graders=["scripted/judge"], limit=2,
                   params=dict(FAST), log_root=root / "logs", out_dir=root)
    return root


def row(rows, name):
    return next(r for r in rows if r["name"] == name)


def test_rank_is_one_plus_rows_whose_lower_bound_beats_my_upper_bound():
    def r(name, lo, hi, judge="j", blocked=False):
        return {"name": name, "judge": judge, "id_wtr": (lo + hi) / 2, "id_ci_lower": lo, "id_ci_upper": hi, "blocked": blocked}

    rows = assign_ranks([r("a", 0.70, 0.80), r("b", 0.60, 0.72), r("c", 0.40, 0.55), r("d", 0.10, 0.30),
                         r("x", 0.90, 0.99, blocked=True), r("other-judge", 0.0, 0.1, judge="k")])
    ranks = {x["name"]: x["rank"] for x in rows}
    # c: a and b have lower > 0.55 -> 3; d: a, b, c above 0.30 -> 4; blocked x is unranked and beats no one
    assert ranks == {"a": 1, "b": 1, "c": 3, "d": 4, "x": None, "other-judge": 1}
    assert [x["name"] for x in rows][:5] == ["a", "b", "c", "d", "x"]
    assert {x["name"]: x["rank"] for x in assign_ranks(rows, include_flagged=True)}["a"] == 2


def test_rows_from_scripted_submissions(board_dir):
    board = rebuild(board_dir / "logs", board_dir)
    assert {r["name"] for r in board.rows} == {"student", "echo", "teacher-parity"}
    student = row(board.rows, "student")
    assert student["judge"] == "scripted/judge" and student["arbiter"] == "mcp"
    assert student["id_n"] == student["ood_n"] == 2 and student["rank"] == 1
    assert student["flags"] == "partial-id 2/200; partial-ood 2/100" and not student["blocked"]
    assert 0 <= student["position_consistency"] <= 1 and student["len_ratio"] > 1  # the scripted student adds a clause
    assert student["tokens"] > 0 and student["cost_usd"] is None
    assert len(student["judge_prompt_sha256"]) == 64 and len(student["data_sha256_id"]) == 64
    assert json.loads(student["decoding"])["temperature"] == 0.0
    # judge diagnostics on the row: the length judge is position-consistent here, so fairness is 0; no
    # pair differs in length by more than 30 %, so prefer-longer has no denominator (n/a, not 0)
    assert student["preference_fairness"] == 0.0 and math.isnan(student["prefer_longer_rate"])
    assert student["self_preference"] == 0.0
    # 4 samples x (1 student call + 2 judge requests), nothing cached in this fresh session
    assert student["cache_hit_rate"] == 0.0
    echo = row(board.rows, "echo")
    assert echo["blocked"] and echo["rank"] is None and "copy-input 4/4" in echo["flags"]
    teacher = row(board.rows, "teacher-parity")
    assert teacher["kind"] == "baseline-teacher" and teacher["flags"].startswith("baseline")


def test_written_files_match_a_rebuild(board_dir):
    md = (board_dir / "leaderboard.md").read_text()
    assert md.startswith("# humor-bench leaderboard") and "never edit by hand" in md
    assert "| 1 | student |" in md and "| – | echo |" in md
    rows = list(csv.DictReader(io.StringIO((board_dir / "leaderboard.csv").read_text())))
    assert {r["name"] for r in rows} == {"student", "echo", "teacher-parity"}
    again = rebuild(board_dir / "logs", None)
    assert to_csv(again.rows) == (board_dir / "leaderboard.csv").read_text()  # deterministic from the logs
    assert json.loads(render(again.rows, "json"))[0]["name"]
    with pytest.raises(ValueError, match="unknown format 'xml'; choose one of: md, csv, json"):
        render(again.rows, "xml")


def test_teacher_parity_judges_one_reference_against_another(board_dir):
    task = teacher_parity_task("ood", **FAST)
    for sample in list(task.dataset)[:20]:
        assert sample.metadata["teacher_reference"] not in sample.target and len(sample.target) == 2
    [log] = inspect_eval(teacher_parity_task("ood", **FAST), model="none", model_roles={"grader": "scripted/judge"},
                         limit=3, display="none", log_dir=str(board_dir / "adhoc"))
    sample = read_eval_log(log.location).samples[0]
    assert log.status == "success"
    assert sample.scores["pairwise_humor_judge"].answer == sample.metadata["teacher_reference"]
    assert log.stats.model_usage.get("none/none") is None  # the teacher costs nothing: no student call


def test_corrupt_foreign_unfinished_and_adhoc_logs_are_skipped(board_dir, tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(board_dir / "logs", logs)
    good = sorted(logs.rglob("*humor-wtr-id*.eval"))[0]
    (logs / "garbage.eval").write_bytes(b"not a zip at all")
    (logs / "truncated.eval").write_bytes(good.read_bytes()[:300])
    (logs / "notes.json").write_text("{}")
    [foreign] = inspect_eval(Task(dataset=MemoryDataset([Sample(input="hi", target="x")]), name="other_task"),
                             model=get_model("mockllm/model", custom_outputs=lambda *a: model_output("x")),
                             log_dir=str(logs / "foreign"), display="none")
    [adhoc] = inspect_eval(humor_wtr(suite="ood", **FAST), model="scripted/student",
                           model_roles={"grader": "scripted/judge"}, limit=1, log_dir=str(logs / "adhoc"), display="none")
    unfinished = read_eval_log(str(good))
    unfinished.status = "error"
    unfinished.eval.created = "2099-01-01T00:00:00+00:00"  # newer than the good one, but must not win
    write_eval_log(unfinished, str(logs / "unfinished.eval"))
    board = rebuild(logs, tmp_path)
    assert {r["name"] for r in board.rows} == {"student", "echo", "teacher-parity"}
    text = "\n".join(board.skipped)
    assert "garbage.eval: not a readable Inspect log" in text and "truncated.eval: not a readable Inspect log" in text
    assert "foreign log (task 'other_task'" in text and "unfinished.eval: status 'error'" in text
    assert "skipped 1 ad-hoc log(s) without a submission manifest" in text
    assert row(board.rows, "student")["id_n"] == 2


def test_a_malformed_manifest_is_skipped_with_its_field(board_dir, tmp_path):
    log = read_eval_log(str(sorted((board_dir / "logs").rglob("*humor-wtr-ood*.eval"))[0]))
    log.eval.metadata["humor_bench_submission"]["kind"] = "bogus"
    write_eval_log(log, str(tmp_path / "bad.eval"))
    runs, skipped = collect_runs(tmp_path)
    assert runs == [] and "manifest kind 'bogus' is not one of" in skipped[0]


def test_rebuild_waits_for_the_lock(board_dir, tmp_path):
    shutil.copytree(board_dir / "logs", tmp_path / "logs")
    done = threading.Event()
    with locked(tmp_path / "logs"):
        worker = threading.Thread(target=lambda: (rebuild(tmp_path / "logs", tmp_path), done.set()))
        worker.start()
        time.sleep(1.0)
        assert not done.is_set() and not (tmp_path / "leaderboard.md").exists()
    worker.join(120)
    assert done.is_set() and (tmp_path / "leaderboard.md").exists()
    assert (tmp_path / "logs" / LOCK_NAME).exists()
    assert not list(tmp_path.glob(".leaderboard*.tmp"))


def test_a_name_holds_one_student_unless_replaced(board_dir):
    with pytest.raises(SubmissionError, match="name 'student' already holds another student .*--replace"):
        submit(board_dir, "student", "scripted/echo")
    with pytest.raises(SubmissionError, match="bad --name"):
        submit(board_dir, "no spaces please")
    with pytest.raises(SubmissionError, match="unknown task parameter\\(s\\) temprature; valid: .*temperature"):
        run_submission("x", resolve_student("scripted/student"), params={"temprature": 1}, log_root=board_dir / "logs")


def test_resume_reuses_finished_samples_and_judge_calls(tmp_path):
    calls = {"student": 0, "judge": 0}
    fail_on = "Let's meet at the fountain"  # the second OOD item

    def student(broken):
        def reply(messages, *args):
            calls["student"] += 1
            if broken and fail_on in messages[-1].text:
                raise RuntimeError("simulated crash")
            return model_output("A paraphrase, but with a rubber chicken.")
        return get_model("mockllm/model", custom_outputs=reply)

    def judge(messages, *args):
        calls["judge"] += 1
        return model_output("Reason: chicken.\nAnswer: 1")

    grader = get_model("mockllm/model", custom_outputs=judge)
    # the paper's reason format: this text-only judge is asked once per order (auto would try one token first)
    kwargs = dict(graders=[grader], suites=("ood",), limit=3, params={**FAST, "mcp_mode": "reason"}, log_root=tmp_path / "logs",
                  out_dir=tmp_path, max_samples=1, retry_attempts=0)
    with pytest.raises(SubmissionError, match="run the same command again to resume"):
        run_submission("resumable", student(broken=True), **kwargs)
    assert calls == {"student": 2, "judge": 2}  # item 1 finished (2 judge calls), item 2 crashed
    rows = run_submission("resumable", student(broken=False), **kwargs)
    assert calls == {"student": 4, "judge": 6}  # only items 2 and 3 ran again: item 1's calls were not repaid
    assert rows[0]["ood_n"] == 3 and rows[0]["name"] == "resumable"
