"""Fisher's exact test against R fisher.test and scipy.stats.fisher_exact on the same tables."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial.kernels.fisher import fisher_pvalue, hypergeom_pvalues
from simtrial.stattests import fisher

SCIPY_ALTERNATIVE = {("two-sided", 1): "two-sided", ("one-sided", 1): "greater",
                     ("one-sided", -1): "less"}


def scipy_fisher(row, alternative, sign):
    m_t, x_t, m_c, x_c = (int(v) for v in row)
    table = [[x_t, m_t - x_t], [x_c, m_c - x_c]]
    return stats.fisher_exact(table, alternative=SCIPY_ALTERNATIVE[alternative, sign]).pvalue


@pytest.mark.parametrize("ref_id, row", [
    # fisher.test(matrix(c(x1, n1 - x1, x2, n2 - x2), 2))$p.value, tests/reference
    ("stats_fisher_p_x3_n15_x10_n15", [15, 3, 15, 10]),
    ("stats_fisher_p_x0_n65_x4_n35", [65, 0, 35, 4]),
    ("stats_fisher_p_x10_n56_x0_n29", [56, 10, 29, 0]),  # EVIDENCE E6: p = 0.013
    ("stats_fisher_p_x23_n49_x10_n29", [49, 23, 29, 10]),  # EVIDENCE E12
])
def test_two_sided_matches_r_fisher_test(r_ref, ref_id, row):
    for sign in (1, -1):  # the direction of benefit does not matter two-sided
        p = fisher(np.array([row]), "two-sided", sign)[0]
        assert p == pytest.approx(r_ref[ref_id]["value"], rel=1e-9)


@pytest.mark.parametrize("alternative, sign", list(SCIPY_ALTERNATIVE))
def test_matches_scipy_on_many_tables_sharing_margins(alternative, sign):
    # Fixed tables with varying numbers assessed (one p-value per table), some repeated.
    gen = np.random.default_rng(20261125)
    m_t = gen.integers(1, 45, 3000)
    m_c = gen.integers(1, 45, 3000)
    rows = np.column_stack([m_t, gen.integers(0, m_t + 1), m_c, gen.integers(0, m_c + 1)])
    rows = np.vstack([rows, rows[::7]])  # repeated tables
    got = fisher(rows, alternative, sign)
    want = np.array([scipy_fisher(r, alternative, sign) for r in rows])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_balanced_tables_count_equally_likely_tables_as_r_does():
    # m_t = m_c: tables x and s - x are equally likely in exact arithmetic; R's relative
    # tolerance 1e-7 counts both.
    # > print(fisher.test(matrix(c(10, 10, 5, 15), 2))$p.value, digits = 10)  # R 4.2.2
    # [1] 0.1907925723
    p = fisher(np.array([[20, 10, 20, 5]]), "two-sided", 1)[0]
    assert p == pytest.approx(scipy_fisher([20, 10, 20, 5], "two-sided", 1), rel=1e-12)
    assert p == pytest.approx(0.1907925723, rel=1e-9)


def test_empty_arm_cannot_reject():
    p = fisher(np.array([[0, 0, 10, 3], [10, 3, 0, 0]]), "two-sided", 1)
    np.testing.assert_array_equal(p, [1.0, 1.0])


def test_empty_arm_in_every_replicate_and_no_replicates():
    p = fisher(np.array([[0, 0, 10, 3], [0, 0, 10, 5]]), "two-sided", 1)
    np.testing.assert_array_equal(p, [1.0, 1.0])
    assert fisher(np.empty((0, 4), np.int64), "two-sided", 1).shape == (0,)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80), st.data(),
       st.sampled_from(list(SCIPY_ALTERNATIVE)))
def test_property_equals_scipy_on_any_table(m_t, m_c, data, alt_sign):
    x_t = data.draw(st.integers(0, m_t))
    x_c = data.draw(st.integers(0, m_c))
    row = [m_t, x_t, m_c, x_c]
    got = fisher(np.array([row]), *alt_sign)[0]
    assert got == pytest.approx(scipy_fisher(row, *alt_sign), rel=1e-12)


def r_rule_exact(m_t, m_c, s, x, tail):
    """R fisher.test's p-value in exact integer arithmetic, rounded once to a float.

    The hypergeometric pmf is proportional to ``C(m_t, y) C(m_c, s - y)``; two-sided, the
    tables with ``d <= d_obs * (1 + 1e-7)`` count (R's ``relErr``), compared as integers.
    """
    lo, hi = max(0, s - m_c), min(s, m_t)
    weight = {y: math.comb(m_t, y) * math.comb(m_c, s - y) for y in range(lo, hi + 1)}
    if tail == 0:
        counted = sum(w for w in weight.values() if w * 10**7 <= weight[x] * (10**7 + 1))
    else:
        counted = sum(w for y, w in weight.items() if (y - x) * tail >= 0)
    return float(Fraction(counted, sum(weight.values())))


@st.composite
def margins_and_x(draw):
    """Tables from 2 to ~5000 patients, with s and x often at the ends of their ranges."""
    arm = st.one_of(st.integers(1, 12), st.integers(1, 2500))
    m_t, m_c = draw(arm), draw(arm)
    s = draw(st.one_of(st.just(0), st.just(m_t + m_c), st.integers(0, m_t + m_c)))
    lo, hi = max(0, s - m_c), min(s, m_t)
    x = draw(st.one_of(st.just(lo), st.just(hi), st.integers(lo, hi)))
    return m_t, m_c, s, x


@settings(max_examples=300, deadline=None)
@given(margins_and_x(), st.sampled_from([0, 1, -1]))
def test_property_one_table_equals_whole_support_exact_arithmetic_and_scipy(table, tail):
    # The walk from the mode stops where the rest of the pmf is below TAIL_BOUND of its sums;
    # the whole-support table, exact rational arithmetic and scipy must all agree with it.
    m_t, m_c, s, x = table
    work, pvalues = np.empty(m_t + 1), np.empty(m_t + 1)
    got = fisher_pvalue(m_t, m_c, s, x, tail, work)
    lo = hypergeom_pvalues(m_t, m_c, s, tail, pvalues, work, np.empty(m_t + 1, np.int64))
    assert got == pytest.approx(pvalues[x - lo], rel=1e-12, abs=0)
    # Below the smallest normal double (2.2e-308) the pmf relative to the mode's loses digits
    # to underflow, in the walk as in the table: there only an absolute bound holds.
    assert got == pytest.approx(r_rule_exact(m_t, m_c, s, x, tail), rel=1e-12, abs=1e-300)
    alternative = {0: "two-sided", 1: "greater", -1: "less"}[tail]
    want = stats.fisher_exact([[x, m_t - x], [s - x, m_c - s + x]], alternative).pvalue
    assert got == pytest.approx(want, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("alternative, sign", list(SCIPY_ALTERNATIVE))
def test_without_dropout_shared_tables_equal_scipy(alternative, sign):
    # Same numbers assessed in every replicate: replicates are grouped by total events, large
    # groups share a table of p-values and small ones (the tails of s) get one walk each.
    gen = np.random.default_rng(20260512)
    for m_t, m_c, p in ((65, 35, 0.25), (936, 504, 0.22), (40, 40, 0.02)):
        rows = np.column_stack([np.full(3000, m_t), gen.binomial(m_t, p, 3000),
                                np.full(3000, m_c), gen.binomial(m_c, p, 3000)])
        got = fisher(rows, alternative, sign)
        want = np.array([scipy_fisher(r, alternative, sign) for r in rows])
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
