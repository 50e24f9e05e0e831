"""The hand-written statistics agree with scipy.stats, on small and zero counts too."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from journey.results.stats import (
    always_valid_p,
    compare_proportions,
    fisher_exact,
    newcombe_interval,
    two_proportion_z,
    wilson_interval,
)

TABLES = [
    (0, 0, 0, 0),
    (0, 5, 0, 5),
    (0, 10, 3, 7),
    (1, 9, 11, 3),
    (3, 1, 1, 3),
    (2, 0, 0, 2),
    (7, 12, 0, 15),
    (8, 2, 1, 5),
    (40, 960, 25, 975),
    (120, 380, 95, 405),
    (500, 9500, 430, 9570),
    (1, 0, 0, 0),
    (0, 1, 1, 0),
    (12, 12, 12, 12),
]


@pytest.mark.parametrize("table", TABLES)
def test_fisher_matches_scipy(table: tuple[int, int, int, int]) -> None:
    a, b, c, d = table
    ours = fisher_exact(a, b, c, d)
    _, reference = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided")
    assert ours.p_value == pytest.approx(reference, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(
    ("successes", "trials"),
    [(0, 1), (0, 10), (1, 1), (10, 10), (3, 7), (1, 100), (99, 100), (0, 5000), (4321, 10000)],
)
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_scipy(successes: int, trials: int, confidence: float) -> None:
    reference = scipy_stats.binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    low, high = wilson_interval(successes, trials, confidence)
    assert low == pytest.approx(reference.low, abs=1e-12)
    assert high == pytest.approx(reference.high, abs=1e-12)


def test_wilson_with_no_trials_knows_nothing() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(40, 1000, 25, 1000), (120, 500, 95, 500), (30, 100, 10, 100), (500, 10000, 430, 10000)],
)
def test_z_test_matches_the_normal_reference(x1: int, n1: int, x2: int, n2: int) -> None:
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    ours = two_proportion_z(x1, n1, x2, n2)
    assert ours.statistic == pytest.approx(z)
    assert ours.p_value == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), rel=1e-9)


def test_z_test_with_nothing_converted_anywhere_finds_no_difference() -> None:
    assert two_proportion_z(0, 100, 0, 100).p_value == 1.0


def test_newcombe_reproduces_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a), method 10.
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_covers_zero_counts_and_stays_inside_minus_one_to_one() -> None:
    low, high = newcombe_interval(0, 10, 0, 20)
    assert -1 <= low < 0 < high <= 1
    low, high = newcombe_interval(10, 10, 0, 10)
    assert 0 < low < high <= 1


def test_small_counts_are_tested_exactly_and_large_ones_with_z() -> None:
    assert compare_proportions(3, 20, 1, 20).method == "fisher_exact"
    assert compare_proportions(0, 0, 0, 0).method == "fisher_exact"
    assert compare_proportions(120, 500, 95, 500).method == "two_proportion_z"


def test_the_always_valid_p_value_never_rises_and_ends_no_lower_than_one_look() -> None:
    looks = [(n // 10, n, n // 12, n) for n in range(100, 3001, 100)]
    running = [always_valid_p(looks[: i + 1]) for i in range(len(looks))]
    assert running == sorted(running, reverse=True)
    assert running[-1] >= two_proportion_z(*looks[-1]).p_value


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(5, 3)
    with pytest.raises(ValueError, match="counts >= 0"):
        fisher_exact(-1, 2, 3, 4)


def test_daily_peeking_at_an_a_a_test_rarely_finds_a_winner_with_the_always_valid_p() -> None:
    """300 experiments with no true difference, looked at every day for 30 days."""
    import random

    rng = random.Random(20261202)
    naive_winners = sequential_winners = 0
    for _ in range(300):
        x1 = x2 = n = 0
        looks = []
        naive = False
        for _day in range(30):
            for _ in range(40):
                x1 += rng.random() < 0.1
                x2 += rng.random() < 0.1
            n += 40
            looks.append((x1, n, x2, n))
            naive = naive or two_proportion_z(x1, n, x2, n).p_value < 0.05
        naive_winners += naive
        sequential_winners += always_valid_p(looks) < 0.05
    assert sequential_winners / 300 <= 0.05
    assert naive_winners / 300 > 0.1  # what the rule protects against
