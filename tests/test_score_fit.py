"""simtrial.score_fit (a score's latent normal in plain Python) against scipy's least squares.

The reference is the fit simtrial used before (scipy.optimize.least_squares on the level
probabilities of simtrial.distributions, numpy and scipy.special.ndtr): where it converges,
both give the same (mu, sigma); the plain-Python fit also reaches summaries it missed.
"""

import math

import numpy as np
import pytest
from scipy import optimize

from simtrial.distributions import score_levels, score_probabilities, score_summary
from simtrial.score_fit import MAX_LEVELS, fit_score, score_level_count


def least_squares_fit(low, high, step, mean, sd):
    """(mu, sigma) by scipy's trust-region least squares, or None where it stops short."""
    levels = score_levels(low, high, step)

    def gap(theta):
        probs = score_probabilities(low, high, step, theta[0], math.exp(theta[1]))
        got_mean, got_sd = score_summary(levels, probs)
        return [(got_mean - mean) / sd, (got_sd - sd) / sd]

    fit = optimize.least_squares(gap, [mean, math.log(sd)], xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return (fit.x[0], math.exp(fit.x[1])) if max(abs(v) for v in fit.fun) <= 1e-8 else None


def summary(low, high, step, mu, sigma):
    return score_summary(score_levels(low, high, step),
                         score_probabilities(low, high, step, mu, sigma))


@pytest.mark.parametrize("scale", [(0, 100, 5), (0, 100, 1), (0, 10, 1), (1, 7, 0.5)])
def test_fit_matches_scipy_least_squares(scale):
    low, high, step = scale
    compared = 0
    for at in (0.1, 0.37, 0.5, 0.61, 0.9):
        mean = low + at * (high - low)
        limit = math.sqrt((mean - low) * (high - mean))
        for part in (0.05, 0.1, 0.3, 0.5, 0.8, 0.95):
            reference = least_squares_fit(low, high, step, mean, part * limit)
            if reference is None:
                continue
            got = fit_score(low, high, step, {"mean": mean, "sd": part * limit})
            assert got == pytest.approx(reference, rel=1e-9, abs=1e-9), (mean, part * limit)
            compared += 1
    assert compared >= 20


def test_sf36_general_health_fit():
    # The built-in's SF-36 general health (0 to 100 by 5), placebo arm: mean 50.71, sd 24.47.
    reference = least_squares_fit(0, 100, 5, 50.71, 24.47)
    assert fit_score(0, 100, 5, {"mean": 50.71, "sd": 24.47}) == pytest.approx(reference,
                                                                              rel=1e-12)


def test_fit_follows_a_curved_valley():
    # Almost all mass at the floor: the start (mu = mean, sigma = sd) is far from the answer,
    # reached along a narrow valley (hundreds of damped steps); least_squares reaches it too.
    got = fit_score(0, 4, 1, {"mean": 0.012, "sd": 0.17500811409760408})
    assert got == pytest.approx(least_squares_fit(0, 4, 1, 0.012, 0.17500811409760408),
                                rel=1e-9)


@pytest.mark.parametrize(("scale", "mean", "sd"), [
    ((0, 100, 1), 80.0, 0.04),  # on a level, an SD far below the step
    ((0, 100, 5), 10.0, 29.97),  # mean near the floor, SD near the largest possible
    ((0, 100, 1), 80.0, 39.96),
])
def test_fit_reaches_summaries_least_squares_missed(scale, mean, sd):
    assert least_squares_fit(*scale, mean, sd) is None
    mu, sigma = fit_score(*scale, {"mean": mean, "sd": sd})
    got_mean, got_sd = summary(*scale, mu, sigma)
    assert got_mean == pytest.approx(mean, rel=1e-8)
    assert got_sd == pytest.approx(sd, rel=1e-8)


@pytest.mark.parametrize(("mean", "sd", "message"), [
    (25.3, 0.01, "no discretised normal"),  # two levels around 25.3 give an SD of at least 0.46
    (50.0, 50.0, "impossible"),  # the largest SD with mean 50 on [0, 100] is 50
    (0.0, 1.0, "impossible"),
])
def test_fit_rejects_what_no_discretised_normal_has(mean, sd, message):
    with pytest.raises(ValueError, match=message):
        fit_score(0, 100, 1, {"mean": mean, "sd": sd})


def test_quartile_fit_is_closed_form():
    mu, sigma = fit_score(0, 100, 5, {"median": 50.0, "q1": 35.0, "q3": 65.0})
    assert (mu, sigma) == (50.0, 30.0 / (2 * 0.6744897501960817))  # R: qnorm(0.75)


@pytest.mark.parametrize(("scale", "count"), [((0, 100, 5), 21), ((1, 7, 0.5), 13),
                                              ((0, 1, 0.1), 11)])
def test_level_count_is_the_numpy_grid_length(scale, count):
    assert score_level_count(*scale) == count == len(score_levels(*scale))
    assert np.array_equal(score_levels(*scale), np.linspace(scale[0], scale[1], count))


@pytest.mark.parametrize("scale", [(0, 100, 3), (0, 100, 0), (100, 0, 5), (0, math.inf, 1),
                                   (0, MAX_LEVELS, 1)])
def test_level_count_rejects_a_bad_scale(scale):
    with pytest.raises(ValueError, match="`scale`"):
        score_level_count(*scale)
