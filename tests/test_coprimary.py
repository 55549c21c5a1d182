"""Co-primary endpoints: a family with multiplicity = "none" (issue 21, item 4).

Both t statistics are, at n = 400, close to a bivariate normal with the correlation of the
outcomes (the same patients give both differences in means), so the chance that both reject
(power_all) and that at least one does (power_any; under the global null the unadjusted
family-wise error) are rectangle probabilities of scipy's bivariate normal, with the t test's
critical value. Tolerance: 4 MCSE, fixed seeds.
"""

import math

import pytest
from scipy import stats

from simtrial import power
from simtrial.scenario import load_scenario
from simtrial.search import family_sample_size


def _both_beyond(mu1, mu2, rho, crit):
    """P(|Z1| > crit and |Z2| > crit) for unit-variance normals with correlation rho."""
    total = 0.0
    for s1 in (1, -1):
        for s2 in (1, -1):  # P(s1 Z1 > crit, s2 Z2 > crit)
            total += stats.multivariate_normal.cdf(
                [-crit, -crit], mean=[-s1 * mu1, -s2 * mu2],
                cov=[[1, s1 * s2 * rho], [s1 * s2 * rho, 1]])
    return total


def _both_within(mu1, mu2, rho, crit):
    """P(|Z1| <= crit and |Z2| <= crit)."""
    dist = stats.multivariate_normal(mean=[mu1, mu2], cov=[[1, rho], [rho, 1]])
    return (dist.cdf([crit, crit]) - dist.cdf([-crit, crit]) - dist.cdf([crit, -crit])
            + dist.cdf([-crit, -crit]))


def _noncentrality(sc, endpoint_id, n):
    ep = sc.endpoint(endpoint_id)
    n_t, n_c = sc.trial.split(n)
    return (ep.treatment["mean"] - ep.control["mean"]) / (
        ep.control["sd"] * math.sqrt(1 / n_t + 1 / n_c))


@pytest.mark.parametrize("rho", [0.5, 0.0, -0.3])
def test_power_all_is_the_bivariate_normal_probability(rho):
    sc = load_scenario("coprimary").with_values({"correlations.walk_m.sf36_pf": rho})
    res = power(sc, 400, reps=10000, seed=17)
    family = res.family
    assert family is not None and family.procedure == "none"
    crit = stats.t.ppf(0.975, 398)
    mu = [_noncentrality(sc, i, 400) for i in ("walk_m", "sf36_pf")]
    expected_all = _both_beyond(*mu, rho, crit)
    expected_any = 1 - _both_within(*mu, rho, crit)
    assert abs(family.power_all - expected_all) <= 4 * family.mcse_all, (family, expected_all)
    assert abs(family.power_any - expected_any) <= 4 * family.mcse_any, (family, expected_any)
    # each endpoint keeps its own unadjusted power
    for ep in res.endpoints:
        assert ep.power == ep.power_unadjusted


def test_power_any_under_the_global_null_is_the_unadjusted_familywise_error():
    sc = load_scenario("coprimary").with_values({"endpoints.walk_m.treatment.mean": 450.0,
                                                 "endpoints.sf36_pf.treatment.mean": 60.0})
    family = power(sc, 400, reps=20000, seed=23).family
    crit = stats.t.ppf(0.975, 398)
    fwer = 1 - _both_within(0.0, 0.0, 0.5, crit)  # 0.0895, below 1 - 0.95^2 = 0.0975
    assert abs(family.power_any - fwer) <= 4 * family.mcse_any
    assert 0.08 < fwer < 1 - 0.95**2


def test_samplesize_criterion_all_for_coprimary_endpoints():
    res = family_sample_size("coprimary", "all", 0.8, reps=2000, seed=5)
    assert res.procedure == "none" and res.criterion == "all"
    sc = load_scenario("coprimary")
    crit = stats.norm.ppf(0.975)
    mu = [_noncentrality(sc, i, res.n_total) for i in ("walk_m", "sf36_pf")]
    # the bivariate normal power at the n found is about the target (search at 2000 reps)
    assert abs(_both_beyond(*mu, 0.5, crit) - 0.8) < 0.04
