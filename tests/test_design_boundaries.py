"""Group-sequential boundaries (simtrial.design) against rpact, closed forms and themselves.

Reference numbers: tests/reference/gsd_reference.json, written by
tests/reference/make_gsd_reference.R (rpact 3.3.4 getDesignGroupSequential,
getDesignCharacteristics, getPowerMeans); each entry carries its exact R call.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from simtrial.design import (
    ClassicalBoundary,
    HwangShihDeCani,
    KimDeMets,
    LanDeMetsOBrienFleming,
    LanDeMetsPocock,
    group_sequential_design,
    parse_rule,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "gsd_reference.json").read_text())
DESIGNS = REFERENCE["designs"]
Z_TOL = 1e-4            # issue 17: boundaries equal rpact to 1e-4 on the z scale
RULES = {"asOF": "ld-obf", "asP": "ld-pocock", "OF": "obf", "P": "pocock",
         "noEarlyEfficacy": "none", "bsOF": "ld-obf"}


def _rule(kind: str, gamma: float | None) -> str:
    if kind in ("asHSD", "bsHSD"):
        return f"hsd:{gamma:g}"
    if kind in ("asKD", "bsKD"):
        return f"kd:{gamma:g}"
    return RULES[kind]


def _kwargs(case: dict[str, Any]) -> dict[str, Any]:
    futility: Any = None
    if case["typeBetaSpending"] != "none":
        futility = _rule(case["typeBetaSpending"], case["gammaB"])
    elif case["futilityBoundsZ"] is not None:
        futility = case["futilityBoundsZ"]
    return {"looks": case["informationRates"], "alpha": case["alpha"], "sided": case["sided"],
            "beta": case["beta"], "efficacy": _rule(case["typeOfDesign"], case["gammaA"]),
            "futility": futility, "binding": case["bindingFutility"]}


def _bounds(values: list[float | None], missing: float) -> np.ndarray:
    return np.array([missing if v is None else v for v in values])


@pytest.fixture(scope="module", params=DESIGNS, ids=[c["id"] for c in DESIGNS])
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Any]:
    return request.param, group_sequential_design(**_kwargs(request.param))


# ------------------------------------------------------------------ rpact


def test_boundaries_equal_rpact(case):
    ref, design = case
    np.testing.assert_allclose(design.efficacy_z, _bounds(ref["criticalValues"], np.inf),
                               rtol=0, atol=Z_TOL)
    futility = _bounds(ref["futilityBounds"], -np.inf)
    np.testing.assert_allclose(design.futility_z[:-1], futility, rtol=0, atol=Z_TOL)
    assert design.futility_z[-1] == -np.inf


def test_alpha_spent_equals_rpact(case):
    # rpact solves its bounds to tolerance 1e-8 and prints alphaSpent to that precision
    ref, design = case
    np.testing.assert_allclose(design.alpha_spent, ref["alphaSpent"], rtol=0, atol=2e-7)


def test_characteristics_equal_rpact(case):
    # > rpact::getDesignCharacteristics(<design>): shift, inflationFactor, power,
    #   rejection / futility probabilities per stage and averageSampleNumber1/01/0
    ref, design = case
    assert design.drift**2 == pytest.approx(ref["shift"], rel=1e-5)
    assert design.inflation_factor == pytest.approx(ref["inflationFactor"], rel=1e-5)
    at_drift = design.stopping_probabilities(design.drift)
    np.testing.assert_allclose(np.cumsum(at_drift.efficacy), ref["power"], rtol=0, atol=1e-6)
    # rpact integrates a no-efficacy interim look with its bound set to a large finite
    # number, which moves its futility probabilities by up to 3e-6: hence 1e-5 here
    np.testing.assert_allclose(at_drift.futility[:-1], ref["futilityProbabilities"],
                               rtol=0, atol=1e-5)
    asn = {"averageSampleNumber1": design.expected_information_h1,
           "averageSampleNumber01": design.expected_information(design.drift / 2),
           "averageSampleNumber0": design.expected_information_h0}
    for key, expected in asn.items():
        assert design.inflation_factor * expected == pytest.approx(ref[key], rel=1e-5), key


@pytest.mark.parametrize("ref", REFERENCE["power_means"], ids=lambda c: c["id"])
def test_stopping_probabilities_equal_rpact_power_means(ref):
    # > rpact::getPowerMeans(<design>, normalApproximation = TRUE, ...): the canonical model
    #   with drift alternative/stDev * sqrt(N r)/(1 + r)
    design = group_sequential_design(**_kwargs(ref["spec"]))
    probs = design.stopping_probabilities(ref["drift"])
    np.testing.assert_allclose(probs.efficacy + probs.efficacy_lower, ref["rejectPerStage"],
                               rtol=0, atol=1e-6)
    if ref["futilityPerStage"][0] is not None:
        np.testing.assert_allclose(probs.futility[:-1], ref["futilityPerStage"], rtol=0,
                                   atol=1e-6)
    expected_n = ref["maxNumberOfSubjects"] * design.expected_information(ref["drift"])
    assert expected_n == pytest.approx(ref["expectedNumberOfSubjects"], rel=1e-6)


# ------------------------------------------------------------------ spending exactly


def _spending_cases() -> list[dict[str, Any]]:
    return [c for c in DESIGNS if c["typeOfDesign"] not in ("OF", "P")]


@pytest.mark.parametrize("ref", _spending_cases(), ids=lambda c: c["id"])
def test_alpha_spent_equals_spending_function(ref):
    design = group_sequential_design(**_kwargs(ref))
    t = np.asarray(design.information)
    rule = parse_rule(_rule(ref["typeOfDesign"], ref["gammaA"]))
    if rule is None:
        target = np.where(t < 1, 0.0, design.alpha)
    else:
        target = design.sided * rule.spent(t, design.alpha / design.sided)
    np.testing.assert_allclose(design.alpha_spent, target, rtol=0, atol=1e-8)
    # and the recursion re-run from the reported bounds spends the same
    null = design.stopping_probabilities(0.0, obey_futility=design.binding)
    np.testing.assert_allclose(np.cumsum(null.efficacy + null.efficacy_lower), target,
                               rtol=0, atol=1e-8)


def test_beta_spent_equals_beta_spending_function():
    design = group_sequential_design([0.3, 0.75, 1.0], futility="hsd:-2", beta=0.1,
                                     binding=True)
    beta_spent = np.cumsum(design.stopping_probabilities(design.drift).futility)
    target = HwangShihDeCani(-2.0).spent([0.3, 0.75], 0.1)
    np.testing.assert_allclose(beta_spent[:2], target, rtol=0, atol=1e-8)
    assert design.stopping_probabilities(design.drift).power == pytest.approx(0.9, abs=1e-8)


# ------------------------------------------------------------------ closed forms


@pytest.mark.parametrize("sided, alpha", [(1, 0.025), (2, 0.05), (1, 0.1)])
@pytest.mark.parametrize("efficacy", ["ld-obf", "ld-pocock", "hsd:-4", "kd:3", "obf", "pocock",
                                      "none"])
def test_single_look_is_the_fixed_design(efficacy, sided, alpha):
    design = group_sequential_design([1.0], alpha=alpha, sided=sided, efficacy=efficacy,
                                     futility="ld-obf" if sided == 1 else None, beta=0.1)
    z_alpha = stats.norm.isf(alpha / sided)
    assert design.efficacy_z[0] == pytest.approx(z_alpha, abs=1e-10)
    assert design.nominal_p[0] == pytest.approx(alpha / sided, rel=1e-9)
    fixed_drift = z_alpha + stats.norm.isf(0.1)
    if sided == 1:
        assert design.drift == pytest.approx(fixed_drift, abs=1e-9)
        assert design.inflation_factor == pytest.approx(1.0, abs=1e-9)
    assert design.expected_information_h0 == 1.0


def _bivariate_stopping(t1, a1, b1, b2, drift):
    """P(Z1 >= b1), P(Z1 <= a1), P(a1 < Z1 < b1, Z2 >= b2) from the bivariate normal."""
    rho = math.sqrt(t1)
    mean = np.array([drift * math.sqrt(t1), drift])
    mvn = stats.multivariate_normal(mean, [[1.0, rho], [rho, 1.0]], abseps=1e-12, releps=1e-12)
    upper = stats.norm.sf(b1 - mean[0])
    lower = stats.norm.cdf(a1 - mean[0])

    def cdf(x1, x2):
        return mvn.cdf([x1, x2])

    # P(a1 < Z1 < b1, Z2 >= b2) = P(a1 < Z1 < b1) - P(a1 < Z1 < b1, Z2 < b2)
    band = stats.norm.cdf(b1 - mean[0]) - lower
    band_below = cdf(b1, b2) - cdf(a1, b2)
    return upper, lower, band - band_below


@pytest.mark.parametrize("drift", [0.0, 1.5, 2.8])
@pytest.mark.parametrize("kwargs", [
    {"looks": [0.4, 1.0], "efficacy": "pocock"},
    {"looks": [0.4, 1.0], "efficacy": "ld-obf", "futility": [0.2], "binding": True},
    {"looks": [0.6, 1.0], "efficacy": "hsd:-4", "futility": "ld-obf"},
])
def test_two_looks_equal_bivariate_normal(kwargs, drift):
    design = group_sequential_design(**kwargs)
    (b1, b2), a1 = design.efficacy_z, design.futility_z[0]
    a1_finite = a1 if math.isfinite(a1) else -12.0
    upper, lower, second = _bivariate_stopping(design.information[0], a1_finite, b1, b2, drift)
    probs = design.stopping_probabilities(drift)
    assert probs.efficacy[0] == pytest.approx(upper, abs=1e-12)
    assert probs.futility[0] == pytest.approx(lower if math.isfinite(a1) else 0.0, abs=1e-12)
    assert probs.efficacy[1] == pytest.approx(second, abs=1e-8)


def test_two_sided_design_is_symmetric():
    two = group_sequential_design([0.3, 0.75, 1.0], alpha=0.05, sided=2, efficacy="hsd:1")
    one = group_sequential_design([0.3, 0.75, 1.0], alpha=0.025, sided=1, efficacy="hsd:1")
    # the first look spends alpha/2 per tail exactly as the one-sided design at alpha/2;
    # later looks differ because the lower tail also stops two-sided trials
    assert two.efficacy_z[0] == pytest.approx(one.efficacy_z[0], abs=1e-12)
    null = two.stopping_probabilities(0.0)
    np.testing.assert_allclose(null.efficacy, null.efficacy_lower, rtol=1e-9)
    np.testing.assert_allclose(np.cumsum(null.efficacy), one.alpha_spent, rtol=0, atol=1e-8)


def test_finer_grid_agrees():
    kwargs = {"looks": [0.2, 0.45, 0.7, 1.0], "efficacy": "ld-obf", "futility": "hsd:-2",
              "beta": 0.1, "binding": True}
    coarse, fine = group_sequential_design(**kwargs), group_sequential_design(**kwargs, grid=96)
    np.testing.assert_allclose(coarse.efficacy_z, fine.efficacy_z, atol=1e-7)
    np.testing.assert_allclose(coarse.futility_z[:-1], fine.futility_z[:-1], atol=1e-7)
    assert coarse.drift == pytest.approx(fine.drift, abs=1e-7)


def test_probabilities_sum_to_one():
    design = group_sequential_design([0.25, 0.5, 0.75, 1.0], futility="ld-obf")
    for drift in (0.0, 1.0, design.drift, 5.0):
        stop = design.stopping_probabilities(drift).stop
        assert np.all(stop >= 0)
        assert stop.sum() == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------ spending functions


@pytest.mark.parametrize("rule", [LanDeMetsOBrienFleming(), LanDeMetsPocock(),
                                  HwangShihDeCani(-4.0), HwangShihDeCani(0.0),
                                  HwangShihDeCani(1.0), KimDeMets(1.0), KimDeMets(3.0)])
def test_spending_function_shape(rule):
    t = np.linspace(0, 1, 101)
    spent = rule.spent(t, 0.025)
    assert spent[0] == 0.0 and spent[-1] == 0.025
    assert np.all(np.diff(spent) >= 0)


def test_spending_closed_forms():
    z = stats.norm.isf(0.0125)
    assert LanDeMetsOBrienFleming().spent(0.4, 0.025) == pytest.approx(
        2 * stats.norm.sf(z / math.sqrt(0.4)), rel=1e-14)
    assert LanDeMetsPocock().spent(0.4, 0.025) == pytest.approx(
        0.025 * math.log(1 + (math.e - 1) * 0.4), rel=1e-14)
    assert HwangShihDeCani(-4.0).spent(0.4, 0.025) == pytest.approx(
        0.025 * (1 - math.exp(1.6)) / (1 - math.exp(4.0)), rel=1e-14)
    assert HwangShihDeCani(1e-9).spent(0.4, 0.025) == pytest.approx(0.01, rel=1e-8)
    assert KimDeMets(3.0).spent(0.4, 0.025) == pytest.approx(0.025 * 0.064, rel=1e-14)


@pytest.mark.parametrize("text, expected", [
    ("ld-obf", LanDeMetsOBrienFleming()), ("LD-Pocock", LanDeMetsPocock()),
    ("hsd:-4", HwangShihDeCani(-4.0)), ("hsd:1", HwangShihDeCani(1.0)),
    ("kd:3", KimDeMets(3.0)), (" kd:0.5 ", KimDeMets(0.5)),
    ("obf", ClassicalBoundary("obf")), ("pocock", ClassicalBoundary("pocock")), ("none", None),
])
def test_parse_rule(text, expected):
    assert parse_rule(text) == expected
    if expected is not None:
        assert parse_rule(expected.label) == expected


@pytest.mark.parametrize("text", ["of", "hsd", "hsd:x", "kd:0", "kd:-1", "ld_obf", ""])
def test_parse_rule_rejects_with_the_allowed_forms(text):
    with pytest.raises(ValueError, match=r"not one of: obf \| pocock \| ld-obf") as err:
        parse_rule(text)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ input and output


@pytest.mark.parametrize("kwargs, name", [
    ({"looks": [0.5, 0.9]}, "`looks`"), ({"looks": [0.6, 0.5, 1.0]}, "`looks`"),
    ({"looks": [0.0, 1.0]}, "`looks`"), ({"looks": [0.5, 1.0], "sided": 3}, "`sided`"),
    ({"looks": [0.5, 1.0], "alpha": 0.6}, "`alpha`"),
    ({"looks": [0.5, 1.0], "beta": 0.99}, "`beta`"),
    ({"looks": [0.5, 1.0], "grid": 4}, "`grid`"),
    ({"looks": [0.5, 1.0], "futility": [0.0, 0.1]}, "`futility`"),
    ({"looks": [0.5, 1.0], "futility": "obf"}, "`futility`"),
    ({"looks": [0.5, 1.0], "futility": "ld-obf", "sided": 2, "alpha": 0.05}, "`futility`"),
    ({"looks": [0.5, 1.0], "efficacy": "obf", "futility": "ld-obf", "binding": True},
     "`efficacy`"),
    ({"looks": [0.5, 1.0], "efficacy": "bogus"}, "boundary rule"),
])
def test_bad_input_is_one_line_value_error(kwargs, name):
    with pytest.raises(ValueError, match=name) as err:
        group_sequential_design(**kwargs)
    assert "\n" not in str(err.value)


def test_to_dict_is_json():
    design = group_sequential_design([0.3, 0.75, 1.0], efficacy="none", futility="ld-obf")
    out = json.loads(json.dumps(design.to_dict(), allow_nan=False))
    assert [s["information"] for s in out["stages"]] == [0.3, 0.75, 1.0]
    assert out["stages"][0]["efficacy_z"] is None and out["stages"][2]["futility_z"] is None
    assert out["efficacy"] == "none" and out["futility"] == "ld-obf"
    assert out["stages"][2]["alpha_spent"] == pytest.approx(0.025, abs=1e-12)
