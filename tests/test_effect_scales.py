"""Effects given relative to control: risk difference, risk ratio, odds ratio, ratio of gmeans.

The conversions are checked by hand-calculated doctests (simtrial.endpoints.bernoulli); here:
the derived parameter is what the simulation uses (the same power, bit for bit, as the
scenario with the derived value given directly), the given number keeps its provenance, and
impossible combinations are refused with the key named.
"""

import pytest

from simtrial import power
from simtrial.endpoints.bernoulli import effect_scales, treatment_p
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario


def _binary(treatment, control="{ p = 0.30 }"):
    return parse_scenario(f"""
schema_version = 1
name = "scales"
[[endpoints]]
id = "y"
kind = "binary"
test = "chisq"
better = "lower"
control = {control}
treatment = {treatment}
""")


@pytest.mark.parametrize(("given", "p"), [("risk_difference = -0.1", 0.2),
                                          ("risk_ratio = 0.5", 0.15),
                                          ("odds_ratio = 0.5", 0.3 * 0.5 / (0.7 + 0.15))])
def test_a_binary_effect_scale_gives_the_treatment_p(given, p):
    sc = _binary(f"{{ {given} }}")
    ep = sc.endpoints[0]
    assert ep.treatment["p"] == pytest.approx(p, rel=1e-14)
    direct = power(_binary(f"{{ p = {ep.treatment['p']!r} }}"), 300, reps=2000, seed=3)
    assert power(sc, 300, reps=2000, seed=3).endpoints[0].power == direct.endpoints[0].power
    scales = effect_scales(ep.treatment["p"], 0.30)
    name, value = given.split(" = ")
    assert scales[name] == pytest.approx(float(value), rel=1e-12)
    assert f"given as {name}" in ep.describe()


def test_the_given_number_keeps_its_provenance_and_can_be_swept():
    sc = load_scenario("effect-scales")
    assert sc.provenance["endpoints.mortality.treatment.odds_ratio"].basis == "assumed"
    swept = sc.with_values({"endpoints.mortality.treatment.odds_ratio": 0.7})
    assert swept.endpoint("mortality").treatment["p"] == pytest.approx(treatment_p(
        "odds_ratio", 0.7, 0.3))
    # a sweep of the control arm keeps the odds ratio, not the treatment p
    moved = sc.with_values({"endpoints.mortality.control.p": 0.4})
    assert effect_scales(moved.endpoint("mortality").treatment["p"], 0.4)["odds_ratio"] == (
        pytest.approx(0.5))
    # the derived p set directly replaces the effect scale
    direct = sc.with_values({"endpoints.mortality.treatment.p": 0.2}).endpoint("mortality")
    assert dict(direct.treatment) == {"p": 0.2}
    titre = sc.with_values({"endpoints.titre.treatment.gmean": 120.0}).endpoint("titre")
    assert dict(titre.treatment) == {"gmean": 120.0, "gsd": 3.0}


@pytest.mark.parametrize(("treatment", "control", "message"), [
    ("{ risk_difference = 0.8 }", "{ p = 0.3 }",
     r"treatment.risk_difference: 0.8 with control p 0.3 gives p = 1.1, outside \[0, 1\]"),
    ("{ risk_ratio = 4.0 }", "{ p = 0.3 }", r"treatment.risk_ratio: 4.0 with control p"),
    ("{ odds_ratio = 2.0 }", "{ p = 0.0 }", "treatment.odds_ratio: needs a control p strictly"),
    ("{ p = 0.2 }", "{ risk_ratio = 0.5 }", "endpoints\\[0\\].control: must give p"),
    ("{ risk_ratio = -1.0 }", "{ p = 0.3 }", "risk_ratio: -1.0 is out of range"),
])
def test_impossible_effect_scales_are_refused(treatment, control, message):
    with pytest.raises(ScenarioError, match=message):
        _binary(treatment, control)


def test_a_lognormal_ratio_of_geometric_means():
    ep = load_scenario("effect-scales").endpoint("titre")
    assert ep.treatment["gmean"] == 150.0
    assert ep.describe() == "gmean 150 vs 100 (ratio 1.5; given as ratio)"
    with pytest.raises(ScenarioError, match="control: must give gmean"):
        load_scenario("effect-scales").with_values({"endpoints.titre.control.ratio": 2.0})
