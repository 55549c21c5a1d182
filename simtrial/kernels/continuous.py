"""Patient-level simulation of a normally distributed endpoint in two arms."""

from simtrial.kernels._jit import kernel

__all__ = ["normal_moments"]


@kernel
def normal_moments(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, drop_t, drop_c, out):
    """Fill ``out[r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` for each replicate r.

    ``m`` is the number assessed, ``mean`` their sample mean and ``ss`` the sum of squared
    deviations from it (Welford's update, stable for large means). Each randomised patient is
    unassessed with probability ``drop``. ``out`` is a float64 array of shape (reps, 6).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1], out[r, 2] = _arm(rng, n_t, mean_t, sd_t, drop_t)
        out[r, 3], out[r, 4], out[r, 5] = _arm(rng, n_c, mean_c, sd_c, drop_c)


@kernel
def _arm(rng, n, mean, sd, drop):
    m = 0
    avg = 0.0
    ss = 0.0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            y = rng.normal(mean, sd)
            m += 1
            delta = y - avg
            avg += delta / m
            ss += delta * (y - avg)
    return float(m), avg, ss
