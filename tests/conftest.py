import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis runs the same examples on every machine and every run: derandomised, with no
# example database (a failure found once must not replay only where it was found; a regression
# worth keeping becomes an @example). HYPOTHESIS_PROFILE=explore searches at random instead.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REFERENCE = Path(__file__).parent / "reference" / "r_reference.json"

# The scripts that regenerate reference values need tools the tests do not (R, mpmath);
# --doctest-modules would import them.
collect_ignore_glob = ["reference/*.py"]


@pytest.fixture(scope="session")
def r_ref():
    """R reference values by id (tests/reference/make_r_reference.R made them)."""
    values = json.loads(REFERENCE.read_text())["values"]
    return {entry["id"]: entry for entry in values}


def scenario_text(endpoints: str, trial: str = "") -> str:
    """A schema v1 scenario with the given [trial] body and [[endpoints]] blocks."""
    head = 'schema_version = 1\nname = "t"\n'
    if trial:
        head += "[trial]\n" + textwrap.dedent(trial)
    return head + textwrap.dedent(endpoints)


BINARY = """
[[endpoints]]
id = "b"
kind = "binary"
test = "chisq"
better = "lower"
control = { p = 0.30 }
treatment = { p = 0.18 }
"""

NORMAL = """
[[endpoints]]
id = "y"
kind = "continuous"
test = "ttest"
better = "higher"
control = { mean = 50.0, sd = 25.0 }
treatment = { mean = 60.0, sd = 25.0 }
"""
