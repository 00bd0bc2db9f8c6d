"""Length- and style-controlled WTR: hand-computed features and rules, planted effects, degenerate inputs,
and agreement with AlpacaEval 0.6.6's own length-controlled GLM on the same items."""

import importlib
import math
import sys
import types
import warnings

import numpy as np
import pytest
import sklearn
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from scorers import debias
from scorers.debias import length_controlled_wtr, style_controlled_wtr, style_features


def texts_of_lengths(lengths, char="x"):
    return [char * int(k) for k in lengths]


def length_dataset(seed, n, theta, phi, soft=False):
    """Items whose win probability follows the LC model itself; hard 0/0.5/1 or soft k/6 outcomes."""
    rng = np.random.default_rng(seed)
    ref_len = rng.integers(40, 400, n)
    stu_len = np.maximum(1, ref_len + rng.normal(60, 120, n).round()).astype(int)
    delta = stu_len - ref_len
    p_win = expit(theta + phi * np.tanh(delta / delta.std(ddof=1)))
    if soft:  # six judgments per item (3 references x 2 orders), averaged
        outcome = rng.binomial(6, p_win) / 6
    else:
        outcome = np.where(rng.random(n) < 0.1, 0.5, (rng.random(n) < p_win).astype(float))
    return outcome, texts_of_lengths(stu_len, "s"), texts_of_lengths(ref_len, "r")


# --- style features ---------------------------------------------------------------------------------


def test_style_features_exact_counts():
    text = "Why did the CHICKEN cross the road?! To get to the OTHER side 😂😂. I'M ok"
    assert style_features(text) == {
        "length": float(len(text)),
        "exclamations": 1.0,
        "emojis": 2.0,
        "all_caps_words": 3.0,  # CHICKEN, OTHER, I'M ("I" alone and "ok" do not count)
        "qa_template": 1.0,
        "sentences": 3.0,
    }
    assert style_features("") == dict.fromkeys(debias.STYLE_FEATURES, 0.0)
    assert style_features("Wow!!! Great\nnext line... A B C")["sentences"] == 4.0  # Wow / Great / next line / A B C
    assert style_features("Wow!!! NO WAY, A-OK")["exclamations"] == 3.0
    assert style_features("Wow!!! NO WAY, A-OK")["all_caps_words"] == 3.0  # NO, WAY, OK; "A" is one letter


def test_emoji_sequences_count_once():
    # two faces, a thumbs-up with skin tone, a ZWJ family, a flag, a heart with variation selector
    assert style_features("😂😂 👍🏽 👨‍👩‍👧 🇫🇷 ❤️")["emojis"] == 6.0
    assert style_features("© 2024 ™ -> :)")["emojis"] == 0.0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Why did the scarecrow win an award? He was outstanding in his field.", 1),
        ("Haha! what do you call a fake noodle? An impasta.", 1),
        ('"Why does it always rain on me?" she sang.', 1),
        ("I wonder why did he leave? Odd.", 0),  # not at the start of a sentence
        ("Why did he leave. Nobody knows?", 0),  # the question mark is in another sentence
        ("Why would anyone do that?", 0),  # not the did/do/does template
    ],
)
def test_qa_template_detection(text, expected):
    assert style_features(text)["qa_template"] == expected


def test_token_counts_replace_characters_when_asked():
    assert style_features("one two three", length=lambda s: len(s.split()))["length"] == 3.0


def test_normalized_difference_by_hand():
    assert debias.normalized_difference(3, 1) == pytest.approx(2 / 5)
    assert debias.normalized_difference(0, 0) == 0
    np.testing.assert_allclose(debias.normalized_difference(np.array([0, 4]), np.array([2, 4])), [-2 / 3, 0])


# --- AlpacaEval pieces --------------------------------------------------------------------------------


def test_soft_label_rows_duplicate_each_item_with_weights():
    design = np.array([[0.5, 1.0], [-0.2, 1.0], [0.9, 1.0]])
    p = np.array([1.0, 0.25, 0.5])
    x, y, w, groups = debias.soft_label_rows(design, p)
    np.testing.assert_array_equal(x, np.vstack([design, design]))
    np.testing.assert_array_equal(y, [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(w, [1.0, 0.25, 0.5, 0.0, 0.75, 0.5])
    np.testing.assert_array_equal(groups, [0, 1, 2, 0, 1, 2])
    # the weighted binary log-loss of the copies is the soft-label log-loss of the items
    q = expit(x @ np.array([0.7, -0.3]))
    binary = -np.sum(w * np.where(y == 1, np.log(q), np.log(1 - q)))
    q_item = q[:3]
    soft = -np.sum(p * np.log(q_item) + (1 - p) * np.log(1 - q_item))
    assert binary == pytest.approx(soft, rel=1e-12)


@pytest.mark.parametrize(
    "raw, lc, fires",
    [
        (0.50, 0.374, True),  # 50 → bounds 37.5 and 62.5
        (0.50, 0.38, False),
        (0.50, 0.63, True),
        (0.20, 0.099, True),  # 20 → bounds min(15, 10) = 10 and max(40, 30) = 40
        (0.20, 0.11, False),
        (0.20, 0.39, False),
        (0.20, 0.41, True),
    ],
)
def test_extreme_change_rule_by_hand(raw, lc, fires):
    assert debias.is_extreme_change(raw, lc) is fires


# --- length-controlled WTR ----------------------------------------------------------------------------


def test_length_independent_outcomes_keep_lc_at_raw():
    outcome, students, references = length_dataset(seed=11, n=400, theta=0.4, phi=0.0)
    result = length_controlled_wtr(outcome, students, references)
    assert abs(result.phi) < 0.2
    assert result.lc_wtr == pytest.approx(result.raw_wtr, abs=0.02)
    assert result.warning is None and result.note is None
    # extrapolating to Δlen = 0 (students are longer on average) costs a little precision over the raw SEM
    assert result.raw_standard_error < result.lc_standard_error < 1.5 * result.raw_standard_error


def planted_length_items(seed, n=300):
    """Students longer on 80% of items; the judge only looks at length (equal length would be a coin flip)."""
    rng = np.random.default_rng(seed)
    ref_len = rng.integers(50, 300, n)
    delta = np.where(rng.random(n) < 0.8, 1, -1) * rng.integers(5, 150, n)
    return rng, delta, texts_of_lengths(ref_len + delta), texts_of_lengths(ref_len)


def test_planted_length_effect_pulls_lc_to_a_coin_flip_and_warns():
    rng, delta, students, references = planted_length_items(seed=0)
    outcome = (rng.random(len(delta)) < expit(3 * np.tanh(delta / delta.std(ddof=1)))).astype(float)
    result = length_controlled_wtr(outcome, students, references)
    assert result.raw_wtr > 0.7
    assert result.phi == pytest.approx(3, abs=0.5)
    assert result.lc_wtr == pytest.approx(0.5, abs=0.03)
    assert result.warning is not None and "very different from the raw one" in result.warning


@pytest.mark.filterwarnings("ignore:Liblinear failed to converge")  # AlpacaEval's max_iter; the note says why
def test_students_winning_exactly_when_longer_is_flagged_as_separation():
    _, delta, students, references = planted_length_items(seed=1)
    result = length_controlled_wtr((delta > 0).astype(float), students, references)
    assert result.raw_wtr == pytest.approx(np.mean(delta > 0))
    assert result.phi > debias.SEPARATION_LOGIT and "poorly identified" in result.note


def test_length_function_scale_invariance_and_token_counts():
    outcome, students, references = length_dataset(seed=2, n=150, theta=0.2, phi=1.0)
    chars = length_controlled_wtr(outcome, students, references)
    doubled = length_controlled_wtr(outcome, students, references, length=lambda s: 2 * len(s))
    assert doubled.lc_wtr == pytest.approx(chars.lc_wtr, abs=1e-12)  # Δlen / std(Δlen) is unchanged
    # wins follow the word count while character counts are noise: only the word length sees the effect
    rng = np.random.default_rng(3)
    words_s, words_r = rng.integers(3, 30, 150), rng.integers(3, 30, 150)
    students = [" ".join(["w" * int(rng.integers(1, 12))] * int(k)) for k in words_s]
    references = [" ".join(["w" * int(rng.integers(1, 12))] * int(k)) for k in words_r]
    outcome = (words_s > words_r).astype(float)
    by_words = length_controlled_wtr(outcome, students, references, length=lambda s: len(s.split()))
    by_chars = length_controlled_wtr(outcome, students, references)
    assert by_words.phi > 2 * by_chars.phi > 0


def test_degenerate_inputs_get_a_note_not_an_exception():
    few = length_controlled_wtr([1, 0, 1], ["aa", "b", "ccc"], ["a", "bb", "c"])
    assert math.isnan(few.lc_wtr) and few.raw_wtr == pytest.approx(2 / 3) and "need 5" in few.note
    same = length_controlled_wtr([1.0] * 8, texts_of_lengths(range(1, 9)), ["x"] * 8)
    assert same.lc_wtr == 1.0 and math.isnan(same.phi) and "all outcomes equal" in same.note
    equal_length = length_controlled_wtr([1, 0, 1, 1, 0.5, 0], ["ab"] * 6, ["cd"] * 6)
    assert equal_length.lc_wtr == pytest.approx(3.5 / 6) and "equally long" in equal_length.note
    shifted = length_controlled_wtr([1, 0, 1, 1, 0.5, 0], ["abc"] * 6, ["cd"] * 6)
    assert math.isnan(shifted.lc_wtr) and "confounded" in shifted.note
    with_invalid = length_controlled_wtr([1, float("nan"), 0, 1, 1], ["a"] * 5, ["b"] * 5)
    assert with_invalid.n_items == 4 and "need 5" in with_invalid.note
    with pytest.raises(ValueError, match="differ in length"):
        length_controlled_wtr([1, 0], ["a"], ["b", "c"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        length_controlled_wtr([2, 0, 1, 1, 0], ["a"] * 5, ["b"] * 5)


def test_sandwich_standard_error_of_an_intercept_only_fit_is_the_sem():
    p = np.array([1, 0, 0.5, 1, 1, 0.25, 0, 1])
    theta = math.log(p.mean() / (1 - p.mean()))
    cov = debias._sandwich_covariance(np.ones((8, 1)), p, np.array([theta]))
    se = p.mean() * (1 - p.mean()) * math.sqrt(cov[0, 0])
    assert se == pytest.approx(p.std(ddof=1) / math.sqrt(8), rel=1e-12)


# --- agreement with AlpacaEval's own code -------------------------------------------------------------


@pytest.fixture
def alpacaeval_glm(tmp_path, monkeypatch):
    """AlpacaEval 0.6.6's `get_length_controlled_winrate` with its HF download replaced by a local file."""
    try:
        importlib.import_module("pkg_resources")
    except ImportError:  # alpaca_eval.utils imports it (setuptools >= 81 dropped it); the metrics never call it
        monkeypatch.setitem(sys.modules, "pkg_resources", types.ModuleType("pkg_resources"))
    glm = pytest.importorskip("alpaca_eval.metrics.glm_winrate")
    pd = pytest.importorskip("pandas")

    def run(outcome, students, references):
        n = len(outcome)
        gamed = tmp_path / "df_gamed.csv"  # only its instruction_difficulty is read, and the minimal GLM ignores it
        pd.DataFrame({"model": "gamed", "index": range(n), "instruction_difficulty": 0.0}).to_csv(gamed, index=False)
        monkeypatch.setattr(glm, "hf_hub_download", lambda **kwargs: str(gamed))
        annotations = [
            dict(instruction=f"item {i}", output_1=references[i], output_2=students[i], generator_1="reference",
                 generator_2="student", annotator="judge", preference=1.0 + float(outcome[i]))
            for i in range(n)
        ]
        with sklearn.config_context(), warnings.catch_warnings():  # it flips sklearn's global config
            warnings.simplefilter("ignore", FutureWarning)
            metrics = glm.get_length_controlled_winrate(
                annotations, glm_name="length_controlled_minimal", save_weights_dir=tmp_path,
                is_warn_extreme_changes=False,
            )
        weights = pd.read_csv(tmp_path / "length_controlled_minimal" / "baseline_reference.csv", index_col=0)
        return metrics, weights.loc["student"], glm.get_is_extreme_changes

    return run


AGREEMENT_CASES = {
    "hard labels, length effect": dict(seed=1, n=120, theta=0.3, phi=1.2),
    "soft labels over references": dict(seed=2, n=200, theta=-0.4, phi=0.8, soft=True),
    "no length effect": dict(seed=3, n=300, theta=0.5, phi=0.0),
    "few items": dict(seed=4, n=12, theta=0.0, phi=1.5, soft=True),
}


@pytest.mark.parametrize("case", AGREEMENT_CASES)
def test_agrees_with_alpacaeval_minimal_glm(case, alpacaeval_glm):
    outcome, students, references = length_dataset(**AGREEMENT_CASES[case])
    ours = length_controlled_wtr(outcome, students, references)
    theirs, weights, _ = alpacaeval_glm(outcome, students, references)
    assert abs(ours.lc_wtr - theirs["length_controlled_winrate"] / 100) < 1e-6
    assert abs(ours.theta - weights["not_gamed_baseline.astype(float)"]) < 1e-6
    assert abs(ours.phi + weights["np.tanh(std_delta_len)"]) < 1e-6  # they use reference − student
    assert abs(ours.raw_wtr - theirs["win_rate"] / 100) < 1e-12
    assert abs(ours.raw_standard_error - theirs["standard_error"] / 100) < 1e-12
    assert not sklearn.get_config()["enable_metadata_routing"]  # neither fit leaks sklearn's global config
    assert theirs["lc_standard_error"] < 1e-12  # SEM of identical predictions σ(θ): why ours uses the delta method


def test_warning_rule_matches_alpacaeval(alpacaeval_glm):
    _, _, their_rule = alpacaeval_glm(*length_dataset(seed=0, n=20, theta=0.0, phi=0.0))
    grid = np.linspace(0, 1, 41)
    for raw in grid:
        for lc in grid + 0.003:
            assert debias.is_extreme_change(raw, lc) == bool(their_rule(100 * raw, 100 * lc)), (raw, lc)


# --- style-controlled WTR -----------------------------------------------------------------------------


def exclamation_dataset(seed, n, theta, beta):
    """Texts differing only in '!' count (fixed length, one sentence); students use more of them."""
    rng = np.random.default_rng(seed)
    k_student, k_reference = rng.integers(1, 4, n), rng.integers(0, 3, n)
    text = lambda k: "ha" + "!" * int(k) + "." * (3 - int(k))  # noqa: E731  always 5 characters
    d = debias.normalized_difference(k_student, k_reference)
    outcome = (rng.random(n) < expit(theta + beta * d / d.std(ddof=1))).astype(float)
    return outcome, [text(k) for k in k_student], [text(k) for k in k_reference]


def test_style_control_removes_a_planted_exclamation_preference():
    outcome, students, references = exclamation_dataset(seed=7, n=3000, theta=0.0, beta=1.0)
    result = style_controlled_wtr(outcome, students, references)
    assert result.dropped_features == ("length", "emojis", "all_caps_words", "qa_template", "sentences")
    assert list(result.coefficients) == ["exclamations"]
    assert result.coefficients["exclamations"] == pytest.approx(1.0, abs=0.15)
    assert result.raw_wtr > 0.6  # the judge's taste for '!' plus students using more of them
    assert result.controlled_wtr == pytest.approx(0.5, abs=3 * result.standard_error)
    assert result.note is None


def test_style_fit_equals_sklearn_on_duplicated_rows():
    outcome, students, references = length_dataset(seed=8, n=250, theta=0.3, phi=0.7, soft=True)
    students = [s + "!" * (i % 3) + (" Why did it?" if i % 4 == 0 else "") for i, s in enumerate(students)]
    result = style_controlled_wtr(outcome, students, references)
    counts = {side: [style_features(t) for t in texts] for side, texts in (("s", students), ("r", references))}
    z = np.column_stack([
        debias.normalized_difference(np.array([f[k] for f in counts["s"]]), np.array([f[k] for f in counts["r"]]))
        for k in result.coefficients
    ])
    z = z / z.std(axis=0, ddof=1)
    x, y, w, _ = debias.soft_label_rows(z, np.asarray(outcome))
    near_unpenalised = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(x, y, sample_weight=w)
    assert sorted(result.coefficients) == ["exclamations", "length", "qa_template", "sentences"]
    assert result.theta == pytest.approx(near_unpenalised.intercept_[0], abs=1e-5)
    np.testing.assert_allclose(list(result.coefficients.values()), near_unpenalised.coef_[0], atol=1e-5)


def test_style_degenerate_inputs():
    few = style_controlled_wtr([1, 0, 1], ["a!", "b", "c"], ["a", "b!", "c"])
    assert math.isnan(few.controlled_wtr) and "too few" in few.note
    same = style_controlled_wtr([0.5] * 10, [f"ha{'!' * i}" for i in range(10)], ["ha"] * 10)
    assert same.controlled_wtr == 0.5 and "all outcomes equal" in same.note
    outcome, students, references = exclamation_dataset(seed=9, n=200, theta=0.3, beta=0.5)
    shifted = style_controlled_wtr(outcome, [s + " 😂" for s in students], references)
    assert "emojis" in shifted.dropped_features and "confounded" in shifted.note
    with pytest.raises(ValueError, match="unknown style features"):
        style_controlled_wtr([1] * 5, ["a"] * 5, ["b"] * 5, features=["length", "puns"])


def test_separating_style_feature_is_reported():
    rng = np.random.default_rng(10)
    k_student, k_reference = rng.integers(0, 4, 100), rng.integers(0, 4, 100)
    outcome = (k_student > k_reference).astype(float) + 0.5 * (k_student == k_reference)
    outcome = np.where(outcome == 0.5, 1.0, outcome)  # wins exactly when at least as many '!'
    text = lambda k: "ha" + "!" * int(k) + "." * (3 - int(k))  # noqa: E731
    result = style_controlled_wtr(outcome, [text(k) for k in k_student], [text(k) for k in k_reference])
    assert np.isfinite(result.controlled_wtr) and "nearly separate" in result.note
