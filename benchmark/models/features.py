"""Frozen hidden states of a continuation read in its context: what the judge's reward probe weighs.

Why: a linear head over a frozen model's states is the cheapest reward model there is (one forward
pass per candidate, no generation, no fine-tuning of the weights), and unlike a likelihood ratio it
can be fitted to what a reader labels. Per (context, continuation) pair and per chosen layer: the
mean state over the continuation's tokens and the state at its last token, concatenated.
"""

from __future__ import annotations

from typing import Any

def continuation_features(ckpt: Any, pairs: list[tuple[str, str]], layers: tuple[int, ...], max_rows: int = 16) -> list[list[float]]:
    """One feature vector per pair (len(layers) * 2 * hidden size), batched by length, callers' order.

    `layers` index `output_hidden_states` (0 = embeddings, num_hidden_layers = the last, after the
    final norm). Right padding leaves every real position's state unchanged in a causal model.
    """
    import torch

    rows = [ckpt._split(context, continuation) for context, continuation in pairs]
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]) + len(rows[i][1]))
    out: list[list[float]] = [[] for _ in rows]
    with ckpt.lock, torch.inference_mode():
        for start in range(0, len(order), max_rows):
            batch = order[start : start + max_rows]
            ids, mask = ckpt._padded([list(rows[i][0]) + rows[i][1] for i in batch])
            hidden = ckpt.model.base_model(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
            ckpt.scored_tokens += int(mask.sum())
            for row, i in enumerate(batch):
                begin, end = len(rows[i][0]), len(rows[i][0]) + len(rows[i][1])
                parts = []
                for layer in layers:
                    states = hidden[layer][row].float()
                    parts += [states[begin:end].mean(0), states[end - 1]]
                out[i] = torch.cat(parts).cpu().tolist()
    return out
