"""The small statistics behind experiment results: intervals and tests for two proportions.

Hand-written on purpose: each is a few lines of textbook formulae over the
standard library (`math.lgamma`, `statistics.NormalDist`), and a numerical
library would be the largest dependency of the package for them. They are
checked against scipy.stats in the tests, on small and zero counts too.

- `wilson_interval`: the Wilson score interval for one proportion (good at
  small counts and at 0 % or 100 %, where the textbook interval collapses).
- `newcombe_interval`: Newcombe's hybrid score interval for the difference of
  two proportions, built from the two Wilson intervals.
- `fisher_exact`: two-sided Fisher's exact test for a 2x2 table, summing
  hypergeometric probabilities in log space (no overflow at large counts).
- `two_proportion_z`: the pooled two-proportion z-test, for large counts.
- `compare_proportions`: picks Fisher when any expected cell is below 5, else z.
- `always_valid_p`: a mixture sequential probability ratio test (mSPRT) whose
  p-value stays valid however often it is looked at.
- `mean_interval`, `mean_difference_interval`: normal intervals on a mean (revenue
  per contact) and on the difference of two means (Welch's standard error).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()
# A table whose probability is within this factor of the observed one counts as
# "as extreme" (floating-point ties), the same tolerance as scipy and R use.
_TIE = 1 + 1e-7
SMALL_EXPECTED = 5.0  # below this expected count in any cell, the z-test is not trusted
MIXING_SD = 0.05  # mSPRT: the spread of effects we expect, in absolute conversion rate


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """One comparison of two arms' conversion rates."""

    __test__ = False  # not a pytest test class

    method: str  # fisher_exact | two_proportion_z
    p_value: float
    statistic: float | None = None  # z for the z-test; the odds ratio for Fisher


def z_quantile(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 for 0.95."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return _NORMAL.inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for successes/trials; (0, 1) when there are no trials."""
    _check_counts(successes, trials)
    if trials == 0:
        return 0.0, 1.0
    z = z_quantile(confidence)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval (his method 10) for x1/n1 - x2/n2."""
    p1 = x1 / n1 if n1 else 0.0
    p2 = x2 / n2 if n2 else 0.0
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    difference = p1 - p2
    lower = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, lower), min(1.0, upper)


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> TestResult:
    """Two-sided Fisher's exact test for the table [[a, b], [c, d]].

    The p-value sums the hypergeometric probabilities of every table with the
    same margins that is no more likely than the observed one.
    """
    for value in (a, b, c, d):
        if value < 0:
            raise ValueError(f"a 2x2 table holds counts >= 0, not {value}")
    row1, col1, total = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (total - row1)), min(row1, col1)
    if low == high:
        return TestResult(method="fisher_exact", p_value=1.0, statistic=_odds_ratio(a, b, c, d))
    log_denominator = _log_choose(total, col1)

    def log_p(x: int) -> float:
        return _log_choose(row1, x) + _log_choose(total - row1, col1 - x) - log_denominator

    observed = log_p(a)
    threshold = observed + math.log(_TIE)
    logs = [log_p(x) for x in range(low, high + 1)]
    extreme = [value for value in logs if value <= threshold]
    p_value = math.exp(_log_sum_exp(extreme)) if extreme else 0.0
    return TestResult(
        method="fisher_exact", p_value=min(1.0, p_value), statistic=_odds_ratio(a, b, c, d)
    )


def _odds_ratio(a: int, b: int, c: int, d: int) -> float:
    if b * c == 0:
        return math.inf if a * d > 0 else math.nan
    return (a * d) / (b * c)


def _log_sum_exp(values: Iterable[float]) -> float:
    values = list(values)
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> TestResult:
    """Pooled two-proportion z-test, two-sided; p = 1 when the pooled rate is 0 or 1."""
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    if n1 == 0 or n2 == 0:
        return TestResult(method="two_proportion_z", p_value=1.0, statistic=0.0)
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return TestResult(method="two_proportion_z", p_value=1.0, statistic=0.0)
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return TestResult(method="two_proportion_z", p_value=2 * (1 - _NORMAL.cdf(abs(z))), statistic=z)


def compare_proportions(x1: int, n1: int, x2: int, n2: int) -> TestResult:
    """Fisher's exact test when any expected cell count is below 5, else the z-test."""
    _check_counts(x1, n1)
    _check_counts(x2, n2)
    total = n1 + n2
    converted = x1 + x2
    expected = (
        [n * k / total for n in (n1, n2) for k in (converted, total - converted)] if total else [0]
    )
    if min(expected) < SMALL_EXPECTED:
        return fisher_exact(x1, n1 - x1, x2, n2 - x2)
    return two_proportion_z(x1, n1, x2, n2)


def msprt_ratio(x1: int, n1: int, x2: int, n2: int, mixing_sd: float = MIXING_SD) -> float:
    """The mixture likelihood ratio for "the two rates differ" at one look.

    Normal approximation of the difference with a normal mixture of effects
    (Johari, Pekelis and Walsh, "Always valid inference", 2017).
    """
    if n1 == 0 or n2 == 0:
        return 1.0
    p1, p2 = x1 / n1, x2 / n2
    # a rate of exactly 0 or 1 has no spread; borrow half a count so the ratio stays finite
    q1 = min(max(p1, 0.5 / n1), 1 - 0.5 / n1)
    q2 = min(max(p2, 0.5 / n2), 1 - 0.5 / n2)
    variance = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
    tau2 = mixing_sd * mixing_sd
    difference = p1 - p2
    exponent = tau2 * difference * difference / (2 * variance * (variance + tau2))
    return math.sqrt(variance / (variance + tau2)) * math.exp(min(exponent, 700.0))


def always_valid_p(
    looks: Iterable[tuple[int, int, int, int]], mixing_sd: float = MIXING_SD
) -> float:
    """The always-valid p-value after a series of looks (x1, n1, x2, n2), oldest first.

    It is the running minimum of 1 / ratio: looking every day cannot push it
    below the chosen error rate more often than that rate, so "stop when it is
    below 0.05" is a rule that stays valid under daily peeking.
    """
    p_value = 1.0
    for x1, n1, x2, n2 in looks:
        p_value = min(p_value, 1.0 / msprt_ratio(x1, n1, x2, n2, mixing_sd))
    return p_value


def _check_counts(successes: int, trials: int) -> None:
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): mean +/- z x the standard error (sd / sqrt n); n < 2: no spread."""
    n = len(values)
    if n == 0:
        return 0.0, 0.0, 0.0
    mean = math.fsum(values) / n
    if n < 2:
        return mean, mean, mean
    half = z_quantile(confidence) * _standard_error(values, mean)
    return mean, mean - half, mean + half


def mean_difference_interval(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> tuple[float, float, float]:
    """(mean a - mean b, low, high), the normal interval with Welch's standard error."""
    if not a or not b:
        return 0.0, 0.0, 0.0
    mean_a, mean_b = math.fsum(a) / len(a), math.fsum(b) / len(b)
    error = math.hypot(
        _standard_error(a, mean_a) if len(a) > 1 else 0.0,
        _standard_error(b, mean_b) if len(b) > 1 else 0.0,
    )
    half = z_quantile(confidence) * error
    difference = mean_a - mean_b
    return difference, difference - half, difference + half


def _standard_error(values: Sequence[float], mean: float) -> float:
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance / len(values))
