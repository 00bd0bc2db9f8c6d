"""Judge-quality statistics against hand-computed values, edge cases and the `krippendorff` package."""

import math

import numpy as np
import pytest

from scorers import judge_quality as jq
from scorers.judge_quality import LabeledPair

# ----------------------------------------------------------------------------- order diagnostics


def test_pair_patterns_follow_shi_et_al_letters():
    assert [jq.pair_pattern(*p) for p in [(1, 2), (2, 1), (0, 0)]] == ["consistent"] * 3
    assert [jq.pair_pattern(*p) for p in [(1, 1), (1, 0), (0, 1)]] == ["primacy"] * 3
    assert [jq.pair_pattern(*p) for p in [(2, 2), (2, 0), (0, 2)]] == ["recency"] * 3
    assert jq.pair_pattern(None, 1) == jq.pair_pattern(2, None) == "invalid"


def test_picked_and_reconciled_sides():
    assert (jq.picked_side(1, "xy"), jq.picked_side(2, "xy")) == ("x", "y")
    assert (jq.picked_side(1, "yx"), jq.picked_side(2, "yx")) == ("y", "x")
    assert jq.picked_side(0, "yx") == "tie" and jq.picked_side(None, "xy") is None
    assert jq.reconciled_side(1, 2) == "x" and jq.reconciled_side(2, 1) == "y"
    assert jq.reconciled_side(1, 1) == "tie"  # split decision: no preference
    assert jq.reconciled_side(1, None) is None
    with pytest.raises(ValueError, match="order"):
        jq.picked_side(1, "ab")


def test_always_slot_one_judge():
    d = jq.order_diagnostics([(1, 1)] * 5)
    assert d["position_consistency"] == 0 and d["first_slot_rate"] == 1
    assert d["preference_fairness"] == -1 and d["n_primacy"] == 5
    assert d["flip_rate"] == 1  # x wins in order xy, y wins in order yx: a decisive reversal every time


def test_always_slot_two_judge_is_recency_biased():
    d = jq.order_diagnostics([(2, 2)] * 3)
    assert d["preference_fairness"] == 1 and d["first_slot_rate"] == 0 and d["n_recency"] == 3


def test_order_diagnostics_by_hand():
    pairs = [(1, 2), (2, 1), (0, 0),  # consistent (AB, BA, CC)
             (1, 1), (1, 0),  # primacy (AA, AC)
             (2, 2), (0, 2),  # recency (BB, CB)
             (None, 1)]  # invalid
    d = jq.order_diagnostics(pairs)
    assert (d["n_pairs"], d["n_valid"], d["n_invalid"]) == (8, 7, 1)
    assert (d["n_consistent"], d["n_primacy"], d["n_recency"]) == (3, 2, 2)
    assert d["position_consistency"] == pytest.approx(3 / 7)
    assert d["preference_fairness"] == 0  # as many primacy as recency pairs: fair
    assert d["flip_rate"] == pytest.approx(2 / 7)  # AA, BB; AC and CB involve a tie, so no flip
    assert d["flip_rate"] < 1 - d["position_consistency"]
    assert d["first_slot_rate"] == pytest.approx(6 / 15)  # 15 valid single judgments, 6 choose slot 1
    assert d["invalid_rate"] == pytest.approx(1 / 8)


def test_preference_fairness_matches_shi_formula():
    # 3 primacy, 1 recency, 1 consistent: raw = 1*1/4 - 3*3/4 = -2, rescaled by the 5 valid pairs
    d = jq.order_diagnostics([(1, 1), (1, 0), (0, 1), (2, 2), (1, 2)])
    assert d["preference_fairness_raw"] == pytest.approx(-2)
    assert d["preference_fairness"] == pytest.approx(-2 / 5)


def test_flip_rate_equals_one_minus_pc_without_ties():
    pairs = [(1, 2), (1, 1), (2, 2), (2, 1), (1, 2)]
    d = jq.order_diagnostics(pairs)
    assert d["flip_rate"] == pytest.approx(1 - d["position_consistency"]) == pytest.approx(2 / 5)


def test_consistent_judge_is_fair_not_undefined():
    d = jq.order_diagnostics([(1, 2), (0, 0), (2, 1)])
    assert d["position_consistency"] == 1 and d["preference_fairness"] == 0 and d["flip_rate"] == 0


def test_no_valid_pairs_gives_nan_not_a_crash():
    empty = jq.order_diagnostics([])
    assert empty["n_pairs"] == 0
    assert all(math.isnan(empty[k]) for k in ("position_consistency", "preference_fairness", "flip_rate",
                                               "first_slot_rate", "invalid_rate"))
    invalid = jq.order_diagnostics([(None, 1), (None, None)])
    assert invalid["invalid_rate"] == 1 and math.isnan(invalid["position_consistency"])
    assert math.isnan(invalid["preference_fairness"]) and math.isnan(invalid["preference_fairness_raw"])
    assert invalid["first_slot_rate"] == 1  # the one valid single judgment chose slot 1


def test_unknown_choice_is_rejected():
    with pytest.raises(ValueError, match="not one of"):
        jq.order_diagnostics([(3, 1)])


# ----------------------------------------------------------------------------- agreement with humans


def perfect(funnier, **kw):
    """A judge that picks the human-funnier side in both orders."""
    return LabeledPair(1 if funnier == "a" else 2, 2 if funnier == "a" else 1, funnier, **kw)


def test_perfect_judge_against_labels():
    pairs = [perfect("a", more_faithful="a"), perfect("b", more_faithful="tie"), perfect("b", more_faithful="b")]
    d = jq.human_agreement(pairs)
    assert d["ag_h"] == 1 and d["pb"] == 0 and d["ag_c"] == 1
    assert d["n_judgments"] == 6 and d["n_ag_c_judgments"] == 4  # the faithful tie is left out
    assert math.isnan(d["lb"])  # no lengths given


def test_humour_judge_can_disagree_on_faithfulness():
    d = jq.human_agreement([perfect("a", more_faithful="b"), perfect("b", more_faithful="a")])
    assert d["ag_h"] == 1 and d["ag_c"] == 0


def test_length_loving_judge_on_shorter_preferred_pairs():
    # the judge picks the longer side in both orders; humans prefer the shorter in P1, P2
    pairs = [
        LabeledPair(2, 1, "a", len_a=10, len_b=20),  # P1: b longer, humans a
        LabeledPair(1, 2, "b", len_a=30, len_b=10),  # P2: a longer, humans b
        LabeledPair(2, 1, "b", len_a=10, len_b=30),  # P3: humans prefer the longer: no length bias
        LabeledPair(1, 1, "a", len_a=15, len_b=15),  # P4: equal lengths; judge follows slot 1
    ]
    d = jq.human_agreement(pairs)
    assert d["n_shorter_preferred_pairs"] == 2
    assert d["lb"] == pytest.approx(4 / 8)  # 4 of 8 valid judgments: humans shorter, judge longer
    assert d["lb_given_shorter_preferred"] == 1
    assert d["lb_pair"] == pytest.approx(2 / 4) and d["lb_pair_given_shorter_preferred"] == 1
    assert d["ag_h"] == pytest.approx(3 / 8)  # P3 both, P4 the xy order
    assert d["pb"] == pytest.approx(1 / 4)  # only P4 changes with the order
    assert d["prefer_longer"] == 1  # P1-P3 differ by > 30 %, the judge always picks the longer
    assert d["human_prefer_longer"] == pytest.approx(1 / 3)


def test_length_bias_per_judgment_differs_from_per_pair():
    pairs = [
        LabeledPair(2, 1, "a", len_a=10, len_b=20),  # longer (b) in both orders
        LabeledPair(1, 1, "b", len_a=30, len_b=10),  # longer (a) only in order ab: a split pair
        LabeledPair(2, 1, "b", len_a=10, len_b=30),
        LabeledPair(1, 1, "a", len_a=15, len_b=15),
    ]
    d = jq.human_agreement(pairs)
    assert d["lb"] == pytest.approx(3 / 8) and d["lb_given_shorter_preferred"] == pytest.approx(3 / 4)
    assert d["lb_pair"] == pytest.approx(1 / 4) and d["lb_pair_given_shorter_preferred"] == pytest.approx(1 / 2)
    assert d["ag_h"] == pytest.approx(4 / 8) and d["pb"] == pytest.approx(2 / 4)
    assert d["prefer_longer"] == pytest.approx(5 / 6)


def test_judge_ties_disagree_and_invalid_judgments_are_dropped():
    pairs = [LabeledPair(0, 0, "a"), LabeledPair(1, None, "a")]
    d = jq.human_agreement(pairs)
    assert d["n_judgments"] == 3 and d["n_valid_pairs"] == 1
    assert d["ag_h"] == pytest.approx(1 / 3)  # the tie judgments count against, the None is skipped
    assert d["pb"] == 0  # (tie, tie) is consistent; the half-invalid pair is not in PB


def test_human_agreement_edge_cases():
    d = jq.human_agreement([])
    assert d["n_pairs"] == 0 and all(math.isnan(d[k]) for k in ("ag_h", "ag_c", "pb", "lb", "prefer_longer"))
    only_ties = jq.human_agreement([perfect("a", more_faithful="tie")])
    assert only_ties["ag_h"] == 1 and math.isnan(only_ties["ag_c"])
    tie_label = jq.human_agreement([LabeledPair(1, 2, "tie"), perfect("b")])
    assert tie_label["n_tie_labels"] == 1 and tie_label["n_pairs"] == 1 and tie_label["ag_h"] == 1  # left out, counted
    with pytest.raises(ValueError, match="funnier"):
        jq.human_agreement([LabeledPair(1, 2, "both")])


def test_cohen_kappa_matches_hand_computed_values():
    # 10 items: agree on 7 (4 x, 3 y); rater 1 says x 6 times, rater 2 says x 5 times
    r1 = ["x"] * 4 + ["y"] * 3 + ["x", "x", "y"]
    r2 = ["x"] * 4 + ["y"] * 3 + ["y", "y", "x"]
    p_o, p_e = 0.7, (6 * 5 + 4 * 5) / 100
    assert jq.cohen_kappa(r1, r2) == pytest.approx((p_o - p_e) / (1 - p_e))
    assert jq.cohen_kappa(["x", "y"], ["x", "y"]) == 1
    assert math.isnan(jq.cohen_kappa(["x", "x"], ["x", "x"]))  # chance agreement is already 1: undefined
    assert math.isnan(jq.cohen_kappa([], []))
    with pytest.raises(ValueError, match="length"):
        jq.cohen_kappa(["x"], [])


def test_a_judge_that_always_picks_one_slot_has_kappa_zero():
    labels = [perfect("a"), perfect("b")] * 3
    slot_one = [LabeledPair(1, 1, p.funnier) for p in labels]  # picks whatever sits in slot 1
    report = jq.human_agreement(slot_one)
    assert report["ag_h"] == 0.5 and report["kappa_h"] == pytest.approx(0.0)


def test_prefer_longer_threshold_is_relative_to_the_shorter_side():
    pairs = [(2, 1), (2, 1)]  # y chosen in both orders
    assert math.isnan(jq.prefer_longer_rate(pairs, [10, 10], [13, 12]))  # 30 % exactly or less: excluded
    assert jq.prefer_longer_rate(pairs, [10, 10], [14, 13]) == 1
    assert jq.prefer_longer_rate(pairs, [14, 10], [10, 14]) == 0.5
    assert jq.prefer_longer_rate([(0, None)], [10], [20]) == 0  # a tie does not pick the longer side
    with pytest.raises(ValueError, match="align"):
        jq.prefer_longer_rate(pairs, [10], [20, 20])


# ----------------------------------------------------------------------------- self-preference


@pytest.mark.parametrize(
    ("judge", "family", "expected"),
    [
        ("meta-llama/Llama-2-70b-chat-hf", "llama2", True),
        ("local/smollm2-135m", "smollm2", True),
        ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5", True),
        ("meta-llama/Llama_2-7b", "Llama-2", True),
        ("meta-llama/Meta-Llama-3-8B-Instruct", "llama2", False),
        ("openai/gpt-4o", "llama2", False),
        ("openai/gpt-4o", None, False),
        ("openai/gpt-4o", "", False),
        ("openai/gpt-4o", "-", False),
    ],
)
def test_self_preference_flag(judge, family, expected):
    assert jq.self_preference_flag(judge, family) is expected


# ----------------------------------------------------------------------------- Krippendorff's alpha

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", 4 observers x 12 units; nominal 0.743
TEXTBOOK = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_alpha_textbook_example():
    assert jq.krippendorff_alpha_nominal(TEXTBOOK) == pytest.approx(0.743, abs=5e-4)


def test_alpha_perfect_agreement_with_missing_values():
    assert jq.krippendorff_alpha_nominal([[1, 2, 3, None], [1, 2, 3, 3], [None, 2, 3, 3]]) == 1


def test_alpha_by_hand_two_raters():
    # units (a, a), (a, b): o_aa = 2, o_ab = o_ba = 1; n_a = 3, n_b = 1, n = 4 -> 1 - 3 * 2 / 6 = 0
    assert jq.krippendorff_alpha_nominal([["a", "a"], ["a", "b"]]) == pytest.approx(0.0)
    # systematic disagreement on two units: (a, b), (b, a): o_ab = o_ba = 2, n = 4 -> 1 - 3 * 4 / 8
    assert jq.krippendorff_alpha_nominal([["a", "b"], ["b", "a"]]) == pytest.approx(-0.5)


def test_alpha_labels_need_not_be_numbers():
    as_text = [[None if v is None else f"v{v}" for v in row] for row in TEXTBOOK]
    assert jq.krippendorff_alpha_nominal(as_text) == pytest.approx(jq.krippendorff_alpha_nominal(TEXTBOOK))


def test_alpha_undefined_cases_are_nan():
    assert math.isnan(jq.krippendorff_alpha_nominal([]))
    assert math.isnan(jq.krippendorff_alpha_nominal([[1, 2, 3]]))  # one rater: nothing pairable
    assert math.isnan(jq.krippendorff_alpha_nominal([[1, None], [None, 2]]))  # no unit has two values
    assert math.isnan(jq.krippendorff_alpha_nominal([[1, 1], [1, float("nan")], [1, 1]]))  # one value only
    with pytest.raises(ValueError, match="one entry per unit"):
        jq.krippendorff_alpha_nominal([[1, 2], [1]])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alpha_matches_krippendorff_package(seed):
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 4, size=(5, 60)).astype(float)
    data[rng.random(data.shape) < 0.25] = np.nan
    data[:, :20] = data[0, :20]  # some agreement, so alpha is not near 0 by chance only
    ours = jq.krippendorff_alpha_nominal([[None if np.isnan(v) else int(v) for v in row] for row in data])
    theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert krippendorff.alpha(reliability_data=np.array(TEXTBOOK, dtype=float), level_of_measurement="nominal") \
        == pytest.approx(jq.krippendorff_alpha_nominal(TEXTBOOK), abs=1e-9)


# ----------------------------------------------------------------------------- both-good vs both-bad ties


def test_tie_quality_by_hand():
    outcomes = ["win", "tie", "tie", "tie", "loss", "tie"]
    student = [None, 0.5, -0.1, 0.3, None, None]
    reference = [None, 0.2, -0.3, -0.2, None, 0.4]
    d = jq.tie_quality(outcomes, student, reference)
    assert (d["n_items"], d["n_ties"], d["n_unscored_ties"]) == (6, 4, 1)
    assert (d["n_both_good"], d["n_both_bad"], d["n_mixed"]) == (1, 1, 1)
    assert d["both_bad_among_ties"] == pytest.approx(1 / 3) and d["both_bad_among_items"] == pytest.approx(1 / 6)
    assert d["tie_rate"] == pytest.approx(4 / 6)


def test_tie_margin_and_boundary():
    assert jq.classify_tie(0.5, 0.2, margin=0.25) == "mixed"
    assert jq.classify_tie(0.0, 0.0) == "both_bad"  # not funnier than the literal input
    assert jq.classify_tie(0.01, 0.02) == "both_good"
    assert jq.classify_tie(float("nan"), 0.3) == "unscored"


def test_tie_quality_edge_cases():
    no_ties = jq.tie_quality(["win", "loss"], [1.0, 1.0], [0.0, 0.0])
    assert no_ties["n_ties"] == 0 and math.isnan(no_ties["both_good_among_ties"])
    assert no_ties["both_good_among_items"] == 0
    assert math.isnan(jq.tie_quality([], [], [])["tie_rate"])
    with pytest.raises(ValueError, match="draw"):
        jq.tie_quality(["draw"], [0.1], [0.1])
    with pytest.raises(ValueError, match="one entry per item"):
        jq.tie_quality(["tie"], [0.1], [])
