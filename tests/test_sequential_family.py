"""A family of endpoints under a group-sequential design: tested at the look where the trial stops.

The primary drives stopping; the secondary is tested at the stopping look on its own
alpha-spending boundary, only if the primary rejected (simtrial/design/family.py). Checked:

- against the canonical bivariate normal model, computed independently by Genz's method
  (scipy's multivariate normal, :func:`secondary_rejection_probability`): the simulated
  rejection probability of the secondary, within 4 MCSE plus 2e-3 for the t statistics'
  distance from the normal model at n = 400 (two looks, O'Brien-Fleming bounds, rho = 0.9);
- Hung, Wang & O'Neill (2007): the same secondary tested at the nominal alpha at the stopping
  look errs more than alpha + 3 MCSE (exactly 0.0343 against 0.025), on Pocock-type
  boundaries at most alpha + 3 MCSE;
- the family-wise error at most alpha + 3 MCSE under the global null and both partial nulls
  (the example scenario: a normal primary and a correlated binary secondary, three looks).
"""

from pathlib import Path

import numpy as np
import pytest
from conftest import scenario_text

from simtrial.design.family import (
    nominal_bounds,
    secondary_design,
    secondary_rejection_probability,
)
from simtrial.design.sequential import sequential_outcome
from simtrial.scenario import load_scenario, parse_scenario
from simtrial.simulate import group_nested_looks, look_sizes, power

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "examples" / "group-sequential-family.toml"
SEED = 20261203
ALPHA = 0.025
N = 400                            # 260 : 140, no dropout
SCALE = float(np.sqrt(260 * 140 / 400))  # drift = standardised difference * SCALE


def pair(drift_a: float, drift_b: float, rho: float = 0.9, secondary: str = "ld-pocock"):
    """Two normal endpoints whose final z-statistics have means drift_a, drift_b."""
    trial = f'allocation = [65, 35]\nalpha = {ALPHA}\nalternative = "one-sided"\n'
    endpoints = "".join(f"""
[[endpoints]]
id = "{name}"
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 0.0, sd = 1.0 }}
treatment = {{ mean = {drift / SCALE!r}, sd = 1.0 }}
""" for name, drift in (("a", drift_a), ("b", drift_b)))
    return parse_scenario(scenario_text(endpoints, trial) + f"""
[design]
looks = [0.5, 1.0]
efficacy = "obf"
secondary = "{secondary}"

[analysis]
multiplicity = "fixed-sequence"
order = ["a", "b"]

[[correlations]]
endpoints = ["a", "b"]
rho = {rho}
""")


def secondary_rejections(sc, bounds, reps):
    """Simulated rejections of the gated secondary on ``bounds``, at every look."""
    from simtrial.design.family import hierarchical_rejections

    sizes = np.array([sc.trial.split(m) for m in look_sizes(sc.trial, sc.design, N)])
    a, b = group_nested_looks(list(sc.endpoints), sc.correlations, sizes, "one-sided", reps,
                              SEED, signed=True)
    outcome = sequential_outcome(sc.design, a.z)
    return hierarchical_rejections(outcome, [b.z], [bounds], sided=1)[:, 1]


@pytest.mark.parametrize("drift_b, rule", [(0.0, "nominal"), (0.0, "ld-pocock"),
                                           (0.0, "ld-obf"), (2.5, "ld-pocock")])
def test_secondary_rejection_matches_the_bivariate_normal_model(drift_b, rule):
    reps = 20_000
    sc = pair(2.0, drift_b)
    bounds = (nominal_bounds(sc.design) if rule == "nominal"
              else secondary_design(sc.design, rule).efficacy_z)
    exact = float(secondary_rejection_probability(sc.design, bounds, 2.0, drift_b, 0.9).sum())
    simulated = float(secondary_rejections(sc, bounds, reps).mean())
    mcse = np.sqrt(exact * (1 - exact) / reps)
    assert abs(simulated - exact) <= 4 * mcse + 2e-3
    if drift_b == 0.0 and rule == "nominal":  # Hung et al.: nominal testing inflates the error
        assert exact == pytest.approx(0.0343, abs=1e-4)
        assert simulated > ALPHA + 3 * mcse
    elif drift_b == 0.0:
        assert exact <= ALPHA and simulated <= ALPHA + 3 * mcse


def test_exact_reference_at_one_look_is_the_bivariate_normal_tail():
    from scipy import stats

    from simtrial.design import group_sequential_design

    d = group_sequential_design([1.0], alpha=ALPHA)
    got = secondary_rejection_probability(d, [1.96], 2.8, 1.0, 0.5)
    joint = stats.multivariate_normal([2.8, 1.0], [[1, 0.5], [0.5, 1]])
    # P(Z1 >= b, Z2 >= c) by inclusion-exclusion of the bivariate cdf
    b, c = d.efficacy_z[0], 1.96
    expected = 1 - stats.norm.cdf(b - 2.8) - stats.norm.cdf(c - 1.0) + joint.cdf([b, c])
    assert got[0] == pytest.approx(expected, abs=1e-6)


def _family(values, reps=10_000):
    sc = load_scenario(EXAMPLE)
    if values:
        sc = sc.with_values(values)
    return power(sc, N, reps=reps, seed=SEED)


NO_EFFECT_M = {"endpoints.walk_m.treatment.mean": 450.0}
NO_EFFECT_LLN = {"endpoints.walk_lln.treatment.p": 0.30}


@pytest.mark.parametrize("values, true_nulls", [
    ({**NO_EFFECT_M, **NO_EFFECT_LLN}, ("walk_m", "walk_lln")),   # global null
    (NO_EFFECT_LLN, ("walk_lln",)),                               # primary works, secondary not
    (NO_EFFECT_M, ("walk_m",)),                                   # secondary works only
])
def test_family_wise_error_at_most_alpha(values, true_nulls):
    res = _family(values)
    family = res.family
    assert family is not None and family.endpoints == ("walk_m", "walk_lln")
    if len(true_nulls) == 2:
        fwer, mcse = family.power_any, family.mcse_any
    else:
        ep = res.endpoint(true_nulls[0])
        fwer, mcse = ep.power, ep.mcse
    assert fwer <= ALPHA + 3 * mcse
    # gated: the secondary is never rejected without the primary
    assert family.power_any == pytest.approx(res.endpoint("walk_m").power)


def test_example_family_in_power_json(capsys):
    import json

    from simtrial.cli import main

    with pytest.raises(SystemExit) as info:
        main(["power", "--scenario", str(EXAMPLE), "--n", "400", "--reps", "2000",
              "--format", "json"])
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in data["endpoints"]] == ["walk_m", "walk_lln"]
    family = data["family"]
    assert family["procedure"] == "fixed-sequence"
    primary, secondary = data["endpoints"]
    assert family["power_any"] == primary["power"] and family["power_all"] == secondary["power"]
    block = data["design"]["family"]
    assert block["secondary"] == "ld-pocock"
    (row,) = block["endpoints"]
    assert row["id"] == "walk_lln" and len(row["efficacy_z"]) == 3
    assert sum(row["reject"]) == pytest.approx(row["power"])
    assert row["power"] <= row["power_unadjusted"] == secondary["power_unadjusted"]
    # the primary's numbers do not depend on how the family is tested
    assert primary["power"] == pytest.approx(data["design"]["power"])


def test_primary_alone_is_unchanged_by_a_family_it_is_not_correlated_with():
    sc = pair(2.0, 0.0, rho=0.0)
    alone = power(sc, N, reps=2000, seed=SEED, endpoints=["a"])
    both = power(sc, N, reps=2000, seed=SEED)
    assert alone.endpoint("a").power == both.endpoint("a").power
    assert alone.design["stages"] == both.design["stages"]


@pytest.mark.parametrize("old, new, message", [
    ('multiplicity = "fixed-sequence"\norder = ["walk_m", "walk_lln"]',
     'multiplicity = "holm"\nfamily = ["walk_m", "walk_lln"]',
     "multiplicity must be \"fixed-sequence\""),
    ('order = ["walk_m", "walk_lln"]', 'order = ["walk_lln", "walk_m"]',
     "must come first in [analysis] order"),
    ('secondary = "ld-pocock"', 'secondary = "bonferroni"',
     "design.secondary: boundary rule 'bonferroni'"),
    ('secondary = "ld-pocock"', "secondary = 2", "design.secondary"),
])
def test_bad_family_designs_are_one_error_line(capsys, tmp_path, old, new, message):
    from catalogue import expect_error

    text = EXAMPLE.read_text()
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1))
    expect_error(capsys, ["power", "--scenario", bad, "--n", "400", "--reps", "200"], 2,
                 message)


def test_endpoint_outside_the_family_is_refused(capsys, tmp_path):
    from catalogue import expect_error

    f = tmp_path / "three.toml"
    f.write_text(EXAMPLE.read_text() + """
[[endpoints]]
id = "other"
kind = "binary"
test = "chisq"
better = "lower"
control = { p = 0.3 }
treatment = { p = 0.2 }
""")
    expect_error(capsys, ["power", "--scenario", f, "--n", "400", "--endpoint", "other"], 2,
                 "primary endpoint 'walk_m' and its family's 'walk_lln', not for 'other'")


def test_table_shows_the_secondary_bounds_and_no_closed_form(capsys):
    from simtrial.cli import main

    with pytest.raises(SystemExit):
        main(["power", "--scenario", str(EXAMPLE), "--n", "400", "--reps", "500"])
    out = capsys.readouterr().out
    assert "walk_lln: tested at the stopping look (if every endpoint before it rejected) on " \
           "ld-pocock bounds 2.157, 2.312, 2.327" in out
    res = power(load_scenario(EXAMPLE), 400, reps=500)
    assert res.endpoint("walk_lln").analytic_power is None
    assert "stops the trial" in res.endpoint("walk_lln").analytic_note


def test_samplesize_under_a_design_with_a_family_searches_the_primary():
    from simtrial.errors import InputError
    from simtrial.search import sample_size

    sc = load_scenario(EXAMPLE)
    res = sample_size(sc, "walk_m", 0.8, reps=1000, seed=SEED)
    assert res.design is not None and res.design["family"]["endpoints"][0]["id"] == "walk_lln"
    assert res.n_total >= res.design["fixed_n"] * 0.9
    with pytest.raises(InputError, match="searched for its primary endpoint 'walk_m'"):
        sample_size(sc, "walk_lln", 0.8, reps=200)
    holm = parse_scenario(EXAMPLE.read_text().replace(
        'multiplicity = "fixed-sequence"\norder', 'multiplicity = "holm"\nfamily'))
    with pytest.raises(InputError, match="multiplicity must be \"fixed-sequence\""):
        sample_size(holm, "walk_m", 0.8, reps=200)
