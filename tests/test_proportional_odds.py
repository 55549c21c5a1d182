"""The ordinal endpoint under proportional odds and the ``po`` likelihood-ratio test.

Reference values: tests/reference/po_reference.json, made by make_po_reference.R with
Hmisc 4.8 (popower, posamsize, pomodm) and MASS 7.3 (polr); each value stores its R call.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from simtrial import analytic
from simtrial.kernels.ordinal import po_lr_from_counts, po_workspace
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.search import analytic_sample_size, detectable_effect, sample_size
from simtrial.simulate import power
from simtrial.stattests.proportional_odds import (
    cumulative_odds_shift,
    whitehead_odds_ratio,
    whitehead_power,
    whitehead_sample_size,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "po_reference.json").read_text())
WHO4 = [0.45, 0.28, 0.15, 0.12]
WHO7 = [0.05, 0.10, 0.30, 0.25, 0.10, 0.08, 0.12]


def scenario(control, treatment, allocation=(65, 35), test="po", better="higher",
             alternative="two-sided"):
    return parse_scenario(f"""
schema_version = 1
name = "po"
[trial]
allocation = [{allocation[0]}, {allocation[1]}]
alternative = "{alternative}"
[[endpoints]]
id = "y"
kind = "ordinal"
test = "{test}"
better = "{better}"
control = {{ probs = {list(control)} }}
treatment = {treatment}
""")


def odds(value):
    return f"{{ odds_ratio = {value} }}"


@pytest.mark.parametrize("case", REFERENCE["whitehead"],
                         ids=lambda c: f"{c['control']}-{c['n_t']}-{c['n_c']}-{c['odds_ratio']}")
def test_whitehead_equals_hmisc(case):
    pbar = np.array(case["pbar"])
    # popower(p = pbar, odds.ratio, n1 = n_t, n2 = n_c) and posamsize(..., fraction = n_t / n)
    assert whitehead_power(pbar, case["odds_ratio"], case["n_t"], case["n_c"], 0.05) \
        == pytest.approx(case["power"], abs=1e-9)
    n = case["n_t"] + case["n_c"]
    assert whitehead_sample_size(pbar, case["odds_ratio"], case["n_t"] / n) \
        == pytest.approx(case["n"], rel=1e-9)
    # pomodm(p_control, odds.ratio)
    np.testing.assert_allclose(cumulative_odds_shift(np.array(case["probs_control"]),
                                                     case["odds_ratio"]),
                               case["probs_treatment"], atol=1e-12)
    # the closed form simtrial prints: the mixture of the arms weighted by the numbers assessed
    ep = scenario(case["probs_control"], odds(case["odds_ratio"]),
                  (case["n_t"], case["n_c"])).endpoint("y")
    closed = analytic.endpoint_power(ep, case["n_t"], case["n_c"], 0.05, "two-sided")
    assert closed == pytest.approx(case["power"], abs=1e-6)


def test_whitehead_covers_four_controls_at_both_allocations():
    cases = {(c["control"], c["n_t"], c["n_c"]) for c in REFERENCE["whitehead"]}
    assert len({c for c, *_ in cases}) >= 4 and {(100, 100), (260, 140)} <= {
        (t, c) for _, t, c in cases}


def test_whitehead_odds_ratio_inverts_power():
    p = np.array(WHO4)
    orr = whitehead_odds_ratio(p, 260, 140, 0.05, 0.9)
    assert whitehead_power(p, orr, 260, 140, 0.05) == pytest.approx(0.9, abs=1e-12)


@pytest.mark.parametrize("case", REFERENCE["lr"], ids=lambda c: c["control"])
def test_likelihood_ratio_equals_polr(case):
    counts_t, counts_c = (np.array(case[k], np.int64) for k in ("counts_t", "counts_c"))
    z, beta, _ = po_lr_from_counts(counts_t, counts_c, po_workspace(len(counts_t)))
    assert z * z == pytest.approx(case["lr"], abs=1e-6)
    assert math.copysign(1, z) == math.copysign(1, case["beta"])
    assert beta == pytest.approx(case["beta"], abs=1e-5)  # polr's optim stops near 1e-7


def test_likelihood_ratio_undefined_and_separated():
    work = po_workspace(3)
    z, beta, _ = po_lr_from_counts(np.array([0, 0, 5]), np.array([0, 0, 3]), work)
    assert math.isnan(z) and math.isnan(beta)  # one level observed: no model to fit
    # complete separation: the supremum is the saturated fit, 2 (l_sat - l_0)
    z, beta, _ = po_lr_from_counts(np.array([0, 0, 5]), np.array([4, 3, 0]), work)
    saturated = 4 * math.log(4 / 7) + 3 * math.log(3 / 7)
    null = 4 * math.log(4 / 12) + 3 * math.log(3 / 12) + 5 * math.log(5 / 12)
    assert z * z == pytest.approx(2 * (saturated - null), abs=1e-6) and beta > 20


@pytest.mark.parametrize("case", REFERENCE["simulation"], ids=lambda c: c["id"])
def test_simulated_power_equals_polr_simulation(case):
    treatment = odds(case["odds_ratio"]) if case["odds_ratio"] is not None \
        else f"{{ probs = {case['probs_treatment']} }}"
    sc = scenario(case["probs_control"], treatment, (case["n_t"], case["n_c"]))
    res = power(sc, case["n_t"] + case["n_c"], reps=20_000, seed=3).endpoints[0]
    assert abs(res.power - case["power"]) < 4 * math.hypot(res.mcse, case["mcse"])


@pytest.mark.parametrize("control, odds_ratio, n", [(WHO4, 1.2, 2000), (WHO7, 0.85, 3000),
                                                     ([0.2, 0.5, 0.3], 1.25, 2000)])
def test_power_close_to_whitehead_for_large_n(control, odds_ratio, n):
    res = power(scenario(control, odds(odds_ratio)), n, reps=20_000, seed=5).endpoints[0]
    assert abs(res.power - res.analytic_power) < 4 * res.mcse


@pytest.mark.parametrize("control, n", [(WHO4, 100), (WHO7, 100), ([0.2, 0.5, 0.3], 400)])
@pytest.mark.parametrize("alternative", ["two-sided", "one-sided"])
def test_type_i_error_at_65_35(control, n, alternative):
    res = power(scenario(control, odds(1.0), alternative=alternative), n, reps=40_000,
                seed=11).endpoints[0]
    assert res.power <= 0.05 + 3 * res.mcse


def test_small_trials_are_slightly_liberal():
    # The LR statistic's chi-square law is asymptotic: 7 levels, 26 + 14 patients, two-sided
    # size 0.0569 (100,000 replicates; 0.0546 at n = 60, 0.0523 at 100, 0.0515 at 150), where
    # the rank test holds 0.047 (scenarios/README.md says so).
    res = power(scenario(WHO7, odds(1.0)), 40, reps=40_000, seed=12).endpoints[0]
    assert 0.05 + 3 * res.mcse < res.power < 0.065


def test_mann_whitney_stays_available_and_sees_the_same_trials():
    sc_po, sc_mw = (scenario(WHO4, odds(1.5), test=t) for t in ("po", "mannwhitney"))
    po, mw = (power(sc, 300, reps=4000, seed=2).endpoints[0] for sc in (sc_po, sc_mw))
    # the same counts per level (common random numbers): the two tests' p-values correlate
    assert np.corrcoef(po.pvalues, mw.pvalues)[0, 1] > 0.95
    assert mw.analytic_power is None and po.analytic_power is not None


def test_odds_ratio_direction_follows_hmisc():
    ep = scenario(WHO4, odds(2.0)).endpoint("y")
    t, c = (ep.model.level_probabilities(ep, arm) for arm in ("treatment", "control"))
    assert (np.cumsum(t)[:-1] < np.cumsum(c)[:-1]).all()  # OR > 1: higher categories
    res = power(scenario(WHO4, odds(2.0), alternative="one-sided"), 200, reps=2000,
                seed=1).endpoints[0]
    assert res.power > 0.8  # better = "higher": the one-sided test sees the benefit


def test_control_arm_must_give_probabilities():
    with pytest.raises(ScenarioError, match=r"endpoints\[0\]\.control.*allowed: probs"):
        parse_scenario(f"""
schema_version = 1
name = "po"
[[endpoints]]
id = "y"
kind = "ordinal"
test = "po"
better = "higher"
control = {odds(1.5)}
treatment = {odds(1.5)}
""")


def test_detectable_odds_ratio():
    res = detectable_effect("ordinal-po", "who_status", 400, 0.8, reps=2000)
    assert res.effect_scale == "ratio" and res.location == "odds_ratio"
    assert res.effect < 1 and res.power >= 0.8  # lower is better: an odds ratio below 1
    assert res.analytic_effect == pytest.approx(res.effect, abs=0.03)


def test_sample_size_starts_from_whitehead():
    sc = load_scenario("ordinal-po")
    res = sample_size(sc, "who_status", 0.8, reps=2000)
    assert res.analytic_n == analytic_sample_size(sc.endpoint("who_status"), sc.trial, 0.8)
    assert abs(res.n_total - res.analytic_n) < 0.1 * res.analytic_n and res.power >= 0.8


def test_non_proportional_arms_have_a_proxy_odds_ratio():
    sc = scenario(WHO4, "{ probs = [0.55, 0.25, 0.12, 0.08] }")
    ep = sc.endpoint("y")
    assert analytic.endpoint_power(ep, 260, 140, 0.05, "two-sided") is None
    proxy = ep.model.proxy(ep)
    assert 0.6 < proxy.treatment["odds_ratio"] < 0.75  # these arms are nearly in PO
    assert analytic_sample_size(proxy, sc.trial, 0.8) is not None


def test_correlated_po_endpoint_keeps_its_marginal_power():
    text = """
schema_version = 1
name = "po-correlated"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "y"
kind = "ordinal"
test = "po"
better = "higher"
control = { probs = [0.45, 0.28, 0.15, 0.12] }
treatment = { odds_ratio = 1.6 }
[[endpoints]]
id = "walk"
kind = "continuous"
test = "ttest"
better = "higher"
control = { mean = 0.0, sd = 1.0 }
treatment = { mean = 0.3, sd = 1.0 }
"""
    alone = power(parse_scenario(text), 200, reps=20_000, seed=6).endpoint("y")
    joint = power(parse_scenario(text + "[[correlations]]\nendpoints = [\"y\", \"walk\"]\n"
                                        "rho = 0.6\n"), 200, reps=20_000, seed=6).endpoint("y")
    assert abs(joint.power - alone.power) < 4 * math.hypot(joint.mcse, alone.mcse)
    assert abs(joint.power - alone.analytic_power) < 0.03  # Whitehead at n = 200
