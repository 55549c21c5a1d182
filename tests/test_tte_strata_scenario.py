"""Strata and Fleming-Harrington weights of a time-to-event endpoint in a scenario file.

The kernel's stratified and weighted statistics are checked against R survdiff in
tests/test_strata_cox.py and tests/test_survival_kernels.py; here: the scenario keys, the
expected events of a stratified trial (Lachin-Foulkes per stratum, weighted by prevalence)
against the simulated events within 4 MCSE, the Cox estimate reported, the type I error of
the weighted test, and bad input refused with the key's path.
"""

import math

import pytest
from catalogue import expect_error
from conftest import scenario_text
from test_time_to_event import trial, tte

from simtrial.scenario import parse_scenario
from simtrial.simulate import power, simulate_looks

STRATA = "strata = { prevalence = [0.6, 0.4], hazard_multiplier = [1.0, 2.5] }\n"


def _scenario(analysis="{ events = 300 }", extra=STRATA, treatment="{ hazard_ratio = 0.7 }"):
    return parse_scenario(scenario_text(tte(analysis=analysis, extra=extra,
                                            treatment=treatment), trial("[65, 35]")))


def test_expected_events_of_strata_equal_the_simulated_by_month_18():
    """Calendar analysis at month 18: Lachin-Foulkes over the strata vs the simulation."""
    sc = _scenario(analysis="{ months = 18 }")
    res = power(sc, 600, reps=4000, seed=3).endpoint("death")
    rows = simulate_looks(list(sc.endpoints), 390, 210, "one-sided", 4000, 3)[0].statistics
    mcse = rows[:, 0].std() / math.sqrt(len(rows))
    assert abs(res.events - res.analytic_events) < 4 * mcse, (res.events, res.analytic_events)
    plain = power(_scenario(analysis="{ months = 18 }", extra=""), 600, reps=500,
                  seed=3).endpoint("death")
    assert res.analytic_events > plain.analytic_events + 20  # the ventilated die faster


def test_stratified_power_reports_the_cox_hazard_ratio():
    sc = _scenario()
    res = power(sc, 600, reps=2000, seed=4).endpoint("death")
    # The Cox estimate of a constant hazard ratio is consistent; the MCSE of a median is about
    # 1.2533 sd / sqrt(reps) (on the log scale; times 0.7 on the ratio scale), 4 of them allowed
    log_hr = simulate_looks(list(sc.endpoints), 390, 210, "one-sided", 2000, 4)[0].statistics[:, 8]
    mcse = 1.2533 * 0.7 * log_hr.std() / math.sqrt(len(log_hr))
    assert res.hazard_ratio_median == pytest.approx(0.7, abs=4 * mcse), mcse
    assert res.hazard_ratio_mean > res.hazard_ratio_median  # exp of a symmetric estimate
    assert res.analytic_power is not None and res.analytic_duration is not None
    assert res.events == 300.0


def test_weighted_test_type_i_error_and_no_closed_form():
    """G(0, 1) under H0 at 65:35: at most alpha + 3 MCSE; Schoenfeld's power does not apply."""
    sc = _scenario(extra="weights = { rho = 0, gamma = 1 }\n", treatment="{ median = 12.0 }")
    res = power(sc, 600, reps=10_000, seed=5).endpoint("death")
    assert res.power <= 0.025 + 3 * math.sqrt(0.025 * 0.975 / 10_000), res.power
    assert res.analytic_power is None and "Fleming-Harrington" in res.analytic_note


@pytest.mark.parametrize("extra, key", [
    ("strata = { prevalence = [1.0] }\n", "endpoints[0].strata.prevalence"),
    ("strata = { prevalence = [0.5, 0.5], hazard_multiplier = [1.0] }\n",
     "endpoints[0].strata.hazard_multiplier"),
    ("strata = { prevalence = [0.5, -0.5] }\n", "endpoints[0].strata.prevalence"),
    ("weights = { rho = 0, delta = 1 }\n", "endpoints[0].weights.delta"),
])
def test_bad_strata_and_weights_are_refused_with_their_key(capsys, tmp_path, extra, key):
    path = tmp_path / "bad.toml"
    path.write_text(scenario_text(tte(extra=extra), trial("[65, 35]")))
    expect_error(capsys, ["validate", path], 2, key)
