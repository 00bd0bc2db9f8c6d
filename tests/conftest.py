"""Shared test helpers: offline model outputs (usage set, so no tokenizer download) and tiny checkpoints."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from benchmark.models.embedded import default_cache_dir, ensure_converted


def pytest_configure(config: pytest.Config) -> None:
    """Hermetic caches for the whole session (module fixtures included): never the user's verdict
    cache or Inspect cache, which would serve earlier runs' answers to the tests."""
    root = Path(tempfile.mkdtemp(prefix="humor-bench-tests-"))
    os.environ["HUMOR_BENCH_JUDGE_CACHE"] = str(root / "judge_cache.sqlite")
    os.environ["INSPECT_CACHE_DIR"] = str(root / "inspect_cache")


def model_output(text: str) -> ModelOutput:
    """A mockllm output with usage set (mockllm would otherwise fetch tiktoken's vocabulary)."""
    output = ModelOutput.from_content(model="mockllm", content=text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


@pytest.fixture(autouse=True)
def private_verdict_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own judge verdict cache (CLI subprocesses inherit it), so none sees another's verdicts."""
    path = tmp_path / "judge_cache.sqlite"
    monkeypatch.setenv("HUMOR_BENCH_JUDGE_CACHE", str(path))
    return path


@pytest.fixture(scope="session")
def embedded_dir() -> Path:
    """The converted embedded model (converted once per machine; ~30 s the first time)."""
    return ensure_converted("smollm2-135m", default_cache_dir())


def save_tiny_causal(folder: Path, tokenizer_dir: Path) -> Path:
    """A randomly initialised 2-layer Llama with the embedded tokenizer: real code path, tiny weights."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def save_tiny_seq2seq(folder: Path, tokenizer_dir: Path) -> Path:
    """A randomly initialised 1-layer BART (the paper's student family) with the embedded tokenizer."""
    import torch
    from transformers import AutoTokenizer, BartConfig, BartForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=None,
    )
    BartForConditionalGeneration(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
