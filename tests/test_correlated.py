"""Correlated endpoints and multiplicity in simulated trials (issue 7).

References: scipy's multivariate normal CDF for the joint behaviour of test statistics (large
samples, t statistics treated as normal: the t-versus-z difference is computed and stated in
each test), exact marginal power (tests/exact.py) and scipy's rank statistics.
"""

import math

import numpy as np
import pytest
from conftest import scenario_text
from exact import chisq_power_exact, enumerated_rank_power, ttest_power_exact
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial import rng
from simtrial.correlated import (
    correlated_groups,
    joint_model,
    simulate_group_chunk,
    simulate_group_looks_chunk,
)
from simtrial.distributions import level_probabilities, score_levels
from simtrial.kernels.group import level_of
from simtrial.kernels.ranks import quantile_buckets, rank_scratch, value_rank_stats
from simtrial.scenario import ScenarioError, correlation_matrix, parse_scenario
from simtrial.simulate import power
from simtrial.stattests import TESTS

REPS = 20_000


def normal_endpoint(i, delta=0.0, dropout=0.0):
    return f"""
[[endpoints]]
id = "y{i}"
kind = "continuous"
test = "ttest"
better = "higher"
dropout = {dropout}
control = {{ mean = 0.0, sd = 1.0 }}
treatment = {{ mean = {delta}, sd = 1.0 }}
"""


def correlations(pairs):
    return "".join(f'\n[[correlations]]\nendpoints = ["{a}", "{b}"]\nrho = {rho}\n'
                   for a, b, rho in pairs)


def scenario(endpoints, pairs=(), analysis="", allocation=(65, 35)):
    text = scenario_text("".join(endpoints), trial=f"allocation = {list(allocation)}\n")
    return parse_scenario(text + correlations(pairs) + analysis)


def mcse(p, reps=REPS):
    return math.sqrt(p * (1 - p) / reps)


def box_probability(mean, cov, c):
    """P(|Z_j| <= c for all j) for Z ~ N(mean, cov)."""
    k = len(mean)
    return stats.multivariate_normal(mean=mean, cov=cov).cdf(np.full(k, c),
                                                              lower_limit=np.full(k, -c))


# --- schema ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "message"), [
    (correlations([("y0", "y1", 0.9), ("y0", "y2", 0.9), ("y1", "y2", -0.9)]),
     "correlations: the correlation matrix of the endpoints is not positive definite"),
    (correlations([("y0", "nope", 0.5)]), "correlations[0].endpoints[1]: 'nope' is not allowed"),
    (correlations([("y0", "y0", 0.5)]), "correlations[0].endpoints[1]: 'y0' is repeated"),
    (correlations([("y0", "y1", 1.0)]), "correlations[0].rho: 1.0 is out of range"),
    (correlations([("y0", "y1", 0.2), ("y1", "y0", 0.3)]), "the pair ['y1', 'y0'] is given twice"),
    ('\n[analysis]\nmultiplicity = "fixed-sequence"\n', "analysis.order: is required"),
    ('\n[analysis]\nmultiplicity = "sidak"\n', "analysis.multiplicity: 'sidak' is not allowed"),
    ('\n[analysis]\nprimary = "nope"\n', "analysis.primary: 'nope' is not allowed"),
    ('\n[analysis]\norder = ["y0", "y0"]\n', "analysis.order[1]: 'y0' is repeated"),
])
def test_invalid_analysis_and_correlations(extra, message):
    text = scenario_text("".join(normal_endpoint(i) for i in range(3))) + extra
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="f.toml")
    assert message in str(info.value) and str(info.value).startswith("f.toml: ")


def test_analysis_defaults():
    sc = scenario([normal_endpoint(0), normal_endpoint(1)])
    assert sc.analysis.family == () and sc.analysis.multiplicity == "none"
    sc = scenario([normal_endpoint(0), normal_endpoint(1)],
                  analysis='\n[analysis]\nmultiplicity = "holm"\nprimary = "y1"\n')
    assert sc.analysis.family == ("y0", "y1") and sc.analysis.primary == "y1"


# --- family-wise error and joint power against the multivariate normal --------------------------

RHO3 = [("y0", "y1", 0.6), ("y0", "y2", 0.3), ("y1", "y2", 0.5)]
R3 = np.array([[1, 0.6, 0.3], [0.6, 1, 0.5], [0.3, 0.5, 1]])


def test_unadjusted_fwer_under_global_null_matches_multivariate_normal():
    # Same patients for every endpoint (no dropout), so the three t statistics are, for large
    # samples, N(0, R3). n = 400: t_{0.975, 398} = 1.9659 vs z = 1.9600; computing the MVN box
    # with the t critical value instead of z moves P(any) by about -0.0006, under 1 MCSE: the
    # t critical value is used, the normal approximation of the t statistics is what remains.
    sc = scenario([normal_endpoint(i) for i in range(3)], RHO3,
                  '\n[analysis]\nmultiplicity = "none"\nfamily = ["y0", "y1", "y2"]\n')
    res = power(sc, 400, reps=REPS, seed=11)
    c = stats.t.ppf(0.975, 398)
    truth = 1 - box_probability(np.zeros(3), R3, c)
    assert abs(res.family.power_any - truth) <= 4 * mcse(truth)
    assert res.family.power_any < 1 - 0.95**3  # positive correlation: below the independent value


@pytest.mark.parametrize("procedure", ["bonferroni", "holm", "hochberg", "fixed-sequence"])
def test_fwer_under_global_null_is_at_most_alpha(procedure):
    key = "order" if procedure == "fixed-sequence" else "family"
    sc = scenario([normal_endpoint(i, dropout=0.1) for i in range(3)], RHO3,
                  f'\n[analysis]\nmultiplicity = "{procedure}"\n{key} = ["y0", "y1", "y2"]\n')
    fwer = power(sc, 300, reps=REPS, seed=12).family.power_any
    assert fwer <= 0.05 + 3 * mcse(0.05)


def test_conjunctive_and_disjunctive_power_of_two_correlated_normals():
    # Two endpoints, latent correlation 0.5, effects d = 0.3 and 0.25 at 260:140. The t
    # statistics are approximately N(ncp_j, 1) with correlation 0.5; the joint probabilities
    # come from the bivariate normal with the t critical value. The t-versus-z difference of
    # the marginals (noncentral t vs normal power) is computed and added to the tolerance.
    deltas, rho = (0.3, 0.25), 0.5
    sc = scenario([normal_endpoint(0, deltas[0]), normal_endpoint(1, deltas[1])],
                  [("y0", "y1", rho)],
                  '\n[analysis]\nmultiplicity = "none"\nfamily = ["y0", "y1"]\n')
    res = power(sc, 400, reps=REPS, seed=13)
    ncp = np.array(deltas) / math.sqrt(1 / 260 + 1 / 140)
    c = stats.t.ppf(0.975, 398)
    cov = np.array([[1, rho], [rho, 1]])
    none = box_probability(ncp, cov, c)
    single = [stats.norm.cdf(c - m) - stats.norm.cdf(-c - m) for m in ncp]
    any_truth = 1 - none
    all_truth = 1 - single[0] - single[1] + none
    t_vs_z = sum(abs((1 - s) - ttest_power_exact(260, 140, d, 1.0, 0.05))
                 for s, d in zip(single, deltas, strict=True))
    assert t_vs_z < 0.003  # stated: the normal approximation of the t statistics is this close
    assert abs(res.family.power_any - any_truth) <= 4 * mcse(any_truth) + t_vs_z
    assert abs(res.family.power_all - all_truth) <= 4 * mcse(all_truth) + t_vs_z


# --- marginals are unchanged by the joint simulation ------------------------------------------

BINARY = """
[[endpoints]]
id = "b"
kind = "binary"
test = "chisq"
better = "lower"
dropout = 0.2
control = { p = 0.40 }
treatment = { p = 0.18 }
"""


def test_marginal_power_of_correlated_endpoints_is_exact_power():
    sc = scenario([BINARY, normal_endpoint(0, 0.5, dropout=0.1)], [("b", "y0", 0.7)])
    res = power(sc, 100, reps=REPS, seed=14)
    n_t, n_c = sc.trial.split(100)
    truth_b = chisq_power_exact(n_t, n_c, 0.18, 0.40, 0.05, 0.2, 0.2, sign=-1)
    truth_y = ttest_power_exact(n_t, n_c, 0.5, 1.0, 0.05, 0.1, 0.1)
    assert abs(res.endpoint("b").power - truth_b) <= 4 * mcse(truth_b)
    assert abs(res.endpoint("y0").power - truth_y) <= 4 * mcse(truth_y)


def test_marginal_rank_power_of_a_correlated_ordinal_endpoint_is_exact():
    # The ordinal endpoint is cut from its latent normal (Gaussian copula) and ranked by
    # counting per level; its marginal power is the uncorrelated test's, computed exactly by
    # enumerating both arms' multinomial counts (tests/exact.py, scipy.stats.mannwhitneyu).
    ordinal = """
[[endpoints]]
id = "o"
kind = "ordinal"
test = "mannwhitney"
better = "lower"
control = { probs = [0.2, 0.5, 0.3] }
treatment = { probs = [0.5, 0.3, 0.2] }
"""
    sc = scenario([ordinal, normal_endpoint(0, 0.5)], [("o", "y0", -0.6)], allocation=(10, 7))
    res = power(sc, 17, reps=REPS, seed=18)
    exact = enumerated_rank_power([0.5, 0.3, 0.2], [0.2, 0.5, 0.3], 10, 7)
    assert abs(res.endpoint("o").power - exact) <= 4 * mcse(exact), (res.endpoint("o").power,
                                                                     exact)


def test_marginal_rank_power_of_a_correlated_normal_endpoint_is_its_uncorrelated_power():
    # A normal endpoint ranked in a correlated group (patient values, bucket sort) against the
    # same endpoint alone (normal_rank_stats): independent draws of the same marginal power,
    # within 4 Monte Carlo SE of their difference.
    ranked = normal_endpoint(1, 0.4, dropout=0.1).replace('test = "ttest"', 'test = "mannwhitney"')
    joint = power(scenario([normal_endpoint(0, 0.3), ranked], [("y0", "y1", 0.6)]), 120,
                  reps=REPS, seed=19).endpoint("y1")
    alone = power(scenario([ranked]), 120, reps=REPS, seed=19).endpoint("y1")
    assert abs(joint.power - alone.power) <= 4 * math.hypot(joint.mcse, alone.mcse)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([-np.inf, -1.0, -0.2, 0.0, 0.3, 1.5, np.inf]), max_size=6),
       st.integers(0, 150), st.integers(0, 2**32 - 1))
def test_level_of_is_searchsorted(extra_cuts, n_random_cuts, seed):
    # level_of counts the cuts at or below x: np.searchsorted(cuts, x, side="right"). Up to 64
    # cuts by comparing all, more by a branch-free binary search: both paths, with repeated
    # cuts (empty levels), infinite cuts (levels of probability 0) and x on a cut.
    gen = np.random.default_rng(seed)
    cuts = np.sort(np.concatenate([gen.normal(size=n_random_cuts), extra_cuts]))
    xs = np.concatenate([gen.normal(size=50) * 2, cuts, [np.inf, -np.inf]])
    for x in xs:
        assert level_of(cuts, x) == np.searchsorted(cuts, x, side="right")


# --- procedures on the same draws -------------------------------------------------------------

def test_procedures_nest_on_the_same_draws():
    endpoints = [normal_endpoint(i, d, 0.1) for i, d in enumerate((0.3, 0.2, 0.25))]
    result = {}
    for procedure in ("none", "bonferroni", "holm", "hochberg", "fixed-sequence"):
        key = "order" if procedure == "fixed-sequence" else "family"
        sc = scenario(endpoints, RHO3,
                      f'\n[analysis]\nmultiplicity = "{procedure}"\n{key} = ["y0", "y1", "y2"]\n')
        result[procedure] = power(sc, 250, reps=4000, seed=15)
    for i in range(3):
        ep = f"y{i}"
        power_of = {name: r.endpoint(ep).power for name, r in result.items()}
        assert power_of["bonferroni"] <= power_of["holm"] <= power_of["hochberg"] \
            <= power_of["none"]
        # the p-values themselves are the same draws whatever the procedure
        np.testing.assert_array_equal(result["none"].endpoint(ep).pvalues,
                                      result["holm"].endpoint(ep).pvalues)
        assert result["holm"].endpoint(ep).power_unadjusted == power_of["none"]
    fixed = [result["fixed-sequence"].endpoint(f"y{i}").power for i in range(3)]
    assert fixed[0] == result["none"].endpoint("y0").power  # first in order: full alpha
    assert fixed[0] >= fixed[1] >= fixed[2]  # stops at the first non-rejection


def test_selected_endpoint_gets_the_full_run_numbers():
    sc = scenario([normal_endpoint(i, 0.2) for i in range(3)], RHO3[:1],
                  '\n[analysis]\nmultiplicity = "holm"\n')
    full = power(sc, 200, reps=3000, seed=16)
    alone = power(sc, 200, reps=3000, seed=16, endpoints=["y1"])
    assert alone.endpoint("y1").to_dict() == full.endpoint("y1").to_dict()
    assert alone.family == full.family


# --- rank statistics from patient values: double programming against scipy --------------------

def scipy_rank_stats(x, y):
    """(m_t, m_c, u_t, tie_term) of two samples by scipy.stats.rankdata."""
    ranks = stats.rankdata(np.concatenate([x, y]))
    ties = np.unique(np.concatenate([x, y]), return_counts=True)[1]
    return (len(x), len(y), ranks[: len(x)].sum() - len(x) * (len(x) + 1) / 2,
            float((ties**3 - ties).sum()))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(1, 5), st.integers(0, 2**32 - 1),
       st.booleans())
def test_value_rank_stats_equal_scipy(m, m_t, levels, seed, tied):
    # The buckets are fitted to N(0, 1) in both arms; they only change the sort's speed, so
    # tied values and values far from the buckets are ranked exactly (nobody assessed too).
    gen = np.random.default_rng(seed)
    m_t = min(m_t, m)
    if tied:
        values = gen.integers(0, levels + 1, size=m).astype(float)
    else:
        values = gen.normal(levels, 10.0, size=m)  # far from the buckets' N(0, 1)
    low, scale, table = quantile_buckets(1, 0.0, 1.0, 1, 0.0, 1.0, 2 * max(m, 1))
    scratch = rank_scratch(m, 2 * max(m, 1))
    u_t, tie_term = value_rank_stats(values.copy(), m, m_t, low, scale, table, scratch)
    assert (m_t, m - m_t, u_t, tie_term) == scipy_rank_stats(values[:m_t], values[m_t:])


# --- the compiled group kernel against the model written in numpy ------------------------------

def numpy_group_stats(group, pairs, n_t, n_c, seed, chunk, size, look=None):
    """The model of simtrial.correlated, in numpy and scipy, on the kernel's random numbers:
    each endpoint's latents drawn as a (size, n) array from its stream, then the visit
    uniforms from the first endpoint's stream; ranks by scipy.stats.rankdata. ``look =
    (m_t, m_c)`` analyses only the first m_t treated and m_c control patients."""
    n = n_t + n_c
    generators = [rng.chunk_generator(seed, ep.id, chunk) for ep in group]
    latent = np.stack([g.standard_normal((size, n)) for g in generators])
    visit = generators[0].random((size, n))
    lower = np.linalg.cholesky(np.array(correlation_matrix([ep.id for ep in group], pairs)))
    latent = np.einsum("jl,lrn->jrn", lower, latent)
    treated = np.arange(n) < n_t
    m_t, m_c = look or (n_t, n_c)
    analysed = (np.arange(n) < m_t) | ((np.arange(n) >= n_t) & (np.arange(n) < n_t + m_c))
    out = []
    for ep, z in zip(group, latent, strict=True):
        assessed = (visit >= np.where(treated, ep.dropout[0], ep.dropout[1])) & analysed
        values = np.empty_like(z)
        for arm, cols in (("treatment", treated), ("control", ~treated)):
            params = getattr(ep, arm)
            if ep.distribution == "bernoulli":
                values[:, cols] = z[:, cols] > stats.norm.ppf(1.0 - params["p"])
            elif ep.kind in ("score", "ordinal"):
                probs = level_probabilities(ep, arm)
                cuts = stats.norm.ppf(np.cumsum(probs)[:-1] / probs.sum())
                grid = (score_levels(*ep.scale) if ep.kind == "score"
                        else np.arange(len(probs), dtype=float))
                values[:, cols] = grid[np.searchsorted(cuts, z[:, cols], side="right")]
            else:
                mean, sd = ep.model.normal_parameters(ep, arm)
                values[:, cols] = mean + sd * z[:, cols]
        rows = []
        for r in range(size):
            x = values[r, treated & assessed[r]]
            y = values[r, ~treated & assessed[r]]
            statistic = TESTS[ep.test].statistic.name
            if statistic == "counts":
                rows.append((len(x), x.sum(), len(y), y.sum()))
            elif statistic == "moments":
                rows.append(tuple(v for s in (x, y) for v in
                                  (len(s), s.mean() if len(s) else 0.0,
                                   ((s - s.mean()) ** 2).sum() if len(s) else 0.0)))
            else:
                rows.append(scipy_rank_stats(x, y))
        out.append(np.array(rows, dtype=float))
    return out


GROUP = [
    BINARY,
    """
[[endpoints]]
id = "s"
kind = "score"
test = "mannwhitney"
better = "higher"
dropout = { treatment = 0.1, control = 0.3 }
scale = { min = 0, max = 100, step = 5 }
control = { mean = 55.0, sd = 28.0 }
treatment = { mean = 64.0, sd = 25.0 }
""",
    normal_endpoint(0, 0.4, dropout=0.1),
    normal_endpoint(1, 0.3).replace('test = "ttest"', 'test = "mannwhitney"'),
    """
[[endpoints]]
id = "g"
kind = "score"
test = "welch"
better = "higher"
scale = { min = 0, max = 20, step = 2 }
control = { mean = 10.0, sd = 5.0 }
treatment = { mean = 12.0, sd = 4.0 }
""",
    """
[[endpoints]]
id = "o"
kind = "ordinal"
test = "mannwhitney"
better = "lower"
dropout = 0.15
control = { probs = [0.2, 0.5, 0.3] }
treatment = { probs = [0.5, 0.3, 0.2] }
""",
]
GROUP_PAIRS = [("b", "y0", -0.7), ("s", "y0", 0.4), ("y0", "y1", 0.5), ("b", "g", 0.3),
               ("g", "o", -0.4), ("s", "o", 0.2)]


def titre_endpoint(endpoint_id, test, dropout):
    return f"""
[[endpoints]]
id = "{endpoint_id}"
kind = "continuous"
distribution = "lognormal"
test = "{test}"
better = "higher"
dropout = {dropout}
control = {{ gmean = 80.0, gsd = 3.0 }}
treatment = {{ gmean = 120.0, gsd = 2.5 }}
"""


# log-normal values (t test and ranks on the log scale), a safety endpoint (Fisher's counts)
# and an ordinal one; with 5 patients and high dropout, arms with nobody assessed are common
SPARSE = [
    titre_endpoint("titre", "welch", 0.6),
    """
[[endpoints]]
id = "ae"
kind = "safety"
test = "fisher"
better = "lower"
dropout = { treatment = 0.3, control = 0.8 }
control = { p = 0.02 }
treatment = { p = 0.3 }
""",
    titre_endpoint("titre_rank", "mannwhitney", 0.9),
    GROUP[-1],
]
SPARSE_PAIRS = [("titre", "ae", -0.5), ("titre", "titre_rank", 0.6), ("ae", "o", 0.3)]


@pytest.mark.parametrize(("endpoints", "pairs", "n", "seed"), [
    (GROUP, GROUP_PAIRS, 45, 3), (GROUP, GROUP_PAIRS, 45, 4), (SPARSE, SPARSE_PAIRS, 5, 5)])
def test_group_kernel_equals_the_numpy_model_on_the_same_draws(endpoints, pairs, n, seed):
    # Every mode of kernels.group (counts, moments, values ranked, levels ranked, level values'
    # moments), every kind, per-arm dropout, groups of six and four endpoints, arms with nobody
    # assessed: counts and rank statistics equal, moments within 1e-12 relative (numpy sums
    # pairwise, the kernel in order).
    sc = scenario(endpoints, pairs, allocation=(3, 2))
    group, = correlated_groups(sc.endpoints, sc.correlations)
    n_t, n_c = sc.trial.split(n)
    model = joint_model(group, sc.correlations, n_t, n_c)
    ours = simulate_group_chunk(model, seed, 2, 300)
    reference = numpy_group_stats(group, sc.correlations, n_t, n_c, seed, 2, 300)
    for ep, a, b in zip(group, ours, reference, strict=True):
        if TESTS[ep.test].statistic.name == "moments":
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=ep.id)
        else:
            np.testing.assert_array_equal(a, b, err_msg=ep.id)
    if endpoints is SPARSE:  # the empty arms were there
        assert (ours[0][:, 0] == 0).any() and (ours[0][:, 3] == 0).any()


@pytest.mark.parametrize(("endpoints", "pairs", "n", "seed"), [
    (GROUP, GROUP_PAIRS, 45, 3), (SPARSE, SPARSE_PAIRS, 7, 5)])
def test_group_looks_kernel_equals_the_numpy_model_at_every_look(endpoints, pairs, n, seed):
    # Interim looks (the row kernels of kernels.group at several looks): each look is the numpy
    # model of the first patients of each arm, on the same draws; the last look is the fixed
    # trial's answer.
    sc = scenario(endpoints, pairs, allocation=(3, 2))
    group, = correlated_groups(sc.endpoints, sc.correlations)
    n_t, n_c = sc.trial.split(n)
    sizes = np.array([[max(1, n_t // 3), max(1, n_c // 3)], [n_t // 2 + 1, n_c // 2],
                      [n_t, n_c]])
    model = joint_model(group, sc.correlations, n_t, n_c)
    ours = simulate_group_looks_chunk(model, seed, 2, 200, sizes[:, 0], sizes[:, 1])
    final = simulate_group_chunk(model, seed, 2, 200)
    for k, (m_t, m_c) in enumerate(sizes):
        reference = numpy_group_stats(group, sc.correlations, n_t, n_c, seed, 2, 200,
                                      look=(m_t, m_c))
        for ep, a, b in zip(group, ours, reference, strict=True):
            if TESTS[ep.test].statistic.name == "moments":
                np.testing.assert_allclose(a[k], b, rtol=1e-12, atol=1e-12, err_msg=ep.id)
            else:
                np.testing.assert_array_equal(a[k], b, err_msg=f"{ep.id} look {k}")
    for a, b in zip(ours, final, strict=True):
        np.testing.assert_array_equal(a[-1], b)


# --- sample size for the family (samplesize --criterion any|all) ------------------------------

def _family_truth(criterion, deltas, rho, target, allocation=(65, 35)):
    """Smallest n at which the bivariate normal (t critical values) reaches the target."""
    cov = np.array([[1, rho], [rho, 1]])
    a_t, a_c = allocation
    for n in range(20, 5000):
        n_t = math.floor(n * a_t / (a_t + a_c) + 0.5)
        n_c = n - n_t
        ncp = np.array(deltas) / math.sqrt(1 / n_t + 1 / n_c)
        c = stats.t.ppf(0.975, n - 2)
        none = box_probability(ncp, cov, c)
        single = [stats.norm.cdf(c - m) - stats.norm.cdf(-c - m) for m in ncp]
        p = 1 - none if criterion == "any" else 1 - single[0] - single[1] + none
        if p >= target:
            return n
    raise AssertionError("not reached")


@pytest.mark.parametrize(("criterion", "target"), [("all", 0.8), ("any", 0.9)])
def test_family_sample_size_lands_near_the_bivariate_normal_answer(criterion, target):
    from simtrial.search import family_sample_size

    deltas, rho = (0.3, 0.25), 0.5
    sc = scenario([normal_endpoint(0, deltas[0]), normal_endpoint(1, deltas[1])],
                  [("y0", "y1", rho)],
                  '\n[analysis]\nmultiplicity = "none"\nfamily = ["y0", "y1"]\n')
    res = family_sample_size(sc, criterion, target, reps=10_000, seed=17)
    truth = _family_truth(criterion, deltas, rho, target)
    # within 3% of the answer the bivariate normal gives (the t-versus-z difference at these
    # n is below 0.003 in power, about 1% in n: inside the 3%)
    assert abs(res.n_total - truth) <= 0.03 * truth, (res.n_total, truth)
    assert res.n_per_arm["treatment"] + res.n_per_arm["control"] == res.n_total
    # the reported power is the family's as `simtrial power` gives it at n: it reaches the
    # target there and not at n - 1
    finals = {p["n_total"]: p["power"] for p in res.trace if p["stage"] == "final"}
    assert finals[res.n_total] == res.power >= target > finals[res.n_total - 1]
    assert res.n_minus_step["power"] == finals[res.n_total - 1]


def test_family_sample_size_needs_a_family():
    from simtrial.search import family_sample_size

    sc = scenario([normal_endpoint(0, 0.3)])
    with pytest.raises(ValueError, match="names no multiplicity family"):
        family_sample_size(sc, "any", 0.8, reps=100)
    with pytest.raises(ValueError, match="`criterion` must be 'any' or 'all'"):
        family_sample_size(sc, "most", 0.8, reps=100)


@pytest.mark.parametrize("baselines", [False, True])
@pytest.mark.parametrize(("ahead", "block"), [(1, 1), (7, 300), (300, 7), (7, 4), (4, 7)])
def test_group_kernel_gives_the_same_numbers_whatever_latent_block(monkeypatch, ahead, block,
                                                                    baselines):
    # Large n holds the first endpoint's latents a few replicates at a time and takes the visit
    # uniforms from a second generator moved past them (correlated.latent_block), and every n
    # draws and reduces the replicates a block at a time (correlated.draw_block), whose
    # boundaries need not meet: the numbers must be those of the whole chunk at once, bit for
    # bit, or results would change with n's memory rules. The built-in scenario's group has
    # two endpoints with a baseline, whose noise is drawn in the blocks too.
    from simtrial import correlated
    from simtrial.scenario import load_scenario

    sc = load_scenario("msc-covid19") if baselines else scenario(GROUP, GROUP_PAIRS,
                                                                  allocation=(3, 2))
    group = correlated_groups(sc.endpoints, sc.correlations)[0]
    model = joint_model(group, sc.correlations, *sc.trial.split(45))
    whole = simulate_group_chunk(model, 3, 2, 300)
    rows = len(group) + len(model.noisy) + 1  # latents, baseline noise and visits
    monkeypatch.setattr(correlated, "LATENT_BYTES", 8 * 45 * ahead)
    monkeypatch.setattr(correlated, "BLOCK_BYTES", 8 * 45 * rows * block)
    assert correlated.latent_block(300, 45) == ahead
    assert correlated.draw_block(300, 45, rows) == block
    for a, b in zip(whole, simulate_group_chunk(model, 3, 2, 300), strict=True):
        np.testing.assert_array_equal(a, b)
