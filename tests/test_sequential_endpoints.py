"""Interim looks of endpoints without a nested-sample kernel: ranks, scores, ordinal levels.

Their trials are simulated patient by patient and every look is analysed afresh (ties and
all: tests/test_correlated.py checks each look against numpy and scipy on the same draws).
The statistics are not normal at n = 90 with heavy ties, so the design's attained type I
error is simulated (under H0: the treatment arm as the control arm) and must be at most the
nominal alpha + 3 MCSE; the numbers are printed next to the nominal one in ``design.h0``.
"""

import json
from pathlib import Path

import pytest
from conftest import scenario_text

from simtrial.scenario import parse_scenario
from simtrial.simulate import sequential_power

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "examples" / "group-sequential.toml"
ALPHA = 0.025
REPS = 20_000
SEED = 20261203
DESIGN = """
[design]
looks = [0.5, 0.75, 1.0]
efficacy = "ld-obf"
"""

ENDPOINTS = {
    "normal-ranks": """
kind = "continuous"
test = "mannwhitney"
control = { mean = 50.0, sd = 10.0 }
treatment = { mean = 56.0, sd = 10.0 }
""",
    "lognormal-ranks": """
kind = "continuous"
distribution = "lognormal"
test = "mannwhitney"
dropout = 0.2
control = { gmean = 80.0, gsd = 3.0 }
treatment = { gmean = 150.0, gsd = 3.0 }
""",
    "score-ranks-tied": """
kind = "score"
test = "mannwhitney"
scale = { min = 0, max = 100, step = 25 }
control = { mean = 55.0, sd = 28.0 }
treatment = { mean = 68.0, sd = 25.0 }
""",
    "score-welch": """
kind = "score"
test = "welch"
scale = { min = 0, max = 100, step = 25 }
control = { mean = 55.0, sd = 28.0 }
treatment = { mean = 68.0, sd = 25.0 }
""",
    "ordinal-ranks": """
kind = "ordinal"
test = "mannwhitney"
control = { probs = [0.2, 0.5, 0.3] }
treatment = { probs = [0.1, 0.4, 0.5] }
""",
}


def scenario(body: str):
    trial = f'allocation = [2, 1]\nalpha = {ALPHA}\nalternative = "one-sided"\n'
    endpoint = f'[[endpoints]]\nid = "e"\nbetter = "higher"\n{body}'
    return parse_scenario(scenario_text(endpoint, trial) + DESIGN)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_design_type_one_error_of_non_normal_statistics(name):
    res = sequential_power(scenario(ENDPOINTS[name]), 90, scenario(ENDPOINTS[name]).design,
                           reps=REPS, seed=SEED)
    assert res.h0["power"] <= ALPHA + 3 * res.h0["mcse"]
    assert res.h1["power"] > 3 * ALPHA          # the effect is found, often before the end
    assert res.h1["stages"][0]["reject"] > 0
    assert [stage["n"] for stage in res.h1["stages"]] == [45, 68, 90]


def test_rank_test_under_a_design_in_power_json(capsys, tmp_path):
    from simtrial.cli import main

    f = tmp_path / "mw.toml"
    f.write_text(EXAMPLE.read_text().replace('test = "ttest"', 'test = "mannwhitney"'))
    with pytest.raises(SystemExit) as info:
        main(["power", "--scenario", str(f), "--n", "400", "--reps", "4000", "--format",
              "json"])
    assert info.value.code == 0
    data = json.loads(capsys.readouterr().out)
    design = data["design"]
    assert data["endpoints"][0]["test"] == "mannwhitney"
    assert design["h0"]["power"] <= ALPHA + 3 * design["h0"]["mcse"]
    assert design["closed_form"] is None       # no canonical drift for the rank test
