"""A margin on the proportional-odds odds ratio of an ordinal endpoint (issue 21, item 2).

The test: the Wald test of the proportional-odds log odds ratio against the log of the
margin, one-sided (:func:`simtrial.stattests.proportional_odds.odds_ratio_margin`); its
variance, the inverse of beta's observed information with the cut points profiled out, equals
R ``vcov(MASS::polr(...))`` (tests/reference/po_vcov_reference.json, made by
make_po_vcov_reference.R). Monte Carlo checks at fixed seeds: the type I error at the margin
(true odds ratio = M) is at most alpha + 3 MCSE at 65:35, and the power beyond the margin is
within 4 MCSE of Whitehead's one-sided power at log(OR) - log(M) for a large n.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from simtrial import power
from simtrial.kernels.ordinal import po_lr_from_counts, po_workspace
from simtrial.scenario import ScenarioError, parse_scenario
from simtrial.stattests.proportional_odds import (
    cumulative_odds_shift,
    odds_ratio_margin,
    whitehead_power,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "po_vcov_reference.json")
                       .read_text())
WHO4 = [0.45, 0.28, 0.15, 0.12]


def _ordinal(odds_ratio, margin, better="lower", allocation="[65, 35]"):
    return parse_scenario(f"""
schema_version = 1
name = "ni-ordinal"
[trial]
allocation = {allocation}
alpha = 0.025
alternative = "one-sided"
[[endpoints]]
id = "who"
kind = "ordinal"
test = "po"
better = "{better}"
margin = {margin}
control = {{ probs = {WHO4} }}
treatment = {{ odds_ratio = {odds_ratio} }}
""")


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["control"])
def test_variance_of_the_log_odds_ratio_equals_polr_vcov(case):
    counts_t, counts_c = (np.array(case[k], np.int64) for k in ("counts_t", "counts_c"))
    _, beta, variance = po_lr_from_counts(counts_t, counts_c, po_workspace(len(counts_t)))
    assert beta == pytest.approx(case["beta"], abs=1e-6)
    assert variance == pytest.approx(case["variance"], rel=1e-6)


def test_the_wald_test_is_oriented_by_the_direction_of_benefit():
    rows = np.array([[65, 35, 0.0, math.log(0.9), 0.04], [65, 35, 0.0, math.nan, math.nan]])
    # R: pnorm((log(0.9) - log(1.25)) / 0.2)
    lower = odds_ratio_margin(rows, -1, math.log(1.25))
    assert lower[0] == pytest.approx(0.05024110774, rel=1e-6)
    assert lower[1] == 1.0  # no fit: cannot reject
    higher = odds_ratio_margin(rows, 1, math.log(1.25))
    assert higher[0] == pytest.approx(1 - 0.05024110774, rel=1e-6)


@pytest.mark.parametrize(("margin", "better"), [(1.3, "lower"), (0.75, "higher")])
def test_type_one_error_at_the_margin(margin, better):
    res = power(_ordinal(margin, margin, better), 400, reps=20000, seed=21).endpoints[0]
    assert res.power <= 0.025 + 3 * res.mcse, res.power
    assert res.analytic_power == pytest.approx(0.025)


@pytest.mark.parametrize(("odds_ratio", "margin", "better"), [
    (0.9, 1.3, "lower"), (1.1, 0.8, "higher")])
def test_power_beyond_the_margin_is_whiteheads_at_the_shifted_log_odds_ratio(
        odds_ratio, margin, better):
    out = power(_ordinal(odds_ratio, margin, better), 1000, reps=10000, seed=22)
    res = out.endpoints[0]
    n_t, n_c = out.n_per_arm.values()  # treatment, then control; no dropout
    pooled = (n_t * cumulative_odds_shift(np.array(WHO4), odds_ratio)
              + n_c * np.array(WHO4)) / (n_t + n_c)
    sign = -1 if better == "lower" else 1
    whitehead = whitehead_power(pooled, odds_ratio / margin, n_t, n_c, 0.025, "one-sided", sign)
    assert res.analytic_power == pytest.approx(whitehead, rel=1e-9)
    assert 0.3 < whitehead < 0.95
    assert abs(res.power - whitehead) <= 4 * res.mcse, (res.power, whitehead)


def test_whitehead_shifted_power_formula():
    v = 650 * 350 * 1000 / 3 / 1001**2 * (1 - np.sum(np.array(WHO4) ** 3))
    expected = special.ndtr(-math.log(0.9 / 1.3) * math.sqrt(v) - special.ndtri(0.975))
    assert whitehead_power(np.array(WHO4), 0.9 / 1.3, 650, 350, 0.025, "one-sided",
                           -1) == pytest.approx(expected, rel=1e-12)


def test_margin_errors_name_the_key():
    with pytest.raises(ScenarioError, match=r"endpoints\[0\].margin: 0 is out of range"):
        _ordinal(1.0, 0)


def _days_free(test, margin):
    return parse_scenario(f"""
schema_version = 1
name = "ni-vfd"
[trial]
alpha = 0.025
alternative = "one-sided"
[[endpoints]]
id = "vfd"
kind = "ordinal"
distribution = "days_free"
test = "{test}"
better = "higher"
margin = {margin}
horizon = {{ days = 28 }}
control = {{ death = 0.3, median_days = 10 }}
treatment = {{ death = 0.3, median_days = 10 }}
""")


def test_days_free_takes_an_odds_ratio_margin_for_po_only():
    ep = _days_free("po", 0.8).endpoints[0]
    assert ep.model.test_margin(ep) == pytest.approx(math.log(0.8))
    with pytest.raises(ScenarioError, match=r"endpoints\[0\].margin: the mannwhitney test"):
        _days_free("mannwhitney", 0.8)
