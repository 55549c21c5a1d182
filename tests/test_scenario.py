"""Scenario loading and validation (DESIGN 1.2): errors name the file, key path and allowed."""

import math
from pathlib import Path

import pytest
from conftest import BINARY, NORMAL, scenario_text
from hypothesis import given, settings
from hypothesis import strategies as st

from simtrial.evidence import derive
from simtrial.scenario import ScenarioError, builtin_names, load_scenario, parse_scenario


def test_minimum_schema_example_from_design_loads():
    text = scenario_text(BINARY + NORMAL, trial="""
        allocation = [65, 35]
        alpha = 0.05
        alternative = "two-sided"
    """)
    sc = parse_scenario(text.replace('better = "lower"', 'better = "lower"\ndropout = 0.10'))
    b, y = sc.endpoints
    assert sc.trial.allocation == (65.0, 35.0)
    assert b.dropout == (0.10, 0.10) and b.distribution == "bernoulli"
    assert y.control["sd"] == 25.0 and y.benefit_sign == 1 and b.benefit_sign == -1


@pytest.mark.parametrize(("n", "split"), [(400, (260, 140)), (100, (65, 35)), (3, (2, 1)),
                                          (101, (66, 35)), (2, (1, 1))])
def test_split_follows_design_rounding(n, split):
    # DESIGN 1.3: n_t = floor(n * 65/100 + 0.5); 101 * 0.65 = 65.65 -> 66
    assert load_scenario("msc-covid19").trial.split(n) == split


def _derived(value: str, derivation: str) -> str:
    """A normal endpoint whose control sd is derived, as written in a file."""
    return scenario_text(NORMAL).replace(
        "mean = 50.0, sd = 25.0", f'mean = 50.0, sd = {{ value = {value}, basis = "derived", '
        f'source = "a paper", derivation = {{ {derivation} }} }}')


BAD = [
    ("schema_version = 1\nname = 't'\n[[endpoints]\n", "not valid TOML"),
    (scenario_text(BINARY).replace('test = "chisq"', 'test = "chisq"\ncolour = 1'),
     "endpoints[0].colour: unknown key (allowed: id, label"),
    (scenario_text(BINARY).replace("p = 0.30", "p = 1.5"),
     "endpoints[0].control.p: 1.5 is out of range (allowed: a number in [0, 1])"),
    (scenario_text(NORMAL).replace("mean = 50.0, sd = 25.0", "mean = 50.0, sd = 0.0"),
     "endpoints[0].control.sd: 0.0 is out of range (allowed: a number in [1e-100, 1e100])"),
    (scenario_text(NORMAL).replace("mean = 50.0, sd", 'mean = "fifty", sd'),
     "endpoints[0].control.mean: must be a number in [-1e100, 1e100], got a string"),
    (scenario_text(BINARY, trial="allocation = [65, 0]\n"),
     "trial.allocation[1]: 0 is not allowed (allowed: two positive numbers"),
    (scenario_text(BINARY, trial="allocation = [1, 2, 3]\n"),
     "trial.allocation: must be two positive numbers"),
    (scenario_text(BINARY, trial="alpha = 0.6\n"),
     "trial.alpha: 0.6 is out of range (allowed: a number in (0, 0.5])"),
    (scenario_text(BINARY, trial='alternative = "greater"\n'),
     "trial.alternative: 'greater' is not allowed (allowed: two-sided, one-sided)"),
    (scenario_text(BINARY + BINARY), "endpoints[1].id: duplicate id 'b'"),
    (scenario_text(BINARY).replace('"chisq"', '"ttest"'),
     "endpoints[0].test: 'ttest' is not allowed (allowed: chisq"),
    (scenario_text(NORMAL).replace('"ttest"', '"chisq"'),
     "endpoints[0].test: 'chisq' is not allowed (allowed: ttest, welch"),
    (scenario_text(BINARY).replace('id = "b"', 'id = "B-1"'),
     "endpoints[0].id: 'B-1' is not allowed (allowed: [a-z0-9_]+)"),
    (scenario_text(BINARY).replace('better = "lower"', 'better = "up"'),
     "endpoints[0].better: 'up' is not allowed (allowed: lower, higher)"),
    (scenario_text(BINARY).replace('better = "lower"', 'better = "lower"\ndropout = 1.0'),
     "endpoints[0].dropout: 1.0 is out of range (allowed: a number in [0, 1))"),
    (scenario_text(BINARY).replace("control = { p = 0.30 }", "control = { }"),
     "endpoints[0].control.p: is required"),
    (scenario_text(BINARY).replace("schema_version = 1", "schema_version = 2"),
     "schema_version: 2 is not supported (allowed: 1)"),
    ('schema_version = 1\nname = "t"\nendpoints = []\n', "endpoints: must be a non-empty array"),
    (scenario_text(BINARY).replace("p = 0.30", 'p = { value = 0.3, basis = "assumed" }'),
     "endpoints[0].control.p.reason: is required for an assumed number"),
    (scenario_text(BINARY).replace("p = 0.30", 'p = { value = 0.3, basis = "guessed" }'),
     "endpoints[0].control.p.basis: 'guessed' is not allowed (allowed: reported, derived"),
    # a derivation is recomputed when the file is read: it must run, and give its value
    (_derived("8.0", 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10'),
     "endpoints[0].control.sd.derivation: gives 1.14087, which 8.0 is not (to the digits "
     "written)"),
    (_derived("1.142", 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10'),
     "endpoints[0].control.sd.derivation: gives 1.14087, which 1.142 is not"),
    (_derived("1.0", 'method = "nope"'),
     "endpoints[0].control.sd.derivation: `method` must be one of ['effect_from_p_value'"),
    (_derived("1.0", 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10, x = 2'),
     "endpoints[0].control.sd.derivation: Bad inputs for `sd_from_ci` (got an unexpected "
     "keyword argument 'x')"),
    (_derived("1.0", 'method = "sd_from_ci", lower = 3, upper = 1, n1 = 10, n2 = 10'),
     "endpoints[0].control.sd.derivation: `lower` must be less than `upper`"),
    (_derived("1.0", 'method = "proportion", events = 1, total = 0'),
     "endpoints[0].control.sd.derivation: `total` must be an integer >= 1; got 0."),
    # an infinite or nan value beside a derivation is out of range (it once raised TypeError)
    (_derived("inf", 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10'),
     "endpoints[0].control.sd: inf is out of range (allowed: a number in [1e-100, 1e100])"),
    (_derived("nan", 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10'),
     "endpoints[0].control.sd: nan is out of range (allowed: a number in [1e-100, 1e100])"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_invalid_scenarios_name_file_key_and_allowed(text, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="plan.toml")
    assert str(info.value).startswith("plan.toml: ")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("value", ["1.141", "1.14", "1.1", "1.14087"])
def test_a_derived_value_rounded_as_written_is_accepted(value):
    # sd_from_ci(1, 3, 10, 10) = 1.140870...: each value is it rounded to its own digits
    text = _derived(value, 'method = "sd_from_ci", lower = 1, upper = 3, n1 = 10, n2 = 10')
    sc = parse_scenario(text, source="plan.toml")
    assert sc.endpoints[0].control["sd"] == float(value)


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ScenarioError, match="no such file, and not a built-in scenario "
                                            r"\(built-ins: msc-covid19"):
        load_scenario(tmp_path / "nope.toml")


def test_builtins_load_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert builtin_names(examples=False) == ["msc-covid19"]
    assert [e.id for e in load_scenario("msc-covid19").endpoints] == [
        "walk_lln", "sf36_gh", "walk_m", "ct_normal", "nab_titre", "msc_ae",
        "clin_status", "death_walk"]
    # the examples ship as package data and load by name too (issue 23)
    examples = sorted(p.stem for p in (Path(__file__).parents[1] / "scenarios" / "examples")
                      .glob("*.toml"))
    assert builtin_names() == ["msc-covid19", *examples]
    assert load_scenario("safety-rare").endpoints[0].kind == "safety"


def test_builtin_scenario_gives_provenance_for_every_number():
    sc = load_scenario("msc-covid19")
    expected = {"trial.allocation", "trial.alpha"}
    for ep in sc.endpoints:
        for arm in ("treatment", "control"):
            expected |= {f"endpoints.{ep.id}.{arm}.{k}" for k in getattr(ep, arm)}
        for part in ep.extra.get("components", ()):  # a hierarchical composite's components
            for arm in ("treatment", "control"):
                expected |= {f"endpoints.{ep.id}.components.{part.key}.{arm}.{k}"
                             for k in getattr(part, arm)}
        dropout = {f"endpoints.{ep.id}.dropout.{arm}" for arm in ("treatment", "control")}
        expected |= dropout if dropout <= set(sc.provenance) else {f"endpoints.{ep.id}.dropout"}
    expected |= {f"correlations.{a}.{b}" for (a, b), _ in sc.correlations}
    assert expected <= set(sc.provenance)


def test_builtin_derived_numbers_recompute_from_their_inputs():
    # Each derived number names a simtrial.evidence method and the EVIDENCE.md inputs; the
    # stored value (rounded to 4 significant digits) must be what the method gives.
    sc = load_scenario("msc-covid19")
    derived = {k: p for k, p in sc.provenance.items() if p.basis == "derived"}
    assert len(derived) >= 10
    for key, prov in derived.items():
        derivation = derive(**prov.derivation)
        value = derivation.value
        if key.startswith("priors["):
            # a prior given as an interval: its sd is the derived SE, its mean the midpoint
            # (priors were added to the built-in scenario for the report's assurance)
            from simtrial.scenario.keys import value_of

            stored = value_of(sc, key)
            if key.endswith(".mean"):
                value = sum(derivation.interval) / 2
        else:
            stored = _value_at(sc, key)
        assert math.isclose(stored, value, rel_tol=5e-4), (key, stored, value)


def _value_at(sc, key):
    parts = key.split(".")
    if parts[0] == "trial":
        return getattr(sc.trial, parts[1])
    ep = sc.endpoint(parts[1])
    if parts[2] == "dropout":
        return ep.dropout[0 if parts[-1] in ("treatment", "dropout") else 1]
    if parts[2] == "components":
        part = next(c for c in ep.extra["components"] if c.key == parts[3])
        return getattr(part, parts[4])[parts[5]]
    return getattr(ep, parts[2])[parts[3]]


def test_with_values_revalidates_and_names_the_key():
    sc = load_scenario("msc-covid19")
    changed = sc.with_values({"endpoints.walk_m.dropout.control": 0.0,
                              "trial.allocation": [1, 1]})
    assert changed.endpoint("walk_m").dropout == (sc.endpoint("walk_m").dropout[0], 0.0)
    assert changed.trial.split(400) == (200, 200)
    assert sc.trial.split(400) == (260, 140)  # the original is untouched
    with pytest.raises(ScenarioError, match=r"endpoints\[0\]\.control\.p: 2 is out of range"):
        sc.with_values({"endpoints.walk_lln.control.p": 2})
    with pytest.raises(ScenarioError, match="endpoints.nope.control.p: unknown endpoint 'nope'"):
        sc.with_values({"endpoints.nope.control.p": 0.1})
    with pytest.raises(ScenarioError, match="trial.colour: not a number of the scenario"):
        sc.with_values({"trial.colour": 1})


def test_with_values_sets_correlations_by_pair():
    sc = load_scenario("msc-covid19")
    rho = dict((frozenset(pair), r) for pair, r in sc.correlations)
    changed = sc.with_values({"correlations.walk_m.walk_lln": -0.5,  # either order
                              "correlations.ct_normal.walk_m": 0.2})  # a pair not listed: added
    new = dict((frozenset(pair), r) for pair, r in changed.correlations)
    assert new[frozenset(("walk_lln", "walk_m"))] == -0.5
    assert new[frozenset(("ct_normal", "walk_m"))] == 0.2
    assert new[frozenset(("sf36_gh", "walk_m"))] == rho[frozenset(("sf36_gh", "walk_m"))]
    assert "correlations.walk_lln.walk_m" not in changed.provenance  # now the caller's number
    with pytest.raises(ScenarioError, match=r"correlations\[0\]\.rho: 1\.5 is out of range"):
        sc.with_values({"correlations.walk_lln.walk_m": 1.5})
    with pytest.raises(ScenarioError, match="not positive definite"):
        # walk_lln ~ -walk_m and walk_m ~ sf36_gh cannot go with walk_lln ~ +sf36_gh
        sc.with_values({"correlations.walk_lln.sf36_gh": 0.9})
    with pytest.raises(ScenarioError, match="correlations.walk_m.nope: unknown endpoint 'nope'"):
        sc.with_values({"correlations.walk_m.nope": 0.1})


# --- round trip: a scenario written as TOML reads back as the same scenario -----------------

def _toml_value(v):
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def _dump(data):
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if k not in ("trial", "endpoints")]
    lines += ["[trial]"] + [f"{k} = {_toml_value(v)}" for k, v in data["trial"].items()]
    for ep in data["endpoints"]:
        lines += ["[[endpoints]]"] + [f"{k} = {_toml_value(v)}" for k, v in ep.items()]
    return "\n".join(lines) + "\n"


probability = st.floats(0, 1)
positive = st.floats(1e-3, 1e3)
finite = st.floats(-1e6, 1e6)


@st.composite
def scenarios(draw):
    n_endpoints = draw(st.integers(1, 4))
    endpoints = []
    for i in range(n_endpoints):
        arms = {}
        binary = draw(st.booleans())
        for arm in ("control", "treatment"):
            arms[arm] = ({"p": draw(probability)} if binary else
                         {"mean": draw(finite), "sd": draw(positive)})
        endpoints.append({
            "id": f"e{i}", "kind": "binary" if binary else "continuous",
            "test": "chisq" if binary else draw(st.sampled_from(["ttest", "welch"])),
            "better": draw(st.sampled_from(["lower", "higher"])),
            "dropout": draw(st.floats(0, 0.99)), **arms})
    trial = {"allocation": [draw(positive), draw(positive)], "alpha": draw(st.floats(1e-4, 0.5)),
             "alternative": draw(st.sampled_from(["two-sided", "one-sided"]))}
    return {"schema_version": 1, "name": draw(st.text("abcxyz-", min_size=1)), "trial": trial,
            "endpoints": endpoints}


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_scenario_files_round_trip(data):
    sc = parse_scenario(_dump(data))
    assert sc.name == data["name"]
    assert sc.trial.allocation == tuple(data["trial"]["allocation"])
    assert sc.trial.alpha == data["trial"]["alpha"]
    for ep, raw in zip(sc.endpoints, data["endpoints"], strict=True):
        assert (ep.id, ep.kind, ep.test, ep.better) == (raw["id"], raw["kind"], raw["test"],
                                                        raw["better"])
        assert dict(ep.control) == raw["control"] and dict(ep.treatment) == raw["treatment"]
        assert ep.dropout == (raw["dropout"], raw["dropout"])
    assert parse_scenario(_dump(data)) == sc
