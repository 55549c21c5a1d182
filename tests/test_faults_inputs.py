"""Catalogue of bad inputs and extreme but schema-valid numbers (issue 15, items 2, 3 and 7).

Every scenario case is checked twice: ``validate`` and ``power`` must refuse it with the same
one-line error (one validator, at load), exit status 2 and no traceback.
"""

import json

import pytest
from catalogue import expect_error
from conftest import NORMAL, scenario_text

from simtrial.cli import main

BIG = "1" + "0" * 400  # a TOML integer beyond the range of a double
ORDINAL = """
[[endpoints]]
id = "o"
kind = "ordinal"
test = "mannwhitney"
better = "lower"
control = { probs = [0.4, 0.3, 0.2, 0.1] }
treatment = { probs = [0.5, 0.3, 0.2] }
"""
LOGNORMAL = """
[[endpoints]]
id = "t"
kind = "continuous"
distribution = "lognormal"
test = "welch"
better = "higher"
control = { gmean = 100.0, gsd = 3.0 }
treatment = { gmean = 150.0, gsd = 3.0 }
"""
SCORE = """
[[endpoints]]
id = "s"
kind = "score"
test = "mannwhitney"
better = "higher"
scale = { min = 0, max = 100, step = 5 }
control = { mean = 50.0, sd = 20.0 }
treatment = { mean = 60.0, sd = 20.0 }
"""
CORRELATED = NORMAL + NORMAL.replace('id = "y"', 'id = "z"') + """
[[correlations]]
endpoints = ["y", "z"]
rho = RHO
"""


def normal(control: str = "mean = 50.0, sd = 25.0",
           treatment: str = "mean = 60.0, sd = 25.0") -> str:
    return NORMAL.replace("mean = 50.0, sd = 25.0", control, 1).replace(
        "mean = 60.0, sd = 25.0", treatment, 1)


# (id, scenario text, fragments the error must hold)
SCENARIOS = [
    ("allocation-1e300", scenario_text(NORMAL, "allocation = [1, 1e300]\n"),
     ["trial.allocation", "fewer than 2 patients", "10000000"]),
    ("allocation-1e7-to-1", scenario_text(NORMAL, "allocation = [10000000, 1]\n"),
     ["trial.allocation", "fewer than 2 patients"]),
    ("allocation-huge-integer", scenario_text(NORMAL, f"allocation = [1, {BIG}]\n"),
     ["trial.allocation[1]", "two positive numbers"]),
    ("allocation-negative-huge", scenario_text(NORMAL, f"allocation = [-{BIG}, 1]\n"),
     ["trial.allocation[0]", "two positive numbers"]),
    ("allocation-inf", scenario_text(NORMAL, "allocation = [inf, 1]\n"),
     ["trial.allocation[0]"]),
    ("alpha-huge-integer", scenario_text(NORMAL, f"alpha = {BIG}\n"),
     ["trial.alpha", "out of range", "(0, 0.5]"]),
    ("alpha-nan", scenario_text(NORMAL, "alpha = nan\n"), ["trial.alpha", "out of range"]),
    ("sd-1e-300", scenario_text(normal(control="mean = 50.0, sd = 1e-300")),
     ["endpoints[0].control.sd", "1e-300", "[1e-100, 1e100]"]),
    ("sd-1e300", scenario_text(normal(treatment="mean = 60.0, sd = 1e300")),
     ["endpoints[0].treatment.sd", "[1e-100, 1e100]"]),
    ("sd-huge-integer", scenario_text(normal(control=f"mean = 50.0, sd = {BIG}")),
     ["endpoints[0].control.sd", "out of range"]),
    ("sd-inf", scenario_text(normal(control="mean = 50.0, sd = inf")),
     ["endpoints[0].control.sd"]),
    ("mean-1e300", scenario_text(normal(treatment="mean = 1e300, sd = 1.0")),
     ["endpoints[0].treatment.mean", "[-1e100, 1e100]"]),
    ("mean-minus-1e300", scenario_text(normal(control="mean = -1e300, sd = 1.0")),
     ["endpoints[0].control.mean", "[-1e100, 1e100]"]),
    ("mean-nan", scenario_text(normal(control="mean = nan, sd = 1.0")),
     ["endpoints[0].control.mean"]),
    ("sd-lost-next-to-mean", scenario_text(normal(treatment="mean = 1e6, sd = 1e-7")),
     ["endpoints[0].treatment.sd", "lost next to mean", "1e-12"]),
    ("gsd-1e300", scenario_text(LOGNORMAL.replace("gmean = 150.0, gsd = 3.0",
                                                  "gmean = 150.0, gsd = 1e300")),
     ["endpoints[0].treatment.gsd", "1e100"]),
    ("gmean-1e-300", scenario_text(LOGNORMAL.replace("gmean = 100.0", "gmean = 1e-300")),
     ["endpoints[0].control.gmean", "[1e-100, 1e100]"]),
    ("ordinal-levels-differ", scenario_text(ORDINAL),
     ["endpoints[0].treatment.probs", "3 levels", "control.probs 4", "same levels"]),
    ("probability-huge-integer", scenario_text(ORDINAL.replace("0.5, 0.3, 0.2", f"{BIG}, 0, 0")),
     ["endpoints[0].treatment.probs", "not allowed"]),
    ("dropout-huge-integer", scenario_text(NORMAL.replace('better = "higher"',
                                                          f'better = "higher"\ndropout = {BIG}')),
     ["endpoints[0].dropout", "out of range"]),
    ("rho-huge-integer", scenario_text(CORRELATED.replace("RHO", BIG)),
     ["correlations[0].rho", "out of range"]),
    ("score-scale-1e300", scenario_text(SCORE.replace("max = 100", "max = 1e300")),
     ["endpoints[0].scale.max", "[-1e100, 1e100]"]),
    ("p-huge-integer", scenario_text(NORMAL.replace("kind = \"continuous\"", "kind = \"binary\"")
                                     .replace('test = "ttest"', 'test = "chisq"')
                                     .replace("mean = 50.0, sd = 25.0", "p = 0.3")
                                     .replace("mean = 60.0, sd = 25.0", f"p = {BIG}")),
     ["endpoints[0].treatment.p", "out of range"]),
]


@pytest.mark.parametrize(("text", "fragments"), [case[1:] for case in SCENARIOS],
                         ids=[case[0] for case in SCENARIOS])
def test_validate_and_power_refuse_the_same_scenario(capsys, tmp_path, text, fragments):
    path = tmp_path / "plan.toml"
    path.write_text(text)
    line = expect_error(capsys, ["validate", path], 2, str(path), *fragments)
    assert expect_error(capsys, ["power", "-s", path, "--n", 100, "--reps", 10], 2) == line
    assert len(line) < 300  # a 400-digit integer is not printed whole


ALLOCATION_1_99 = scenario_text(NORMAL, "allocation = [1, 99]\n")


@pytest.mark.parametrize(("args", "fragments"), [
    (["power", "--n", 2], ["'--n'", "2 leaves an arm fewer than 2 patients", "65:35",
                           "5 or more"]),
    (["power", "--n", 4], ["'--n'", "5 or more"]),
    (["power", "--n", 10_000_001], ["'--n'", "10000001"]),
    (["power", "--n", 100, "--reps", 0], ["'--reps'"]),
    (["power", "--n", 100, "--jobs", 0], ["'--jobs'"]),
    (["power", "--n", 100, "--reps", 10, "--mcse", 0.01], ["--reps and --mcse"]),
], ids=["n-2", "n-4-at-65-35", "n-above-1e7", "reps-0", "jobs-0", "reps-and-mcse"])
def test_power_flags_refused_with_the_flag_named(capsys, args, fragments):
    expect_error(capsys, args, 2, *fragments)


def test_power_n_below_two_per_arm_at_a_lopsided_allocation(capsys, tmp_path):
    path = tmp_path / "lopsided.toml"
    path.write_text(ALLOCATION_1_99)
    expect_error(capsys, ["power", "-s", path, "--n", 149, "--reps", 10], 2, "'--n'", "1:99",
                 "150 or more")


def test_power_that_cannot_fit_is_refused_before_allocating(capsys, monkeypatch):
    # n = 1e7 with 1e8 replicates needs about 17 GB: refused up front, exit 1 (a computation
    # that cannot run here), whatever this machine has: its free memory is pinned at 1 GB.
    from simtrial import simulate

    monkeypatch.setattr(simulate, "free_memory", lambda: 10**9)
    expect_error(capsys, ["power", "--n", 10**7, "--reps", 10**8], 1, "n = 10000000",
                 "100000000 replicates", "GB available", "--reps")


def test_jobs_above_the_cores_is_capped_with_a_note(capsys):
    from simtrial.simulate import available_cores

    with pytest.raises(SystemExit) as info:
        main(["power", "--n", 100, "--reps", 50, "--endpoint", "walk_m", "--jobs", 999,
              "--format", "json"])
    out, err = capsys.readouterr()
    assert info.value.code == 0 and json.loads(out)["n_total"] == 100
    assert err == (f"Note: --jobs 999 is more than the {available_cores()} cores available; "
                   f"using {available_cores()}\n")


def test_degenerate_closed_form_is_null_with_a_reason(capsys, tmp_path):
    # The noncentral t at a noncentrality of about 1e11 is nan in scipy; the closed form used
    # to print 0.0 next to a simulated power of 1.0.
    path = tmp_path / "far.toml"
    path.write_text(scenario_text(normal(treatment="mean = 1e11, sd = 25.0")))
    with pytest.raises(SystemExit) as info:
        main(["power", "-s", path, "--n", 40, "--reps", 20, "--format", "json"])
    out, err = capsys.readouterr()
    endpoint, = json.loads(out)["endpoints"]
    assert info.value.code == 0 and err == ""
    assert endpoint["power"] == 1.0 and endpoint["analytic_power"] is None
    assert endpoint["analytic_note"].startswith("degenerate")


def test_memory_needed_is_linear_and_bounded_at_large_n():
    # The correlated kernel took 6.2 GB at n = 2e5 (a chunk of 1000 trials held whole); now
    # a thread holds one trial plus at most 64 MiB of latents, and a block of draws: one
    # replicate's at this n (k latents, up to k baseline noises, the visits).
    from simtrial.scenario import load_scenario
    from simtrial.simulate import memory_needed

    sc = load_scenario("msc-covid19")
    need = memory_needed(sc.endpoints, 200_000, 10_000, 2, sc.correlations)
    assert need < 0.5e9
    grow_n = memory_needed(sc.endpoints, 400_000, 10_000, 2, sc.correlations) - need
    grow_reps = memory_needed(sc.endpoints, 200_000, 20_000, 2, sc.correlations) - need
    assert grow_n == 2 * (16 * 3 + 64 + 8 * (2 * 3 + 1)) * 200_000
    assert grow_reps == 24 * len(sc.endpoints) * 10_000  # per endpoint and replicate
