"""A margin on the hazard ratio of a time-to-event endpoint (issue 21, item 2).

The test: the Cox model's Wald test of the log hazard ratio against the log of the margin,
one-sided (:func:`simtrial.stattests.logrank.hazard_ratio_margin`); its variance, the inverse
of the Cox information at the estimate, equals R ``vcov(coxph(...))`` (tests/test_strata_cox.py).
Monte Carlo checks at fixed seeds: the type I error at the margin (true hazard ratio = M) is at
most alpha + 3 MCSE at 65:35 and 1:1, and the power at a hazard ratio below the margin is
within 4 MCSE of Schoenfeld's at log(HR / M) with many events.
"""

import math

import numpy as np
import pytest
from scipy import special

from simtrial import power
from simtrial.scenario import ScenarioError, parse_scenario
from simtrial.stattests.logrank import hazard_ratio_margin


def _survival(hr, margin, events, allocation="[65, 35]", better="lower", extra=""):
    return parse_scenario(f"""
schema_version = 1
name = "ni-tte"
[trial]
allocation = {allocation}
alpha = 0.025
alternative = "one-sided"
accrual = {{ months = 12, per_month = 50 }}
[[endpoints]]
id = "death"
kind = "time-to-event"
test = "logrank"
better = "{better}"
margin = {margin}
control = {{ median = 12.0 }}
treatment = {{ hazard_ratio = {hr} }}
analysis = {{ events = {events} }}
{extra}""")


def test_the_wald_test_is_oriented_by_the_direction_of_benefit():
    rows = np.zeros((3, 10))
    rows[:, 8] = [math.log(0.95), math.log(1.4), math.nan]
    rows[:, 9] = [0.01, 0.04, math.nan]
    # R: pnorm((log(0.95) - log(1.3)) / 0.1), pnorm((log(1.4) - log(1.3)) / 0.2)
    lower = hazard_ratio_margin(rows, -1, math.log(1.3))
    assert lower[:2] == pytest.approx([0.0008546668409, 0.6445098589], rel=1e-6)
    assert lower[2] == 1.0  # no Cox estimate (all events in one arm): cannot reject
    higher = hazard_ratio_margin(rows, 1, math.log(1.3))
    assert higher[:2] == pytest.approx(special.ndtr(-np.array(
        [(math.log(0.95) - math.log(1.3)) / 0.1, (math.log(1.4) - math.log(1.3)) / 0.2])))


@pytest.mark.parametrize(("allocation", "n", "margin", "better"), [
    ("[65, 35]", 600, 1.3, "lower"), ("[1, 1]", 600, 1.3, "lower"),
    ("[65, 35]", 600, 0.8, "higher")])
def test_type_one_error_at_the_margin(allocation, n, margin, better):
    res = power(_survival(margin, margin, 300, allocation, better), n, reps=20000,
                seed=21).endpoints[0]
    assert res.power <= 0.025 + 3 * res.mcse, res.power
    assert res.analytic_power == pytest.approx(0.025)


@pytest.mark.parametrize(("allocation", "hr", "margin", "events", "better"), [
    ("[65, 35]", 1.0, 1.3, 400, "lower"), ("[1, 1]", 1.05, 1.3, 400, "lower"),
    ("[1, 1]", 1.0, 0.8, 500, "higher")])
def test_power_below_the_margin_is_schoenfelds_at_the_shifted_log_hazard_ratio(
        allocation, hr, margin, events, better):
    n = 2 * events
    out = power(_survival(hr, margin, events, allocation, better), n, reps=10000, seed=22)
    res = out.endpoints[0]
    n_t, n_c = out.n_per_arm.values()  # treatment, then control
    r = n_t / n_c
    sign = -1 if better == "lower" else 1
    schoenfeld = special.ndtr(sign * math.log(hr / margin) * math.sqrt(events * r) / (1 + r)
                              - special.ndtri(0.975))
    assert res.analytic_power == pytest.approx(schoenfeld, rel=1e-9)
    assert abs(res.power - schoenfeld) <= 4 * res.mcse, (res.power, schoenfeld)


@pytest.mark.parametrize(("margin", "extra", "message"), [
    (0, "", r"endpoints\[0\].margin: 0 is out of range \(allowed: a hazard ratio"),
    (1.3, "weights = { rho = 1 }\n",
     r"endpoints\[0\].margin: is tested by the Cox model's hazard ratio"),
])
def test_margin_errors_name_the_key(margin, extra, message):
    with pytest.raises(ScenarioError, match=message):
        _survival(1.0, margin, 300, extra=extra)
