"""Loading a local HF checkpoint folder safely, and running it: batched generation and continuation scoring.

Why one engine for both: the student (generation) and the cloze judge (likelihoods) can be the same
weights; they are loaded once per process and shared. Safety rules: safetensors only (pickle weights
can run code on load), `trust_remote_code` off, no hub access (local folders only).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PICKLE_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


class CheckpointError(ValueError):
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

    def __init__(self, folder: Path, device: str = "cpu", allow_pickle: bool = False) -> None:
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
            dtype=torch.float32 if device == "cpu" else "auto",
        ).to(device)
        self.model.eval()
        self.tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.device = device
        self.lock = threading.Lock()
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None))

    # ---- prompts -------------------------------------------------------------------------------
    def render_chat(self, messages: list[dict[str, str]]) -> str:
        """Chat prompt for causal instruct models; seq2seq and template-less models get the last user text."""
        if self.is_seq2seq or not self.has_chat_template:
            return messages[-1]["content"]
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

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
        context's tokens; for seq2seq models the context is the encoder input and the continuation
        the decoder target.
        """
        import torch

        results: list[float] = []
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start : start + batch_size]
            with self.lock, torch.inference_mode():
                if self.is_seq2seq:
                    results.extend(self._seq2seq_scores(chunk))
                else:
                    results.extend(self._causal_scores(chunk))
        return results

    def _causal_scores(self, chunk: list[tuple[str, str]]) -> list[float]:
        import torch

        tok = self.tokenizer
        rows, spans = [], []
        for context, continuation in chunk:
            ctx_ids = tok(context, add_special_tokens=False)["input_ids"]
            full_ids = tok(context + continuation, add_special_tokens=False)["input_ids"]
            split = _common_prefix_len(ctx_ids, full_ids)
            if split == len(full_ids):
                raise ValueError(f"empty continuation cannot be scored: {continuation!r}")
            rows.append(full_ids)
            spans.append(max(split, 1))
        width = max(len(r) for r in rows)
        pad = tok.pad_token_id
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):  # right padding: positions stay aligned with the prefix
            ids[i, : len(r)] = torch.tensor(r)
            mask[i, : len(r)] = 1
        # The output head is a third of this model's compute: apply it only where a continuation
        # token is predicted, not over every context position.
        hidden = self.model.base_model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))[0]
        head = self.model.get_output_embeddings()
        scores = []
        for i, r in enumerate(rows):
            positions = torch.arange(spans[i] - 1, len(r) - 1, device=hidden.device)
            targets = torch.tensor(r[spans[i] :], device=hidden.device)
            logp = torch.log_softmax(head(hidden[i, positions]).float(), dim=-1)
            scores.append(float(logp[torch.arange(len(targets)), targets].sum()))
        return scores

    def _seq2seq_scores(self, chunk: list[tuple[str, str]]) -> list[float]:
        import torch

        tok = self.tokenizer
        enc = tok([c for c, _ in chunk], return_tensors="pt", padding=True).to(self.device)
        labels = tok([x.strip() for _, x in chunk], return_tensors="pt", padding=True)["input_ids"].to(self.device)
        labels[labels == tok.pad_token_id] = -100
        logits = self.model(**enc, labels=labels).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        safe = labels.clamp(min=0)
        token_lp = logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1) * (labels != -100)
        return [float(x) for x in token_lp.sum(dim=-1)]


def _common_prefix_len(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


_LOADED: dict[tuple[str, str], LoadedCheckpoint] = {}
_LOADED_LOCK = threading.Lock()


def load_checkpoint(folder: str | Path, device: str = "cpu", allow_pickle: bool = False) -> LoadedCheckpoint:
    """Load (once per process) a validated checkpoint folder."""
    path = validate_checkpoint_dir(folder, allow_pickle=allow_pickle)
    key = (str(path.resolve()), device)
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = LoadedCheckpoint(path, device=device, allow_pickle=allow_pickle)
        return _LOADED[key]
