"""Fisher's exact test against R fisher.test and scipy.stats.fisher_exact on the same tables."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

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
    # Fixed tables: many share margins, so the per-margin cache is exercised, in shuffled order.
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


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80), st.data(),
       st.sampled_from(list(SCIPY_ALTERNATIVE)))
def test_property_equals_scipy_on_any_table(m_t, m_c, data, alt_sign):
    x_t = data.draw(st.integers(0, m_t))
    x_c = data.draw(st.integers(0, m_c))
    row = [m_t, x_t, m_c, x_c]
    got = fisher(np.array([row]), *alt_sign)[0]
    assert got == pytest.approx(scipy_fisher(row, *alt_sign), rel=1e-12)
