"""Assurance's fast path (trials simulated once, rescaled per draw) against the slow path.

The fast path (simtrial.rescaled) must decide every trial at every draw as simulating the
trials at that draw does: the tests compare them exactly, with fixed seeds, and check that
the assurance is within MCSE of the slow path's where the two differ by construction (none).
"""

from __future__ import annotations

import numpy as np
import pytest

import simtrial.assurance as assurance_module
from simtrial import rng
from simtrial.assurance import assurance
from simtrial.kernels.continuous import normal_chi2_moments
from simtrial.kernels.rescale import rescale_moments, standard_chi2_moments
from simtrial.rescaled import rescalable
from simtrial.scenario import parse_scenario

SCENARIO = """
schema_version = 1
name = "walk"
[trial]
allocation = [65, 35]
alternative = "{alternative}"
[[endpoints]]
id = "y"
kind = "continuous"
distribution = "{distribution}"
test = "{test}"
better = "{better}"
dropout = {dropout}
control = {control}
treatment = {treatment}
[[priors]]
{prior}
"""
NORMAL = {"distribution": "normal", "control": "{ mean = 450.0, sd = 69.36 }",
          "treatment": "{ mean = 477.0, sd = 69.36 }"}
LOGNORMAL = {"distribution": "lognormal", "control": "{ gmean = 128.0, gsd = 2.8 }",
             "treatment": "{ gmean = 170.0, gsd = 2.8 }"}
MEAN_PRIOR = 'key = "endpoints.y.treatment.mean"\ndistribution = "normal"\nmean = 470.0\nsd = 15.0'


def make(prior: str = MEAN_PRIOR, *, model=NORMAL, test="ttest", alternative="two-sided",
         better="higher", dropout=0.0):
    return parse_scenario(SCENARIO.format(prior=prior, test=test, alternative=alternative,
                                          better=better, dropout=dropout, **model))


def slow(sc, n, **kwargs):
    """The assurance with every draw simulating its trials (the fast path switched off)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assurance_module, "rescalable", lambda scenario, ep: False)
        return assurance(sc, n, **kwargs)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_rescaled_moments_equal_the_kernels_bit_for_bit(dropout):
    # Odd sizes, a tiny arm (m of 0 and 1 happen) and a large one.
    for n_t, n_c in ((3, 2), (260, 140)):
        standard, rescaled, direct = (np.empty((1500, 6)) for _ in range(3))
        standard_chi2_moments(rng.chunk_generator(3, "y", 0), n_t, n_c, dropout, dropout,
                              standard)
        rescale_moments(standard, 477.0, 69.36, 450.0, 71.5, rescaled)
        normal_chi2_moments(rng.chunk_generator(3, "y", 0), n_t, n_c, 477.0, 69.36, 450.0,
                            71.5, dropout, dropout, direct)
        assert np.array_equal(rescaled, direct)


@pytest.mark.parametrize(("prior", "options"), [
    (MEAN_PRIOR, {}),
    (MEAN_PRIOR, {"alternative": "one-sided", "dropout": 0.2}),
    # a prior on the control arm, an endpoint where lower is better
    ('key = "endpoints.y.control.mean"\ndistribution = "normal"\nmean = 490.0\nsd = 20.0',
     {"better": "lower"}),
    # a prior on the sd: Welch's df vary per draw, so p-values are computed throughout
    ('key = "endpoints.y.treatment.sd"\ndistribution = "truncated-normal"\nmean = 69.0\n'
     "sd = 10.0\nlower = 30.0\nupper = 120.0", {"test": "welch"}),
    ('key = "endpoints.y.treatment.sd"\ndistribution = "truncated-normal"\nmean = 69.0\n'
     "sd = 10.0\nlower = 30.0\nupper = 120.0", {}),
    ('key = "endpoints.y.treatment.gmean"\ndistribution = "lognormal"\nmedian = 170.0\n'
     "sd_log = 0.25", {"model": LOGNORMAL, "test": "welch"}),
])
def test_fast_path_decides_every_trial_as_the_slow_path(prior, options):
    sc = make(prior, **options)
    assert rescalable(sc, sc.endpoints[0])
    fast = assurance(sc, 150, draws=60, reps=1200, seed=4)
    reference = slow(sc, 150, draws=60, reps=1200, seed=4)
    assert np.array_equal(fast.draw_power, reference.draw_power)
    assert (fast.assurance, fast.mcse, fast.expected_power) == (
        reference.assurance, reference.mcse, reference.expected_power)


def test_fast_path_agrees_with_the_slow_path_within_mcse_on_other_streams():
    # The slow path at another seed: independent trials and draws, so the two estimates
    # differ by Monte Carlo error only (sd of the difference: the root sum of squared MCSEs).
    sc = make()
    fast = assurance(sc, 300, draws=2000, reps=1000, seed=1)
    reference = slow(sc, 300, draws=200, reps=500, seed=2)
    gap = abs(fast.assurance - reference.assurance)
    assert gap < 4 * np.hypot(fast.mcse, reference.mcse), (fast.assurance, reference.assurance)
    assert abs(fast.assurance - fast.closed_form) < 4 * fast.mcse


def test_fast_path_does_not_depend_on_jobs():
    sc = make(dropout=0.1)
    one = assurance(sc, 400, draws=301, reps=2500, seed=9, jobs=1)
    two = assurance(sc, 400, draws=301, reps=2500, seed=9, jobs=2)
    assert np.array_equal(one.draw_power, two.draw_power)
    assert one.to_dict() == two.to_dict()


@pytest.mark.parametrize(("prior", "options"), [
    ('key = "endpoints.y.dropout"\ndistribution = "beta"\na = 2.0\nb = 8.0', {}),
    (MEAN_PRIOR, {"test": "mannwhitney"}),
])
def test_priors_that_change_the_trials_fall_back_to_simulating_them(prior, options):
    sc = make(prior, **options)
    assert not rescalable(sc, sc.endpoints[0])
