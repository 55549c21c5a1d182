"""Patient-level simulation of a binary endpoint in two arms."""

from simtrial.kernels._jit import kernel

__all__ = ["bernoulli_counts"]


@kernel
def bernoulli_counts(rng, n_t, n_c, p_t, p_c, drop_t, drop_c, out):
    """Fill ``out[r] = (assessed_t, events_t, assessed_c, events_c)`` for each replicate r.

    Each randomised patient is unassessed with probability ``drop`` (no uniform is drawn when
    ``drop`` is 0); an assessed patient has the event with probability ``p``. ``out`` is an
    int64 array of shape (reps, 4).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1] = _arm(rng, n_t, p_t, drop_t)
        out[r, 2], out[r, 3] = _arm(rng, n_c, p_c, drop_c)


@kernel
def _arm(rng, n, p, drop):
    assessed = 0
    events = 0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            assessed += 1
            if rng.random() < p:
                events += 1
    return assessed, events
