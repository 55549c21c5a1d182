"""Design priors and assurance: closed form, point priors, the two-level MCSE, validation.

Monte Carlo checks use fixed seeds; tolerances are multiples of the reported MCSE.
"""

from __future__ import annotations

import numpy as np
import pytest

from simtrial.assurance import assurance, assurance_sample_size, two_level_mcse
from simtrial.cli import main
from simtrial.errors import InputError, TargetNotReached
from simtrial.scenario import ScenarioError, parse_scenario
from simtrial.simulate import simulated_power

BASE = """
schema_version = 1
name = "walk"
[trial]
allocation = [65, 35]
alternative = "{alternative}"
[[endpoints]]
id = "walk_m"
kind = "continuous"
test = "ttest"
better = "higher"
control = {{ mean = 450.0, sd = 69.36 }}
treatment = {{ mean = 477.0, sd = 69.36 }}
"""


def walk(prior: str, alternative: str = "two-sided", extra: str = ""):
    return parse_scenario(BASE.format(alternative=alternative) + extra + "[[priors]]\n" + prior)


@pytest.mark.parametrize(("prior", "alternative"), [
    # centred on the planned effect (27 m), and on half of it, sd 14.54 m (the phase 2 SE)
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nof = "effect"\n'
     "mean = 27.0\nsd = 14.54\n", "two-sided"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nof = "effect"\n'
     "mean = 13.5\nsd = 14.54\n", "two-sided"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nmean = 463.5\n'
     "sd = 14.54\n", "one-sided"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nof = "effect"\n'
     "mean = 13.5\nsd = 14.54\nnull_mass = 0.3\n", "two-sided"),
])
def test_simulated_assurance_matches_the_closed_form(prior, alternative):
    sc = walk(prior, alternative)
    res = assurance(sc, 1200, draws=2000, reps=500, seed=11)
    assert res.closed_form is not None
    assert abs(res.assurance - res.closed_form) < 4 * res.mcse, (res.assurance, res.closed_form)


@pytest.mark.parametrize("prior", [
    'key = "endpoints.walk_m.treatment.mean"\ndistribution = "point"\nvalue = 477.0\n',
    'key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nof = "effect"\n'
    "mean = 27.0\nsd = 0.0\n",
])
def test_point_prior_gives_power_exactly(prior):
    sc = walk(prior)
    res = assurance(sc, 400, draws=50, reps=3000, seed=5)
    power = simulated_power(sc, 400, reps=3000, seed=5).endpoint("walk_m").power
    assert res.expected_power == power
    assert res.assurance == power  # no trial rejects in the harmful direction at +27 m
    assert float(np.ptp(res.draw_power)) == 0.0


def test_mcse_matches_the_spread_over_seeds():
    # 50 seeds: the sd of the estimates has a relative error of about 1 / sqrt(98) = 10%.
    sc = walk('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\n'
              'of = "effect"\nmean = 20.0\nsd = 14.54\n')
    results = [assurance(sc, 200, draws=100, reps=200, seed=seed) for seed in range(50)]
    spread = np.std([r.assurance for r in results], ddof=1)
    reported = np.sqrt(np.mean([r.mcse**2 for r in results]))
    assert abs(reported / spread - 1) < 0.3, (reported, spread)


def test_two_level_mcse_includes_the_shared_trials_term():
    # h = 1 where the trial's noise exceeds a draw's threshold: rows share the column noise.
    gen = np.random.default_rng(3)
    h = gen.normal(size=(1, 400)) > gen.normal(size=(300, 1))
    # Exact: A = P(X > Y) with sigma_a^2 = sigma_b^2 = sigma_e^2 = 1/12 (module docstring).
    exact = np.sqrt((1 / 300 + 1 / 400 + 1 / 120_000) / 12)
    _, se = two_level_mcse(h)
    naive = np.sqrt(h.mean(axis=1).var(ddof=1) / h.shape[0])
    assert abs(se / exact - 1) < 0.1 and naive < 0.8 * exact


def test_result_does_not_depend_on_jobs():
    sc = walk('key = "endpoints.walk_m.treatment.mean"\ndistribution = "truncated-normal"\n'
              "mean = 470.0\nsd = 20.0\nlower = 440.0\nupper = 520.0\n")
    one = assurance(sc, 300, draws=300, reps=300, seed=2, jobs=1).to_dict()
    two = assurance(sc, 300, draws=300, reps=300, seed=2, jobs=2).to_dict()
    assert one == two


def test_family_and_group_sequential_design():
    second = """[[endpoints]]
id = "gh"
kind = "continuous"
test = "ttest"
better = "higher"
control = { mean = 50.0, sd = 25.0 }
treatment = { mean = 58.0, sd = 25.0 }
[analysis]
multiplicity = "holm"
"""
    prior = ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\n'
             'of = "effect"\nmean = 27.0\nsd = 14.54\n')
    res = assurance(walk(prior, extra=second), 400, draws=300, reps=300, seed=4)
    assert res.family is not None and res.closed_form is None  # adjusted: no closed form
    assert res.family["assurance_all"] <= res.assurance <= res.family["assurance_any"]
    design = '[design]\nlooks = [0.5, 1.0]\nefficacy = "ld-obf"\n'
    res = assurance(walk(prior, extra=design), 400, draws=300, reps=300, seed=4)
    stops = [stage["efficacy"] for stage in res.design["stages"]]
    assert len(stops) == 2 and sum(stops) == pytest.approx(res.assurance)


def test_sample_size_for_assurance_and_its_bound():
    sc = walk('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\n'
              'of = "effect"\nmean = 27.0\nsd = 14.54\n')
    res = assurance_sample_size(sc, 0.7, draws=200, reps=200, seed=1)
    below = {t["n_total"]: t["assurance"] for t in res.trace}
    assert res.result.assurance >= 0.7 > below[res.result.n_total - 1]
    with pytest.raises(TargetNotReached, match="at most 0.96"):
        assurance_sample_size(sc, 0.97, draws=200, reps=200)


@pytest.mark.parametrize(("prior", "message"), [
    ('key = "endpoints.walk_m.treatment.median"\ndistribution = "normal"\nmean = 1.0\nsd = 1.0',
     "priors[0].key: "),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "gamma"', "priors[0].distribution"),
    ('key = "endpoints.walk_m.treatment.sd"\ndistribution = "normal"\nof = "effect"\nmean = 1.0'
     "\nsd = 1.0", "priors[0].of"),
    ('key = "endpoints.walk_m.treatment.sd"\ndistribution = "lognormal"\nmedian = 69.0\n'
     "sd_log = 0.1\nnull_mass = 0.2", "priors[0].null_mass"),
    ('key = "trial.alpha"\ndistribution = "beta"\nci = [0.01, 0.05]', "priors[0].ci"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nmean = 1.0',
     "priors[0].sd: is required"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nmean = 1.0\nsd = -1.0',
     "priors[0].sd"),
    ('key = "endpoints.walk_m.treatment.mean"\ndistribution = "normal"\nmean = 1.0\nsd = 1.0'
     "\na = 2.0", "priors[0].a"),
])
def test_invalid_priors_are_refused_naming_the_key(prior, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        walk(prior)


def test_draws_outside_the_keys_range_are_refused():
    sc = walk('key = "endpoints.walk_m.treatment.sd"\ndistribution = "normal"\nmean = 69.0\n'
              "sd = 30.0\n")
    with pytest.raises(InputError, match=r"priors\[0\].*truncated-normal"):
        assurance(sc, 200, draws=500, reps=10)


def test_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["assurance", "--scenario", "assurance-walk", "--n", "400", "--draws", "100",
              "--reps", "100", "--format", "json"])
    assert exit_.value.code == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert {"assurance", "mcse", "closed_form", "power_quantiles", "bound"} <= set(out)
    assert out["priors"][0]["provenance"]["sd"]["basis"] == "derived"
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE.format(alternative="two-sided")
                   + '[[priors]]\nkey = "trial.beta"\ndistribution = "point"\nvalue = 1.0\n')
    with pytest.raises(SystemExit) as exit_:
        main(["assurance", "--scenario", str(bad), "--n", "400"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and "priors[0].key" in err
    with pytest.raises(SystemExit) as exit_:
        main(["samplesize", "--scenario", "assurance-walk", "--assurance", "0.99",
              "--draws", "50", "--reps", "50"])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and err.count("\n") == 1 and "0.9750" in err
