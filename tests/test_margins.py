"""Non-inferiority and superiority margins (issue 21, item 2).

Means: the shifted one-sided t test, whose power is pwr's one-sided t power at the shifted
effect (R values in tests/reference/ancova_reference.json, with their calls). Proportions: the
Farrington-Manning score test, whose exact power (simtrial.exact) equals an independent
enumeration written here in numpy (restricted MLE by bisection on the score equation, not the
closed-form cubic) to 1e-8, and whose simulated power is within 4 MCSE of it. Type I error at
the margin: at most alpha + 3 MCSE. Fixed seeds throughout.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from simtrial import power
from simtrial.exact import binary_exact_power
from simtrial.scenario import ScenarioError, load_scenario, parse_scenario

REFERENCE = json.loads((Path(__file__).parent / "reference" / "ancova_reference.json")
                       .read_text())


def _restricted_mle(m_t, x_t, m_c, x_c, delta):
    """MLE of (p_t, p_c) under p_t - p_c = delta, by bisection on the profile score in p_c."""
    lo = np.full(np.broadcast(m_t, x_t, m_c, x_c).shape, max(0.0, -delta))
    hi = np.full(lo.shape, min(1.0, 1.0 - delta))

    def score(p):  # d/dp of the binomial log-likelihoods at p_c = p, p_t = p + delta
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = (np.where(x_t > 0, x_t / (p + delta), 0.0)
                     - np.where(m_t - x_t > 0, (m_t - x_t) / (1 - p - delta), 0.0)
                     + np.where(x_c > 0, x_c / p, 0.0)
                     - np.where(m_c - x_c > 0, (m_c - x_c) / (1 - p), 0.0))
        return terms

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        up = score(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    p_c = 0.5 * (lo + hi)
    return p_c + delta, p_c


def _fm_rejects(m_t, m_c, delta, sign, alpha):
    """Boolean (m_t + 1, m_c + 1) table: whether each 2x2 table rejects at one-sided alpha."""
    x_t, x_c = np.meshgrid(np.arange(m_t + 1), np.arange(m_c + 1), indexing="ij")
    r_t, r_c = _restricted_mle(m_t, x_t, m_c, x_c, delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x_t / m_t - x_c / m_c - delta) / np.sqrt(r_t * (1 - r_t) / m_t
                                                      + r_c * (1 - r_c) / m_c)
    return np.nan_to_num(sign * z, nan=-np.inf) >= special.ndtri(1 - alpha)


def _enumerated_power(n_t, n_c, p_t, p_c, alpha, sign, delta, drop_t=0.0, drop_c=0.0):
    total = 0.0
    for m_t in range(1, n_t + 1):
        w_t = stats.binom.pmf(m_t, n_t, 1 - drop_t)
        if w_t < 1e-15:
            continue
        for m_c in range(1, n_c + 1):
            w_c = stats.binom.pmf(m_c, n_c, 1 - drop_c)
            if w_c < 1e-15:
                continue
            reject = _fm_rejects(m_t, m_c, delta, sign, alpha)
            pmf_t = stats.binom.pmf(np.arange(m_t + 1), m_t, p_t)
            pmf_c = stats.binom.pmf(np.arange(m_c + 1), m_c, p_c)
            total += w_t * w_c * float(pmf_t @ reject @ pmf_c)
    return total


@pytest.mark.parametrize(("n_t", "n_c", "p_t", "p_c", "sign", "delta", "drops"), [
    (100, 100, 0.2, 0.2, -1, 0.10, (0.0, 0.0)),     # lower is better: NI margin +0.10
    (130, 70, 0.75, 0.8, 1, -0.12, (0.0, 0.0)),     # higher is better: NI margin -0.12
    (60, 60, 0.5, 0.3, 1, 0.05, (0.0, 0.0)),        # superiority by a margin
    (24, 18, 0.3, 0.3, -1, 0.2, (0.1, 0.15)),       # with dropout
])
def test_farrington_manning_exact_power_equals_an_independent_enumeration(
        n_t, n_c, p_t, p_c, sign, delta, drops):
    ours = binary_exact_power("chisq", n_t, n_c, p_t, p_c, 0.025, *drops,
                              alternative="one-sided", sign=sign, margin=delta)
    theirs = _enumerated_power(n_t, n_c, p_t, p_c, 0.025, sign, delta, *drops)
    assert ours == pytest.approx(theirs, abs=1e-8)


def _binary(p_t, p_c, margin, better="lower", dropout=0.0, allocation="[1, 1]"):
    return parse_scenario(f"""
schema_version = 1
name = "ni"
[trial]
allocation = {allocation}
alpha = 0.025
alternative = "one-sided"
[[endpoints]]
id = "y"
kind = "binary"
test = "chisq"
better = "{better}"
margin = {margin}
dropout = {dropout}
control = {{ p = {p_c} }}
treatment = {{ p = {p_t} }}
""")


@pytest.mark.parametrize(("p_t", "p_c", "margin", "better", "n", "dropout"), [
    (0.2, 0.2, 0.10, "lower", 400, 0.0), (0.75, 0.8, -0.12, "higher", 300, 0.1)])
def test_farrington_manning_simulated_power_matches_exact(p_t, p_c, margin, better, n, dropout):
    res = power(_binary(p_t, p_c, margin, better, dropout), n, reps=10000, seed=4).endpoints[0]
    assert abs(res.power - res.exact_power) <= 4 * res.mcse, (res.power, res.exact_power)
    assert abs(res.power - res.analytic_power) < 0.03  # the normal approximation, roughly


@pytest.mark.parametrize(("p_c", "margin", "better"), [(0.2, 0.1, "lower"),
                                                       (0.8, -0.12, "higher")])
def test_farrington_manning_type_one_error_at_the_margin(p_c, margin, better):
    res = power(_binary(p_c + margin, p_c, margin, better), 300, reps=20000,
                seed=9).endpoints[0]
    assert res.power <= 0.025 + 3 * res.mcse
    assert res.exact_power <= 0.025 + 0.01  # the score test is close to its level


def _means(diff, margin, sd, test="ttest", extra="", allocation="[1, 1]"):
    return parse_scenario(f"""
schema_version = 1
name = "ni"
[trial]
allocation = {allocation}
alpha = 0.025
alternative = "one-sided"
[[endpoints]]
id = "y"
kind = "continuous"
test = "{test}"
better = "higher"
margin = {margin}
{extra}control = {{ mean = 100.0, sd = {sd} }}
treatment = {{ mean = {100.0 + diff}, sd = {sd} }}
""")


@pytest.mark.parametrize("case", REFERENCE["pwr_noninferiority"], ids=lambda c: c["call"][:40])
def test_noninferiority_t_power_equals_pwr_at_the_shifted_effect(case):
    # e.g. pwr.t2n.test(n1 = 100, n2 = 100, d = (0 - (-15)) / 60, sig.level = 0.025,
    #                   alternative = "greater")$power
    n1, n2 = case["n1"], case["n2"]
    sc = _means(case["diff"], case["margin"], case["sd"], allocation=f"[{n1}, {n2}]")
    res = power(sc, n1 + n2, reps=10000, seed=12).endpoints[0]
    assert res.analytic_power == pytest.approx(case["power"], abs=1e-8)
    assert abs(res.power - case["power"]) <= 4 * res.mcse


@pytest.mark.parametrize("test", ["ttest", "welch", "ancova", "change"])
def test_means_type_one_error_at_the_margin(test):
    extra = "baseline = { rho = 0.5 }\n" if test in ("ancova", "change") else ""
    res = power(_means(-8.0, -8.0, 20.0, test, extra), 120, reps=20000, seed=2).endpoints[0]
    assert res.power <= 0.025 + 3 * res.mcse
    assert res.power >= 0.025 - 4 * res.mcse  # and it is the level, not conservative


def test_lognormal_margin_is_a_ratio_tested_on_the_log_scale():
    sc = parse_scenario("""
schema_version = 1
name = "titre"
[trial]
alpha = 0.025
alternative = "one-sided"
[[endpoints]]
id = "titre"
kind = "continuous"
distribution = "lognormal"
test = "ttest"
better = "higher"
margin = 0.67
control = { gmean = 100.0, gsd = 3.0 }
treatment = { gmean = 100.0, gsd = 3.0 }
""")
    ep = sc.endpoints[0]
    assert ep.model.test_margin(ep) == pytest.approx(math.log(0.67))
    res = power(sc, 300, reps=10000, seed=6).endpoints[0]
    assert abs(res.power - res.analytic_power) <= 4 * res.mcse


def test_the_example_scenario_runs():
    res = power(load_scenario("noninferiority-safety"), 400, reps=2000, seed=1)
    for ep in res.endpoints:
        assert abs(ep.power - ep.analytic_power) < 0.05


_BINARY_Y = """
[[endpoints]]
id = "y"
kind = "binary"
test = "TEST"
better = "lower"
margin = 0.1
control = { p = 0.2 }
treatment = { p = 0.2 }
"""


@pytest.mark.parametrize(("alternative", "test", "message"), [
    ("two-sided", "chisq", r"endpoints\[0\].margin: a margin is tested one-sided"),
    ("one-sided", "fisher",
     r"endpoints\[0\].margin: the fisher test of a bernoulli endpoint takes no margin"),
])
def test_margin_errors_name_the_key(alternative, test, message):
    text = (f'schema_version = 1\nname = "bad"\n[trial]\nalternative = "{alternative}"\n'
            + _BINARY_Y.replace("TEST", test))
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(text)


def test_a_margin_with_a_group_sequential_design_is_refused():
    text = ('schema_version = 1\nname = "bad"\n[trial]\nalternative = "one-sided"\n'
            '[design]\nlooks = [0.5, 1.0]\n' + _BINARY_Y.replace("TEST", "chisq"))
    with pytest.raises(ScenarioError, match=r"endpoints\[0\].margin: a group-sequential"):
        parse_scenario(text)


def test_a_risk_difference_margin_outside_minus_one_to_one_is_refused():
    with pytest.raises(ScenarioError, match=r"margin: 1.5 is out of range \(allowed: a risk"):
        _binary(0.2, 0.2, 1.5)


def test_samplesize_of_a_noninferiority_endpoint_follows_its_closed_form():
    from simtrial.search import sample_size

    res = sample_size("noninferiority-safety", "walk_m", 0.8, reps=2000, seed=7)
    assert abs(res.n_total / res.analytic_n - 1) < 0.08, (res.n_total, res.analytic_n)
    worse = load_scenario("noninferiority-safety").with_values(
        {"endpoints.walk_m.treatment.mean": 430.0})  # 20 m worse: beyond the margin of 15
    with pytest.raises(Exception, match="not in the direction of benefit"):
        sample_size(worse, "walk_m", 0.8, reps=500)


def _equivalence(diff, test="ttest", extra="", sd=20.0):
    return parse_scenario(f"""
schema_version = 1
name = "tost"
[trial]
allocation = [2, 1]
alpha = 0.05
alternative = "one-sided"
[[endpoints]]
id = "y"
kind = "continuous"
test = "{test}"
better = "higher"
equivalence = [-8.0, 8.0]
{extra}control = {{ mean = 100.0, sd = {sd} }}
treatment = {{ mean = {100.0 + diff}, sd = {sd} }}
""")


@pytest.mark.parametrize(("diff", "test", "n"), [(0.0, "ttest", 150), (3.0, "ttest", 300),
                                                 (-2.0, "ancova", 120), (0.0, "ttest", 90)])
def test_equivalence_tost_power_matches_its_exact_closed_form(diff, test, n):
    extra = "baseline = { rho = 0.7 }\n" if test == "ancova" else ""
    res = power(_equivalence(diff, test, extra), n, reps=10000, seed=14).endpoints[0]
    assert abs(res.power - res.analytic_power) <= 4 * res.mcse, (res.power, res.analytic_power)


@pytest.mark.parametrize("bound", [-8.0, 8.0])
def test_equivalence_type_one_error_at_either_margin(bound):
    res = power(_equivalence(bound), 200, reps=20000, seed=15).endpoints[0]
    assert res.power <= 0.05 + 3 * res.mcse


def test_equivalence_errors_name_the_key():
    with pytest.raises(ScenarioError, match=r"endpoints\[0\].equivalence: \[8.0, -8.0\] is not"):
        parse_scenario(_tost_text("[8.0, -8.0]"))
    with pytest.raises(ScenarioError, match="give either `margin` or `equivalence`"):
        parse_scenario(_tost_text("[-8.0, 8.0]\nmargin = -5.0"))


def _tost_text(equivalence):
    return f"""
schema_version = 1
name = "tost"
[trial]
alternative = "one-sided"
[[endpoints]]
id = "y"
kind = "continuous"
test = "ttest"
better = "higher"
equivalence = {equivalence}
control = {{ mean = 100.0, sd = 20.0 }}
treatment = {{ mean = 100.0, sd = 20.0 }}
"""


def test_the_margin_is_a_sweep_key():
    sc = load_scenario("noninferiority-safety").with_values({"endpoints.walk_m.margin": -10.0})
    ep = sc.endpoint("walk_m")
    assert ep.margin == -10.0 and ep.hypothesis == "non-inferiority"
    assert sc.with_values({"endpoints.walk_m.margin": 5.0}).endpoint(
        "walk_m").hypothesis == "superiority by margin"
