"""Trainers, pure parts: teacher parsing, pair selection and the length filter, the BRIO loss, config and data errors."""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import pytest
import torch
from conftest import model_output
from inspect_ai.model import get_model

from trainers import critic, teacher
from trainers.brio import brio_loss, sequence_logprobs
from trainers.config import ConfigError, load_config
from trainers.data import DataFileError, read_pairs, read_preferences

# ---- teacher data -----------------------------------------------------------------------------


def test_teacher_prompt_is_the_papers_appendix_b():
    prompt = teacher.teacher_prompt("I missed the bus.")
    assert prompt.startswith("Generate 3 creative and humorous paraphrases with the exact same meaning as the input text.")
    assert "Answer with only the list of humorous paraphrases and nothing else, no exceptions." in prompt
    assert prompt.endswith("Input text: I missed the bus.")


@pytest.mark.parametrize(
    "text",
    [
        '1. The bus left without me.\n2. "The bus ghosted me."\n3) Me and the bus: not meant to be.',
        "Here are three:\n\n1. The bus left without me.\n2. The bus ghosted me.\n3. Me and the bus: not meant to be.",
        "1. The bus left without me. 2. The bus ghosted me. 3. Me and the bus: not meant to be.",
    ],
)
def test_numbered_lists_are_parsed(text):
    items, status = teacher.parse_teacher_answer(text)
    assert items == ["The bus left without me.", "The bus ghosted me.", "Me and the bus: not meant to be."]
    assert status == "ok"


def test_refusals_and_garbage_are_classified():
    refusal = "I apologize, but I cannot fulfill this request as it may be offensive to some readers."
    assert teacher.parse_teacher_answer(refusal) == ([], "refused")
    assert teacher.parse_teacher_answer("I cannot create content that mocks people.\n1. x") == ([], "refused")
    assert teacher.parse_teacher_answer("Sure thing!") == ([], "unparsed")
    assert teacher.parse_teacher_answer("1. Only one joke here.") == (["Only one joke here."], "short")


def test_teacher_pairs_from_an_inspect_model_drop_and_count_refusals():
    def answer(messages, tools, tool_choice, config):
        assert config.temperature == 0.8 and config.top_p == 1.0  # paper §4
        prompt = messages[-1].text
        if "bus" in prompt:
            return model_output("1. The bus ghosted me.\n2. The bus and I broke up.\n3. The bus had other plans.")
        if "funeral" in prompt:
            return model_output("I'm sorry, but I can't help with jokes about funerals.")
        return model_output("no list at all")

    model = get_model("mockllm/model", custom_outputs=answer)
    inputs = [("a", "I missed the bus."), ("b", "I went to a funeral."), ("c", "It rained.")]
    pairs, stats = asyncio.run(teacher.teacher_pairs_async(model, inputs))
    assert [p["paraphrase"] for p in pairs] == ["The bus ghosted me.", "The bus and I broke up.", "The bus had other plans."]
    assert {p["id"] for p in pairs} == {"a"}
    assert (stats.inputs, stats.kept_inputs, stats.refused, stats.unparsed, stats.pairs) == (3, 1, 1, 1, 3)
    assert stats.refused_ids == ["b"]


def test_authored_split_stands_in_for_the_teacher():
    pairs, stats = teacher.collect_teacher_pairs("authored", "train", limit=2)
    assert len(pairs) == 6 and stats.kept_inputs == 2
    assert pairs[0]["id"] == pairs[2]["id"] and pairs[0]["paraphrase"] != pairs[1]["paraphrase"]


# ---- pair selection and the length filter -----------------------------------------------------


def test_ngram_edit_distance_by_hand():
    assert critic.ngram_edit_distance("a b c", "a b c") == 0.0
    assert critic.ngram_edit_distance("a b c", "x y z") == 1.0
    assert critic.ngram_edit_distance("a b c", "a b d", n=1) == pytest.approx(1 / 3)  # one substitution of three words
    assert critic.ngram_edit_distance("a b c", "a b d", n=2) == pytest.approx(1 / 2)  # (b,c) -> (b,d): one of two bigrams
    assert critic.ngram_edit_distance("A b, c", "a B , c", n=1) == 0.0  # case and spacing do not count
    assert critic.ngram_edit_distance("a b c d", "a c d", n=1) == pytest.approx(1 / 4)  # one deletion


@pytest.mark.parametrize(
    ("len_a", "len_b", "ok"),
    [(10, 10, True), (10, 12, True), (12, 10, True), (10, 13, False), (8, 10, False), (0, 5, False)],
)
def test_length_filter_holds_both_ways(len_a, len_b, ok):
    # ratio within [0.8, 1.2] both ways round: 12/10 = 1.2 passes; 10/8 = 1.25 fails although 8/10 = 0.8
    assert critic.length_ratio_ok("x" * len_a, "y" * len_b, (0.8, 1.2)) is ok


def test_length_filter_in_words():
    assert critic.length_ratio_ok("one two three four five", "a b c d e f", (0.8, 1.2), unit="words")
    assert not critic.length_ratio_ok("one two three four", "a b c d e f", (0.8, 1.2), unit="words")


def test_most_diverse_pair_within_the_length_filter():
    base = "the bus left me at the stop"
    near = "the bus left me at the curb"  # same length as base, close in wording
    far = "the bus ghosted me, how rude"  # about the same length, 5 of 6 bigrams differ
    long_far = "honestly, public transport and I are in a complicated relationship now"  # most diverse, too long
    pair, why = critic.select_pair([base, near, base, far, long_far])  # ties: the first maximum wins
    assert why == "ok" and {pair.first, pair.second} == {base, far}
    assert pair.distance == pytest.approx(5 / 6)
    assert pair.length_ratio == pytest.approx(len(pair.first) / len(pair.second))
    # select_then_filter: the most diverse pair overall involves long_far and fails the filter
    assert critic.select_pair([base, near, far, long_far], order="select_then_filter") == (None, "length_filter")


def test_pair_selection_failures():
    assert critic.select_pair(["same", "Same ", "", "same"]) == (None, "too_few_distinct")
    assert critic.select_pair(["short", "a much, much longer candidate"]) == (None, "length_filter")
    with pytest.raises(ValueError, match="unknown pair order"):
        critic.select_pair(["a b", "c d"], order="random")


def test_mcp_labels_use_both_orders_and_drop_ties():
    # scripted judge, policy "longer": picks the longer paraphrase in either order, P = 0.9
    judge = get_model("scripted/judge-longer")
    cfg = critic.FeedbackConfig(method="mcp", judge_cache=False)
    items = [
        {"id": "a", "input": "I missed the bus.", "reference": "ref", "candidates": ["The bus ghosted me!", "The bus ghosted me."[:-1] + "!!"]},
        {"id": "b", "input": "It rained.", "reference": None, "candidates": ["Sky leaked.", "Sky leaked."]},
    ]
    records, counts = asyncio.run(critic.label_pairs_async(judge, items, cfg, source="test"))
    assert counts == {"inputs": 2, "too_few_distinct": 1, "length_filter": 0, "invalid": 0, "tie": 0, "kept": 1,
                      "judge_cached": 0, "judge_made": 2}  # both orders of one pair, no cache
    (record,) = records
    assert record["chosen"] == "The bus ghosted me!!" and record["rejected"] == "The bus ghosted me!"
    assert record["p_chosen"] == pytest.approx(0.9)  # (0.9 + (1 - 0.1)) / 2
    assert record["method"] == "mcp" and record["reference"] == "ref" and record["prompt"] == "I missed the bus."


def test_feedback_counts_what_the_verdict_cache_served():
    """A stage's time is read beside these counts: a second labeling of the same pairs pays for nothing."""
    judge = get_model("scripted/judge-longer")
    cfg = critic.FeedbackConfig(method="mcp")  # the per-test verdict cache (conftest)
    items = [{"id": "a", "input": "I missed the bus.", "reference": None, "candidates": ["The bus ghosted me!", "The bus ghosted me!!"]}]
    first = asyncio.run(critic.label_pairs_async(judge, items, cfg, source="test"))
    again = asyncio.run(critic.label_pairs_async(judge, items, cfg, source="test"))
    assert (first[1]["judge_made"], first[1]["judge_cached"]) == (2, 0)
    assert (again[1]["judge_made"], again[1]["judge_cached"]) == (0, 2) and again[0][0]["chosen"] == first[0][0]["chosen"]


def test_position_inconsistent_critic_is_a_tie_and_dropped():
    judge = get_model("scripted/judge-first")  # always slot 1: P(a) = (0.9 + 1 - 0.9) / 2 = 0.5
    cfg = critic.FeedbackConfig(method="mcp", judge_cache=False)
    items = [{"id": "a", "input": "x", "candidates": ["The bus ghosted me.", "My ride left early."]}]
    records, counts = asyncio.run(critic.label_pairs_async(judge, items, cfg, source="test"))
    assert records == [] and counts["tie"] == 1


# ---- BRIO -------------------------------------------------------------------------------------


def test_brio_loss_matches_a_hand_computation():
    # s = logp / len: chosen [-4/2, -6/3] = [-2, -2]; rejected [-3/3, -9/3] = [-1, -3]
    # ranking = mean(max(0, -1 - (-2) + 0.1), max(0, -3 - (-2) + 0.1)) = mean(1.1, 0) = 0.55
    # total = 0.1 * 2.0 + 10 * 0.55 = 5.7
    total, parts = brio_loss(
        torch.tensor([-4.0, -6.0]), torch.tensor([2, 3]), torch.tensor([-3.0, -9.0]), torch.tensor([3, 3]),
        mle_nll=torch.tensor(2.0), margin=0.1, mle_weight=0.1, rank_weight=10.0,
    )
    assert float(total) == pytest.approx(5.7)
    assert parts["ranking"] == pytest.approx(0.55) and parts["ranking_accuracy"] == pytest.approx(0.5)
    # length_penalty alpha = 0: raw sums; ranking = mean(max(0, -3 + 4 + 0.1), max(0, -9 + 6 + 0.1)) = 0.55 again
    total0, _ = brio_loss(torch.tensor([-4.0, -6.0]), torch.tensor([2, 3]), torch.tensor([-3.0, -9.0]), torch.tensor([3, 3]),
                          torch.tensor(0.0), margin=0.1, mle_weight=0.0, rank_weight=1.0, length_penalty=0.0)
    assert float(total0) == pytest.approx(0.55)


def test_default_margin_asks_for_twice_the_probability():
    # one pair, j - i = 1: m = log(2) / lambda; with every length = lambda the hinge is zero exactly when p_w >= 2 p_l
    lam = 8
    m = math.log(2) / lam
    chosen_sum = torch.tensor([math.log(0.2)]) * 1.0
    for ratio, active in ((2.5, False), (1.5, True)):
        rejected_sum = chosen_sum - math.log(ratio)
        _, parts = brio_loss(chosen_sum, torch.tensor([lam]), rejected_sum, torch.tensor([lam]), torch.tensor(0.0), m)
        assert (parts["ranking"] > 0) is active


def test_sequence_logprobs_by_hand():
    logits = torch.log(torch.tensor([[[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]]))
    labels = torch.tensor([[-100, 1, 2]])  # predicts token 1 from position 0 and token 2 from position 1
    total, count = sequence_logprobs(logits, labels)
    assert float(total[0]) == pytest.approx(math.log(0.25) + math.log(0.1))
    assert int(count[0]) == 2


# ---- configuration and data errors ------------------------------------------------------------


def _config(tmp_path, text, name="c.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run_dir: x\nlearning_rate: 1", "unknown config key 'learning_rate'"),
        ("feedback:\n  kk: 6\n", "unknown config key 'feedback.kk'"),
        ("sft:\n  learning_rat: 1.0e-5\n", "unknown config key 'sft.learning_rat'"),
        ("dpo:\n  num_train_epochs: 3\n", "set the epochs in the schedule section"),
        ("feedback:\n  k: six\n", "'feedback.k'"),
        ("feedback:\n  method: vote\n", "choose one of: auto, mcp, cloze"),
        ("feedback:\n  length_ratio: [0.8]\n", "list of 2 numbers"),
        ("schedule: 3\n", "must be a mapping"),
        ("- a\n- b\n", "must hold a mapping"),
        ("run_dir: [unclosed\n", "not valid YAML"),
        ("schedule:\n  feedback_every: 0\n", "schedule.feedback_every must be at least 1"),
        ("feedback:\n  length_ratio: [1.1, 1.2]\n", "0 < lo <= 1 <= hi"),
        ("eval:\n  students: [ft, rlhf]\n", "unknown student(s) rlhf"),
    ],
)
def test_config_errors_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(_config(tmp_path, text))


def test_config_loads_yaml_and_json(tmp_path):
    cfg = load_config(_config(tmp_path, "feedback: {k: 4, length_ratio: [0.7, 1.3]}\nbrio: {rank_weight: 5}\n"))
    assert cfg.feedback.k == 4 and cfg.feedback.length_ratio == (0.7, 1.3) and cfg.brio == {"rank_weight": 5}
    assert cfg.teacher.n == 3 and cfg.schedule.ws_epochs == 10  # paper defaults
    cfg = load_config(_config(tmp_path, json.dumps({"seed": 3, "dpo": {"beta": 0.2}}), "c.json"))
    assert cfg.seed == 3 and cfg.dpo == {"beta": 0.2}
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_checked_in_configs_load():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "trainers" / "configs").glob("*.yaml")):
        load_config(path)


def test_missing_base_model_is_one_clear_error(tmp_path):
    from trainers.recipes import Run

    cfg = load_config(_config(tmp_path, f"base_model: {tmp_path / 'nowhere'}\nrun_dir: {tmp_path / 'run'}\n"))
    with pytest.raises(ConfigError, match="neither an embedded model"):
        Run(cfg)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ('{"id": "a", "input": "x"', "line 1: not valid JSON"),
        ('{"id": "a", "input": "x", "paraphrase": "y"}\n[1, 2]\n', "line 2: expected a JSON object"),
        ('{"id": "a", "input": "x", "paraphrase": ""}', "'paraphrase' is missing"),
    ],
)
def test_pairs_file_errors(tmp_path, content, message):
    path = tmp_path / "pairs.jsonl"
    path.write_text(content)
    with pytest.raises(DataFileError, match=message):
        read_pairs(path)


def test_preference_file_errors(tmp_path):
    path = tmp_path / "prefs.jsonl"
    path.write_text('{"id": "a", "prompt": "x", "chosen": "y", "rejected": "z", "p_chosen": 1.5}\n')
    with pytest.raises(DataFileError, match="probability"):
        read_preferences(path)
    path.write_text('{"id": "a", "prompt": "x", "chosen": "y", "rejected": "z"}\n')
    with pytest.raises(DataFileError, match="'p_chosen' is missing or not a non-empty number"):
        read_preferences(path)
    with pytest.raises(DataFileError, match="does not exist"):
        read_preferences(tmp_path / "none.jsonl")


def test_a_config_extends_another_section_by_section(tmp_path):
    from trainers.config import ConfigError, load_config

    (tmp_path / "base.yaml").write_text("run_dir: runs/a\nteacher: {limit: 5, n: 3}\nschedule: {brio_epochs: 2}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nteacher: {limit: 7}\neval: {students: [ft]}\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert (cfg.run_dir, cfg.teacher.limit, cfg.teacher.n, cfg.schedule.brio_epochs, cfg.eval.students) == ("runs/a", 7, 3, 2, ["ft"])
    (tmp_path / "base.yaml").write_text("extends: child.yaml\n")
    with pytest.raises(ConfigError, match="extends it back"):
        load_config(tmp_path / "child.yaml")
    for path in sorted(Path("trainers/configs/table4").glob("*.yaml")):  # the shipped variants all load
        assert load_config(path).eval.suites == ["id"]


def test_table4_compares_each_brio_with_the_ft_trained_on_the_same_inputs():
    from trainers.table4 import ft_result

    cfgs = [load_config(Path("trainers/configs/table4") / f"{name}.yaml") for name in ("n33", "n100", "k3_once")]
    n33, n100, k3 = cfgs
    results = {(n100.source, "ft", "judge"): {"values": {"a": 1.0}}, (n33.source, "ft", "judge"): {"values": {"a": 0.0}}}
    assert ft_result(cfgs, k3, results, "judge") is results[(n100.source, "ft", "judge")]  # k3_once has no FT: n100's
    assert ft_result(cfgs, n33, results, "judge") is results[(n33.source, "ft", "judge")]  # its own, not the bigger one
    assert ft_result(cfgs, k3, results, "critic") is None


def test_table4_times_count_a_students_rounds_and_say_when_cpu_was_not_recorded():
    from trainers.table4 import minutes_cell, own_seconds

    times = {"ft_ws": {"seconds": 60.0, "cpu_seconds": 90.0}, "feedback:ft_ws": {"seconds": 60.0, "cpu_seconds": 60.0},
             "brio-round1": {"seconds": 120.0, "cpu_seconds": 240.0}, "feedback:brio-round1": {"seconds": 60.0, "cpu_seconds": 60.0},
             "brio": {"seconds": 60.0}, "critic:id:brio": {"seconds": 60.0, "cpu_seconds": 30.0}, "critic:id:ft": {"seconds": 600.0}}
    assert own_seconds(times, "brio") == (360.0, None)  # brio itself ran before CPU was recorded
    times["brio"]["cpu_seconds"] = 150.0
    assert own_seconds(times, "brio") == (360.0, 540.0)  # not FT-WS (shared), not FT's judging
    assert minutes_cell(*own_seconds(times, "brio")) == "6 / 9" and minutes_cell(60.0, None) == "1 / –"


def test_stage_times_say_how_much_judging_the_verdict_cache_served():
    from trainers.tables import cache_detail

    (log,) = Path("results/reproduction/table4/n33/logs/ft/id/critic").glob("*.eval")  # a committed evaluation
    assert cache_detail(str(log)) == ["judge requests paid 200, from the cache 66.7 %"]  # new outputs paid, references served
    assert cache_detail(None) == [] and cache_detail("no-such.eval") == []
