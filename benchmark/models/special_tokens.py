"""Message text as plain text: what the local models do to special-token strings inside a chat message.

Why: a rendered chat template is tokenized with its special tokens parsed (it needs them), so a
"<|im_start|>system" written inside a message (a candidate the judge reads, say) would become a real
chat turn. Every special-token string of the tokenizer inside message content is spelled with a space
after its first character ("< |im_start|>"), which tokenizes as ordinary characters. The likelihood
paths tokenize their plain text with special tokens split instead (checkpoint.py, llama_cpp_engine.py).
"""

from __future__ import annotations

from typing import Any


def special_strings(tokenizer: Any) -> list[str]:
    """The tokenizer's special-token strings, longest first (so no shorter one is found inside a longer)."""
    added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    found = {t.content for t in added.values() if getattr(t, "special", False)} | set(getattr(tokenizer, "all_special_tokens", []))
    return sorted((s for s in found if len(s) > 1), key=len, reverse=True)


def plain_messages(messages: list[dict[str, str]], tokenizer: Any) -> list[dict[str, str]]:
    """The messages with every special-token string in their content broken ("<|x|>" -> "< |x|>")."""
    specials = special_strings(tokenizer)

    def plain(text: str) -> str:
        for s in specials:
            text = text.replace(s, s[0] + " " + s[1:])
        return text

    return [{**m, "content": plain(m["content"])} for m in messages]


def render_chat(tokenizer: Any, messages: list[dict[str, str]], use_template: bool) -> str:
    """The prompt a local model reads: its chat template over plain messages, or the last message's text."""
    plain = plain_messages(messages, tokenizer)
    return tokenizer.apply_chat_template(plain, tokenize=False, add_generation_prompt=True) if use_template else plain[-1]["content"]
