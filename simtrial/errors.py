"""The errors simtrial raises on purpose, and the exit status each means on the command line.

Everything simtrial refuses or cannot do is a :class:`SimtrialError`: bad input (a file, a
flag, an argument) is an :class:`InputError` (exit status 2); a computation that cannot be
carried out (a target power out of reach, a run too large for this machine's memory, a sweep
stopped by a failure) is a :class:`ComputationError` (exit status 1). The command line catches
these, and only these (with click's own usage errors and the operating system's file errors),
and prints their one-line message; anything else is a bug and shows its traceback.

Both subclass the builtin a Python caller would expect (``ValueError``, ``RuntimeError``), so
``except ValueError`` around :func:`simtrial.power` keeps working.

Examples
--------
>>> issubclass(InputError, ValueError), InputError.exit_status, TargetNotReached.exit_status
(True, 2, 1)
"""

from __future__ import annotations

__all__ = ["ComputationError", "InputError", "InsufficientMemory", "SimtrialError",
           "SweepFailed", "TargetNotReached"]


class SimtrialError(Exception):
    """Base of the errors simtrial raises on purpose; ``exit_status`` is the CLI's."""

    exit_status = 1


class InputError(SimtrialError, ValueError):
    """Bad input: the message names the file, key, flag or argument and what is allowed."""

    exit_status = 2


class ComputationError(SimtrialError, RuntimeError):
    """A computation that cannot be carried out as asked; the message says why."""


class TargetNotReached(ComputationError):
    """The target power is not reached within the bounds searched."""


class InsufficientMemory(ComputationError, MemoryError):
    """A run that would not fit in this machine's memory, refused before it starts."""


class SweepFailed(ComputationError):
    """A sweep stopped before it finished (a worker died, or the cluster lost its workers).

    Its message names the output file and says how to continue (``--resume``).
    """
