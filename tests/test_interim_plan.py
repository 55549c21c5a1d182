"""The numbers of a report's interim-analysis-plan section (simtrial.design.plan)."""

import math
from pathlib import Path

import pytest

from simtrial.design import group_sequential_design
from simtrial.design.plan import inflation_factor, interim_plan
from simtrial.errors import InputError
from simtrial.scenario import load_scenario
from simtrial.simulate import sequential_power

EXAMPLES = Path(__file__).parents[1] / "scenarios" / "examples"


def test_inflation_factor_at_another_power_equals_rpact():
    # rpact 3.3.4: d <- getDesignGroupSequential(kMax = 3, informationRates = c(.5, .75, 1),
    #   typeOfDesign = "asOF", alpha = 0.025, beta = 0.1)
    # getDesignCharacteristics(d)$inflationFactor  -> 1.018275771
    d = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")
    assert inflation_factor(d, 0.9) == pytest.approx(1.018275771, abs=1e-6)
    assert inflation_factor(d, 0.01) is None and inflation_factor(d, 1.0) is None


def test_plan_holds_the_simulated_and_canonical_characteristics():
    sc = load_scenario(EXAMPLES / "group-sequential.toml")
    plan = interim_plan(sc, 500, reps=4000, seed=9)
    seq = sequential_power(sc, 500, sc.design, reps=4000, seed=9)
    assert [row["n"] for row in plan["looks"]] == [250, 375, 500]
    assert [row["look"] for row in plan["looks"]] == [1, 2, 3]
    for row, h1, h0 in zip(plan["looks"], seq.h1["stages"], seq.h0["stages"], strict=True):
        assert row["h1"]["reject"] == h1["reject"] and row["h0"]["reject"] == h0["reject"]
        assert row["h1"]["stop_futility"] == h1["stop_futility"]
        assert sum(row["n_per_arm"].values()) == row["n"]
        # 4 MCSE of 4,000 trials, plus the t-versus-z difference of the canonical model (1e-3)
        mcse = math.sqrt(h1["reject"] * (1 - h1["reject"]) / 4000)
        assert row["closed_form"]["h1"]["reject"] == pytest.approx(h1["reject"],
                                                                   abs=4 * mcse + 1e-3)
    assert plan["power"]["value"] == pytest.approx(sum(r["h1"]["reject"] for r in plan["looks"]))
    assert plan["type_one_error"]["value"] <= 0.025 + 3 * plan["type_one_error"]["mcse"]
    for hypothesis in ("h1", "h0"):
        expected = plan["expected_n"][hypothesis]
        assert abs(expected["value"] - expected["closed_form"]) < 4 * expected["mcse"] + 2
    factor = plan["inflation_factor"]
    assert factor["power"] == plan["power"]["closed_form"]
    assert factor["value"] == pytest.approx(inflation_factor(sc.design, factor["power"]))
    assert factor["fixed_n"] == -(-500 // factor["value"])
    assert plan["design_inflation_factor"] == sc.design.inflation_factor
    assert "secondary" not in plan


def test_plan_of_a_family_names_the_secondary_bounds():
    plan = interim_plan(str(EXAMPLES / "group-sequential-family.toml"), 400, reps=500)
    assert plan["secondary"]["endpoints"] == ["walk_lln"]
    assert plan["secondary"]["rule"] == "ld-pocock" and len(plan["secondary"]["efficacy_z"]) == 3


def test_plan_needs_a_design():
    with pytest.raises(InputError, match="has no \\[design\\] table"):
        interim_plan("msc-covid19", 400, reps=100)
