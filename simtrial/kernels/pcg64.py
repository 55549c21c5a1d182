"""numpy's PCG64 stream with its state in registers: the same draws as the Generator, faster.

A numba kernel that draws from a :class:`numpy.random.Generator` calls the bit generator's
``next_uint64`` through a function pointer, and the state makes a round trip through memory
at every draw (about 2.9 ns a standard exponential on the benchmark machine). Here the state
is four ``uint64`` (the 128-bit LCG state and increment, high and low words) that a kernel
keeps in local variables, and the step is inlined (about 1.9 ns). The draws are those of the
Generator bit for bit: numpy's PCG64 (XSL-RR 128/64: step, then output), ``random`` as
numpy's ``next_double`` and ``standard_exponential`` as numpy's ziggurat (numba's port, with
its tables). :func:`state_of` reads a Generator's state before a kernel runs and
:func:`store_state` writes it back after, so the Generator continues where the kernel left
it (the 32-bit buffer, which 64-bit draws do not touch, is kept).

Examples
--------
>>> import numba
>>> @numba.njit
... def three(state):
...     hi, lo, inc_hi, inc_lo = state[0], state[1], state[2], state[3]
...     out = np.empty(3)
...     for i in range(3):
...         out[i], hi, lo = standard_exponential(hi, lo, inc_hi, inc_lo)
...     state[0], state[1] = hi, lo
...     return out
>>> generator, twin = np.random.default_rng(7), np.random.default_rng(7)
>>> state = state_of(generator)
>>> bool(np.all(three(state) == twin.standard_exponential(3)))
True
>>> store_state(generator, state)
>>> generator.random() == twin.random()
True
"""

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic
from numba.np.random._constants import fe_double, ke_double, we_double, ziggurat_exp_r

from simtrial.kernels._jit import kernel

__all__ = ["random", "standard_exponential", "state_of", "store_state"]

_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341  # PCG's 128-bit multiplier
_WORD = (1 << 64) - 1
_WE = np.asarray(we_double, dtype=np.float64)
_KE = np.asarray(ke_double, dtype=np.uint64)
_FE = np.asarray(fe_double, dtype=np.float64)


def state_of(generator):
    """The state of ``generator`` (PCG64) as uint64 ``[state_hi, state_lo, inc_hi, inc_lo]``.

    Raises
    ------
    TypeError
        If the Generator's bit generator is not PCG64 (:func:`simtrial.rng.chunk_generator`).
    """
    if type(generator.bit_generator) is not np.random.PCG64:
        raise TypeError(f"the generator must use PCG64 (simtrial.rng.chunk_generator), got "
                        f"{type(generator.bit_generator).__name__}")
    pcg = generator.bit_generator.state["state"]
    return np.array([pcg["state"] >> 64, pcg["state"] & _WORD, pcg["inc"] >> 64,
                     pcg["inc"] & _WORD], dtype=np.uint64)


def store_state(generator, state):
    """Set ``generator``'s PCG64 state from :func:`state_of`'s array, as a kernel left it."""
    full = generator.bit_generator.state
    hi, lo, inc_hi, inc_lo = (int(x) for x in state)
    full["state"] = {"state": (hi << 64) | lo, "inc": (inc_hi << 64) | inc_lo}
    generator.bit_generator.state = full


@intrinsic
def _step(typingctx, hi, lo, inc_hi, inc_lo):
    """The LCG step ``state * multiplier + inc`` (mod 2**128) on high and low words."""
    signature = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64,
                                                types.uint64)

    def codegen(context, builder, signature, args):
        wide, word = ir.IntType(128), ir.IntType(64)

        def join(high, low):
            return builder.or_(builder.shl(builder.zext(high, wide), ir.Constant(wide, 64)),
                               builder.zext(low, wide))

        state = builder.add(builder.mul(join(args[0], args[1]), ir.Constant(wide, _MULTIPLIER)),
                            join(args[2], args[3]))
        high = builder.trunc(builder.lshr(state, ir.Constant(wide, 64)), word)
        return context.make_tuple(builder, signature.return_type,
                                  [high, builder.trunc(state, word)])

    return signature, codegen


@numba.njit(inline="always")
def next_uint64(hi, lo, inc_hi, inc_lo):
    """``(value, hi, lo)``: the next 64 bits (numpy's ``pcg64_next64``) and the new state."""
    hi, lo = _step(hi, lo, inc_hi, inc_lo)
    folded = hi ^ lo
    rotation = hi >> np.uint64(58)
    value = (folded >> rotation) | (folded << ((np.uint64(64) - rotation) & np.uint64(63)))
    return value, hi, lo


@numba.njit(inline="always")
def random(hi, lo, inc_hi, inc_lo):
    """``(value, hi, lo)``: a uniform on [0, 1) as ``Generator.random``."""
    value, hi, lo = next_uint64(hi, lo, inc_hi, inc_lo)
    return (value >> np.uint64(11)) * (1.0 / 9007199254740992.0), hi, lo


@kernel
def standard_exponential(hi, lo, inc_hi, inc_lo):
    """``(value, hi, lo)``: a standard exponential as ``Generator.standard_exponential``.

    A plain kernel, not numba-inlined like the step: numba types an inlined function again at
    each call site (the survival kernel has four), and LLVM inlines this one where it is called.
    """
    while True:
        bits, hi, lo = next_uint64(hi, lo, inc_hi, inc_lo)
        bits >>= np.uint64(3)
        index = bits & np.uint64(0xFF)
        bits >>= np.uint64(8)
        x = bits * _WE[index]
        if bits < _KE[index]:
            return x, hi, lo
        u, hi, lo = random(hi, lo, inc_hi, inc_lo)
        if index == 0:
            return ziggurat_exp_r - np.log1p(-u), hi, lo  # (np, as numba's port)
        if (_FE[index - 1] - _FE[index]) * u + _FE[index] < np.exp(-x):
            return x, hi, lo
