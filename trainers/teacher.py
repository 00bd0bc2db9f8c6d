"""Teacher data: N humorous paraphrases per literal input, from any Inspect model or the authored split.

Paper §3.1 / §4 / Appendix B: a zero-shot teacher (Llama-2-70B-chat) writes N = 3 paraphrases in one
numbered list (nucleus sampling, temperature 0.8, top_p 1). The list is parsed; inputs where the
teacher answered with a safety warning instead (3-4 % in the paper, §9) are dropped and counted.
Offline, the authored training split (3 hand-written references per input) stands in for the teacher.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.model import GenerateConfig, Model, get_model

from benchmark.suites import load_suite
from solvers.paraphrase import clean_paraphrase

# Paper Appendix B, Figure 3 ("Humor Generation"), verbatim.
TEACHER_PROMPT = (
    "Generate {n} creative and humorous paraphrases with the exact same meaning as the input text. "
    "Format the paraphrases as a list numbered as 1., 2., 3. etc. Answer with only the list of humorous "
    "paraphrases and nothing else, no exceptions.\n\nInput text: {input}"
)
AUTHORED = "authored"
# "1. text" / "2) text", at a line start or inline after whitespace ("1. a 2. b 3. c").
ITEM_RE = re.compile(r"(?:^|\s)(\d{1,2})[.)]\s+(.+?)(?=\s+\d{1,2}[.)]\s+|\n|$)", re.S)
# Safety warnings of chat teachers (paper §9); checked on the text before the list and on each item.
REFUSAL_RE = re.compile(
    r"\b(?:I\s+(?:cannot|can't|can not|won't|am unable to|'m unable to|am not able to|'m not able to)\s+"
    r"(?:fulfil|fulfill|provide|generate|create|help|assist|comply|write)"
    r"|I\s+apologi[sz]e,?\s+but|as an ai\b|as a responsible|i'm sorry,? but i|not (?:appropriate|ethical) (?:to|for me)"
    r"|goes against (?:my|ethical))",
    re.IGNORECASE,
)


@dataclass
class TeacherConfig:
    """Where the pairs come from (the `teacher:` section of a recipe config); defaults are the paper's."""

    model: str = AUTHORED  # 'authored' (the ID train split stands in) or any Inspect model, e.g. openai/gpt-4o
    model_args: dict[str, Any] = field(default_factory=dict)
    split: str = "train"
    limit: int | None = None  # first N inputs of the split
    n: int = 3
    temperature: float = 0.8
    top_p: float = 1.0
    max_tokens: int = 256


@dataclass
class TeacherStats:
    inputs: int = 0
    kept_inputs: int = 0
    refused: int = 0
    unparsed: int = 0
    short_lists: int = 0  # fewer than N items parsed (the items found are kept)
    pairs: int = 0
    refused_ids: list[str] = field(default_factory=list)


def teacher_prompt(sentence: str, n: int = 3) -> str:
    return TEACHER_PROMPT.format(n=n, input=sentence)


def parse_numbered_list(text: str) -> list[str]:
    """The items of a numbered list, cleaned like the student's answers (labels, quotes removed)."""
    items = []
    for _, body in ITEM_RE.findall(text.strip()):
        item = clean_paraphrase(body)
        if item:
            items.append(item)
    return items


def is_refusal(text: str) -> bool:
    return bool(REFUSAL_RE.search(text))


def parse_teacher_answer(text: str, n: int = 3) -> tuple[list[str], str]:
    """(paraphrases, status) with status ok | short | refused | unparsed.

    Refused: the text before the first item (or the whole text, when no list was found) is a
    safety warning. Single items that are refusals are dropped; at most n items are kept.
    """
    first = re.search(r"(?:^|\s)1[.)]\s+", text)
    preamble = text[: first.start()] if first else text
    if is_refusal(preamble):
        return [], "refused"
    items = [item for item in parse_numbered_list(text) if not is_refusal(item)][:n]
    if not items:
        return [], "unparsed"
    return items, "ok" if len(items) == n else "short"


def authored_pairs(split: str = "train", limit: int | None = None) -> tuple[list[dict[str, Any]], TeacherStats]:
    """The offline stand-in: the authored split's three references per input."""
    items = load_suite("id", split)[:limit]
    pairs = [
        {"id": item.id, "input": item.input, "paraphrase": ref, "source": f"{AUTHORED}:id/{split}"}
        for item in items
        for ref in item.references
    ]
    n = len(items)
    return pairs, TeacherStats(inputs=n, kept_inputs=n, pairs=len(pairs))


async def teacher_pairs_async(
    teacher: Model,
    inputs: list[tuple[str, str]],
    n: int = 3,
    temperature: float = 0.8,
    top_p: float = 1.0,
    max_tokens: int = 256,
) -> tuple[list[dict[str, Any]], TeacherStats]:
    """Ask `teacher` once per (id, input); concurrent calls (local providers batch them)."""
    from tqdm.auto import tqdm

    config = GenerateConfig(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
    bar = tqdm(total=len(inputs), desc="teacher", unit="input")

    async def ask(item_id: str, sentence: str) -> tuple[str, str, str]:
        output = await teacher.generate(teacher_prompt(sentence, n), config=config)
        bar.update(1)
        return item_id, sentence, output.completion

    answers = await asyncio.gather(*(ask(i, s) for i, s in inputs))
    bar.close()
    stats, pairs = TeacherStats(inputs=len(inputs)), []
    for item_id, sentence, text in answers:
        items, status = parse_teacher_answer(text, n)
        if status == "refused":
            stats.refused += 1
            stats.refused_ids.append(item_id)
            continue
        if status == "unparsed":
            stats.unparsed += 1
            continue
        stats.short_lists += status == "short"
        stats.kept_inputs += 1
        pairs.extend({"id": item_id, "input": sentence, "paraphrase": p, "source": f"teacher:{teacher}"} for p in items)
    stats.pairs = len(pairs)
    return pairs, stats


def collect_teacher_pairs(
    teacher: str | Model,
    split: str = "train",
    limit: int | None = None,
    n: int = 3,
    temperature: float = 0.8,
    top_p: float = 1.0,
    max_tokens: int = 256,
    model_args: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], TeacherStats]:
    """Teacher pairs for the inputs of the ID `split`: `teacher` is 'authored' or any Inspect model (or name)."""
    if isinstance(teacher, str) and teacher == AUTHORED:
        return authored_pairs(split, limit)
    inputs = [(item.id, item.input) for item in load_suite("id", split)[:limit]]
    model = teacher if isinstance(teacher, Model) else get_model(teacher, **(model_args or {}))
    return asyncio.run(teacher_pairs_async(model, inputs, n, temperature, top_p, max_tokens))
