"""How the student is asked for one humorous paraphrase, and how its answer is cleaned.

`STUDENT_PROMPT` is the single definition of the student's prompt: the trainers build their
training examples from `student_messages`, so a student is evaluated on exactly the prompt it was
trained on. Seq2seq students (the paper's BART) get the bare input sentence instead. How it is
decoded is one `StudentDecoding`, built from the task's flat parameters.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

from inspect_ai.model import ChatMessageUser, GenerateConfig, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from benchmark.errors import HumorBenchError

PromptStyle = Literal["auto", "chat", "raw"]

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


@dataclass(frozen=True)
class StudentDecoding:
    """How the student is decoded: the task's decoding parameters, checked once when the task is built.

    The defaults are the task's (greedy, 48 new tokens, one beam); num_beams > 1 asks a local student
    for beam search (`extra_body`), which API students ignore.
    """

    prompt_style: PromptStyle = "auto"
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 48
    num_beams: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.prompt_style not in get_args(PromptStyle):
            _bad("prompt_style", self.prompt_style, f"choose one of: {', '.join(get_args(PromptStyle))}")
        if not _is_number(self.temperature) or self.temperature < 0:
            _bad("temperature", self.temperature, "pass a number >= 0 (0 = greedy)")
        if not _is_number(self.top_p) or not 0 < self.top_p <= 1:
            _bad("top_p", self.top_p, "pass a number in (0, 1] (1 = no nucleus cut)")
        for name in ("max_tokens", "num_beams"):
            if not _is_int(getattr(self, name)) or getattr(self, name) < 1:
                _bad(name, getattr(self, name), "pass a whole number >= 1")
        if not _is_int(self.seed):
            _bad("seed", self.seed, "pass a whole number")

    def generate_config(self) -> GenerateConfig:
        """The student's GenerateConfig: beams only when more than one is asked for."""
        extra = {"extra_body": {"num_beams": self.num_beams}} if self.num_beams > 1 else {}
        return GenerateConfig(temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed, **extra)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    _repr_params_ = as_dict  # how Inspect records this solver argument in the log's plan


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(name: str, value: object, fix: str) -> None:
    raise HumorBenchError(f"student decoding '{name}' is {value!r}; {fix} (-T {name}=...)")


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
def humorous_paraphrase(decoding: StudentDecoding = StudentDecoding()) -> Solver:
    """Ask the student for one paraphrase, decoded as `decoding` says (the task's StudentDecoding).

    prompt_style: "chat" sends STUDENT_PROMPT, "raw" the bare input (seq2seq students), "auto"
    picks "raw" when the student says it prefers raw input (our hf-folder provider for seq2seq).
    The cleaned paraphrase becomes the completion; the raw text stays in the message history and in
    `state.metadata["raw_output"]`.
    """
    config = decoding.generate_config()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        style = decoding.prompt_style
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
