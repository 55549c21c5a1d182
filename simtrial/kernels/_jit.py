"""One decorator policy for every numba kernel."""

import numba

__all__ = ["kernel"]


def kernel(function):
    """Compile ``function`` lazily with simtrial's policy.

    ``cache=True`` keeps the machine code on disk between runs; ``nogil=True`` lets chunks run
    in threads on all cores; ``error_model="numpy"`` gives nan/inf instead of exceptions for
    division by zero, as the vectorised numpy code around the kernels expects.
    """
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)
