"""Kernels against closed-form distributions, fast twins against patient-level twins.

The fast kernels draw sufficient statistics from their exact distributions (binomial counts;
normal mean and chi-square sum of squares); their patient-level twins draw every patient. Both
are checked against the closed forms with goodness-of-fit tests at a fixed seed (a correct
kernel fails a check at level 1e-4 with probability 1e-4), and against each other on power
within 4 Monte Carlo SE of the difference.
"""

import json
import math
import os
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial.kernels.binary import bernoulli_counts, binomial_counts
from simtrial.kernels.continuous import normal_chi2_moments, normal_moments
from simtrial.simulate import power
from simtrial.stattests import chisq, ttest, welch

REPS = 20_000
LEVEL = 1e-4


def fill(kernel, columns, dtype, *args, reps=REPS, seed=20261125):
    out = np.empty((reps, columns), dtype)
    kernel(np.random.default_rng(seed), *args, out)
    return out


def gof_pvalue(observed_keys, probabilities):
    """Chi-square goodness of fit of observed outcomes to {key: probability}, small cells pooled."""
    keys = [k for k, v in probabilities.items() if v > 0]
    expected = np.array([probabilities[k] for k in keys]) * len(observed_keys)
    counts = dict.fromkeys(keys, 0)
    for key in map(tuple, observed_keys):
        counts[key] += 1  # a KeyError here is an impossible outcome
    observed = np.array([counts[k] for k in keys], float)
    small = expected < 5
    if small.any():
        observed = np.append(observed[~small], observed[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    return stats.chisquare(observed, expected).pvalue


@pytest.mark.parametrize("kernel", [binomial_counts, bernoulli_counts])
def test_binary_counts_follow_the_binomial_model(kernel):
    # Closed form: assessed ~ Binomial(n, 1 - drop), events | assessed ~ Binomial(assessed, p).
    n_t, n_c, p_t, p_c, drop_t, drop_c = 12, 7, 0.3, 0.55, 0.2, 0.0
    out = fill(kernel, 4, np.int64, n_t, n_c, p_t, p_c, drop_t, drop_c)
    for (n, p, drop), cols in (((n_t, p_t, drop_t), [0, 1]), ((n_c, p_c, drop_c), [2, 3])):
        pmf = {(m, x): stats.binom.pmf(m, n, 1 - drop) * stats.binom.pmf(x, m, p)
               for m in range(n + 1) for x in range(m + 1)}
        assert gof_pvalue(out[:, cols], pmf) > LEVEL


@pytest.mark.parametrize("kernel", [normal_chi2_moments, normal_moments])
@pytest.mark.parametrize(("mu", "sd"), [(50.0, 25.0), (1e9, 0.5)])  # a large mean: no cancellation
def test_normal_moments_follow_their_exact_distribution(kernel, mu, sd):
    # Closed form: m ~ Binomial(n, 1 - drop); given m, mean ~ N(mu, sd^2/m) and
    # ss / sd^2 ~ chi2(m - 1), independent. Checked through the probability integral transform.
    n, drop = 9, 0.3
    out = fill(kernel, 6, np.float64, n, 4, mu, sd, 0.0, 1.0, drop, 0.0)
    m, mean, ss = out[:, 0], out[:, 1], out[:, 2]
    assert gof_pvalue(m[:, None].astype(int), {(k,): stats.binom.pmf(k, n, 1 - drop)
                                               for k in range(n + 1)}) > LEVEL
    some, two = m >= 1, m >= 2
    z = (mean[some] - mu) * np.sqrt(m[some]) / sd
    assert stats.kstest(z, "norm").pvalue > LEVEL
    u = stats.chi2.cdf(ss[two] / sd**2, m[two] - 1)
    assert stats.kstest(u, "uniform").pvalue > LEVEL
    # independence of mean and ss: their correlation is within 4 SE of 0
    assert abs(np.corrcoef(stats.norm.cdf(z[m[some] >= 2]), u)[0, 1]) < 4 / math.sqrt(two.sum())
    assert (out[:, 3] == 4).all() and (out[:, 5] >= 0).all()


@pytest.mark.parametrize("kernel", [binomial_counts, bernoulli_counts])
def test_binary_counts_at_the_edges_of_the_parameters(kernel):
    out = fill(kernel, 4, np.int64, 10, 7, 1.0, 0.0, 1.0, 0.0, reps=20)  # all drop out / p = 0
    assert (out == [0, 0, 7, 0]).all()
    out = fill(kernel, 4, np.int64, 10, 7, 1.0, 0.0, 0.0, 0.0, reps=20)  # p = 1 / p = 0
    assert (out == [10, 10, 7, 0]).all()


@pytest.mark.parametrize("kernel", [normal_chi2_moments, normal_moments])
def test_normal_moments_of_empty_and_single_patient_arms(kernel):
    out = fill(kernel, 6, np.float64, 5, 1, 3.0, 2.0, 3.0, 2.0, 1.0, 0.0, reps=50)
    assert (out[:, :3] == 0).all()  # everybody dropped out
    assert (out[:, 3] == 1).all() and (out[:, 5] == 0).all() and (out[:, 4] != 0).all()


@pytest.mark.parametrize(("fast", "patient_level", "test", "args"), [
    (binomial_counts, bernoulli_counts, chisq, (260, 140, 0.18, 0.30, 0.1, 0.15)),
    (normal_chi2_moments, normal_moments, ttest, (260, 140, 60.0, 25.0, 53.0, 25.0, 0.1, 0.2)),
    (normal_chi2_moments, normal_moments, welch, (60, 30, 1.0, 2.0, 0.0, 1.0, 0.2, 0.0)),
])
def test_fast_and_patient_level_twins_give_the_same_power(fast, patient_level, test, args):
    columns, dtype = (4, np.int64) if test is chisq else (6, np.float64)
    powers = [np.mean(test(fill(kernel, columns, dtype, *args, seed=seed), "two-sided", 1) <= 0.05)
              for kernel, seed in ((fast, 1), (patient_level, 2))]
    p = (powers[0] + powers[1]) / 2
    assert 0.2 < p < 0.9  # an informative setting
    assert abs(powers[0] - powers[1]) <= 4 * math.sqrt(2 * p * (1 - p) / REPS), powers


@pytest.mark.slow  # compiles the kernels it uses in a fresh process (~25 s)
def test_runs_without_a_writable_numba_cache(tmp_path):
    # NUMBA_CACHE_DIR below a regular file cannot be created (even by root), and the locator
    # list limited to that directory stands for a read-only package and home: numba then
    # refuses cache=True, and simtrial must compile in memory with a one-line notice.
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(blocker / "cache"),
               NUMBA_CACHE_LOCATOR_CLASSES="UserProvidedCacheLocator")
    args = ["power", "--n", "100", "--reps", "1000", "--endpoint", "walk_lln", "--format", "json"]
    run = subprocess.run(["simtrial", *args], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("simtrial: notice: no writable numba cache")
    ours = power("msc-covid19", 100, reps=1000, endpoints=["walk_lln"]).endpoints[0].power
    assert json.loads(run.stdout)["endpoints"][0]["power"] == ours


@pytest.mark.parametrize("values", [
    np.array([3.0, 1.0, 2.0, 1.0, 3.0, 3.0, -7.0, 1e300, -1e300, 0.0]),  # ties, far outside
    np.random.default_rng(3).normal(0.0, 1.0, 500),
    np.random.default_rng(4).integers(0, 5, 300).astype(float),  # heavy ties
    np.array([2.5]),
    np.array([np.inf, -np.inf, 0.0, np.inf, 5.0]),
])
@pytest.mark.parametrize("fitted", [(0.0, 1.0, 0.0, 1.0), (50.0, 1e-3, -3.0, 1e3),
                                    (0.0, 1e300, 0.0, 1.0)])
def test_bucket_scatter_then_sort_is_a_sort_whatever_the_buckets(values, fitted):
    # normal_rank_stats orders by buckets fitted to the arms' distributions; the buckets only
    # change its speed: any values, tied, far outside the buckets or infinite, come out in
    # ascending buckets (so a lower bucket's values are smaller) with their arm flags, and
    # sorted once sorted within buckets.
    from simtrial.kernels.ranks import (
        bucket_scatter,
        quantile_buckets,
        rank_scratch,
        sort_within_buckets,
    )

    m = len(values)
    m_t = m // 3
    low, scale, table = quantile_buckets(m_t, fitted[0], fitted[1], m - m_t, fitted[2],
                                          fitted[3], 2 * m)
    cell, bucket, starts, keys, key_in_t, crowded = rank_scratch(m, 2 * m)
    count = bucket_scatter(values, m, m_t, low, scale, table, cell, bucket, starts, keys,
                           key_in_t, crowded)
    in_t = np.arange(m) < m_t
    order = np.argsort(bucket, kind="stable")  # by bucket, values in their order within one
    assert np.array_equal(keys, values[order]) and np.array_equal(key_in_t, in_t[order])
    higher = bucket[:, None] > bucket[None, :]
    assert (values[:, None] > values[None, :])[higher].all()
    sizes = np.bincount(bucket, minlength=2 * m)
    crowded_starts = np.cumsum(sizes)[sizes >= 3] - sizes[sizes >= 3]
    assert count == len(crowded_starts)
    assert np.array_equal(np.sort(crowded[:count]), crowded_starts)
    assert np.array_equal(np.sort(crowded[count:2 * count]), np.cumsum(sizes)[sizes >= 3])
    assert not starts.any()  # left as found, for the next replicate
    sort_within_buckets(keys, key_in_t, m)
    assert np.array_equal(keys, np.sort(values))
    for value in np.unique(values):  # each value keeps its arm flags (in some order)
        assert sorted(key_in_t[keys == value]) == sorted(in_t[values == value])


SPECIAL_VALUES = np.array([-np.inf, np.inf, -0.0, 0.0, 1e300, -1e300, 5e-324, 1.0, -1.0])


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(0, 80), st.integers(1, 40), st.integers(0, 2**32 - 1),
       st.sampled_from(["normal", "tied", "clustered", "special"]),
       st.tuples(st.floats(-30, 30), st.floats(1e-3, 1e3), st.floats(-30, 30),
                 st.floats(1e-3, 1e3)))
def test_value_rank_stats_equal_scipy_for_any_buckets(data, m, buckets, seed, kind, fitted):
    # Few buckets put many values in one (up to all of them), and buckets fitted to other
    # distributions (two arms far apart, sds of 1e-3 and 1e3) put them anywhere: pairs in one
    # bucket are then corrected, neighbours branch-free and the rest in the crowded buckets'
    # pass, and ties (whole groups, one pair among clustered values, -0.0 and 0.0, infinities)
    # go to the sort. U and the tie term are scipy.stats.rankdata's, and the scratch, used
    # first for 80 other values, is left ready for the next replicate.
    from simtrial.kernels.ranks import quantile_buckets, rank_scratch, value_rank_stats

    gen = np.random.default_rng(seed)
    m_t = data.draw(st.integers(0, m))
    values = {"normal": lambda: gen.normal(fitted[0], fitted[1], m),
              "tied": lambda: gen.integers(0, 6, m).astype(float),
              "clustered": lambda: np.repeat(gen.normal(0.0, 1.0, 4), 20)[:m]
              + gen.normal(0.0, 1e-9, m).round(11),
              "special": lambda: np.where(gen.random(m) < 0.5, gen.choice(SPECIAL_VALUES, m),
                                          gen.normal(0.0, 1.0, m))}[kind]()
    low, scale, table = quantile_buckets(1, fitted[0], fitted[1], 1, fitted[2], fitted[3],
                                         buckets)
    scratch = rank_scratch(80, buckets)
    value_rank_stats(gen.normal(0.0, 1.0, 80), 80, 40, low, scale, table, scratch)
    u_t, tie_term = value_rank_stats(values, m, m_t, low, scale, table, scratch)
    ranks = stats.rankdata(values)
    ties = np.unique(values, return_counts=True)[1]
    assert u_t == ranks[:m_t].sum() - m_t * (m_t + 1) / 2
    assert tie_term == float((ties**3 - ties).sum())
    assert not scratch[2].any()


@pytest.mark.parametrize("values", [
    [1.0, 2.0, 1.0],  # equal values two apart in one bucket: a tie, not found by neighbours
    [2.0, 3.0, 1.0, 2.0],
    [5.0, 4.0, 3.0, 2.0, 1.0],  # every pair out of order
    [0.0, -0.0, 1.0, -0.0],
])
@pytest.mark.parametrize("m_t", [0, 1, 2, 3])
def test_value_rank_stats_in_one_bucket(values, m_t):
    from simtrial.kernels.ranks import quantile_buckets, rank_scratch, value_rank_stats

    values = np.array(values)
    m = len(values)
    low, scale, table = quantile_buckets(1, 0.0, 1.0, 1, 0.0, 1.0, 1)
    u_t, tie_term = value_rank_stats(values, m, m_t, low, scale, table, rank_scratch(m, 1))
    ranks = stats.rankdata(values)
    ties = np.unique(values, return_counts=True)[1]
    assert (u_t, tie_term) == (ranks[:m_t].sum() - m_t * (m_t + 1) / 2,
                               float((ties**3 - ties).sum()))


def test_quantile_buckets_stay_monotone_for_arms_far_apart():
    # Between two arms far apart the pooled cdf is flat to a few ulps at n_t / n, a bucket
    # boundary; interpolating between knots once put a cell one bucket above the next knot
    # (15, 0, 1, 11, 50, 1, 52: [29 29 30 29 29] at cells 285-289), and the values 8.91,
    # 8.82, 8.87 (buckets 29, 29, 30) were then ranked wrongly. Found by review.
    from simtrial.kernels.ranks import quantile_buckets, rank_scratch, value_rank_stats

    for n_t in range(1, 41, 3):
        for n_c in range(1, 41, 3):
            for gap in (5.0, 16.0, 20.0, 30.0, 50.0):
                for sd_c in (1.0, 0.01, 30.0):
                    table = quantile_buckets(n_t, 0.0, 1.0, n_c, gap, sd_c, 2 * (n_t + n_c))[2]
                    assert (np.diff(table.astype(np.int64)) >= 0).all(), (n_t, n_c, gap, sd_c)
    low, scale, table = quantile_buckets(15, 0.0, 1.0, 11, 50.0, 1.0, 52)
    values = np.array([8.91, 8.82, 8.87])
    assert value_rank_stats(values, 3, 1, low, scale, table, rank_scratch(3, 52)) == (2.0, 0.0)


def test_quantile_buckets_spread_the_pooled_distribution():
    # Each cell's bucket is floor(buckets * F(midpoint)), F the pooled normal mixture's cdf
    # (recomputed with scipy.stats.norm) interpolated linearly between every step-th cell; so
    # 100,000 draws from the mixture fill each of 200 buckets with about 500, give or take the
    # cells' discretisation (a cell is about a bucket wide where the density peaks, so a bucket
    # there holds one or two cells' probability).
    from simtrial.kernels.ranks import quantile_buckets

    n_t, n_c, buckets = 650, 350, 200
    low, scale, table = quantile_buckets(n_t, 1.0, 2.0, n_c, -3.0, 0.5, buckets)
    mid = low + (np.arange(len(table)) + 0.5) / scale
    cdf = 0.65 * stats.norm.cdf(mid, 1.0, 2.0) + 0.35 * stats.norm.cdf(mid, -3.0, 0.5)
    step = min(max(len(table) // 64, 1), 16)  # the cdf at every step-th cell, linear between
    knots = np.append(np.arange(0, len(table), step), len(table) - 1)
    interpolated = np.interp(np.arange(len(table)), knots, cdf[knots]) * buckets
    exact = np.minimum(interpolated.astype(int), buckets - 1)
    near_integer = np.abs(interpolated - np.round(interpolated)) < 1e-9  # rounding may differ
    assert np.array_equal(table[~near_integer], exact[~near_integer])
    assert (np.diff(table.astype(np.int64)) >= 0).all()
    assert np.abs(table.astype(np.int64) - np.minimum((cdf * buckets).astype(int),
                                                      buckets - 1)).max() <= 1
    gen = np.random.default_rng(11)
    arm_t = gen.random(100_000) < 0.65
    x = np.where(arm_t, gen.normal(1.0, 2.0, 100_000), gen.normal(-3.0, 0.5, 100_000))
    cells = np.clip((x - low) * scale, 0, len(table) - 1).astype(int)
    counts = np.bincount(table[cells], minlength=buckets)
    assert counts.min() > 0.4 * 500 and counts.max() < 1.6 * 500


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sorting_rank_kernel_with_heavy_ties_equals_scipy(seed):
    # At mean 1e16 the spacing of doubles is 2, so N(1e16, 1.5) draws fall on a few values:
    # heavy ties through the sorting kernel's tie path. numba's Generator.normal gives numpy's
    # stream, so numpy redraws the same data for scipy.stats.mannwhitneyu / rankdata.
    from scipy.stats import mannwhitneyu, rankdata

    from simtrial.kernels.ranks import normal_rank_stats
    from simtrial.stattests import mannwhitney

    out = np.empty((1, 4))
    normal_rank_stats(np.random.default_rng(seed), 60, 40, 1e16, 1.5, 1e16, 3.0, 0.0, 0.0, out)
    gen = np.random.default_rng(seed)
    x = np.array([gen.normal(1e16, 1.5) for _ in range(60)])
    y = np.array([gen.normal(1e16, 3.0) for _ in range(40)])
    _, t = np.unique(np.concatenate([x, y]), return_counts=True)
    assert (t > 1).sum() >= 3  # the tie path is exercised
    assert out[0, 2] == rankdata(np.concatenate([x, y]))[:60].sum() - 60 * 61 / 2
    assert out[0, 3] == float((t**3 - t).sum())
    assert mannwhitney(out, "two-sided", 1)[0] == mannwhitneyu(x, y, method="asymptotic").pvalue
