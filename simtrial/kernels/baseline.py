"""A follow-up outcome with its baseline: per-arm moments, and the ANCOVA and change-score fits.

Each patient has a baseline value ``x`` and a follow-up value ``y``, jointly normal with
correlation ``rho`` (a score: the levels that a latent bivariate normal with correlation
``rho`` falls into). The baseline has the same distribution in both arms (it is measured
before randomisation takes effect); the follow-up has the arm's. A patient lost to follow-up
(probability ``drop``) is left out of both (complete-case analysis).

Both analyses depend on the data only through, per arm, the number analysed ``m``, the means
of ``y`` and ``x`` and the centred sums of squares and cross-products ``Syy, Sxx, Sxy``: the
12 columns (``m, mean_y, mean_x, Syy, Sxx, Sxy`` in treatment, then in control) that the
simulators fill and :func:`baseline_fit` reads.
"""

import math

from simtrial.kernels._jit import kernel
from simtrial.kernels.levels import level_of
from simtrial.kernels.tdist import t_cdf_value

__all__ = ["BASELINE_COLUMNS", "baseline_fit", "baseline_pvalues", "baseline_row",
           "grid_baseline_moments", "normal_baseline_moments"]

BASELINE_COLUMNS = 12


@kernel
def normal_baseline_moments(rng, n_t, n_c, mean_t, sd_t, mean_c, sd_c, mean_x, sd_x, rho,
                            drop_t, drop_c, out):
    """Fill ``out[r]`` (float64, shape (reps, 12)) patient by patient.

    ``x = mean_x + sd_x z1`` and ``y = mean + sd (rho z1 + sqrt(1 - rho^2) z2)`` with z1, z2
    independent standard normals; a uniform decides dropout first (none drawn when ``drop`` is
    0), and the normals are drawn for analysed patients only.
    """
    for r in range(out.shape[0]):
        _normal_arm(rng, n_t, mean_t, sd_t, mean_x, sd_x, rho, drop_t, out, r, 0)
        _normal_arm(rng, n_c, mean_c, sd_c, mean_x, sd_x, rho, drop_c, out, r, 6)


@kernel
def _normal_arm(rng, n, mean, sd, mean_x, sd_x, rho, drop, out, r, col):
    # Deviations from the true means (the shifted-data sums of kernels.continuous._arm).
    rest = math.sqrt(1.0 - rho * rho)
    m = 0
    sx = sy = sxx = syy = sxy = 0.0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            z1 = rng.standard_normal()
            z2 = rng.standard_normal()
            dx = sd_x * z1
            dy = sd * (rho * z1 + rest * z2)
            m += 1
            sx += dx
            sy += dy
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
    _store(out[r], col, m, mean, mean_x, sx, sy, sxx, syy, sxy)


@kernel
def grid_baseline_moments(rng, n_t, n_c, levels, cuts_t, cuts_c, cuts_x, rho, drop_t, drop_c,
                          out):
    """Fill ``out[r]`` (float64, shape (reps, 12)) for a score and its baseline score.

    ``levels`` are the grid's values, lowest first; a value is the level whose latent cut
    points (``cuts_t``, ``cuts_c`` for the follow-up per arm, ``cuts_x`` for the baseline;
    increasing, one fewer than the levels) bracket its latent normal. The latents are drawn as
    z1 (baseline) and ``rho z1 + sqrt(1 - rho^2) z2`` (follow-up).
    """
    centre = 0.5 * (levels[0] + levels[levels.shape[0] - 1])
    for r in range(out.shape[0]):
        _grid_arm(rng, n_t, levels, cuts_t, cuts_x, rho, drop_t, centre, out, r, 0)
        _grid_arm(rng, n_c, levels, cuts_c, cuts_x, rho, drop_c, centre, out, r, 6)


@kernel
def _grid_arm(rng, n, levels, cuts, cuts_x, rho, drop, centre, out, r, col):
    rest = math.sqrt(1.0 - rho * rho)
    m = 0
    sx = sy = sxx = syy = sxy = 0.0
    for _ in range(n):
        if drop == 0.0 or rng.random() >= drop:
            z1 = rng.standard_normal()
            z2 = rng.standard_normal()
            dx = levels[level_of(cuts_x, z1)] - centre
            dy = levels[level_of(cuts, rho * z1 + rest * z2)] - centre
            m += 1
            sx += dx
            sy += dy
            sxx += dx * dx
            syy += dy * dy
            sxy += dx * dy
    _store(out[r], col, m, centre, centre, sx, sy, sxx, syy, sxy)


@kernel
def baseline_row(z, noise, visit, n_t, params, drops, baseline, cuts, n_cut, levels, on_levels,
                 row):
    """Fill ``row[:12]`` for a follow-up latent ``z`` of a correlated group (patient i of n).

    The baseline latent is ``rho z + sqrt(1 - rho^2) noise``; patient i is analysed when
    ``visit[i] >= drops[arm]``. Values (``on_levels`` False): ``y = mean + sd z`` with
    ``params[arm] = (mean, sd)`` and ``x = mean_x + sd_x x_latent`` with ``baseline = (mean_x,
    sd_x, rho)``; levels: the level values ``levels`` of the latents among ``cuts[arm]``
    (follow-up) and ``cuts[2]`` (baseline), the first ``n_cut`` of each.
    """
    rho = baseline[2]
    rest = math.sqrt(1.0 - rho * rho)
    centre = 0.5 * (levels[0] + levels[n_cut]) if on_levels else 0.0
    for arm, start, stop in ((0, 0, n_t), (1, n_t, z.shape[0])):
        m = 0
        sx = sy = sxx = syy = sxy = 0.0
        for i in range(start, stop):
            if visit[i] >= drops[arm]:
                latent_x = rho * z[i] + rest * noise[i]
                if on_levels:
                    dy = levels[level_of(cuts[arm, :n_cut], z[i])] - centre
                    dx = levels[level_of(cuts[2, :n_cut], latent_x)] - centre
                else:
                    dy = params[arm, 1] * z[i]
                    dx = baseline[1] * latent_x
                m += 1
                sx += dx
                sy += dy
                sxx += dx * dx
                syy += dy * dy
                sxy += dx * dy
        origin_y = centre if on_levels else params[arm, 0]
        origin_x = centre if on_levels else baseline[0]
        _store(row, 6 * arm, m, origin_y, origin_x, sx, sy, sxx, syy, sxy)


@kernel(inline=True)
def _store(row, col, m, origin_y, origin_x, sx, sy, sxx, syy, sxy):
    """Means and centred sums from sums of deviations from the origins (0 when m is 0)."""
    row[col] = m
    if m == 0:
        for k in range(1, 6):
            row[col + k] = 0.0
        return
    row[col + 1] = origin_y + sy / m
    row[col + 2] = origin_x + sx / m
    row[col + 3] = max(0.0, syy - sy * sy / m)
    row[col + 4] = max(0.0, sxx - sx * sx / m)
    row[col + 5] = sxy - sx * sy / m


@kernel(inline=True)
def _fit_row(stats, r, change):
    """(estimate, standard error, df) of the treatment effect in row ``r``; se nan if undefined.

    ANCOVA (``change`` False): ``y ~ arm + x`` by least squares with a common slope
    ``b = Sxy / Sxx`` (sums pooled over the arms); the estimate is
    ``(mean_y_t - mean_y_c) - b (mean_x_t - mean_x_c)``, its variance
    ``s^2 (1/m_t + 1/m_c + (mean_x_t - mean_x_c)^2 / Sxx)`` with ``s^2 = (Syy - b Sxy) / df``
    on ``df = m_t + m_c - 3``. Change score: the pooled t test of ``y - x`` on
    ``m_t + m_c - 2`` df, whose per-arm sum of squares is ``Syy + Sxx - 2 Sxy``.
    """
    m_t, my_t, mx_t = stats[r, 0], stats[r, 1], stats[r, 2]
    m_c, my_c, mx_c = stats[r, 6], stats[r, 7], stats[r, 8]
    inverse_n = 1.0 / m_t + 1.0 / m_c
    if change:
        df = m_t + m_c - 2.0
        ss = (stats[r, 3] + stats[r, 4] - 2.0 * stats[r, 5]
              + stats[r, 9] + stats[r, 10] - 2.0 * stats[r, 11])
        estimate = (my_t - mx_t) - (my_c - mx_c)
        variance = max(ss, 0.0) / df * inverse_n
    else:
        df = m_t + m_c - 3.0
        syy = stats[r, 3] + stats[r, 9]
        sxx = stats[r, 4] + stats[r, 10]
        sxy = stats[r, 5] + stats[r, 11]
        slope = sxy / sxx
        gap = mx_t - mx_c
        estimate = (my_t - my_c) - slope * gap
        variance = max(syy - slope * sxy, 0.0) / df * (inverse_n + gap * gap / sxx)
    if not (df >= 1.0 and m_t >= 1.0 and m_c >= 1.0 and variance > 0.0):
        return estimate, math.nan, max(df, 1.0)
    return estimate, math.sqrt(variance), df


@kernel
def baseline_fit(stats, change, out):
    """Fill ``out[r] = (estimate, se, df)`` of replicate r (float64, shape (reps, 3))."""
    for r in range(stats.shape[0]):
        out[r, 0], out[r, 1], out[r, 2] = _fit_row(stats, r, change)


@kernel
def baseline_pvalues(stats, change, two_sided, sign, shift, out):
    """Fill ``out[r]`` with replicate r's p-value of ``t = (estimate - shift) / se``.

    Two-sided, or one-sided in the direction ``sign`` (1: higher is better); ``shift`` is the
    margin on the difference scale (0: the usual test). An undefined statistic gives 1.
    """
    for r in range(stats.shape[0]):
        estimate, se, df = _fit_row(stats, r, change)
        t = (estimate - shift) / se
        if two_sided:
            p = min(2.0 * t_cdf_value(-abs(t), df), 1.0)
        else:
            p = t_cdf_value(-sign * t, df)
        out[r] = 1.0 if math.isnan(p) else p
