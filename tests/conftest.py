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

# The CLI's second compiling process (simtrial.warmup) is for a user's cold first run; the
# test workers already keep every core busy. tests/test_warmup.py turns it on where it tests it.
os.environ.setdefault("SIMTRIAL_COMPILE_ALONGSIDE", "0")

REFERENCE = Path(__file__).parent / "reference" / "r_reference.json"

# ---------------------------------------------------------------------- test tiers
# Every test is in exactly one tier (README, "Tests"): `python -m pytest` runs the first three,
# `python -m pytest -m slow` the last, `-m unit` (or reference, statistical) one of them.
TIERS = ("unit", "reference", "statistical", "slow")  # what each means: pyproject.toml markers
# A test module's tier. A test marked with a tier itself (@pytest.mark.slow, ...) keeps its
# own: that is how a module mixes tiers. A new test module must be added here.
MODULE_TIERS = {
    "test_analytic": "reference",
    "test_assurance": "statistical",
    "test_baseline": "statistical",
    "test_cli": "unit",
    "test_coprimary": "statistical",
    "test_correlated": "statistical",
    "test_days_free": "statistical",
    "test_design_boundaries": "reference",
    "test_design_conditional": "reference",
    "test_distributions": "statistical",
    "test_effect_scales": "reference",
    "test_events_closed_forms": "reference",
    "test_evidence": "reference",
    "test_exact_cost": "unit",
    "test_exact_power": "reference",
    "test_faults_files": "unit",
    "test_faults_inputs": "unit",
    "test_faults_text": "unit",
    "test_fisher": "reference",
    "test_imports": "unit",
    "test_interim_plan": "reference",
    "test_jit": "unit",
    "test_kernels": "statistical",
    "test_margins": "statistical",
    "test_margin_hazard_ratio": "statistical",
    "test_margin_odds_ratio": "statistical",
    "test_multiplicity": "unit",
    "test_packaging": "unit",
    "test_pcg64": "reference",
    "test_power_montecarlo": "statistical",
    "test_properties": "unit",
    "test_proportional_odds": "reference",
    "test_public_api": "unit",
    "test_quantiles": "reference",
    "test_ranks": "reference",
    "test_references": "unit",
    "test_registries": "unit",
    "test_report": "unit",
    "test_report_docx": "unit",
    "test_report_sections": "unit",
    "test_rescaled": "statistical",
    "test_scenario": "unit",
    "test_score_fit": "reference",
    "test_search": "statistical",
    "test_sequential": "statistical",
    "test_sequential_endpoints": "statistical",
    "test_sequential_family": "statistical",
    "test_sequential_search": "statistical",
    "test_stattests": "reference",
    "test_strata_cox": "reference",
    "test_survival_kernels": "statistical",
    "test_sweep": "unit",
    "test_sweep_design": "unit",
    "test_sweep_labels": "unit",
    "test_tdist": "reference",
    "test_text": "unit",
    "test_time_to_event": "statistical",
    "test_tte_samplesize": "statistical",
    "test_tte_sequential": "statistical",
    "test_tte_strata_scenario": "unit",
    "test_warmup": "unit",
    "test_wins": "reference",
}


@pytest.hookimpl(tryfirst=True)  # before -m selects by tier
def pytest_collection_modifyitems(config, items):
    """Give each test its tier: its own tier mark, else its module's, doctests unit."""
    for item in items:
        own = [mark.name for mark in item.iter_markers() if mark.name in TIERS]
        if len(own) > 1:
            raise pytest.UsageError(f"{item.nodeid}: marked with {len(own)} test tiers "
                                    f"({', '.join(own)}); give it one")
        if own:
            continue
        if isinstance(item, pytest.DoctestItem):
            item.add_marker("unit")
            continue
        module = item.path.stem
        if module not in MODULE_TIERS:
            raise pytest.UsageError(
                f"{item.path}: no test tier for this module: add {module!r}: 'unit' | "
                "'reference' | 'statistical' | 'slow' to MODULE_TIERS in tests/conftest.py "
                "(or mark each of its tests, e.g. @pytest.mark.slow)")
        item.add_marker(MODULE_TIERS[module])

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
