"""The exact-power cost estimates: the same work as the tables they avoid, bounded memory."""

import tracemalloc

import numpy as np
import pytest
from scipy import stats

from simtrial.exact import (
    MASS_CUTOFF,
    MAX_TABLE_BYTES,
    endpoint_exact,
    enumeration_work,
    table_bytes,
)
from simtrial.scenario import load_scenario


def dense_work(test, n_t, n_c, p_t, p_c, drop_t, drop_c):
    """The work as first computed: from the full tables (rows x (n + 1)) and the outer product."""
    def table(n, dropout, p):
        weight = stats.binom.pmf(np.arange(n + 1), n, 1 - dropout)
        keep = weight >= MASS_CUTOFF
        events = stats.binom.pmf(np.arange(n + 1)[None, :], np.arange(n + 1)[keep][:, None], p)
        return weight[keep], (events >= MASS_CUTOFF).sum(axis=1).astype(float)

    (w_t, r_t), (w_c, r_c) = table(n_t, drop_t, p_t), table(n_c, drop_c, p_c)
    visited = np.outer(w_t, w_c) >= MASS_CUTOFF
    if test == "chisq":
        return float((np.outer(r_t, r_c) * visited).sum())
    return float(((r_t[:, None] + r_c[None, :]) ** 2 * visited).sum())


@pytest.mark.parametrize("test", ["chisq", "fisher"])
@pytest.mark.parametrize(("n_t", "n_c", "p_t", "p_c", "drop_t", "drop_c"), [
    (260, 140, 0.18, 0.30, 0.25, 0.10), (30, 17, 0.5, 0.02, 0.0, 0.3),
    (1, 1, 0.0, 1.0, 0.5, 0.0), (900, 1100, 0.001, 0.999, 0.05, 0.6),
    (2000, 50, 0.3, 0.3, 0.01, 0.99), (7, 400, 1.0, 0.0, 0, 0)])
def test_work_equals_the_dense_tables(test, n_t, n_c, p_t, p_c, drop_t, drop_c):
    # Same rows, same ranges, same visited pairs: equal up to the order of summation.
    ours = enumeration_work(test, n_t, n_c, p_t, p_c, drop_t, drop_c)
    assert ours == pytest.approx(dense_work(test, n_t, n_c, p_t, p_c, drop_t, drop_c), rel=1e-12)


def test_estimates_take_little_memory_at_a_million():
    # The dense tables took 2.7 GB at n = 1e5 and did not fit in 24 GB at n = 1e6.
    tracemalloc.start()
    work = enumeration_work("chisq", 650_000, 350_000, 0.18, 0.30, 0.25, 0.10)
    size = table_bytes(650_000, 350_000, 0.25, 0.10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6 and work > 1e13 and size > 1e10  # 30 GB of tables not built


def test_table_bytes_counts_rows_of_n_plus_one():
    # No dropout: one row per arm; dropout 0.5 at n = 100: the m with Bin(100, 0.5) >= 1e-12.
    assert table_bytes(10, 20, 0.0, 0.0) == 8 * (11 + 21)
    rows = int((stats.binom.pmf(np.arange(101), 100, 0.5) >= MASS_CUTOFF).sum())
    assert table_bytes(100, 1, 0.5, 0.0) == 8 * (rows * 101 + 2)


def test_tables_too_large_or_work_too_long_are_skipped_with_a_reason(monkeypatch):
    from simtrial import exact

    ep = load_scenario("msc-covid19").endpoint("ct_normal")
    value, reason = endpoint_exact(ep, 260, 140, 0.05, "two-sided")
    assert value is not None and reason is None and table_bytes(260, 140, 0, 0) == 3216
    monkeypatch.setattr(exact, "MAX_TABLE_BYTES", 3215)
    value, reason = endpoint_exact(ep, 260, 140, 0.05, "two-sided")
    assert value is None and "would not fit" in reason
    value, reason = endpoint_exact(ep, 6_500_000, 3_500_000, 0.05, "two-sided")
    assert value is None and "too long" in reason
    assert MAX_TABLE_BYTES == 64 * 2**20
