"""Multiplicity procedures: a per-replicate textbook implementation on the same p-values
(double programming), and the logical relations between the procedures."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simtrial.multiplicity import PROCEDURES, bonferroni, fixed_sequence, hochberg, holm


def holm_textbook(p, alpha):
    """Holm (1979) as written: walk the sorted p-values, stop at the first failure."""
    k = len(p)
    reject = np.zeros(k, bool)
    for rank, j in enumerate(sorted(range(k), key=lambda j: (p[j], j))):
        if p[j] > alpha / (k - rank):
            break
        reject[j] = True
    return reject


def hochberg_textbook(p, alpha):
    """Hochberg (1988) as written: from the largest p-value down, stop at the first success."""
    k = len(p)
    order = sorted(range(k), key=lambda j: (p[j], j))
    reject = np.zeros(k, bool)
    for i in range(k, 0, -1):
        if p[order[i - 1]] <= alpha / (k - i + 1):
            reject[order[:i]] = True
            break
    return reject


pvalue_matrices = arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 6)),
                         elements=st.sampled_from([0.0, 0.001, 0.0125, 0.0167, 0.02, 0.025,
                                                   0.03, 0.049, 0.05, 0.2, 0.6, 1.0]) |
                         st.floats(0, 1))


@settings(max_examples=300, deadline=None)
@given(pvalue_matrices, st.sampled_from([0.01, 0.05, 0.1]))
def test_procedures_match_textbook_and_nest(p, alpha):
    r_bonf, r_holm, r_hoch = bonferroni(p, alpha), holm(p, alpha), hochberg(p, alpha)
    for row in range(p.shape[0]):
        np.testing.assert_array_equal(r_holm[row], holm_textbook(p[row], alpha))
        np.testing.assert_array_equal(r_hoch[row], hochberg_textbook(p[row], alpha))
    # on the same draws Holm rejects all that Bonferroni rejects, Hochberg all that Holm does
    assert not (r_bonf & ~r_holm).any()
    assert not (r_holm & ~r_hoch).any()
    # and nothing rejects what the unadjusted test would not
    assert not (r_hoch & ~(p <= alpha)).any()


@settings(max_examples=200, deadline=None)
@given(pvalue_matrices)
def test_fixed_sequence_stops_at_first_non_rejection(p):
    rejected = fixed_sequence(p, 0.05)
    for row, rej in zip(p, rejected, strict=True):
        first_failure = next((j for j, v in enumerate(row) if v > 0.05), len(row))
        assert rej[:first_failure].all() and not rej[first_failure:].any()


def test_registry_names_match_schema():
    assert set(PROCEDURES) == {"none", "bonferroni", "holm", "hochberg", "fixed-sequence"}


@pytest.mark.parametrize("name", ["bonferroni", "holm", "hochberg", "fixed-sequence"])
def test_fwer_under_independent_uniform_null(name):
    # Global null, independent tests, k = 3, 200,000 uniform draws, 4 MCSE:
    # Bonferroni and Holm reject anything iff min p <= alpha/k: FWER = 1 - (1 - alpha/k)^k;
    # the fixed sequence rejects anything iff its first p <= alpha: FWER = alpha;
    # Hochberg lies between the Bonferroni value and alpha (Simes' equality for independent
    # uniforms, Simes, Biometrika 1986;73:751-4, bounds it by alpha).
    reps, k, alpha = 200_000, 3, 0.05
    p = np.random.default_rng(20261125).random((reps, k))
    fwer = PROCEDURES[name](p, alpha).any(axis=1).mean()
    bonferroni_value = 1 - (1 - alpha / k) ** k
    tol = 4 * np.sqrt(alpha * (1 - alpha) / reps)
    if name == "hochberg":
        assert bonferroni_value - tol <= fwer <= alpha + tol
    else:
        truth = alpha if name == "fixed-sequence" else bonferroni_value
        assert abs(fwer - truth) <= tol
