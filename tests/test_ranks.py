"""The Wilcoxon-Mann-Whitney test from rank statistics, against scipy and R on the same data.

References: scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True) on the same
data (statistic and p-value equal bit for bit), R wilcox.test(correct = TRUE, exact = FALSE)
values stored in tests/reference/r_reference.json with their calls.
"""

import math

import numpy as np
import pytest
from exact import enumerated_rank_power
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial.kernels.ranks import normal_rank_stats, rank_stats_from_counts
from simtrial.stattests import mannwhitney

X = [50, 55, 60, 60, 65, 70, 70, 70, 85, 100]
Y = [40, 45, 50, 50, 50, 55, 60, 65, 65, 90]
SCIPY_ALTERNATIVE = {("two-sided", 1): "two-sided", ("two-sided", -1): "two-sided",
                     ("one-sided", 1): "greater", ("one-sided", -1): "less"}


def counts_on_grid(x, y):
    """Counts per level of two samples on the union of their values (the kernel's input)."""
    levels = np.unique(np.concatenate([x, y]))
    return (np.array([np.sum(np.asarray(x) == v) for v in levels], np.int64),
            np.array([np.sum(np.asarray(y) == v) for v in levels], np.int64))


def row_by_counting(x, y):
    u_t, tie_term = rank_stats_from_counts(*counts_on_grid(x, y))
    return np.array([[len(x), len(y), u_t, tie_term]])


def test_r_wilcox_test_values(r_ref):
    row = row_by_counting(X, Y)
    # wilcox.test(x, y, correct = TRUE, exact = FALSE)$statistic: W = U of x
    assert row[0, 2] == r_ref["stats_wilcox_twosided_ties_statistic"]["value"]
    assert mannwhitney(row, "two-sided", 1)[0] == pytest.approx(
        r_ref["stats_wilcox_twosided_ties_p_value"]["value"], rel=1e-12)
    assert mannwhitney(row, "one-sided", 1)[0] == pytest.approx(
        r_ref["stats_wilcox_greater_ties"]["value"], rel=1e-12)


@pytest.mark.parametrize("alt_sign", list(SCIPY_ALTERNATIVE))
def test_bit_for_bit_equal_to_scipy_on_heavily_tied_scores(alt_sign):
    # SF-36-like data: 0-100 in steps of 25 with a ceiling, 120 vs 80 patients: 5 levels only.
    gen = np.random.default_rng(7)
    x = gen.choice([0, 25, 50, 75, 100], 120, p=[0.05, 0.1, 0.25, 0.3, 0.3])
    y = gen.choice([0, 25, 50, 75, 100], 80, p=[0.1, 0.15, 0.3, 0.25, 0.2])
    ref = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True,
                             alternative=SCIPY_ALTERNATIVE[alt_sign])
    row = row_by_counting(x, y)
    assert row[0, 2] == ref.statistic
    assert mannwhitney(row, *alt_sign)[0] == ref.pvalue  # bit for bit


def test_all_values_tied_cannot_reject():
    # No variation: scipy's z is -inf and p = 1; an empty arm also gets p = 1.
    row = row_by_counting([3, 3, 3], [3, 3])
    assert mannwhitney(row, "two-sided", 1)[0] == 1.0
    assert stats.mannwhitneyu([3, 3, 3], [3, 3], method="asymptotic").pvalue == 1.0
    assert mannwhitney(np.array([[0.0, 5, 0, 0]]), "two-sided", 1)[0] == 1.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=60),
       st.lists(st.integers(0, 6), min_size=1, max_size=60),
       st.sampled_from(list(SCIPY_ALTERNATIVE)))
def test_property_counting_ranks_equal_scipy_on_any_tied_data(x, y, alt_sign):
    if len(set(x + y)) == 1:
        return  # all tied: covered above (scipy returns p = 1 with a warning-free -inf z)
    ref = stats.mannwhitneyu(x, y, method="asymptotic", use_continuity=True,
                             alternative=SCIPY_ALTERNATIVE[alt_sign])
    row = row_by_counting(x, y)
    assert row[0, 2] == ref.statistic
    assert mannwhitney(row, *alt_sign)[0] == ref.pvalue


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 60), st.integers(1, 60),
       st.floats(-1e3, 1e3), st.floats(1e-3, 1e3), st.floats(-1e3, 1e3), st.floats(1e-3, 1e3),
       st.sampled_from([0.0, 0.3]))
def test_property_sorting_kernel_equals_scipy_on_its_own_draws(seed, n_t, n_c, mean_t, sd_t,
                                                               mean_c, sd_c, drop):
    # normal_rank_stats draws treatment then control values from the generator (numba's
    # Generator gives numpy's streams: a dropout uniform, then the value if assessed), so
    # numpy can redraw the same data for scipy; its buckets are fitted to the means and sds,
    # which may put the arms far apart or one inside the other.
    out = np.empty((1, 4))
    normal_rank_stats(np.random.default_rng(seed), n_t, n_c, mean_t, sd_t, mean_c, sd_c,
                      drop, drop, out)
    gen = np.random.default_rng(seed)

    def arm(n, mean, sd):
        return np.array([gen.normal(mean, sd) for _ in range(n)
                         if drop == 0.0 or gen.random() >= drop])

    x = arm(n_t, mean_t, sd_t)
    y = arm(n_c, mean_c, sd_c)
    assert (out[0, 0], out[0, 1]) == (len(x), len(y))
    if len(x) and len(y):
        ref = stats.mannwhitneyu(x, y, method="asymptotic")
        assert out[0, 2] == ref.statistic
        assert mannwhitney(out, "two-sided", 1)[0] == ref.pvalue


@pytest.mark.parametrize("p_t, alternative", [
    ([0.5, 0.3, 0.2], "two-sided"),  # an effect
    pytest.param([0.2, 0.5, 0.3], "two-sided", marks=pytest.mark.slow),  # the exact size
    pytest.param([0.5, 0.3, 0.2], "less", marks=pytest.mark.slow),  # one-sided, lower better
])
def test_simulated_rank_power_within_4_mcse_of_enumeration(p_t, alternative):
    from conftest import scenario_text

    from simtrial.scenario import parse_scenario
    from simtrial.simulate import power

    p_c = [0.2, 0.5, 0.3]
    exact = enumerated_rank_power(p_t, p_c, 10, 7, alternative)
    sc = parse_scenario(scenario_text(f"""
        [[endpoints]]
        id = "o"
        kind = "ordinal"
        test = "mannwhitney"
        better = "lower"
        control = {{ probs = {p_c} }}
        treatment = {{ probs = {p_t} }}
    """, trial="allocation = [10, 7]\n"
               f"alternative = \"{'two-sided' if alternative == 'two-sided' else 'one-sided'}\"\n"))
    reps = 20_000
    res = power(sc, 17, reps=reps, seed=17).endpoints[0]
    mcse = math.sqrt(exact * (1 - exact) / reps)
    assert abs(res.power - exact) < 4 * mcse, (res.power, exact)
