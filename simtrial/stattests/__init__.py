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

from simtrial.stattests._base import COUNTS, MOMENTS, RANKS, SURVIVAL, Statistic, Test
from simtrial.stattests.logrank import LOGRANK, logrank
from simtrial.stattests.means import TTEST, WELCH, ttest, welch
from simtrial.stattests.proportional_odds import PO, PROPORTIONAL_ODDS, proportional_odds
from simtrial.stattests.proportions import CHISQ, FISHER, chisq, fisher
from simtrial.stattests.ranks import MANNWHITNEY, mannwhitney
from simtrial.stattests.wins import NETBENEFIT, WINODDS, WINRATIO

__all__ = ["COUNTS", "MOMENTS", "PO", "RANKS", "SURVIVAL", "TESTS", "Statistic", "Test", "chisq",
           "fisher", "logrank", "mannwhitney", "proportional_odds", "ttest", "welch"]

#: Test name -> :class:`Test`.
TESTS: Mapping[str, Test] = MappingProxyType(
    {test.name: test for test in (CHISQ, FISHER, TTEST, WELCH, MANNWHITNEY, LOGRANK,
                                  PROPORTIONAL_ODDS, WINRATIO, WINODDS, NETBENEFIT)})
