"""Simulated group-sequential trials: where each trial stops, and the design's characteristics.

Each simulated trial is analysed at every look of the design on the patients assessed by then
(nested samples: :func:`simtrial.simulate.nested_looks`). At look k the trial stops for
efficacy when its signed z-statistic reaches the efficacy bound (two-sided designs: ``|z|``
does), stops for futility when it is at or below the futility bound (interim looks only), and
otherwise continues. The simulated power is the share of trials that reject at some look (for
a two-sided design in either direction, as everywhere in simtrial); the expected sample size
is the mean number randomised when the trial ends. :func:`sequential_outcome` decides,
:func:`operating_characteristics` summarises with Monte Carlo standard errors.

Futility bounds are always obeyed in the simulation (what a DMC following the plan does); a
non-binding design's bounds were computed ignoring futility (:mod:`simtrial.design.boundaries`),
so its simulated type I error is at most the nominal alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simtrial.design.boundaries import GroupSequentialDesign
from simtrial.results import binomial_summary

__all__ = ["SequentialOutcome", "operating_characteristics", "sequential_outcome"]


@dataclass(frozen=True)
class SequentialOutcome:
    """Where each simulated trial ended.

    ``look`` is the index of the look at which it ended, ``reject`` whether it rejected H0
    there and ``futility`` whether it stopped for futility (neither: it reached the last look
    without rejecting).
    """

    look: np.ndarray
    reject: np.ndarray
    futility: np.ndarray


def sequential_outcome(design: GroupSequentialDesign, z: np.ndarray) -> SequentialOutcome:
    """Apply the design's boundaries look by look to the signed z-statistics ``z`` (K x reps).

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 1.0], efficacy="obf", futility=[0.0])
    >>> z = np.array([[3.0, -0.5, 1.0, 1.0], [0.0, 3.0, 2.5, 1.0]])
    >>> out = sequential_outcome(d, z)
    >>> out.look.tolist(), out.reject.tolist(), out.futility.tolist()
    ([0, 0, 1, 1], [True, False, True, False], [False, True, False, False])
    """
    looks, reps = z.shape
    look = np.full(reps, looks - 1)
    reject = np.zeros(reps, dtype=bool)
    futility = np.zeros(reps, dtype=bool)
    running = np.ones(reps, dtype=bool)
    for k in range(looks):
        stat = np.abs(z[k]) if design.sided == 2 else z[k]
        efficacy = running & (stat >= design.efficacy_z[k])
        stop_futility = running & ~efficacy & (z[k] <= design.futility_z[k]) if k < looks - 1 \
            else np.zeros(reps, dtype=bool)
        look[efficacy | stop_futility] = k
        reject |= efficacy
        futility |= stop_futility
        running &= ~(efficacy | stop_futility)
    return SequentialOutcome(look=look, reject=reject, futility=futility)


def operating_characteristics(design: GroupSequentialDesign, outcome: SequentialOutcome,
                              n: list[int], assessed: np.ndarray) -> dict[str, Any]:
    """Per-look rejection and futility probabilities, power and expected sample size, with MCSE.

    ``n[k]`` is the number randomised at look k; ``assessed[k, r]`` the number assessed at look
    k of replicate r.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 1.0], efficacy="obf")
    >>> out = SequentialOutcome(look=np.array([0, 1, 1, 1]), reject=np.array([1, 1, 0, 0], bool),
    ...                         futility=np.zeros(4, bool))
    >>> oc = operating_characteristics(d, out, [50, 100], np.array([[45] * 4, [90] * 4]))
    >>> oc["power"], oc["expected_n"]["value"], [s["reject"] for s in oc["stages"]]
    (0.5, 87.5, [0.25, 0.25])
    """
    reps = outcome.look.size
    stopped_n = np.asarray(n, dtype=np.float64)[outcome.look]
    stopped_assessed = assessed[outcome.look, np.arange(reps)].astype(np.float64)
    stages = []
    for k, (t, b, a) in enumerate(zip(design.information, design.efficacy_z, design.futility_z,
                                      strict=True)):
        at_k = outcome.look == k
        reject, reject_mcse, _ = binomial_summary(int(np.count_nonzero(at_k & outcome.reject)),
                                                  reps)
        futile, futile_mcse, _ = binomial_summary(
            int(np.count_nonzero(at_k & outcome.futility)), reps)
        stages.append({"information": t, "n": int(n[k]), "efficacy_z": _finite(b),
                       "futility_z": _finite(a), "reject": reject, "reject_mcse": reject_mcse,
                       "stop_futility": futile, "stop_futility_mcse": futile_mcse})
    power, mcse, ci = binomial_summary(int(np.count_nonzero(outcome.reject)), reps)
    return {"power": power, "mcse": mcse, "ci": list(ci), "stages": stages,
            "expected_n": _mean(stopped_n), "expected_assessed": _mean(stopped_assessed)}


def _mean(values: np.ndarray) -> dict[str, float]:
    """Mean with its Monte Carlo standard error."""
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"value": float(values.mean()), "mcse": sd / math.sqrt(values.size)}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None
