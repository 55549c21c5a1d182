"""Fault catalogue, files and workers (issue 15, items 3b-6): bad output paths, inputs that are
never overwritten, report directories that are not ours, checkpoint rows that do not verify,
a locked output, a failed final rewrite, a killed loky worker, a Dask cluster that loses its
workers, Ctrl-C and SIGTERM.

Errors assert the exit status, one ``Error:`` line and no traceback (tests/catalogue.py); a
resume that recomputes asserts the finished bytes (those of an uninterrupted run) and the note.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simtrial.cli import main
from simtrial.sweeps import output
from tests.catalogue import expect_error
from tests.conftest import BINARY, scenario_text

# 3 cells x 2 endpoints of the built-in scenario: fast, and enough rows to edit
GRID = ["--n", "100,150,200", "--endpoint", "walk_m", "--endpoint", "walk_lln",
        "--reps", "300", "--seed", "4", "--jobs", "1", "--quiet"]
COMMAND = [sys.executable, "-c", "from simtrial.cli import main; main()"]


def sweep_ok(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(["sweep", *map(str, args)])
    out, err = capsys.readouterr()
    assert info.value.code == 0, err
    assert "Traceback" not in out + err
    return err


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """GRID swept once, uninterrupted: (bytes, sidecar bytes)."""
    path = tmp_path_factory.mktemp("reference") / "grid.csv"
    with pytest.raises(SystemExit) as info:
        main(["sweep", *GRID, "--out", str(path)])
    assert info.value.code == 0
    return path.read_bytes(), path.with_name("grid.csv.meta.json").read_bytes()


def checkpoint(tmp_path, reference, lines=None, name="c.csv"):
    """A copy of the reference (or of the given lines) with its sidecar, ready to resume."""
    data, meta = reference
    path = tmp_path / name
    path.write_bytes(data if lines is None else b"".join(lines))
    path.with_name(name + ".meta.json").write_bytes(meta)
    return path


def resumed(capsys, path, dropped):
    """Resume GRID in `path`; assert the note (or its absence); return the bytes."""
    err = sweep_ok(capsys, *GRID, "--out", path, "--resume")
    if dropped:
        rows = f"{dropped} row{'s' * (dropped != 1)}"
        assert err.startswith(f"Note: resume dropped {rows} of {path} that did not verify"), err
        assert err.count("\n") == 1
    else:
        assert err == ""
    return path.read_bytes()


# --- sweep --out: bad paths and inputs that are never overwritten ----------------------------

def test_out_is_a_directory(capsys, tmp_path):
    expect_error(capsys, ["sweep", "--n", "100", "--out", tmp_path], 2, "--out", "directory")


def test_out_in_a_missing_directory(capsys, tmp_path):
    expect_error(capsys, ["sweep", "--n", "100", "--out", tmp_path / "no" / "x.csv"], 2,
                 "`out`", "does not exist")


def test_out_is_a_device(capsys):
    expect_error(capsys, ["sweep", "--n", "100", "--reps", "10", "--out", "/dev/null",
                          "--force"], 2, "`out` /dev/null is not a regular file")


@pytest.mark.parametrize("flag", ["--force", "--resume"])
def test_out_is_the_scenario_file(capsys, tmp_path, flag):
    scenario = tmp_path / "s.toml"
    scenario.write_text(scenario_text(BINARY))
    before = scenario.read_bytes()
    expect_error(capsys, ["sweep", "--scenario", scenario, "--n", "100", "--reps", "10",
                          "--out", scenario, flag], 2, "is the scenario file")
    assert scenario.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_out_sidecar_is_the_scenario_file(capsys, tmp_path, monkeypatch):
    # --out s.csv writes s.csv.meta.json: never over a scenario file of that name
    monkeypatch.chdir(tmp_path)
    Path("s.csv.meta.json").write_text(scenario_text(BINARY))
    before = Path("s.csv.meta.json").read_bytes()
    expect_error(capsys, ["sweep", "--scenario", "s.csv.meta.json", "--n", "100", "--reps",
                          "10", "--out", "s.csv"], 2, "s.csv.meta.json is the scenario file")
    assert Path("s.csv.meta.json").read_bytes() == before and not Path("s.csv").exists()


def test_plot_is_the_out_file(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "x.png"
    expect_error(capsys, ["sweep", "--n", "100", "--out", out, "--plot", out], 2,
                 "--plot", "is the --out file")
    assert not out.exists()


def test_existing_out_without_force_is_kept(capsys, tmp_path):
    out = tmp_path / "mine.csv"
    out.write_text("mine\n")
    expect_error(capsys, ["sweep", "--n", "100", "--out", out], 2, "already exists",
                 "--resume", "--force")
    assert out.read_text() == "mine\n" and not (tmp_path / "mine.csv.lock").exists()


def test_worker_timeout_must_be_positive(capsys, tmp_path):
    expect_error(capsys, ["sweep", "--n", "100", "--worker-timeout", "0", "--out",
                          tmp_path / "x.csv"], 2, "--worker-timeout")


# --- resume: what cannot be used is an error ---------------------------------------------------

def test_resume_with_an_unreadable_sidecar(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference)
    path.with_name("c.csv.meta.json").write_text("{not json")
    expect_error(capsys, ["sweep", *GRID, "--out", path, "--resume"], 2,
                 "c.csv.meta.json is missing or unreadable")


def test_resume_of_another_seed_is_refused(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference)
    args = [a if a != "4" else "5" for a in GRID]
    expect_error(capsys, ["sweep", *args, "--out", path, "--resume"], 2,
                 "different sweep", "seed")
    assert path.read_bytes() == reference[0]


def test_resume_with_an_edited_header(capsys, tmp_path, reference):
    lines = reference[0].splitlines(keepends=True)
    path = checkpoint(tmp_path, reference, [lines[0].replace(b"power", b"Power", 1), *lines[1:]])
    expect_error(capsys, ["sweep", *GRID, "--out", path, "--resume"], 2, "CSV header")


def test_a_second_sweep_on_a_locked_file_is_refused(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference)
    lock = output.Lock.acquire(path)  # as a running sweep holds it
    try:
        line = expect_error(capsys, ["sweep", *GRID, "--out", path, "--resume"], 2,
                            "is being written by another sweep", f"process {os.getpid()}")
        assert "c.csv.lock" in line
        assert path.read_bytes() == reference[0]
    finally:
        lock.release()
    assert not (tmp_path / "c.csv.lock").exists()
    assert resumed(capsys, path, 0) == reference[0]  # free again once released


# --- resume: rows that do not verify are computed again ------------------------------------------

def _edit(line: bytes, column: int, value: bytes) -> bytes:
    fields = line.rstrip(b"\n").split(b",")
    fields[column] = value
    return b",".join(fields) + b"\n"


def test_resume_recomputes_an_edited_row(capsys, tmp_path, reference):
    lines = reference[0].splitlines(keepends=True)
    power = lines[0].split(b",").index(b"power")
    lines[3] = _edit(lines[3], power, b"0.999")  # a power changed by hand
    path = checkpoint(tmp_path, reference, lines)
    assert resumed(capsys, path, 1) == reference[0]


def test_resume_recomputes_a_row_moved_to_another_cell(capsys, tmp_path, reference):
    lines = reference[0].splitlines(keepends=True)
    lines[1] = _edit(lines[1], 0, b"2")  # cell 0's first row now claims cell 2
    path = checkpoint(tmp_path, reference, lines)
    assert resumed(capsys, path, 1) == reference[0]


def test_resume_drops_a_duplicated_row(capsys, tmp_path, reference):
    lines = reference[0].splitlines(keepends=True)
    path = checkpoint(tmp_path, reference, [*lines[:4], lines[2], *lines[4:]])
    assert resumed(capsys, path, 1) == reference[0]


def test_resume_recomputes_rows_of_another_seed_left_by_a_failed_force(capsys, tmp_path,
                                                                       reference):
    # a --force --seed 4 over a seed-5 file that failed after writing its sidecar: the rows
    # are seed 5's, the sidecar seed 4's
    path = tmp_path / "c.csv"
    sweep_ok(capsys, *[a if a != "4" else "5" for a in GRID], "--out", path)
    path.with_name("c.csv.meta.json").write_bytes(reference[1])
    assert resumed(capsys, path, 6) == reference[0]


def test_resume_recomputes_a_row_of_another_jsonl_sweep(capsys, tmp_path):
    args = ["--n", "100,150", "--endpoint", "walk_m", "--reps", "200", "--jobs", "1", "--quiet"]
    full, other = tmp_path / "full.jsonl", tmp_path / "other.jsonl"
    sweep_ok(capsys, *args, "--out", full)
    sweep_ok(capsys, *args, "--seed", "9", "--out", other)
    mixed = full.read_text().splitlines(keepends=True)
    mixed[1] = other.read_text().splitlines(keepends=True)[1]
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(mixed))
    cut.with_name("cut.jsonl.meta.json").write_bytes(
        full.with_name("full.jsonl.meta.json").read_bytes())
    err = sweep_ok(capsys, *args, "--out", cut, "--resume")
    assert err.startswith("Note: resume dropped 1 row of") and err.count("\n") == 1
    assert cut.read_bytes() == full.read_bytes()


def test_a_trailing_blank_line_is_not_corruption(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference, [reference[0], b"\n"])
    assert resumed(capsys, path, 0) == reference[0]


def test_a_truncated_row_is_recomputed_quietly(capsys, tmp_path, reference):
    data = reference[0]
    path = checkpoint(tmp_path, reference, [data[:-25]])  # a write cut by a kill
    assert resumed(capsys, path, 0) == data


def test_an_empty_checkpoint_starts_over(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference, [b""])
    assert resumed(capsys, path, 0) == reference[0]


def test_resume_removes_temporary_files_of_a_killed_rewrite(capsys, tmp_path, reference):
    path = checkpoint(tmp_path, reference)
    for name in (".c.csv.12345.tmp", ".c.csv.meta.json.12345.tmp"):
        (tmp_path / name).write_text("half a rewrite")
    (tmp_path / ".c.csv.mine.tmp").write_text("not simtrial's name")
    assert resumed(capsys, path, 0) == reference[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".c.csv.mine.tmp", "c.csv", "c.csv.meta.json"]


def test_a_failed_final_rewrite_leaves_no_temporary_and_an_unfinished_mark(
        capsys, tmp_path, reference, monkeypatch):
    path = tmp_path / "c.csv"
    finish = output.Output.finish

    def disk_full(self, cells):
        monkeypatch.setattr(output.os, "replace", _no_space)
        finish(self, cells)

    monkeypatch.setattr(output.Output, "finish", disk_full)
    expect_error(capsys, ["sweep", *GRID, "--out", path], 1, "No space left on device")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "c.csv.meta.json"]
    assert json.loads(path.with_name("c.csv.meta.json").read_text())["finished"] is False
    assert resumed(capsys, path, 0) == reference[0]
    assert json.loads(path.with_name("c.csv.meta.json").read_text())["finished"] is True


def _no_space(source, target):
    raise OSError(28, "No space left on device", str(source))


# --- faults in workers ----------------------------------------------------------------------------

# Long enough (37 cells) that it is still running when the test stops it after its first cell,
# however loaded the machine is (7 cells could all finish before the signal arrived).
LONG = ["--n", "100:1000:25", "--reps", "20000", "--seed", "3", "--jobs", "2"]


def test_a_killed_loky_worker_is_one_error_line_with_the_resume_hint(capsys, tmp_path,
                                                                      monkeypatch):
    from joblib.externals.loky import reusable_executor

    append = output.Output.append

    def kill_a_worker(self, rows):  # as the out-of-memory killer would, after the first cell
        append(self, rows)
        if not killed:
            pid = next(iter(reusable_executor._executor._processes))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killed = []
    monkeypatch.setattr(output.Output, "append", kill_a_worker)
    out = tmp_path / "k.csv"
    expect_error(capsys, ["sweep", *LONG, "--out", out], 1, "a worker process died",
                 "killed by SIGKILL", f"are kept in {out}: continue with --resume")
    assert killed and _rows(out) >= 6
    assert not (tmp_path / "k.csv.lock").exists()


def test_a_dask_cluster_that_loses_its_workers_times_out(capsys, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    append = output.Output.append
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp://",
                                  dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.ERROR) as cluster:
        def close_the_workers(self, rows):  # mid-sweep: after the first cell
            append(self, rows)
            cluster.scale(0)

        monkeypatch.setattr(output.Output, "append", close_the_workers)
        out = tmp_path / "d.csv"
        start = time.monotonic()
        expect_error(capsys, ["sweep", "--n", "100:400:50", "--reps", "5000", "--backend",
                              "dask", "--scheduler", cluster.scheduler_address,
                              "--worker-timeout", "1", "--out", out], 1,
                     "the Dask cluster has had no worker for 1 s",
                     f"are kept in {out}: continue with --resume")
        assert time.monotonic() - start < 60
    assert _rows(out) >= 6


@pytest.mark.parametrize("sig, status, word", [(signal.SIGINT, 130, "interrupted (Ctrl-C)"),
                                               (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_ctrl_c_and_sigterm_stop_a_sweep_within_a_second(tmp_path, sig, status, word):
    out = tmp_path / "i.csv"
    # A shell starts background jobs with SIGINT ignored, and Python then keeps ignoring it
    # (as a user's `simtrial sweep ... &` would): the child gets the default, as at a terminal.
    process = subprocess.Popen([*COMMAND, "sweep", *LONG, "--out", str(out)],
                               stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while _rows(out) < 6 and time.monotonic() < deadline:  # a cell is finished
            time.sleep(0.05)
        semaphores = _semaphores(process.pid)
        start = time.monotonic()
        process.send_signal(sig)
        err = process.communicate(timeout=30)[1]
        took = time.monotonic() - start
    finally:
        if process.poll() is None:
            process.kill()
    assert semaphores, "the loky pool should hold semaphores while it runs"
    assert process.returncode == status and took < 2.0, (process.returncode, took, err)
    assert err == f"Error: {word}; the finished cells are kept in {out}: continue with " \
                  "--resume\n"
    assert _rows(out) >= 6 and not (tmp_path / "i.csv.lock").exists()
    time.sleep(0.5)  # loky's resource tracker unlinks them as the process exits
    assert not _semaphores(process.pid), "semaphores left in /dev/shm"


def _rows(path):
    try:
        return path.read_bytes().count(b"\n") - 1
    except FileNotFoundError:
        return 0


def _semaphores(pid):
    shm = Path("/dev/shm")
    return [p.name for p in shm.iterdir() if f"-{pid}-" in p.name] if shm.is_dir() else []


# --- report --out: never delete what simtrial did not write --------------------------------------

@pytest.fixture
def small_scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(scenario_text(BINARY))
    return path


def report_args(scenario, out, *more):
    return ["report", "--scenario", scenario, "--power", "0.8", "--out", out, "--reps", "200",
            "--jobs", "1", *more]


def test_report_out_is_a_file(capsys, tmp_path, small_scenario):
    expect_error(capsys, report_args(small_scenario, small_scenario), 2, "--out", "is a file")


def test_report_refuses_a_non_empty_directory_without_force(capsys, tmp_path, small_scenario):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    expect_error(capsys, report_args(small_scenario, out), 2, "not empty", "--force")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_report_force_refuses_a_directory_whose_report_md_is_not_a_report(capsys, tmp_path,
                                                                          small_scenario):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.md").write_text("my own report")
    expect_error(capsys, report_args(small_scenario, out, "--force"), 2,
                 "holds report.md but is not a report directory")
    assert [p.name for p in out.iterdir()] == ["report.md"]
    assert (out / "report.md").read_text() == "my own report"


def test_report_force_into_the_current_directory_keeps_other_files(capsys, tmp_path,
                                                                   small_scenario, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    for _ in range(2):  # into a directory with other files, then over its own report
        with pytest.raises(SystemExit) as info:
            main(report_args(small_scenario, ".", "--force"))
        out, err = capsys.readouterr()
        assert info.value.code == 0 and err == "", err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt", "power_curve.png", "report.docx", "report.md", "results.json",
        "sensitivity.png", "small.toml"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_sigterm_during_a_report_removes_its_staging_directory(tmp_path, small_scenario):
    out = tmp_path / "grant"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    process = subprocess.Popen(
        [*COMMAND, *map(str, report_args(small_scenario, out, "--force"))],
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(".simtrial-report-*")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(out.glob(".simtrial-report-*")), "the report should stage inside --out"
        process.send_signal(signal.SIGTERM)
        err = process.communicate(timeout=60)[1]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, err
    assert err == f"Error: terminated (SIGTERM); --out {out} is as it was\n"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
