"""Where a report is written: its output directory, a staging directory, atomic replacement.

A report is written whole into a staging directory first. A new output directory is that
staging directory renamed at the end; into an existing one (staged inside it,
``.simtrial-report-*``) each file is moved by an atomic rename, and nothing but the report's
own files (:data:`FILES`) is touched. A failure or an interrupt (Ctrl-C, or SIGTERM turned
into an exception by the command line) removes the staging directory and leaves the output
directory as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simtrial.errors import InputError

__all__ = ["FILES", "STAGING_PREFIX", "check_out", "publish", "staged"]

#: Every file a report may write; ``force`` replaces these and nothing else.
FILES = ("report.md", "report.docx", "results.json", "power_curve.png", "sensitivity.png",
         "assurance.png")
STAGING_PREFIX = ".simtrial-report-"


def check_out(out: str | Path, force: bool) -> Path:
    """The output directory, refused if a report may not be written there.

    It may not be a file, nor a non-empty directory unless `force`; with `force`, a directory
    holding a file named as a report's that no report wrote is refused too.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_out(pathlib.Path(tempfile.mkdtemp()) / "grant", force=False).name
    'grant'
    """
    if not isinstance(out, str | Path):
        raise InputError(f"`out` must be a directory path; got {out!r}.")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"`out` {out}: exists and is not a directory.")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputError(f"`out` {out}: the directory is not empty; use --force to replace "
                             "the report's files in it.")
        _check_replaceable(out)
    return out


def _check_replaceable(out: Path) -> None:
    """Refuse `out` if it holds a file named as a report's that no report wrote."""
    taken = [name for name in FILES if (out / name).exists()]
    if not taken:
        return
    try:
        written = "simtrial_report" in json.loads((out / "results.json").read_text("utf-8"))
    except (OSError, ValueError, TypeError):
        written = False
    if not written:
        raise InputError(f"`out` {out}: holds {', '.join(taken)} but is not a report directory "
                         "(no results.json written by simtrial report); --force replaces only a "
                         "report's own files: choose another directory.")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A new empty staging directory for a report bound for `out`, removed on leaving.

    For a new `out` it is made next to it and gets a new directory's usual permissions (the
    umask's, not a temporary directory's owner-only ones), since it becomes `out`; for an
    existing `out` it is made inside it, so that nothing is written outside `out`. Enter it
    before computing, so that a place where nothing can be written fails at once. Whatever
    :func:`publish` did not move away, an error or an interrupt included, is removed on exit.
    """
    exists = out.is_dir()
    try:
        if not exists:
            out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out if exists else out.parent))
    except OSError as exc:
        raise InputError(f"`out` {out}: cannot write there ({exc.strerror or exc}).") from None
    if not exists:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out: Path) -> tuple[str, ...]:
    """Move the finished files from `staging` into `out`; the names written, in FILES order.

    A new `out` is the staging directory renamed. Into an existing one, each report file is
    moved by an atomic rename, and a report file of an earlier report that this one did not
    write (a sensitivity figure with nothing to draw) is removed; nothing else is touched.
    """
    written = tuple(name for name in FILES if (staging / name).exists())
    if not out.is_dir() or not staging.parent.samefile(out):
        staging.rename(out)
        return written
    for name in FILES:
        if (staging / name).exists():
            os.replace(staging / name, out / name)
        else:
            (out / name).unlink(missing_ok=True)
    return written
