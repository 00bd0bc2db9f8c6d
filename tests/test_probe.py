"""The probe method: features of the real model path, the fit, the cached rewards, and the one pair path."""

import asyncio
import json

import numpy as np
import pytest
from inspect_ai.model import GenerateConfig, get_model

from scorers.judge import JudgeCapabilityError
from scorers.verdict_cache import CachedJudge, CallLedger, VerdictStore
from scorers.pairwise import JudgeSettings, judge_pair, resolve_method
from scorers.probe import ProbeMissingError, RewardProbe, load_probe
from scorers.probe_fit import ProbePair, agreement, fit_probe


class FeatureApi:
    """Hidden states stand-in: feature 0 counts '!' (what a bad judge likes), feature 1 the shared words
    with the input (meaning kept). Counts the requests it is asked."""

    def __init__(self):
        self.requests = []
        self.base_url = None

    async def continuation_features(self, pairs, layers):
        self.requests.extend(pairs)
        out = []
        for context, continuation in pairs:
            source = set(context.split("\n")[0].lower().split())
            out.append([continuation.count("!"), len(source & set(continuation.lower().split())), float(len(layers))])
        return out


class FakeModel:
    def __init__(self, api, name="fake/judge"):
        self.api, self.name, self.config = api, name, GenerateConfig()

    def __str__(self):
        return self.name


@pytest.fixture(scope="module")
def tiny_causal(tmp_path_factory, embedded_dir):
    from conftest import save_tiny_causal

    return save_tiny_causal(tmp_path_factory.mktemp("tiny_causal"), embedded_dir)


MEANING_PROBE = RewardProbe("fake/judge", (1, 2), (-0.5, 1.0, 0.0))


def test_probe_rewards_are_cached_per_candidate_and_shared_across_views(tmp_path):
    store, api = VerdictStore(tmp_path / "c.sqlite"), FeatureApi()
    model = FakeModel(api)
    view = CachedJudge(model, store, "item-1", "I lost my keys today.", CallLedger())
    first = asyncio.run(view.probe_rewards(["I lost my keys today, again!!", "Aliens!!!"], MEANING_PROBE))
    assert first[0] > first[1]  # the meaning-keeping side wins despite fewer exclamation marks
    assert len(api.requests) == 2 and api.requests[0][0] == "Sentence: I lost my keys today.\nRewrite:"
    ledger = CallLedger()
    again = CachedJudge(model, store, "item-1", "I lost my keys today.", ledger)
    assert asyncio.run(again.probe_rewards(["Aliens!!!", "new one"], MEANING_PROBE))[0] == first[1]
    assert len(api.requests) == 3 and (ledger.cached, ledger.made) == (1, 1)
    # another probe (other weights) is another key: a refit never serves stale rewards
    other = RewardProbe("fake/judge", (1, 2), (1.0, 0.0, 0.0))
    asyncio.run(again.probe_rewards(["Aliens!!!"], other))
    assert len(api.requests) == 4


def test_probe_verdicts_are_mirror_images_in_both_orders(tmp_path, monkeypatch):
    import scorers.pairwise as pairwise

    monkeypatch.setattr(pairwise, "load_probe", lambda name: MEANING_PROBE)
    view = CachedJudge(FakeModel(FeatureApi()), None, "item-1", "I lost my keys today.", CallLedger())
    fwd, bwd = asyncio.run(judge_pair(view, "probe", "Aliens!!!", "I lost my keys today, again", JudgeSettings()))
    assert (fwd.choice, bwd.choice) == (2, 1)
    assert fwd.p_first == pytest.approx(1 - bwd.p_first) and fwd.source == "likelihood"


def test_probe_method_needs_hidden_states_and_a_fitted_probe():
    with pytest.raises(JudgeCapabilityError, match="hidden states"):
        resolve_method("probe", get_model("scripted/judge"))
    with pytest.raises(ProbeMissingError, match="judge-fit --method probe"):
        load_probe("fake/never-fitted")
    assert resolve_method("auto", get_model("scripted/judge")) == "mcp"


def test_fit_probe_recovers_a_planted_preference_and_cannot_learn_a_side():
    rng = np.random.default_rng(0)
    truth = np.array([2.0, -1.0, 0.0, 0.0])
    pairs = []
    for k in range(120):
        a, b = rng.normal(size=4), rng.normal(size=4)
        better, worse = (a, b) if truth @ a > truth @ b else (b, a)
        pairs.append(ProbePair(better.tolist(), worse.tolist(), "g1" if k % 2 else "g2", f"item-{k // 3}"))
    weights, penalty, table = fit_probe(pairs)
    assert penalty in [row["penalty"] for row in table]
    assert max(row["cv_balanced_agreement"] for row in table) > 0.85
    cosine = weights @ truth / (np.linalg.norm(weights) * np.linalg.norm(truth))
    assert cosine > 0.9
    assert agreement(pairs, weights)["balanced_agreement"] > 0.9
    # identical sides carry no information: no intercept, so no side can be preferred
    same = [ProbePair([1.0, 1.0], [1.0, 1.0], "g", f"i{k}") for k in range(20)]
    assert agreement(same, np.array([3.0, -2.0]))["balanced_agreement"] == 0.0


def test_shipped_probe_matches_its_fit_report():
    from scorers.probe import PROBES_DIR

    for path in PROBES_DIR.glob("*.json"):
        raw = json.loads(path.read_text())
        probe = load_probe(raw["judge"])
        assert len(probe.weights) == len(probe.layers) * 2 * (896 if "0.5b" in raw["judge"] else 1536)
        assert raw["fit"]["command"].startswith("humor-bench judge-fit --method probe")
        assert raw["fit"]["penalty"] in [row["penalty"] for row in raw["fit"]["cv"]]


def test_real_features_pool_the_continuation_states(tiny_causal):
    import torch

    from benchmark.models.checkpoint import load_checkpoint
    from benchmark.models.features import continuation_features

    ckpt = load_checkpoint(tiny_causal)
    pairs = [("Sentence: hi\nRewrite:", " hello there"), ("Sentence: a longer one here\nRewrite:", " ok")]
    vectors = continuation_features(ckpt, pairs, (1, 2))
    batched_alone = continuation_features(ckpt, pairs[:1], (1, 2))
    hidden = ckpt.model.config.hidden_size
    assert len(vectors[0]) == 2 * 2 * hidden
    assert vectors[0] == pytest.approx(batched_alone[0], abs=1e-5)  # padding does not leak into states
    context, continuation = pairs[0]
    ids = ckpt.tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
    start = len(ckpt.tokenizer(context, add_special_tokens=False)["input_ids"])
    with torch.inference_mode():
        states = ckpt.model.base_model(torch.tensor([ids]), output_hidden_states=True).hidden_states[1][0]
    assert vectors[0][:hidden] == pytest.approx(states[start:].mean(0).tolist(), abs=1e-5)
    assert vectors[0][hidden : 2 * hidden] == pytest.approx(states[-1].tolist(), abs=1e-5)


def test_cli_offers_every_judging_method():
    from typing import get_args

    from benchmark.cli import METHODS
    from scorers.pairwise import JudgeMethod

    assert METHODS == list(get_args(JudgeMethod))


def test_fit_pairs_come_from_train_and_dev_items_only():
    """Nothing the judge is fitted on shares an input with the test suites or the held-out pairs."""
    from benchmark.tools.judge_fit import FUNNY_PAIRS, dev_pairs
    from benchmark.tools.judge_report import load_labeled_pairs
    from benchmark.suites import DATA_DIR, load_suite

    held_out = {it.input.strip() for suite in ("id", "ood") for it in load_suite(suite, "test")}
    held_out |= {p["input"].strip() for f in ("judge_validation.jsonl", "judge_students_test.jsonl")
                 for p in load_labeled_pairs(DATA_DIR / f)}
    fitted = [p for pairs in dev_pairs().values() for p in pairs] + load_labeled_pairs(FUNNY_PAIRS)
    assert len(fitted) > 600
    assert not {p["input"].strip() for p in fitted} & held_out
