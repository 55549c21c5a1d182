"""Simulation of a binary endpoint in two arms: per-arm counts, or patient by patient.

The chi-square and Fisher tests depend on the data only through the counts per arm, and the
counts have an exact distribution: the number assessed is Binomial(n, 1 - dropout) and, given
it, the number of events is Binomial(assessed, p). :func:`binomial_counts` draws these two
numbers per arm; :func:`bernoulli_counts`, its patient-level twin, draws every randomised
patient's dropout and outcome. Both fill the same statistics with the same distribution (the
tests check this); the patient-level kernel is the one to extend when outcomes depend on more
than the arm (correlated endpoints, covariates).
"""

from simtrial.kernels._jit import kernel

__all__ = ["bernoulli_counts", "binomial_counts"]


@kernel
def binomial_counts(rng, n_t, n_c, p_t, p_c, drop_t, drop_c, out):
    """Fill ``out[r] = (assessed_t, events_t, assessed_c, events_c)`` from binomial draws.

    Per arm, assessed ~ Binomial(n, 1 - drop) (not drawn when ``drop`` is 0) and events ~
    Binomial(assessed, p): four draws per replicate whatever n. ``out`` is an int64 array of
    shape (reps, 4).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1] = _binomial_arm(rng, n_t, p_t, drop_t)
        out[r, 2], out[r, 3] = _binomial_arm(rng, n_c, p_c, drop_c)


@kernel
def bernoulli_counts(rng, n_t, n_c, p_t, p_c, drop_t, drop_c, out):
    """Fill ``out[r] = (assessed_t, events_t, assessed_c, events_c)`` patient by patient.

    Each randomised patient is unassessed with probability ``drop`` (no uniform is drawn when
    ``drop`` is 0); an assessed patient has the event with probability ``p``. ``out`` is an
    int64 array of shape (reps, 4).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1] = _arm(rng, n_t, p_t, drop_t)
        out[r, 2], out[r, 3] = _arm(rng, n_c, p_c, drop_c)


@kernel(inline=True)
def _binomial_arm(rng, n, p, drop):
    assessed = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    return assessed, rng.binomial(assessed, p)


@kernel
def _arm(rng, n, p, drop):
    assessed = 0
    events = 0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            assessed += 1
            events += rng.random() < p  # branch-free: the outcome is unpredictable
    return assessed, events
