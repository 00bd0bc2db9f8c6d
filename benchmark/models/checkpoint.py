"""Loading a local HF checkpoint folder safely, and running it: batched generation and continuation scoring.

Why one engine for both: the student (generation) and the cloze judge (likelihoods) can be the same
weights; they are loaded once per process and shared. Safety rules: safetensors only (pickle weights
can run code on load), `trust_remote_code` off, no hub access (local folders only).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.errors import HumorBenchError

from .special_tokens import render_chat

PICKLE_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class CheckpointError(HumorBenchError):
    """A checkpoint folder that cannot be loaded as it is; the message names the fix."""


def validate_checkpoint_dir(path: str | Path, allow_pickle: bool = False) -> Path:
    """Check a folder is a loadable, safe HF checkpoint before any weights are read."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise CheckpointError(
            f"checkpoint folder '{path}' does not exist; pass a folder that holds config.json "
            "and *.safetensors (e.g. one written by `humor-bench train` or save_pretrained)"
        )
    config_file = folder / "config.json"
    if not config_file.is_file():
        raise CheckpointError(f"checkpoint folder '{path}' has no config.json; save it with save_pretrained()")
    safetensors = list(folder.glob("*.safetensors"))
    pickles = [p for p in folder.iterdir() if p.suffix in PICKLE_WEIGHT_SUFFIXES]
    if not safetensors:
        if pickles and not allow_pickle:
            raise CheckpointError(
                f"checkpoint '{path}' has only pickle weights ({pickles[0].name}), which can run code "
                "when loaded; convert it with model.save_pretrained(dir, safe_serialization=True)"
            )
        if not pickles:
            raise CheckpointError(f"checkpoint folder '{path}' has no weights (*.safetensors)")
    config = json.loads(config_file.read_text())
    if config.get("auto_map"):
        raise CheckpointError(
            f"checkpoint '{path}' needs remote code (auto_map in config.json), which humor-bench "
            "never runs; export it with a standard transformers architecture"
        )
    return folder


@dataclass
class GenerationSettings:
    max_new_tokens: int = 48
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int | None = None
    num_beams: int = 1
    repetition_penalty: float = 1.0
    top_logprobs: int = 0  # >0: also return per-token log-probabilities of the chosen and top tokens
    seed: int | None = None

    def key(self) -> tuple:
        return tuple(sorted(self.__dict__.items()))


@dataclass
class Generation:
    text: str
    input_tokens: int
    output_tokens: int
    # per generated token: (token text, logprob, [(alt text, alt logprob), ...])
    logprobs: list[tuple[str, float, list[tuple[str, float]]]] = field(default_factory=list)


class LoadedCheckpoint:
    """Weights + tokenizer in memory, with a lock so batches never overlap on the same weights."""

    def __init__(self, folder: Path, device: str = "cpu", allow_pickle: bool = False, dtype: str | None = None) -> None:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        self.folder = folder
        config = AutoConfig.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
        self.is_seq2seq = bool(getattr(config, "is_encoder_decoder", False))
        auto = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
        self.model = auto.from_pretrained(
            folder,
            trust_remote_code=False,
            local_files_only=True,
            use_safetensors=not allow_pickle,
            dtype=_torch_dtype(dtype, device),
        ).to(device)
        self.model.eval()
        self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.device = device
        self.lock = threading.Lock()
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None))
        self.scored_tokens = 0  # likelihood scoring: tokens through the model body (padding excluded)
        self.scored_head_rows = 0  # ... and positions through the output head (continuation tokens only)

    # ---- prompts -------------------------------------------------------------------------------
    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """Chat prompt for causal instruct models; seq2seq and template-less models get the last user text."""
        return render_chat(self.tokenizer, messages, self.has_chat_template and not self.is_seq2seq)

    # ---- generation ----------------------------------------------------------------------------
    def generate(self, prompts: list[str], settings: GenerationSettings) -> list[Generation]:
        import torch

        tok = self.tokenizer
        kwargs: dict[str, Any] = dict(
            max_new_tokens=settings.max_new_tokens,
            num_beams=settings.num_beams,
            repetition_penalty=settings.repetition_penalty,
            pad_token_id=tok.pad_token_id,
            return_dict_in_generate=True,
            output_logits=settings.top_logprobs > 0,
        )
        if settings.temperature > 0:
            kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
            if settings.top_k:
                kwargs["top_k"] = settings.top_k
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with self.lock, torch.inference_mode():  # the tokenizer's padding side is shared state too
            tok.padding_side = "left"
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=self.is_seq2seq).to(self.device)
            if settings.seed is not None:
                torch.manual_seed(settings.seed)
            out = self.model.generate(**enc, **kwargs)
        prompt_len = 0 if self.is_seq2seq else enc["input_ids"].shape[1]
        sequences = out.sequences[:, prompt_len:]
        results = []
        for row, seq in enumerate(sequences):
            ids = [int(t) for t in seq if int(t) != tok.pad_token_id]
            ids = [t for t in ids if t not in (tok.eos_token_id,) and t not in tok.all_special_ids]
            text = tok.decode(ids, skip_special_tokens=True)
            logprobs = self._logprobs(out.logits, row, seq, settings.top_logprobs) if settings.top_logprobs else []
            results.append(
                Generation(
                    text=text.strip(),
                    input_tokens=int(enc["attention_mask"][row].sum()),
                    output_tokens=len(ids),
                    logprobs=logprobs,
                )
            )
        return results

    def _logprobs(self, logits, row: int, seq, k: int) -> list[tuple[str, float, list[tuple[str, float]]]]:
        import torch

        tok = self.tokenizer
        entries = []
        for step, step_logits in enumerate(logits):
            token_id = int(seq[step])
            if token_id == tok.pad_token_id or token_id == tok.eos_token_id:
                break
            lp = torch.log_softmax(step_logits[row].float(), dim=-1)
            top = torch.topk(lp, k)
            alts = [(tok.decode([int(i)]), float(v)) for v, i in zip(top.values, top.indices)]
            entries.append((tok.decode([token_id]), float(lp[token_id]), alts))
        return entries

    # ---- likelihood scoring --------------------------------------------------------------------
    def continuation_logprobs(self, pairs: list[tuple[str, str]], batch_size: int = 32) -> list[float]:
        """Sum of log p(continuation | context) per (context, continuation) pair, batched.

        For causal models the continuation's tokens are those of `context + continuation` past the
        context's tokens (`_causal_scores`); for seq2seq models the context is the encoder input and
        the continuation the decoder target. Results come back in the callers' order.
        """
        import torch

        if not self.is_seq2seq:
            with self.lock, torch.inference_mode():
                return self._causal_scores(pairs, batch_size)
        results: list[float] = []
        for start in range(0, len(pairs), batch_size):
            with self.lock, torch.inference_mode():
                results.extend(self._seq2seq_scores(pairs[start : start + batch_size]))
        return results

    def _causal_scores(self, pairs: list[tuple[str, str]], max_rows: int) -> list[float]:
        """A context shared by several continuations (an item's framing, scored for the student, the
        reference and the input copy) runs once and its KV cache serves them all; the rest run whole.
        Batches are formed by length (little padding), at most `max_rows` rows and TOKEN_BUDGET tokens."""
        rows = [self._split(context, continuation) for context, continuation in pairs]
        uses = Counter(prefix for prefix, _ in rows)
        scores: list[float] = [0.0] * len(rows)
        whole = [i for i, (prefix, _) in enumerate(rows) if uses[prefix] == 1]
        for batch in _batches(whole, lambda i: len(rows[i][0]) + len(rows[i][1]), max_rows):
            for i, score in zip(batch, self._score_whole([rows[i] for i in batch])):
                scores[i] = score
        shared = [i for i, (prefix, _) in enumerate(rows) if uses[prefix] > 1]
        if shared:
            states = self._run_prefixes(list(dict.fromkeys(rows[i][0] for i in shared)), max_rows)
            for batch in _batches(shared, lambda i: len(rows[i][1]), max_rows):
                for i, score in zip(batch, self._score_on_prefixes([rows[i] for i in batch], states)):
                    scores[i] = score
        return scores

    def _split(self, context: str, continuation: str) -> tuple[tuple[int, ...], list[int]]:
        """(context tokens, continuation tokens) of `context + continuation`; special-token strings in the
        text stay characters (split_special_tokens), so a candidate cannot inject chat turns."""
        tok = self.tokenizer
        ctx_ids = tok(context, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        full_ids = tok(context + continuation, add_special_tokens=False, split_special_tokens=True)["input_ids"]
        split = max(_common_prefix_len(ctx_ids, full_ids), 1)
        if split >= len(full_ids):
            raise HumorBenchError(f"empty continuation cannot be scored: {continuation!r}")
        return tuple(full_ids[:split]), full_ids[split:]

    def _padded(self, sequences: list[list[int]]) -> tuple[Any, Any]:
        """Right-padded ids and mask (positions stay aligned with each sequence's start)."""
        import torch

        width = max(1, max(len(s) for s in sequences))
        ids = torch.full((len(sequences), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for i, seq in enumerate(sequences):
            ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[i, : len(seq)] = 1
        return ids.to(self.device), mask.to(self.device)

    def _score_whole(self, rows: list[tuple[tuple[int, ...], list[int]]]) -> list[float]:
        import torch

        ids, mask = self._padded([list(prefix) + cont for prefix, cont in rows])
        hidden = self.model.base_model(input_ids=ids, attention_mask=mask)[0]
        self.scored_tokens += int(mask.sum())
        states = torch.cat([hidden[i, len(p) - 1 : len(p) + len(c) - 1] for i, (p, c) in enumerate(rows)])
        return self._sum_logprobs(states, [c for _, c in rows])

    def _run_prefixes(self, prefixes: list[tuple[int, ...]], max_rows: int) -> dict[tuple[int, ...], tuple[Any, list]]:
        """Each distinct context once: its last hidden state and its per-layer (keys, values), unpadded."""
        states: dict[tuple[int, ...], tuple[Any, list]] = {}
        for batch in _batches(list(range(len(prefixes))), lambda i: len(prefixes[i]), max_rows):
            ids, mask = self._padded([list(prefixes[i]) for i in batch])
            out = self.model.base_model(input_ids=ids, attention_mask=mask, use_cache=True)
            self.scored_tokens += int(mask.sum())
            layers = [(keys, values) for keys, values, *_ in _output_cache(out)]
            for row, i in enumerate(batch):
                n = len(prefixes[i])
                states[prefixes[i]] = (out[0][row, n - 1], [(k[row, :, :n], v[row, :, :n]) for k, v in layers])
        return states

    def _score_on_prefixes(self, rows: list[tuple[tuple[int, ...], list[int]]], states: dict) -> list[float]:
        """Continuations on their contexts' cached KV: the first token is predicted by the context's last
        state, the others by a pass over the continuation (all but its last token) on the cache."""
        import torch
        from transformers import DynamicCache

        firsts = torch.stack([states[p][0] for p, _ in rows])
        tails = [c[:-1] for _, c in rows]
        hidden = None
        if any(tails):
            width = max(len(p) for p, _ in rows)
            prefix_mask = torch.zeros((len(rows), width), dtype=torch.long, device=firsts.device)
            layers = []
            for layer in range(len(states[rows[0][0]][1])):
                keys = [states[p][1][layer][0] for p, _ in rows]
                values = [states[p][1][layer][1] for p, _ in rows]
                shape = (len(rows), keys[0].shape[0], width, keys[0].shape[-1])
                k_pad, v_pad = keys[0].new_zeros(shape), values[0].new_zeros(shape)
                for i, (k, v) in enumerate(zip(keys, values)):
                    k_pad[i, :, : k.shape[1]] = k
                    v_pad[i, :, : v.shape[1]] = v
                layers.append((k_pad, v_pad))
            for i, (p, _) in enumerate(rows):
                prefix_mask[i, : len(p)] = 1
            ids, mask = self._padded(tails)
            lengths = torch.tensor([len(p) for p, _ in rows], device=ids.device)
            positions = lengths[:, None] + torch.arange(ids.shape[1], device=ids.device)[None, :]
            hidden = self.model.base_model(
                input_ids=ids, attention_mask=torch.cat([prefix_mask, mask], dim=1), position_ids=positions,
                use_cache=True, **{_cache_kwarg(self.model.base_model): DynamicCache(ddp_cache_data=layers)},
            )[0]
            self.scored_tokens += int(mask.sum())
        pieces = []
        for i, (_, cont) in enumerate(rows):
            pieces.append(firsts[i : i + 1])
            if len(cont) > 1:
                pieces.append(hidden[i, : len(cont) - 1])  # type: ignore[index]
        return self._sum_logprobs(torch.cat(pieces), [c for _, c in rows])

    def _sum_logprobs(self, states: Any, continuations: list[list[int]]) -> list[float]:
        """Sum of log p(token) per continuation, `states` holding the hidden state before each token in order.

        The output head (a third of a small model's compute) runs only on these rows, in one matmul."""
        import torch

        targets = torch.tensor([t for c in continuations for t in c], device=states.device)
        logits = self.model.get_output_embeddings()(states).float()
        self.scored_head_rows += len(targets)
        token_lp = logits.gather(1, targets[:, None]).squeeze(1) - torch.logsumexp(logits, dim=-1)
        sums = torch.split(token_lp, [len(c) for c in continuations])
        return [float(x.sum().detach()) for x in sums]

    def scoring_flops(self, tokens: int, head_rows: int) -> float:
        """Matmul FLOPs of scoring: 2 x (body parameters) per token + 2 x (head parameters) per head row."""
        head = self.model.get_output_embeddings()
        embed = self.model.get_input_embeddings()
        head_params = sum(p.numel() for p in head.parameters())
        body_params = sum(p.numel() for p in self.model.parameters()) - head_params
        if head.weight is not embed.weight:
            body_params -= embed.weight.numel()
        return 2.0 * body_params * tokens + 2.0 * head_params * head_rows

    def _seq2seq_scores(self, chunk: list[tuple[str, str]]) -> list[float]:
        import torch

        tok = self.tokenizer
        enc = tok([c for c, _ in chunk], return_tensors="pt", padding=True, split_special_tokens=True).to(self.device)
        labels = tok([x.strip() for _, x in chunk], return_tensors="pt", padding=True, split_special_tokens=True)["input_ids"].to(self.device)
        labels[labels == tok.pad_token_id] = -100
        logits = self.model(**enc, labels=labels).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        safe = labels.clamp(min=0)
        token_lp = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) * (labels != -100)
        return [float(x) for x in token_lp.sum(dim=-1)]


def _cache_kwarg(model: Any) -> str:
    """transformers >= 5.2x names the KV-cache argument `cache` (`past_key_values` is deprecated)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _output_cache(output: Any) -> Any:
    return output.cache if getattr(output, "cache", None) is not None else output.past_key_values


TOKEN_BUDGET = 4096  # padded tokens per scoring forward pass (CPU matmuls are efficient well below this)


def _batches(indices: list[int], length: Any, max_rows: int) -> list[list[int]]:
    """`indices` sorted by `length`, cut into batches of at most max_rows rows and TOKEN_BUDGET padded tokens."""
    batches: list[list[int]] = []
    for i in sorted(indices, key=length):
        if batches and len(batches[-1]) < max_rows and (len(batches[-1]) + 1) * max(1, length(i)) <= TOKEN_BUDGET:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU has bfloat16 instructions (AVX512-BF16 or AMX); without them torch emulates bf16
    matmuls and a bf16 model runs ~6x slower than in float32 (measured on an AVX2-only EPYC)."""
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def _torch_dtype(dtype: str | None, device: str) -> Any:
    """None: float32 on the CPU (bit-stable scores), the checkpoint's own dtype elsewhere."""
    import torch

    if dtype is None:
        return torch.float32 if device == "cpu" else "auto"
    if dtype == "auto":
        return "auto"
    if dtype not in ("float32", "bfloat16", "float16"):
        raise HumorBenchError(f"unknown dtype '{dtype}'; choose one of: float32, bfloat16, float16, auto")
    return getattr(torch, dtype)


def _common_prefix_len(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


_LOADED: dict[tuple[str, str, str | None], LoadedCheckpoint] = {}
_LOADED_LOCK = threading.Lock()


def load_checkpoint(folder: str | Path, device: str = "cpu", allow_pickle: bool = False, dtype: str | None = None) -> LoadedCheckpoint:
    """Load (once per process and dtype) a validated checkpoint folder."""
    path = validate_checkpoint_dir(folder, allow_pickle=allow_pickle)
    key = (str(path.resolve()), device, dtype)
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = LoadedCheckpoint(path, device=device, allow_pickle=allow_pickle, dtype=dtype)
        return _LOADED[key]
