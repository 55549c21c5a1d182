"""Compile a cold run's kernels from both ends, in a second process.

numba compiles on one core: its compiler holds a lock for the whole process, and the first run
of a scenario on a machine compiles its kernels one after another (the built-in scenario needs
dozens). When a command's first kernel is not in the cache, :func:`compile_alongside` starts a
second process that computes the same endpoints' power at the same sample size in the reverse
order, with a few replicates: it compiles the kernels of the last endpoints while the command
compiles those of the first, and the two meet in the middle. Each kernel is compiled once: a
process takes the kernel's lock before compiling it, and a process that finds it taken waits,
then loads what the other saved (:func:`simtrial.kernels._jit._one_compiler`).

The second process writes nothing but the numba cache, is stopped when the command's work ends,
and is not started when every kernel loads from the cache, on a machine with one core, or when
the environment sets ``SIMTRIAL_COMPILE_ALONGSIDE=0``. Results are the same bytes either way:
the machine code is the same whichever process compiled it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from simtrial.kernels._jit import when_compiling
from simtrial.simulate import available_cores

__all__ = ["SWITCH", "compile_alongside", "main"]

#: The environment variable that turns the second process off ("0").
SWITCH = "SIMTRIAL_COMPILE_ALONGSIDE"
_REPS = 20  # the second process's replicates: enough to call every kernel, in no time
_STOP_WAIT = 5.0  # seconds a stopped process has to exit before it is killed


@contextmanager
def compile_alongside(scenario: str, n: int, endpoints: Sequence[str] = ()) -> Iterator[None]:
    """Within the block, compile the kernels of ``scenario``'s power at ``n`` from both ends.

    Parameters
    ----------
    scenario : str
        The scenario as the command was given it (a built-in name or a file path;
        :attr:`simtrial.scenario.Scenario.source`); none for ``"<string>"``, a scenario
        parsed from text.
    n : int
        The total sample size the command simulates first.
    endpoints : sequence of str
        The endpoints the command simulates (default: all).

    Examples
    --------
    >>> with compile_alongside("msc-covid19", 400):
    ...     pass  # nothing compiled: no second process
    """
    started: list[subprocess.Popen] = []
    if os.environ.get(SWITCH) == "0" or available_cores() < 2 or scenario == "<string>":
        yield
        return
    command = [sys.executable, "-m", "simtrial.warmup", scenario, str(n), *endpoints]

    def start() -> None:  # called inside numba's compile: an error here would fail the run
        try:
            started.append(_start(command))
        except OSError:  # no process to spare (process limit, memory): this one compiles all
            pass

    try:
        with when_compiling(start):
            yield
    finally:
        for process in started:
            _stop(process)


def main(argv: Sequence[str]) -> None:
    """The second process: ``python -m simtrial.warmup SCENARIO N [ENDPOINT ...]``.

    Computes each endpoint's power at ``N`` (``_REPS`` replicates, one thread), the last
    endpoint first; its output is thrown away.
    """
    from simtrial.scenario import load_scenario
    from simtrial.simulate import power

    scenario = load_scenario(argv[0])
    n = int(argv[1])
    for endpoint in reversed(list(argv[2:]) or [ep.id for ep in scenario.endpoints]):
        power(scenario, n, reps=_REPS, endpoints=[endpoint], jobs=1)


def _start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=dict(os.environ, **{SWITCH: "0"}))


def _stop(process: subprocess.Popen) -> None:
    """End the second process (it may be mid-compile: numba saves a kernel atomically)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(_STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
