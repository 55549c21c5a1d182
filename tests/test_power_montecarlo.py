"""Simulated power against exact truth (tests/exact.py), within 4 Monte Carlo SE.

MCSE here is that of the true power, sqrt(p (1 - p) / reps); with a fixed seed each check is
deterministic, and a correct simulator fails a 4-MCSE check with probability about 6e-5.
"""

import math

import pytest
from conftest import scenario_text
from exact import chisq_power_exact, ttest_power_exact, welch_power_exact

from simtrial.scenario import parse_scenario
from simtrial.simulate import power

REPS = 20_000


def binary(p_t, p_c, allocation=(65, 35), dropout=(0.0, 0.0), alternative="two-sided",
           better="lower", test="chisq", kind="binary"):
    return parse_scenario(scenario_text(f"""
        [[endpoints]]
        id = "b"
        kind = "{kind}"
        test = "{test}"
        better = "{better}"
        dropout = {{ treatment = {dropout[0]}, control = {dropout[1]} }}
        control = {{ p = {p_c} }}
        treatment = {{ p = {p_t} }}
    """, trial=f"allocation = {list(allocation)}\nalternative = \"{alternative}\"\n"))


def normal(delta, sd=(1.0, 1.0), test="ttest", allocation=(65, 35), dropout=(0.0, 0.0),
           alternative="two-sided"):
    return parse_scenario(scenario_text(f"""
        [[endpoints]]
        id = "y"
        kind = "continuous"
        test = "{test}"
        better = "higher"
        dropout = {{ treatment = {dropout[0]}, control = {dropout[1]} }}
        control = {{ mean = 10.0, sd = {sd[1]} }}
        treatment = {{ mean = {10.0 + delta}, sd = {sd[0]} }}
    """, trial=f"allocation = {list(allocation)}\nalternative = \"{alternative}\"\n"))


def assert_within_4_mcse(scenario, n, truth, seed=20261125):
    simulated = power(scenario, n, reps=REPS, seed=seed).endpoints[0].power
    mcse = math.sqrt(truth * (1 - truth) / REPS)
    assert abs(simulated - truth) <= 4 * mcse, (simulated, truth, mcse)


@pytest.mark.parametrize(("p_t", "p_c", "n", "allocation", "dropout", "alternative"), [
    (0.18, 0.30, 400, (65, 35), (0.0, 0.0), "two-sided"),
    (0.18, 0.30, 400, (65, 35), (0.0, 0.0), "one-sided"),
    (0.30, 0.30, 400, (65, 35), (0.0, 0.0), "two-sided"),  # exact size of the discrete test
    (0.10, 0.30, 100, (1, 1), (0.0, 0.0), "two-sided"),
    (0.15, 0.35, 80, (65, 35), (0.25, 0.15), "two-sided"),
    (0.20, 0.20, 80, (2, 1), (0.2, 0.1), "two-sided"),  # exact size, with dropout
])
def test_chisq_power_matches_exact_enumeration(p_t, p_c, n, allocation, dropout, alternative):
    sc = binary(p_t, p_c, allocation, dropout, alternative)
    n_t, n_c = sc.trial.split(n)
    truth = chisq_power_exact(n_t, n_c, p_t, p_c, 0.05, *dropout, alternative, sign=-1)
    assert_within_4_mcse(sc, n, truth)


@pytest.mark.parametrize(("delta", "n", "allocation", "dropout", "alternative"), [
    (0.4, 100, (65, 35), (0.0, 0.0), "two-sided"),
    (0.3, 400, (65, 35), (0.0, 0.0), "one-sided"),
    (0.0, 400, (65, 35), (0.0, 0.0), "two-sided"),  # type I error = alpha exactly
    (0.0, 60, (2, 1), (0.3, 0.1), "two-sided"),
    (0.5, 120, (1, 1), (0.0, 0.0), "two-sided"),
    (0.35, 300, (3, 1), (0.25, 0.15), "two-sided"),
])
def test_ttest_power_matches_noncentral_t(delta, n, allocation, dropout, alternative):
    sc = normal(delta, allocation=allocation, dropout=dropout, alternative=alternative)
    n_t, n_c = sc.trial.split(n)
    truth = ttest_power_exact(n_t, n_c, delta, 1.0, 0.05, *dropout, alternative)
    assert_within_4_mcse(sc, n, truth)


@pytest.mark.parametrize(("delta", "sd", "n", "allocation"), [
    (0.4, (1.0, 1.0), 100, (65, 35)),
    (0.5, (2.0, 1.0), 150, (65, 35)),
    (0.0, (2.0, 0.7), 60, (65, 35)),  # type I error of Welch under unequal variances
    (0.3, (1.0, 1.5), 200, (1, 1)),
])
def test_welch_power_matches_quadrature(delta, sd, n, allocation):
    sc = normal(delta, sd=sd, test="welch", allocation=allocation)
    n_t, n_c = sc.trial.split(n)
    truth = welch_power_exact(n_t, n_c, delta, sd[0], sd[1], 0.05)
    assert_within_4_mcse(sc, n, truth)


def test_exact_references_reproduce_r():
    # The references themselves: pwr.t2n.test(260, 140, d = 0.4) = 0.96759522313275
    assert ttest_power_exact(260, 140, 0.4, 1.0, 0.05) == pytest.approx(0.96759522313275, 1e-9)
    # Welch with equal groups and variances is close to the pooled test
    assert welch_power_exact(50, 50, 0.5, 1, 1, 0.05) == pytest.approx(
        ttest_power_exact(50, 50, 0.5, 1, 0.05), abs=2e-3)
