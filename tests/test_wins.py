"""Win statistics of hierarchical composites: the O(n log n) kernel against all pairs.

References: a brute-force O(m_t m_c) computation in numpy over every treatment-control pair
(written here, independently of the kernel) on random data sets with many ties; the published
examples of WRestimates (O'Donnell 2023, the R implementation of Yu & Ganju 2022,
doi:10.1002/sim.9297), vignette "Introduction to WRestimates" and R/sample_size.R:
``wr.ss(WR.true = 1.25, k = 0.5, p.tie = 0.1)$N`` = 1376, ``$sigma.sqr`` = 6.518519,
``wr.ss(WR.true = 1.5, k = 0.5, p.tie = 0.1)$N`` = 417,
``wr.power(N = 1000, WR.true = 1.25, k = 0.5, p.tie = 0.1)$power`` = 0.7892602,
``wr.ci(WR = 1.22, N = 1200, k = 0.5, p.tie = 0.04)``: var.ln.WR 0.004814815,
CI 1.064866 to 1.397735.
"""

import math
import re

import numpy as np
import pytest

from simtrial.endpoints.hierarchical import Component, population_wins
from simtrial.kernels.wins import simulate_wins, win_counts
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario
from simtrial.search import analytic_sample_size, detectable_effect
from simtrial.simulate import simulated_power
from simtrial.stattests import TESTS
from simtrial.stattests.wins import (
    yu_ganju_power,
    yu_ganju_sample_size,
    yu_ganju_sigma2,
)


def brute_force(scores, values, m_t, terminal, continuous, margin, times=None, timed=()):
    """(p_win, p_loss, var_win, var_loss, cov) over every pair, in numpy (the reference).

    A timed level's pairs of two patients at its terminal level are won by the later time."""
    t_scores, c_scores = scores[:m_t], scores[m_t:]
    m_c = len(c_scores)
    undecided = np.ones((m_t, m_c), bool)
    win = np.zeros((m_t, m_c), bool)
    loss = np.zeros((m_t, m_c), bool)
    for j in range(scores.shape[1]):
        a, b = t_scores[:, j][:, None], c_scores[:, j][None, :]
        win |= undecided & (a > b)
        loss |= undecided & (a < b)
        undecided &= a == b
        if terminal[j] >= 0:
            both = undecided & (a == terminal[j]) & (b == terminal[j])
            if j < len(timed) and timed[j]:
                t_time, c_time = times[j, :m_t][:, None], times[j, m_t:][None, :]
                win |= both & (c_time < t_time)
                loss |= both & (t_time < c_time)
            undecided &= ~both
    if continuous:
        a, b = values[:m_t][:, None], values[m_t:][None, :]
        win |= undecided & (b < a - margin)
        loss |= undecided & (a < b - margin)
    w, v = win.astype(float), loss.astype(float)
    p_w, p_l = w.sum() / (m_t * m_c), v.sum() / (m_t * m_c)

    def covariance(x, y):
        return (np.cov(x.mean(1), y.mean(1))[0, 1] / m_t
                + np.cov(x.mean(0), y.mean(0))[0, 1] / m_c)

    return p_w, p_l, covariance(w, w), covariance(v, v), covariance(w, v)


CASES = [  # (m_t, m_c, levels of the discrete components, terminal levels, continuous, margin,
    #          timed components)
    (260, 140, [2], [0], True, 3.0, [False]),
    (65, 35, [2, 4], [0, -1], True, 0.0, [False, False]),
    (30, 17, [3, 2], [-1, 1], False, 0.0, [False, False]),
    (40, 40, [], [], True, 5.0, []),
    (9, 2, [2, 3], [0, -1], True, 1.0, [False, False]),
    (2, 2, [2], [-1], False, 0.0, [False]),
    (260, 140, [2], [0], True, 3.0, [True]),  # time to death, then a continuous level
    (65, 35, [2, 3, 2], [0, -1, 1], False, 0.0, [True, False, True]),
    (7, 5, [2, 2], [1, 0], True, 0.0, [True, True]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_all_pairs(case, seed):
    m_t, m_c, levels, terminal, continuous, margin, timed = CASES[case]
    gen = np.random.default_rng(1000 * case + seed)
    m = m_t + m_c
    # Few levels and integer values: many ties at every level and at the margin's edge.
    scores = np.stack([gen.integers(0, size, m) for size in levels], axis=1) if levels \
        else np.zeros((m, 1), np.int64)
    values = gen.integers(0, 30, m).astype(float) + (seed % 2) * gen.normal(size=m)
    # Times of death on few days (ties between deaths) or continuous; NaN where not read.
    times = gen.integers(0, 5, (max(len(levels), 1), m)) + (seed % 2) * gen.random(
        (max(len(levels), 1), m))
    out = np.empty(7)
    win_counts(scores.astype(np.int64), values, times, m, m_t, np.array(levels, np.int64),
               np.array(terminal, np.int64), np.array(timed, bool), continuous, margin, out)
    expected = brute_force(scores[:, :len(levels)], values, m_t, terminal, continuous, margin,
                           times, timed)
    assert (out[0], out[1]) == (m_t, m_c)
    assert (out[2], out[3]) == expected[:2]  # exact: counts of pairs over m_t m_c
    np.testing.assert_allclose(out[4:], expected[2:], rtol=0, atol=1e-10)


@pytest.mark.parametrize("values", [
    [1e300, -1e300, 0.0, 5.0, -1e300, 1e300, 2.0, 0.0],  # the range overflows: one bucket
    [7.0] * 8,  # no range: one bucket
    [0.0, 5e-324, 1e-323, 0.0, 5e-324, 2e-323, 0.0, 1e-323],  # subnormal range
    [-np.inf, 1.0, np.inf, 0.0, np.inf, -np.inf, 3.0, 1.0],  # infinite values
])
def test_value_order_at_the_edges_of_the_buckets(values):
    """The values are ordered through equal-width buckets; any range gives the exact counts."""
    values = np.array(values)
    scores = np.zeros((8, 1), np.int64)
    out = np.empty(7)
    win_counts(scores, values, np.zeros((1, 8)), 8, 5, np.zeros(0, np.int64),
               np.zeros(0, np.int64), np.zeros(0, bool), True, 0.0, out)
    expected = brute_force(scores[:, :0], values, 5, [], True, 0.0)
    assert (out[2], out[3]) == expected[:2]
    np.testing.assert_allclose(out[4:], expected[2:], rtol=0, atol=1e-10)


def test_simulated_rows_match_their_patients():
    """One replicate of the simulating kernel equals the brute force on patients drawn alike."""
    components = (Component("death", "binary", "lower", {"p": 0.15}, {"p": 0.25}, terminal=True),
                  Component("vent", "ordinal", "lower", {"probs": (0.6, 0.3, 0.1)},
                            {"probs": (0.5, 0.3, 0.2)}),
                  Component("walk", "continuous", "higher", {"mean": 330.0, "sd": 90.0},
                            {"mean": 300.0, "sd": 100.0}, margin=20.0))
    from simtrial.endpoints.hierarchical import _kernel_arguments

    correlation = ((1, -0.3, -0.2), (-0.3, 1, 0.1), (-0.2, 0.1, 1))
    arguments = _kernel_arguments(components, correlation)
    lower, cuts, levels, normal = arguments[0], arguments[1], arguments[2], arguments[8]
    out = np.empty((1, 7))
    simulate_wins(np.random.default_rng(5), 26, 14, 0.0, 0.0, *arguments, out)
    # The same draws in numpy: per patient three normals, correlated, then cut.
    gen = np.random.default_rng(5)
    scores, values = [], []
    for arm, size in ((0, 26), (1, 14)):
        for _ in range(size):
            gen.random()  # the dropout uniform
            z = lower @ gen.standard_normal(3)
            raw = [int(np.sum(cuts[j, arm, :levels[j] - 1] < z[j])) for j in range(2)]
            scores.append([1 - raw[0], 2 - raw[1]])
            values.append(normal[arm, 0] + normal[arm, 1] * z[2])
    expected = brute_force(np.array(scores), np.array(values), 26, [0, -1], True, 20.0)
    assert tuple(out[0, 2:4]) == expected[:2]
    np.testing.assert_allclose(out[0, 4:], expected[2:], rtol=0, atol=1e-10)


def test_population_wins_exact_against_a_large_simulation():
    """The exact win and loss probabilities of independent components, within 4 SE."""
    components = (Component("death", "binary", "lower", {"p": 0.12}, {"p": 0.2}, terminal=True),
                  Component("walk", "continuous", "higher", {"mean": 330.0, "sd": 100.0},
                            {"mean": 300.0, "sd": 100.0}, margin=20.0))
    exact = population_wins(components, ((1.0, 0.0), (0.0, 1.0)))
    # By hand: 0.88 * 0.2 + 0.88 * 0.8 * Phi(10 / 141.42) and the loss likewise.
    from scipy.special import ndtr

    s = math.hypot(100, 100)
    assert exact[0] == pytest.approx(0.88 * 0.2 + 0.88 * 0.8 * ndtr(10 / s), abs=1e-15)
    assert exact[1] == pytest.approx(0.12 * 0.8 + 0.88 * 0.8 * ndtr(-50 / s), abs=1e-15)
    from simtrial.endpoints.hierarchical import _kernel_arguments

    out = np.empty((1, 7))
    simulate_wins(np.random.default_rng(3), 20000, 20000, 0.0, 0.0,
                  *_kernel_arguments(components, ((1.0, 0.0), (0.0, 1.0))), out)
    assert abs(out[0, 2] - exact[0]) < 4 * math.sqrt(out[0, 4])
    assert abs(out[0, 3] - exact[1]) < 4 * math.sqrt(out[0, 5])


def test_yu_ganju_reproduces_wrestimates():
    assert yu_ganju_sigma2(0.5, 0.1) == pytest.approx(6.518519, abs=5e-7)
    assert yu_ganju_sample_size(1.25, 0.1, 0.5, 0.05, 0.9) == 1376
    assert yu_ganju_sample_size(1.5, 0.1, 0.5, 0.05, 0.9) == 417
    assert yu_ganju_power(1000, 1.25, 0.1, 0.5, 0.05) == pytest.approx(0.7892602, abs=5e-8)
    var = yu_ganju_sigma2(0.5, 0.04) / 1200
    assert var == pytest.approx(0.004814815, abs=5e-10)
    ci = np.exp(np.log(1.22) + np.array([-1.96, 1.96]) * math.sqrt(var))
    np.testing.assert_allclose(ci, [1.064866, 1.397735], atol=5e-7)


INDEPENDENT = """
schema_version = 1
name = "wr"
[trial]
allocation = [{a_t}, {a_c}]
[[endpoints]]
id = "dw"
kind = "hierarchical"
test = "{test}"
better = "higher"
control = {{}}
treatment = {{{treatment}}}
[[endpoints.components]]
key = "death"
type = "binary"
better = "lower"
terminal = true
control = {{ p = 0.20 }}
treatment = {{ p = {p_t} }}
[[endpoints.components]]
key = "walk"
type = "continuous"
better = "higher"
margin = 20
control = {{ mean = 300.0, sd = 100.0 }}
treatment = {{ mean = {mean_t}, sd = 100.0 }}
"""


def scenario(test="winratio", a_t=65, a_c=35, p_t=0.12, mean_t=330.0, treatment=""):
    return parse_scenario(INDEPENDENT.format(test=test, a_t=a_t, a_c=a_c, p_t=p_t,
                                             mean_t=mean_t, treatment=treatment))


@pytest.mark.parametrize(("test", "n"), [("winratio", 400), ("winodds", 400),
                                         ("netbenefit", 400), ("winratio", 60),
                                         ("winodds", 60)])
def test_type_one_error_at_65_35_with_ties(test, n):
    """Under H0 (20% deaths tie each other; walk ties within the margin) each test rejects at
    most alpha + 3 MCSE: at n = 400 (measured 0.0498, 0.0498, 0.0524) and for the log-scale
    tests at n = 60 (0.0453, 0.0454). The net benefit's z test on its own scale is liberal at
    n = 60 (0.0604, 20,000 replicates): documented in simtrial.stattests.wins."""
    sc = scenario(test, p_t=0.2, mean_t=300.0)
    reps = 20_000
    res = simulated_power(sc, n, reps=reps, seed=11).endpoints[0]
    assert res.power <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_simulated_power_at_the_yu_ganju_n():
    """At Yu & Ganju's n for 80% power (true WR and ties exact), the simulated power is within
    0.03 of 0.8."""
    sc = scenario(a_t=1, a_c=1, p_t=0.14, mean_t=320.0)
    ep = sc.endpoint("dw")
    p_w, p_l = ep.model.win_probabilities(ep)
    n = analytic_sample_size(ep, sc.trial, 0.8, 100_000)
    # The search's closed-form n is the formula's N (or one more where the split rounds).
    assert n - yu_ganju_sample_size(p_w / p_l, 1 - p_w - p_l, 0.5, 0.05, 0.8) in (0, 1)
    res = simulated_power(sc, n, reps=10_000, seed=3).endpoints[0]
    assert abs(res.power - 0.8) <= 0.03


def test_win_ratio_scales_the_components_effects():
    sc = scenario(treatment="win_ratio = 1.3")
    ep = sc.endpoint("dw")
    assert ep.location_of("treatment") == pytest.approx(1.3, rel=1e-9)
    death, walk = ep.model.components(ep)
    assert 0.12 < death.treatment["p"] < 0.2 and 300 < walk.treatment["mean"] < 330
    with pytest.raises(Exception, match="cannot be reached"):
        scenario(treatment="win_ratio = 0.5").endpoint("dw").describe()


def test_detectable_win_ratio():
    sc = scenario()
    res = detectable_effect(sc, "dw", 300, 0.8, reps=600, seed=2)
    assert res.effect_scale == "ratio" and res.effect > 1 and res.power >= 0.8
    assert res.treatment_value == pytest.approx(res.effect)
    # The answer is a scenario number: power at it, simulated again, is the reported power.
    again = sc.with_values({"endpoints.dw.treatment.win_ratio": res.treatment_value})
    assert simulated_power(again, 300, reps=600, seed=2).endpoints[0].power == res.power


def test_tests_registered_and_closed_form():
    assert [TESTS[t].statistic.name for t in ("winratio", "winodds", "netbenefit")] == \
        ["wins"] * 3
    ep = load_scenario("hierarchical-winratio").endpoint("death_walk")
    power, why = TESTS["winratio"].closed_form(ep, 260, 140, 0.05, "two-sided")
    assert 0.8 < power < 0.95 and why is None


@pytest.mark.parametrize(("edit", "where"), [
    (("terminal = true\n", "terminal = true\nmargin = 3\n"), "components[0].margin"),
    (('key = "walk"', 'key = "death"'), "components[1].key"),
    (('key = "walk"', 'key = "Walk"'), "components[1].key"),
    (("control = {}", "control = { win_ratio = 1.2 }"), "endpoints[0].control"),
    (("margin = 20", "margin = -1"), "components[1].margin"),
    (("sd = 100.0 }\n", "sd = 0.0 }\n"), "components[1].control.sd"),
    (('type = "binary"', 'type = "count"'), "components[0].type"),
    (("correlation = -0.3", "correlation = 1.5"), "endpoints[0].correlation"),
    (("correlation = -0.3", "correlation = [[1, 0.2], [0.3, 1]]"), "endpoints[0].correlation"),
])
def test_reader_errors_name_the_component_key(edit, where):
    text = (load_scenario.__globals__["_SCENARIOS"] / "examples"
            / "hierarchical-winratio.toml").read_text()
    assert edit[0] in text
    full = where if where.startswith("endpoints") else f"endpoints[0].{where}"
    with pytest.raises(ScenarioError, match=re.escape(f"{full}:")):
        parse_scenario(text.replace(edit[0], edit[1], 1))


def test_continuous_component_must_be_last():
    text = INDEPENDENT.format(test="winratio", a_t=1, a_c=1, p_t=0.1, mean_t=310, treatment="")
    death, walk = text.split("[[endpoints.components]]")[1:]
    head = text.split("[[endpoints.components]]")[0]
    with pytest.raises(ScenarioError, match=r"endpoints\[0\]\.components\[0\]\.type"):
        parse_scenario(head + "[[endpoints.components]]" + walk + "[[endpoints.components]]"
                       + death)


# ---------------------------------------------------------------- time to death by day D

def death_time(hazards, breaks, hazards_t, breaks_t, day=28.0):
    return Component("death", "survival", "higher", {"hazards": hazards_t, "breaks": breaks_t},
                     {"hazards": hazards, "breaks": breaks}, terminal=True, day=day)


def test_survival_rows_match_their_patients():
    """One replicate with a time to death equals the brute force on patients drawn alike, the
    times of death by inverting the survival function in numpy (PiecewiseExponential.quantile,
    not the kernel's formula)."""
    from scipy.special import ndtr

    from simtrial.endpoints.hierarchical import _kernel_arguments

    components = (death_time((0.02, 0.008), (7.0,), (0.012, 0.006), (10.0,)),
                  Component("vent", "ordinal", "lower", {"probs": (0.6, 0.3, 0.1)},
                            {"probs": (0.5, 0.3, 0.2)}),
                  Component("walk", "continuous", "higher", {"mean": 330.0, "sd": 90.0},
                            {"mean": 300.0, "sd": 100.0}, margin=20.0))
    correlation = ((1, 0.3, -0.2), (0.3, 1, 0.1), (-0.2, 0.1, 1))
    arguments = _kernel_arguments(components, correlation)
    lower, cuts, levels, normal = arguments[0], arguments[1], arguments[2], arguments[8]
    for seed in range(3):
        out = np.empty((1, 7))
        simulate_wins(np.random.default_rng(seed), 160, 90, 0.0, 0.0, *arguments, out)
        gen = np.random.default_rng(seed)
        scores, values, times = [], [], []
        for arm, size in ((0, 160), (1, 90)):
            model = components[0].survival(("treatment", "control")[arm])
            for _ in range(size):
                gen.random()  # the dropout uniform
                z = lower @ gen.standard_normal(3)
                time = float(model.quantile(ndtr(-z[0])))
                vent = int(np.sum(cuts[1, arm, :levels[1] - 1] < z[1]))
                scores.append([0 if time < 28 else 1, 2 - vent])
                times.append(time)
                values.append(normal[arm, 0] + normal[arm, 1] * z[2])
        expected = brute_force(np.array(scores), np.array(values), 160, [0, -1], True, 20.0,
                               np.array([times, times]), [True, False])
        assert tuple(out[0, 2:4]) == expected[:2]
        np.testing.assert_allclose(out[0, 4:], expected[2:], rtol=0, atol=1e-10)


@pytest.mark.parametrize("arms", [((0.01,), (), (0.02,), ()),
                                  ((0.02, 0.008), (7.0,), (0.012, 0.006, 0.004), (3.0, 20.0)),
                                  ((0.001, 0.05), (27.0,), (0.03,), ())])
def test_survival_population_wins_against_quadrature(arms):
    """The closed form over the pieces equals numerical integration of f_c S_t (a win), f_t S_c
    (a loss) over [0, D], and both-alive is S_t(D) S_c(D)."""
    from scipy import integrate

    c = death_time(*arms)
    t_model, c_model = c.survival("treatment"), c.survival("control")

    def density(model, u):
        return float(model.hazard(u) * model.survival(u))

    points = sorted(set(t_model.breaks) | set(c_model.breaks))
    win = integrate.quad(lambda u: density(c_model, u) * float(t_model.survival(u)), 0, 28,
                         points=points or None, epsabs=1e-14, epsrel=1e-12)[0]
    loss = integrate.quad(lambda u: density(t_model, u) * float(c_model.survival(u)), 0, 28,
                          points=points or None, epsabs=1e-14, epsrel=1e-12)[0]
    exact = population_wins((c,), ((1.0,),))
    assert exact == pytest.approx((win, loss), abs=1e-12)
    # Two deaths never tie (continuous times): every pair is decided unless both survive.
    tie = float(t_model.survival(28) * c_model.survival(28))
    assert sum(exact) + tie == pytest.approx(1.0, abs=1e-12)


def test_survival_population_wins_against_a_large_simulation():
    components = (death_time((0.02, 0.008), (7.0,), (0.012, 0.006), (10.0,)),
                  Component("walk", "continuous", "higher", {"mean": 330.0, "sd": 100.0},
                            {"mean": 300.0, "sd": 100.0}, margin=20.0))
    from simtrial.endpoints.hierarchical import _kernel_arguments

    exact = population_wins(components, ((1.0, 0.0), (0.0, 1.0)))
    out = np.empty((1, 7))
    simulate_wins(np.random.default_rng(4), 20000, 20000, 0.0, 0.0,
                  *_kernel_arguments(components, ((1.0, 0.0), (0.0, 1.0))), out)
    assert abs(out[0, 2] - exact[0]) < 4 * math.sqrt(out[0, 4])
    assert abs(out[0, 3] - exact[1]) < 4 * math.sqrt(out[0, 5])


def survival_scenario(test="winratio", treatment_hazards="[0.01275106, 0.00637553]",
                      win_ratio=""):
    text = (load_scenario.__globals__["_SCENARIOS"] / "examples"
            / "hierarchical-survival.toml").read_text()
    text = text.replace("treatment = { hazards = [0.00730476, 0.00365238], breaks = [7] }",
                        f"treatment = {{ hazards = {treatment_hazards}, breaks = [7] }}")
    text = text.replace('test = "winratio"', f'test = "{test}"')
    text = text.replace("treatment = {}", f"treatment = {{{win_ratio}}}")
    return parse_scenario(text.replace("mean = 330.0", "mean = 300.0"))


@pytest.mark.parametrize(("test", "n"), [("winratio", 400), ("winodds", 400),
                                         ("netbenefit", 400), ("winratio", 60),
                                         ("winodds", 60)])
def test_survival_type_one_error_at_65_35(test, n):
    """Under H0 (the same piecewise hazards, the same walk; correlation -0.3) each test rejects
    at most alpha + 3 MCSE at 65:35: deaths compared on their times tie only at the same time,
    two survivors tie within the walk's margin. Measured (20,000 replicates): 0.0500, 0.0502,
    0.0526 at n = 400; 0.0435, 0.0436 at n = 60 (the net benefit there: 0.0587, liberal as
    with a binary death)."""
    reps = 20_000
    res = simulated_power(survival_scenario(test), n, reps=reps, seed=17).endpoints[0]
    assert res.power <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / reps)


def test_survival_win_ratio_scales_the_hazard_ratios():
    sc = survival_scenario(treatment_hazards="[0.00730476, 0.00365238]",
                           win_ratio="win_ratio = 1.25")
    ep = sc.endpoint("death_time_walk")
    assert ep.location_of("treatment") == pytest.approx(1.25, abs=2e-3)  # simulated population
    death = ep.model.components(ep)[0]
    # The walk has no effect here, so the deaths alone reach 1.25: more than the given effect.
    assert death.treatment["hazards"][0] < 0.00730476
    # One factor for every piece: the hazard ratios stay equal across the pieces.
    ratios = np.array(death.treatment["hazards"]) / np.array(death.control["hazards"])
    assert ratios[0] == pytest.approx(ratios[1], rel=1e-12)


@pytest.mark.parametrize(("edit", "where"), [
    (("day = 28\n", ""), "components[0].day"),
    (("day = 28\n", "day = 0\n"), "components[0].day"),
    (('better = "higher"\nday', 'better = "lower"\nday'), "components[0].better"),
    (("day = 28\n", "day = 28\nterminal = false\n"), "components[0].terminal"),
    (("breaks = [7] }\ntreatment", "breaks = [7, 14] }\ntreatment"),
     "components[0].control.breaks"),
    (("control = { hazards = [0.01275106, 0.00637553], breaks = [7] }", "control = { p = 0.2 }"),
     "components[0].control"),
    (("control = { hazards = [0.01275106, 0.00637553], breaks = [7] }",
      "control = { hazard = 0.008, breaks = [7] }"), "components[0].control"),
    (("control = { hazards = [0.01275106, 0.00637553], breaks = [7] }",
      "control = { hazard = 0.0 }"), "components[0].control.hazard"),
    (("margin = 20", "margin = 20\nday = 28"), "components[1].day"),
])
def test_survival_reader_errors(edit, where):
    text = (load_scenario.__globals__["_SCENARIOS"] / "examples"
            / "hierarchical-survival.toml").read_text()
    assert edit[0] in text
    with pytest.raises(ScenarioError, match=re.escape(f"endpoints[0].{where}:")):
        parse_scenario(text.replace(edit[0], edit[1], 1))
