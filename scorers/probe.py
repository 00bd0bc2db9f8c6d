"""The `probe` method: a linear reward head over the judge's frozen hidden states.

r(c) = w . phi(x, c), where phi is the judge model's states over the candidate c read after
"Sentence: x / Rewrite:" (benchmark/models/features.py); P(first better) = sigmoid(r1 - r2), a
Bradley-Terry model whose weights are fitted by `humor-bench judge-fit --method probe` on dev and
train-split pairs only (labeled dev pairs, and training items' references against a copy of their
input and against another item's reference). Each candidate is scored alone: order-free by construction.
The fitted weights ship as JSON beside this module (scorers/probes/<judge alias>.json).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from benchmark.errors import HumorBenchError

PROBE_CONTEXT = "Sentence: {input}\nRewrite:"
PROBES_DIR = Path(__file__).parent / "probes"


def probe_request(input_text: str, candidate: str, context: str = PROBE_CONTEXT) -> tuple[str, str]:
    """The (context, continuation) whose hidden states a probe reads for one candidate."""
    return context.format(input=input_text.strip()), " " + candidate.strip()


class ProbeMissingError(HumorBenchError):
    """No probe was fitted for this judge."""


@dataclass(frozen=True)
class RewardProbe:
    judge: str  # the Inspect model name it was fitted on, e.g. local/qwen2.5-coder-0.5b
    layers: tuple[int, ...]
    weights: tuple[float, ...]
    context: str = PROBE_CONTEXT
    fit: dict = field(default_factory=dict, compare=False, hash=False)  # how and on what it was fitted

    def reward(self, features: list[float]) -> float:
        if len(features) != len(self.weights):
            raise HumorBenchError(f"probe for {self.judge} expects {len(self.weights)} features, got {len(features)}: "
                             "the judge is not the model this probe was fitted on")
        return float(sum(w * f for w, f in zip(self.weights, features)))

    def request(self, input_text: str, candidate: str) -> tuple[str, str]:
        return probe_request(input_text, candidate, self.context)

    def __post_init__(self) -> None:  # hashed once: the verdict cache asks for it on every pair
        raw = json.dumps([self.judge, list(self.layers), self.context, list(self.weights)]).encode()
        object.__setattr__(self, "_digest", hashlib.sha256(raw).hexdigest())

    def digest(self) -> str:
        """Everything that changes a reward: the verdict cache's key."""
        return self._digest  # type: ignore[attr-defined]

    def to_json(self) -> dict:
        return {"judge": self.judge, "layers": list(self.layers), "context": self.context,
                "weights": [round(w, 7) for w in self.weights], "fit": self.fit}


def probe_file(judge_name: str) -> Path:
    return PROBES_DIR / (judge_name.replace("/", "_") + ".json")


@lru_cache(maxsize=None)
def load_probe(judge_name: str) -> RewardProbe:
    """The probe fitted for this judge, or a clear error naming the command that fits one."""
    path = probe_file(judge_name)
    if not path.is_file():
        raise ProbeMissingError(
            f"no reward probe was fitted for judge '{judge_name}' ({path} is missing); fit one on the dev "
            f"pairs with `humor-bench judge-fit --method probe --grader {judge_name}`, or use -T method=cloze_meaning"
        )
    raw = json.loads(path.read_text())
    return RewardProbe(raw["judge"], tuple(raw["layers"]), tuple(raw["weights"]), raw.get("context", PROBE_CONTEXT), raw.get("fit", {}))


def has_probe(judge_name: str) -> bool:
    return probe_file(judge_name).is_file()


def probes_digest() -> dict[str, str]:
    """Every shipped probe's digest by judge, for the manifest's judge-prompt hash."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(PROBES_DIR.glob("*.json"))}
