"""Multiple-testing procedures applied to every simulated trial at once.

Each procedure takes a (reps, k) array of p-values, one column per hypothesis in the family
(in testing order for the fixed sequence), and returns a boolean (reps, k) array of rejections
that controls the family-wise error rate at ``alpha`` (strongly, for Bonferroni, Holm and the
fixed sequence under any dependence; Hochberg under the positive dependence of the Simes
inequality, which covers positively correlated test statistics).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROCEDURES", "bonferroni", "fixed_sequence", "hochberg", "holm", "unadjusted"]


def unadjusted(p: np.ndarray, alpha: float) -> np.ndarray:
    """Reject each hypothesis at level ``alpha``, ignoring multiplicity.

    Examples
    --------
    >>> unadjusted(np.array([[0.01, 0.04, 0.2]]), 0.05)
    array([[ True,  True, False]])
    """
    return p <= alpha


def bonferroni(p: np.ndarray, alpha: float) -> np.ndarray:
    r"""Reject where :math:`p_j \le \alpha / k`.

    Examples
    --------
    >>> bonferroni(np.array([[0.01, 0.04, 0.2]]), 0.05)
    array([[ True, False, False]])
    """
    return p <= alpha / p.shape[1]


def holm(p: np.ndarray, alpha: float) -> np.ndarray:
    r"""Holm's step-down procedure (Holm, Scand J Stat 1979;6:65-70).

    With ordered p-values :math:`p_{(1)} \le \dots \le p_{(k)}`, reject
    :math:`H_{(1)}, \dots, H_{(i)}` for the largest :math:`i` such that
    :math:`p_{(j)} \le \alpha / (k - j + 1)` for every :math:`j \le i`.

    Examples
    --------
    >>> holm(np.array([[0.01, 0.04, 0.2], [0.01, 0.02, 0.03]]), 0.05)
    array([[ True, False, False],
           [ True,  True,  True]])
    """
    order, ordered, thresholds = _ordered(p, alpha)
    passed = np.logical_and.accumulate(ordered <= thresholds, axis=1)
    return _unorder(passed, order)


def hochberg(p: np.ndarray, alpha: float) -> np.ndarray:
    r"""Hochberg's step-up procedure (Hochberg, Biometrika 1988;75:800-2).

    Reject :math:`H_{(1)}, \dots, H_{(i)}` for the largest :math:`i` with
    :math:`p_{(i)} \le \alpha / (k - i + 1)`.

    Examples
    --------
    >>> hochberg(np.array([[0.03, 0.04, 0.045]]), 0.05)  # Holm would reject nothing
    array([[ True,  True,  True]])
    """
    order, ordered, thresholds = _ordered(p, alpha)
    below = ordered <= thresholds
    # reject everything up to the last ordered p-value below its threshold
    passed = np.logical_or.accumulate(below[:, ::-1], axis=1)[:, ::-1]
    return _unorder(passed, order)


def fixed_sequence(p: np.ndarray, alpha: float) -> np.ndarray:
    """Test in the given column order at full ``alpha``; stop at the first non-rejection.

    Examples
    --------
    >>> fixed_sequence(np.array([[0.01, 0.2, 0.001]]), 0.05)
    array([[ True, False, False]])
    """
    return np.logical_and.accumulate(p <= alpha, axis=1)


def _ordered(p: np.ndarray, alpha: float):
    order = np.argsort(p, axis=1, kind="stable")
    ordered = np.take_along_axis(p, order, axis=1)
    k = p.shape[1]
    return order, ordered, alpha / (k - np.arange(k))


def _unorder(passed: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(passed)
    np.put_along_axis(out, order, passed, axis=1)
    return out


#: Procedure name (as in a scenario's ``[analysis] multiplicity``) -> function(p, alpha).
PROCEDURES = {"none": unadjusted, "bonferroni": bonferroni, "holm": holm, "hochberg": hochberg,
              "fixed-sequence": fixed_sequence}
