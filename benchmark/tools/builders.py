"""Paper-faithful extraction of literal input sentences from the two source datasets.

Why: "Small But Funny" (Ravi et al., ACL 2024) draws its literal inputs from
EmpatheticDialogues (in-domain) and SAMSum (out-of-domain chat). The suites shipped
with humor-bench are hand-authored stand-ins, because the Hugging Face hub is not
reachable where they were built; this module is the real path, so that the suites can
be rebuilt from the sources (``load_source``) or from their raw releases (``load_local``)
with the exact rules below, which are pure functions over plain records (dicts).

EmpatheticDialogues (``empathetic_inputs``):
  1. Use only each conversation's opening turn (``utterance_idx == 1``), never a reply.
  2. Decode ``_comma_`` to ",", collapse whitespace, split into sentences after . ! ?
  3. Keep the first sentence that is a literal first-person statement: it contains
     I / my / me / we as a word (case-insensitive, so I'm, I've, i are covered),
     does not end with "?", and has 5 to 25 words. No such sentence: skip the conversation.
  4. One input per conversation; duplicates (case-insensitive) keep the first.
  metadata: emotion (ED ``context``), situation (decoded ``prompt``), conv_id.

SAMSum (``samsum_inputs``):
  1. Split the dialogue into lines (\\n or \\r\\n); strip the ``Name:`` prefix and keep the
     speaker in metadata; lines without a prefix are skipped.
  2. Drop lines with a file placeholder (<file_photo>, <file_other>, ...) or a URL, lines
     with fewer than 4 or more than 25 words, and lines made only of laughter/emoji.
     Questions are kept: chat is full of them.
  3. At most one line per dialogue (the first that passes); duplicates (case-insensitive)
     keep the first, and a dialogue whose line is a duplicate yields nothing.
  metadata: dialogue_id, speaker (SAMSum has no topic field).

Both: ``n`` draws a seeded random sample (``random.Random(seed)``) of the candidates,
returned in source order; ``n=None`` or ``n`` above the number of candidates returns all.
Ids are derived from the source (``ed-<conv_id>``, ``samsum-<id>``) so they stay stable.
"""

from __future__ import annotations

import csv
import os
import random
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from benchmark.board.files import write_jsonl
from benchmark.errors import HumorBenchError, MissingInputError, StepFailedError

SourceName = Literal["empathetic_dialogues", "samsum"]

HUB_IDS: dict[str, str] = {
    "empathetic_dialogues": "facebook/empathetic_dialogues",
    "samsum": "samsung/samsum",
}
ED_COLUMNS = ("conv_id", "utterance_idx", "context", "prompt", "speaker_idx", "utterance", "selfeval", "tags")
SAMSUM_COLUMNS = ("id", "summary", "dialogue")

ED_COMMA_TOKEN = "_comma_"
SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?])\s+")
FIRST_PERSON_WORD = re.compile(r"\b(?:i|my|me|we)\b", re.IGNORECASE)
SPEAKER_PREFIX = re.compile(r"^([^:]{1,40}?):\s*(.*)$")
FILE_PLACEHOLDER = re.compile(r"<file_\w+>", re.IGNORECASE)
URL = re.compile(r"https?://|www\.", re.IGNORECASE)
NON_WORD_CHARS = re.compile(r"[\W_]+")
EMOTICON = re.compile(r"[:;=xX8][-'^]?[()\[\]DPpOo3/\\|*]+|<3+")
LAUGHTER_TOKEN = re.compile(r"a?(?:h+[aeiou]+){2,}h*|(?:[aeiou]+h+){2,}|l+o+l+z?|lmf?a+o+|rofl|x+d+", re.IGNORECASE)

ED_MIN_WORDS, ED_MAX_WORDS = 5, 25
SAMSUM_MIN_WORDS, SAMSUM_MAX_WORDS = 4, 25


def _normalise(text: str) -> str:
    """Collapse runs of whitespace so equal sentences compare equal."""
    return " ".join(text.split())


def _decode_ed_text(text: str | None) -> str:
    """ED stores commas as ``_comma_`` (its raw release is a comma-split CSV)."""
    return _normalise((text or "").replace(ED_COMMA_TOKEN, ","))


def _is_first_person_statement(sentence: str) -> bool:
    """The paper's inputs are literal first-person statements, not questions."""
    word_count = len(sentence.split())
    return (
        ED_MIN_WORDS <= word_count <= ED_MAX_WORDS
        and not sentence.endswith("?")
        and FIRST_PERSON_WORD.search(sentence) is not None
    )


def _is_laughter_or_emoji_only(text: str) -> bool:
    """True when every token is laughter (haha, lol), an emoticon (:D, <3) or emoji/punctuation."""
    for token in text.split():
        bare = NON_WORD_CHARS.sub("", token)
        if bare and not LAUGHTER_TOKEN.fullmatch(bare) and not EMOTICON.fullmatch(token):
            return False
    return True


def _is_usable_chat_line(text: str) -> bool:
    """A chat line is a usable input when it is plain text of a sentence's length."""
    word_count = len(text.split())
    return (
        SAMSUM_MIN_WORDS <= word_count <= SAMSUM_MAX_WORDS
        and FILE_PLACEHOLDER.search(text) is None
        and URL.search(text) is None
        and not _is_laughter_or_emoji_only(text)
    )


def _dedupe(items: Iterable[dict]) -> list[dict]:
    """Keep the first item of each case-insensitive input text."""
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item["input"].casefold()
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _seeded_sample(items: list[dict], n: int | None, seed: int) -> list[dict]:
    """Reproducible subset, kept in source order so outputs diff cleanly."""
    if n is None or n >= len(items):
        return list(items)
    if n < 0:
        raise HumorBenchError(f"n must be >= 0 or None, got {n}")
    chosen = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[index] for index in chosen]


def empathetic_inputs(records: Iterable[Mapping[str, Any]], n: int | None = None, seed: int = 0) -> list[dict]:
    """In-domain inputs: first literal first-person sentence of each ED opening turn."""
    candidates = []
    seen_conversations: set[str] = set()
    for record in records:
        conv_id = str(record["conv_id"])
        if int(record["utterance_idx"]) != 1 or conv_id in seen_conversations:
            continue
        seen_conversations.add(conv_id)
        sentences = SENTENCE_BOUNDARY.split(_decode_ed_text(record["utterance"]))
        sentence = next((s for s in sentences if _is_first_person_statement(s)), None)
        if sentence is None:
            continue
        metadata = {"emotion": record["context"], "situation": _decode_ed_text(record.get("prompt")), "conv_id": conv_id}
        candidates.append({"id": f"ed-{conv_id}", "input": sentence, "metadata": metadata})
    return _seeded_sample(_dedupe(candidates), n, seed)


def samsum_inputs(records: Iterable[Mapping[str, Any]], n: int | None = None, seed: int = 0) -> list[dict]:
    """Out-of-domain inputs: first usable chat line of each SAMSum dialogue."""
    candidates = []
    for record in records:
        dialogue_id = str(record["id"])
        for line in (record.get("dialogue") or "").splitlines():
            prefixed = SPEAKER_PREFIX.match(line.strip())
            if prefixed is None:
                continue
            speaker, text = prefixed.group(1).strip(), _normalise(prefixed.group(2))
            if _is_usable_chat_line(text):
                metadata = {"dialogue_id": dialogue_id, "speaker": speaker}
                candidates.append({"id": f"samsum-{dialogue_id}", "input": text, "metadata": metadata})
                break
    return _seeded_sample(_dedupe(candidates), n, seed)


def _hub_id(name: str) -> str:
    if name not in HUB_IDS:
        raise HumorBenchError(f"unknown source {name!r}; expected one of {sorted(HUB_IDS)}")
    return HUB_IDS[name]


def load_source(name: SourceName, split: str) -> list[dict]:
    """Load a source split from the Hugging Face hub as plain records (the real path)."""
    hub_id = _hub_id(name)
    try:
        import datasets

        return datasets.load_dataset(hub_id, split=split).to_list()
    except Exception as error:
        raise StepFailedError(
            f"Could not load dataset {name!r} ({hub_id}, split={split!r}): the Hugging Face hub was "
            f"unreachable or refused the request ({type(error).__name__}: {error}). To fix: run online, "
            f"set HF_ENDPOINT to a reachable hub mirror, or download the raw release and pass the local "
            f"file to load_local({name!r}, path)."
        ) from error


def _require_columns(name: str, path: Path, columns: Iterable[str], expected: tuple[str, ...]) -> None:
    """Fail with a clear message instead of a KeyError deep inside the extraction."""
    present = set(columns)
    missing = [column for column in expected if column not in present]
    if missing:
        raise HumorBenchError(f"{path} is not a raw {name} file: missing columns {missing}")


def load_local(name: SourceName, path: str | os.PathLike, cache_dir: str | None = None) -> list[dict]:
    """Load a raw release file (ED's CSV, SAMSum's JSON list) through ``datasets``, as records.

    ED's CSV encodes commas in text as ``_comma_``, so it parses as plain CSV; every column
    is read as a string (``utterance_idx`` too), exactly as written in the file.
    """
    import datasets

    _hub_id(name)
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"no local {name} file at {path}")
    if name == "empathetic_dialogues":
        with path.open(encoding="utf-8", newline="") as handle:
            _require_columns(name, path, next(csv.reader(handle), []), ED_COLUMNS)
        features = datasets.Features({column: datasets.Value("string") for column in ED_COLUMNS})
        dataset = datasets.load_dataset(
            "csv", data_files=str(path), split="train", features=features, keep_default_na=False, cache_dir=cache_dir
        )
    else:
        dataset = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=cache_dir)
        _require_columns(name, path, dataset.column_names, SAMSUM_COLUMNS)
    return dataset.to_list()


def write_inputs_jsonl(items: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write one JSON object per line, atomically: readers never see a half-written file."""
    return write_jsonl(items, Path(path))
