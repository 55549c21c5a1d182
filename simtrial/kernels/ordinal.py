"""The proportional-odds likelihood-ratio test of two arms, from their counts per level.

The cumulative-logit (proportional-odds) model of an outcome on J ordered levels with a
treatment indicator x is ``logit P(Y <= j | x) = theta_j - beta x`` (j = 1..J-1), the
parameterisation of R ``MASS::polr``: beta > 0 puts the treatment arm in higher levels, and
``exp(beta)`` is the common odds ratio of a higher level, treatment vs control. The counts per
level in each arm are sufficient, so a fit costs O(J) per iteration, whatever n.

:func:`grid_po_stats` fills ``out[r] = (m_t, m_c, z, beta, var)`` per replicate r: the numbers
assessed, the signed root of the likelihood-ratio statistic ``z = sign(beta) sqrt(LR)``, the
maximum-likelihood log odds ratio beta and its variance (the inverse of beta's observed
information with the cut points profiled out, R ``vcov(polr(...))``; nan where the model
cannot be fitted: an arm with nobody assessed, or fewer than two levels observed).
"""

import math

import numpy as np

from simtrial.kernels._jit import kernel
from simtrial.kernels.ranks import _guide_table, level_counts

__all__ = ["grid_po_stats", "po_lr_from_counts", "po_workspace"]

#: Fisher-scoring iterations at most; a fit stops earlier when no parameter moves by more
#: than :data:`TOLERANCE`.
MAX_ITERATIONS = 200
TOLERANCE = 1e-11


@kernel
def grid_po_stats(rng, n_t, n_c, probs_t, probs_c, drop_t, drop_c, out):
    """Fill ``out`` (float64, shape (reps, 5)) for outcomes on a grid of ordered levels.

    The counts per level are drawn exactly as :func:`simtrial.kernels.ranks.grid_rank_stats`
    draws them (the same random numbers in the same order), so with one seed the
    proportional-odds and the rank test analyse the same simulated trials.
    """
    levels = probs_t.shape[0]
    counts_t = np.empty(levels, np.int64)
    counts_c = np.empty(levels, np.int64)
    cdf_t, guide_t = _guide_table(probs_t)
    cdf_c, guide_c = _guide_table(probs_c)
    work = po_workspace(levels)
    for r in range(out.shape[0]):
        m_t = level_counts(rng, n_t, drop_t, cdf_t, guide_t, counts_t)
        m_c = level_counts(rng, n_c, drop_c, cdf_c, guide_c, counts_c)
        z, beta, variance = po_lr_from_counts(counts_t, counts_c, work)
        out[r, 0], out[r, 1], out[r, 2], out[r, 3], out[r, 4] = m_t, m_c, z, beta, variance


@kernel
def po_workspace(levels):
    """Scratch for :func:`po_lr_from_counts` of up to ``levels`` levels (12 rows)."""
    return np.empty((12, max(levels, 2) + 1))


@kernel
def po_lr_from_counts(counts_t, counts_c, work):
    """``(z, beta, variance)``: the signed root of the LR statistic for beta, its estimate.

    ``variance`` is that of the estimate: the inverse of beta's observed information at the
    fit with the cut points profiled out (:func:`_observed_variance`), as R
    ``vcov(polr(...))``.

    ``LR = 2 (l(theta_hat, beta_hat) - l_0)`` where ``l_0 = sum_j N_j log(N_j / N)`` is the
    maximum of the model without treatment effect (the pooled multinomial). Levels empty in
    both arms are dropped first: the likelihood's supremum is that of the model without them
    (their cut points merge), as ``polr`` finds on the levels observed.

    The fit is Fisher scoring from ``beta = 0`` and the cut points of the pooled cumulative
    proportions (the maximum under H0), with step halving so that the log-likelihood never
    decreases. The expected information has a tridiagonal block for the cut points bordered
    by beta's row, so each step is solved in O(J) (Thomas algorithm and a Schur complement).
    Under complete separation beta grows without bound and the log-likelihood approaches its
    supremum; the fit stops after :data:`MAX_ITERATIONS` with the statistic at that point.
    """
    a, c, theta, new_theta, g, d, e, b, y, z_, f_t, f_c = (
        work[0], work[1], work[2], work[3], work[4], work[5], work[6], work[7], work[8],
        work[9], work[10], work[11])
    levels = 0
    m_t = 0.0
    m_c = 0.0
    for k in range(counts_t.shape[0]):
        if counts_t[k] + counts_c[k] > 0:
            a[levels] = counts_t[k]
            c[levels] = counts_c[k]
            m_t += counts_t[k]
            m_c += counts_c[k]
            levels += 1
    if levels < 2 or m_t == 0.0 or m_c == 0.0:
        return math.nan, math.nan, math.nan
    n = m_t + m_c
    cuts = levels - 1
    null = 0.0
    below = 0.0
    for j in range(levels):
        total = a[j] + c[j]
        null += total * math.log(total / n)
        if j < cuts:
            below += total
            theta[j] = math.log(below / (n - below))
    beta = 0.0
    loglik = null
    for _ in range(MAX_ITERATIONS):
        g_beta, info_beta = _score_information(a, c, m_t, m_c, theta, beta, cuts, g, d, e, b,
                                               f_t, f_c, y, z_)
        _solve_bordered(d, e, b, g, y, z_, cuts)
        schur = info_beta
        for k in range(cuts):
            schur -= b[k] * z_[k]
            g_beta -= b[k] * y[k]
        step_beta = g_beta / schur
        for k in range(cuts):
            y[k] -= z_[k] * step_beta
        size = 1.0
        trial = -math.inf
        for _ in range(60):
            for k in range(cuts):
                new_theta[k] = theta[k] + size * y[k]
            trial = _loglik(a, c, new_theta, beta + size * step_beta, cuts)
            if trial >= loglik:
                break
            size /= 2
        if not trial >= loglik:
            break  # no step increases the log-likelihood: at its maximum to rounding
        moved = abs(size * step_beta)
        for k in range(cuts):
            moved = max(moved, abs(new_theta[k] - theta[k]))
            theta[k] = new_theta[k]
        beta += size * step_beta
        loglik = trial
        if moved < TOLERANCE:
            break
    lr = max(2.0 * (loglik - null), 0.0)
    variance = _observed_variance(a, c, theta, beta, cuts, d, e, b, y, z_, f_t, f_c, g,
                                  new_theta)
    return math.copysign(math.sqrt(lr), beta), beta, variance


@kernel(inline=True)
def _observed_variance(a, c, theta, beta, cuts, d, e, b, y, z, f_t, f_c, h_t, h_c):
    r"""Beta's variance at ``(theta, beta)``: one over its observed information, cuts profiled.

    The negative Hessian of the log-likelihood :math:`\sum_j x_j \log \pi_j` per arm is
    :math:`\sum_j x_j (\nabla\pi_j \nabla\pi_j' / \pi_j^2 - \nabla^2\pi_j / \pi_j)`;
    with :math:`F_k` the cumulative probability at cut k, :math:`f_k = F_k (1 - F_k)` and
    :math:`h_k = f_k (1 - 2 F_k)` (0 beyond the ends), level j of an arm adds to the cut
    points' tridiagonal block (``d``, ``e``) and, in treatment (where
    :math:`\partial F_k / \partial\beta = -f_k`), to their covariance with beta (``b``) and to
    beta's own element. The variance is the inverse of the Schur complement
    :math:`I_{\beta\beta} - b' T^{-1} b`, the (beta, beta) element of the inverse Hessian;
    nan where it is not positive. Scratch (of length ``cuts + 2``): ``y``, ``z``, which hold
    :math:`F` per arm until the solve, and ``f_t``, ``f_c``, ``h_t``, ``h_c``; each has cut k
    in element k + 1, and at the ends 0 (and :math:`F` 1 at the top).
    """
    y[0] = z[0] = f_t[0] = f_c[0] = h_t[0] = h_c[0] = 0.0
    for k in range(cuts):
        big_t, big_c = _expit(theta[k] - beta), _expit(theta[k])
        y[k + 1], z[k + 1] = big_t, big_c
        f_t[k + 1], f_c[k + 1] = big_t * (1.0 - big_t), big_c * (1.0 - big_c)
        h_t[k + 1] = f_t[k + 1] * (1.0 - 2.0 * big_t)
        h_c[k + 1] = f_c[k + 1] * (1.0 - 2.0 * big_c)
        d[k] = 0.0
        e[k] = 0.0
        b[k] = 0.0
    y[cuts + 1] = z[cuts + 1] = 1.0
    f_t[cuts + 1] = f_c[cuts + 1] = h_t[cuts + 1] = h_c[cuts + 1] = 0.0
    info_beta = 0.0
    for j in range(cuts + 1):
        above, below = j < cuts, j > 0  # level j lies above cut j - 1 and below cut j
        p_t, p_c = y[j + 1] - y[j], z[j + 1] - z[j]
        for x, p, f, h, treated in ((a[j], p_t, f_t, h_t, True), (c[j], p_c, f_c, h_c, False)):
            if x == 0.0:
                continue
            f_lo, f_hi, h_lo, h_hi = f[j], f[j + 1], h[j], h[j + 1]
            w, v = x / (p * p), x / p
            slope = f_hi - f_lo
            if above:
                w_hi, v_hi = w * f_hi, v * h_hi
                d[j] += w_hi * f_hi - v_hi
                if treated:
                    b[j] += v_hi - w_hi * slope
            if below:
                w_lo, v_lo = w * f_lo, v * h_lo
                d[j - 1] += w_lo * f_lo + v_lo
                if treated:
                    b[j - 1] += w_lo * slope - v_lo
                if above:
                    e[j - 1] -= w_lo * f_hi
            if treated:
                info_beta += w * slope ** 2 - v * (h_hi - h_lo)
    _solve_bordered(d, e, b, b, y, z, cuts)
    for k in range(cuts):
        info_beta -= b[k] * z[k]
    return 1.0 / info_beta if info_beta > 0.0 else math.nan


@kernel
def _expit(x):
    """The logistic function, without overflow for large ``|x|``."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    t = math.exp(x)
    return t / (1.0 + t)


@kernel(inline=True)
def _loglik(a, c, theta, beta, cuts):
    """Log-likelihood of the counts ``a`` (treatment) and ``c`` (control); -inf if impossible."""
    total = 0.0
    lower_t = 0.0
    lower_c = 0.0
    for j in range(cuts + 1):
        if j < cuts:
            upper_t, upper_c = _expit(theta[j] - beta), _expit(theta[j])
        else:
            upper_t = upper_c = 1.0
        p_t, p_c = upper_t - lower_t, upper_c - lower_c
        x_t, x_c = a[j], c[j]
        if x_t > 0.0:
            if not p_t > 0.0:
                return -math.inf
            total += x_t * math.log(p_t)
        if x_c > 0.0:
            if not p_c > 0.0:
                return -math.inf
            total += x_c * math.log(p_c)
        lower_t, lower_c = upper_t, upper_c
    return total


@kernel(inline=True)
def _score_information(a, c, m_t, m_c, theta, beta, cuts, g, d, e, b, f_t, f_c, cdf_t, cdf_c):
    """Fill the score ``g`` and the expected information (``d``, ``e``, ``b``) of the cuts.

    ``d``: the diagonal of the cut points' block, ``e``: its off-diagonal, ``b``: their
    covariance with beta; returns ``(score of beta, information of beta)``. With ``F_j`` the
    cumulative probability at cut j, ``f_j = F_j (1 - F_j)`` (0 beyond the ends) and
    ``pi_j = F_j - F_{j-1}``, an arm of ``m`` patients adds ``m f_k^2 (1/pi_k + 1/pi_{k+1})``
    to ``d_k``, ``-m f_k f_{k+1} / pi_{k+1}`` to ``e_k``; the treatment arm adds
    ``-m f_k ((f_k - f_{k-1}) / pi_k - (f_{k+1} - f_k) / pi_{k+1})`` to ``b_k`` and
    ``m sum_j (f_j - f_{j-1})^2 / pi_j`` to beta's information. Scratch (of length
    ``cuts + 2``): ``f_t``, ``f_c`` and ``cdf_t``, ``cdf_c`` hold ``f`` and ``F`` of cut k in
    element k + 1, and at the ends 0 (and ``F`` 1 at the top).
    """
    cdf_t[0] = cdf_c[0] = f_t[0] = f_c[0] = 0.0
    for k in range(cuts):
        big_t, big_c = _expit(theta[k] - beta), _expit(theta[k])
        cdf_t[k + 1], cdf_c[k + 1] = big_t, big_c
        f_t[k + 1], f_c[k + 1] = big_t * (1.0 - big_t), big_c * (1.0 - big_c)
        g[k] = 0.0
        d[k] = 0.0
        e[k] = 0.0
        b[k] = 0.0
    cdf_t[cuts + 1] = cdf_c[cuts + 1] = 1.0
    f_t[cuts + 1] = f_c[cuts + 1] = 0.0
    g_beta = 0.0
    info_beta = 0.0
    for j in range(cuts + 1):
        above, below = j < cuts, j > 0  # level j lies above cut j - 1 and below cut j
        p_t, p_c = cdf_t[j + 1] - cdf_t[j], cdf_c[j + 1] - cdf_c[j]
        x_t, x_c = a[j], c[j]
        ft_lo, ft_hi, fc_lo, fc_hi = f_t[j], f_t[j + 1], f_c[j], f_c[j + 1]
        slope = ft_hi - ft_lo
        if above:
            mt_hi, mc_hi = m_t * ft_hi, m_c * fc_hi
            g[j] += ft_hi * x_t / p_t + fc_hi * x_c / p_c
            d[j] += mt_hi * ft_hi / p_t + mc_hi * fc_hi / p_c
            b[j] -= mt_hi * slope / p_t
        if below:
            mt_lo, mc_lo = m_t * ft_lo, m_c * fc_lo
            g[j - 1] -= ft_lo * x_t / p_t + fc_lo * x_c / p_c
            d[j - 1] += mt_lo * ft_lo / p_t + mc_lo * fc_lo / p_c
            b[j - 1] += mt_lo * slope / p_t
            if above:
                e[j - 1] -= mt_lo * ft_hi / p_t + mc_lo * fc_hi / p_c
        g_beta -= x_t * slope / p_t
        info_beta += m_t * slope ** 2 / p_t
    return g_beta, info_beta


@kernel
def _solve_bordered(d, e, b, g, y, z, m):
    """Solve ``T y = g`` and ``T z = b`` for the symmetric tridiagonal ``T`` (``d``, ``e``).

    The Thomas algorithm for both right-hand sides at once; ``d`` is overwritten.
    """
    y[0], z[0] = g[0], b[0]
    for i in range(1, m):
        w = e[i - 1] / d[i - 1]
        d[i] -= w * e[i - 1]
        y[i] = g[i] - w * y[i - 1]
        z[i] = b[i] - w * z[i - 1]
    y[m - 1] /= d[m - 1]
    z[m - 1] /= d[m - 1]
    for i in range(m - 2, -1, -1):
        y[i] = (y[i] - e[i] * y[i + 1]) / d[i]
        z[i] = (z[i] - e[i] * z[i + 1]) / d[i]
