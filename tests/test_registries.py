"""The endpoint-model and test registries are consistent, and every consumer reads them."""

import subprocess
from pathlib import Path

import pytest

from simtrial.endpoints import KINDS, MODELS
from simtrial.endpoints import tests_of as allowed_tests
from simtrial.scenario import load_scenario
from simtrial.stattests import TESTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("distribution", sorted(MODELS))
def test_every_test_a_model_allows_has_its_simulator(distribution):
    # A model may list a test only if it simulates the statistics that test reads.
    model = MODELS[distribution]
    assert model.distribution == distribution
    for kind, tests in model.kinds.items():
        assert distribution in KINDS[kind]
        for name in tests:
            assert TESTS[name].statistic.name in model.simulators, (distribution, name)
    for statistic in model.prefix_simulators:
        assert statistic in model.simulators


def test_every_kind_has_one_default_distribution():
    for kind, distributions in KINDS.items():
        defaults = [d for d in distributions if kind in MODELS[d].default]
        assert defaults == [distributions[0]], kind


def test_test_proxies_have_closed_forms():
    for test in TESTS.values():
        if test.proxy is not None:
            assert TESTS[test.proxy].closed_form is not None, test.name
            assert TESTS[test.proxy].statistic is not None


def test_builtin_endpoints_resolve_through_the_registries():
    for ep in load_scenario("msc-covid19").endpoints:
        assert ep.model is MODELS[ep.distribution]
        assert ep.test in allowed_tests(ep.kind, ep.distribution)


def test_a_distribution_name_lives_in_its_own_module():
    # issue 16: the log-scale handling of log-normal endpoints, and every other endpoint-kind
    # branch, lives in that endpoint's module (a search finds "lognormal" in at most two files)
    found = subprocess.run(["git", "grep", "-l", '"lognormal"', "--", "simtrial"], cwd=ROOT,
                           capture_output=True, text=True, check=False).stdout.split()
    assert 1 <= len(found) <= 2, found
    for name in ("bernoulli", "discretised_normal", "categorical"):
        found = subprocess.run(["git", "grep", "-l", f'"{name}"', "--", "simtrial"], cwd=ROOT,
                               capture_output=True, text=True, check=False).stdout.split()
        assert all(path.startswith("simtrial/endpoints/") for path in found), (name, found)
