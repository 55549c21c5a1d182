"""p-values of the two-sample tests against R (tests/reference/r_reference.json) and scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from simtrial.stattests import chisq, ttest, welch

X = np.array([50, 55, 60, 60, 65, 70, 70, 70, 85, 100.0])
Y = np.array([40, 45, 50, 50, 50, 55, 60, 65, 65, 90.0])


def moments(x, y):
    return np.array([[len(x), x.mean(), ((x - x.mean()) ** 2).sum(),
                      len(y), y.mean(), ((y - y.mean()) ** 2).sum()]])


@pytest.mark.parametrize(("x_t", "n_t", "x_c", "n_c"),
                         [(3, 15, 10, 15), (0, 65, 4, 35), (10, 56, 0, 29), (23, 49, 10, 29)])
def test_chisq_matches_r_prop_test(r_ref, x_t, n_t, x_c, n_c):
    # R: prop.test(c(x1, x2), c(n1, n2), correct = FALSE)$p.value
    ref = r_ref[f"stats_prop_test_nocorrect_p_x{x_t}_n{n_t}_x{x_c}_n{n_c}"]["value"]
    p = chisq(np.array([[n_t, x_t, n_c, x_c]]), "two-sided", 1)[0]
    assert p == pytest.approx(ref, rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80), st.data())
def test_chisq_equals_scipy_contingency(n_t, n_c, data):
    x_t, x_c = data.draw(st.integers(0, n_t)), data.draw(st.integers(0, n_c))
    p = chisq(np.array([[n_t, x_t, n_c, x_c]]), "two-sided", 1)[0]
    table = [[x_t, n_t - x_t], [x_c, n_c - x_c]]
    if 0 in (x_t + x_c, n_t + n_c - x_t - x_c):
        assert p == 1.0  # no events (or no non-events) at all: undefined, cannot reject
    else:
        assert p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue,
                                  rel=1e-9, abs=1e-300)


def test_chisq_one_sided_counts_only_the_direction_of_benefit():
    counts = np.array([[100, 20, 100, 35]])  # treatment has fewer events
    two = chisq(counts, "two-sided", -1)[0]
    assert chisq(counts, "one-sided", -1)[0] == pytest.approx(two / 2, rel=1e-12)
    assert chisq(counts, "one-sided", 1)[0] == pytest.approx(1 - two / 2, rel=1e-12)


def test_ttest_and_welch_match_r(r_ref):
    m = moments(X, Y)
    # R: t.test(x, y, var.equal = TRUE)$p.value and t.test(x, y)$p.value (Welch)
    assert ttest(m, "two-sided", 1)[0] == pytest.approx(
        r_ref["stats_t_test_pooled_ties_p_value"]["value"], rel=1e-10)
    assert welch(m, "two-sided", 1)[0] == pytest.approx(
        r_ref["stats_t_test_welch_ties_p_value"]["value"], rel=1e-10)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30),
       st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=30),
       st.sampled_from(["two-sided", "one-sided"]), st.sampled_from([1, -1]))
def test_t_tests_equal_scipy(x, y, alternative, sign):
    x, y = np.array(x), np.array(y)
    if min(np.ptp(x), np.ptp(y)) < 1e-6:
        return  # near-constant samples: scipy's own precision is the issue there
    side = "two-sided" if alternative == "two-sided" else ("greater" if sign == 1 else "less")
    for ours, equal_var in ((ttest, True), (welch, False)):
        ref = stats.ttest_ind(x, y, equal_var=equal_var, alternative=side).pvalue
        assert ours(moments(x, y), alternative, sign)[0] == pytest.approx(ref, rel=1e-7,
                                                                          abs=1e-12)


def numpy_t_test(moments, unequal, alternative, sign):
    """The t and Welch tests as vectorised textbook formulas with scipy.special.stdtr: the
    independent version of simtrial's one-pass kernel (kernels/ttest.py)."""
    m_t, mean_t, ss_t, m_c, mean_c, ss_c = moments.T
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if unequal:
            v_t, v_c = ss_t / (m_t - 1) / m_t, ss_c / (m_c - 1) / m_c
            df = (v_t + v_c) ** 2 / (v_t**2 / (m_t - 1) + v_c**2 / (m_c - 1))
            t = np.where((m_t >= 2) & (m_c >= 2), (mean_t - mean_c) / np.sqrt(v_t + v_c), np.nan)
            df = np.where(np.isfinite(df), df, 1.0)
        else:
            df = m_t + m_c - 2
            se = np.sqrt((ss_t + ss_c) / df * (1 / m_t + 1 / m_c))
            t = np.where(df >= 1, (mean_t - mean_c) / se, np.nan)
            df = np.maximum(df, 1.0)
        if alternative == "two-sided":
            p = np.minimum(2 * special.stdtr(df, -np.abs(t)), 1.0)
        else:
            p = special.stdtr(df, -sign * t)
    return np.where(np.isnan(p), 1.0, p)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["two-sided", "one-sided"]),
       st.sampled_from([1, -1]))
def test_one_pass_t_tests_equal_the_vectorised_formulas(seed, alternative, sign):
    # 200 replicates of moments, a quarter of them degenerate (0 to 2 assessed, zero spread).
    gen = np.random.default_rng(seed)
    m = gen.integers(0, 400, (200, 2)).astype(float)
    m[gen.random((200, 2)) < 0.25] = gen.integers(0, 3)
    ss = gen.exponential(50.0, (200, 2)) * (gen.random((200, 2)) > 0.1) * np.maximum(m - 1, 0)
    means = gen.normal(0.0, 1.0, (200, 2))
    moments = np.column_stack([m[:, 0], means[:, 0], ss[:, 0], m[:, 1], means[:, 1], ss[:, 1]])
    for ours, unequal in ((ttest, False), (welch, True)):
        np.testing.assert_allclose(ours(moments, alternative, sign),
                                   numpy_t_test(moments, unequal, alternative, sign),
                                   rtol=1e-11, atol=1e-300)


def test_undefined_statistics_never_reject():
    empty_arm = np.array([[0, 0.0, 0.0, 10, 1.0, 4.0]])
    constant = np.array([[5, 1.0, 0.0, 5, 1.0, 0.0]])
    for test in (ttest, welch):
        assert test(empty_arm, "two-sided", 1)[0] == 1.0
        assert test(constant, "two-sided", 1)[0] == 1.0
    assert chisq(np.array([[0, 0, 10, 3]]), "two-sided", 1)[0] == 1.0
    assert chisq(np.array([[10, 0, 10, 0]]), "one-sided", 1)[0] == 1.0


def test_an_arm_with_nobody_assessed_raises_no_warning():
    # pytest turns warnings into errors: the empty arm must give p = 1 silently.
    assert chisq(np.array([[0, 0, 0, 0], [0, 0, 5, 2]]), "two-sided", 1).tolist() == [1.0, 1.0]
