"""BRIO: a ranking margin loss on length-normalised log-probabilities plus MLE (paper §3.4, Liu et al. 2022).

TRL has no BRIO, so this is a small `Trainer` subclass. For each preference (x, y_w, y_l):

    s(y)   = log p(y | x) / |y|^alpha                     length-normalised score (alpha = 1: mean token log-prob)
    L_rank = max(0, s(y_l) - s(y_w) + m),  m = log(2) / lambda   (one pair: j - i = 1)
    L_mle  = token-mean cross-entropy of the MLE target (the teacher's paraphrase when the record has
             one, BRIO's "gold"; else y_w)
    L      = mle_weight * L_mle + rank_weight * L_rank

lambda is the average completion length in tokens of the training data, so a margin of log(2)/lambda
on the mean log-prob asks for p(y_w) >= 2 p(y_l) on sequences of average length (paper §3.4).
Weights: the paper does not give them; we use BRIO's released setting, mle_weight = 0.1 and
rank_weight = 10 (yixinL7/BRIO config.py, CNN/DM and XSum alike). All three are config keys.
Sequences are causal-LM chat turns built from `student_messages`, like SFT and DPO.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from transformers import Trainer, TrainingArguments

from solvers.paraphrase import student_messages

IGNORE = -100


@dataclass
class BrioConfig(TrainingArguments):
    """TrainingArguments plus BRIO's loss settings (the `brio:` section of a recipe config)."""

    mle_weight: float = field(default=0.1, metadata={"help": "weight of the MLE term (BRIO: 0.1)"})
    rank_weight: float = field(default=10.0, metadata={"help": "weight of the ranking term (BRIO: 10)"})
    margin: float | None = field(default=None, metadata={"help": "ranking margin; None: log(2) / mean completion length"})
    length_penalty: float = field(default=1.0, metadata={"help": "alpha in log p(y) / |y|^alpha"})
    max_length: int = field(default=256, metadata={"help": "prompt + completion tokens (completion truncated)"})
    remove_unused_columns: bool = field(default=False, metadata={"help": "the collator reads the raw columns"})


def brio_loss(
    chosen_logp: torch.Tensor,
    chosen_len: torch.Tensor,
    rejected_logp: torch.Tensor,
    rejected_len: torch.Tensor,
    mle_nll: torch.Tensor,
    margin: float,
    mle_weight: float = 0.1,
    rank_weight: float = 10.0,
    length_penalty: float = 1.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The BRIO objective from per-sequence summed log-probs and token counts (see the module docstring)."""
    s_chosen = chosen_logp / chosen_len.float() ** length_penalty
    s_rejected = rejected_logp / rejected_len.float() ** length_penalty
    ranking = torch.clamp(s_rejected - s_chosen + margin, min=0.0).mean()
    total = mle_weight * mle_nll + rank_weight * ranking
    parts = {
        "mle": float(mle_nll.detach()),
        "ranking": float(ranking.detach()),
        "score_chosen": float(s_chosen.detach().mean()),
        "score_rejected": float(s_rejected.detach().mean()),
        "ranking_accuracy": float((s_chosen > s_rejected).float().mean()),
    }
    return total, parts


def sequence_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of log p(label token), number of label tokens) per row; labels are IGNORE outside completions."""
    shifted_logits, shifted_labels = logits[:, :-1, :].float(), labels[:, 1:]
    token_logp = -F.cross_entropy(shifted_logits.transpose(1, 2), shifted_labels, ignore_index=IGNORE, reduction="none")
    mask = shifted_labels != IGNORE
    return (token_logp * mask).sum(-1), mask.sum(-1)


def brio_examples(preferences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "prompt": student_messages(p["prompt"]),
            "chosen": p["chosen"],
            "rejected": p["rejected"],
            "mle_target": p.get("reference") or p["chosen"],
        }
        for p in preferences
    ]


class BrioCollator:
    """Tokenises [chosen..., rejected..., mle targets...] as chat turns; labels cover the completions."""

    def __init__(self, tokenizer: Any, max_length: int = 256) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    def encode(self, prompt: list[dict[str, str]], completion: str) -> tuple[list[int], int]:
        """(token ids, prompt length) of one prompt + completion chat turn, completion truncated."""
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            prompt_text = tok.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
            full_text = tok.apply_chat_template(prompt + [{"role": "assistant", "content": completion}], tokenize=False)
        else:  # template-less tokenizer: the bare instruction, then the completion and eos
            prompt_text = prompt[-1]["content"] + "\n"
            full_text = prompt_text + completion + (tok.eos_token or "")
        prompt_ids = tok(prompt_text, add_special_tokens=False)["input_ids"]
        full_ids = tok(full_text, add_special_tokens=False)["input_ids"]
        split = 0
        while split < min(len(prompt_ids), len(full_ids)) and prompt_ids[split] == full_ids[split]:
            split += 1
        return full_ids[: max(self.max_length, split + 1)], split

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        rows = [
            self.encode(ex["prompt"], ex[key]) for key in ("chosen", "rejected", "mle_target") for ex in examples
        ]
        width = max(len(ids) for ids, _ in rows)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        for i, (ids, split) in enumerate(rows):  # right padding
            input_ids[i, : len(ids)] = torch.tensor(ids)
            attention_mask[i, : len(ids)] = 1
            labels[i, split : len(ids)] = torch.tensor(ids[split:])
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


class BrioTrainer(Trainer):
    """Trainer whose loss is `brio_loss` over batches built by `BrioCollator`."""

    def __init__(self, model: Any, args: BrioConfig, preferences: list[dict[str, Any]], processing_class: Any, **kwargs: Any):
        from datasets import Dataset

        if processing_class.pad_token is None:
            processing_class.pad_token = processing_class.eos_token
        collator = BrioCollator(processing_class, args.max_length)
        examples = brio_examples(preferences)
        self.average_length = average_completion_length(collator, examples)
        self.margin = args.margin if args.margin is not None else math.log(2) / self.average_length
        super().__init__(
            model=model,
            args=args,
            data_collator=collator,
            train_dataset=Dataset.from_list(examples),
            processing_class=processing_class,
            **kwargs,
        )
        self.loss_is_scaled_for_ga = False  # our loss is a batch mean: let Trainer divide by accumulation steps
        self._parts: dict[str, list[float]] = {}

    def compute_loss(self, model: Any, inputs: dict[str, torch.Tensor], return_outputs: bool = False, num_items_in_batch: Any = None):
        labels = inputs["labels"]
        outputs = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"])
        logp, n_tokens = sequence_logprobs(outputs.logits, labels)
        b = labels.shape[0] // 3
        mle_nll = -logp[2 * b :].sum() / n_tokens[2 * b :].sum().clamp(min=1)
        loss, parts = brio_loss(
            logp[:b], n_tokens[:b].clamp(min=1), logp[b : 2 * b], n_tokens[b : 2 * b].clamp(min=1), mle_nll,
            self.margin, self.args.mle_weight, self.args.rank_weight, self.args.length_penalty,
        )
        for key, value in parts.items():
            self._parts.setdefault(key, []).append(value)
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        for key, values in self._parts.items():
            logs[f"brio/{key}"] = round(sum(values) / len(values), 4)
        self._parts = {}
        super().log(logs, *args, **kwargs)


def average_completion_length(collator: BrioCollator, examples: list[dict[str, Any]]) -> float:
    """lambda: the mean completion length in tokens over chosen and rejected candidates."""
    lengths = [len(ids) - split for ex in examples for ids, split in (collator.encode(ex["prompt"], ex["chosen"]), collator.encode(ex["prompt"], ex["rejected"]))]
    return max(1.0, sum(lengths) / max(1, len(lengths)))
