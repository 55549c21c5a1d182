"""One decorator policy for every numba kernel."""

import os
import sys
from contextlib import contextmanager

import numba
from numba.core import event, types
from numba.core.caching import CompileResultCacheImpl, FunctionCache, InTreeCacheLocator
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import CPUDispatcher

try:
    import fcntl
except ImportError:  # Windows: no lock between processes (each may compile)
    fcntl = None  # type: ignore[assignment]

__all__ = ["kernel", "when_compiling"]

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
    would cost more than its work. Its code is then copied and typed again at every call site
    in every caller that a run uses, so it suits a function with one call site in any run
    (or a few, if it is small).
    It also compiles faster than a plain kernel there: a kernel's code is linked into each
    caller's LLVM module and optimised and emitted again in it, once more at every level of
    a chain of kernels. A large function called from several sites is better a plain kernel,
    typed once (LLVM still inlines it into its callers where that pays).

    Each kernel compiles one specialisation per argument types (:class:`_Kernel`: a constant
    passed by another kernel counts as its plain type), and one process at a time compiles
    for a cache directory while the others wait and load what it saved (:func:`_one_compiler`).
    """
    if function is None:
        return lambda function: kernel(function, inline=inline)
    if numba.config.DISABLE_JIT:
        return function
    options = dict(_OPTIONS, inline="always") if inline else _OPTIONS
    dispatcher = _Kernel(py_func=function, locals={}, targetoptions=dict(options, nopython=True))
    try:
        # What cache=True does (numba's Dispatcher.enable_caching), with the saving guarded.
        dispatcher._cache = _GuardedCache(function)
    except RuntimeError as error:
        if "no locator available" not in str(error):
            raise
        _notice("no writable numba cache directory, so kernels are compiled in every run (set "
                "NUMBA_CACHE_DIR to a writable directory to cache them)")
    return dispatcher


class _Kernel(CPUDispatcher):
    """numba's dispatcher with simtrial's two compile rules.

    *One specialisation per argument types.* numba types a constant that one kernel passes to
    another as a literal (``Literal[int](0)``, ``Literal[int](-1)``) and compiles the callee
    once for each constant and once more for the plain type: ``_walk(..., -1, ...)`` and
    ``_walk(..., 1, ...)`` beside ``_walk(..., step, ...)`` were three compilations of the same
    code. Here a callee is compiled for the plain types only (the machine code is the same: a
    literal type only matters to code that asks for it, with ``numba.literally``, which no
    kernel does). Calls from Python never see literal types; their call sites pass one
    integer type (int64) and one float type (float64) per argument.

    *One compiler per machine.* See :func:`_one_compiler`.
    """

    def get_call_template(self, args, kws):
        """The call template numba makes, for the arguments' plain (non-literal) types."""
        return super().get_call_template([types.unliteral(a) for a in args],
                                         {k: types.unliteral(v) for k, v in kws.items()})

    def compile(self, sig):
        """Load or compile the code for ``sig``, one process at a time per cache directory."""
        with global_compiler_lock, _one_compiler(self._cache):
            return super().compile(sig)


_lock_depth = [0]  # compiles under way in this process (nested: a kernel types its callees)


@contextmanager
def _one_compiler(cache):
    """Hold the kernel's compile lock around the outermost compile of the process.

    Sweep workers, test workers and two shells started at once would each compile the same
    kernels from an empty cache. With an exclusive ``fcntl.flock`` on the kernel's lock file
    in the cache directory (the name of its cache files, ending ``.lock``), the first process
    compiles a kernel and saves it; the others wait, then find it in the cache and load it
    (numba reads the cache index afresh at each lookup). The lock is the kernel's own, and
    taken for a top-level compile only (a kernel compiled as another's callee is compiled
    under its caller's lock), so processes that need different kernels compile them at the
    same time (:mod:`simtrial.warmup`) and a process holds one lock at a time. Without a
    saving cache (none writable, or saving failed) or without ``fcntl`` (Windows), each
    process compiles for itself. The operating system releases the lock of a process that
    dies. Called with numba's compiler lock held, so the depth count needs no lock of its own.
    """
    path = getattr(cache, "_cache_path", None)
    first = not _lock_depth[0] and path is not None and not _GuardedCache.gave_up
    handle = _locked(os.path.join(path, f"{cache._impl.filename_base}.lock")) if first else None
    _lock_depth[0] += 1
    try:
        yield
    finally:
        _lock_depth[0] -= 1
        if handle is not None:
            handle.close()  # releases the lock


def _locked(path):
    """``path`` opened and exclusively locked (waiting for it); None where that cannot be."""
    if fcntl is None:
        return None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle = open(path, "a")
    except OSError:  # an unwritable directory: numba's own checks report it
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError:  # a file system without locks (some network mounts)
        handle.close()
        return None
    return handle


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
        while _compile_hooks:
            _compile_hooks.pop()()

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
_compile_hooks: list = []


@contextmanager
def when_compiling(hook):
    """Within the block, call ``hook()`` when a kernel is first compiled (not in the cache).

    Nothing is called in a block whose kernels all load from the cache: the hook is for work
    that only a compiling run needs (:func:`simtrial.warmup.compile_alongside`).

    Examples
    --------
    >>> with when_compiling(lambda: print("compiling")):
    ...     pass  # nothing compiled here
    """
    _compile_hooks.append(hook)
    try:
        yield
    finally:
        if hook in _compile_hooks:
            _compile_hooks.remove(hook)


def _notice(message):
    """Print ``simtrial: notice: message`` on stderr, for the first notice of the process only."""
    if not _notified:
        _notified.append(message)
        print(f"simtrial: notice: {message}", file=sys.stderr)
