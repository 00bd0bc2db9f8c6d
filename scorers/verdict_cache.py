"""The verdict cache (ours, content-addressed): a new checkpoint pays only for the pairs it has not been judged on.

Why not only Inspect's cache: it keys raw model calls, so it cannot serve the cloze methods
(which score continuations, not chat calls), and it does not know our parser. This cache
stores *verdicts* (MCP) and *per-candidate cloze scores*, keyed by

    MCP      sha256(judge identity, prompt hash, parser version, item id, input, sha(slot 1), sha(slot 2), order)
    probe    sha256(judge identity, probe digest, item id, input, sha(candidate))      reward r(c)
    cloze    sha256(judge identity, framing hash, item id, input, sha(candidate))     humor contrast s(c)
    meaning  sha256(judge identity, meaning hash, item id, input, sha(candidate))     log p(x | c), and the
             item's baseline log p(x) under the empty candidate

The judge identity covers the model name, base URL and generate config, and for local weights the
weight files (size and mtime) and the engine, so retraining a checkpoint in place never serves stale
verdicts. Cloze scores are cached per candidate, so the teacher's reference is scored once across
all submissions, and the tie check reuses the judge's own scores. Invalid MCP verdicts are cached
too (a rerun reproduces the run); clear the file to re-ask. One SQLite file (WAL), safe for
concurrent processes; every write is committed at once, so an interrupted run keeps what it paid for.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from inspect_ai.model import Model

from . import judge as judging
from .fence import FENCE_SPEC
from .judge import OrderVerdict
from .probe import RewardProbe, probes_digest

CACHE_FILE = "judge_cache.sqlite"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mcp_prompt_hash(mode: str, max_retries: int) -> str:
    """Everything about an MCP call other than its inputs: template, answer format, decoding, parser."""
    parts = [judging.MCP_TEMPLATE, judging.FENCE_NOTE, FENCE_SPEC, judging.ANSWER_FORMATS,
             judging.MAX_TOKENS, judging.TOP_LOGPROBS, judging.RETRY_TEMPERATURE, mode, max_retries]
    return _sha(json.dumps(parts, sort_keys=True))


def cloze_prompt_hash() -> str:
    return _sha(judging.CLOZE_FUNNY_CONTEXT + "\x00" + judging.CLOZE_PLAIN_CONTEXT)


def meaning_prompt_hash() -> str:
    return _sha(judging.MEANING_CONTEXT + "\x00" + judging.MEANING_BASELINE_CONTEXT)


def judge_prompts_hash() -> str:
    """All the judge's prompt text, its parser version and the fitted rule constants, in one hash: the
    submission manifest's `judge_prompt_sha256` (the per-call keys above add decoding and the mode).
    The cache keys leave the constants out on purpose: the gate is applied to cached scores."""
    gates = {name: asdict(gate) for name, gate in sorted(judging.MEANING_GATES.items())}
    parts = [judging.MCP_TEMPLATE, judging.FENCE_NOTE, FENCE_SPEC, judging.ANSWER_FORMATS, judging.PARSER_VERSION,
             judging.CLOZE_FUNNY_CONTEXT, judging.CLOZE_PLAIN_CONTEXT,
             judging.MEANING_CONTEXT, judging.MEANING_BASELINE_CONTEXT, gates]
    probes = probes_digest()
    if probes:  # added only when probes ship, so the hash of a probe-free tree is what it was
        parts.append(probes)
    return _sha(json.dumps(parts, sort_keys=True))


def judge_identity(model: Model) -> str:
    """What makes two judges interchangeable: provider identity (weights for local models) + config."""
    api = model.api
    own = getattr(api, "cache_identity", None)
    base = own() if callable(own) else f"{model}@{api.base_url or ''}"
    config = model.config.model_dump(exclude_none=True)
    return base + "|" + json.dumps(config, sort_keys=True, default=str)


class VerdictStore:
    """A key -> JSON value table in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM verdicts WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO verdicts (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM verdicts").fetchone()[0])


_STORES: dict[str, VerdictStore] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: str | Path) -> VerdictStore:
    """One store per file per process (connections are reused across samples)."""
    key = str(Path(path).expanduser().resolve())
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = VerdictStore(key)
        return _STORES[key]


@dataclass
class CallLedger:
    """Judge requests of one sample: served from the cache, or paid (MCP attempts, cloze candidates)."""

    cached: int = 0
    made: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cached": self.cached, "made": self.made}


class CachedJudge:
    """One judge seen from one item: every verdict and cloze score is looked up before a model call."""

    def __init__(self, model: Model, store: VerdictStore | None, item_id: str, input_text: str, ledger: CallLedger):
        self.model, self.store, self.ledger = model, store, ledger
        self._scope = {"judge": judge_identity(model) if store is not None else str(model), "item": item_id, "input": _sha(input_text)}
        self.input_text = input_text
        self._memo: dict[tuple[str, str], float] = {}  # (part, candidate) scores this view already has

    def _key(self, **fields: object) -> str:
        return _sha(json.dumps({**self._scope, **fields}, sort_keys=True))

    async def mcp(self, first: str, second: str, order: str, mode: str, max_retries: int, inspect_cache: bool) -> OrderVerdict:
        key = self._key(kind="mcp", prompt=mcp_prompt_hash(mode, max_retries), parser=judging.PARSER_VERSION,
                        first=_sha(first), second=_sha(second), order=order)
        hit = self.store.get(key) if self.store is not None else None
        if hit is not None:
            self.ledger.cached += 1
            return OrderVerdict(**{**hit, "cached": True})
        verdict = await judging.judge_mcp(self.model, self.input_text, first, second, mode, max_retries, inspect_cache)  # type: ignore[arg-type]
        self.ledger.made += verdict.attempts
        if self.store is not None:
            self.store.put(key, {k: v for k, v in asdict(verdict).items() if k != "cached"})
        return verdict

    async def cloze_scores(self, candidates: list[str]) -> list[float]:
        """s(c) per candidate (the humor contrast); see `likelihood_scores`."""
        return [humor for humor, _ in await self.likelihood_scores(candidates, meaning=False)]

    async def likelihood_scores(self, candidates: list[str], meaning: bool = True) -> list[tuple[float, float | None]]:
        """(s(c), m(c)) per candidate: the humor contrast and, with `meaning`, the meaning score.

        Only the parts neither held by this view nor in the store are computed, all of them in one
        batched request (both framings of each new candidate, its meaning request, and the item's
        meaning baseline when it is new); the ledger counts each new candidate once.
        """
        texts = [c.strip() for c in candidates]
        want = [("cloze", t) for t in dict.fromkeys(texts)]
        if meaning:
            want += [("meaning", "")] + [("meaning", t) for t in dict.fromkeys(texts)]
        prompts = {"cloze": cloze_prompt_hash(), "meaning": meaning_prompt_hash()}
        keys = {(kind, t): self._key(kind=kind, prompt=prompts[kind], candidate=_sha(t)) for kind, t in want if (kind, t) not in self._memo}
        for part, key in keys.items():
            hit = self.store.get(key) if self.store is not None else None
            if hit is not None:
                self._memo[part] = hit["score"]
        missing = [part for part in keys if part not in self._memo]
        asked = {t for _, t in keys if t}  # candidates this view had not seen: each is one request
        computed_for = {t for _, t in missing if t}
        self.ledger.made += len(computed_for)
        self.ledger.cached += len(asked - computed_for)
        if missing:
            for part, score in zip(missing, await self._compute(missing)):
                self._memo[part] = score
                if self.store is not None:
                    self.store.put(keys[part], {"score": score})
        humor = [self._memo[("cloze", t)] for t in texts]
        if not meaning:
            return [(h, None) for h in humor]
        baseline = self._memo[("meaning", "")]
        scores = judging.meaning_scores(self.input_text, baseline, [self._memo[("meaning", t)] for t in texts])
        return list(zip(humor, scores))

    async def probe_rewards(self, candidates: list[str], probe: RewardProbe) -> list[float]:
        """r(c) per candidate (probe.py): cached per candidate like the cloze scores, one batched request for the rest."""
        texts, part = [c.strip() for c in candidates], "probe:" + probe.digest()
        keys = {t: self._key(kind="probe", prompt=probe.digest(), candidate=_sha(t)) for t in dict.fromkeys(texts)
                if (part, t) not in self._memo}
        for text, key in keys.items():
            hit = self.store.get(key) if self.store is not None else None
            if hit is not None:
                self._memo[(part, text)] = hit["score"]
        missing = [t for t in keys if (part, t) not in self._memo]
        self.ledger.made += len(missing)
        self.ledger.cached += len(keys) - len(missing)
        if missing:
            api = judging.features_api(self.model)
            vectors = await api.continuation_features([probe.request(self.input_text, t) for t in missing], probe.layers)
            for text, vector in zip(missing, vectors):
                self._memo[(part, text)] = probe.reward(vector)
                if self.store is not None:
                    self.store.put(keys[text], {"score": self._memo[(part, text)]})
        return [self._memo[(part, t)] for t in texts]

    async def _compute(self, parts: list[tuple[str, str]]) -> list[float]:
        """One likelihood request for the given (kind, candidate) parts."""
        requests: list[tuple[str, str]] = []
        spans: list[tuple[int, int]] = []
        for kind, text in parts:
            start = len(requests)
            if kind == "cloze":
                requests += [(ctx.format(input=self.input_text), " " + text)
                             for ctx in (judging.CLOZE_FUNNY_CONTEXT, judging.CLOZE_PLAIN_CONTEXT)]
            elif text:
                requests += judging.meaning_requests(self.input_text, [text])[1:]
            else:
                requests += judging.meaning_requests(self.input_text, [])
            spans.append((start, len(requests)))
        logprobs = await judging.likelihood_api(self.model).continuation_logprobs(requests)
        return [logprobs[a] - logprobs[a + 1] if b - a == 2 else logprobs[a] for a, b in spans]
