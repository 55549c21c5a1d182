"""Stratified log-rank test and Cox estimate of the survival kernel (issue 18 item 3).

External reference: R ``survival::survdiff(... + strata(stratum), rho = )`` (to 1e-8) and
``coef(survival::coxph(...))`` (Efron's ties; to 1e-6) on data sets stored with the R script
that made them (tests/reference/make_strata_cox_reference.R -> strata_cox_reference.json).
Monte Carlo checks: type I error of the stratified test, the Cox estimate's median near the
true hazard ratio, both at fixed seeds with tolerances in MCSE.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from simtrial.events import Accrual, PiecewiseExponential
from simtrial.kernels.survival import row_of_data, simulate_logrank, stratum_blocks

REFERENCE = json.loads((Path(__file__).parent / "reference" / "strata_cox_reference.json")
                       .read_text())
CASES = REFERENCE["cases"]


def _data(name):
    d = REFERENCE["data"][name]
    return (np.array(d["time"], dtype=float), np.array(d["status"]) == 1,
            np.array(d["treated"]) == 1, np.array(d["stratum"]))


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "survdiff"],
                         ids=lambda c: c["id"])
def test_stratified_logrank_equals_survdiff(case):
    # > survival::survdiff(Surv(time, status) ~ treated + strata(stratum), data, rho = <rho>)
    time, status, treated, stratum = _data(case["data"])
    row = row_of_data(time, status, treated, case["rho"], 0.0, stratum)
    assert row[2] == pytest.approx(case["o_minus_e"], abs=1e-8)
    assert row[3] == pytest.approx(case["var"], abs=1e-8)


@pytest.mark.parametrize("case", [c for c in CASES if c["kind"] == "coxph"],
                         ids=lambda c: c["id"])
def test_cox_estimate_equals_coxph(case):
    # > coef(survival::coxph(Surv(time, status) ~ treated [+ strata(stratum)], data))
    # > vcov(...)[1, 1]: the inverse of the information at the estimate (the margin's Wald SE)
    time, status, treated, stratum = _data(case["data"])
    row = row_of_data(time, status, treated, 0.0, 0.0, stratum if case["stratified"] else None)
    assert row[8] == pytest.approx(case["coef"], abs=1e-6)
    assert row[9] == pytest.approx(case["coef_var"], rel=1e-6)


def test_all_events_in_one_arm_give_no_cox_estimate():
    time = np.array([1.0, 2.0, 3.0, 4.0])
    row = row_of_data(time, np.array([True, True, False, False]),
                      np.array([True, True, False, False]))
    assert math.isnan(row[8]) and math.isnan(row[9])  # coxph: infinite, with a warning


def test_blocks_split_each_arm_by_prevalence():
    assert stratum_blocks(390, 210, (0.6, 0.4)).tolist() == [0, 234, 390, 516, 600]
    assert stratum_blocks(5, 4, (1, 1, 1)).tolist() == [0, 2, 4, 5, 7, 8, 9]


STRATA = ((0.6, 0.4), (1.0, 2.5))
CONTROL = PiecewiseExponential.from_median(12)
DROPOUT = (PiecewiseExponential.from_probability(0.05, 12),) * 2


def test_stratified_type_i_error_at_65_35():
    """H0 with strata of very different hazards: one-sided 0.025 at most alpha + 3 MCSE."""
    rows = simulate_logrank(np.random.default_rng(21), 10_000, 390, 210,
                            Accrual.constant(12, 50), (CONTROL, CONTROL), DROPOUT,
                            events=[300], strata=STRATA)
    rejected = np.mean(rows[0, :, 1] < -1.959963984540054)
    mcse = math.sqrt(0.025 * 0.975 / 10_000)
    assert rejected <= 0.025 + 3 * mcse, rejected


def test_cox_estimate_centres_on_the_true_hazard_ratio_within_strata():
    """HR 0.7 in every stratum: the stratified Cox estimate's mean log is log 0.7 within 4 MCSE.

    The Cox estimate is consistent, with a small-sample bias of order 1/D (D = 300 events)
    well below this MCSE.
    """
    rows = simulate_logrank(np.random.default_rng(22), 4000, 390, 210,
                            Accrual.constant(12, 50), (CONTROL.with_hazard_ratio(0.7), CONTROL),
                            DROPOUT, events=[300], strata=STRATA)
    log_hr = rows[0, :, 8]
    mcse = log_hr.std() / math.sqrt(log_hr.size)
    assert abs(log_hr.mean() - math.log(0.7)) < 4 * mcse, (log_hr.mean(), mcse)


def test_one_stratum_is_the_unstratified_simulation():
    args = (np.random.default_rng(5), 200, 60, 40, Accrual.constant(6, 20),
            (CONTROL.with_hazard_ratio(0.6), CONTROL), DROPOUT)
    plain = simulate_logrank(*args, events=[50])
    one = simulate_logrank(np.random.default_rng(5), *args[1:], events=[50],
                           strata=((1.0,), (1.0,)))
    np.testing.assert_array_equal(plain, one)
