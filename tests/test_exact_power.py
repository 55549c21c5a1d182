"""Exact power of the binary tests (simtrial.exact) against independent enumerations and
against simulation.

The references enumerate every 2x2 table with the obvious code: tests/exact.py's chi-square
(contingency-table form of the statistic) and a loop over scipy.stats.fisher_exact. Simulated
power must lie within 4 MCSE of the exact power (MCSE = sqrt(p (1 - p) / reps)); at zero effect
the simulated type I error must lie within 3 MCSE of the exact size, which for Fisher's test is
at most alpha.
"""

import json
import math
import time

import numpy as np
import pytest
from exact import MASS_CUTOFF, chisq_power_exact
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from test_power_montecarlo import binary as montecarlo_binary

from simtrial.cli import main
from simtrial.display import power_csv, power_table
from simtrial.exact import MAX_WORK, binary_exact_power, enumeration_work
from simtrial.simulate import power
from simtrial.stattests import fisher

REPS = 20_000


def fisher_power_enumerated(n_t, n_c, p_t, p_c, alpha, drop_t=0.0, drop_c=0.0,
                            alternative="two-sided"):
    """Sum of binomial probabilities of the tables scipy's fisher_exact rejects."""
    def assessed(n, drop):
        m = np.arange(n + 1)
        w = stats.binom.pmf(m, n, 1 - drop)
        return [(int(k), float(v)) for k, v in zip(m, w, strict=True) if v > MASS_CUTOFF]

    total = 0.0
    for m_t, w_t in assessed(n_t, drop_t):
        for m_c, w_c in assessed(n_c, drop_c):
            if m_t == 0 or m_c == 0:
                continue
            for x_t in range(m_t + 1):
                for x_c in range(m_c + 1):
                    table = [[x_t, m_t - x_t], [x_c, m_c - x_c]]
                    if stats.fisher_exact(table, alternative=alternative).pvalue <= alpha:
                        total += (w_t * w_c * stats.binom.pmf(x_t, m_t, p_t)
                                  * stats.binom.pmf(x_c, m_c, p_c))
    return total


@pytest.mark.parametrize("args", [
    (12, 9, 0.2, 0.7, 0.05, 0.2, 0.1),
    (15, 15, 0.2, 0.6, 0.05, 0.0, 0.0),
    (18, 11, 0.5, 0.5, 0.05, 0.1, 0.3),  # zero effect: the exact size
])
def test_fisher_two_sided_equals_enumeration_over_scipy(args):
    assert binary_exact_power("fisher", *args) == pytest.approx(
        fisher_power_enumerated(*args), abs=1e-10)


def test_p_value_exactly_alpha_is_a_rounding_question():
    # 0 of 19 vs 2 of 6: p = C(6, 2) / C(25, 2) = 15 / 300 = 0.05 exactly, the smallest table.
    # R 4.2.2 fisher.test(matrix(c(0, 19, 2, 4), 2))$p.value prints 0.050000000000000044 and
    # scipy 0.05000000000000001; simtrial's ratio recurrence gets 0.05 and rejects at 0.05, as
    # the exact test should. Such tables are why exact power is compared with scipy's
    # enumeration on designs without them.
    p = fisher(np.array([[19, 0, 6, 2]]), "two-sided", 1)[0]
    assert p == pytest.approx(0.05, rel=1e-15)


@pytest.mark.parametrize("sign, scipy_alternative", [(1, "greater"), (-1, "less")])
def test_fisher_one_sided_equals_enumeration_over_scipy(sign, scipy_alternative):
    args = (14, 10, 0.6, 0.25, 0.05, 0.1, 0.2)
    got = binary_exact_power("fisher", *args, alternative="one-sided", sign=sign)
    assert got == pytest.approx(
        fisher_power_enumerated(*args, alternative=scipy_alternative), abs=1e-10)


@pytest.mark.parametrize("alternative, sign", [("two-sided", 1), ("one-sided", -1),
                                               ("one-sided", 1)])
@pytest.mark.parametrize("args", [(30, 20, 0.2, 0.5, 0.05, 0.1, 0.2),
                                  (65, 35, 0.3, 0.3, 0.05, 0.25, 0.17)])
def test_chisq_equals_contingency_table_enumeration(args, alternative, sign):
    n_t, n_c, p_t, p_c, alpha, drop_t, drop_c = args
    want = chisq_power_exact(n_t, n_c, p_t, p_c, alpha, drop_t, drop_c, alternative, sign)
    got = binary_exact_power("chisq", *args, alternative=alternative, sign=sign)
    assert got == pytest.approx(want, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60),
       st.sampled_from([0.0, 1e-3, 0.05, 0.2, 0.5, 0.7, 0.97, 1.0]),
       st.sampled_from([0.0, 1e-3, 0.05, 0.2, 0.5, 0.7, 0.97, 1.0]),
       st.one_of(st.floats(1e-4, 0.5), st.floats(0.5, 0.99)), st.sampled_from([0, 1, -1]))
def test_chisq_rejection_intervals_equal_every_table(n_t, n_c, p_t, p_c, alpha, tail):
    # The chi-square enumeration finds, per x_t, the interval of x_c the test accepts by
    # bisection (kernels/exact.py). Against every table tested one by one with the same z-form
    # statistic written in numpy (same floating-point operations, so the same decisions), with
    # extreme proportions (the supports are then cut and the centre can fall outside them),
    # tiny arms, all three tails, and alphas above 1/2 (one-sided, the accepted set can split:
    # binary_exact_power("chisq", 1, 2, 0.5, 0.5, 0.9, one-sided, sign 1) is 0.625, not 0.75).
    z = special.ndtri(1 - alpha / 2 if tail == 0 else 1 - alpha)
    x_t = np.arange(n_t + 1)[:, None]
    x_c = np.arange(n_c + 1)[None, :]
    pooled = (x_t + x_c) / (n_t + n_c)
    variance = pooled * (1 - pooled) * (1 / n_t + 1 / n_c)
    difference = x_t / n_t - x_c / n_c
    with np.errstate(invalid="ignore"):
        if tail == 0:
            reject = difference * difference >= z * z * variance
        else:
            reject = tail * difference >= z * np.sqrt(variance)
    reject &= variance > 0.0
    pmf_t, pmf_c = stats.binom.pmf(x_t, n_t, p_t), stats.binom.pmf(x_c, n_c, p_c)
    pmf_t[pmf_t < MASS_CUTOFF], pmf_c[pmf_c < MASS_CUTOFF] = 0.0, 0.0  # as the kernel cuts
    want = float((pmf_t * pmf_c * reject).sum())
    got = binary_exact_power("chisq", n_t, n_c, p_t, p_c, alpha,
                             alternative="two-sided" if tail == 0 else "one-sided",
                             sign=tail or 1)
    assert got == pytest.approx(want, abs=1e-12)


def test_chisq_one_sided_alpha_above_one_half():
    # z_crit < 0: a row's accepted x_c can split in two. 1 vs 2 patients, p = 1/2, one-sided
    # (sign 1) at alpha = 0.9, tables (x_t, x_c): (0, 1), (1, 0) and (1, 1) reject; (0, 2)
    # accepts and (0, 0), (1, 2) are undefined, so row x_t = 0 accepts x_c = 0 and 2 but not 1.
    # Rejected mass 1/2 (1/2 + 1/4 + 1/2) = 0.625 (worked by hand).
    got = binary_exact_power("chisq", 1, 2, 0.5, 0.5, 0.9, alternative="one-sided", sign=1)
    assert got == pytest.approx(0.625, abs=1e-15)


def binary(test, p_t, p_c, dropout=(0.0, 0.0), kind="binary", alternative="two-sided"):
    return montecarlo_binary(p_t, p_c, dropout=dropout, alternative=alternative, test=test,
                             kind=kind)


@pytest.mark.parametrize("test, p_t, p_c, n, dropout", [
    ("fisher", 0.15, 0.30, 200, (0.25, 0.17)),
    ("chisq", 0.15, 0.30, 200, (0.25, 0.17)),
    ("fisher", 0.045, 0.01, 400, (0.0, 0.0)),  # the msc_ae design: rare events
])
def test_simulated_power_within_4_mcse_of_exact(test, p_t, p_c, n, dropout):
    res = power(binary(test, p_t, p_c, dropout), n, reps=REPS, seed=11).endpoints[0]
    assert res.exact_power is not None
    mcse = math.sqrt(res.exact_power * (1 - res.exact_power) / REPS)
    assert abs(res.power - res.exact_power) < 4 * mcse, (res.power, res.exact_power)


@pytest.mark.parametrize("test, kind, alternative", [
    ("fisher", "binary", "two-sided"), ("fisher", "safety", "two-sided"),
    ("fisher", "binary", "one-sided"), ("chisq", "safety", "two-sided"),
])
@pytest.mark.parametrize("p, n, dropout", [(0.3, 120, (0.2, 0.1)), (0.02, 400, (0.0, 0.0))])
def test_type_i_error_is_the_exact_size(test, kind, alternative, p, n, dropout):
    sc = binary(test, p, p, dropout, kind, alternative)
    res = power(sc, n, reps=REPS, seed=3).endpoints[0]
    if test == "fisher":
        assert res.exact_power <= 0.05  # Fisher's test is conservative
    mcse = math.sqrt(res.exact_power * (1 - res.exact_power) / REPS)
    assert abs(res.power - res.exact_power) < 3 * mcse + 1 / REPS, (res.power, res.exact_power)


def test_exact_power_in_dict_table_and_csv_and_null_elsewhere():
    res = power(binary("fisher", 0.15, 0.3), 100, reps=500, seed=1)
    value = res.endpoints[0].exact_power
    assert res.to_dict()["endpoints"][0]["exact_power"] == value
    assert f"{value:.4f}" in power_table(res)
    assert power_csv(res).splitlines()[0].endswith("analytic_power,exact_power")
    walk = power("msc-covid19", 100, reps=200, endpoints=["walk_m"])
    assert walk.to_dict()["endpoints"][0]["exact_power"] is None


def test_cli_json_has_exact_power_and_safety(capsys):
    with pytest.raises(SystemExit) as info:
        main(["power", "--n", "200", "--reps", "500", "--endpoint", "msc_ae", "--format", "json"])
    assert info.value.code == 0
    (ep,) = json.loads(capsys.readouterr().out)["endpoints"]
    assert ep["test"] == "fisher" and ep["kind"] == "safety"
    assert ep["exact_power"] == pytest.approx(
        binary_exact_power("fisher", 130, 70, 0.04504, 0.01, 0.05, sign=-1))
    assert set(ep["safety"]) == {"level", "p_any_event", "assessed", "zero_event_upper_bound"}


def test_results_skip_exact_power_when_the_enumeration_is_too_large():
    # Fisher with 20% dropout at n = 1600 would take about 40 s: the results leave it out
    # (null), the function itself still computes it when asked.
    sc = binary("fisher", 0.3, 0.2, (0.2, 0.2))
    start = time.perf_counter()
    res = power(sc, 1600, reps=200, seed=1).endpoints[0]
    assert res.exact_power is None and time.perf_counter() - start < 10
    assert enumeration_work("fisher", 1040, 560, 0.3, 0.2, 0.2, 0.2) > MAX_WORK["fisher"]
    assert power(sc, 400, reps=200, seed=1).endpoints[0].exact_power is not None


def test_textbook_formula_differs_from_exact_for_small_binary_trials():
    # What the exact column is for: with 40 patients the normal approximation is off.
    res = power(binary("chisq", 0.1, 0.5), 40, reps=2000, seed=1).endpoints[0]
    assert abs(res.analytic_power - res.exact_power) > 0.01


@pytest.mark.parametrize("kwargs, match", [
    ({"test": "ttest"}, "`test`"), ({"n_t": 0}, "`n_t`"), ({"p_c": 1.5}, "`p_c`"),
    ({"drop_t": 1.0}, "`drop_t`"), ({"alpha": 0.0}, "`alpha`"),
    ({"alternative": "less"}, "`alternative`"), ({"sign": 0}, "`sign`"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    args = {"test": "fisher", "n_t": 10, "n_c": 10, "p_t": 0.2, "p_c": 0.4, "alpha": 0.05}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        binary_exact_power(**args)
