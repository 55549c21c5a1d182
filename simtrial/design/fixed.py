"""The fixed design: one analysis, when every patient has been assessed.

A design decides: given an endpoint's test at each analysis of the simulated trials
(:class:`simtrial.results.LookStatistics`), which trials reject H0. The fixed design has one
look and rejects where the test's p-value is at most alpha, as a test planned for a single
final analysis does. A group-sequential design (:mod:`simtrial.design.boundaries`) decides at
each look from the signed z-statistics and its boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from simtrial.results import LookStatistics

__all__ = ["FixedDesign"]


@dataclass(frozen=True)
class FixedDesign:
    """One final analysis of all patients.

    Examples
    --------
    >>> import numpy as np
    >>> from simtrial.results import LookStatistics
    >>> looks = LookStatistics(pvalues=np.array([[0.01, 0.2, 0.05]]), information=(1.0,))
    >>> FixedDesign().reject(looks, 0.05).tolist()
    [True, False, True]
    """

    #: The information fraction of each analysis.
    looks: tuple[float, ...] = (1.0,)

    def reject(self, statistics: LookStatistics, alpha: float) -> np.ndarray:
        """Which replicates reject H0: the final look's p-value is at most ``alpha``."""
        return statistics.pvalues[-1] <= alpha
