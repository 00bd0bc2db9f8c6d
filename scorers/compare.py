"""Paired comparison of two runs (student A vs student B) scored on the same items (pure, no Inspect).

Why paired: both runs answer the same prompts, so per-item difficulty is shared and cancels in
the per-item difference d_i = a_i - b_i. Comparing marginal CIs (as Arena-Hard and AlpacaEval do)
ignores that correlation and misses differences between close checkpoints; lm-eval's z-test is
unpaired too.

Input: for each run, item_id -> the item's headline win-or-tie value vs the teacher reference,
in [0, 1] (0/1, or fractional when averaged over references or epochs). NaN means "no valid
judgment" and counts as missing. Only the ids present in both runs are compared (sorted, so the
insertion order of the mappings does not matter); the others are reported as dropped.

  difference    D = mean_i(a_i) - mean_i(b_i) = mean_i(d_i) over the n shared items
  bootstrap CI  paired percentile bootstrap: draw n item ids with replacement (one draw serves
                both runs), replicate D*_j = mean of d over the draw; CI = the (1-level)/2 and
                (1+level)/2 quantiles of D*_1..D*_B
  bootstrap p   two-sided, null-centred: p = (1 + #{|D*_j - D| >= |D|}) / (1 + B)
  McNemar       binarise each value (>= 0.5 counts as success, so a tie-averaged 0.5 succeeds);
                n10 = A succeeds and B fails, n01 = the reverse; exact two-sided binomial test of
                min(n10, n01) out of n10 + n01 at 1/2 (scipy.stats.binomtest); p = 1 when
                n10 + n01 = 0
  significant   the CI excludes 0 AND McNemar p < alpha AND sign(n10 - n01) = sign(D). Both
                tests must agree, which is conservative; the sign condition only bites when
                fractional values binarise to the opposite direction of the mean difference.

Power (simulated): at n = 200 a +10-point gap is found almost surely when most items keep their
outcome between the runs, but only about half the time when the two runs' outcomes are
independent (60% vs 50%); 80% power then needs about 400 items.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest

from benchmark.errors import HumorBenchError

SUCCESS_THRESHOLD = 0.5  # a binarised outcome is a success when value >= this
_BOOT_CELLS = 2_000_000  # draws per bootstrap chunk (bounds memory; the random stream is unchanged)


@dataclass(frozen=True)
class PairedComparison:
    """Student A minus student B on their shared items; rates and differences are fractions."""

    n_items: int  # shared items compared
    dropped_a: int  # items of A absent (or NaN) in B, or NaN in A
    dropped_b: int
    mean_a: float
    mean_b: float
    difference: float  # mean_a - mean_b
    ci_low: float
    ci_high: float
    level: float
    bootstrap_p: float
    n10: int  # A succeeds, B fails
    n01: int  # A fails, B succeeds
    n11: int
    n00: int
    mcnemar_p: float
    alpha: float
    significant: bool
    n_boot: int
    seed: int

    def summary(self, name_a: str = "A", name_b: str = "B") -> str:
        """One paragraph: the difference in points with its CI, the McNemar counts and p, a verdict."""
        pct = round(100 * self.level)
        text = (
            f"{name_a} minus {name_b}: {100 * self.difference:+.1f} points of win-or-tie rate "
            f"({100 * self.mean_a:.1f}% vs {100 * self.mean_b:.1f}% on {self.n_items} shared items"
        )
        if self.dropped_a or self.dropped_b:
            text += f"; dropped {self.dropped_a} from {name_a} and {self.dropped_b} from {name_b}"
        text += (
            f"), {pct}% paired bootstrap CI [{100 * self.ci_low:+.1f}, {100 * self.ci_high:+.1f}] "
            f"(bootstrap p = {self.bootstrap_p:.3g}, {self.n_boot} resamples, seed {self.seed}). "
            f"Exact McNemar test: {self.n10} items only {name_a} wins-or-ties, {self.n01} only {name_b} "
            f"(p = {self.mcnemar_p:.3g}). "
        )
        if self.significant:
            better, worse = (name_a, name_b) if self.difference > 0 else (name_b, name_a)
            return text + (
                f"Verdict: {better} is significantly better than {worse} "
                f"(the CI excludes 0 and McNemar p < {self.alpha:g})."
            )
        return text + (
            f"Verdict: no significant difference (significance needs the CI to exclude 0 "
            f"and McNemar p < {self.alpha:g})."
        )


def shared_values(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sorted ids valid (non-NaN) in both runs and their values; raises on values outside [0, 1]."""
    for name, run in (("A", a), ("B", b)):
        for item_id, value in run.items():
            v = float(value)
            if not math.isnan(v) and not 0.0 <= v <= 1.0:
                raise HumorBenchError(f"run {name}: item '{item_id}' has value {value}; per-item values must lie in [0, 1]")
    ids = sorted(k for k in a.keys() & b.keys() if not (math.isnan(float(a[k])) or math.isnan(float(b[k]))))
    return ids, np.array([float(a[k]) for k in ids]), np.array([float(b[k]) for k in ids])


def paired_bootstrap(
    diffs: np.ndarray, n_boot: int = 10000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """(ci_low, ci_high, p) of mean(diffs) by resampling items; see the module docstring."""
    n = diffs.size
    rng = np.random.default_rng(seed)
    replicates = np.empty(n_boot)
    step = max(1, _BOOT_CELLS // n)
    for start in range(0, n_boot, step):
        rows = min(step, n_boot - start)
        replicates[start : start + rows] = diffs[rng.integers(0, n, size=(rows, n))].mean(axis=1)
    tail = (1.0 - level) / 2
    low, high = np.quantile(replicates, [tail, 1.0 - tail])
    observed = diffs.mean()
    extreme = np.count_nonzero(np.abs(replicates - observed) >= abs(observed))
    return float(low), float(high), (1 + extreme) / (1 + n_boot)


def mcnemar_exact(n10: int, n01: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of min(n10, n01) of n10 + n01 at 1/2."""
    n = n10 + n01
    return 1.0 if n == 0 else float(binomtest(min(n10, n01), n, 0.5, alternative="two-sided").pvalue)


def paired_comparison(
    a: Mapping[str, float],
    b: Mapping[str, float],
    n_boot: int = 10000,
    level: float = 0.95,
    seed: int = 0,
    alpha: float = 0.05,
) -> PairedComparison:
    """Compare run A with run B (item_id -> value in [0, 1]) on their shared items."""
    if n_boot < 1:
        raise HumorBenchError(f"n_boot must be at least 1, got {n_boot}")
    if not 0.0 < level < 1.0:
        raise HumorBenchError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level}")
    if not 0.0 < alpha < 1.0:
        raise HumorBenchError(f"alpha must lie strictly between 0 and 1 (e.g. 0.05), got {alpha}")
    ids, x, y = shared_values(a, b)
    if len(ids) < 2:
        raise HumorBenchError(
            f"runs share {len(ids)} item(s) with valid values (A has {len(a)}, B has {len(b)}); "
            "a paired comparison needs at least 2: score both runs on the same suite and split"
        )
    diffs = x - y
    ci_low, ci_high, boot_p = paired_bootstrap(diffs, n_boot=n_boot, level=level, seed=seed)
    sa, sb = x >= SUCCESS_THRESHOLD, y >= SUCCESS_THRESHOLD
    n10, n01 = int(np.sum(sa & ~sb)), int(np.sum(~sa & sb))
    p = mcnemar_exact(n10, n01)
    difference = float(diffs.mean())
    excludes_zero = ci_low > 0 or ci_high < 0
    same_direction = np.sign(n10 - n01) == np.sign(difference)
    return PairedComparison(
        n_items=len(ids),
        dropped_a=len(a) - len(ids),
        dropped_b=len(b) - len(ids),
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        difference=difference,
        ci_low=ci_low,
        ci_high=ci_high,
        level=level,
        bootstrap_p=boot_p,
        n10=n10,
        n01=n01,
        n11=int(np.sum(sa & sb)),
        n00=int(np.sum(~sa & ~sb)),
        mcnemar_p=p,
        alpha=alpha,
        significant=bool(excludes_zero and p < alpha and same_direction),
        n_boot=n_boot,
        seed=seed,
    )
