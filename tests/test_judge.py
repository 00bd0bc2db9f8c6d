"""The MCP prompt, verdict parsing, logprob probabilities, bounded retries and the cloze preference."""

import asyncio
import math

import pytest
from inspect_ai.model import Logprob, Logprobs, TopLogprob, get_model

from conftest import model_output
from scorers.judge import (
    ANSWER_FORMATS,
    JudgeCapabilityError,
    answer_probability,
    cloze_preference,
    judge_mcp,
    likelihood_api,
    mcp_prompt,
    parse_answer,
)


def test_prompt_is_the_papers_appendix_c_text_with_fenced_candidates():
    prompt = mcp_prompt("I lost my keys.", "A", "B")
    assert prompt.startswith("You will be given an input text from a conversation.")
    assert "Choose the better paraphrase, based on how humorous and human-like it sounds, while staying true to the input text." in prompt
    assert "Input text: <input>I lost my keys.</input>\nParaphrases:\n1. <paraphrase>A</paraphrase>\n2. <paraphrase>B</paraphrase>\n" in prompt
    assert "'Answer: Your choice of 1 or 2'" in prompt


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Reason: the first is a pun.\nAnswer: 1", 1),
        ("Reason: 1 is flat, 2 has a twist. Answer: 2", 2),
        ("Answer: '2'", 2),
        ("Reason: better timing\nAnswer: Paraphrase 1", 1),
        ("answer - 2", 2),
        ("2", 2),
        (" 1.", 1),
        ("Answer: 1 ... on second thought, Answer: 2", 2),  # the last answer wins
        ("Both are great.", None),
        ("Answer: Your choice of 1 or 2", None),
        ("Reason: paraphrase 1 is funnier", None),  # a reason without an answer is not a verdict
    ],
)
def test_parse_answer(text, expected):
    assert parse_answer(text) == expected


def _with_logprobs(text, entries):
    out = model_output(text)
    out.choices[0].logprobs = Logprobs(content=entries)
    return out


def test_answer_probability_renormalises_over_one_and_two():
    top = [TopLogprob(token=" 1", logprob=math.log(0.6)), TopLogprob(token="2", logprob=math.log(0.2)),
           TopLogprob(token=" I", logprob=math.log(0.1))]
    out = _with_logprobs("Answer: 1", [Logprob(token="Answer", logprob=0.0), Logprob(token=" 1", logprob=math.log(0.6), top_logprobs=top)])
    assert answer_probability(out) == pytest.approx(0.75)


def test_answer_probability_absent_without_logprobs():
    assert answer_probability(model_output("Answer: 1")) is None


def test_cloze_preference_is_a_sigmoid_of_the_contrast():
    v = cloze_preference(2.0, 1.0, temperature=1.0)
    assert v.choice == 1 and v.p_first == pytest.approx(1 / (1 + math.exp(-1)))
    assert cloze_preference(1.0, 2.0).choice == 2
    tie = cloze_preference(1.5, 1.5)
    assert tie.choice == 0 and tie.p_first == 0.5


def _run(coro):
    return asyncio.run(coro)


def test_flaky_judge_is_retried_then_parsed():
    judge = get_model("scripted/judge-flaky")
    v = _run(judge_mcp(judge, "I lost my keys.", "short", "a much longer one", max_retries=2, cache=False))
    assert v.choice == 2 and v.attempts == 2 and v.source == "logprobs"


def test_unparseable_judge_becomes_invalid_after_bounded_retries():
    judge = get_model("scripted/judge-garbage")
    v = _run(judge_mcp(judge, "I lost my keys.", "a", "b", "reason", max_retries=2, cache=False))
    assert v.choice is None and v.p_first is None and v.source == "invalid" and v.attempts == 3
    assert judge.api.calls[mcp_prompt("I lost my keys.", "a", "b")] == 3


def test_auto_mode_asks_for_one_token_and_reads_its_logprobs():
    judge = get_model("scripted/judge-longer")
    v = _run(judge_mcp(judge, "x", "short", "much longer", "auto", cache=False))
    assert (v.mode, v.source, v.choice, v.attempts) == ("direct", "logprobs", 2, 1)
    assert judge.api.calls[mcp_prompt("x", "short", "much longer", "direct")] == 1
    assert judge.api.calls[mcp_prompt("x", "short", "much longer", "reason")] == 0


def test_auto_mode_falls_back_to_the_reason_format_for_a_judge_without_logprobs():
    prompts = []

    def reply(messages, *args):
        prompts.append(messages[-1].text)
        return model_output("Reason: the pun lands.\nAnswer: 1")

    judge = get_model("mockllm/model", custom_outputs=reply)
    first = _run(judge_mcp(judge, "x", "a", "b", "auto", cache=False))
    second = _run(judge_mcp(judge, "y", "a", "b", "auto", cache=False))
    assert (first.mode, first.source, first.attempts) == ("reason", "text", 2)  # one direct try, then reason
    assert (second.mode, second.attempts) == ("reason", 1)  # remembered: no more direct tries
    assert [p.endswith(ANSWER_FORMATS["direct"]) for p in prompts] == [True, False, False]


def test_direct_answer_probability_is_read_at_the_first_position_whatever_was_sampled():
    top = [TopLogprob(token="The", logprob=math.log(0.5)), TopLogprob(token="2", logprob=math.log(0.3)),
           TopLogprob(token=" 1", logprob=math.log(0.1))]
    out = _with_logprobs("The", [Logprob(token="The", logprob=math.log(0.5), top_logprobs=top)])
    assert answer_probability(out) is None  # no digit was generated
    assert answer_probability(out, first_position=True) == pytest.approx(0.25)
    no_digits = _with_logprobs("The", [Logprob(token="The", logprob=0.0, top_logprobs=top[:1])])
    assert answer_probability(no_digits, first_position=True) is None  # invalid, never a tie


def test_logprob_judge_gives_probabilities():
    judge = get_model("scripted/judge-longer")
    v = _run(judge_mcp(judge, "x", "short", "much longer", cache=False))
    assert v.source == "logprobs" and v.choice == 2 and v.p_first == pytest.approx(0.1)


def test_mockllm_text_judge_without_logprobs():
    judge = get_model("mockllm/model", custom_outputs=lambda *a: model_output("Reason: the pun lands.\nAnswer: 1"))
    v = _run(judge_mcp(judge, "x", "a", "b", cache=False))
    assert (v.choice, v.p_first, v.source) == (1, 1.0, "text")


def test_cloze_needs_a_likelihood_judge():
    with pytest.raises(JudgeCapabilityError, match="local/qwen2.5-coder-0.5b"):
        likelihood_api(get_model("scripted/judge"))


def test_shipped_gate_constants_are_the_ones_judge_fit_wrote():
    """The code's gate is the dev fit's output (results/judge_fit/), not a hand-tuned value."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    from benchmark.tools.judge_fit import default_out
    from scorers.judge import MEANING_GATES

    for judge, gate in MEANING_GATES.items():
        fitted = json.loads((Path(__file__).resolve().parents[1] / default_out(judge)).read_text())
        assert fitted["judge"] == judge and asdict(gate) == pytest.approx(fitted["gate"], abs=1e-9)
