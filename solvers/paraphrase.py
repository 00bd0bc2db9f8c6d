"""How the student is asked for one humorous paraphrase, and how its answer is cleaned.

`STUDENT_PROMPT` is the single definition of the student's prompt: the trainers build their
training examples from `student_messages`, so a student is evaluated on exactly the prompt it was
trained on. Seq2seq students (the paper's BART) get the bare input sentence instead.
"""

from __future__ import annotations

import re
from typing import Literal

from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

# Our instruction for instruct students (the paper's BART student took the raw sentence, §3.1).
STUDENT_PROMPT = (
    "Rewrite the sentence below as one humorous paraphrase that keeps its meaning. "
    "Reply with only the rewritten sentence.\n\nSentence: {input}"
)

LABEL_PREFIX_RE = re.compile(
    r"^\s*(?:here(?:'s| is) (?:a|my|the|one)?\s*(?:humorous|funny|witty)?\s*(?:paraphrase|version|rewrite)[^:]*:"
    r"|(?:humorous |funny |witty )?(?:paraphrase|rewrite|rewritten sentence|version|answer|output)\s*\d*\s*:)\s*",
    re.IGNORECASE,
)
NUMBERING_RE = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022])\s+")
QUOTE_PAIRS = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "`": "`"}
TRAILING_CHATTER_RE = re.compile(
    r"\s*(?:\(?(?:note|explanation|this paraphrase|this version|i hope|hope this|let me know)\b.*)$",
    re.IGNORECASE | re.S,
)


def student_messages(sentence: str) -> list[dict[str, str]]:
    """The chat turn an instruct student sees (also used to build SFT examples)."""
    return [{"role": "user", "content": STUDENT_PROMPT.format(input=sentence)}]


def clean_paraphrase(text: str) -> str:
    """Keep only the paraphrase: first non-empty line, no label prefix, no wrapping quotes, no chatter."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    first = lines[0]
    if LABEL_PREFIX_RE.fullmatch(first + " ") and len(lines) > 1:  # label alone on its own line
        first = lines[1]
    first = LABEL_PREFIX_RE.sub("", first, count=1)
    first = NUMBERING_RE.sub("", first, count=1)
    first = TRAILING_CHATTER_RE.sub("", first).strip()
    return _strip_quotes(first)


def _strip_quotes(text: str) -> str:
    while len(text) >= 2 and text[0] in QUOTE_PAIRS and text.endswith(QUOTE_PAIRS[text[0]]):
        inner = text[1:-1].strip()
        if not inner:
            break
        text = inner
    return text


@solver
def humorous_paraphrase(
    prompt_style: Literal["auto", "chat", "raw"] = "auto",
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    num_beams: int | None = None,
    seed: int | None = None,
) -> Solver:
    """Ask the student for one paraphrase; decoding comes from the task parameters.

    prompt_style: "chat" sends STUDENT_PROMPT, "raw" the bare input (seq2seq students), "auto"
    picks "raw" when the student says it prefers raw input (our hf-folder provider for seq2seq).
    The cleaned paraphrase becomes the completion; the raw text stays in the message history and in
    `state.metadata["raw_output"]`.
    """
    config_args = dict(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed)
    if num_beams:
        config_args["extra_body"] = {"num_beams": int(num_beams)}
    config = GenerateConfig(**{k: v for k, v in config_args.items() if v is not None})

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        style = prompt_style
        if style == "auto":
            style = "raw" if getattr(get_model().api, "prefers_raw_input", False) else "chat"
        sentence = state.input_text
        content = sentence if style == "raw" else STUDENT_PROMPT.format(input=sentence)
        state.messages = [ChatMessageUser(content=content)]
        state = await generate(state, **config.model_dump(exclude_none=True))
        raw = state.output.completion
        state.metadata["raw_output"] = raw
        state.metadata["prompt_style"] = style
        state.output.completion = clean_paraphrase(raw)
        return state

    return solve
