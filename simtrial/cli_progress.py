"""The command line's progress bar for a sweep: the library reports progress, this draws it.

:func:`simtrial.sweep` calls ``progress(cells_done, cells_total)`` and never prints; the
``simtrial sweep`` command passes a :class:`TerminalProgress` writing to stderr when that is a
terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    r"""A one-line progress bar (cells done, elapsed, remaining) for ``sweep(progress=...)``.

    Examples
    --------
    >>> import io
    >>> bar = TerminalProgress(io.StringIO(), clock=iter([0.0, 30.0]).__next__)
    >>> bar(0, 4); bar(1, 4)
    >>> bar.stream.getvalue().split("\r")[-1]
    '[######                  ] 1/4 cells  elapsed 0:30  remaining 1:30'
    """

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.start: tuple[float, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        """Redraw the bar; the first call sets the start (resumed cells do not count)."""
        now = self.clock()
        if self.start is None:
            self.start = (now, done)
        began, first = self.start
        elapsed, computed = now - began, done - first
        remaining = _clock_text(elapsed / computed * (total - done)) if computed else "?"
        filled = self.WIDTH * done // max(total, 1)
        bar = "#" * filled + " " * (self.WIDTH - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} cells  elapsed {_clock_text(elapsed)}  "
                          f"remaining {remaining}")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

