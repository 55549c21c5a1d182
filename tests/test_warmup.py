"""The second process that compiles a cold run's kernels from the other end."""

import os
import subprocess
import sys

import numba
import pytest

from simtrial import warmup
from simtrial.kernels import _jit
from simtrial.kernels._jit import kernel


class _Started:
    """Records the commands :func:`warmup.compile_alongside` would start."""

    def __init__(self):
        self.commands = []

    def __call__(self, command):
        self.commands.append(command)
        return subprocess.Popen([sys.executable, "-c", "pass"])


@pytest.fixture
def started(monkeypatch, tmp_path):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.delenv(warmup.SWITCH, raising=False)
    monkeypatch.setattr(warmup, "available_cores", lambda: 2)
    record = _Started()
    monkeypatch.setattr(warmup, "_start", record)
    return record


def _fresh_kernel():
    def add_one(x):
        return x + 1

    return kernel(add_one)


def test_a_compiling_run_starts_one_second_process_with_its_endpoints(started):
    add_one = _fresh_kernel()
    with warmup.compile_alongside("msc-covid19", 400, ["walk_m", "death"]):
        assert add_one(1) == 2
        assert _fresh_kernel()(2) == 3  # a second compile starts no second process
    assert started.commands == [[sys.executable, "-m", "simtrial.warmup", "msc-covid19",
                                 "400", "walk_m", "death"]]


def test_a_run_that_compiles_nothing_starts_nothing(started):
    add_one = _fresh_kernel()
    add_one(1)
    with warmup.compile_alongside("msc-covid19", 400):
        assert add_one(1) == 2  # compiled before the block
    assert started.commands == []
    assert _jit._compile_hooks == []  # and the hook is gone with the block


@pytest.mark.parametrize("setting", ["switch", "one core", "text"])
def test_the_switch_a_single_core_and_a_scenario_from_text_start_nothing(started, monkeypatch,
                                                                          setting):
    scenario = "msc-covid19"
    if setting == "switch":
        monkeypatch.setenv(warmup.SWITCH, "0")
    elif setting == "one core":
        monkeypatch.setattr(warmup, "available_cores", lambda: 1)
    else:
        scenario = "<string>"  # Scenario.source of a scenario parsed from text: no file to load
    with warmup.compile_alongside(scenario, 400):
        _fresh_kernel()(1)
    assert started.commands == []


def test_a_second_process_that_cannot_start_leaves_the_run_to_compile_alone(started,
                                                                            monkeypatch):
    def refused(command):
        raise OSError(11, "Resource temporarily unavailable")  # fork at the process limit

    monkeypatch.setattr(warmup, "_start", refused)
    with warmup.compile_alongside("msc-covid19", 400):
        assert _fresh_kernel()(1) == 2


def test_the_second_process_is_stopped_when_the_block_ends(monkeypatch, tmp_path):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(warmup, "available_cores", lambda: 2)
    monkeypatch.delenv(warmup.SWITCH, raising=False)
    processes = []

    def sleeper(command):
        processes.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]))
        return processes[-1]

    monkeypatch.setattr(warmup, "_start", sleeper)
    with warmup.compile_alongside("msc-covid19", 400):
        _fresh_kernel()(1)
        assert processes[0].poll() is None
    assert processes[0].poll() is not None


def test_the_second_process_computes_the_endpoints_last_first(monkeypatch):
    calls = []
    monkeypatch.setattr("simtrial.simulate.power",
                        lambda scenario, n, **options: calls.append((n, options["endpoints"])))
    warmup.main(["msc-covid19", "400", "walk_lln", "walk_m"])
    assert calls == [(400, ["walk_m"]), (400, ["walk_lln"])]
    calls.clear()
    warmup.main(["msc-covid19", "300"])
    assert calls[0] == (300, ["death_walk"]) and len(calls) > 2


@pytest.mark.slow
def test_a_cold_run_gives_the_same_bytes_with_and_without_the_second_process(tmp_path):
    # From an empty cache each time: the kernels the second process compiled are loaded by
    # the command, and its output is the same, byte for byte.
    outputs = []
    for switch in ("1", "0"):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / switch), **{warmup.SWITCH: switch})
        run = subprocess.run([sys.executable, "-c", "from simtrial.cli import main; main()",
                              "power", "--scenario", "ordinal-po", "--n", "300", "--reps", "500",
                              "--format", "csv"], env=env, capture_output=True, text=True,
                             check=True, timeout=600)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
