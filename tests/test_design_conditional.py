"""Futility on the conditional-power scale (`futility = "cp:<p>"`, `"cp-trend:<p>"`; issue 17).

Reference: rpact 3.3.4 ``getConditionalPower`` at simtrial's futility bounds returns the
rule's thresholds (tests/reference/make_gsd_cp_reference.R wrote gsd_cp_reference.json with
each R call); rpact's own efficacy bounds (binding designs) and planned drift
(``sqrt(getDesignCharacteristics(design)$shift)``) equal simtrial's. Closed form: the B-value
formula of :mod:`simtrial.design.conditional` where no later look can stop. Simulation: the
trials' stopping probabilities agree with the canonical model within 4 MCSE (plus 1e-3, the
t-versus-z difference at n = 400) and the type I error stays at most alpha + 3 MCSE.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario_text
from scipy.stats import norm

from simtrial.cli import main
from simtrial.design import ConditionalPowerFutility, group_sequential_design, parse_futility
from simtrial.design.conditional import conditional_power
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.simulate import sequential_power
from simtrial.sweeps.grid import parse_vary

REFERENCE = Path(__file__).parent / "reference" / "gsd_cp_reference.json"
CASES = {case["id"]: case for case in json.loads(REFERENCE.read_text())["cases"]}
EXAMPLE = Path(__file__).parents[1] / "scenarios" / "examples" / "group-sequential.toml"

# case id -> simtrial's design, as the case's rpact design states it
DESIGNS = {
    "asof_cp10": lambda: group_sequential_design([0.5, 0.75, 1.0], efficacy="ld-obf",
                                                 futility="cp:0.1"),
    "asof_trend10": lambda: group_sequential_design([0.5, 0.75, 1.0], efficacy="ld-obf",
                                                    futility="cp-trend:0.1"),
    "hsd_cp_per_look_binding": lambda: group_sequential_design(
        [0.3, 0.75, 1.0], efficacy="hsd:-4", futility="cp:0.05:0.2", binding=True),
    "asp_trend20_4looks": lambda: group_sequential_design(
        [0.25, 0.5, 0.75, 1.0], efficacy="ld-pocock", futility="cp-trend:0.2"),
    "of_cp20_binding": lambda: group_sequential_design([0.5, 1.0], efficacy="obf",
                                                       futility="cp:0.2", binding=True),
    "no_early_efficacy_cp30": lambda: group_sequential_design(
        [0.4, 0.7, 1.0], efficacy="none", futility="cp:0.3", beta=0.1),
    "kd_trend15_binding": lambda: group_sequential_design(
        [0.4, 0.7, 1.0], efficacy="kd:3", futility="cp-trend:0.15", binding=True),
}


def test_every_reference_case_has_a_design():
    assert set(DESIGNS) == set(CASES)


@pytest.mark.parametrize("case_id", sorted(DESIGNS))
def test_rpact_conditional_power_at_the_bounds_is_the_threshold(case_id):
    case, design = CASES[case_id], DESIGNS[case_id]()
    assert design.futility == case["rule"] and design.binding == case["binding"]
    # the bounds rpact was given are the ones simtrial computes
    np.testing.assert_allclose(design.futility_z[:-1], case["futility_z"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(case["rpact_conditional_power"], case["thresholds"], rtol=0,
                               atol=1e-6)
    np.testing.assert_allclose(design.futility_cp[:-1], case["thresholds"], rtol=0, atol=1e-9)
    assert design.futility_cp[-1] is None
    rpact_efficacy = [math.inf if b is None else b for b in case["rpact_critical_values"]]
    np.testing.assert_allclose(design.efficacy_z, rpact_efficacy, rtol=0, atol=1e-6)
    assert design.drift == pytest.approx(case["rpact_drift"], abs=1e-6)


@pytest.mark.parametrize("rule", ["cp:0.1", "cp-trend:0.2"])
def test_last_interim_look_follows_the_b_value_closed_form(rule):
    # CP(z) = 1 - Phi((c_K - z sqrt(t) - theta (1 - t)) / sqrt(1 - t)), theta the design's
    # drift or the trend z / sqrt(t)
    design = group_sequential_design([0.3, 0.6, 1.0], efficacy="ld-obf", futility=rule)
    t, a, c_k = design.information[1], design.futility_z[1], design.efficacy_z[-1]
    theta = a / math.sqrt(t) if rule.startswith("cp-trend") else design.drift
    closed = norm.sf((c_k - a * math.sqrt(t) - theta * (1 - t)) / math.sqrt(1 - t))
    assert closed == pytest.approx(float(rule.split(":")[1]), abs=1e-10)


def test_without_later_stops_conditional_power_is_the_closed_form_at_every_look():
    t = np.array([0.25, 0.6, 1.0])
    efficacy = np.array([np.inf, np.inf, 1.96])
    futility = np.full(3, -np.inf)
    for z in (-1.0, 0.3, 1.7):
        closed = norm.sf((1.96 - z * 0.5 - 2.5 * 0.75) / math.sqrt(0.75))
        assert conditional_power(t, 0, z, 2.5, efficacy, futility) == pytest.approx(
            closed, abs=1e-8)   # the integration's accuracy at grid 32


def test_later_stops_change_conditional_power_as_rpact_counts_them():
    # with an efficacy look in between, rejecting there counts too: above the closed form
    design = group_sequential_design([0.5, 0.75, 1.0], efficacy="ld-obf")
    t, b = np.array(design.information), np.array(design.efficacy_z)
    none = np.full(3, -np.inf)
    closed = norm.sf((b[-1] - 0.5 * math.sqrt(0.5) - 2.5 * 0.5) / math.sqrt(0.5))
    assert conditional_power(t, 0, 0.5, 2.5, b, none) > closed + 1e-4


def test_per_look_thresholds_and_higher_thresholds_give_higher_bounds():
    low = group_sequential_design([0.5, 0.75, 1.0], futility="cp:0.05")
    high = group_sequential_design([0.5, 0.75, 1.0], futility="cp:0.2")
    mixed = group_sequential_design([0.5, 0.75, 1.0], futility="cp:0.05:0.2")
    assert all(h > lo for h, lo in zip(high.futility_z[:-1], low.futility_z[:-1], strict=True))
    assert mixed.futility_cp[:-1] == pytest.approx((0.05, 0.2), abs=1e-9)


def test_binding_lowers_the_efficacy_bounds_and_keeps_alpha():
    free = group_sequential_design([0.5, 0.75, 1.0], futility="cp:0.2")
    bound = group_sequential_design([0.5, 0.75, 1.0], futility="cp:0.2", binding=True)
    assert bound.efficacy_z[-1] < free.efficacy_z[-1]
    assert bound.stopping_probabilities(0.0).power == pytest.approx(0.025, abs=1e-9)
    # non-binding: alpha is spent with futility ignored, conservative when it is obeyed
    assert free.stopping_probabilities(0.0, obey_futility=False).power == pytest.approx(
        0.025, abs=1e-9)
    assert free.stopping_probabilities(0.0).power < 0.025


def test_a_threshold_above_reach_puts_the_bound_on_the_efficacy_bound():
    design = group_sequential_design([0.5, 1.0], efficacy="pocock", futility="cp:0.99")
    assert design.futility_z[0] == design.efficacy_z[0]
    assert design.futility_cp[0] < 0.99


def test_json_shows_the_conditional_power_at_each_bound():
    stages = group_sequential_design([0.5, 1.0], futility="cp:0.1").to_dict()["stages"]
    assert stages[0]["futility_cp"] == pytest.approx(0.1, abs=1e-9)
    assert stages[1]["futility_cp"] is None
    assert "futility_cp" not in group_sequential_design([0.5, 1.0]).to_dict()["stages"][0]


@pytest.mark.parametrize("text, expected", [
    ("cp:0.1", ConditionalPowerFutility((0.1,))),
    (" CP-Trend:0.05:0.2 ", ConditionalPowerFutility((0.05, 0.2), trend=True)),
])
def test_rule_strings(text, expected):
    assert parse_futility(text) == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"futility": "cp:1.2"}, "thresholds must be numbers in (0, 1)"),
    ({"futility": "cp:0"}, "thresholds must be numbers in (0, 1)"),
    ({"futility": "cp:0.1:0.2:0.3"}, "gives 3 conditional-power thresholds"),
    ({"futility": "cp:0.1", "sided": 2, "alpha": 0.05}, "one-sided designs only"),
    ({"futility": "cp"}, "is not one of"),
])
def test_bad_rules_are_one_line_errors(kwargs, message):
    with pytest.raises(ValueError, match="`futility`|thresholds") as err:
        group_sequential_design([0.5, 0.75, 1.0], **kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def _scenario(futility: str, alternative: str = "one-sided", difference: float = 27.0):
    trial = f'allocation = [65, 35]\nalpha = 0.025\nalternative = "{alternative}"\n'
    return parse_scenario(scenario_text(f"""
[design]
looks = [0.5, 0.75, 1.0]
futility = "{futility}"

[[endpoints]]
id = "y"
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 450.0, sd = 69.36 }}
treatment = {{ mean = {450.0 + difference}, sd = 69.36 }}
""", trial))


@pytest.mark.parametrize("futility, alternative, message", [
    ("cp:0.1", "two-sided", "design.futility: conditional-power futility needs a one-sided"),
    ("cp:0.1:0.2:0.3", "one-sided", "design.futility: `futility` 'cp:0.1:0.2:0.3' gives 3"),
    ("cp:1.5", "one-sided", "design.futility: conditional-power thresholds must be"),
    ("cp-trends:0.1", "one-sided", "design.futility: `futility` rule 'cp-trends:0.1'"),
])
def test_scenario_errors_name_design_futility(futility, alternative, message):
    with pytest.raises(ScenarioError) as err:
        _scenario(futility, alternative)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_sweeps_vary_the_rule_as_text():
    assert parse_vary("design.futility=cp:0.1,cp-trend:0.2") == (
        "design.futility", ("cp:0.1", "cp-trend:0.2"))
    sc = load_scenario(EXAMPLE)
    for rule in ("cp:0.1", "cp:0.2"):
        design = sc.with_values({"design.futility": rule}).design
        assert design.futility == rule
        assert design.futility_cp[:-1] == pytest.approx((float(rule[3:]),) * 2, abs=1e-9)


def test_cli_design_prints_z_bounds_and_conditional_power(capsys):
    with pytest.raises(SystemExit) as info:
        main(["design", "--looks", "0.5,0.75,1", "--futility", "cp-trend:0.1", "--format",
              "json"])
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and out["futility"] == "cp-trend:0.1"
    assert [s["futility_cp"] for s in out["stages"]] == pytest.approx([0.1, 0.1, None])
    with pytest.raises(SystemExit):
        main(["design", "--futility", "cp:0.1"])
    table = capsys.readouterr().out
    assert "futility CP" in table and "0.1000" in table
    with pytest.raises(SystemExit) as info:
        main(["design", "--futility", "cp:2"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("Error: ") and err.count("\n") == 1


REPS = 20_000
SEED = 20261203


@pytest.mark.parametrize("futility, binding", [("cp:0.1", False), ("cp-trend:0.1", True)])
def test_simulated_stopping_agrees_with_the_canonical_model(futility, binding):
    # Under H1, a difference of 20.6 (sd 69.36, n = 400 at 65:35: drift 2.84, the planned
    # one of "cp:0.1", power 0.8), and under H0: per look, rejection and futility stops within
    # 4 MCSE (+1e-3 for t versus z) of the closed form.
    sc = _scenario(futility, difference=20.6)
    design = group_sequential_design([0.5, 0.75, 1.0], futility=futility, binding=binding)
    result = sequential_power(sc, 400, design, reps=REPS, seed=SEED)
    for hypothesis, simulated in (("h1", result.h1), ("h0", result.h0)):
        closed = result.closed_form[hypothesis]
        for k, stage in enumerate(simulated["stages"]):
            for key in ("reject", "stop_futility"):
                mcse = max(stage[f"{key}_mcse"], 1 / REPS)
                assert abs(stage[key] - closed[key][k]) <= 4 * mcse + 1e-3, (hypothesis, k, key)
    # the rule does act under H1
    assert sum(stage["stop_futility"] for stage in result.h1["stages"]) > 0.04
    h0 = result.h0
    assert h0["power"] <= design.alpha + 3 * h0["mcse"], h0["power"]
