"""Optional fast path: the embedded GGUF run by llama.cpp (`pip install -e ".[fast]"`), same interface as
LoadedCheckpoint (render_chat, generate, continuation_logprobs).

Why: llama.cpp decodes one sequence faster than transformers (1.6x on 2 CPU cores,
results/speed_llama_cpp.json) and needs no fp32 conversion; it cannot batch, so whole suites are
slower on it and it is opt-in. Semantics follow the transformers engine, not llama.cpp's defaults: the HF chat
template, HF-style repetition penalty over prompt and output, log-probabilities from the raw
logits. Likelihoods come from `eval()` + `scores` with all logits kept, never from `echo=True`
prompt logprobs, which are wrong (models.md, gotcha 3); contexts shared by several continuations
are evaluated once (KV-cache prefix reuse). Numbers are close to, not identical with, the
transformers engine (quantised matmuls): the engine is part of the judge's cache identity.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from benchmark.errors import HumorBenchError

from .checkpoint import Generation, GenerationSettings, _common_prefix_len
from .special_tokens import render_chat

N_CTX = 2048


def llama_cpp_available() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return True


def _log_softmax(row: np.ndarray) -> np.ndarray:
    row = row.astype(np.float64)
    shifted = row - row.max()
    return shifted - np.log(np.exp(shifted).sum())


class LlamaCppEngine:
    """One GGUF file, two llama.cpp contexts: generation (last logits) and scoring (all logits)."""

    is_seq2seq = False

    def __init__(self, gguf: Path, tokenizer_dir: Path, threads: int | None = None) -> None:
        from llama_cpp import Llama
        from transformers import AutoTokenizer

        threads = threads or max(1, (os.cpu_count() or 2))
        common = dict(model_path=str(gguf), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads, verbose=False)
        self._gen = Llama(**common, logits_all=False)
        self._score = Llama(**common, logits_all=True)
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, local_files_only=True)
        self.eos = {self._gen.token_eos(), *([self.tokenizer.eos_token_id] if self.tokenizer.eos_token_id is not None else [])}
        self.lock = threading.Lock()
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None))
        self.folder = tokenizer_dir

    def render_chat(self, messages: list[dict[str, str]]) -> str:
        return render_chat(self.tokenizer, messages, self.has_chat_template)

    def _tokens(self, llm, text: str, special: bool = True) -> list[int]:
        """Token ids; `special` parses special-token strings (a rendered chat template needs it; scored
        plain text must not: a candidate's "<|im_start|>" stays characters)."""
        return llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)

    def _last_logits(self) -> np.ndarray:
        """Logits after the last evaluated token (a context without logits_all keeps no `scores`)."""
        n_vocab = self._gen.n_vocab()
        return np.ctypeslib.as_array(self._gen._ctx.get_logits(), shape=(n_vocab,)).astype(np.float64)

    def _piece(self, token: int) -> str:
        return self._gen.detokenize([token]).decode("utf-8", errors="replace")

    # ---- generation ----------------------------------------------------------------------------
    def generate(self, prompts: list[str], settings: GenerationSettings) -> list[Generation]:
        """One prompt at a time (llama.cpp's strength is the single stream); greedy or nucleus sampling."""
        rng = np.random.default_rng(settings.seed)
        with self.lock:
            return [self._generate_one(p, settings, rng) for p in prompts]

    def _generate_one(self, prompt: str, settings: GenerationSettings, rng: np.random.Generator) -> Generation:
        llm = self._gen
        tokens = self._tokens(llm, prompt)
        if len(tokens) + settings.max_new_tokens > N_CTX:
            raise HumorBenchError(f"prompt of {len(tokens)} tokens + {settings.max_new_tokens} new exceeds llama.cpp n_ctx {N_CTX}")
        llm.reset()
        llm.eval(tokens)
        seen = list(tokens)
        out: list[int] = []
        logprobs = []
        for _ in range(settings.max_new_tokens):
            raw = self._last_logits()
            logits = raw.copy()
            if settings.repetition_penalty != 1.0:  # HF semantics: every token seen so far, prompt included
                ids = np.unique(seen)
                vals = logits[ids]
                logits[ids] = np.where(vals > 0, vals / settings.repetition_penalty, vals * settings.repetition_penalty)
            token = self._pick(logits, settings, rng)
            if token in self.eos:
                break
            if settings.top_logprobs:
                lp = _log_softmax(raw)
                top = np.argsort(-lp)[: settings.top_logprobs]
                logprobs.append((self._piece(token), float(lp[token]), [(self._piece(int(i)), float(lp[i])) for i in top]))
            out.append(token)
            seen.append(token)
            llm.eval([token])
        text = self._gen.detokenize(out).decode("utf-8", errors="replace")
        return Generation(text=text.strip(), input_tokens=len(tokens), output_tokens=len(out), logprobs=logprobs)

    @staticmethod
    def _pick(logits: np.ndarray, settings: GenerationSettings, rng: np.random.Generator) -> int:
        if settings.temperature <= 0:
            return int(np.argmax(logits))
        scaled = logits / settings.temperature
        if settings.top_k:
            cut = np.sort(scaled)[-settings.top_k]
            scaled = np.where(scaled >= cut, scaled, -np.inf)
        probs = np.exp(scaled - scaled.max())
        probs /= probs.sum()
        if settings.top_p < 1.0:
            order = np.argsort(-probs)
            keep = order[: int(np.searchsorted(np.cumsum(probs[order]), settings.top_p) + 1)]
            mask = np.zeros_like(probs)
            mask[keep] = probs[keep]
            probs = mask / mask.sum()
        return int(rng.choice(len(probs), p=probs))

    # ---- likelihood scoring --------------------------------------------------------------------
    def continuation_logprobs(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> list[float]:
        """Sum log p(continuation | context) per pair; pairs are scored grouped by context (prefix reuse)."""
        llm = self._score
        results: dict[int, float] = {}
        order = sorted(range(len(pairs)), key=lambda i: pairs[i][0])
        with self.lock:
            llm.reset()
            for i in order:
                context, continuation = pairs[i]
                ctx = self._tokens(llm, context, special=False)
                full = self._tokens(llm, context + continuation, special=False)
                split = _common_prefix_len(ctx, full)
                if split == len(full):
                    raise HumorBenchError(f"empty continuation cannot be scored: {continuation!r}")
                if len(full) > N_CTX:
                    raise HumorBenchError(f"context + continuation of {len(full)} tokens exceeds llama.cpp n_ctx {N_CTX}")
                split = max(split, 1)
                done = _common_prefix_len(list(llm.input_ids[: llm.n_tokens]), full)
                done = min(done, split - 1)  # re-evaluate from the position that predicts the first new token
                llm.n_tokens = done
                llm.eval(full[done:])
                total = 0.0
                for t in range(split, len(full)):
                    total += float(_log_softmax(np.asarray(llm.scores[t - 1]))[full[t]])
                results[i] = total
        return [results[i] for i in range(len(pairs))]


_ENGINES: dict[str, LlamaCppEngine] = {}
_ENGINES_LOCK = threading.Lock()


def load_llama_engine(gguf: Path, tokenizer_dir: Path) -> LlamaCppEngine:
    """One engine per GGUF file per process, shared by student, judge and tie check (loads are serialised:
    concurrent first imports of transformers from two threads fail)."""
    key = str(Path(gguf).resolve())
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = LlamaCppEngine(Path(gguf), Path(tokenizer_dir))
        return _ENGINES[key]
