r"""Exact power of the binary tests (chi-square, Fisher) by enumerating every 2x2 table.

Power is the probability of the test's rejection region under the true proportions:

.. math::

    \sum_{m_t, m_c} P(m_t) P(m_c) \sum_{x_t, x_c} \mathrm{Bin}(x_t; m_t, p_t)\,
    \mathrm{Bin}(x_c; m_c, p_c)\, [\text{the table } (m_t, x_t, m_c, x_c) \text{ rejects}]

with :math:`m \sim \mathrm{Bin}(n, 1 - \text{dropout})` the numbers assessed. Unlike the
textbook normal approximation (:mod:`simtrial.analytic`) this is the power of the test the
simulation runs, so simulated power estimates it.

For speed, values of the four binomial distributions whose probability is below
:data:`MASS_CUTOFF`, and pairs of assessed numbers whose joint probability is, are left out;
the result is exact up to an error below ``(n_t + 1) (n_c + 1) MASS_CUTOFF`` plus
``2 (n + 2) MASS_CUTOFF`` (under 1e-7 at n = 400; in practice about 1e-11).

With dropout the enumeration visits every likely pair of numbers assessed, and its cost grows
like n^3 (Fisher: about 1 s at n = 400 with 20% dropout, 40 s at n = 1600; the chi-square
test, which finds each row's acceptance interval by bisection: 0.01 s at n = 400 with 10%
dropout, 0.17 s at n = 1600, 1.1 s at n = 3200). Results therefore carry the exact power only
when the enumeration takes no more than about half a second to a second (:data:`MAX_WORK`)
and its tables of binomial probabilities fit in :data:`MAX_TABLE_BYTES`; both costs are
estimated first, in memory proportional to the number of likely numbers assessed (not n), so
that a large n is skipped with a reason instead of filling the memory.
:func:`binary_exact_power` itself computes it whatever it costs.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special, stats

from simtrial.errors import InputError

__all__ = ["MASS_CUTOFF", "MAX_TABLE_BYTES", "MAX_WORK", "binary_exact_power",
           "endpoint_exact", "endpoint_exact_power", "enumeration_work", "table_bytes"]

#: Binomial probabilities below this are left out of the enumeration.
MASS_CUTOFF = 1e-12
#: Largest enumeration :func:`endpoint_exact_power` attempts, per test, in units of
#: :func:`enumeration_work` (about half a second for chisq and a second for Fisher, on one
#: core of the 2-core reference machine).
MAX_WORK = {"chisq": 4e8, "fisher": 1e8, "farrington-manning": 3e7}
#: Largest tables of binomial probabilities :func:`endpoint_exact_power` builds (both arms):
#: one row of ``n + 1`` per likely number assessed, so about 4 million patients per arm
#: without dropout (such an n passes :data:`MAX_WORK` without dropout).
MAX_TABLE_BYTES = 64 * 2**20
_TESTS = ("chisq", "fisher")


def endpoint_exact_power(endpoint, n_t: int, n_c: int, alpha: float,
                         alternative: str) -> float | None:
    """Exact power of a binary endpoint's test, or None where it is not computed.

    None when the test is neither chisq nor fisher, or when the enumeration would cost more
    than :data:`MAX_WORK` or :data:`MAX_TABLE_BYTES` (see the module docstring and
    :func:`endpoint_exact`, which also says why).

    Parameters
    ----------
    endpoint : simtrial.scenario.Endpoint
    n_t, n_c : int
        Patients randomised per arm.
    alpha : float
    alternative : {"two-sided", "one-sided"}

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("msc-covid19").endpoint("ct_normal")
    >>> round(endpoint_exact_power(ep, 260, 140, 0.05, "two-sided"), 4)
    0.5806
    """
    return endpoint_exact(endpoint, n_t, n_c, alpha, alternative)[0]


def endpoint_exact(endpoint, n_t: int, n_c: int, alpha: float,
                   alternative: str) -> tuple[float | None, str | None]:
    """``(exact power, None)``, or ``(None, why it is not computed)`` for a binary test.

    Other tests give ``(None, None)``: they have no enumeration to skip.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> ep = load_scenario("msc-covid19").endpoint("walk_lln")  # 10% to 25% dropout
    >>> endpoint_exact(ep, 650_000, 350_000, 0.05, "two-sided")
    (None, 'not computed: enumerating every table at this n would take too long')
    """
    if endpoint.test not in _TESTS:
        return None, None
    p_t, p_c, (drop_t, drop_c) = endpoint.treatment["p"], endpoint.control["p"], endpoint.dropout
    margin = endpoint.margin
    budget = MAX_WORK[endpoint.test if margin is None else "farrington-manning"]
    if enumeration_work(endpoint.test, n_t, n_c, p_t, p_c, drop_t, drop_c) > budget:
        return None, "not computed: enumerating every table at this n would take too long"
    if table_bytes(n_t, n_c, drop_t, drop_c) > MAX_TABLE_BYTES:
        return None, "not computed: the tables of binomial probabilities at this n would not fit"
    return binary_exact_power(endpoint.test, n_t, n_c, p_t, p_c, alpha, drop_t, drop_c,
                              alternative=alternative, sign=endpoint.benefit_sign,
                              margin=margin), None


@lru_cache(maxsize=1024)
def binary_exact_power(test: str, n_t: int, n_c: int, p_t: float, p_c: float, alpha: float,
                       drop_t: float = 0.0, drop_c: float = 0.0, *,
                       alternative: str = "two-sided", sign: int = 1,
                       margin: float | None = None) -> float:
    """Exact rejection probability of ``test`` (``"chisq"`` or ``"fisher"``).

    With a ``margin`` (chisq, one-sided only), the Farrington-Manning test of the risk
    difference against it (:func:`simtrial.stattests.farrington_manning`), every table
    evaluated.

    Parameters
    ----------
    test : {"chisq", "fisher"}
    n_t, n_c : int
        Patients randomised per arm.
    p_t, p_c : float
        True event probabilities.
    alpha : float
    drop_t, drop_c : float
        Probability that a randomised patient is not assessed.
    alternative : {"two-sided", "one-sided"}
    sign : {1, -1}
        Direction of benefit (+1: more events is better).
    margin : float or None
        Risk difference under H0 of the Farrington-Manning test; None: no margin.

    Returns
    -------
    float

    Examples
    --------
    >>> round(binary_exact_power("fisher", 15, 15, 0.2, 0.6, 0.05), 4)  # scipy loop: 0.447277
    0.4473
    >>> round(binary_exact_power("chisq", 100, 100, 0.2, 0.2, 0.025, alternative="one-sided",
    ...                          sign=-1, margin=0.1), 6)  # tests/test_margins.py (numpy)
    0.420518
    """
    from simtrial.kernels.exact import (
        CHISQ,
        FARRINGTON_MANNING,
        FISHER,
        binary_rejection_probability,
    )

    _binary_exact_power_iv(test, n_t, n_c, p_t, p_c, alpha, drop_t, drop_c, alternative, sign)
    if margin is not None and (test != "chisq" or alternative != "one-sided"):
        raise InputError(f"a `margin` needs test 'chisq' and a one-sided alternative, got "
                         f"{test!r} and {alternative!r}")
    assessed_t, weight_t, events_t = _arm_table(n_t, drop_t, p_t)
    assessed_c, weight_c, events_c = _arm_table(n_c, drop_c, p_c)
    tail = 0 if alternative == "two-sided" else sign
    z_crit = float(special.ndtri(1 - alpha / 2 if tail == 0 else 1 - alpha))
    code = FARRINGTON_MANNING if margin is not None else CHISQ if test == "chisq" else FISHER
    return float(binary_rejection_probability(
        assessed_t, weight_t, events_t, assessed_c, weight_c, events_c, code, tail, alpha,
        z_crit, MASS_CUTOFF, 0.0 if margin is None else margin))


def enumeration_work(test: str, n_t: int, n_c: int, p_t: float, p_c: float, drop_t: float,
                     drop_c: float) -> float:
    """Size of the enumeration :func:`binary_exact_power` would do (its cost, roughly).

    Over the pairs of numbers assessed it visits, the chi-square test covers
    ``range_t * range_c`` tables (the event counts of non-negligible probability; it tests
    about ``range_t * 2 log2(range_c)`` of them, and its time per table covered grows from about
    0.8 ns at n = 400 to 1.4 ns at n = 3200) and Fisher's test tabulates about
    ``(range_t + range_c)^2`` hypergeometric probabilities.

    It is computed from each likely number assessed's range of likely event counts (found by
    bisection, the binomial probabilities being unimodal) without building the tables, and
    from the pairs visited counted per treated row by a binary search: memory in proportion
    to the likely numbers assessed, about 14 sd of their binomial, at any n.

    Examples
    --------
    >>> enumeration_work("fisher", 260, 140, 0.3, 0.2, 0.0, 0.0) < 1e5  # no dropout: one pair
    True
    """
    weight_t, range_t = _likely_rows(n_t, drop_t, p_t)
    weight_c, range_c = _likely_rows(n_c, drop_c, p_c)
    order = np.argsort(-weight_c, kind="stable")
    # visited[i] = how many control rows j have weight_t[i] * weight_c[j] >= MASS_CUTOFF
    visited = np.searchsorted(-weight_c[order], -MASS_CUTOFF / weight_t, side="right")
    sum_c = np.concatenate([[0.0], np.cumsum(range_c[order])])
    if test == "chisq":
        return float((range_t * sum_c[visited]).sum())
    sum_c2 = np.concatenate([[0.0], np.cumsum(range_c[order] ** 2)])
    return float((visited * range_t**2 + 2 * range_t * sum_c[visited] + sum_c2[visited]).sum())


def table_bytes(n_t: int, n_c: int, drop_t: float, drop_c: float) -> int:
    """Memory of the two arms' tables that :func:`binary_exact_power` builds.

    A row of ``n + 1`` probabilities per likely number assessed (probability at least
    :data:`MASS_CUTOFF`).

    Examples
    --------
    >>> table_bytes(260, 140, 0.0, 0.0)  # one row per arm
    3216
    """
    size = 0
    for n, dropout in ((n_t, drop_t), (n_c, drop_c)):
        (lo, hi), = _likely_interval(np.array([n]), 1 - dropout)
        size += 8 * int(hi - lo + 1) * (n + 1)
    return size


def _likely_interval(m: np.ndarray, p: float) -> np.ndarray:
    """``(lo, hi)`` per row: the event counts whose Bin(m, p) probability is >= MASS_CUTOFF.

    The binomial probabilities rise to the mode and fall after it, and the mode's is at least
    ``1 / (m + 1)``, so each end is found by bisection on its side of the mode.
    """
    m = np.asarray(m, dtype=np.int64)
    mode = np.minimum(np.floor((m + 1) * p).astype(np.int64), m)

    def likely(x):
        return stats.binom.pmf(x, m, p) >= MASS_CUTOFF

    lo, hi = np.zeros_like(m), mode.copy()  # first likely count in [0, mode]
    while (lo < hi).any():
        mid = (lo + hi) // 2
        ok = likely(mid)
        lo, hi = np.where(ok, lo, mid + 1), np.where(ok, mid, hi)
    first = lo
    lo, hi = mode.copy(), m.copy()  # last likely count in [mode, m]
    while (lo < hi).any():
        mid = (lo + hi + 1) // 2
        ok = likely(mid)
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid - 1)
    return np.stack([first, lo], axis=-1)


def _likely_rows(n: int, dropout: float, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of the likely numbers assessed, and each one's count of likely events.

    The rows of :func:`_arm_table`, without its table.
    """
    (lo, hi), = _likely_interval(np.array([n]), 1 - dropout)
    assessed = np.arange(lo, hi + 1)
    weight = stats.binom.pmf(assessed, n, 1 - dropout)
    bounds = _likely_interval(assessed, p)
    return weight, (bounds[:, 1] - bounds[:, 0] + 1).astype(float)


@lru_cache(maxsize=64)
def _arm_table(n: int, dropout: float, p: float):
    """Numbers assessed with their probabilities, and the event distribution given each."""
    assessed = np.arange(n + 1)
    weight = stats.binom.pmf(assessed, n, 1 - dropout)
    keep = weight >= MASS_CUTOFF
    assessed, weight = assessed[keep], weight[keep]
    events = stats.binom.pmf(np.arange(n + 1)[None, :], assessed[:, None], p)
    events[events < MASS_CUTOFF] = 0.0
    return assessed.astype(np.int64), weight, events


def _binary_exact_power_iv(test, n_t, n_c, p_t, p_c, alpha, drop_t, drop_c, alternative, sign):
    if test not in _TESTS:
        raise InputError(f"`test` must be one of {', '.join(_TESTS)}, got {test!r}")
    for name, value in (("n_t", n_t), ("n_c", n_c)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise InputError(f"`{name}` must be an integer >= 1, got {value!r}")
    for name, value in (("p_t", p_t), ("p_c", p_c)):
        if not 0 <= value <= 1:
            raise InputError(f"`{name}` must be in [0, 1], got {value!r}")
    for name, value in (("drop_t", drop_t), ("drop_c", drop_c)):
        if not 0 <= value < 1:
            raise InputError(f"`{name}` must be in [0, 1), got {value!r}")
    if not 0 < alpha < 1:
        raise InputError(f"`alpha` must be in (0, 1), got {alpha!r}")
    if alternative not in ("two-sided", "one-sided"):
        raise InputError(f"`alternative` must be 'two-sided' or 'one-sided', got {alternative!r}")
    if sign not in (1, -1):
        raise InputError(f"`sign` must be 1 or -1, got {sign!r}")
