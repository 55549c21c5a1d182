"""Bounded scores, ordinal scales, log-normal titres and rare safety events.

How each is validated: fitted parameters reproduce the summaries they come from (hypothesis);
generators stay on their grid; simulated power is compared with an independent, obvious
re-implementation (numpy draws patient by patient, scipy.stats.mannwhitneyu) or a closed form
(the t test on log titres) within 4 Monte Carlo SE; type I error at zero effect lies within
alpha +- 3 MCSE for every test and distribution, MCSE = sqrt(alpha (1 - alpha) / reps).
"""

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario_text
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from simtrial.display import power_table
from simtrial.distributions import (
    fit_score,
    level_probabilities,
    score_levels,
    score_probabilities,
    score_quantile,
    score_summary,
)
from simtrial.kernels.grid import moments_from_counts
from simtrial.kernels.ranks import _guide_table, level_counts
from simtrial.safety import prob_at_least_one
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.simulate import power

EXAMPLES = sorted((Path(__file__).parents[1] / "scenarios" / "examples").glob("*.toml"))
REPS = 4000


def endpoint(kind, test, control, treatment, extra="", distribution="", alternative="two-sided"):
    dist = f'distribution = "{distribution}"\n' if distribution else ""
    return parse_scenario(scenario_text(f"""
        [[endpoints]]
        id = "y"
        kind = "{kind}"
        {dist}test = "{test}"
        better = "higher"
        dropout = {{ treatment = 0.1, control = 0.2 }}
        {extra}
        control = {control}
        treatment = {treatment}
    """, trial=f"allocation = [65, 35]\nalternative = \"{alternative}\"\n"))


SCALE = "scale = { min = 0, max = 100, step = 25 }"
NULL_CASES = {
    "normal-mannwhitney": ("continuous", "mannwhitney", "{ mean = 0.0, sd = 1.0 }", ""),
    "lognormal-ttest": ("continuous", "ttest", "{ gmean = 128.0, gsd = 2.8 }", "lognormal"),
    "lognormal-welch": ("continuous", "welch", "{ gmean = 128.0, gsd = 2.8 }", "lognormal"),
    "lognormal-mannwhitney": ("continuous", "mannwhitney", "{ gmean = 128.0, gsd = 2.8 }",
                              "lognormal"),
    # 5 levels, a third of patients at the ceiling: heavily tied
    "score-ceiling": ("score", "mannwhitney", "{ mean = 70.0, sd = 30.0 }", ""),
    "score-quartiles": ("score", "mannwhitney", "{ median = 50.0, q1 = 25.0, q3 = 75.0 }", ""),
    "score-ceiling-ttest": ("score", "ttest", "{ mean = 70.0, sd = 30.0 }", ""),
    "score-ceiling-welch": ("score", "welch", "{ mean = 70.0, sd = 30.0 }", ""),
    "ordinal-3": ("ordinal", "mannwhitney", "{ probs = [0.2, 0.5, 0.3] }", ""),
}


# Welch's one-sided test on a ceiling-skewed score with unequal arms has a true size of about
# 0.045, not 0.05 (scipy agrees: test_welch_one_sided_size_on_skewed_score_equals_scipy).
NULL_RUNS = [(case, alternative) for case in NULL_CASES
             for alternative in ("two-sided", "one-sided")
             if (case, alternative) != ("score-ceiling-welch", "one-sided")]


@pytest.mark.parametrize("case, alternative", NULL_RUNS)
def test_type_i_error_within_3_mcse(case, alternative):
    # 50000 replicates (the kernels make this about a second): 3 MCSE = 0.0029
    kind, test, arm, dist = NULL_CASES[case]
    sc = endpoint(kind, test, arm, arm, SCALE if kind == "score" else "", dist, alternative)
    res = power(sc, 200, reps=50_000, seed=2024).endpoints[0]
    mcse = math.sqrt(0.05 * 0.95 / 50_000)
    assert abs(res.power - 0.05) < 3 * mcse, res.power


SCIPY_TESTS = {
    "mannwhitney": lambda x, y: stats.mannwhitneyu(x, y, method="asymptotic").pvalue,
    "ttest": lambda x, y: stats.ttest_ind(x, y).pvalue,
    "welch": lambda x, y: stats.ttest_ind(x, y, equal_var=False).pvalue,
}


def test_welch_one_sided_size_on_skewed_score_equals_scipy():
    # Reference: the same score drawn as (reps, m) arrays of levels for the expected numbers
    # assessed (117 and 56), scipy.stats.ttest_ind(equal_var=False, alternative="greater").
    kind, test, arm, _ = NULL_CASES["score-ceiling-welch"]
    sc = endpoint(kind, test, arm, arm, SCALE, alternative="one-sided")
    ep = sc.endpoints[0]
    res = power(sc, 200, reps=50_000, seed=2024).endpoints[0]
    gen = np.random.default_rng(0)
    levels, probs = score_levels(*ep.scale), level_probabilities(ep, "control")
    x = gen.choice(levels, (50_000, 117), p=probs)
    y = gen.choice(levels, (50_000, 56), p=probs)
    ref = float(np.mean(stats.ttest_ind(x, y, axis=1, equal_var=False,
                                        alternative="greater").pvalue <= 0.05))
    assert ref < 0.05 - 3 * math.sqrt(0.05 * 0.95 / 50_000)  # the size really is below alpha
    assert abs(res.power - ref) < 4 * math.hypot(res.mcse, math.sqrt(ref * (1 - ref) / 50_000))


def slow_grid_power(test, levels, p_t, p_c, n_t, n_c, drop, reps, seed):
    """Power by drawing every patient's dropout and level with numpy and testing with scipy."""
    gen = np.random.default_rng(seed)
    rejections = 0
    for _ in range(reps):
        x = gen.choice(levels, n_t, p=p_t)[gen.random(n_t) >= drop[0]]
        y = gen.choice(levels, n_c, p=p_c)[gen.random(n_c) >= drop[1]]
        rejections += SCIPY_TESTS[test](x, y) <= 0.05
    return rejections / reps


@pytest.mark.parametrize("kind, test, extra, control, treatment", [
    ("score", "mannwhitney", "scale = { min = 0, max = 100, step = 5 }",
     "{ mean = 50.0, sd = 24.87 }", "{ mean = 58.0, sd = 24.87 }"),
    ("score", "ttest", "scale = { min = 0, max = 100, step = 25 }",
     "{ mean = 70.0, sd = 30.0 }", "{ mean = 78.0, sd = 25.0 }"),
    ("score", "welch", "scale = { min = 0, max = 100, step = 25 }",
     "{ mean = 70.0, sd = 30.0 }", "{ mean = 78.0, sd = 25.0 }"),
    ("ordinal", "mannwhitney", "", "{ probs = [0.3, 0.4, 0.2, 0.1] }",
     "{ probs = [0.2, 0.4, 0.25, 0.15] }"),
])
def test_power_equals_patient_by_patient_scipy_simulation(kind, test, extra, control,
                                                          treatment):
    sc = endpoint(kind, test, control, treatment, extra)
    ep = sc.endpoints[0]
    fast = power(sc, 200, reps=REPS, seed=5).endpoints[0]
    levels = (score_levels(*ep.scale) if kind == "score"
              else np.arange(len(level_probabilities(ep, "control"))))
    slow = slow_grid_power(test, levels, level_probabilities(ep, "treatment"),
                           level_probabilities(ep, "control"), 130, 70, ep.dropout, 2000, 6)
    mcse = math.hypot(fast.mcse, math.sqrt(slow * (1 - slow) / 2000))
    assert abs(fast.power - slow) < 4 * mcse, (fast.power, slow)


def test_lognormal_t_test_power_equals_closed_form_on_log_scale():
    # log titres are normal: power is the noncentral t power with delta = log(1.5),
    # sd = log(2.8), within 4 MCSE (the analytic column computes it at the expected numbers).
    sc = endpoint("continuous", "ttest", "{ gmean = 100.0, gsd = 2.8 }",
                  "{ gmean = 150.0, gsd = 2.8 }", distribution="lognormal")
    res = power(sc, 200, reps=REPS, seed=9).endpoints[0]
    assert abs(res.power - res.analytic_power) < 4 * res.mcse
    assert res.effect == "gmean 150 vs 100 (ratio 1.5)"


@settings(max_examples=60, deadline=None)
@given(st.floats(5, 95), st.floats(3, 45), st.sampled_from([1.0, 5.0, 10.0]))
def test_property_mean_sd_fit_reproduces_them(mean, sd, step):
    # Feasible: below the largest SD on [0, 100] and at least a grid step (a smaller SD cannot
    # be reached on a coarse grid unless the mean is on or half-way between levels).
    assume(step <= sd < 0.9 * math.sqrt((mean - 0) * (100 - mean)))
    mu, sigma = fit_score(0, 100, step, {"mean": mean, "sd": sd})
    probs = score_probabilities(0, 100, step, mu, sigma)
    got_mean, got_sd = score_summary(score_levels(0, 100, step), probs)
    assert got_mean == pytest.approx(mean, abs=1e-6)
    assert got_sd == pytest.approx(sd, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 18), st.integers(1, 8), st.integers(-1, 1))
def test_property_quartile_fit_reproduces_them(median, half_iqr, skew):
    # Levels 0, 5, ..., 100; quartiles at most one step from symmetric, clipped to the scale.
    med = 5.0 * median
    q1, q3 = max(0.0, med - 5.0 * half_iqr), min(100.0, med + 5.0 * (half_iqr + skew))
    assume(q1 < q3 and q1 <= med <= q3)
    levels = score_levels(0, 100, 5)
    try:
        mu, sigma = fit_score(0, 100, 5, {"median": med, "q1": q1, "q3": q3})
    except ValueError as exc:
        assert "too asymmetric" in str(exc)
        assume(False)
    probs = score_probabilities(0, 100, 5, mu, sigma)
    assert [score_quantile(levels, probs, q) for q in (0.25, 0.5, 0.75)] == [q1, med, q3]


def test_symmetric_quartiles_always_fit():
    for med, q1, q3 in [(50, 35, 65), (80, 60, 100), (10, 0, 20), (67, 52, 82)]:
        fit_score(0, 100, 1, {"median": med, "q1": q1, "q3": q3})


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 300), st.floats(0, 0.9),
       st.lists(st.floats(0, 1), min_size=2, max_size=25))
def test_property_generator_stays_on_the_grid(seed, n, drop, weights):
    assume(sum(weights) > 0)
    probs = np.array(weights) / sum(weights)
    counts = np.empty(len(probs), np.int64)
    cdf, guide = _guide_table(probs)
    assessed = level_counts(np.random.default_rng(seed), n, drop, cdf, guide, counts)
    assert 0 <= assessed <= n and counts.sum() == assessed
    assert (counts >= 0).all() and (counts[probs == 0] == 0).all()


def test_generator_frequencies_match_level_probabilities():
    # 200000 draws: each level's share within 4 binomial SE of its probability.
    probs = score_probabilities(0, 100, 25, 70, 30)
    counts = np.empty(5, np.int64)
    total = np.zeros(5)
    gen = np.random.default_rng(1)
    cdf, guide = _guide_table(probs)
    for _ in range(2000):
        level_counts(gen, 100, 0.0, cdf, guide, counts)
        total += counts
    se = np.sqrt(probs * (1 - probs) / 200_000)
    assert (np.abs(total / 200_000 - probs) < 4 * se).all()


def test_score_levels_and_probabilities_respect_bounds():
    probs = score_probabilities(0, 100, 5, 90, 30)
    assert len(probs) == 21 and (probs >= 0).all() and probs.sum() == pytest.approx(1, abs=1e-15)
    assert probs[-1] == pytest.approx(1 - stats.norm.cdf(97.5, 90, 30))  # ceiling mass
    assert probs[0] == pytest.approx(stats.norm.cdf(2.5, 90, 30))  # floor mass


def test_prob_at_least_one_equals_enumeration_over_assessed():
    # P(>= 1) = 1 - E[(1 - p)^M], M ~ Binomial(n, 1 - dropout), summed with scipy.
    m = np.arange(81)
    want = 1 - float(stats.binom.pmf(m, 80, 0.75) @ (1 - 0.03) ** m)
    assert prob_at_least_one(80, 0.03, 0.25) == pytest.approx(want, rel=1e-12)


def test_safety_summary_in_results_and_table():
    sc = parse_scenario(scenario_text("""
        [[endpoints]]
        id = "ae"
        kind = "safety"
        test = "fisher"
        better = "lower"
        control = { p = 0.01 }
        treatment = { p = 0.04 }
    """, trial="allocation = [65, 35]\narms = [\"MSC\", \"placebo\"]\n"))
    res = power(sc, 200, reps=500)
    safety = res.to_dict()["endpoints"][0]["safety"]
    assert safety["assessed"] == {"treatment": 130, "control": 70}
    assert safety["p_any_event"]["control"] == pytest.approx(1 - 0.99**70)
    # Clopper-Pearson after 0/70: 1 - 0.05^(1/70)
    assert safety["zero_event_upper_bound"]["control"] == pytest.approx(1 - 0.05 ** (1 / 70))
    assert "safety [ae] placebo: P(at least one event) = 0.5052" in power_table(res)
    assert power("msc-covid19", 100, reps=100, endpoints=["walk_m"]).to_dict()[
        "endpoints"][0]["safety"] is None


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_scenarios_load_and_run(path):
    sc = load_scenario(path)
    res = power(sc, 120, reps=300, seed=1)
    assert all(0 <= e.power <= 1 for e in res.endpoints)


def test_every_new_distribution_has_an_example():
    shown = {(e.kind, e.distribution) for p in EXAMPLES for e in load_scenario(p).endpoints}
    assert {("continuous", "lognormal"), ("score", "discretised_normal"),
            ("ordinal", "categorical"), ("safety", "bernoulli")} <= shown


@pytest.mark.parametrize("kind, extra, arm, message", [
    ("score", "", "{ mean = 50.0, sd = 20.0 }", r"endpoints\[0\]\.scale: must be a table"),
    ("score", "scale = { min = 0, max = 100, step = 7 }", "{ mean = 50.0, sd = 20.0 }",
     r"endpoints\[0\]\.scale: .*whole number of steps"),
    ("score", SCALE, "{ mean = 50.0, sd = 60.0 }", r"endpoints\[0\]\.treatment: .*impossible"),
    ("score", SCALE, "{ mean = 50.0, median = 50.0 }", r"endpoints\[0\]\.treatment\.median: "
     r"unknown key \(allowed: mean, sd\)"),
    ("score", SCALE, "{ median = 50.0, q1 = 25.0, q3 = 100.0 }", "too asymmetric"),
    ("score", SCALE, "{ median = 40.0, q1 = 25.0, q3 = 75.0 }", r"`median` = 40.0 must be a "
     r"level"),
    ("continuous", SCALE, "{ mean = 50.0, sd = 20.0 }", r"scale: is only allowed for kind"),
    ("ordinal", "", "{ probs = [0.5, 0.6] }", r"treatment\.probs: .* summing to 1"),
    ("ordinal", "", "{ probs = [1.0] }", r"treatment\.probs: .*at least 2"),
])
def test_schema_errors_name_the_key(kind, extra, arm, message):
    with pytest.raises(ScenarioError, match=message):
        endpoint(kind, "mannwhitney", arm, arm, extra)


def test_lognormal_gsd_must_exceed_one_and_ordinal_allows_rank_and_po_tests():
    with pytest.raises(ScenarioError, match=r"control\.gsd: 1.0 is out of range .*> 1"):
        endpoint("continuous", "ttest", "{ gmean = 1.0, gsd = 1.0 }",
                 "{ gmean = 1.0, gsd = 2.0 }", distribution="lognormal")
    with pytest.raises(ScenarioError, match=r"test: 'ttest' is not allowed \(allowed: "
                                            r"mannwhitney, po\)"):
        endpoint("ordinal", "ttest", "{ probs = [0.5, 0.5] }", "{ probs = [0.5, 0.5] }")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=12), st.floats(-10, 10),
       st.sampled_from([0.5, 1.0, 5.0]))
def test_property_moments_from_counts_equal_numpy(counts, low, step):
    levels = low + step * np.arange(len(counts))
    counts = np.array(counts, np.int64)
    m = int(counts.sum())
    mean, ss = moments_from_counts(levels, counts, m)
    if m == 0:
        assert (mean, ss) == (0.0, 0.0)
        return
    values = np.repeat(levels, counts)
    assert mean == pytest.approx(values.mean(), rel=1e-12, abs=1e-12)
    assert ss == pytest.approx(((values - values.mean()) ** 2).sum(), rel=1e-9, abs=1e-9)


def test_readme_complete_example_loads_and_runs():
    text = (Path(__file__).parents[1] / "scenarios" / "README.md").read_text()
    example = text.split("## A complete example")[1].split("```toml")[1].split("```")[0]
    sc = parse_scenario(example, source="scenarios/README.md")
    assert [e.kind for e in sc.endpoints] == ["binary", "score"]
    assert power(sc, 200, reps=300).endpoint("gh_score").power > 0


@settings(max_examples=100, deadline=None)
@given(st.integers(-50, 50), st.integers(1, 40), st.sampled_from([0.5, 1.0, 2.5, 5.0]),
       st.floats(-100, 200), st.floats(0.01, 100))
def test_property_score_distribution_lives_on_its_grid(low, steps, step, mu, sigma):
    levels = score_levels(low, low + steps * step, step)
    probs = score_probabilities(low, low + steps * step, step, mu, sigma)
    assert len(levels) == len(probs) == steps + 1
    assert levels[0] == low and levels[-1] == pytest.approx(low + steps * step)
    np.testing.assert_allclose(np.diff(levels), step)
    assert (probs >= 0).all() and probs.sum() == pytest.approx(1.0, abs=1e-12)
