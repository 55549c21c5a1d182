"""The sweep's output file: durable rows, checksums, a lock, resume, an atomic final rewrite.

Each finished cell is appended, flushed and fsynced as it completes, so a killed sweep loses
no finished cell; a resume reads back only the cells whose rows all verify. The file is
rewritten in grid order once every cell is done, so its bytes do not depend on the order in
which cells finished, on the number of jobs or on the backend. A sidecar ``FILE.meta.json``
holds the sweep's fingerprint (scenario data, grid, reps, seed, endpoints, version and a digest
of simtrial's source files), and resuming a different sweep is refused.

Every row carries its cell's key (:meth:`Grid.cell_key`) and a checksum over the fingerprint
and the row's values, so a resume keeps only rows that verify: an edited row, a row moved to
another cell, a duplicate or a row of another sweep is dropped and its cell computed again. A
lock (``FILE.lock``, ``fcntl.flock``) refuses a second sweep on the same file while one runs.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from simtrial._version import __version__
from simtrial.errors import InputError
from simtrial.sweeps.grid import DIGITS, TEXT_KEYS, Grid, digest, plain

__all__ = ["Lock", "Output", "checksum", "code_digest", "fingerprint", "sealed"]

_INT_COLUMNS = ("cell", "n_total", "n_treatment", "n_control", "rejections", "reps", "seed")
_FLOAT_COLUMNS = ("power", "mcse", "ci_low", "ci_high", "analytic_power", "power_unadjusted",
                  "family_power_any", "family_power_all")
#: The output's format: 2 added power_unadjusted and the family columns.
FORMAT = 2


def code_digest() -> str:
    """SHA-256 of simtrial's own source files (path and contents, in path order).

    A sweep resumed by different code (an edit without a version bump) would mix results of
    two programs in one file; the digest in the fingerprint refuses that.
    """
    package = Path(__file__).parents[1]
    sha = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        sha.update(path.relative_to(package).as_posix().encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def fingerprint(grid: Grid, reps: int, seed: int) -> dict[str, Any]:
    """What makes a sweep the same sweep: the ``FILE.meta.json`` data a resume must match."""
    data = json.dumps(plain(grid.scenario.raw), sort_keys=True).encode()
    return {"simtrial_sweep": FORMAT, "version": __version__, "code_sha256": code_digest(),
            # the random streams and kernels' arithmetic come from these: a resume after an
            # upgrade must not mix rows of two (numpy's Generator streams may change)
            "numpy": metadata.version("numpy"), "numba": metadata.version("numba"),
            "scenario": grid.scenario.name,
            "scenario_sha256": hashlib.sha256(data).hexdigest(), "n": list(grid.n_values),
            "vary": {key: [list(v) if isinstance(v, tuple) else v for v in values]
                     for key, values in grid.vary},
            "endpoints": list(grid.endpoint_ids), "reps": reps, "seed": seed}


def checksum(row: dict, seal: str) -> str:
    """The checksum of a row: the fingerprint's digest (`seal`) and every value but the checksum.

    Examples
    --------
    >>> row = {"cell": 0, "power": 0.8, "checksum": "x"}
    >>> checksum(row, "a") == checksum({**row, "checksum": "y"}, "a") != checksum(row, "b")
    True
    """
    return digest([seal, [value for key, value in row.items() if key != "checksum"]])[:DIGITS]


def sealed(rows: Iterable[dict], seal: str) -> list[dict]:
    """The rows of a cell with their checksum column (`seal`: the fingerprint's digest)."""
    return [{**row, "checksum": checksum(row, seal)} for row in rows]


class Output:
    """The sweep's output file, locked: append each finished cell durably, resume, rewrite.

    Use as a context manager; leaving it releases the lock.
    """

    def __init__(self, path: Path, grid: Grid, seal: str, lock: Lock):
        self.path, self.grid, self.seal, self.lock = path, grid, seal, lock
        self.jsonl = path.suffix == ".jsonl"
        self.done: dict[int, list[dict]] = {}
        self.dropped = 0
        self.meta: dict = {}

    @classmethod
    def open(cls, out: str | Path, grid: Grid, fingerprint: dict, seal: str, resume: bool,
             force: bool) -> Output:
        """Lock `out` and start it: new (or replaced with `force`), or read back with `resume`.

        `fingerprint` is the sweep's (:func:`fingerprint`) and `seal` its digest.
        """
        path = Path(out)
        if path.is_dir():
            raise InputError(f"`out` {path} is a directory; give a file name")
        if not path.parent.is_dir():
            raise InputError(f"`out` {path}: the directory {path.parent} does not exist")
        if path.exists() and not path.is_file():
            raise InputError(f"`out` {path} is not a regular file; give a file name")
        source = Path(grid.scenario.source)
        for written in (path, _meta_path(path), _lock_path(path)):
            if source.is_file() and written.exists() and source.samefile(written):
                raise InputError(f"`out` {path}: {written} is the scenario file "
                                 f"{grid.scenario.source}; give another output file name")
        output = cls(path, grid, seal, Lock.acquire(path))
        try:
            output._start(fingerprint, resume, force)
        except BaseException:
            output.lock.release()
            raise
        return output

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()

    def _start(self, fingerprint: dict, resume: bool, force: bool) -> None:
        _remove_temporaries(self.path)
        meta_path = _meta_path(self.path)
        if self.path.exists() and resume:
            self._check_fingerprint(meta_path, fingerprint)
            self.done = self._read_finished()
        elif self.path.exists() and not force:
            raise InputError(f"`out` {self.path} already exists: continue it with --resume "
                             "(resume=True) or overwrite it with --force (force=True)")
        self._rewrite(self.done)  # the header and only complete, verified cells
        # the file is unfinished until finish() says otherwise in its sidecar
        self.meta = {**fingerprint, "finished": False}
        _atomic_write(meta_path, json.dumps(self.meta, indent=1) + "\n")

    def append(self, rows: list[dict]) -> None:
        """Append one cell's rows in one write, and make them durable before returning."""
        with open(self.path, "a", encoding="utf-8", newline="") as stream:
            stream.write("".join(self._line(row) for row in rows))
            stream.flush()
            os.fsync(stream.fileno())

    def finish(self, cells: dict[int, list[dict]]) -> None:
        """Rewrite the finished file in grid order, so its bytes depend on nothing else."""
        self._rewrite(cells)
        self.meta["finished"] = True
        _atomic_write(_meta_path(self.path), json.dumps(self.meta, indent=1) + "\n")

    def _rewrite(self, cells: dict[int, list[dict]]) -> None:
        text = "".join(self._line(row) for i in sorted(cells) for row in cells[i])
        _atomic_write(self.path, self._header() + text)

    def _header(self) -> str:
        return "" if self.jsonl else _csv_line(self.grid.columns)

    def _line(self, row: dict) -> str:
        if self.jsonl:
            return json.dumps(row) + "\n"
        return _csv_line(["" if v is None else v for v in row.values()])

    def _check_fingerprint(self, meta_path: Path, fingerprint: dict) -> None:
        try:
            stored = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(stored, dict):
                raise ValueError
        except (OSError, ValueError):
            raise InputError(f"`out` {self.path}: cannot resume, {meta_path.name} is missing or "
                             "unreadable (use --force to start over)") from None
        if stored.get("simtrial_sweep") != fingerprint["simtrial_sweep"]:
            raise InputError(f"`out` {self.path}: cannot resume, it is in sweep format "
                             f"{stored.get('simtrial_sweep')} and this simtrial writes format "
                             f"{FORMAT} (other columns); use --force to start over")
        differ = [key for key in fingerprint if stored.get(key) != fingerprint[key]]
        if differ:
            raise InputError(f"`out` {self.path} was written by a different sweep (it differs "
                             f"in: {', '.join(differ)}); resume needs the same scenario, grid, "
                             "endpoints, reps, seed and simtrial code, or use --force to "
                             "start over")

    def _read_finished(self) -> dict[int, list[dict]]:
        """The complete cells whose rows all verify; ``dropped`` counts the rows that did not.

        A torn last line (a write cut by a kill) and blank lines are not counted; neither are
        the rows of a cell that was not completely written (its cell is simply computed).
        """
        text = self.path.read_text(encoding="utf-8")
        lines = text[:text.rfind("\n") + 1].splitlines(keepends=True)  # drop a torn last line
        if not self.jsonl and text:
            if lines[:1] != [self._header()]:
                raise InputError(f"`out` {self.path}: the CSV header is not this sweep's "
                                 "(use --force to start over)")
            lines = lines[1:]
        found: dict[int, dict[str, dict]] = {}
        for line in lines:
            if not line.strip():
                continue
            row = self._verified(line)
            if row is None or row["endpoint"] in found.get(row["cell"], {}):
                self.dropped += 1
                continue
            found.setdefault(row["cell"], {})[row["endpoint"]] = row
        ids = self.grid.endpoint_ids
        return {i: [rows[e] for e in ids] for i, rows in found.items() if len(rows) == len(ids)}

    def _verified(self, line: str) -> dict | None:
        """The row of a line, or None unless it is a row of this sweep, in its own cell."""
        columns = self.grid.columns
        try:
            if self.jsonl:
                row = json.loads(line)
            else:
                row = dict(zip(columns, next(csv.reader([line])), strict=True))
                for key in columns:
                    row[key] = _typed(key, row[key])
        except (ValueError, StopIteration):
            return None
        if not isinstance(row, dict) or list(row) != list(columns) \
                or self._line(row) != line or not isinstance(row["cell"], int) \
                or not 0 <= row["cell"] < len(self.grid.cells) \
                or row["endpoint"] not in self.grid.endpoint_ids \
                or row["cell_key"] != self.grid.cell_key(row["cell"]) \
                or row["checksum"] != checksum(row, self.seal):
            return None
        return row


class Lock:
    """An exclusive ``fcntl.flock`` on ``FILE.lock``: one sweep writes a file at a time.

    The lock file holds the owner's process id and is removed on release. The kernel drops
    the lock of a killed process, so a stale lock file never blocks.
    """

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    @classmethod
    def acquire(cls, out: Path) -> Lock:
        """Lock output file `out`, or refuse at once if another sweep holds its lock."""
        path = _lock_path(out)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise InputError(f"`out` {out}: cannot write in {path.parent} "
                                 f"({exc.strerror or exc})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                owner = os.pread(fd, 32, 0).decode(errors="replace").strip()
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise InputError(f"`out` {out} is being written by another sweep (process "
                                 f"{owner or '?'}, lock {path.name}); wait for it to finish or "
                                 "choose another file") from None
            try:  # the holder before us may have removed the file after we opened it
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return cls(path, fd)
            os.close(fd)

    def release(self) -> None:
        """Remove the lock file and release the lock (again: nothing)."""
        if self.fd < 0:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = -1


def _typed(column: str, text: str):
    if column in _INT_COLUMNS:
        return int(text)
    if column in _FLOAT_COLUMNS or (column.count(".") and column not in TEXT_KEYS):
        return None if text == "" else float(text)
    return text


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _temporary(path: Path, pid: int | str) -> Path:
    return path.with_name(f".{path.name}.{pid}.tmp")


def _remove_temporaries(out: Path) -> None:
    """Remove what a killed rewrite of ``out`` or its sidecar left (only simtrial's names).

    Called with the lock held, so no other sweep is writing them.
    """
    for path in (out, _meta_path(out)):
        for temporary in path.parent.glob(_temporary(path, "*").name):
            if temporary.name[len(path.name) + 2:-4].isdigit():
                temporary.unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves either the old or the new file.

    A failed write (a full disk) removes its temporary file and leaves ``path`` as it was.
    """
    temporary = _temporary(path, os.getpid())
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
