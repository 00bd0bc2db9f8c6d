"""DPO on critic preferences: TRL's DPOTrainer with the warm-start model as the frozen reference.

Paper §3.2 / §4: L = -E[log sigmoid(beta * (log pi(y_w|x)/pi_ref(y_w|x) - log pi(y_l|x)/pi_ref(y_l|x)))],
y_w the critic-preferred candidate, pi_ref "an exact frozen copy" of the model DPO starts from (the
FT-WS student; for BRIO-DPO the BRIO model). The reference stays fixed across feedback rounds.
beta is not stated in the paper: we use 0.1, TRL's default and the value most DPO work uses
(the `dpo:` config section may set any trl.DPOConfig field, beta included).
"""

from __future__ import annotations

from typing import Any

from solvers.paraphrase import student_messages

DEFAULT_BETA = 0.1


def dpo_examples(preferences: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Conversational prompt/chosen/rejected examples in TRL's format."""
    return [
        {
            "prompt": student_messages(p["prompt"]),
            "chosen": [{"role": "assistant", "content": p["chosen"]}],
            "rejected": [{"role": "assistant", "content": p["rejected"]}],
        }
        for p in preferences
    ]


def make_dpo_trainer(model: Any, ref_model: Any, tokenizer: Any, preferences: list[dict[str, Any]], args: Any) -> Any:
    """A DPOTrainer over critic preferences; `args` is a trl.DPOConfig, `ref_model` frozen by TRL."""
    from datasets import Dataset
    from trl import DPOTrainer

    return DPOTrainer(
        model=model,
        ref_model=ref_model,
        args=args,
        train_dataset=Dataset.from_list(dpo_examples(preferences)),
        processing_class=tokenizer,
    )
