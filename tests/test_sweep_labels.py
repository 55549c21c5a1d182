"""Sweep output labels gated and unadjusted power (issue 22): new columns, format 2."""

import csv
import json

import pytest

from simtrial.cli import main
from simtrial.plots import key_label
from simtrial.simulate import power

ARGS = ["sweep", "--n", "200", "--endpoint", "walk_lln", "--endpoint", "walk_m",
        "--endpoint", "msc_ae", "--reps", "500", "--seed", "3", "--jobs", "1", "--quiet"]


def sweep(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([*ARGS, *args])
    return info.value.code, capsys.readouterr().err


def test_rows_carry_unadjusted_power_and_the_family(capsys, tmp_path):
    out = tmp_path / "s.csv"
    assert sweep(capsys, "--out", str(out))[0] == 0
    with open(out, newline="") as stream:
        rows = {r["endpoint"]: r for r in csv.DictReader(stream)}
    at = power("msc-covid19", 200, reps=500, seed=3, jobs=1,
               endpoints=["walk_lln", "walk_m", "msc_ae"])
    walk_m = at.endpoint("walk_m")
    assert float(rows["walk_m"]["power"]) == walk_m.power  # after fixed-sequence gating
    assert float(rows["walk_m"]["power_unadjusted"]) == walk_m.power_unadjusted
    assert walk_m.power < walk_m.power_unadjusted
    assert rows["walk_m"]["multiplicity"] == "fixed-sequence"
    assert float(rows["walk_m"]["family_power_any"]) == at.family.power_any
    assert float(rows["walk_m"]["family_power_all"]) == at.family.power_all
    assert rows["msc_ae"]["multiplicity"] == "none" and rows["msc_ae"]["family_power_any"] == ""
    assert rows["msc_ae"]["power_unadjusted"] == rows["msc_ae"]["power"]
    # the resume reads the new columns back: nothing is computed again
    assert sweep(capsys, "--out", str(out), "--resume")[0] == 0


def test_resuming_a_format_1_file_says_why_it_cannot(capsys, tmp_path):
    out = tmp_path / "s.csv"
    assert sweep(capsys, "--out", str(out))[0] == 0
    meta = tmp_path / "s.csv.meta.json"
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "simtrial_sweep": 1}))
    code, err = sweep(capsys, "--out", str(out), "--resume")
    assert code == 2
    assert "cannot resume, it is in sweep format 1 and this simtrial writes format 2" in err
    assert "--force" in err


def test_legends_name_varied_keys_in_words():
    assert key_label("endpoints.walk_lln.control.p") == "walk_lln: control proportion"
    assert "." not in key_label("endpoints.walk_m.treatment.sd")
