"""Property-based tests: malformed suite lines, manifests and logs give clean errors or skips, never a crash
or a half-written leaderboard file."""

import copy
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmark.board.leaderboard import atomic_write_text, rebuild
from benchmark.board.manifest import ManifestError, build_manifest, parse_manifest
from benchmark.board.submit import resolve_student, run_submission
from benchmark.humor_wtr import TASK_PARAMETER_NAMES
from benchmark.suites import SuiteError, SuiteItem, parse_item, read_items

FAST = {"tie_check": False} if "tie_check" in TASK_PARAMETER_NAMES else {}
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
VALID_RECORD = {"id": "x-1", "input": "I lost my keys again.", "references": ["a", "b", "c"], "metadata": {"emotion": "sad"}}


@st.composite
def mutated(draw, valid: dict):
    """A valid object with some keys deleted or replaced by arbitrary JSON values (possibly nested ones)."""
    record = copy.deepcopy(valid)
    for key in list(valid):
        action = draw(st.sampled_from(["keep", "keep", "delete", "replace"]))
        if action == "delete":
            del record[key]
        elif action == "replace":
            record[key] = draw(json_values)
    if draw(st.booleans()):
        record[draw(st.text(max_size=8))] = draw(json_values)
    return record


# --- suite lines and files ------------------------------------------------------------------------------
@PROPERTY
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps), mutated(VALID_RECORD).map(json.dumps)))
def test_any_suite_line_is_an_item_or_a_suite_error(line):
    try:
        item = parse_item(line, "fuzz line 1")
    except SuiteError as ex:
        assert str(ex).startswith("fuzz line 1") and "\n" not in str(ex)
    else:
        assert isinstance(item, SuiteItem) and len(item.references) == 3 and item.id and item.input


@PROPERTY
@given(st.lists(st.one_of(st.just(json.dumps(VALID_RECORD)), mutated(VALID_RECORD).map(json.dumps), st.text(max_size=40)),
                max_size=6))
def test_any_suite_file_loads_or_fails_cleanly(tmp_path, lines):
    path = tmp_path / "suite.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines), encoding="utf-8")
    try:
        items = read_items(path)
    except SuiteError as ex:
        assert "\n" not in str(ex)
    else:
        assert items and len({i.id for i in items}) == len(items)


def test_a_non_utf8_suite_file_is_a_suite_error(tmp_path):
    path = tmp_path / "suite.jsonl"
    path.write_bytes(b'\xff\xfe{"id": "x"}\n')
    with pytest.raises(SuiteError):
        read_items(path)


def test_a_deeply_nested_suite_line_is_a_suite_error():
    with pytest.raises(SuiteError):
        parse_item("[" * 100_000, "deep line 1")


# --- manifests ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def manifest():
    return build_manifest("fuzz", resolve_student("scripted/student"), "scripted/judge", ("id", "ood"), dict(FAST), 2)


def test_a_real_manifest_parses(manifest):
    assert parse_manifest(json.loads(json.dumps(manifest)))["name"] == "fuzz"


@PROPERTY
@given(data=st.data())
def test_any_manifest_parses_or_raises_manifest_error(manifest, data):
    raw = data.draw(st.one_of(json_values, mutated(manifest)))
    try:
        parsed = parse_manifest(raw)
    except ManifestError as ex:
        assert "\n" not in str(ex)
    else:
        assert isinstance(parsed["name"], str) and isinstance(parsed["data_sha256"], dict)


# --- logs -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    run_submission("good", resolve_student("scripted/student"), graders=["scripted/judge"], limit=2,
                   params=dict(FAST), log_root=root / "logs", out_dir=None)
    return root / "logs"


LOG_PATHS = [
    ("eval", "metadata", "humor_bench_submission"), ("eval", "metadata", "humor_bench_submission", "name"),
    ("eval", "metadata", "humor_bench_submission", "data_sha256"), ("eval", "task"), ("eval", "created"),
    ("eval", "dataset"), ("status",), ("results",), ("stats",), ("samples",), ("samples", 0, "target"),
    ("samples", 0, "input"), ("samples", 0, "metadata"), ("samples", 0, "scores", "pairwise_humor_judge", "value"),
    ("samples", 0, "scores", "pairwise_humor_judge", "value", "conservative_win"),
    ("samples", 1, "scores", "pairwise_humor_judge", "value", "len_student"),
    ("samples", 0, "scores", "pairwise_humor_judge", "metadata"),
    ("samples", 0, "scores", "pairwise_humor_judge", "metadata", "comparisons"),
    ("samples", 0, "scores", "pairwise_humor_judge", "answer"),
]


def _mutate(tree, path, value, delete):
    node = tree
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value


@pytest.fixture(scope="module")
def good_tree(good_logs):
    from inspect_ai.log import read_eval_log

    path = sorted(good_logs.rglob("*humor-wtr-ood*.eval"))[0]
    return json.loads(read_eval_log(str(path)).model_dump_json())


@PROPERTY
@given(mutations=st.lists(st.tuples(st.sampled_from(LOG_PATHS), json_values, st.booleans()), min_size=1, max_size=3),
       junk=st.binary(max_size=300))
def test_malformed_logs_are_skipped_and_the_files_stay_whole(tmp_path, good_logs, good_tree, mutations, junk):
    logs = tmp_path / "logs"
    if not logs.exists():
        shutil.copytree(good_logs, logs)
    tree = copy.deepcopy(good_tree)
    for path, value, delete in mutations:
        try:
            _mutate(tree, path, value, delete)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the parent
    (logs / "mutant.json").write_text(json.dumps(tree))
    (logs / "junk.eval").write_bytes(junk)
    board = rebuild(logs, tmp_path)  # must not raise
    assert all("\n" not in message for message in board.skipped)
    assert any("junk.eval" in m for m in board.skipped)
    md = (tmp_path / "leaderboard.md").read_text()
    assert md.startswith("# humor-bench leaderboard") and md.rstrip().endswith("|")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "leaderboard.csv").read_text())))
    assert [r["name"] for r in rows] == [r["name"] for r in board.rows]
    assert not list(tmp_path.glob(".leaderboard*.tmp"))


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = atomic_write_text(tmp_path / "leaderboard.md", "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("benchmark.board.files.os.replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["leaderboard.md"]
