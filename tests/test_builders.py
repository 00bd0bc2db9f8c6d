"""Tests for benchmark.tools.builders: expected outputs were worked out by hand from the fixtures."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import datasets
import pytest

from benchmark.tools import builders
from benchmark.tools.builders import (
    empathetic_inputs,
    load_local,
    load_source,
    samsum_inputs,
    write_inputs_jsonl,
)

FIXTURES = Path(__file__).parent / "fixtures"
ED_FIXTURE = FIXTURES / "empathetic_dialogues_sample.csv"
SAMSUM_FIXTURE = FIXTURES / "samsum_sample.json"

# One entry per conversation that yields an input, in file order:
# hit:3_conv:6 opens with "Ugh." (1 word) and a question, so it is skipped (its first-person reply
# is never used); hit:7_conv:14 repeats hit:4_conv:8's sentence modulo case and spacing.
EXPECTED_ED = [
    ("ed-hit:0_conv:1", "I remember going to see the fireworks with my best friend.", "sentimental"),
    ("ed-hit:1_conv:2", "Last night, I heard a strange noise in the kitchen and froze.", "afraid"),
    ("ed-hit:2_conv:4", "My son finally learned to ride his bike, and he did it all by himself!", "proud"),
    ("ed-hit:4_conv:8", "I got a promotion at work today, I can't believe it.", "joyful"),
    ("ed-hit:5_conv:10", "My roommates all went away for the holidays and left me here.", "lonely"),
    ("ed-hit:6_conv:12", "Then the flight got cancelled, and I just stared at my phone.", "disappointed"),
]

# 13716628 has no usable line (file placeholder, 1-word lines, bare www URL);
# 13728448's first usable line duplicates 13809974's, so it yields nothing.
EXPECTED_SAMSUM = [
    ("samsum-13680171", "look what I found in the attic", "Hannah"),
    ("samsum-13729017", "two bedrooms and a balcony for the same rent we pay now", "Marco"),
    ("samsum-13611902", "Did you see the cat knock the cake off the table?", "Jess"),
    ("samsum-13809974", "the heating is broken again", "Kim"),
]


@pytest.fixture(scope="module")
def hf_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("hf_cache"))


@pytest.fixture(scope="module")
def ed_records(hf_cache) -> list[dict]:
    return load_local("empathetic_dialogues", ED_FIXTURE, cache_dir=hf_cache)


@pytest.fixture(scope="module")
def samsum_records(hf_cache) -> list[dict]:
    return load_local("samsum", SAMSUM_FIXTURE, cache_dir=hf_cache)


def ed_row(conv_id: str, utterance: str, utterance_idx: int = 1, context: str = "content") -> dict:
    return {"conv_id": conv_id, "utterance_idx": utterance_idx, "context": context, "prompt": "p", "utterance": utterance}


# --- local raw files through datasets -------------------------------------------------------


def test_load_local_ed_matches_csv_module_rows(ed_records):
    with ED_FIXTURE.open(encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))
    assert ed_records == expected
    assert len(ed_records) == 18
    assert ed_records[3]["selfeval"] == "" and ed_records[0]["selfeval"] == "5|5|5_2|2|5"
    assert "_comma_" in ed_records[0]["utterance"]  # raw text is kept encoded


def test_load_local_samsum_keeps_json_records(samsum_records):
    expected = json.loads(SAMSUM_FIXTURE.read_text(encoding="utf-8"))
    assert samsum_records == expected
    assert samsum_records[0]["dialogue"].count("\r\n") == 3


def test_load_local_rejects_missing_columns(tmp_path, hf_cache):
    bad = tmp_path / "bad.csv"
    bad.write_text("conv_id,utterance\nhit:0_conv:1,hello\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"missing columns \['utterance_idx', 'context'"):
        load_local("empathetic_dialogues", bad, cache_dir=hf_cache)
    with pytest.raises(FileNotFoundError, match="no local samsum file"):
        load_local("samsum", tmp_path / "absent.json", cache_dir=hf_cache)


def test_unknown_source_name_is_rejected():
    with pytest.raises(ValueError, match="unknown source 'reddit'"):
        load_source("reddit", "train")  # type: ignore[arg-type]


# --- EmpatheticDialogues rule ------------------------------------------------------------------


def test_empathetic_inputs_full_fixture(ed_records):
    items = empathetic_inputs(ed_records)
    assert [(i["id"], i["input"], i["metadata"]["emotion"]) for i in items] == EXPECTED_ED
    assert items[0]["metadata"] == {
        "emotion": "sentimental",
        "situation": "I remember going to the fireworks with my best friend. "
        "There was a lot of people, but it only felt like us in the world.",
        "conv_id": "hit:0_conv:1",
    }
    assert all("_comma_" not in i["input"] + i["metadata"]["situation"] for i in items)


def test_empathetic_uses_only_opening_turn(ed_records):
    # hit:3_conv:6's reply "I have, and it drove me crazy..." would pass the sentence rule.
    replies_only = [r for r in ed_records if r["conv_id"] == "hit:3_conv:6"]
    assert empathetic_inputs(replies_only) == []
    assert empathetic_inputs([ed_row("c1", "I finally fixed the leaking tap today.", utterance_idx=2)]) == []


def test_empathetic_sentence_rules():
    rows = [
        ed_row("question", "Have you ever lost your keys twice in one day?"),
        ed_row("short", "I am tired."),
        ed_row("long", "I " + "really " * 24 + "want cake."),
        ed_row("third_person", "The weather forecast said sunny all week."),
        ed_row("lowercase_i", "ugh. i burnt the toast again this morning"),
        ed_row("we_word", "The week was long. Then we missed the last bus home."),
    ]
    assert [(i["metadata"]["conv_id"], i["input"]) for i in empathetic_inputs(rows)] == [
        ("lowercase_i", "i burnt the toast again this morning"),
        ("we_word", "Then we missed the last bus home."),
    ]


@pytest.mark.parametrize(("word_count", "kept"), [(4, False), (5, True), (25, True), (26, False)])
def test_empathetic_word_count_bounds(word_count, kept):
    sentence = " ".join(["I"] + ["ran"] * (word_count - 1)) + "."
    assert len(empathetic_inputs([ed_row("c", sentence)])) == int(kept)


def test_empathetic_dedupe_is_case_and_space_insensitive():
    rows = [
        ed_row("a", "I got a promotion at work today_comma_ I can't believe it."),
        ed_row("b", "i got a PROMOTION at work today_comma_    i can't believe it."),
    ]
    assert [i["id"] for i in empathetic_inputs(rows)] == ["ed-a"]


# --- SAMSum rule -------------------------------------------------------------------------------


def test_samsum_inputs_full_fixture(samsum_records):
    items = samsum_inputs(samsum_records)
    assert [(i["id"], i["input"], i["metadata"]["speaker"]) for i in items] == EXPECTED_SAMSUM
    assert items[0]["metadata"] == {"dialogue_id": "13680171", "speaker": "Hannah"}
    assert all("\r" not in i["input"] for i in items)


@pytest.mark.parametrize(
    "line",
    [
        "Ann: <file_photo>",
        "Ann: <file_gif> this one is so good for you",
        "Ann: here it is http://example.com/a",
        "Ann: see www.example.org for details please",
        "Ann: ok sure thanks",
        "Ann: hahaha lol xD :D",
        "Ann: :) <3 ;-) hehehe",
        "Ann: ahahah LOOOL 😂😂 !!",
        "Ann: " + "word " * 26,
        "no speaker prefix on this line at all",
    ],
)
def test_samsum_drops_unusable_lines(line):
    assert samsum_inputs([{"id": "1", "dialogue": line}]) == []


@pytest.mark.parametrize(("word_count", "kept"), [(3, False), (4, True), (25, True), (26, False)])
def test_samsum_word_count_bounds(word_count, kept):
    line = "Ann: " + " ".join(["talk"] * word_count)
    assert len(samsum_inputs([{"id": "1", "dialogue": line}])) == int(kept)


def test_samsum_keeps_questions_laughter_with_words_and_spaced_names():
    dialogue = "Mary Ann:   haha did you   really eat all of it?\r\nBob: yes"
    items = samsum_inputs([{"id": "7", "summary": "", "dialogue": dialogue}])
    assert items == [
        {"id": "samsum-7", "input": "haha did you really eat all of it?", "metadata": {"dialogue_id": "7", "speaker": "Mary Ann"}}
    ]


def test_samsum_empty_dialogue_yields_nothing():
    assert samsum_inputs([{"id": "9", "dialogue": ""}, {"id": "10", "dialogue": None}]) == []


# --- sampling ----------------------------------------------------------------------------------


def test_sampling_is_seeded_and_keeps_source_order(ed_records, samsum_records):
    first = empathetic_inputs(ed_records, n=3, seed=0)
    assert first == empathetic_inputs(ed_records, n=3, seed=0)
    # Pinned from random.Random(seed).sample over candidate indices, re-sorted to source order.
    assert [i["id"] for i in first] == ["ed-hit:0_conv:1", "ed-hit:4_conv:8", "ed-hit:6_conv:12"]
    assert [i["id"] for i in empathetic_inputs(ed_records, n=3, seed=1)] == [
        "ed-hit:0_conv:1",
        "ed-hit:1_conv:2",
        "ed-hit:5_conv:10",
    ]
    assert [i["id"] for i in samsum_inputs(samsum_records, n=2, seed=0)] == ["samsum-13729017", "samsum-13809974"]
    assert [i["id"] for i in samsum_inputs(samsum_records, n=2, seed=1)] == ["samsum-13729017", "samsum-13611902"]


def test_sampling_n_edge_cases(ed_records, samsum_records):
    assert len(empathetic_inputs(ed_records, n=100, seed=5)) == len(EXPECTED_ED)
    assert [i["id"] for i in samsum_inputs(samsum_records, n=4)] == [e[0] for e in EXPECTED_SAMSUM]
    assert samsum_inputs(samsum_records, n=0) == []
    with pytest.raises(ValueError, match="n must be >= 0"):
        empathetic_inputs(ed_records, n=-1)


# --- hub path ----------------------------------------------------------------------------------


def test_load_source_passes_hub_id_and_split(monkeypatch):
    calls = []

    def fake_load_dataset(path, split):
        calls.append((path, split))
        return datasets.Dataset.from_list([{"id": "1", "summary": "s", "dialogue": "A: one two three four"}])

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    records = load_source("samsum", "test")
    assert calls == [("samsung/samsum", "test")]
    assert records == [{"id": "1", "summary": "s", "dialogue": "A: one two three four"}]


def test_load_source_unreachable_hub_message(monkeypatch):
    offline = ConnectionError("Couldn't reach 'facebook/empathetic_dialogues' on the Hub (LocalEntryNotFoundError)")

    def failing_load_dataset(*args, **kwargs):
        raise offline

    monkeypatch.setattr(datasets, "load_dataset", failing_load_dataset)
    with pytest.raises(RuntimeError) as caught:
        load_source("empathetic_dialogues", "train")
    message = str(caught.value)
    assert "'empathetic_dialogues'" in message and "facebook/empathetic_dialogues" in message
    assert "split='train'" in message
    assert "hub was unreachable" in message
    assert "HF_ENDPOINT" in message and "run online" in message and "load_local(" in message
    assert caught.value.__cause__ is offline


# --- writing -----------------------------------------------------------------------------------


def test_write_inputs_jsonl_roundtrip_and_atomic(tmp_path, ed_records):
    items = empathetic_inputs(ed_records)
    target = tmp_path / "out" / "ed_inputs.jsonl"
    assert write_inputs_jsonl(items, target) == target
    assert [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()] == items
    assert os.listdir(target.parent) == ["ed_inputs.jsonl"]  # no temp file left behind


def test_write_inputs_jsonl_failure_keeps_old_file(tmp_path):
    target = tmp_path / "inputs.jsonl"
    target.write_text('{"id": "old"}\n', encoding="utf-8")

    def broken_items():
        yield {"id": "new", "input": "fine"}
        yield {"id": "bad", "input": object()}  # not JSON-serialisable

    with pytest.raises(TypeError):
        write_inputs_jsonl(broken_items(), target)
    assert target.read_text(encoding="utf-8") == '{"id": "old"}\n'
    assert os.listdir(tmp_path) == ["inputs.jsonl"]
