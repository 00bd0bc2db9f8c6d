"""Reconciliation rules, rates, diagnostics and the clustered bootstrap against hand-computed values."""

import math

import pytest

from scorers import stats


def item(pf, pb, qf=None, qb=None):
    return stats.reconcile_orders(pf, pb, pf if qf is None else qf, pb if qb is None else qb)


def test_student_wins_both_orders():
    v = item(1, 1)
    assert (v["conservative_win"], v["conservative_tie"], v["conservative_loss"]) == (1, 0, 0)
    assert v["averaged"] == 1 and v["soft"] == 1 and v["consistent"] == 1
    assert v["first_slot"] == 0.5  # slot 1 in the forward order, slot 2 in the backward order


def test_split_decision_is_a_tie_not_a_win():
    v = item(1, 0)  # student chosen only when it sits in slot 1: pure first-slot preference
    assert (v["conservative_win"], v["conservative_tie"], v["conservative_loss"]) == (0, 1, 0)
    assert v["averaged"] == 0.5 and v["soft"] == 0.5 and v["soft_tie"] == 1
    assert v["consistent"] == 0 and v["first_slot"] == 1.0


def test_soft_rule_uses_probabilities_and_margin():
    v = item(1, 1, 0.9, 0.6)
    assert v["soft"] == pytest.approx(0.75) and v["soft_win"] == 1
    near = item(1, 0, 0.58, 0.45)  # mean 0.515, inside the 0.05 tie band
    assert near["soft_tie"] == 1
    assert item(0, 0, 0.2, 0.4)["soft_loss"] == 1


def test_rule_rates_by_hand():
    # items: win both; split; lose both; win both with soft probabilities 0.8/0.7
    items = [item(1, 1), item(1, 0), item(0, 0), item(1, 1, 0.8, 0.7)]
    r = stats.rule_rates(items)
    assert (r["conservative_win"], r["conservative_tie"], r["conservative_loss"]) == (0.5, 0.25, 0.25)
    assert r["conservative_wtr"] == 0.75
    assert r["averaged_wtr"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert r["soft_wtr"] == pytest.approx((1 + 0.5 + 0 + 0.75) / 4)
    assert (r["soft_win"], r["soft_tie"], r["soft_loss"]) == (0.5, 0.25, 0.25)
    assert stats.position_consistency(items) == 0.75
    assert stats.first_slot_rate(items) == pytest.approx((0.5 + 1 + 0.5 + 0.5) / 4)


def test_always_first_judge_gives_zero_consistency_and_only_ties():
    items = [item(1, 0) for _ in range(7)]
    r = stats.rule_rates(items)
    assert stats.position_consistency(items) == 0
    assert stats.first_slot_rate(items) == 1
    assert (r["conservative_win"], r["conservative_tie"], r["conservative_loss"]) == (0, 1, 0)
    assert r["conservative_wtr"] == 1 and r["averaged_wtr"] == 0.5 and r["soft_wtr"] == 0.5


def test_invalid_items_are_excluded_and_counted_never_tied():
    items = [item(1, 1), stats.invalid_comparison(), item(0, 0), stats.invalid_comparison()]
    assert stats.invalid_rate(items) == 0.5
    assert stats.win_tie_rate(items) == 0.5  # 1 of the 2 valid items
    assert stats.rule_rates(items)["conservative_tie"] == 0
    assert math.isnan(stats.win_tie_rate([stats.invalid_comparison()]))


def test_average_comparisons_over_references():
    a = stats.average_comparisons([item(1, 1), item(1, 0), stats.invalid_comparison()])
    assert a["invalid"] == pytest.approx(1 / 3)
    assert a["conservative_win"] == 0.5 and a["conservative_tie"] == 0.5
    assert math.isnan(stats.average_comparisons([stats.invalid_comparison()])["soft"])


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1] * 5
    lo, hi = stats.bootstrap_ci(values, seed=3)
    assert (lo, hi) == stats.bootstrap_ci(values, seed=3)
    assert lo < 0.7 < hi and 0.5 < lo and hi < 0.85


def test_bootstrap_constant_values_have_zero_width():
    assert stats.bootstrap_ci([1.0] * 20) == (1.0, 1.0)


def test_clustered_bootstrap_resamples_whole_items():
    # two items, each with many identical values: every replicate mean is a mix of whole items, so
    # with one cluster of 1s and one of 0s the replicates can only be 0, 0.5 or 1
    values = [1.0] * 50 + [0.0] * 50
    clusters = ["a"] * 50 + ["b"] * 50
    lo, hi = stats.bootstrap_ci(values, clusters, n_boot=500, seed=0)
    assert (lo, hi) == (0.0, 1.0)
    lo_flat, hi_flat = stats.bootstrap_ci(values, n_boot=500, seed=0)
    assert hi_flat - lo_flat < 0.3  # ignoring clustering would claim far too much precision
