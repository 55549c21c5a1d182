"""Group-sequential looks at event fractions of a time-to-event endpoint (issue 18 item 2).

References: rpact 3.3.4 ``getPowerSurvival`` and ``getSampleSizeSurvival`` with a 3-look
O'Brien-Fleming-type design (tests/reference/tte_sequential_reference.json, made by
tests/reference/make_tte_sequential_reference.R, each value with its R call). Monte Carlo
checks at 4 MCSE; type I error at most alpha + 3 MCSE.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import scenario_text
from test_time_to_event import tte

from simtrial import events as ev
from simtrial.scenario import parse_scenario
from simtrial.search_events import events_sample_size
from simtrial.simulate import look_sizes, sequential_power, simulated_power
from simtrial.stattests import SURVIVAL

REFERENCE = Path(__file__).parent / "reference" / "tte_sequential_reference.json"
DESIGN = """
[design]
looks = [0.5, 0.75, 1.0]
efficacy = "ld-obf"
futility = "none"
"""


@pytest.fixture(scope="module")
def rpact():
    return {v["id"]: v["value"] for v in json.loads(REFERENCE.read_text())["values"]}


def _scenario(allocation="[1, 1]", events=340, dropout=None):
    analysis = f"{{ events = {events} }}"
    trial = (f"allocation = {allocation}\nalpha = 0.025\nalternative = \"one-sided\"\n"
             "accrual = { months = 12, per_month = 50 }\n")
    extra = {} if dropout is None else {"dropout": f"{{ per_month = {dropout} }}"}
    text = scenario_text(tte(analysis=analysis, **extra), trial)
    head, body = text.split("[[endpoints]]", 1)
    return parse_scenario(head + DESIGN + "[[endpoints]]" + body)


def _stopping(stages):
    """P(the trial stops at look k): rejection before the last look, the rest at it."""
    reject = np.array([s["reject"] for s in stages])
    return np.append(reject[:-1], 1 - reject[:-1].sum())


def test_looks_at_event_fractions_and_their_calendar_times_equal_rpacts(rpact):
    """Looks at round(t_k D) events: 170, 255, 340; mean look times are rpact's analysisTime."""
    sc = _scenario()
    ep = sc.endpoints[0]
    sizes = np.array([sc.trial.split(m) for m in look_sizes(sc.trial, sc.design, 600)])
    out = np.empty((3, 4000, SURVIVAL.columns))
    ep.model.prefix_simulators["survival"](np.random.default_rng(4), ep, sizes[:, 0],
                                           sizes[:, 1], out)
    assert [set(out[k, :, 0].tolist()) for k in range(3)] == [{170.0}, {255.0}, {340.0}]
    assert rpact["power_r1_events340_eventsPerStage"] == [170, 255, 340]
    times = rpact["power_r1_events340_analysisTime"]
    arms, dropout = ep.model.arms(ep), ep.model.dropouts(ep)
    for k, events in enumerate((170, 255, 340)):
        mcse = out[k, :, 4].std() / math.sqrt(4000)
        assert abs(out[k, :, 4].mean() - times[k]) < 4 * mcse, (k, out[k, :, 4].mean())
        expected = ev.time_of_events(events, ep.model.accrual(ep, 600), arms, (1, 1), dropout)
        assert expected == pytest.approx(times[k], abs=2e-3)  # rpact's quadrature


def test_sequential_power_at_1_1_matches_rpact_per_look(rpact):
    """Per-look rejection, overall power, expected events and duration within 4 MCSE."""
    res = sequential_power(_scenario(), 600, _scenario().design, reps=10_000, seed=11)
    reject = rpact["power_r1_events340_rejectPerStage"]
    for stage, expected in zip(res.h1["stages"], reject, strict=True):
        assert abs(stage["reject"] - expected) < 4 * stage["reject_mcse"], (stage, expected)
    assert abs(res.h1["power"] - rpact["power_r1_events340_overallReject"]) < 4 * res.h1["mcse"]
    assert res.closed_form["power"] == pytest.approx(rpact["power_r1_events340_overallReject"],
                                                     abs=1e-6)
    assert np.allclose(res.closed_form["h1"]["reject"], reject, atol=1e-6)
    stop = _stopping(res.h1["stages"])
    ep = _scenario().endpoints[0]
    summary = ep.model.looks_summary(ep, 300, 300, res.h1["stages"])
    for values, key, name in (([170, 255, 340], "expectedNumberOfEvents", "expected_events"),
                              (rpact["power_r1_events340_analysisTime"], "studyDuration",
                               "expected_duration")):
        values = np.asarray(values, dtype=float)
        mean = stop @ values
        assert summary[name] == pytest.approx(mean, rel=1e-4)  # look times: rpact's to 2e-3
        mcse = math.sqrt((stop @ values**2 - mean**2) / 10_000)
        assert abs(mean - rpact[f"power_r1_events340_{key}"]) < 4 * mcse, (key, mean)
    assert res.h0["power"] <= 0.025 + 3 * res.h0["mcse"], res.h0


def test_type_i_error_at_65_35_with_heavy_censoring():
    """H0 (the design's type I error) at most alpha + 3 MCSE: 65:35 and heavy dropout.

    A dropout hazard of 0.03 a month (30% a year) censors about as many patients as have the
    event; the looks stay at 125, 188 and 250 events.
    """
    sc = _scenario("[65, 35]", events=250, dropout=0.03)
    res = sequential_power(sc, 600, sc.design, reps=10_000, seed=12)
    assert res.h0["power"] <= 0.025 + 3 * res.h0["mcse"], res.h0
    assert res.h1["power"] > 0.5


def test_sequential_power_at_65_35_sits_above_rpacts_as_the_fixed_design_does(rpact):
    """65:35: the simulated power exceeds rpact's (Schoenfeld's), as at a fixed design.

    The log-rank z's sd under H1 is 1.04 at 65:35 and its mean Freedman's
    (tests/test_time_to_event.py): more power than Schoenfeld's canonical model at every look.
    """
    sc = _scenario("[65, 35]", events=375)
    res = sequential_power(sc, 600, sc.design, reps=10_000, seed=13)
    expected = rpact["power_r65_35_events375_overallReject"]
    assert res.closed_form["power"] == pytest.approx(expected, abs=1e-6)
    assert res.h1["power"] - expected > 2 * res.h1["mcse"], res.h1["power"]
    assert res.h0["power"] <= 0.025 + 3 * res.h0["mcse"]


def test_simtrial_power_of_a_design_reports_the_same_looks():
    sc = _scenario()
    res = simulated_power(sc, 600, reps=2000, seed=3)
    seq = sequential_power(sc, 600, sc.design, reps=2000, seed=3)
    assert res.endpoints[0].power == seq.h1["power"]
    assert [s["reject"] for s in res.design["stages"]] == [s["reject"] for s in seq.h1["stages"]]


def test_samplesize_under_the_design_searches_the_maximum_events(rpact):
    """Maximum events: rpact's 336.4 (Schoenfeld's inflated by the design) within 4 MCSE."""
    res = events_sample_size(_scenario(), "death", 0.9, reps=10_000, seed=5)
    block = res.events
    expected = rpact["samplesize_r1_maxNumberOfEvents"]
    assert block["schoenfeld_events"] == pytest.approx(expected, abs=1e-4)  # rpact's root
    assert abs(block["events"] - expected) <= 4 * block["events_mcse"] + 1, block
    assert res.design is not None and res.design["power"] == res.power
    assert res.n_total == 600
