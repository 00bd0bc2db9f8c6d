"""Length- and style-controlled win-tie rates: what the WTR would be if student and reference matched in length/style.

Input, one entry per item: `outcome` in [0, 1] (the student's reconciled result vs the teacher reference,
1 win / 0.5 tie / 0 loss, fractional when averaged over references; NaN = invalid, dropped), and both texts.

Length-controlled WTR (AlpacaEval 2.0 GLM, Dubois et al. 2024, arXiv 2404.04475; fitted per run):
    P(student wins x) = σ(θ + φ · tanh(Δlen_x / std(Δlen))),   Δlen = len(student) − len(reference)
    LC-WTR = mean_x σ(θ) = σ(θ)        (the length term at 0: "as if both were equally long")
This is AlpacaEval's `length_controlled_minimal` GLM (no instruction-difficulty term, no regularisation
towards gamed baselines), fitted as AlpacaEval's `fit_LogisticRegressionCV` does:
  - soft labels by duplication: each item once as y=1 with weight p, once as y=0 with weight 1 − p;
  - design [tanh(Δlen/std), 1] with no separate intercept (the constant column is θ, so θ is penalised too);
  - sklearn LogisticRegressionCV, L1, liblinear, random_state=123, default Cs (10 values in 1e-4..1e4),
    GroupKFold(5) with both copies of an item in one fold, scored by the continuous log-loss;
  - std(Δlen) with ddof=1 (pandas); lengths in characters unless a `length` function is given.
Because θ is L1-penalised, a small run may get a small C from the CV and an LC pulled towards (even exactly
to) 0.5; AlpacaEval's 805 items rarely show this, a 12-item run does. `l1_inverse_strength` reports the C.
AlpacaEval uses Δ = len(baseline) − len(model); ours is student − reference, so our φ is minus theirs.
Agreement check (tests/test_debias.py): AlpacaEval 0.6.6's own `get_length_controlled_winrate(...,
glm_name="length_controlled_minimal")` on the same items (its data download replaced by a local file whose
instruction-difficulty column the minimal formula never reads) agrees with ours to < 1e-6 on LC, θ and φ
(largest difference seen over 29 data sets, n = 8..500, hard and soft labels, separable: 1.8e-15).
AlpacaEval's `lc_standard_error` is the SEM of the per-item predictions, identically 0 for this model
(every prediction is σ(θ)); ours is the delta-method SE of σ(θ) from a sandwich (HC1) covariance of (θ, φ),
which for an intercept-only fit reduces to the SEM of the outcomes.
Warning (AlpacaEval `get_is_extreme_changes`, on a 0–100 scale): LC < min(WR − WR/4, WR − 10) or
LC > max(WR + (100 − WR)/4, WR + 10).

Style-controlled WTR (Arena-Hard-Auto style control; Bradley-Terry between student and reference):
    P(student wins x) = σ(θ + Σ_k β_k z_k,x),   z_k = d_k,x / std_x(d_k),   d_k = (a_k − b_k) / (a_k + b_k + 1)
with a_k, b_k a humor-relevant style count of the student / reference text (STYLE_FEATURES), std with
ddof=1 (torch.std, as Arena-Hard). Controlled WTR = σ(θ) (all style differences at 0).
Unlike Arena-Hard the differences are scaled but not centred: with one student against its references the
mean difference is the style gap itself, and centring would put σ(θ) at that gap (≈ the raw WTR) instead of
at equal style (AlpacaEval's tanh(Δlen/std) is not centred either).
Soft-label log-loss Σ −p log q − (1 − p) log(1 − q) (the same optimum as the duplicated rows above), with a
ridge of STYLE_RIDGE on the β only: it moves non-separable fits by far less than 1e-6 and keeps the optimum
finite when a feature (quasi-)separates wins from losses, which the note then reports.
Zero-variance features are dropped and named. Degenerate inputs (fewer than MIN_ITEMS, all outcomes equal,
constant length difference) return NaN or the raw rate with a note instead of raising. Near separation
(|φ| or |β| > SEPARATION_LOGIT), where σ(θ) is poorly identified, is fitted but flagged in the note.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from benchmark.errors import HumorBenchError

if TYPE_CHECKING:  # sklearn is imported where the GLM is fitted: it costs ~0.9 s at every `inspect eval` start
    from sklearn.linear_model import LogisticRegressionCV

NAN = float("nan")
MIN_ITEMS = 5  # GroupKFold(5) needs 5 items; below that nothing is fitted
CV_FOLDS = 5
CV_RANDOM_STATE = 123
STYLE_RIDGE = 1e-6
SEPARATION_LOGIT = 10.0  # a coefficient beyond this (log-odds) means its feature nearly separates the outcomes
STYLE_FEATURES = ("length", "exclamations", "emojis", "all_caps_words", "qa_template", "sentences")

# A pictograph with its variation selector / skin tone, ZWJ sequences and flag pairs counting once.
_PICTOGRAPH = "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\u231A\u231B\u23E9-\u23F3\u23F8-\u23FA]"
_MODIFIERS = "[\uFE0F\U0001F3FB-\U0001F3FF]*"
EMOJI_RE = re.compile(f"[\U0001F1E6-\U0001F1FF]{{2}}|{_PICTOGRAPH}{_MODIFIERS}(?:\u200D{_PICTOGRAPH}{_MODIFIERS})*")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# The question-answer joke opener at the start of the text or of a sentence: "Why did/do/does ...?",
# "What do you call ...?" (the question must end within its sentence).
QA_JOKE_RE = re.compile(
    r"(?:^|(?<=[.!?…\n]))\s*[\"'“‘(]*(?:why\s+(?:did|do|does)|what\s+do\s+you\s+call)\b[^?.!\n]*\?", re.IGNORECASE
)
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass(frozen=True)
class LengthControlledWTR:
    lc_wtr: float  # σ(θ), in [0, 1]
    lc_standard_error: float  # delta-method sandwich SE of σ(θ)
    raw_wtr: float  # mean outcome
    raw_standard_error: float  # SEM of the outcomes (ddof=1)
    theta: float  # student-vs-reference strength, log-odds
    phi: float  # length coefficient; > 0: the judge prefers the longer side
    n_items: int
    l1_inverse_strength: float = NAN  # the C that the grouped CV chose
    warning: str | None = None  # AlpacaEval's "LC and raw diverge" message
    note: str | None = None  # why a degenerate input got NaN / the raw rate


@dataclass(frozen=True)
class StyleControlledWTR:
    controlled_wtr: float  # σ(θ), in [0, 1]
    standard_error: float  # delta-method sandwich SE of σ(θ)
    raw_wtr: float
    theta: float
    coefficients: dict[str, float] = field(default_factory=dict)  # β per feature, log-odds per SD
    dropped_features: tuple[str, ...] = ()  # zero variance across items
    n_items: int = 0
    note: str | None = None


def style_features(text: str, length: Callable[[str], float] = len) -> dict[str, float]:
    """Per-text style counts, in STYLE_FEATURES order (qa_template is an indicator)."""
    words = WORD_RE.findall(text)
    return {
        "length": float(length(text)),
        "exclamations": float(text.count("!")),
        "emojis": float(len(EMOJI_RE.findall(text))),
        "all_caps_words": float(sum(1 for w in words if w.isupper() and sum(c.isalpha() for c in w) >= 2)),
        "qa_template": float(QA_JOKE_RE.search(text) is not None),
        "sentences": float(sum(1 for s in SENTENCE_SPLIT_RE.split(text) if re.search(r"\w", s))),
    }


def normalized_difference(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    """(a − b) / (a + b + 1) for counts a, b ≥ 0: in (−1, 1), 0 when equal (Arena-Hard, Chatbot Arena V1)."""
    return (a - b) / (a + b + 1)


def is_extreme_change(raw_wtr: float, controlled_wtr: float, abs_diff: float = 10, rel_diff: float = 4) -> bool:
    """AlpacaEval's `get_is_extreme_changes`, with rates in [0, 1] compared on its 0–100 scale."""
    wr, new = 100 * raw_wtr, 100 * controlled_wtr
    too_small = new < min(wr - wr / rel_diff, wr - abs_diff)
    too_large = new > max(wr + (100 - wr) / rel_diff, wr + abs_diff)
    return bool(too_small or too_large)


def length_controlled_wtr(
    outcome: Sequence[float],
    student_text: Sequence[str],
    reference_text: Sequence[str],
    length: Callable[[str], float] = len,
) -> LengthControlledWTR:
    """AlpacaEval-2 length-controlled WTR (see the module docstring); `length` may count tokens instead."""
    p, students, references = _valid_items(outcome, student_text, reference_text)
    raw, raw_se, n = _mean_sem(p)
    delta = np.array([length(s) - length(r) for s, r in zip(students, references)], dtype=float)

    def unfitted(lc_wtr: float, lc_se: float, note: str) -> LengthControlledWTR:
        return LengthControlledWTR(lc_wtr, lc_se, raw, raw_se, theta=NAN, phi=NAN, n_items=n, note=note)

    if n < MIN_ITEMS:
        return unfitted(NAN, NAN, f"{n} valid items, need {MIN_ITEMS}")
    if np.all(p == p[0]):
        return unfitted(raw, raw_se, f"all outcomes equal {p[0]:g}: nothing for length to explain; LC = raw, no fit")
    if np.all(delta == 0):
        return unfitted(raw, raw_se, "student and reference equally long on every item: LC = raw, no fit")
    if np.all(delta == delta[0]):
        return unfitted(NAN, NAN, f"length difference is {delta[0]:g} on every item: confounded with θ")
    design = np.column_stack([np.tanh(delta / np.std(delta, ddof=1)), np.ones(n)])
    model = _fit_alpacaeval_glm(design, p)
    phi, theta = (float(c) for c in model.coef_[0])
    lc = float(_expit(theta))
    lc_se = lc * (1 - lc) * float(np.sqrt(_sandwich_covariance(design, p, np.array([phi, theta]))[1, 1]))
    warning = None
    if is_extreme_change(raw, lc):
        warning = (f"Length controlled win rate is very different from the raw one: {100 * lc:.1f}% vs "
                   f"{100 * raw:.1f}%. This might be a sign of failure of the GLM.")
    note = None
    if abs(phi) > SEPARATION_LOGIT:
        note = f"length nearly separates wins from losses (φ = {phi:.0f}): θ, hence LC, is poorly identified"
    return LengthControlledWTR(lc, lc_se, raw, raw_se, theta, phi, n, float(np.ravel(model.C_)[0]), warning, note)


def style_controlled_wtr(
    outcome: Sequence[float],
    student_text: Sequence[str],
    reference_text: Sequence[str],
    features: Sequence[str] = STYLE_FEATURES,
    length: Callable[[str], float] = len,
) -> StyleControlledWTR:
    """Arena-Hard-style controlled WTR: σ(θ) of a BT fit with z-scored style differences (module docstring)."""
    unknown = sorted(set(features) - set(STYLE_FEATURES))
    if unknown:
        raise HumorBenchError(f"unknown style features {unknown}; choose from {', '.join(STYLE_FEATURES)}")
    p, students, references = _valid_items(outcome, student_text, reference_text)
    raw, raw_se, n = _mean_sem(p)

    def counts(texts: list[str]) -> np.ndarray:
        rows = [style_features(t, length) for t in texts]
        return np.array([[f[k] for k in features] for f in rows], dtype=float).reshape(n, len(features))

    diff = normalized_difference(counts(students), counts(references))
    spread = diff.std(axis=0, ddof=1) if n > 1 else np.zeros(len(features))
    kept = [k for k, s in zip(features, spread) if s > 1e-12]
    dropped = tuple(k for k in features if k not in kept)
    if n < max(MIN_ITEMS, len(kept) + 2):
        note = f"{n} valid items for {len(kept)} style features: too few to fit"
        return StyleControlledWTR(NAN, NAN, raw, NAN, dropped_features=dropped, n_items=n, note=note)
    if np.all(p == p[0]):
        note = f"all outcomes equal {p[0]:g}: nothing for style to explain; controlled = raw, no fit"
        return StyleControlledWTR(raw, raw_se, raw, NAN, dropped_features=dropped, n_items=n, note=note)
    columns = [features.index(k) for k in kept]
    z = diff[:, columns] / spread[columns]  # scaled, not centred: z = 0 stays "no style difference"
    design = np.column_stack([np.ones(n), z])
    coef = _fit_soft_logistic(design, p, ridge=STYLE_RIDGE)
    controlled = float(_expit(coef[0]))
    se = controlled * (1 - controlled) * float(np.sqrt(_sandwich_covariance(design, p, coef)[0, 0]))
    betas = {k: float(b) for k, b in zip(kept, coef[1:])}
    separating = [k for k, b in betas.items() if abs(b) > SEPARATION_LOGIT]
    confounded = [k for k in dropped if diff[0, features.index(k)] != 0]
    notes = []
    if separating:
        notes.append(f"{', '.join(separating)} nearly separate wins from losses: ridge-bounded, σ(θ) unreliable")
    if confounded:
        notes.append(f"{', '.join(confounded)} differ by the same amount on every item: confounded with θ")
    return StyleControlledWTR(controlled, se, raw, float(coef[0]), betas, dropped, n, "; ".join(notes) or None)


def soft_label_rows(design: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """AlpacaEval's soft labels: rows twice, y=1 weighted p then y=0 weighted 1 − p; groups keep copies together."""
    n = len(p)
    groups = np.concatenate([np.arange(n), np.arange(n)])
    return np.vstack([design, design]), np.r_[np.ones(n), np.zeros(n)], np.r_[p, 1 - p], groups


def _expit(x):
    """The logistic function, overflow-free (scipy.special.expit without importing scipy)."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))


def _continuous_log_loss(y_true, y_pred, true_prob) -> float:
    """AlpacaEval's `logloss_continuous`: the soft-label log-loss of a duplicated row (true_prob = its weight)."""
    target = np.where(y_true == 1, true_prob, 1 - true_prob)
    q = np.clip(y_pred, 1e-15, 1 - 1e-15)
    return float(-np.mean(target * np.log(q) + (1 - target) * np.log(1 - q)))


def _fit_alpacaeval_glm(design: np.ndarray, p: np.ndarray) -> "LogisticRegressionCV":
    """The estimator and settings of AlpacaEval's `fit_LogisticRegressionCV(is_ytrue_proba=True, n_splits=5)`."""
    import sklearn
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import GroupKFold

    x, y, weight, groups = soft_label_rows(design, p)
    new_api = tuple(int(v) for v in sklearn.__version__.split(".")[:2]) >= (1, 8)  # `penalty` deprecated in 1.8
    l1 = {"l1_ratios": (1.0,), "use_legacy_attributes": False} if new_api else {"penalty": "l1"}
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_scorer(_continuous_log_loss, response_method="predict_proba", greater_is_better=False)
        model = LogisticRegressionCV(
            cv=GroupKFold(n_splits=CV_FOLDS), scoring=scorer.set_score_request(true_prob=True),
            solver="liblinear", dual=False, fit_intercept=False, random_state=CV_RANDOM_STATE, **l1,
        )
        model.set_fit_request(sample_weight=True)
        model.fit(x, y, sample_weight=weight, groups=groups, true_prob=weight)
    return model


def _fit_soft_logistic(design: np.ndarray, p: np.ndarray, ridge: float) -> np.ndarray:
    """argmin Σ [log(1 + e^η) − p η] + ridge/2 · |β|², η = design @ coef; column 0 (θ) unpenalised."""
    from scipy.optimize import minimize  # imported here: scipy.optimize costs ~0.5 s at every `inspect eval` start

    penalty = np.full(design.shape[1], ridge)
    penalty[0] = 0.0

    def loss_and_gradient(coef):
        eta = design @ coef
        loss = np.sum(np.logaddexp(0, eta) - p * eta) + 0.5 * np.sum(penalty * coef**2)
        return loss, design.T @ (_expit(eta) - p) + penalty * coef

    def hessian(coef):
        q = _expit(design @ coef)
        return (design.T * (q * (1 - q))) @ design + np.diag(penalty)

    start = np.zeros(design.shape[1])
    fit = minimize(loss_and_gradient, start, jac=True, hess=hessian, method="trust-exact", options={"gtol": 1e-10})
    return fit.x


def _sandwich_covariance(design: np.ndarray, p: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """HC1 sandwich H⁻¹ (Σ s sᵀ) H⁻¹ · n/(n − k), s = (p − q) x: valid for soft labels, per-item independence."""
    n, k = design.shape
    q = _expit(design @ coef)
    bread = np.linalg.pinv((design.T * (q * (1 - q))) @ design)
    scores = design * (p - q)[:, None]
    return bread @ (scores.T @ scores) @ bread * n / max(n - k, 1)


def _valid_items(outcome, student_text, reference_text) -> tuple[np.ndarray, list[str], list[str]]:
    if not len(outcome) == len(student_text) == len(reference_text):
        raise HumorBenchError(f"outcome, student_text and reference_text differ in length: "
                         f"{len(outcome)}, {len(student_text)}, {len(reference_text)}; pass one entry per item")
    p = np.asarray(outcome, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise HumorBenchError("outcome values must lie in [0, 1] (1 win, 0.5 tie, 0 loss); NaN marks an invalid item")
    keep = ~np.isnan(p)
    return p[keep], [s for s, k in zip(student_text, keep) if k], [r for r, k in zip(reference_text, keep) if k]


def _mean_sem(p: np.ndarray) -> tuple[float, float, int]:
    n = len(p)
    return (float(p.mean()) if n else NAN), (float(p.std(ddof=1) / np.sqrt(n)) if n > 1 else NAN), n
