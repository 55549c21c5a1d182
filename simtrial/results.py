"""Frozen result objects. They keep what a caller may want later and never print."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

__all__ = ["EndpointPower", "PowerResult", "binomial_summary"]


def binomial_summary(successes: int, reps: int, level: float = 0.95):
    r"""Estimate, Monte Carlo standard error and Wilson interval of a simulated probability.

    Parameters
    ----------
    successes : int
        Replicates in which the event (a rejection) happened.
    reps : int
        Replicates simulated.
    level : float
        Confidence level of the interval.

    Returns
    -------
    (estimate, mcse, (low, high))

    Notes
    -----
    MCSE is :math:`\sqrt{\hat p (1 - \hat p) / R}` (DESIGN 1.3). The interval is Wilson's
    score interval, which unlike :math:`\hat p \pm 1.96\,\mathrm{MCSE}` stays inside
    [0, 1] and does not collapse to a point when every replicate rejects.

    Examples
    --------
    >>> p, se, (lo, hi) = binomial_summary(8000, 10000)
    >>> round(p, 3), round(se, 4), round(lo, 4), round(hi, 4)
    (0.8, 0.004, 0.792, 0.8077)
    """
    p = successes / reps
    z = float(special.ndtri(0.5 + level / 2))
    centre = (p + z * z / (2 * reps)) / (1 + z * z / reps)
    half = z / (1 + z * z / reps) * math.sqrt(p * (1 - p) / reps + z * z / (4 * reps * reps))
    return p, math.sqrt(p * (1 - p) / reps), (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class EndpointPower:
    """Simulated power of one endpoint's test.

    ``pvalues`` holds the p-value of every replicate (not part of :meth:`to_dict`).
    """

    id: str
    label: str
    kind: str
    distribution: str
    test: str
    better: str
    effect: str
    power: float
    mcse: float
    ci: tuple[float, float]
    analytic_power: float | None
    rejections: int
    expected_assessed: dict[str, float]
    pvalues: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict:
        """Plain-JSON fields (DESIGN 1.4), without the per-replicate p-values."""
        return {
            "id": self.id, "label": self.label, "kind": self.kind,
            "distribution": self.distribution, "test": self.test, "better": self.better,
            "effect": self.effect, "power": self.power, "mcse": self.mcse, "ci": list(self.ci),
            "analytic_power": self.analytic_power, "rejections": self.rejections,
            "expected_assessed": dict(self.expected_assessed),
        }


@dataclass(frozen=True)
class PowerResult:
    """Power of every endpoint of a scenario at one sample size."""

    scenario: str
    n_total: int
    n_per_arm: dict[str, int]
    arms: tuple[str, str]
    allocation: tuple[float, float]
    alpha: float
    alternative: str
    reps: int
    seed: int
    version: str
    endpoints: tuple[EndpointPower, ...]

    def endpoint(self, endpoint_id: str) -> EndpointPower:
        """The result of one endpoint."""
        return next(e for e in self.endpoints if e.id == endpoint_id)

    def to_dict(self) -> dict:
        """Plain-JSON fields (DESIGN 1.4)."""
        return {
            "scenario": self.scenario, "n_total": self.n_total, "n_per_arm": dict(self.n_per_arm),
            "arms": {"treatment": self.arms[0], "control": self.arms[1]},
            "allocation": list(self.allocation), "alpha": self.alpha,
            "alternative": self.alternative, "reps": self.reps, "seed": self.seed,
            "version": self.version, "endpoints": [e.to_dict() for e in self.endpoints],
        }
