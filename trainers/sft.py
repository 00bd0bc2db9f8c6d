"""Imitation (FT, FT-WS) and self-distillation (SD): TRL's SFTTrainer on literal -> humorous pairs.

Paper §3.1: token-level cross-entropy on the teacher's paraphrases (FT-WS: 10 epochs; FT: more of
the same); §4 "Baselines": SD trains the same way on the critic-preferred student candidates only.
The prompt is `solvers.paraphrase.student_messages`, the one the solver sends at evaluation, and
the loss covers the completion only (TRL's default for prompt/completion data).
"""

from __future__ import annotations

from typing import Any

from solvers.paraphrase import student_messages


def sft_examples(pairs: list[dict[str, Any]], target_key: str = "paraphrase", input_key: str = "input") -> list[dict[str, Any]]:
    """Conversational prompt/completion examples in TRL's format."""
    return [
        {
            "prompt": student_messages(pair[input_key]),
            "completion": [{"role": "assistant", "content": pair[target_key]}],
        }
        for pair in pairs
    ]


def chosen_pairs(preferences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SD's data: the critic-preferred candidate of every preference record."""
    return [{"id": p["id"], "input": p["prompt"], "paraphrase": p["chosen"]} for p in preferences]


def make_sft_trainer(model: Any, tokenizer: Any, pairs: list[dict[str, Any]], args: Any) -> Any:
    """An SFTTrainer over `pairs` (records with input and paraphrase); `args` is a trl.SFTConfig."""
    from datasets import Dataset
    from trl import SFTTrainer

    return SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(sft_examples(pairs)), processing_class=tokenizer)
