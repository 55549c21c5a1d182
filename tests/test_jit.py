"""The kernel decorator: machine code cached on disk, and a cache directory that fails."""

import errno
import io
import json
import os
import subprocess
import sys

import numba
import pytest
from numba.core import caching, event

from simtrial.kernels import _jit
from simtrial.kernels._jit import kernel
from simtrial.simulate import power

# The CLI, with every write to the numba cache failing as on a full disk. numba's check of the
# directory at decoration (a temporary file) still passes: only saving compiled code fails.
FULL_DISK_CLI = """
import errno, sys
from numba.core import caching, event

def full_disk(self, filepath):
    raise OSError(errno.ENOSPC, "No space left on device", filepath)

caching.IndexDataCacheFile._open_for_write = full_disk
from simtrial.cli import main
main(sys.argv[1:])
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """NUMBA_CACHE_DIR for kernels decorated in the test, and no notice printed before."""
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_jit, "_notified", [])
    monkeypatch.setattr(_jit._GuardedCache, "gave_up", False)
    return tmp_path


def test_kernels_are_cached_on_disk(cache_dir):
    def twice(x):
        return 2 * x

    assert kernel(twice)(4) == 8
    again = kernel(twice)  # a new process would decorate it again, and load it
    assert again(4) == 8
    assert sum(again.stats.cache_hits.values()) == 1
    assert list(cache_dir.rglob("*twice*.nbi"))


def test_kernels_are_cached_in_the_user_cache_not_in_the_package(tmp_path, monkeypatch):
    # Code cached beside an installed package outlives `pip uninstall` (the files are not
    # pip's) and the bare directory left shadows a later editable install; numba's user-wide
    # cache comes first (XDG_CACHE_HOME here; the package's __pycache__ only as a last resort).
    source = tmp_path / "package" / "triple.py"
    source.parent.mkdir()
    source.write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(source.parent))
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    from triple import triple

    assert kernel(triple)(4) == 12
    assert list((tmp_path / "user-cache" / "numba").rglob("triple.triple-*.nbi"))
    assert not list(source.parent.rglob("*.nb*"))


def test_a_failed_save_gives_one_notice_and_no_second_try(cache_dir, monkeypatch, capsys):
    writes = []

    def full_disk(self, filepath):
        writes.append(filepath)
        raise OSError(errno.ENOSPC, "No space left on device", filepath)

    monkeypatch.setattr(caching.IndexDataCacheFile, "_open_for_write", full_disk)

    def twice(x):
        return 2 * x

    def thrice(x):
        return 3 * x

    assert kernel(twice)(4) == 8
    assert kernel(thrice)(4) == 12
    assert len(writes) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("simtrial: notice: could not save compiled kernels")
    assert "No space left on device" in lines[0]


@pytest.mark.slow  # compiles the kernels it uses in a fresh process (~25 s)
def test_cli_runs_when_the_cache_directory_fails_on_save(tmp_path):
    # One process whose every save fails (the second compiling process, simtrial.warmup,
    # would save through its own, unpatched numba).
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), SIMTRIAL_COMPILE_ALONGSIDE="0")
    args = ["power", "--n", "100", "--reps", "1000", "--endpoint", "msc_ae", "--format", "json"]
    run = subprocess.run([sys.executable, "-c", FULL_DISK_CLI, *args], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("simtrial: notice: could not save compiled kernels")
    ours = power("msc-covid19", 100, reps=1000, endpoints=["msc_ae"]).endpoints[0].power
    assert json.loads(run.stdout)["endpoints"][0]["power"] == ours
    assert not list((tmp_path / "cache").rglob("*.nb*"))  # nothing half written


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _closed():
    stream = io.StringIO()
    stream.close()
    return stream


@pytest.mark.parametrize("stream, said", [(_Terminal, True), (io.StringIO, False),
                                          (lambda: None, False), (_closed, False)])
def test_compiling_is_announced_once_at_a_terminal_only(stream, said, monkeypatch):
    # The first run on a machine compiles for 15-20 s; at a terminal one line says why it waits.
    # A pipe or log gets nothing (stderr carries only notices and errors), nor does a process
    # without a console (stderr None) or with stderr closed, and compiling goes on.
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(_jit._compiling, "said", True)  # simtrial's own: silent here
    notice = _jit._CompilingNotice()
    with event.install_listener("numba:compile", notice):
        assert numba.njit(lambda x: x + 1)(1) == 2
        assert numba.njit(lambda x: x + 2)(1) == 3
    written = err.getvalue() if isinstance(err, io.StringIO) and not err.closed else ""
    assert written == ("simtrial: compiling numerical kernels for this machine (once; later runs "
                       "load them from the cache)...\n" if said else "")


def test_a_constant_passed_between_kernels_compiles_one_specialisation(cache_dir):
    # numba types a constant argument as a literal and compiled the callee once per constant
    # and once for the plain type (fisher's _walk and _ratio: three times each).
    def shift(x, k):
        return x + k

    inner = kernel(shift)

    def three_calls(x, k):
        return inner(x, 1) + inner(x, -1) + inner(x, k)

    assert kernel(three_calls)(1, 5) == 8
    assert [str(sig) for sig in inner.signatures] == ["(int64, int64)"]


KERNEL_USER = """
import sys
sys.path.insert(0, sys.argv[1])
import quadruple
kernel = getattr(quadruple, sys.argv[2])
print("ready", flush=True)
assert kernel(2.0) == (8.0 if sys.argv[2] == "quadruple" else 6.0)
print(sum(kernel.stats.cache_misses.values()), flush=True)
"""


@pytest.fixture
def two_kernels(tmp_path, monkeypatch):
    """A module of two kernels, its cache directory, and ``quadruple``'s lock file."""
    package = tmp_path / "package"
    package.mkdir()
    (package / "quadruple.py").write_text(
        "from simtrial.kernels._jit import kernel\n\n\n@kernel\n"
        "def quadruple(x):\n    return 4 * x\n\n\n@kernel\n"
        "def triple(x):\n    return 3 * x\n")
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(package))
    from quadruple import quadruple

    cache = quadruple._cache
    lock = os.path.join(cache._cache_path, f"{cache._impl.filename_base}.lock")
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    return package, env, lock


def test_processes_started_together_compile_a_kernel_once(two_kernels):
    # Sweep workers or test workers on an empty cache: while one compiles, the others wait
    # for the kernel's lock and then load what it saved.
    fcntl = pytest.importorskip("fcntl")
    package, env, lock = two_kernels
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # both processes wait for it, as for a compiler
        runs = [subprocess.Popen([sys.executable, "-c", KERNEL_USER, str(package), "quadruple"],
                                 env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        assert [run.stdout.readline() for run in runs] == ["ready\n"] * 2
    misses = [int(run.communicate(timeout=120)[0]) for run in runs]
    assert sorted(misses) == [0, 1]


def test_a_process_compiles_a_kernel_while_another_compiles_another(two_kernels):
    # The lock is the kernel's own: compiling quadruple (its lock held here) does not hold up
    # a process that compiles triple (simtrial.warmup's second process relies on it).
    fcntl = pytest.importorskip("fcntl")
    package, env, lock = two_kernels
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        run = subprocess.run([sys.executable, "-c", KERNEL_USER, str(package), "triple"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["ready", "1"]
