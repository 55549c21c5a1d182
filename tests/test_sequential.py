"""Group-sequential designs simulated: against rpact's operating characteristics, and under H0.

The reference values are rpact 3.3.4 ``getPowerMeans`` / ``getPowerRates`` at 65:35
(tests/reference/make_gsd_power_reference.R wrote tests/reference/gsd_power_reference.json;
each case keeps its R call). simtrial simulates every trial in nested samples and applies the
design's boundaries look by look; rpact computes the canonical normal model. simtrial's own
closed form, the same canonical model, must equal rpact's to 1e-6.

Means: each simulated figure is within 4 Monte Carlo standard errors of rpact's (plus 1e-3
for the t-versus-z difference at n = 400).

Rates: rpact's drift for two proportions, d / s1 + z_alpha (1 - s0 / s1) (s0 the pooled H0
and s1 the H1 standard error), makes the final analysis match the fixed-design formula, but it
scales the correction z_alpha (1 - s0 / s1) by sqrt(t) to earlier looks, where the boundary is
not z_alpha but the larger b_k: at the first look of the O'Brien-Fleming-type design (t = 0.5,
b = 2.96) rpact gives 0.306 where the chi-square statistic crosses with probability 0.337.
The simulated rates are therefore checked, within 4 MCSE, against the normal approximation of
the chi-square statistic at each look, Z_k ~ N(d / s0_k, (s1 / s0)^2) with the canonical
correlations (computed by the design's own recursive integration on the standardised
boundaries), and the difference to rpact is asserted to be the one that explains.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario_text

from simtrial.design import group_sequential_design
from simtrial.design.sequential import sequential_outcome
from simtrial.scenario import parse_scenario
from simtrial.simulate import sequential_power

REFERENCE = Path(__file__).parent / "reference" / "gsd_power_reference.json"
CASES = {case["id"]: case for case in json.loads(REFERENCE.read_text())["cases"]}
REPS = 20_000
SEED = 20261203


def means(difference: float, alternative: str, alpha: float):
    trial = f'allocation = [65, 35]\nalpha = {alpha}\nalternative = "{alternative}"\n'
    return parse_scenario(scenario_text(f"""
[[endpoints]]
id = "y"
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 450.0, sd = 69.36 }}
treatment = {{ mean = {450.0 + difference}, sd = 69.36 }}
""", trial))


def rates(p_t: float, p_c: float):
    trial = 'allocation = [65, 35]\nalpha = 0.025\nalternative = "one-sided"\n'
    return parse_scenario(scenario_text(f"""
[[endpoints]]
id = "b"
kind = "binary"
test = "chisq"
better = "lower"
control = {{ p = {p_c} }}
treatment = {{ p = {p_t} }}
""", trial))


# case id -> (scenario, design) as the R call states them
SETUPS = {
    "means_asof_3looks_one_sided": (
        lambda: means(27.0, "one-sided", 0.025),
        lambda: group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")),
    "means_asp_2looks_two_sided": (
        lambda: means(20.0, "two-sided", 0.05),
        lambda: group_sequential_design([0.5, 1.0], alpha=0.05, sided=2, efficacy="ld-pocock")),
    "means_asof_bsof_nonbinding": (
        lambda: means(27.0, "one-sided", 0.025),
        lambda: group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf",
                                        futility="ld-obf", beta=0.2, binding=False)),
    "rates_asof_3looks_one_sided": (
        lambda: rates(0.15, 0.30),
        lambda: group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")),
    "rates_hsd_binding_futility": (
        lambda: rates(0.15, 0.30),
        lambda: group_sequential_design([0.3, 0.75, 1.0], alpha=0.025, efficacy="hsd:-4",
                                        futility="hsd:-2", beta=0.1, binding=True)),
}


@pytest.fixture(scope="module", params=sorted(SETUPS))
def simulated(request):
    make_scenario, make_design = SETUPS[request.param]
    design = make_design()
    result = sequential_power(make_scenario(), 400, design, reps=REPS, seed=SEED)
    return CASES[request.param], design, result


def test_design_matches_rpacts_boundaries(simulated):
    case, design, _ = simulated
    np.testing.assert_allclose(design.efficacy_z, case["critical_values"], atol=1e-4)


def test_closed_form_equals_rpact(simulated):
    # The canonical normal model through the same boundaries at the test's drift: this is
    # what rpact prints, so it agrees to the accuracy of the integration.
    case, _, result = simulated
    closed = result.closed_form["h1"]
    assert closed["power"] == pytest.approx(case["overall_reject"][0], abs=1e-6)
    np.testing.assert_allclose(closed["reject"], case["reject_per_stage"], atol=1e-6)
    np.testing.assert_allclose(closed["stop_futility"], case["futility_per_stage"], atol=1e-6)
    assert closed["expected_n"] == pytest.approx(case["expected_n"][0], rel=1e-6)


def lookwise_normal(design, p_t, p_c, n_t, n_c):
    """Crossing probabilities of the chi-square z at each look: N(d / s0_k, (s1 / s0)^2)."""
    from simtrial.design.boundaries import _lower_bounds, _stopping

    d = p_c - p_t  # lower is better
    pooled = (n_t * p_t + n_c * p_c) / (n_t + n_c)
    s0 = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    s1 = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    t = np.asarray(design.information)
    mean, sd = d / s0 * np.sqrt(t), s1 / s0
    upper = (np.asarray(design.efficacy_z) - mean) / sd
    lower = (_lower_bounds(design.efficacy_z, design.futility_z, design.sided, True) - mean) / sd
    return _stopping(t, 0.0, upper, lower, design.sided, design.grid)


def test_simulated_operating_characteristics_agree_within_4_mcse(simulated):
    case, design, result = simulated
    h1 = result.h1
    if case["id"].startswith("rates"):
        # the reference is the chi-square statistic's own normal approximation at each look
        lookwise = lookwise_normal(design, 0.15, 0.30, 260, 140)
        case = dict(case, overall_reject=[lookwise.power],
                    reject_per_stage=lookwise.efficacy.tolist(),
                    futility_per_stage=lookwise.futility.tolist(),
                    expected_n=[lookwise.mean_stop(np.array([s["n"] for s in h1["stages"]]))])
    assert abs(h1["power"] - case["overall_reject"][0]) <= 4 * h1["mcse"] + 1e-3
    for stage, reject, futility in zip(h1["stages"], case["reject_per_stage"],
                                       case["futility_per_stage"], strict=True):
        assert abs(stage["reject"] - reject) <= 4 * max(stage["reject_mcse"], 1 / REPS) + 1e-3
        assert abs(stage["stop_futility"] - futility) <= 4 * max(
            stage["stop_futility_mcse"], 1 / REPS) + 1e-3
    expected = h1["expected_n"]
    assert abs(expected["value"] - case["expected_n"][0]) <= 4 * expected["mcse"] + 0.5


def test_rpacts_rates_differ_by_its_interim_drift_approximation():
    # The first-look difference between rpact and the look-wise normal approximation is the
    # one rpact's drift makes (module docstring), 0.03 for the O'Brien-Fleming-type design.
    design = SETUPS["rates_asof_3looks_one_sided"][1]()
    lookwise = lookwise_normal(design, 0.15, 0.30, 260, 140)
    rpact = CASES["rates_asof_3looks_one_sided"]["reject_per_stage"]
    assert lookwise.efficacy[0] - rpact[0] == pytest.approx(0.031, abs=0.002)
    assert lookwise.power == pytest.approx(CASES["rates_asof_3looks_one_sided"][
        "overall_reject"][0], abs=0.01)


def test_type_one_error_of_the_design_is_at_most_alpha(simulated):
    # Under H0 (the treatment arm as the control arm), the simulated rejection rate of every
    # design is at most its alpha + 3 MCSE (binding futility spends exactly alpha; non-binding
    # futility obeyed in the simulation makes the design conservative).
    _, design, result = simulated
    h0 = result.h0
    assert h0["power"] <= design.alpha + 3 * h0["mcse"], h0["power"]
    assert result.closed_form["h0"]["power"] <= design.alpha + 1e-6


def test_null_case_matches_rpact():
    case = CASES["rates_null_asof"]
    design = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")
    result = sequential_power(rates(0.30, 0.30), 400, design, reps=REPS, seed=SEED)
    assert result.closed_form["h1"]["power"] == pytest.approx(case["overall_reject"][0], abs=1e-6)
    h1 = result.h1
    assert abs(h1["power"] - case["overall_reject"][0]) <= 4 * h1["mcse"]
    assert abs(h1["expected_n"]["value"] - case["expected_n"][0]) <= 4 * h1["expected_n"][
        "mcse"] + 0.5


def test_one_look_is_the_fixed_design():
    # A design with one look rejects exactly where the fixed design does (p <= alpha) on the
    # same simulated trials: the nested-sample kernel with one checkpoint draws what the plain
    # kernel draws.
    from simtrial.simulate import simulated_power

    sc = rates(0.15, 0.30)
    design = group_sequential_design([1.0], alpha=0.025)
    seq = sequential_power(sc, 300, design, reps=4000, seed=SEED)
    fixed = simulated_power(sc, 300, reps=4000, seed=SEED).endpoint("b")
    assert seq.h1["power"] == fixed.power


def test_sequential_outcome_walks_the_boundaries():
    design = group_sequential_design([0.5, 1.0], alpha=0.025, efficacy="obf", futility=[0.0])
    z = np.array([[design.efficacy_z[0] + 1e-9, 0.0, 0.1, -2.0],
                  [0.0, 5.0, design.efficacy_z[1], 5.0]])
    out = sequential_outcome(design, z)
    assert out.look.tolist() == [0, 0, 1, 0]
    assert out.reject.tolist() == [True, False, True, False]
    assert out.futility.tolist() == [False, True, False, True]


def test_expected_n_reads_the_looks():
    design = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")
    result = sequential_power(means(27.0, "one-sided", 0.025), 400, design, reps=2000,
                              seed=SEED)
    stops = [s["reject"] + s["stop_futility"] for s in result.h1["stages"]]
    stops[-1] = 1 - sum(stops[:-1])
    assert result.h1["expected_n"]["value"] == pytest.approx(
        sum(p * s["n"] for p, s in zip(stops, result.h1["stages"], strict=True)), abs=1e-9)
    assert math.isclose(sum(stops), 1.0)


# ---------------------------------------------------------------- the [design] table

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "examples" / "group-sequential.toml"


def test_scenario_design_gives_the_power_json_fields(capsys):
    from simtrial.cli import main

    with pytest.raises(SystemExit) as info:
        main(["power", "--scenario", str(EXAMPLE), "--n", "600", "--reps", "2000",
              "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert info.value.code == 0
    design = data["design"]
    assert [stage["n"] for stage in design["stages"]] == [300, 450, 600]
    for stage in design["stages"]:
        assert {"information", "n", "efficacy_z", "futility_z", "reject",
                "stop_futility"} <= set(stage)
    assert {"value", "mcse"} <= set(design["expected_n"])
    # power is still the overall rejection probability
    (ep,) = data["endpoints"]
    assert ep["power"] == pytest.approx(sum(s["reject"] for s in design["stages"]))
    assert design["h0"]["power"] <= 0.025 + 3 * design["h0"]["mcse"]


def test_scenario_design_matches_the_library_design():
    from simtrial.scenario import load_scenario

    sc = load_scenario(EXAMPLE)
    direct = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf",
                                     futility="ld-obf", beta=0.2)
    assert sc.design == direct


@pytest.mark.parametrize("old, new, message", [
    ("looks = [0.5, 0.75, 1.0]", "looks = [0.5, 0.4, 1.0]", "design.looks: [0.5, 0.4, 1.0]"),
    ("looks = [0.5, 0.75, 1.0]", "looks = [0.5, 0.75]", "ending at 1"),
    ('efficacy = "ld-obf"', 'efficacy = "obrien"', "design.efficacy: boundary rule 'obrien'"),
    ('futility = "ld-obf"', "futility = [0.1]", "design.futility: [0.1] is not allowed"),
    ("beta = 0.2", "beta = 0.7", "design.beta: 0.7 is out of range"),
    ("binding = false", "binding = 1", "design.binding: must be true or false"),
    ("binding = false", "binding = false\nrounds = 3", "design.rounds: unknown key"),
])
def test_bad_design_tables_are_one_error_line(capsys, tmp_path, old, new, message):
    from catalogue import expect_error

    text = EXAMPLE.read_text()
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1))
    for command in (["validate", bad], ["power", "--scenario", bad, "--n", "400"]):
        expect_error(capsys, command, 2, message)


def test_other_endpoints_under_a_design_are_refused(capsys, tmp_path):
    from catalogue import expect_error

    text = EXAMPLE.read_text() + '''
[[endpoints]]
id = "other"
kind = "binary"
test = "chisq"
better = "lower"
control = { p = 0.3 }
treatment = { p = 0.2 }
'''
    f = tmp_path / "two.toml"
    f.write_text(text)
    expect_error(capsys, ["power", "--scenario", f, "--n", "400", "--endpoint", "other"], 2,
                 "primary endpoint 'walk_m'")


def test_design_command_prints_the_boundaries(capsys):
    from simtrial.cli import main

    with pytest.raises(SystemExit) as info:
        main(["design", "--looks", "0.5,0.75,1", "--efficacy", "ld-obf", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert info.value.code == 0
    rpact = CASES["means_asof_3looks_one_sided"]["critical_values"]
    np.testing.assert_allclose([s["efficacy_z"] for s in data["stages"]], rpact, atol=1e-4)
    assert [s["information"] for s in data["stages"]] == [0.5, 0.75, 1.0]
    assert data["stages"][-1]["alpha_spent"] == pytest.approx(0.025, abs=1e-8)
    with pytest.raises(SystemExit):
        main(["design", str(EXAMPLE)])
    table = capsys.readouterr().out
    assert "futility ld-obf (non-binding)" in table and "nominal p" in table


@pytest.mark.parametrize("args, message", [
    (["--looks", "0.5,x"], "'--looks': '0.5,x' is not a comma-separated list"),
    (["--looks", "0.5,0.4,1"], "`looks` must be increasing"),
    (["--efficacy", "obrien"], "boundary rule 'obrien'"),
    (["--futility", "0.1"], "futility"),
    (["msc-covid19"], "msc-covid19 has no [design] table"),
])
def test_design_command_errors(capsys, args, message):
    from catalogue import expect_error

    expect_error(capsys, ["design", *args], 2, message)


def test_a_design_without_futility_has_none():
    from simtrial.scenario import parse_scenario as parse

    text = EXAMPLE.read_text().replace('futility = "ld-obf"', "").replace("binding = false", "")
    assert all(math.isinf(a) for a in parse(text).design.futility_z)
