"""What the quick commands import: `simtrial --help` and `validate` answer without the heavy
packages (numba, scipy.stats; numpy and scipy only where a file's derivations need them).

Timings are benchmarks' business (benchmarks/RESULTS.md); this checks the imports that set
them, in a fresh interpreter.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_validating_derivations_imports_scipy_special_not_scipy_stats_nor_numba():
    # the built-in scenario's numbers carry derivations (t and normal quantiles, and a root of
    # a pooled z for a proportion from a p-value, which needs scipy.optimize)
    modules = imported("validate", str(SCENARIOS / "msc-covid19.toml"))
    assert "scipy.special" in modules
    assert "scipy.stats" not in modules
    assert "numba" not in modules
