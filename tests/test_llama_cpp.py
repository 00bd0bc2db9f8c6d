"""The optional llama.cpp engine for the embedded model, and the fallback to transformers without it.

The engine tests need llama-cpp-python (`pip install -e ".[fast]"`); CI installs it after the main
test run and runs `pytest -m llama_cpp` (see .ci/run), so they are exercised, not skipped, there.
"""

import asyncio

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.model import get_model

from benchmark.humor_wtr import humor_wtr
from benchmark.models import providers
from benchmark.models.checkpoint import GenerationSettings, load_checkpoint
from benchmark.models.llama_cpp_engine import llama_cpp_available

needs_llama = pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python not installed (extra 'fast')")
PAIRS = [
    ("Sentence: I lost my keys.\nA hilarious, witty rewrite of this sentence:", " My keys have left me for someone tidier."),
    ("Sentence: I lost my keys.\nA plain, literal rewrite of this sentence:", " My keys have left me for someone tidier."),
    ("Sentence: I lost my keys.\nA hilarious, witty rewrite of this sentence:", " I cannot find my keys."),
    ("Sentence: I lost my keys.\nA plain, literal rewrite of this sentence:", " I cannot find my keys."),
]


def test_auto_falls_back_to_transformers_and_an_explicit_engine_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr("benchmark.models.llama_cpp_engine.llama_cpp_available", lambda: False)
    assert providers._resolve_engine("auto", lambda: "cpu") == "transformers"
    with pytest.raises(ValueError, match=r'pip install -e "\.\[fast\]"'):
        providers._resolve_engine("llama_cpp", lambda: "cpu")
    with pytest.raises(ValueError, match="choose one of: auto, transformers, llama_cpp"):
        providers._resolve_engine("vllm", lambda: "cpu")
    assert providers._resolve_engine("transformers", lambda: "cpu") == "transformers"


@pytest.fixture(scope="module")
def engines(embedded_dir):
    llama = get_model("local/smollm2-135m", engine="llama_cpp").api
    torch_api = get_model("local/smollm2-135m", engine="transformers").api
    return llama, torch_api


@pytest.mark.llama_cpp
@needs_llama
def test_engine_is_chosen_and_part_of_the_judge_identity(engines):
    llama, torch_api = engines
    assert (llama.engine, torch_api.engine) == ("llama_cpp", "transformers")
    assert providers._resolve_engine("auto", lambda: "cpu") == "llama_cpp"
    assert llama.cache_identity() != torch_api.cache_identity()


@pytest.mark.llama_cpp
@needs_llama
def test_cloze_likelihoods_agree_with_transformers_and_do_not_depend_on_order(engines, embedded_dir):
    llama, _ = engines
    ours = llama.checkpoint.continuation_logprobs(PAIRS)
    reference = load_checkpoint(embedded_dir).continuation_logprobs(PAIRS)
    for a, b in zip(ours, reference):  # same Q4_1 weights; llama.cpp quantises activations in its matmuls
        assert a == pytest.approx(b, abs=0.5), (ours, reference)
    # the cloze arbiter's verdict, s(joke) - s(literal) with s(c) = funny - plain framing, is the same
    verdict = lambda s: (s[0] - s[1]) > (s[2] - s[3])  # noqa: E731
    assert verdict(ours) == verdict(reference)
    shuffled = llama.checkpoint.continuation_logprobs(PAIRS[::-1])[::-1]  # other prefix-reuse order
    assert shuffled == pytest.approx(ours, abs=1e-3)


@pytest.mark.llama_cpp
@needs_llama
def test_generation_with_logprobs(engines):
    llama, _ = engines
    ckpt = llama.checkpoint
    prompt = ckpt.render_chat([{"role": "user", "content": "Answer with one digit: 1 or 2."}])
    [g] = ckpt.generate([prompt], GenerationSettings(max_new_tokens=6, repetition_penalty=1.0, top_logprobs=5))
    assert g.text and 0 < g.output_tokens <= 6 and len(g.logprobs) == g.output_tokens
    for token, lp, alts in g.logprobs:  # greedy without penalty: each token is the top alternative
        assert len(alts) == 5 and lp <= 0 and (token, lp) == alts[0]
    student = ckpt.render_chat([{"role": "user", "content": "Rewrite funnily: I missed the bus this morning."}])
    [ours] = ckpt.generate([student], GenerationSettings(max_new_tokens=12, repetition_penalty=1.1))
    [theirs] = load_checkpoint(ckpt.folder).generate([student], GenerationSettings(max_new_tokens=12, repetition_penalty=1.1))
    assert ours.text and ours.text.split()[:2] == theirs.text.split()[:2]  # same weights, same greedy start
    sampled = ckpt.generate([prompt, prompt], GenerationSettings(max_new_tokens=6, temperature=1.0, top_p=0.9, seed=3))
    again = ckpt.generate([prompt, prompt], GenerationSettings(max_new_tokens=6, temperature=1.0, top_p=0.9, seed=3))
    assert [s.text for s in sampled] == [s.text for s in again]  # seeded sampling is reproducible


@pytest.mark.llama_cpp
@needs_llama
def test_default_task_on_the_llama_cpp_engine(tmp_path, embedded_dir):
    [log] = inspect_eval(
        humor_wtr(suite="id", max_tokens=24), model="local/smollm2-135m", model_args={"engine": "llama_cpp"},
        model_roles={"grader": get_model("local/smollm2-135m", engine="llama_cpp")},
        log_dir=str(tmp_path), display="none", limit=2,
    )
    assert log.status == "success", log.error
    metrics = {k: v.value for k, v in log.results.scores[0].metrics.items()}
    assert metrics["invalid_rate"] == 0 and metrics["position_consistency"] == 1  # the cloze arbiter ran
    assert asyncio.run(get_model("local/smollm2-135m", engine="llama_cpp").api.continuation_logprobs(PAIRS[:1]))[0] < 0
