"""Baseline adjustment: ANCOVA and the change-from-baseline t test (issue 21, item 1).

References: R lm on stored data sets (tests/reference/make_ancova_reference.R, to 1e-8), the
closed form of Borm, Fransen and Lemmens (J Clin Epidemiol 2007;60:1234-8: the t test at the
residual sd sigma sqrt(1 - rho^2) with one df fewer), and an independent R lm simulation.
Monte Carlo tolerances are 4 MCSE (type I error: alpha + 3 MCSE), with fixed seeds.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from simtrial import power
from simtrial.analytic import power_ttest
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.stattests.baseline import ancova, ancova_fit, change

REFERENCE = json.loads((Path(__file__).parent / "reference" / "ancova_reference.json")
                       .read_text())


def _stats(y, x, arm):
    row = []
    for a in (1, 0):
        yy, xx = y[arm == a], x[arm == a]
        row += [len(yy), yy.mean(), xx.mean(), ((yy - yy.mean()) ** 2).sum(),
                ((xx - xx.mean()) ** 2).sum(), ((xx - xx.mean()) * (yy - yy.mean())).sum()]
    return np.array([row])


@pytest.mark.parametrize("name", sorted(REFERENCE["datasets"]))
def test_ancova_and_change_equal_r_lm(name):
    ref = REFERENCE["datasets"][name]
    y, x, arm = (np.array(ref[k], dtype=float) for k in ("y", "x", "arm"))
    stats = _stats(y, x, arm)
    estimate, se, df = ancova_fit(stats)[0]
    assert estimate == pytest.approx(ref["estimate"], rel=1e-8, abs=1e-10)
    assert se == pytest.approx(ref["se"], rel=1e-8)
    assert df == ref["df"]
    assert ancova(stats, "two-sided", 1)[0] == pytest.approx(ref["p"], rel=1e-8, abs=1e-12)
    # one-sided in the direction of benefit: half the two-sided p-value on the right side
    one_sided = ancova(stats, "one-sided", int(np.sign(ref["t"])))[0]
    assert one_sided == pytest.approx(ref["p"] / 2, rel=1e-8, abs=1e-12)
    assert ancova_fit(stats, change=True)[0, 0] == pytest.approx(ref["change_estimate"],
                                                                 rel=1e-8, abs=1e-10)
    assert change(stats, "two-sided", 1)[0] == pytest.approx(ref["change_p"], rel=1e-8,
                                                             abs=1e-12)


def _scenario(n_effect, rho, test="ancova", dropout=0.0, alternative="two-sided", sd=10.0):
    return parse_scenario(f"""
schema_version = 1
name = "b"
[trial]
allocation = [65, 35]
alternative = "{alternative}"
[[endpoints]]
id = "y"
kind = "continuous"
test = "{test}"
better = "higher"
dropout = {dropout}
baseline = {{ rho = {rho} }}
control = {{ mean = 0.0, sd = {sd} }}
treatment = {{ mean = {n_effect}, sd = {sd} }}
""")


def _effect_for(n, rho, dropout=0.0, z=2.5, sd=10.0):
    """A difference whose ANCOVA power is about 0.7 at n (so the MCSE is informative)."""
    m_t, m_c = (k * (1 - dropout) for k in load_scenario("ancova-walk").trial.split(n))
    return z * sd * math.sqrt(1 - rho**2) * math.sqrt(1 / m_t + 1 / m_c)


@pytest.mark.parametrize(("n", "rho", "dropout"), [
    (60, 0.0, 0.0), (60, 0.8, 0.0), (200, 0.4, 0.0), (200, 0.6, 0.2), (600, 0.0, 0.0),
    (600, 0.8, 0.1), (100, 0.6, 0.0)])
def test_ancova_power_matches_borm_closed_form(n, rho, dropout):
    sc = _scenario(_effect_for(n, rho, dropout), rho, dropout=dropout)
    res = power(sc, n, reps=4000, seed=11).endpoints[0]
    assert abs(res.power - res.analytic_power) <= 4 * res.mcse, (res.power, res.analytic_power)


def test_ancova_closed_form_is_the_t_test_at_the_residual_sd_with_one_df_less():
    sc = _scenario(3.0, 0.6)
    res = power(sc, 100, reps=200, seed=1).endpoints[0]
    assert res.analytic_power == pytest.approx(
        power_ttest(3.0, 8.0, 65, 35, 0.05, covariates=1), rel=1e-12)
    assert power_ttest(3.0, 8.0, 65, 35, 0.05, covariates=1) < power_ttest(3.0, 8.0, 65, 35,
                                                                           0.05)


def test_change_power_matches_its_closed_form_and_is_below_ancova():
    rho, n = 0.5, 200
    effect = _effect_for(n, rho)
    change_res = power(_scenario(effect, rho, test="change"), n, reps=4000, seed=3).endpoints[0]
    ancova_res = power(_scenario(effect, rho), n, reps=4000, seed=3).endpoints[0]
    assert abs(change_res.power - change_res.analytic_power) <= 4 * change_res.mcse
    # change score sd is sigma sqrt(2 (1 - rho)) = sigma at rho = 0.5; ANCOVA's 0.866 sigma
    assert change_res.analytic_power == pytest.approx(
        power_ttest(effect, 10.0, 130, 70, 0.05), rel=1e-12)
    assert ancova_res.power > change_res.power + 4 * change_res.mcse


def test_ancova_power_matches_an_independent_r_lm_simulation():
    ref = REFERENCE["power_sim"]  # ancova_power(seed = 2026, reps = 20000, 20 vs 10, ...)
    sc = parse_scenario(f"""
schema_version = 1
name = "small"
[trial]
allocation = [2, 1]
[[endpoints]]
id = "y"
kind = "continuous"
test = "ancova"
better = "higher"
baseline = {{ rho = {ref["rho"]} }}
control = {{ mean = 0.0, sd = {ref["sd"]} }}
treatment = {{ mean = {ref["delta"]}, sd = {ref["sd"]} }}
""")
    res = power(sc, 30, reps=20000, seed=5).endpoints[0]
    mcse_r = math.sqrt(ref["power"] * (1 - ref["power"]) / ref["reps"])
    assert abs(res.power - ref["power"]) <= 4 * math.hypot(res.mcse, mcse_r), (res.power, ref)


@pytest.mark.parametrize(("test", "alternative"), [("ancova", "two-sided"),
                                                   ("ancova", "one-sided"),
                                                   ("change", "two-sided")])
def test_type_one_error_at_most_alpha(test, alternative):
    res = power(_scenario(0.0, 0.7, test=test, dropout=0.1, alternative=alternative), 60,
                reps=20000, seed=21).endpoints[0]
    assert res.power <= 0.05 + 3 * res.mcse


def test_score_ancova_type_one_error_and_gain_over_the_t_test():
    sc = load_scenario("ancova-walk")
    null = sc.with_values({"endpoints.sf36_gh.treatment.mean": 60.0})
    res = power(null, 200, reps=10000, seed=8, endpoints=["sf36_gh"]).endpoints[0]
    assert res.power <= 0.05 + 3 * res.mcse
    adjusted = power(sc, 200, reps=4000, seed=8, endpoints=["sf36_gh"]).endpoints[0]
    raw = parse_scenario(_without_baseline_score())
    unadjusted = power(raw, 200, reps=4000, seed=8).endpoints[0]
    assert adjusted.power > unadjusted.power + 4 * adjusted.mcse


def _without_baseline_score():
    return """
schema_version = 1
name = "raw"
[trial]
allocation = [65, 35]
[[endpoints]]
id = "sf36_gh"
kind = "score"
test = "ttest"
better = "higher"
dropout = 0.2
scale = { min = 0, max = 100, step = 5 }
control = { mean = 60.0, sd = 22.0 }
treatment = { mean = 68.0, sd = 22.0 }
"""


def test_baseline_rho_is_sweepable_and_keeps_provenance():
    sc = load_scenario("ancova-walk")
    assert sc.provenance["endpoints.walk_m.baseline.rho"].basis == "assumed"
    swept = sc.with_values({"endpoints.walk_m.baseline.rho": 0.3})
    assert swept.endpoint("walk_m").extra["baseline"]["rho"] == 0.3
    assert "endpoints.walk_m.baseline.rho" not in swept.provenance
    added = sc.with_values({"endpoints.walk_change.baseline.sd": 80.0})
    assert added.endpoint("walk_change").model.baseline_parameters(
        added.endpoint("walk_change")) == (450.0, 80.0, 0.6)


@pytest.mark.parametrize(("change", "message"), [
    ('test = "ancova"\n', 'baseline: is required for test = "ancova"'),
    ('test = "ttest"\nbaseline = { mean = 1.0 }\n', "baseline.rho: is required"),
    ('test = "ancova"\nbaseline = { rho = 1.0 }\n', "baseline.rho: 1.0 is out of range"),
    ('test = "ancova"\nbaseline = { rho = 0.5, slope = 1 }\n', "baseline.slope: unknown key"),
])
def test_baseline_errors_name_the_key(change, message):
    text = f"""
schema_version = 1
name = "bad"
[[endpoints]]
id = "y"
kind = "continuous"
{change}better = "higher"
control = {{ mean = 0.0, sd = 1.0 }}
treatment = {{ mean = 0.5, sd = 1.0 }}
"""
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(")):
        parse_scenario(text)


def test_a_correlated_ancova_endpoint_keeps_its_power_and_correlates_as_the_model_says():
    # walk_m (ANCOVA, baseline rho 0.6) and walk_change (change score) correlated at r = 0.5
    # with sf36 (a normal t test endpoint): the ANCOVA estimate y - b x correlates with the
    # other difference by r sqrt(1 - rho_b^2), as the baseline's latent is rho_b z + noise.
    r, rho_b, n = 0.5, 0.6, 300
    sc = parse_scenario(f"""
schema_version = 1
name = "pair"
[trial]
allocation = [1, 1]
[analysis]
multiplicity = "none"
family = ["walk", "qol"]
[[endpoints]]
id = "walk"
kind = "continuous"
test = "ancova"
better = "higher"
baseline = {{ rho = {rho_b}, mean = 400.0, sd = 50.0 }}
control = {{ mean = 0.0, sd = 10.0 }}
treatment = {{ mean = 2.0, sd = 10.0 }}
[[endpoints]]
id = "qol"
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 0.0, sd = 10.0 }}
treatment = {{ mean = 2.5, sd = 10.0 }}
[[correlations]]
endpoints = ["walk", "qol"]
rho = {r}
""")
    res = power(sc, n, reps=10000, seed=31)
    walk = res.endpoint("walk")
    assert abs(walk.power - walk.analytic_power) <= 4 * walk.mcse
    from scipy import stats

    half = 1 / math.sqrt(1 / 150 + 1 / 150)
    mu = (2.0 / (10 * math.sqrt(1 - rho_b**2)) * half, 2.5 / 10 * half)
    corr = r * math.sqrt(1 - rho_b**2)
    crit = stats.t.ppf(0.975, n - 3)
    both = sum(stats.multivariate_normal.cdf([-crit, -crit], mean=[-s1 * mu[0], -s2 * mu[1]],
                                             cov=[[1, s1 * s2 * corr], [s1 * s2 * corr, 1]])
               for s1 in (1, -1) for s2 in (1, -1))
    assert abs(res.family.power_all - both) <= 4 * res.family.mcse_all, (res.family, both)
    null = sc.with_values({"endpoints.walk.treatment.mean": 0.0})
    assert power(null, n, reps=20000, seed=32).endpoint("walk").power <= 0.05 + 3 * math.sqrt(
        0.05 * 0.95 / 20000)


def test_a_correlated_baseline_score_endpoint_runs_and_holds_its_level():
    sc = load_scenario("ancova-walk").with_values({"correlations.walk_m.sf36_gh": 0.3,
                                                   "endpoints.sf36_gh.treatment.mean": 60.0})
    res = power(sc, 200, reps=10000, seed=4).endpoint("sf36_gh")
    assert res.power <= 0.05 + 3 * res.mcse


def test_adjustment_comparison_simulated_sample_sizes_follow_the_closed_forms():
    from simtrial.adjustment import adjustment_comparison

    res = adjustment_comparison("ancova-walk", "walk_m", 0.8, reps=2000, seed=3)
    by_test = {a["test"]: a for a in res["analyses"]}
    assert by_test["ancova"]["n_simulated"] < by_test["change"]["n_simulated"] < by_test[
        "ttest"]["n_simulated"]
    for analysis in res["analyses"]:  # within 6% of the closed form at 2000 replicates
        assert abs(analysis["n_simulated"] / analysis["n_closed_form"] - 1) < 0.06, analysis


def test_an_impossible_baseline_score_fails_at_load():
    with pytest.raises(ScenarioError, match=r"endpoints\[2\].baseline: "):
        load_scenario("ancova-walk").with_values({"endpoints.sf36_gh.baseline.mean": 150.0})
