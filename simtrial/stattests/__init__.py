"""Two-sample tests and their registry.

One object per test (:class:`~simtrial.stattests._base.Test`): the statistics it reads, its
p-values (vectorised over replicates, from the kernels' sufficient statistics), its display
name, its closed-form power and a proxy with a closed form. :data:`TESTS` maps the name a
scenario gives as ``test`` to it; an endpoint model lists the tests it allows
(:mod:`simtrial.endpoints`).

Examples
--------
>>> TESTS["welch"].statistic.name, TESTS["fisher"].proxy
('moments', 'chisq')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from simtrial.stattests._base import COUNTS, MOMENTS, RANKS, SURVIVAL, Statistic, Test
from simtrial.stattests.baseline import ANCOVA, BASELINE, CHANGE, ancova, change
from simtrial.stattests.logrank import LOGRANK, logrank
from simtrial.stattests.means import TTEST, WELCH, ttest, welch
from simtrial.stattests.proportional_odds import PO, PROPORTIONAL_ODDS, proportional_odds
from simtrial.stattests.proportions import CHISQ, FISHER, chisq, fisher
from simtrial.stattests.ranks import MANNWHITNEY, mannwhitney
from simtrial.stattests.wins import NETBENEFIT, WINODDS, WINRATIO

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["BASELINE", "COUNTS", "MOMENTS", "PO", "RANKS", "SURVIVAL", "TESTS", "Statistic",
           "Test", "ancova", "change", "chisq", "endpoint_pvalues", "fisher", "logrank",
           "mannwhitney", "proportional_odds", "ttest", "welch"]

#: Test name -> :class:`Test`.
TESTS: Mapping[str, Test] = MappingProxyType(
    {test.name: test for test in (CHISQ, FISHER, TTEST, WELCH, MANNWHITNEY, LOGRANK, ANCOVA,
                                  CHANGE, PROPORTIONAL_ODDS, WINRATIO, WINODDS, NETBENEFIT)})


def endpoint_pvalues(ep: Endpoint, stats: np.ndarray, alternative: str) -> np.ndarray:
    """p-values of ``ep``'s test on a chunk of statistics, at its margin if it has one.

    Without a margin this is ``TESTS[ep.test].pvalues(stats, alternative, ep.benefit_sign)``;
    with one, the one-sided test of the effect against the margin (the reader allows a margin
    only for one-sided trials and tests that take one); with equivalence margins, the larger
    p-value of the two one-sided tests (TOST).
    """
    test = TESTS[ep.test]
    if ep.margin is None and ep.equivalence is None:
        return test.pvalues(stats, alternative, ep.benefit_sign)
    if test.margin_pvalues is None:
        raise TypeError(f"the {ep.test} test takes no margin")
    if ep.equivalence is not None:  # TOST: both one-sided tests must reject
        lower, upper = ep.model.test_equivalence(ep)
        return np.maximum(test.margin_pvalues(stats, 1, lower),
                          test.margin_pvalues(stats, -1, upper))
    return test.margin_pvalues(stats, ep.benefit_sign, ep.model.test_margin(ep))
