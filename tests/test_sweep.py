"""Sweeps (issue 5): grids, equality with `simtrial power`, identical output for any jobs or
backend, durable incremental output with resume after SIGKILL, refusals, power-curve plots."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simtrial import plots, sweeps
from simtrial.cli import main
from simtrial.cli_progress import TerminalProgress
from simtrial.scenario import load_scenario
from simtrial.simulate import power
from simtrial.sweeps.grid import parse_n_values, parse_vary

SCENARIO = load_scenario("msc-covid19")
# a 2 x 2 x 3 grid over two endpoints of the built-in scenario, small enough for the default run
GRID = ["--n", "150:250:50", "--vary", "trial.allocation=65:35,1:1",
        "--vary", "endpoints.walk_lln.control.p=0.3,0.35",
        "--endpoint", "walk_lln", "--endpoint", "sf36_gh", "--reps", "2000", "--seed", "5"]


def run(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(["sweep", *map(str, args)])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def read_rows(path):
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The GRID sweep run once, serially and uninterrupted: the bytes every other run must give."""
    path = tmp_path_factory.mktemp("reference") / "grid.csv"
    with pytest.raises(SystemExit) as info:
        main(["sweep", *GRID, "--jobs", "1", "--out", str(path), "--quiet"])
    assert info.value.code == 0
    return path.read_bytes()


# --- grids -----------------------------------------------------------------------------------

def test_n_lists_and_inclusive_ranges():
    assert parse_n_values("300,400,500") == (300, 400, 500)
    assert parse_n_values("200:800:50")[-1] == 800
    assert parse_n_values("200:210:50") == (200,)
    for bad in ("", "a,b", "200:100:10", "1:9:0", "1:2"):
        with pytest.raises(ValueError, match="`n`"):
            parse_n_values(bad)


def test_vary_values_and_allocation_ratios():
    assert parse_vary("trial.allocation=65:35,50:50,2:1") == (
        "trial.allocation", ((65.0, 35.0), (50.0, 50.0), (2.0, 1.0)))
    assert parse_vary("endpoints.walk_m.treatment.mean = 20,25") == (
        "endpoints.walk_m.treatment.mean", (20.0, 25.0))
    for bad in ("trial.alpha", "trial.alpha=", "trial.alpha=x", "trial.allocation=65"):
        with pytest.raises(ValueError, match="`vary`"):
            parse_vary(bad)


def test_grid_is_the_product_with_n_innermost():
    res = sweeps.sweep(SCENARIO, [100, 200], vary={"trial.alpha": [0.05, 0.01],
                                                   "trial.allocation": [(1, 1), (2, 1)]},
                       reps=100, endpoints=["walk_m"], jobs=1)
    cells = [(r["trial.alpha"], r["trial.allocation"], r["n_total"]) for r in res.rows]
    assert cells == [(a, alloc, n) for a in (0.05, 0.01) for alloc in ("1:1", "2:1")
                     for n in (100, 200)]
    assert [r["cell"] for r in res.rows] == list(range(8))
    assert res.columns[:5] == ("cell", "n_total", "n_treatment", "n_control", "trial.alpha")


def test_each_cell_equals_power_on_that_cells_scenario():
    vary = {"trial.allocation": [(65, 35), (2, 1)], "endpoints.walk_m.dropout.control": [0.0, 0.3]}
    res = sweeps.sweep(SCENARIO, [120, 300], vary=vary, reps=1500, seed=11, jobs=2)
    assert len(res.rows) == 8 * len(SCENARIO.endpoints)
    for row in res.rows:
        allocation = [float(part) for part in row["trial.allocation"].split(":")]
        cell = SCENARIO.with_values({"trial.allocation": allocation,
                                     "endpoints.walk_m.dropout.control":
                                     row["endpoints.walk_m.dropout.control"]})
        single = power(cell, row["n_total"], reps=1500, seed=11).endpoint(row["endpoint"])
        assert (row["power"], row["mcse"], (row["ci_low"], row["ci_high"]),
                row["analytic_power"], row["rejections"]) == (
            single.power, single.mcse, single.ci, single.analytic_power, single.rejections)
        assert (row["n_treatment"], row["n_control"]) == cell.trial.split(row["n_total"])


def test_sweep_csv_numbers_equal_simtrial_power_csv(capsys, tmp_path):
    out = tmp_path / "s.csv"
    assert run(capsys, "--n", "260", "--reps", "1000", "--seed", "3", "--out", out)[0] == 0
    with pytest.raises(SystemExit):
        main(["power", "--n", "260", "--reps", "1000", "--seed", "3", "--format", "csv"])
    single = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    swept = read_rows(out)
    keys = ("n_total", "n_treatment", "n_control", "power", "mcse", "ci_low", "ci_high",
            "analytic_power")
    assert [[r["endpoint"], *(r[k] for k in keys)] for r in swept] == \
        [[r["endpoint"], *(r[k] for k in keys)] for r in single]


# --- identical output for any jobs and backend -------------------------------------------------

def test_jobs_2_writes_the_same_bytes_as_jobs_1(capsys, tmp_path, reference):
    out = tmp_path / "j2.csv"
    assert run(capsys, *GRID, "--jobs", "2", "--out", out, "--quiet")[0] == 0
    assert out.read_bytes() == reference
    rows = read_rows(out)
    assert len(rows) == 12 * 2 and list(rows[0])[4:6] == [
        "trial.allocation", "endpoints.walk_lln.control.p"]


def test_dask_local_cluster_writes_the_same_bytes(capsys, tmp_path, reference):
    # a real dask.distributed LocalCluster on 127.0.0.1, started and closed by the sweep
    out = tmp_path / "dask.csv"
    code, _, err = run(capsys, *GRID, "--jobs", "2", "--backend", "dask", "--out", out)
    assert code == 0, err
    assert out.read_bytes() == reference


def test_dask_scheduler_address_is_used(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        res = sweeps.sweep(SCENARIO, [150, 250], reps=1000, endpoints=["sf36_gh"],
                           backend="dask", scheduler=cluster.scheduler_address)
    assert res.rows == sweeps.sweep(SCENARIO, [150, 250], reps=1000, endpoints=["sf36_gh"],
                                    jobs=1).rows


# --- durable output and resume -----------------------------------------------------------------

def test_existing_output_is_not_overwritten_without_force(capsys, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("precious\n")
    code, _, err = run(capsys, "--n", "100", "--reps", "100", "--out", out)
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1
    assert "--resume" in err and "--force" in err
    assert out.read_text() == "precious\n"
    assert run(capsys, "--n", "100", "--reps", "100", "--out", out, "--force")[0] == 0
    assert read_rows(out)[0]["n_total"] == "100"


def test_resume_drops_a_torn_line_and_an_incomplete_cell(capsys, tmp_path, reference):
    out = tmp_path / "r.csv"
    assert run(capsys, *GRID, "--jobs", "1", "--out", out, "--quiet")[0] == 0
    lines = reference.splitlines(keepends=True)
    # header, cells 0-4 complete, the first row of cell 5, half of its second row
    out.write_bytes(b"".join(lines[:11] + lines[11:12]) + lines[12][:17])
    code, _, err = run(capsys, *GRID, "--jobs", "2", "--out", out, "--resume")
    assert code == 0, err
    assert out.read_bytes() == reference


def test_resume_of_a_complete_file_computes_nothing(capsys, tmp_path, reference, monkeypatch):
    out = tmp_path / "done.csv"
    assert run(capsys, *GRID, "--jobs", "1", "--out", out, "--quiet")[0] == 0
    monkeypatch.setattr(sweeps.backends, "simulate_cell", None)  # any simulation would fail
    assert run(capsys, *GRID, "--out", out, "--resume", "--quiet")[0] == 0
    assert out.read_bytes() == reference


@pytest.mark.parametrize("change", [["--seed", "6"], ["--reps", "2001"],
                                    ["--n", "150:300:50"], ["--scenario", "scenario.toml"]])
def test_resume_of_a_different_sweep_is_refused(capsys, tmp_path, monkeypatch, change):
    out = tmp_path / "x.csv"
    (tmp_path / "scenario.toml").write_text(_builtin_text())
    monkeypatch.chdir(tmp_path)
    assert run(capsys, *GRID, "--jobs", "1", "--out", out, "--quiet")[0] == 0
    before = out.read_bytes()
    code, _, err = run(capsys, *GRID, *change, "--out", out, "--resume")
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1
    assert "different sweep" in err
    assert out.read_bytes() == before


def test_resume_by_different_code_is_refused(capsys, tmp_path, monkeypatch):
    # An edit to simtrial without a version bump changes its code digest: resuming would mix
    # two programs' results in one file.
    import simtrial.sweeps.output

    out = tmp_path / "c.csv"
    assert run(capsys, "--n", "100", "--reps", "100", "--out", out, "--quiet")[0] == 0
    assert len(simtrial.sweeps.output.code_digest()) == 64
    monkeypatch.setattr(simtrial.sweeps.output, "code_digest", lambda: "0" * 64)
    code, _, err = run(capsys, "--n", "100", "--reps", "100", "--out", out, "--resume")
    assert code == 2 and "code_sha256" in err


def _builtin_text():
    """The built-in scenario with one number changed."""
    from importlib import resources

    text = (resources.files("simtrial.scenarios") / "msc-covid19.toml").read_text()
    return text.replace("value = 0.05\n", "value = 0.04\n", 1)


def test_resume_without_the_fingerprint_is_refused(capsys, tmp_path):
    out = tmp_path / "m.csv"
    assert run(capsys, "--n", "100", "--reps", "100", "--out", out, "--quiet")[0] == 0
    (tmp_path / "m.csv.meta.json").unlink()
    code, _, err = run(capsys, "--n", "100", "--reps", "100", "--out", out, "--resume")
    assert code == 2 and "m.csv.meta.json" in err


def test_jsonl_output_resumes_to_the_same_bytes(capsys, tmp_path):
    full, cut = tmp_path / "full.jsonl", tmp_path / "cut.jsonl"
    args = ["--n", "100,200,300", "--endpoint", "walk_m", "--reps", "500"]
    assert run(capsys, *args, "--out", full, "--quiet")[0] == 0
    rows = [json.loads(line) for line in full.read_text().splitlines()]
    assert [r["n_total"] for r in rows] == [100, 200, 300]
    assert list(rows[0])[:5] == ["cell", "n_total", "n_treatment", "n_control", "endpoint"]
    assert run(capsys, *args, "--out", cut, "--quiet")[0] == 0
    cut.write_text(full.read_text()[:-40])
    assert run(capsys, *args, "--out", cut, "--resume", "--quiet")[0] == 0
    assert cut.read_bytes() == full.read_bytes()


@pytest.mark.slow
def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_bytes(tmp_path):
    args = ["--n", "100:400:50", "--vary", "trial.alpha=0.05,0.025", "--reps", "20000",
            "--seed", "2"]
    full, killed = tmp_path / "full.csv", tmp_path / "killed.csv"
    command = [sys.executable, "-c", "from simtrial.cli import main; main()", "sweep", *args]
    subprocess.run([*command, "--out", str(full), "--jobs", "2", "--quiet"], check=True)
    cells = 7 * 2
    process = subprocess.Popen([*command, "--out", str(killed), "--jobs", "2", "--quiet"],
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _rows(killed) < 6 * 2 and time.monotonic() < deadline:  # 2+ cells of 6 rows
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)  # the sweep's process only, as `kill -9 PID`
        process.wait()
        partial = _rows(killed)
        deadline = time.monotonic() + 20
        while _session_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _session_alive(process.pid), "loky workers should exit with the sweep"
    finally:  # whatever is left of the session we started
        if _session_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
    assert 6 * 2 <= partial < 6 * cells, "the kill should land mid-sweep"
    subprocess.run([*command, "--out", str(killed), "--jobs", "2", "--resume", "--quiet"],
                   check=True)
    assert killed.read_bytes() == full.read_bytes()


def _session_alive(pid):
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _rows(path):
    try:
        return path.read_bytes().count(b"\n") - 1
    except FileNotFoundError:
        return 0


# --- refusals before any work ------------------------------------------------------------------

@pytest.mark.parametrize("vary, message", [
    ("trial.beta=0.1", "trial.beta: not a number of the scenario"),
    ("endpoints.nope.dropout=0.1", "unknown endpoint 'nope'"),
    ("endpoints.walk_lln.control.p=0.3,1.5", "endpoints[0].control.p"),
    ("trial.alpha=0.05,0.6", "trial.alpha"),
    ("trial.allocation=65:35,0:1", "trial.allocation[0]"),
])
def test_bad_vary_is_refused_before_any_work(capsys, tmp_path, vary, message):
    out = tmp_path / "never.csv"
    code, _, err = run(capsys, "--n", "100", "--vary", vary, "--out", out)
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert message in err
    assert not out.exists() and not (tmp_path / "never.csv.meta.json").exists()


@pytest.mark.parametrize("args, message", [
    (["--n", "1,100"], "`n`"), (["--n", "100,100"], "repeated"),
    (["--n", "100", "--vary", "trial.alpha=0.1", "--vary", "trial.alpha=0.2"], "once"),
    (["--n", "100", "--resume", "--force"], "exclude"),
    (["--n", "100", "--scheduler", "tcp://127.0.0.1:1"], "dask"),
    (["--n", "100", "--backend", "dask", "--scheduler", "foo://bar"], "cannot connect"),
    (["--n", "100", "--endpoint", "nope"], "unknown endpoint"),
])
def test_bad_flags_give_one_error_line(capsys, tmp_path, args, message):
    code, _, err = run(capsys, *args, "--out", tmp_path / "never.csv")
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "never.csv").exists()


def test_api_rows_and_to_frame_without_pandas(monkeypatch):
    import simtrial

    res = simtrial.sweep("msc-covid19", [100], reps=200, endpoints=["walk_m"], jobs=1)
    assert isinstance(res, simtrial.SweepResult)
    assert res.rows[0]["endpoint"] == "walk_m" and res.endpoint_labels == (
        SCENARIO.endpoint("walk_m").label,)
    with pytest.raises(ValueError, match="`resume` and `force` need an output file"):
        simtrial.sweep("msc-covid19", [100], reps=200, resume=True)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        res.to_frame()


def test_progress_bar_counts_resumed_cells_but_not_their_time():
    import io

    ticks = iter([0.0, 10.0, 20.0])
    bar = TerminalProgress(io.StringIO(), clock=lambda: next(ticks))
    bar(2, 4)
    bar(3, 4)
    bar(4, 4)
    frames = bar.stream.getvalue().split("\r")[1:]
    assert frames[0].endswith("2/4 cells  elapsed 0:00  remaining ?")
    assert frames[1].endswith("3/4 cells  elapsed 0:10  remaining 0:10")
    assert frames[2].endswith("4/4 cells  elapsed 0:20  remaining 0:00\n")


# --- plots -------------------------------------------------------------------------------------

def test_plot_is_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "p.csv", tmp_path / "curves.png"
    code, _, err = run(capsys, "--n", "100:300:100", "--vary", "trial.alpha=0.05,0.025",
                       "--endpoint", "walk_m", "--reps", "300", "--out", out, "--plot", png,
                       "--target-power", "0.8")
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot: " in err


def test_missing_matplotlib_is_an_error_before_any_work(capsys, tmp_path, monkeypatch):
    def missing():
        raise ImportError("plots need matplotlib: pip install matplotlib")

    monkeypatch.setattr(plots, "require_matplotlib", missing)
    out = tmp_path / "never.csv"
    code, _, err = run(capsys, "--n", "100", "--out", out, "--plot", tmp_path / "p.png")
    assert code == 2 and err == "Error: plots need matplotlib: pip install matplotlib\n"
    assert not out.exists()


def test_power_curve_figure_has_one_line_per_series_and_panel_per_endpoint():
    pytest.importorskip("matplotlib")
    res = sweeps.sweep(SCENARIO, [100, 200, 300], vary={"trial.alpha": [0.05, 0.01]},
                       reps=200, endpoints=["walk_m", "walk_lln"], jobs=1)
    figure = plots.power_curve_figure(res.rows, series=["trial.alpha"], targets=[0.8, 0.9])
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["walk_m", "walk_lln"]
    assert all(len(ax.get_lines()) == 2 + 2 for ax in panels)  # 2 series + 2 target lines
    assert panels[0].get_ylabel() == plots.Y_LABEL and panels[0].get_xlabel() == plots.X_LABEL


@pytest.mark.parametrize("args, message", [
    (["--n", "2,3", "--vary", "trial.allocation=99:1"], "leaves an arm without patients"),
    (["--n", "100", "--plot", "curves.txt"], "must end in .png"),
    (["--n", "100", "--plot", "no/such/dir/curves.png"], "does not exist"),
])
def test_cells_and_paths_that_cannot_work_are_refused_first(capsys, tmp_path, monkeypatch, args,
                                                            message):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args, "--out", "never.csv")
    assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1, err
    assert message in err
    assert not (tmp_path / "never.csv").exists()


def test_output_directory_must_exist(capsys, tmp_path):
    code, _, err = run(capsys, "--n", "100", "--out", tmp_path / "no" / "x.csv")
    assert code == 2 and "does not exist" in err


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """A 6-cell, 2-endpoint sweep written once: (arguments, path, bytes)."""
    path = tmp_path_factory.mktemp("small") / "small.csv"
    kwargs = {"scenario": SCENARIO, "n": [100, 150, 200], "vary": {"trial.alpha": [0.05, 0.01]},
              "reps": 200, "endpoints": ["walk_m", "walk_lln"], "jobs": 1}
    sweeps.sweep(out=path, **kwargs)
    return kwargs, path, path.read_bytes()


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_resume_after_a_cut_anywhere_gives_the_same_bytes(small_sweep, tmp_path_factory, data):
    # a kill can leave the file cut at any byte after the header (the header is written
    # atomically); resuming must always end at the uninterrupted bytes
    kwargs, path, full = small_sweep
    header = full.index(b"\n") + 1
    cut = data.draw(st.integers(header, len(full)), label="cut")
    target = tmp_path_factory.mktemp("cut") / "small.csv"
    target.write_bytes(full[:cut])
    target.with_name("small.csv.meta.json").write_bytes(
        path.with_name("small.csv.meta.json").read_bytes())
    result = sweeps.sweep(out=target, resume=True, **kwargs)
    assert target.read_bytes() == full
    assert result.rows == sweeps.sweep(**kwargs).rows
