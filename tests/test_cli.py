"""The command line: outputs, JSON/CSV contracts (DESIGN 1.4) and one-line errors."""

import csv
import io
import json
import subprocess
import sys

import pytest

from simtrial._version import versions
from simtrial.cli import main


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_power_table_for_the_builtin_scenario(capsys):
    code, out, err = run(capsys, "power", "--n", "400", "--reps", "2000")
    assert code == 0 and err == ""
    assert "n = 400 randomised: 260 UC-MSC + 140 placebo (allocation 65:35)" in out
    for column in ("endpoint", "test", "effect", "power", "MCSE", "95% CI", "analytic"):
        assert column in out
    assert "6-MWD below LLN, month 24 [walk_lln]" in out


def test_power_json_fields(capsys):
    code, out, _ = run(capsys, "power", "--n", "400", "--reps", "1000", "--format", "json",
                       "--endpoint", "walk_m", "--endpoint", "walk_lln")
    data = json.loads(out)
    assert code == 0
    assert {"scenario", "n_total", "n_per_arm", "allocation", "alpha", "reps", "seed",
            "version", "endpoints"} <= set(data)
    assert data["n_per_arm"] == {"treatment": 260, "control": 140}
    assert data["versions"] == versions()
    assert [e["id"] for e in data["endpoints"]] == ["walk_m", "walk_lln"]
    for e in data["endpoints"]:
        assert {"id", "kind", "test", "power", "mcse", "ci", "analytic_power"} <= set(e)
        assert e["ci"][0] <= e["power"] <= e["ci"][1]


def test_an_endpoint_given_twice_is_reported_once(capsys):
    code, out, _ = run(capsys, "power", "--n", "400", "--reps", "500", "--format", "json",
                       "--endpoint", "walk_m", "--endpoint", "walk_lln", "--endpoint", "walk_m")
    assert code == 0
    assert [e["id"] for e in json.loads(out)["endpoints"]] == ["walk_m", "walk_lln"]


def test_power_csv_has_one_row_per_endpoint(capsys):
    code, out, _ = run(capsys, "power", "--n", "200", "--reps", "500", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 8
    assert {r["n_treatment"] for r in rows} == {"130"}


def test_json_output_is_identical_for_any_jobs(capsys):
    outputs = [run(capsys, "power", "--n", "300", "--reps", "3000", "--seed", "9", "--jobs", j,
                   "--format", "json")[1] for j in ("1", "2")]
    assert outputs[0] == outputs[1]


def test_mcse_flag_picks_enough_reps(capsys):
    code, out, _ = run(capsys, "power", "--n", "100", "--mcse", "0.01", "--format", "json",
                       "--endpoint", "walk_m")
    data = json.loads(out)
    assert data["reps"] == 2500  # ceil(0.25 / 0.01^2): MCSE <= 0.01 whatever the power
    assert data["endpoints"][0]["mcse"] <= 0.01


def test_scenarios_list_show_and_validate(capsys, tmp_path):
    assert run(capsys, "scenarios")[1].startswith("msc-covid19  8 endpoints")
    shown = run(capsys, "scenarios", "msc-covid19")[1]
    assert "endpoints.sf36_gh.control.sd: derived:" in shown
    f = tmp_path / "ok.toml"
    f.write_text(_MINIMAL)
    code, out, _ = run(capsys, "validate", str(f))
    assert code == 0 and out.startswith(f"OK: {f}: scenario 't', 1 endpoint (y)")


_MINIMAL = """schema_version = 1
name = "t"
[[endpoints]]
id = "y"
kind = "continuous"
test = "ttest"
better = "higher"
control = { mean = 0.0, sd = 1.0 }
treatment = { mean = 0.5, sd = 1.0 }
"""


@pytest.mark.parametrize(("args", "file_text", "message"), [
    (["power", "--n", "0"], None, "Invalid value for '--n': 0 is not in the range 2<=x<=10000000"),
    # sizes that would only exhaust memory (a 73 TiB allocation, 10^11 patients) or run for
    # days: refused at once, not a MemoryError traceback after minutes
    (["power", "--n", "100000000000"], None, "'--n': 100000000000 is not in the range 2<=x<="),
    (["power", "--n", "400", "--reps", "10000000000000"], None,
     "'--reps': 10000000000000 is not in the range 1<=x<=100000000"),
    (["power", "--n", "400", "--mcse", "0.00001"], None,
     "'--mcse': 1e-05 is not in the range 5e-05<=x<=0.05"),
    (["power", "--n", "400", "--mcse", "0.5"], None, "'--mcse': 0.5 is not in the range"),
    (["sweep", "--n", "100,20000000", "--out", "{f}.csv"], None,
     "'--n': 20000000 is above the largest n, 10000000"),
    (["samplesize", "--endpoint", "walk_m", "--power", "0.8", "--max-n", "99999999"], None,
     "'--max-n': 99999999 is not in the range 4<=x<=10000000"),
    (["report", "--power", "0.9", "--out", "{f}/grant"], "a file, not a directory",
     "/grant: cannot write there"),
    (["power", "--n", "abc"], None, "Invalid value for '--n': 'abc'"),
    (["power", "--n", "400", "--reps", "x"], None, "Invalid value for '--reps'"),
    (["power"], None, "Missing option '--n'"),
    (["power", "--n", "400", "--endpoint", "nope"], None,
     "unknown endpoint 'nope' in scenario 'msc-covid19' (endpoints: walk_lln"),
    (["power", "--n", "400", "--reps", "10", "--mcse", "0.01"], None, "exclude each other"),
    (["power", "--n", "400", "--scenario", "{f}"], "name = [", "not valid TOML"),
    (["validate", "{f}"], _MINIMAL.replace("test =", "colour = 1\ntest ="),
     "endpoints[0].colour: unknown key"),
    (["validate", "{f}"], _MINIMAL.replace("sd = 1.0 }\ntreat", "sd = -1.0 }\ntreat"),
     "endpoints[0].control.sd: -1.0 is out of range"),
    (["validate", "{f}"], _MINIMAL + _MINIMAL[_MINIMAL.index("[[endpoints]]"):],
     "endpoints[1].id: duplicate id 'y'"),
    (["validate", "{f}"], _MINIMAL.replace('"ttest"', '"chisq"'),
     "endpoints[0].test: 'chisq' is not allowed (allowed: ttest, welch"),
    (["validate", "missing.toml"], None, "missing.toml: no such file"),
    (["power", "--n", "400", "--scenario", "nonexistent"], None,
     "nonexistent: no such file, and not a built-in scenario"),
    (["nosuchcommand"], None, "No such command 'nosuchcommand'"),
])
def test_bad_input_is_one_error_line_with_exit_2(capsys, tmp_path, args, file_text, message):
    f = tmp_path / "bad.toml"
    if file_text is not None:
        f.write_text(file_text)
    code, out, err = run(capsys, *(a.format(f=f) for a in args))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("Error: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("error, message", [
    (MemoryError(), "Error: out of memory: lower --reps (or raise --mcse) or the sample size\n"),
    (PermissionError(13, "Permission denied", "/data/x.csv"),
     "Error: /data/x.csv: Permission denied\n"),
])
def test_a_failed_computation_is_one_error_line_with_exit_1(capsys, monkeypatch, error,
                                                              message):
    import simtrial.simulate

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(simtrial.simulate, "power", fail)
    code, out, err = run(capsys, "power", "--n", "400")
    assert (code, out, err) == (1, "", message)


@pytest.mark.parametrize("error", [ValueError("bug"), KeyError("bug"), ZeroDivisionError()])
def test_an_internal_error_is_not_reported_as_bad_input(monkeypatch, error):
    # Only simtrial's own errors (simtrial.errors) become an Error line: a ValueError from
    # deep inside is a bug, and its traceback must show rather than pose as bad input.
    import simtrial.simulate

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(simtrial.simulate, "power", fail)
    with pytest.raises(type(error)):
        main(["power", "--n", "400"])


def test_console_script_end_to_end_without_traceback(tmp_path):
    ok = subprocess.run(["simtrial", "power", "--n", "400", "--reps", "500"],
                        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "260 UC-MSC + 140 placebo" in ok.stdout
    bad = subprocess.run(["simtrial", "power", "--n", "-3"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("Error: ") and bad.stdout == ""


def test_version_and_help_import_nothing_heavy():
    # `simtrial --version` must answer at once: the CLI module may not import numpy or numba.
    code = ("import sys, simtrial.cli; heavy = {'numpy', 'numba', 'scipy'} & set(sys.modules);"
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    version = subprocess.run(["simtrial", "--version"], capture_output=True, text=True,
                             check=True).stdout
    assert version.startswith("simtrial, version ")


def test_samplesize_needs_exactly_one_of_endpoint_and_criterion(capsys):
    for args in (["samplesize", "--power", "0.8"],
                 ["samplesize", "--power", "0.8", "--endpoint", "walk_lln", "--criterion", "all"]):
        code, out, err = run(capsys, *args)
        assert code == 2 and out == ""
        assert err.startswith("Error: give exactly one of --endpoint ID") and err.count("\n") == 1


# --- shared options ------------------------------------------------------------------------------

def _options(name):
    """Command name -> its click option declared as `name` (``--seed``), for every command."""
    from simtrial.cli import cli

    return {command: next(p for p in cli.commands[command].params if name in p.opts)
            for command in cli.commands
            if any(name in p.opts for p in cli.commands[command].params)}


@pytest.mark.parametrize("name", ["--scenario", "--seed", "--reps", "--jobs", "--format",
                                  "--power", "--endpoint"])
def test_shared_options_have_one_type_and_range_everywhere(name):
    options = _options(name)
    assert len(options) >= 2, options
    kinds = {repr(option.type) for option in options.values()}
    assert len(kinds) == 1 or name == "--format", kinds  # --format: each command's choices
    if name in ("--scenario", "--seed"):
        assert len({option.help for option in options.values()}) == 1
        assert len({option.default for option in options.values()}) == 1


def test_shared_option_help_says_the_same_everywhere():
    jobs = _options("--jobs")
    assert all(o.help.endswith("(default: all cores); results do not depend on it.")
               for o in jobs.values())
    assert all(o.help.startswith("Simulated trials ") for o in _options("--reps").values())
    assert all(o.help.startswith("Target power") and "in (0, 1)" in o.help
               for o in _options("--power").values())
    assert all(o.help.startswith("Output: ") for o in _options("--format").values())


def test_sweep_target_power_is_power_with_the_old_name_kept():
    from simtrial.cli import cli

    for flag in ("--power", "--target-power"):
        ctx = cli.commands["sweep"].make_context(
            "sweep", ["--n", "100", "--out", "x.csv", flag, "0.85", flag, "0.95"])
        assert ctx.params["targets"] == (0.85, 0.95)
    ctx = cli.commands["sweep"].make_context("sweep", ["--n", "100", "--out", "x.csv"])
    assert ctx.params["targets"] == (0.8, 0.9)


@pytest.mark.parametrize("args", [
    ["design", "--looks", "0.5,1"],
    ["derive", "sd_from_ci", "lower=0", "upper=57", "n1=65", "n2=35"],
    ["detectable", "--endpoint", "walk_m", "--n", "400", "--power", "0.8", "--reps", "500"],
    ["assurance", "--scenario", "assurance-walk", "--n", "300", "--draws", "20", "--reps", "100"],
])
def test_every_json_output_names_the_versions_that_fix_its_numbers(capsys, args):
    # numpy draws the random numbers and numba compiles the kernels: the same seed gives the
    # same results only with the same versions (power: test_power_json_fields)
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code == 0
    assert json.loads(out)["versions"] == versions()
