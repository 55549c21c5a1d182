"""Simulation of a normally distributed endpoint in two arms: moments, or patient by patient.

The t and Welch tests depend on the data only through the number assessed ``m``, the sample
mean and the sum of squared deviations ``ss`` per arm. For normal data these have an exact
joint distribution: the mean is N(mu, sd^2 / m), ``ss`` is sd^2 times a chi-square with m - 1
degrees of freedom, and the two are independent (Cochran's theorem; e.g. Casella and Berger,
Statistical Inference, 2nd ed., Theorem 5.3.1). :func:`normal_chi2_moments` draws them, three
numbers per arm whatever n; :func:`normal_moments`, its patient-level twin, draws every
randomised patient. Both fill the same statistics with the same distribution (the tests check
this); the patient-level kernel is the one to extend when outcomes are not normal or depend on
more than the arm.
"""

import math

from simtrial.kernels._jit import kernel

__all__ = ["normal_chi2_moments", "normal_moments"]


@kernel
def normal_chi2_moments(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c, out):
    """Fill ``out[r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` from their exact distribution.

    Per arm, m ~ Binomial(n, 1 - drop) (not drawn when ``drop`` is 0), the mean ~ N(mean,
    sd^2 / m) and ss ~ sd^2 chi2(m - 1); an arm with nobody assessed has mean and ss 0 and one
    with a single patient has ss 0, as in :func:`normal_moments`. ``out`` is a float64 array of
    shape (reps, 6).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1], out[r, 2] = _chi2_arm(rng, n_t, mean_t, sd_t, drop_t)
        out[r, 3], out[r, 4], out[r, 5] = _chi2_arm(rng, n_c, mean_c, sd_c, drop_c)


@kernel
def normal_moments(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c, out):
    """Fill ``out[r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` patient by patient.

    ``m`` is the number assessed, ``mean`` their sample mean and ``ss`` the sum of squared
    deviations from it. Each randomised patient is unassessed with probability ``drop``.
    ``out`` is a float64 array of shape (reps, 6).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1], out[r, 2] = _arm(rng, n_t, mean_t, sd_t, drop_t)
        out[r, 3], out[r, 4], out[r, 5] = _arm(rng, n_c, mean_c, sd_c, drop_c)


@kernel(inline=True)
def _chi2_arm(rng, n, mean, sd, drop):
    m = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    if m == 0:
        return 0.0, 0.0, 0.0
    avg = rng.normal(mean, sd / math.sqrt(m))
    ss = sd * sd * rng.chisquare(m - 1) if m > 1 else 0.0
    return float(m), avg, ss


@kernel
def _arm(rng, n, mean, sd, drop):
    # Sums of the deviations d = y - mean from the true mean (the "shifted data" algorithm,
    # Chan, Golub and LeVeque, Am. Stat. 1983): no division per patient, unlike Welford's
    # update, and no cancellation, since the d are centred (relative error ~ eps (1 + z^2)
    # with z the standardised sample mean). y = mean + sd * z is rng.normal(mean, sd)'s draw.
    m = 0
    s1 = 0.0
    s2 = 0.0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            d = sd * rng.standard_normal()
            m += 1
            s1 += d
            s2 += d * d
    if m == 0:
        return 0.0, 0.0, 0.0
    return float(m), mean + s1 / m, max(0.0, s2 - s1 * s1 / m)
