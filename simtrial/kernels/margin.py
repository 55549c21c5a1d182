r"""The Farrington-Manning score test of a difference in proportions against a margin.

H0: :math:`p_t - p_c = \delta` (the margin), one-sided. The statistic is

.. math::

    z = \frac{\hat p_t - \hat p_c - \delta}
             {\sqrt{\tilde p_t (1 - \tilde p_t) / m_t + \tilde p_c (1 - \tilde p_c) / m_c}}

with :math:`\tilde p_t, \tilde p_c = \tilde p_t - \delta` the maximum-likelihood estimates
restricted to H0, from the closed-form solution of the cubic likelihood equation (Farrington
and Manning, Stat Med 1990;9:1447-54, eq. 4; Miettinen and Nurminen, Stat Med 1985;4:213-26,
appendix). The variance has no ``m / (m - 1)`` factor: this is Farrington and Manning's
statistic, not Miettinen and Nurminen's. At :math:`\delta = 0` the restricted estimates are the
pooled proportion and z is the chi-square test's (:func:`simtrial.stattests.chisq`).
"""

import math

from simtrial.kernels._jit import kernel

__all__ = ["fm_pvalues", "fm_restricted", "fm_z"]


@kernel
def fm_restricted(m_t, p_t, m_c, p_c, delta):
    """``(p~_t, p~_c)``: the MLE of the proportions under ``p_t - p_c = delta``.

    ``p_t, p_c`` are the observed proportions of ``m_t, m_c`` patients. With
    ``theta = m_c / m_t``: ``a = 1 + theta``, ``b = -(1 + theta + p_t + theta p_c +
    delta (theta + 2))``, ``c = delta^2 + delta (2 p_t + theta + 1) + p_t + theta p_c``,
    ``d = -p_t delta (1 + delta)``; ``v = b^3 / (3a)^3 - b c / (6 a^2) + d / (2a)``,
    ``u = sign(v) sqrt(b^2 / (3a)^2 - c / (3a))``, ``w = (pi + acos(v / u^3)) / 3`` and
    ``p~_t = 2 u cos(w) - b / (3a)``.
    """
    theta = m_c / m_t
    a = 1.0 + theta
    b = -(1.0 + theta + p_t + theta * p_c + delta * (theta + 2.0))
    c = delta * delta + delta * (2.0 * p_t + theta + 1.0) + p_t + theta * p_c
    d = -p_t * delta * (1.0 + delta)
    v = b * b * b / (27.0 * a * a * a) - b * c / (6.0 * a * a) + d / (2.0 * a)
    u = math.copysign(math.sqrt(max(b * b / (9.0 * a * a) - c / (3.0 * a), 0.0)), v)
    ratio = 0.0 if u == 0.0 else min(max(v / (u * u * u), -1.0), 1.0)
    w = (math.pi + math.acos(ratio)) / 3.0
    restricted_t = min(max(2.0 * u * math.cos(w) - b / (3.0 * a), max(delta, 0.0)),
                       min(1.0 + delta, 1.0))
    return restricted_t, restricted_t - delta


@kernel(inline=True)
def fm_z(m_t, x_t, m_c, x_c, delta):
    """The Farrington-Manning z of one table; nan when its variance is 0 or an arm is empty."""
    if m_t == 0 or m_c == 0:
        return math.nan
    p_t, p_c = x_t / m_t, x_c / m_c
    r_t, r_c = fm_restricted(m_t, p_t, m_c, p_c, delta)
    variance = r_t * (1.0 - r_t) / m_t + r_c * (1.0 - r_c) / m_c
    if not variance > 0.0:
        return math.nan
    return (p_t - p_c - delta) / math.sqrt(variance)


@kernel
def fm_pvalues(counts, delta, sign, out):
    """Fill ``out[r]``: the one-sided p-value ``Phi(-sign z)`` of replicate r (1 if undefined).

    ``counts`` is an int64 array of shape (reps, 4): assessed and events in treatment, then in
    control; ``sign`` the direction of benefit (1: more events is better).
    """
    for r in range(counts.shape[0]):
        z = fm_z(counts[r, 0], counts[r, 1], counts[r, 2], counts[r, 3], delta)
        p = 0.5 * math.erfc(sign * z / math.sqrt(2.0))
        out[r] = 1.0 if math.isnan(p) else p
