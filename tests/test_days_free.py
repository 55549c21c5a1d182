"""Days alive and free of an event by day D: level probabilities, power and type I error.

The references are independent: a patient-level numpy simulation of death and a Weibull time
on the event, counted into free days, and scipy's Mann-Whitney test on it.
"""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from simtrial.endpoints.days_free import days_free_probabilities
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.search import analytic_sample_size
from simtrial.simulate import power


def scenario(control, treatment, test="mannwhitney", alternative="two-sided", days=28,
             horizon=None):
    horizon = horizon if horizon is not None else f"horizon = {{ days = {days} }}"
    return parse_scenario(f"""
schema_version = 1
name = "vfd"
[trial]
allocation = [65, 35]
alternative = "{alternative}"
[[endpoints]]
id = "vfd"
kind = "ordinal"
distribution = "days_free"
test = "{test}"
better = "higher"
{horizon}
control = {control}
treatment = {treatment}
""")


def patients(rng, n, days, death, median, shape=1.0):
    """Free days of n patients drawn one by one: -1 dead, else floor(D - T), 0 if T >= D."""
    dead = rng.random(n) < death
    time_on = median / math.log(2) ** (1 / shape) * rng.weibull(shape, n)
    free = np.where(time_on < days, np.floor(days - time_on), 0.0)
    return np.where(dead, -1.0, free)


@pytest.mark.parametrize("days, death, median, shape", [(28, 0.25, 10.0, 1.0),
                                                         (28, 0.1, 4.0, 0.7),
                                                         (14, 0.4, 20.0, 2.5)])
def test_level_probabilities_equal_a_direct_simulation(days, death, median, shape):
    probs = days_free_probabilities(days, death, median, shape)
    draws = patients(np.random.default_rng(7), 400_000, days, death, median, shape)
    freq = np.bincount((draws + 1).astype(int), minlength=days + 2) / draws.size
    se = np.sqrt(probs * (1 - probs) / draws.size)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12) and probs[-1] == 0.0
    assert np.all(np.abs(freq - probs) <= 4.5 * se + 1e-12)


def test_exponential_closed_form():
    # shape 1: P(still on the event at t) = 2^(-t / median); 0 free days <=> T > D - 1
    p = days_free_probabilities(28, 0.2, 7.0)
    assert p[1] == pytest.approx(0.8 * 2 ** (-27 / 7), rel=1e-12)
    f = np.arange(1, 28)
    np.testing.assert_allclose(p[2:29], 0.8 * (2 ** (-(27 - f) / 7) - 2 ** (-(28 - f) / 7)),
                               rtol=1e-12)


def test_power_equals_numpy_and_scipy_simulation():
    control, treatment = (("{ death = 0.28, median_days = 11.0, shape = 1.3 }",
                           "{ death = 0.22, median_days = 9.0, shape = 1.3 }"))
    res = power(scenario(control, treatment), 200, reps=20_000, seed=4).endpoints[0]
    rng = np.random.default_rng(2024)
    reps = 1000
    rejected = 0
    for _ in range(reps):
        t = patients(rng, 130, 28, 0.22, 9.0, 1.3)
        c = patients(rng, 70, 28, 0.28, 11.0, 1.3)
        rejected += stats.mannwhitneyu(t, c, method="asymptotic").pvalue <= 0.05
    reference = rejected / reps
    mcse = math.hypot(res.mcse, math.sqrt(reference * (1 - reference) / reps))
    assert abs(res.power - reference) < 4 * mcse


@pytest.mark.parametrize("test, n", [("mannwhitney", 100), ("po", 200)])
@pytest.mark.parametrize("alternative", ["two-sided", "one-sided"])
def test_type_i_error_at_65_35(test, n, alternative):
    arm = "{ death = 0.3, median_days = 10.0 }"
    res = power(scenario(arm, arm, test, alternative), n, reps=40_000, seed=8).endpoints[0]
    assert res.power <= 0.05 + 3 * res.mcse


def test_example_runs_with_both_tests():
    sc = load_scenario("ventilator-free-days")
    ep = sc.endpoint("vfd")
    assert ep.location == "mean free days" and ep.difference > 0
    mw = power(sc, 300, reps=2000, seed=1).endpoints[0]
    po = power(replace(sc, endpoints=(replace(ep, test="po"),)), 300, reps=2000, seed=1)
    assert 0.4 < mw.power < 0.65 and abs(po.endpoints[0].power - mw.power) < 0.05
    # the proportional-odds fit of the levels gives Whitehead's n as a search's start
    proxy = replace(ep.model.proxy(ep), test="po")
    assert 1.4 < proxy.treatment["odds_ratio"] < 1.6
    assert 300 < analytic_sample_size(proxy, sc.trial, 0.8) < 1000


@pytest.mark.parametrize("horizon, message", [
    ("", r"endpoints\[0\]\.horizon.*required"),
    ("horizon = { days = 28.5 }", r"horizon\.days.*whole number"),
    ("horizon = {}", r"horizon\.days.*required"),
])
def test_horizon_errors(horizon, message):
    arm = "{ death = 0.3, median_days = 10.0 }"
    with pytest.raises(ScenarioError, match=message):
        scenario(arm, arm, horizon=horizon)
