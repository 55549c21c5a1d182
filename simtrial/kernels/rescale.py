"""The same simulated trials at many parameter values: standardized moments, rescaled per draw.

:func:`simtrial.kernels.continuous.normal_chi2_moments` draws, per arm, the number assessed m,
then the mean as ``mean + (sd / sqrt(m)) z`` (numba's ``rng.normal``: the scale times a
standard normal z, plus the location) and the sum of squared deviations as
``sd * sd * chi2`` with ``chi2 ~ chi-square(m - 1)``. :func:`standard_chi2_moments` draws the
same random numbers from the same generator, ``(m, z, chi2)`` per arm, before any mean or sd
enters; :func:`rescale_moments` applies a (mean, sd) per arm with the same floating-point
operations, so it reproduces ``normal_chi2_moments`` bit for bit (tests/test_assurance.py).
An assurance run (:mod:`simtrial.rescaled`) thus simulates its trials once and decides them
at every prior draw with :func:`moments_outcomes`, without drawing again; the dropout must be
the same at every draw, since it decides m.

The decision of a t test at draw u and trial r is ``p <= alpha`` (as
:class:`simtrial.design.fixed.FixedDesign` rejects), and success is a rejection with the
one-sided p-value below 1/2 (the signed z of :func:`simtrial.simulate.simulate_looks` is
positive). The p-value is monotone in the statistic at a trial's degrees of freedom, so the
rejection is ``statistic >= critical[r]`` with the critical value of the trial's df
(:func:`critical_values`: scipy's quantile, kept only where the exact p-value of
:func:`simtrial.kernels.ttest.t_pvalue` is checked to cross alpha within :data:`GUARD` of it,
relative). Within the guard band, where the statistic is undefined or close to 0, or where the
trial has no critical value, the p-value itself is computed: the decisions are those of
``simtrial power`` on the same moments, at a few floating-point operations per trial.
When every draw has the same sds (a prior on the means), each trial's se and df are computed
once and a draw's t is a shifted difference of means over the se (:func:`moments_outcomes`):
the same operations, so the same bits, at one division per draw and trial.
"""

import math

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.ttest import t_pvalue, t_scale, t_statistic

__all__ = ["GUARD", "bracket_critical", "critical_values", "moments_outcomes",
           "rescale_moments", "standard_chi2_moments", "trial_df"]

#: Relative half-width of the band around a critical value inside which the p-value is computed.
GUARD = 1e-6
#: Statistics closer to 0 than this get their one-sided p-value computed (its sign decides).
SMALL_T = 1e-6


@kernel
def standard_chi2_moments(rng, n_t, n_c, drop_t, drop_c, out):
    """Fill ``out[r] = (m_t, z_t, chi2_t, m_c, z_c, chi2_c)``: the draws of normal_chi2_moments.

    Per arm m ~ Binomial(n, 1 - drop) (not drawn when ``drop`` is 0), then, if m > 0, a
    standard normal z and, if m > 1, a chi-square on m - 1 degrees of freedom (else 0), in
    the order :func:`simtrial.kernels.continuous.normal_chi2_moments` draws them. ``out`` is a
    float64 array of shape (reps, 6).
    """
    for r in range(out.shape[0]):
        out[r, 0], out[r, 1], out[r, 2] = _standard_arm(rng, n_t, drop_t)
        out[r, 3], out[r, 4], out[r, 5] = _standard_arm(rng, n_c, drop_c)


@kernel
def _standard_arm(rng, n, drop):
    m = n if drop == 0.0 else rng.binomial(n, 1.0 - drop)
    if m == 0:
        return 0.0, 0.0, 0.0
    z = rng.standard_normal()
    chi2 = rng.chisquare(m - 1) if m > 1 else 0.0
    return float(m), z, chi2


@kernel(inline=True)
def _rescaled(m, z, chi2, mean, sd):
    """(mean, ss) of an arm: numba's ``rng.normal(mean, sd / sqrt(m))`` is mean + scale * z."""
    if m == 0.0:
        return 0.0, 0.0
    return mean + _offset(m, z, sd), sd * sd * chi2


@kernel(inline=True)
def _offset(m, z, sd):
    """The arm's mean minus its true mean: ``(sd / sqrt(m)) z``, as ``rng.normal`` computes it."""
    return sd / math.sqrt(m) * z


@kernel
def rescale_moments(standard, mean_t, sd_t, mean_c, sd_c, out):
    """Fill ``out[r] = (m_t, mean_t, ss_t, m_c, mean_c, ss_c)`` from standardized ``standard[r]``.

    Equal, bit for bit, to what ``normal_chi2_moments`` fills with the generator that
    :func:`standard_chi2_moments` filled ``standard`` with (the same n and dropout).
    """
    for r in range(standard.shape[0]):
        out[r, 0], out[r, 3] = standard[r, 0], standard[r, 3]
        out[r, 1], out[r, 2] = _rescaled(standard[r, 0], standard[r, 1], standard[r, 2],
                                         mean_t, sd_t)
        out[r, 4], out[r, 5] = _rescaled(standard[r, 3], standard[r, 4], standard[r, 5],
                                         mean_c, sd_c)


@kernel
def trial_df(moments, welch, out):
    """Fill ``out[r]`` with the degrees of freedom of replicate r's t test (its moments)."""
    for r in range(moments.shape[0]):
        out[r] = t_statistic(moments[r, 0], moments[r, 1], moments[r, 2], moments[r, 3],
                             moments[r, 4], moments[r, 5], welch)[1]


@kernel
def bracket_critical(critical, df, two_sided, alpha):
    """Keep ``critical[r]`` only where the p-value crosses alpha within :data:`GUARD` of it.

    The p-value as a function of the statistic s (|t| two-sided, sign * t one-sided) is
    ``t_pvalue(s, df, two_sided, 1)``; a critical value c is kept when it is above alpha at
    ``c - GUARD |c|`` and at most alpha at ``c + GUARD |c|``, else set to nan.
    """
    for r in range(critical.shape[0]):
        c = critical[r]
        width = GUARD * abs(c)
        if not (t_pvalue(c - width, df[r], two_sided, 1) > alpha
                and t_pvalue(c + width, df[r], two_sided, 1) <= alpha):
            critical[r] = math.nan


def critical_values(df, two_sided: bool, alpha: float):
    """Per trial, the statistic at which the t test's p-value reaches alpha (nan: unchecked).

    scipy's t quantile at the trial's ``df`` (alpha/2 two-sided), checked by
    :func:`bracket_critical` against the p-value the tests compute.
    """
    from scipy import special

    critical = -special.stdtrit(df, alpha / 2 if two_sided else alpha)
    bracket_critical(critical, df, two_sided, alpha)
    return critical


@kernel
def moments_outcomes(standard, params, critical, welch, two_sided, sign, alpha, success,
                     reject):
    """Decide every trial at every parameter row: ``reject[u, r]``, ``success[u, r]``.

    Parameters
    ----------
    standard : float64 array of shape (reps, 6)
        The trials' standardized moments (:func:`standard_chi2_moments`).
    params : float64 array of shape (draws, 4)
        ``(mean_t, sd_t, mean_c, sd_c)`` per draw.
    critical : float64 array of length reps
        Per trial, the critical value of the statistic (:func:`critical_values`) or nan;
        valid for every row (the pooled test's df do not depend on the parameters, Welch's
        only on the sds).
    welch, two_sided, sign, alpha
        The test, its alternative, the direction of benefit (1 or -1) and the level.
    success, reject : bool arrays of shape (draws, reps)
        Filled: rejection at ``p <= alpha``, and rejection in the direction of benefit.
    """
    reps = standard.shape[0]
    shifts = _mean_free_parts(standard, params, critical, welch)
    t_row = np.empty(reps)
    doubtful = np.empty(reps, np.bool_)
    for u in range(params.shape[0]):
        mean_t, sd_t, mean_c, sd_c = params[u, 0], params[u, 1], params[u, 2], params[u, 3]
        # Three passes over the trials: t where only the means move (nan elsewhere), the
        # decisions from the critical values (both loops vectorised: no branch), then the
        # few doubtful cells from their p-values.
        for r in range(reps):
            t_row[r] = ((mean_t + shifts[0, r]) - (mean_c + shifts[1, r])) / shifts[2, r]
        for r in range(reps):
            t = t_row[r]
            statistic = abs(t) if two_sided else sign * t
            c = critical[r]
            sure = (abs(statistic - c) > GUARD * abs(c)) & (abs(t) > SMALL_T)  # False if nan
            rejected = statistic >= c
            reject[u, r] = rejected
            success[u, r] = rejected & (sign * t > 0)
            doubtful[r] = not sure
        for r in range(reps):
            if doubtful[r]:
                _decide_exactly(standard[r], shifts[:, r], t_row[r], mean_t, sd_t, mean_c, sd_c,
                                welch, two_sided, sign, alpha, success[u], reject[u], r)


@kernel(inline=True)
def _decide_exactly(trial, shift, t, mean_t, sd_t, mean_c, sd_c, welch, two_sided, sign, alpha,
                    success, reject, r):
    """Decide trial r at one draw from its p-values (``t`` reused unless its se is nan)."""
    df = shift[3]
    if not shift[2] == shift[2]:  # the sds move with the draws: rescale the moments
        avg_t, ss_t = _rescaled(trial[0], trial[1], trial[2], mean_t, sd_t)
        avg_c, ss_c = _rescaled(trial[3], trial[4], trial[5], mean_c, sd_c)
        t, df = t_statistic(trial[0], avg_t, ss_t, trial[3], avg_c, ss_c, welch)
    p = t_pvalue(t, df, two_sided, sign)
    rejected = p <= alpha
    favours = (t_pvalue(t, df, False, sign) if two_sided else p) < 0.5
    reject[r] = rejected
    success[r] = rejected and favours


@kernel(inline=True)
def _mean_free_parts(standard, params, critical, welch):
    """Per trial ``(offset_t, offset_c, se, df)`` (columns) if every draw has the same sds.

    The t statistic at a draw is then ``((mean_t + offset_t) - (mean_c + offset_c)) / se``,
    the same operations as rescaling the moments and calling ``t_statistic``: a division per
    draw and trial instead of four and a square root. Trials with an empty arm, an undefined
    se or no critical value keep a nan se (:func:`moments_outcomes` rescales them per draw),
    and so do all when the sds differ between draws.
    """
    reps = standard.shape[0]
    shifts = np.full((4, reps), np.nan)
    sd_t, sd_c = params[0, 1], params[0, 3]
    for u in range(1, params.shape[0]):
        if params[u, 1] != sd_t or params[u, 3] != sd_c:
            return shifts
    for r in range(reps):
        m_t, m_c = standard[r, 0], standard[r, 3]
        if m_t == 0.0 or m_c == 0.0 or math.isnan(critical[r]):
            continue
        ss_t = sd_t * sd_t * standard[r, 2]
        ss_c = sd_c * sd_c * standard[r, 5]
        shifts[0, r] = _offset(m_t, standard[r, 1], sd_t)
        shifts[1, r] = _offset(m_c, standard[r, 4], sd_c)
        shifts[2, r], shifts[3, r] = t_scale(m_t, ss_t, m_c, ss_c, welch)
    return shifts
