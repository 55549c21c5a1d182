"""simtrial.kernels.pcg64: the same draws and the same state as numpy's Generator(PCG64).

Reference: numpy's own Generator (its C implementation of PCG64, ``random`` and the
ziggurat ``standard_exponential``), draw for draw; 2,000,000 exponentials take the ziggurat's
rare paths (the wedges, about 1% of draws, and the tail beyond the base strip) thousands of
times.
"""

import numba
import numpy as np
import pytest

from simtrial.kernels import pcg64
from simtrial.rng import chunk_generator


@numba.njit
def _draws(state, n, uniform):
    hi, lo, inc_hi, inc_lo = state[0], state[1], state[2], state[3]
    out = np.empty(n)
    for i in range(n):
        if uniform:
            out[i], hi, lo = pcg64.random(hi, lo, inc_hi, inc_lo)
        else:
            out[i], hi, lo = pcg64.standard_exponential(hi, lo, inc_hi, inc_lo)
    state[0], state[1] = hi, lo
    return out


@pytest.mark.parametrize("seed", [0, 1, 20260101])
def test_exponentials_and_uniforms_are_the_generators_bit_for_bit(seed):
    generator, twin = chunk_generator(seed, "death", 3), chunk_generator(seed, "death", 3)
    state = pcg64.state_of(generator)
    exponentials = _draws(state, 2_000_000, False)
    uniforms = _draws(state, 1000, True)
    pcg64.store_state(generator, state)
    assert np.array_equal(exponentials, twin.standard_exponential(2_000_000))
    assert np.array_equal(uniforms, twin.random(1000))
    assert generator.bit_generator.state == twin.bit_generator.state
    assert np.array_equal(generator.standard_normal(5), twin.standard_normal(5))


def test_the_32_bit_buffer_is_kept():
    generator, twin = np.random.default_rng(5), np.random.default_rng(5)
    generator.random(dtype=np.float32)  # leaves half of a 64-bit draw buffered
    twin.random(dtype=np.float32)
    state = pcg64.state_of(generator)
    _draws(state, 10, False)
    pcg64.store_state(generator, state)
    twin.standard_exponential(10)
    assert generator.random(3, dtype=np.float32).tolist() == twin.random(
        3, dtype=np.float32).tolist()


def test_other_bit_generators_are_refused():
    with pytest.raises(TypeError, match="PCG64"):
        pcg64.state_of(np.random.Generator(np.random.Philox(1)))
