"""What the quick commands import: `simtrial --help` and `validate` answer without the heavy
packages (numpy, scipy, numba; scipy only where reading a scenario solves an equation: group-
sequential boundaries, the calibration of a hierarchical endpoint).

Timings are benchmarks' business (benchmarks/RESULTS.md); this checks the imports that set
them, in a fresh interpreter.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simtrial.scenario import builtin_names

SCENARIOS = Path(__file__).parents[1] / "scenarios"
HEAVY = ("numpy", "scipy", "scipy.special", "scipy.stats", "scipy.optimize", "numba")

RUN = f"""
import json, sys
from simtrial.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def imported(*args):
    run = subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["power", "--help"],
                                  ["validate", str(SCENARIOS / "examples" / "safety-rare.toml")]])
def test_help_and_validating_a_plain_file_import_no_numerical_package(args):
    assert imported(*args) == []


# Reading these solves something with scipy: group-sequential boundaries (simtrial.design) and
# the survival component's calibration of a hierarchical endpoint.
SOLVED_AT_LOAD = ("group-sequential", "group-sequential-family", "time-to-event-sequential",
                  "hierarchical-survival")


@pytest.mark.parametrize("name", [name for name in builtin_names() if name not in SOLVED_AT_LOAD])
def test_validating_a_shipped_scenario_imports_no_numerical_package(name):
    # The built-in's derived numbers (normal and t quantiles, a proportion from a p-value) are
    # recomputed (simtrial.quantiles) and its score's latent normal fitted (simtrial.score_fit)
    # in plain Python.
    assert imported("validate", name) == []


@pytest.mark.parametrize("name", SOLVED_AT_LOAD)
def test_validating_what_is_solved_at_load_imports_no_numba(name):
    assert "numba" not in imported("validate", name)
