"""Sweeps over `[design]` settings: `--vary design.<key>=...` (issue 17, item 7).

Each cell's power equals `simtrial power` on that cell's scenario; text values (rules, looks,
flags) survive the CSV and JSON-lines round trip of a resume; bad values are one error line
naming the key, before any work.
"""

import csv
from pathlib import Path

import pytest

from simtrial.cli import main
from simtrial.scenario import ScenarioError, load_scenario
from simtrial.simulate import power
from simtrial.sweeps.grid import Grid, parse_vary

EXAMPLE = Path(__file__).parents[1] / "scenarios" / "examples" / "group-sequential.toml"
ARGS = ["--scenario", str(EXAMPLE), "--n", "300,400", "--vary",
        "design.efficacy=ld-obf,ld-pocock", "--vary", "design.looks=0.5:1,0.5:0.75:1",
        "--reps", "1000", "--seed", "3", "--quiet"]


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(["sweep", *map(str, args)])
    out, err = capsys.readouterr()
    return info.value.code, out, err


@pytest.mark.parametrize("text, expected", [
    ("design.efficacy=ld-obf,hsd:-4", ("design.efficacy", ("ld-obf", "hsd:-4"))),
    ("design.futility=none,ld-obf", ("design.futility", ("none", "ld-obf"))),
    ("design.secondary=ld-pocock", ("design.secondary", ("ld-pocock",))),
    ("design.looks=0.5:1,0.25:0.5:1", ("design.looks", ((0.5, 1.0), (0.25, 0.5, 1.0)))),
    ("design.beta=0.1,0.2", ("design.beta", (0.1, 0.2))),
    ("design.binding=true,false", ("design.binding", (True, False))),
])
def test_design_values_are_parsed_by_key(text, expected):
    assert parse_vary(text) == expected


def test_cells_carry_the_varied_design():
    sc = load_scenario(EXAMPLE)
    grid = Grid.build(sc, [400], {"design.efficacy": ["ld-obf", "ld-pocock"],
                                  "design.binding": [True, False]}, None)
    assert len(grid.cells) == 4
    pocock = sc.with_values({"design.efficacy": "ld-pocock"})
    assert pocock.design.efficacy == "ld-pocock"
    assert pocock.design.efficacy_z[0] < sc.design.efficacy_z[0]
    assert sc.with_values({"design.looks": [0.5, 1.0]}).design.information == (0.5, 1.0)


def test_design_looks_gives_a_fixed_scenario_a_design_other_keys_do_not():
    sc = load_scenario("msc-covid19")
    assert sc.with_values({"design.looks": [0.5, 1.0]}).design.information == (0.5, 1.0)
    with pytest.raises(ScenarioError, match="design.efficacy: the scenario has no"):
        sc.with_values({"design.efficacy": "ld-pocock"})


def test_sweep_rows_equal_power_and_resume_keeps_text_columns(capsys, tmp_path):
    out = tmp_path / "design.csv"
    code, _, err = run(capsys, *ARGS, "--out", out)
    assert code == 0, err
    with out.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 8
    assert {r["design.efficacy"] for r in rows} == {"ld-obf", "ld-pocock"}
    assert {r["design.looks"] for r in rows} == {"0.5:1", "0.5:0.75:1"}
    row = next(r for r in rows if r["design.efficacy"] == "ld-pocock"
               and r["design.looks"] == "0.5:1" and r["n_total"] == "400")
    sc = load_scenario(EXAMPLE).with_values({"design.efficacy": "ld-pocock",
                                             "design.looks": [0.5, 1.0]})
    assert float(row["power"]) == power(sc, 400, reps=1000, seed=3).endpoint("walk_m").power
    before = out.read_bytes()
    code, _, err = run(capsys, *ARGS, "--out", out, "--resume")
    assert code == 0, err
    assert out.read_bytes() == before and "dropped" not in err


def test_jsonl_resume_keeps_text_columns(capsys, tmp_path):
    out = tmp_path / "design.jsonl"
    args = [*ARGS[:4], "--n", "300", "--reps", "200", "--quiet"]
    assert run(capsys, *args, "--out", out)[0] == 0
    before = out.read_bytes()
    assert run(capsys, *args, "--out", out, "--resume")[0] == 0
    assert out.read_bytes() == before


@pytest.mark.parametrize("vary, message", [
    ("design.efficacy=ld-obf,obrien", "design.efficacy: boundary rule 'obrien'"),
    ("design.looks=0.5:x", "`vary` 'design.looks=0.5:x': values must be information fractions"),
    ("design.looks=0.5:0.4:1", "design.looks: [0.5, 0.4, 1.0] is not allowed"),
    ("design.binding=yes", "values must be true or false"),
    ("design.beta=0.7", "design.beta: 0.7 is out of range"),
    ("design.rounds=3", "design.rounds: not a number of the scenario"),
])
def test_bad_design_vary_is_one_error_line_before_any_work(capsys, tmp_path, vary, message):
    out = tmp_path / "never.csv"
    code, _, err = run(capsys, "--scenario", EXAMPLE, "--n", "100", "--vary", vary,
                       "--out", out)
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert message in err
    assert not out.exists()
