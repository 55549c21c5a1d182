"""One decorator policy for every numba kernel."""

import sys

import numba

__all__ = ["kernel"]

_OPTIONS = {"nogil": True, "error_model": "numpy"}
_notified = []


def kernel(function):
    """Compile ``function`` lazily with simtrial's policy.

    ``cache=True`` keeps the machine code on disk between runs; ``nogil=True`` lets chunks run
    in threads on all cores; ``error_model="numpy"`` gives nan/inf instead of exceptions for
    division by zero, as the vectorised numpy code around the kernels expects.

    When numba finds no writable cache directory (``NUMBA_CACHE_DIR``, the package's
    ``__pycache__``, the user cache), it refuses ``cache=True`` with a RuntimeError at
    decoration (numba.core.caching: "cannot cache function ...: no locator available"). The
    kernel is then compiled in memory in every process, and one notice says so on stderr.
    """
    try:
        return numba.njit(cache=True, **_OPTIONS)(function)
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
        if not _notified:
            _notified.append(True)
            print("simtrial: notice: no writable numba cache directory, so kernels are compiled "
                  "in every run (set NUMBA_CACHE_DIR to a writable directory to cache them)",
                  file=sys.stderr)
        return numba.njit(cache=False, **_OPTIONS)(function)
