"""The shipped suites are complete and clean; bad suite input fails with a one-line fix."""

import difflib
import json
import re

import pytest

from benchmark.suites import SuiteError, load_suite, read_items, suite_dataset, suite_path


def _norm(text):
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


@pytest.mark.parametrize("suite,minimum", [("id", 200), ("ood", 100)])
def test_test_splits_are_big_enough_and_well_formed(suite, minimum):
    items = load_suite(suite, "test")
    assert len(items) >= minimum
    for item in items:
        assert len(item.references) == 3 and len(set(item.references)) == 3
        assert item.metadata.get("emotion" if suite == "id" else "topic")
        assert all(ref.strip() != item.input.strip() for ref in item.references)


def test_no_duplicate_or_near_duplicate_inputs_across_suites():
    inputs = [_norm(i.input) for s in ("id", "ood") for i in load_suite(s, "test")]
    assert len(set(inputs)) == len(inputs)
    close = [
        (a, b) for k, a in enumerate(inputs) for b in inputs[k + 1 :]
        if difflib.SequenceMatcher(None, a, b).ratio() > 0.8
    ]
    assert close == []


def test_id_suite_spans_many_emotions_and_ood_many_topics():
    assert len({i.metadata["emotion"] for i in load_suite("id")}) >= 25
    assert len({i.metadata["topic"] for i in load_suite("ood")}) >= 10


def test_dataset_carries_references_as_targets():
    dataset = suite_dataset("ood")
    sample = dataset[0]
    assert isinstance(sample.target, list) and len(sample.target) == 3
    assert sample.metadata["suite"] == "ood" and sample.id


def test_unknown_suite_names_the_choices():
    with pytest.raises(SuiteError, match=r"suite 'odd' not found; choose one of: id, ood"):
        suite_path("odd")


def test_unknown_split_names_the_choices():
    with pytest.raises(SuiteError, match="has no split 'validation'"):
        suite_path("ood", "validation")


GOOD = {"id": "x-1", "input": "I lost my keys.", "references": ["a", "b", "c"], "metadata": {"emotion": "sad"}}


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        (json.dumps({**GOOD, "id": "x-2", "references": ["a", "b"]}), "line 2: 'references' must be a list of 3"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "input"}), "line 2: missing key\\(s\\) input"),
        (json.dumps({**GOOD, "id": "x-2", "input": "  "}), "line 2: 'input' must be a non-empty string"),
        (json.dumps({**GOOD, "id": "x-2", "metadata": "sad"}), "line 2: 'metadata' must be a JSON object"),
        (json.dumps(GOOD), "line 2: duplicate id 'x-1'"),
    ],
)
def test_malformed_lines_are_named_with_the_fix(tmp_path, line, message):
    path = tmp_path / "suite.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n")
    with pytest.raises(SuiteError, match=message):
        read_items(path)
    assert path.read_text().count("\n") == 2  # the file is left as it was


def test_empty_suite_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(SuiteError, match="has no items"):
        read_items(path)
