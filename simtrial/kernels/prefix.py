"""Nested-sample kernels: the statistics of every prefix size of one simulated trial.

Checkpoint k of replicate r holds the sufficient statistics of the first ``sizes_t[k]``
treatment and ``sizes_c[k]`` control patients of the same simulated trial, so the trials at
different sizes are nested samples of the same patients (common random numbers): the simulated
power is a smooth function of n, and one pass gives the power at every candidate n of a
sample-size search.

The statistics of the patients between two checkpoints are drawn from their exact distribution
by the plain kernels' per-arm functions (:func:`simtrial.kernels.binary.binomial_counts`,
:func:`simtrial.kernels.continuous.normal_chi2_moments`) and added to the running ones, so a
replicate costs a few draws per checkpoint whatever n, and every checkpoint has exactly the
distribution the plain kernel gives at that size.
"""

from simtrial.kernels import binary, continuous
from simtrial.kernels._jit import kernel

__all__ = ["binomial_prefix_counts", "normal_prefix_moments"]


@kernel
def binomial_prefix_counts(rng, sizes_t, sizes_c, p_t, p_c, drop_t, drop_c, out):
    """Fill ``out[k, r] = (assessed_t, events_t, assessed_c, events_c)`` at every checkpoint.

    ``sizes_t`` and ``sizes_c`` are non-decreasing int64 arrays of length K. Between two
    checkpoints, assessed ~ Binomial(added, 1 - drop) and events ~ Binomial(assessed, p).
    ``out`` is an int64 array of shape (K, reps, 4).
    """
    for r in range(out.shape[1]):
        _counts(rng, sizes_t, p_t, drop_t, out[:, r, 0:2])
        _counts(rng, sizes_c, p_c, drop_c, out[:, r, 2:4])


@kernel
def normal_prefix_moments(rng, sizes_t, sizes_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c,
                          out):
    """Fill ``out[k, r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` at every checkpoint.

    As :func:`binomial_prefix_counts`, with the moments of
    :func:`simtrial.kernels.continuous.normal_chi2_moments`: the moments of the patients added
    between two checkpoints are merged into the running ones with the pairwise update of
    Chan, Golub and LeVeque (1979). ``out`` is a float64 array of shape (K, reps, 6).
    """
    for r in range(out.shape[1]):
        _moments(rng, sizes_t, mean_t, sd_t, drop_t, out[:, r, 0:3])
        _moments(rng, sizes_c, mean_c, sd_c, drop_c, out[:, r, 3:6])


@kernel
def _counts(rng, sizes, p, drop, out):
    assessed = 0
    events = 0
    done = 0
    for k in range(sizes.shape[0]):
        m, x = binary._binomial_arm(rng, sizes[k] - done, p, drop)
        done = sizes[k]
        assessed += m
        events += x
        out[k, 0] = assessed
        out[k, 1] = events


@kernel
def _moments(rng, sizes, mean, sd, drop, out):
    m = 0.0
    avg = 0.0
    ss = 0.0
    done = 0
    for k in range(sizes.shape[0]):
        m_new, avg_new, ss_new = continuous._chi2_arm(rng, sizes[k] - done, mean, sd, drop)
        done = sizes[k]
        if m_new > 0:
            total = m + m_new
            delta = avg_new - avg
            avg += delta * m_new / total
            ss += ss_new + delta * delta * m * m_new / total
            m = total
        out[k, 0] = m
        out[k, 1] = avg
        out[k, 2] = ss
