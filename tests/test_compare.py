"""Paired comparison of two runs: hand-computed counts and p-values, planted differences, edge cases."""

import math

import numpy as np
import pytest

from scorers.compare import PairedComparison, mcnemar_exact, paired_comparison

SEEDS = range(5)


def run(values, prefix="q"):
    return {f"{prefix}{i:03d}": float(v) for i, v in enumerate(values)}


def exact_two_sided(k, n):
    """Two-sided exact binomial p at 1/2 for the smaller count k of n, by hand: 2 * P(X <= k), capped."""
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def nested_runs(seed, n=200, flips=20):
    """B ~ Bernoulli(0.5); A = B with exactly `flips` of B's failures turned into successes."""
    rng = np.random.default_rng(seed)
    b = (rng.random(n) < 0.5).astype(float)
    a = b.copy()
    a[rng.choice(np.flatnonzero(b == 0), size=flips, replace=False)] = 1.0
    return run(a), run(b)


def noisy_runs(seed, n=200, gain=0.2, noise=0.05, rate_b=0.5):
    """Shared item difficulty plus independent judge noise; E[A] - E[B] = gain * (1 - rate_b).

    B_i ~ Bernoulli(rate_b); A improves each of B's failures with probability `gain`; then each run's
    outcome on each item is independently re-drawn from that run's own rate with probability `noise`
    (the marginal rates stay exact, the runs stop being nested). With gain=0.2, noise=0.05 the true gap
    is +10 points and the McNemar test detects it in ~98% of 20,000 simulated data sets.
    """
    rng = np.random.default_rng(seed)
    b = rng.random(n) < rate_b
    a = b | (rng.random(n) < gain)
    rate_a = rate_b + gain * (1 - rate_b)
    a = np.where(rng.random(n) < noise, rng.random(n) < rate_a, a)
    b = np.where(rng.random(n) < noise, rng.random(n) < rate_b, b)
    return run(a), run(b)


def independent_runs(seed, n=200, rate_a=0.5, rate_b=0.5):
    """The two runs' outcomes drawn independently: no shared item difficulty at all."""
    rng = np.random.default_rng(seed)
    return run(rng.random(n) < rate_a), run(rng.random(n) < rate_b)


def test_tiny_example_by_hand():
    #           binarised A: 1 1 1 0 1 1 0      B: 0 0 0 1 1 0 0
    a = run([1, 1, 1, 0, 1, 0.5, 0])  # 0.5 (a tie-averaged item) counts as a success
    b = run([0, 0, 0, 1, 1, 0, 0])
    r = paired_comparison(a, b, n_boot=2000)
    assert r.n_items == 7 and (r.dropped_a, r.dropped_b) == (0, 0)
    assert r.mean_a == pytest.approx(4.5 / 7) and r.mean_b == pytest.approx(2 / 7)
    assert r.difference == pytest.approx(2.5 / 7)  # uses the fractional value, not the binarised one
    assert (r.n10, r.n01, r.n11, r.n00) == (4, 1, 1, 1)
    # 2 * (C(5,0) + C(5,1)) / 2^5 = 12/32
    assert r.mcnemar_p == pytest.approx(exact_two_sided(1, 5)) == pytest.approx(0.375)
    assert r.ci_low < r.difference < r.ci_high
    assert not r.significant  # p = 0.375


@pytest.mark.parametrize("n10,n01", [(0, 0), (3, 0), (0, 3), (7, 2), (2, 7), (10, 10), (1, 12)])
def test_mcnemar_matches_math_comb(n10, n01):
    expected = 1.0 if n10 + n01 == 0 else exact_two_sided(min(n10, n01), n10 + n01)
    assert mcnemar_exact(n10, n01) == pytest.approx(expected, rel=1e-12)


def test_complete_dominance_has_a_degenerate_interval():
    # every item differs by exactly 1, so every bootstrap replicate equals 1
    r = paired_comparison(run([1] * 12), run([0] * 12), n_boot=500)
    assert r.difference == 1.0 and (r.ci_low, r.ci_high) == (1.0, 1.0)
    assert r.n10 == 12 and r.mcnemar_p == pytest.approx(2 / 2**12)
    assert r.bootstrap_p == pytest.approx(1 / 501)  # no centred replicate reaches |D|
    assert r.significant


def test_identical_runs():
    a, _ = noisy_runs(0)
    r = paired_comparison(a, dict(a))
    assert r.difference == 0.0 and (r.ci_low, r.ci_high) == (0.0, 0.0)
    assert (r.n10, r.n01) == (0, 0) and r.mcnemar_p == 1.0 and r.bootstrap_p == 1.0
    assert r.n11 + r.n00 == 200 and not r.significant


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_ten_points_nested(seed):
    a, b = nested_runs(seed)
    r = paired_comparison(a, b, seed=seed)
    assert r.difference == pytest.approx(0.10)
    assert (r.n10, r.n01) == (20, 0) and r.mcnemar_p == pytest.approx(2 / 2**20)
    # the differences are 20 ones among 200 items: normal-approximation CI 0.10 +- 1.96 * sqrt(.1 * .9 / 200)
    half = 1.96 * math.sqrt(0.1 * 0.9 / 200)
    assert r.ci_low == pytest.approx(0.10 - half, abs=0.01) and r.ci_high == pytest.approx(0.10 + half, abs=0.01)
    assert r.bootstrap_p < 0.001
    assert r.significant


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_ten_points_with_judge_noise(seed):
    a, b = noisy_runs(seed)
    r = paired_comparison(a, b, seed=seed)
    assert 0.01 < r.difference < 0.19  # the true +10 points, +- about 3 standard errors
    assert r.n10 > r.n01
    assert r.significant and r.ci_low > 0 and r.mcnemar_p < 0.05


@pytest.mark.parametrize("seed", SEEDS)
def test_same_rate_is_not_flagged(seed):
    a, b = noisy_runs(seed, gain=0.0)  # same items, same 50% rate, independent judge noise
    r = paired_comparison(a, b, seed=seed)
    assert r.ci_low <= 0 <= r.ci_high and not r.significant
    a, b = independent_runs(100 + seed)  # no shared difficulty either
    assert not paired_comparison(a, b, seed=seed).significant


def test_exactly_balanced_discordance_is_not_flagged():
    b = np.array([1.0] * 100 + [0.0] * 100)
    a = b.copy()
    a[:15] = 0.0  # 15 items only B wins
    a[100:115] = 1.0  # 15 items only A wins
    r = paired_comparison(run(a), run(b))
    assert r.difference == 0.0 and (r.n10, r.n01) == (15, 15)
    assert r.mcnemar_p == 1.0 and r.ci_low < 0 < r.ci_high and not r.significant


def test_false_positive_rate_and_power_are_calibrated():
    # Null: over 100 data sets with equal rates, the rule flags at most ~alpha of them.
    null = [paired_comparison(*independent_runs(s), n_boot=2000, seed=s).significant for s in range(100)]
    assert sum(null) <= 10
    # Independent runs at 60% vs 50% (n = 200): true power is ~0.47, so a paired test without shared
    # item difficulty should catch the gap about half the time, neither always nor never.
    hits = [
        paired_comparison(*independent_runs(s, rate_a=0.6), n_boot=2000, seed=s).significant for s in range(60)
    ]
    assert 0.25 <= np.mean(hits) <= 0.70


def test_partial_overlap_uses_shared_ids_only():
    a = {"x": 1.0, "y": 1.0, "z": 0.0, "only_a1": 0.0, "only_a2": 0.0}
    b = {"x": 0.0, "y": 1.0, "z": 0.0, "only_b": 1.0, "nan_b": float("nan")}
    r = paired_comparison(a, b, n_boot=200)
    assert r.n_items == 3 and (r.dropped_a, r.dropped_b) == (2, 2)
    assert r.mean_a == pytest.approx(2 / 3) and r.mean_b == pytest.approx(1 / 3)
    assert (r.n10, r.n01, r.n11, r.n00) == (1, 0, 1, 1)
    assert "dropped 2 from A and 2 from B" in r.summary()


def test_nan_values_count_as_missing():
    a = {"x": 1.0, "y": float("nan"), "z": 0.0}
    b = {"x": 0.0, "y": 1.0, "z": 0.0}
    r = paired_comparison(a, b, n_boot=200)
    assert r.n_items == 2 and (r.dropped_a, r.dropped_b) == (1, 1) and r.difference == 0.5


def test_too_few_shared_items():
    with pytest.raises(ValueError, match="share 1 item"):
        paired_comparison({"x": 1.0, "y": 0.0}, {"x": 0.0, "z": 1.0})
    with pytest.raises(ValueError, match="share 0 item"):
        paired_comparison({"x": 1.0}, {"y": 1.0})


@pytest.mark.parametrize(
    "kwargs,match",
    [({"n_boot": 0}, "n_boot"), ({"level": 95}, "level"), ({"alpha": 0.0}, "alpha")],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        paired_comparison({"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 0.0}, **kwargs)


def test_values_outside_unit_interval_are_rejected():
    with pytest.raises(ValueError, match=r"run B: item 'y' has value 2"):
        paired_comparison({"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 2})


def test_disagreeing_directions_are_not_significant():
    # 30 items where A is a hair below a tie (0.49 vs 0.5: binarised, only B succeeds) and 10 where A
    # wins outright: the mean difference is clearly positive, McNemar (10 vs 30) points the other way.
    a = run([0.49] * 30 + [1.0] * 10)
    b = run([0.5] * 30 + [0.0] * 10)
    r = paired_comparison(a, b)
    assert r.difference == pytest.approx((30 * -0.01 + 10) / 40)
    assert r.ci_low > 0 and (r.n10, r.n01) == (10, 30) and r.mcnemar_p < 0.05
    assert not r.significant


def test_deterministic_for_a_seed_and_independent_of_insertion_order():
    a, b = noisy_runs(3)
    first = paired_comparison(a, b, seed=7)
    shuffled_a = dict(reversed(list(a.items())))
    assert paired_comparison(shuffled_a, b, seed=7) == first
    others = [paired_comparison(a, b, seed=s) for s in range(8, 13)]
    # the seed drives the resampling only (the CI ends sit on a 1/200 grid, so some seeds may coincide)
    assert len({(o.ci_low, o.ci_high, o.bootstrap_p) for o in others}) > 1
    assert {(o.difference, o.n10, o.n01, o.mcnemar_p) for o in others} == {
        (first.difference, first.n10, first.n01, first.mcnemar_p)
    }


def test_result_is_frozen():
    r = paired_comparison({"x": 1.0, "y": 0.0}, {"x": 0.0, "y": 0.0}, n_boot=10)
    assert isinstance(r, PairedComparison)
    with pytest.raises(AttributeError):
        r.difference = 0.0  # type: ignore[misc]


def test_summary_reads_as_a_paragraph():
    a, b = nested_runs(0)
    text = paired_comparison(a, b).summary("ckpt-2000", "ckpt-1000")
    assert text.startswith("ckpt-2000 minus ckpt-1000: +10.0 points")
    assert "on 200 shared items" in text and "95% paired bootstrap CI [+" in text
    assert "20 items only ckpt-2000 wins-or-ties, 0 only ckpt-1000" in text
    assert "Verdict: ckpt-2000 is significantly better than ckpt-1000" in text
    assert "dropped" not in text and "\n" not in text
    null = paired_comparison(*independent_runs(0)).summary()
    assert "Verdict: no significant difference" in null
    worse = paired_comparison(b, a).summary()
    assert "-10.0 points" in worse and "Verdict: B is significantly better than A" in worse


def test_interval_agrees_with_the_item_bootstrap_in_stats():
    # the paired CI is the item-resampled percentile CI of the per-item differences (same draws per seed)
    from scorers.stats import bootstrap_ci

    a, b = noisy_runs(1)
    r = paired_comparison(a, b, n_boot=3000, seed=5)
    diffs = [a[k] - b[k] for k in sorted(a)]
    assert (r.ci_low, r.ci_high) == pytest.approx(bootstrap_ci(diffs, n_boot=3000, seed=5), abs=1e-12)
