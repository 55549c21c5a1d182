"""Properties of simulated power: determinism, endpoint independence, monotonicity."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_power_montecarlo import binary, normal

from simtrial.scenario import load_scenario
from simtrial.simulate import power

seeds = st.integers(0, 2**63)


@settings(max_examples=15, deadline=None)
@given(seeds, st.integers(1, 3500))
def test_result_does_not_depend_on_threads(seed, reps):
    sc = load_scenario("msc-covid19")
    one = power(sc, 150, reps=reps, seed=seed, jobs=1)
    two = power(sc, 150, reps=reps, seed=seed, jobs=2)
    assert one.to_dict() == two.to_dict()
    for a, b in zip(one.endpoints, two.endpoints, strict=True):
        np.testing.assert_array_equal(a.pvalues, b.pvalues)


@settings(max_examples=10, deadline=None)
@given(seeds, st.sampled_from(["walk_lln", "sf36_gh", "walk_m", "ct_normal", "nab_titre",
                               "msc_ae"]))
def test_endpoint_result_does_not_depend_on_other_endpoints(seed, endpoint_id):
    sc = load_scenario("msc-covid19")
    alone = power(sc, 120, reps=1500, seed=seed, endpoints=[endpoint_id]).endpoint(endpoint_id)
    together = power(sc, 120, reps=1500, seed=seed).endpoint(endpoint_id)
    np.testing.assert_array_equal(alone.pvalues, together.pvalues)
    assert alone.to_dict() == together.to_dict()


@settings(max_examples=15, deadline=None)
@given(seeds, st.floats(0.0, 0.5), st.floats(0.01, 0.5))
def test_one_sided_power_rises_with_effect_on_common_random_numbers(seed, delta, step):
    # Normal draws are mean + sd * z from the same stream whatever the mean, so with one seed
    # a larger effect shifts every treatment sample up: one-sided rejections can only grow.
    low = power(normal(delta, alternative="one-sided"), 80, reps=2000, seed=seed)
    high = power(normal(delta + step, alternative="one-sided"), 80, reps=2000, seed=seed)
    assert high.endpoints[0].rejections >= low.endpoints[0].rejections


@settings(max_examples=15, deadline=None)
@given(seeds, st.integers(20, 300), st.integers(10, 300), st.booleans())
def test_power_rises_with_n(seed, n, extra, is_binary):
    # Different n use different random numbers, so this holds up to Monte Carlo error: the
    # larger trial may not be more than 5 combined MCSE below the smaller one.
    sc = binary(0.2, 0.35) if is_binary else normal(0.3)
    small = power(sc, n, reps=3000, seed=seed).endpoints[0]
    large = power(sc, n + extra, reps=3000, seed=seed).endpoints[0]
    assert large.power >= small.power - 5 * math.hypot(small.mcse, large.mcse)
