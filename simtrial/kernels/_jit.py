"""One decorator policy for every numba kernel."""

import sys

import numba
from numba.core import event
from numba.core.caching import CompileResultCacheImpl, FunctionCache, InTreeCacheLocator

__all__ = ["kernel"]

_OPTIONS = {"nogil": True, "error_model": "numpy"}
_notified: list[str] = []  # the notice given (one per process; see _notice)


def kernel(function=None, *, inline=False):
    """Compile ``function`` lazily with simtrial's policy (``@kernel`` or ``@kernel(inline=True)``).

    ``cache=True`` keeps the machine code on disk between runs; ``nogil=True`` lets chunks run
    in threads on all cores; ``error_model="numpy"`` gives nan/inf instead of exceptions for
    division by zero, as the vectorised numpy code around the kernels expects.

    The code is cached in ``NUMBA_CACHE_DIR`` if set, else in the user's cache (numba's
    user-wide directory, ``~/.cache/numba``), and only if neither is writable in the package's
    ``__pycache__`` (see :class:`_GuardedCache`). When numba finds no writable cache directory
    at all, it refuses ``cache=True`` with a RuntimeError at
    decoration (numba.core.caching: "cannot cache function ...: no locator available"). The
    kernel is then compiled in memory in every process, and one notice says so on stderr. A
    directory that fails later, when the code is saved, is handled by :class:`_GuardedCache`.

    ``inline=True`` (numba's ``inline="always"``) compiles the function into each kernel that
    calls it, for a small function called once per replicate with many arrays, whose call
    would cost more than its work.
    """
    if function is None:
        return lambda function: kernel(function, inline=inline)
    options = dict(_OPTIONS, inline="always") if inline else _OPTIONS
    dispatcher = numba.njit(**options)(function)
    try:
        # What cache=True does (numba's Dispatcher.enable_caching), with the saving guarded.
        dispatcher._cache = _GuardedCache(function)
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
        _notice("no writable numba cache directory, so kernels are compiled in every run (set "
                "NUMBA_CACHE_DIR to a writable directory to cache them)")
    return dispatcher


class _GuardedCache(FunctionCache):
    """numba's cache of a kernel's machine code, which gives up when saving fails.

    A cache directory can pass numba's check at decoration and fail when the code is saved:
    disk full, quota, directory removed or made read-only. numba 0.68
    (``Cache.save_overload``, ``_guard_against_spurious_io_errors``) then lets the OSError out
    of the kernel's first call, with no warning (it swallows only EACCES, and only on
    Windows), although the compiled code is already in memory. Here the first failure prints
    one notice, and no kernel tries to save again in this process.
    """

    gave_up = False  # for every kernel of the process

    class _impl_class(CompileResultCacheImpl):  # noqa: N801 (numba's attribute name)
        """numba's cache locators in its order, but the package's ``__pycache__`` last.

        Files numba writes into an installed package are not pip's: uninstalling it left
        ``site-packages/simtrial/kernels/__pycache__``, a bare directory that made
        ``pip install .`` then ``pip install -e '.[test]'`` (the README's two commands, in one
        environment) fail outside the checkout with "No module named
        'simtrial.kernels.group'". The user-wide cache comes first instead.
        """

        _locator_classes = sorted(CompileResultCacheImpl._locator_classes,
                                  key=lambda locator: locator is InTreeCacheLocator)

    def save_overload(self, sig, data):
        """Save the compiled code, unless saving has failed before in this process."""
        if _GuardedCache.gave_up:
            return
        try:
            super().save_overload(sig, data)
        except OSError as error:
            _GuardedCache.gave_up = True
            _notice(f"could not save compiled kernels in the numba cache ({error}), so they are "
                    "compiled in memory, in every run until it can (set NUMBA_CACHE_DIR to a "
                    "writable directory with free space)")


class _CompilingNotice(event.Listener):
    """Tells a user at a terminal, once per process, that kernels are being compiled.

    numba fires ``numba:compile`` only when a kernel is not in the cache, so this shows on the
    first run on a machine (15 to 20 s of compiling, silent otherwise) and after an upgrade, and
    not when the compiled code is loaded. Nothing is printed when stderr is not a terminal
    (pipes, logs, tests), where stderr carries only notices and errors.
    """

    def __init__(self):
        self.said = False

    def on_start(self, _event):
        if not self.said and _is_terminal(sys.stderr):
            print("simtrial: compiling numerical kernels for this machine (once; later runs load "
                  "them from the cache)...", file=sys.stderr, flush=True)
        self.said = True

    def on_end(self, _event):
        pass


def _is_terminal(stream):
    """Whether ``stream`` is a terminal; False for None (no console) or a closed stream."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_compiling = _CompilingNotice()
event.register("numba:compile", _compiling)


def _notice(message):
    """Print ``simtrial: notice: message`` on stderr, for the first notice of the process only."""
    if not _notified:
        _notified.append(message)
        print(f"simtrial: notice: {message}", file=sys.stderr)
