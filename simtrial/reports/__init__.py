"""Grant-ready sample-size justification: Markdown, Word, two figures and every number as JSON.

:func:`report` composes the package's modules, one job each: :mod:`~simtrial.reports.contents`
computes every number (``results.json``), :mod:`~simtrial.reports.sensitivity` the
one-at-a-time sensitivity analysis among them and :mod:`~simtrial.reports.precision` the
Monte Carlo uncertainty of n; :mod:`~simtrial.reports.sections` builds the report's content
once as a neutral document (:mod:`~simtrial.reports.document`), which
:mod:`~simtrial.reports.markdown` renders as ``report.md`` and :mod:`~simtrial.reports.word`
as ``report.docx`` (when python-docx is installed); :mod:`~simtrial.reports.figures` draws the
figures, and :mod:`~simtrial.reports.files` writes the lot atomically into the output
directory.

Choices made here (stated in every report):

- The sample size is chosen for the scenario's primary endpoint (``[analysis] primary``); a
  scenario that names none falls back to its first endpoint, and the report says so.
- The power curve and the sensitivity analysis use ``max(100, reps // 5)`` simulated trials
  per point; the sample size and the powers at the chosen n use ``reps``.
- The sensitivity analysis varies one number at a time at the chosen n, everything else as
  planned: each shown endpoint's effect, control level, spread and dropout, the assumed
  correlations and an assumed allocation; which endpoints, numbers and ranges:
  :mod:`simtrial.reports.sensitivity`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simtrial.errors import InputError
from simtrial.reports import contents, figures, files, markdown, sections, word
from simtrial.scenario import Scenario, load_scenario

__all__ = ["Report", "report"]


@dataclass(frozen=True)
class Report:
    """A written report: the directory, the Markdown text and every number (``results``).

    ``files`` names the files written, in :data:`simtrial.reports.files.FILES` order;
    ``notes`` says what was not written and why (``report.docx`` without python-docx).
    """

    out: Path
    markdown: str
    results: dict[str, Any]
    files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

#: Why report.docx is missing when python-docx is not installed.
NO_DOCX = ("report.docx not written: python-docx is not installed (pip install python-docx, "
           "or the docx extra)")


def report(scenario: Scenario | str, target_power: float, out: str | Path, *,
           reps: int = 10_000, seed: int = 1, jobs: int | None = None,
           force: bool = False, docx: bool | None = None) -> Report:
    """Choose n for the primary endpoint and write the justification into directory `out`.

    Parameters
    ----------
    scenario : Scenario or str
        A built-in name or file path (its text is hashed), or a Scenario: hashed through
        the file it was loaded from, unless it was changed since (then no hash, no command).
    target_power : float
        Target power of the primary endpoint, in (0, 1).
    out : str or path
        Output directory; it must not exist or be empty unless `force`.
    reps, seed : int
        Simulated trials for the sample size and the powers at n, and the seed.
    jobs : int, optional
        Threads (default: all cores); the numbers do not depend on it.
    force : bool
        Write into a non-empty `out`: the report's own files
        (:data:`simtrial.reports.files.FILES`) are replaced and nothing else in `out` is
        touched. Refused if `out` holds one of those names but is not a report directory (no
        ``results.json`` written by a report).
    docx : bool, optional
        Write ``report.docx`` too: None (default) when python-docx is installed (else a note
        in ``Report.notes``), True always (refused at once without python-docx), False never.

    Returns
    -------
    Report

    Notes
    -----
    Everything is written to a staging directory first: a new `out` is that directory renamed
    at the end; into an existing `out` (staged inside it, ``.simtrial-report-*``) each file is
    moved by an atomic rename. A failure or an interrupt (Ctrl-C, SIGTERM from the command
    line) removes the staging directory and leaves `out` as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "grant"
    >>> rep = report("msc-covid19", 0.9, out, reps=1000, jobs=1)
    >>> sorted(p.name for p in out.iterdir()) == sorted(
    ...     ['assurance.png', 'power_curve.png', 'report.md', 'results.json', 'sensitivity.png']
    ...     + ['report.docx'] * word.available())
    True
    >>> "NCT04288102" in rep.markdown
    True
    """
    out = _report_iv(target_power, out, reps, seed, force, docx)
    with_docx = word.available() if docx is None else docx
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    name = scenario if isinstance(scenario, str) else contents.file_of(scenario)
    with files.staged(out) as staging:
        results = contents.compute(sc, name, target_power, out, reps, seed, jobs)
        document = sections.build(sc, results)
        text = markdown.render(document)
        (staging / "results.json").write_text(json.dumps(results, indent=2) + "\n",
                                              encoding="utf-8")
        (staging / "report.md").write_text(text, encoding="utf-8")
        figures.draw(sc, results, staging)
        if with_docx:
            word.write(document, staging)
        written = files.publish(staging, out)
    notes = () if with_docx or docx is False else (NO_DOCX,)
    return Report(out=out, markdown=text, results=results, files=written, notes=notes)


def _report_iv(target_power: Any, out: Any, reps: Any, seed: Any, force: bool,
               docx: bool | None) -> Path:
    if isinstance(target_power, bool) or not isinstance(target_power, float | int) or not (
            0 < target_power < 1):
        raise InputError(f"`target_power` must be a number in (0, 1); got {target_power!r}.")
    for arg, value, low in (("reps", reps, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"`{arg}` must be an integer >= {low}; got {value!r}.")
    if docx is True and not word.available():
        raise InputError("`docx`: report.docx needs python-docx: pip install python-docx (or "
                         "the docx extra)")
    out = files.check_out(out, force)
    from simtrial.plots import require_matplotlib

    try:
        require_matplotlib()
    except ImportError as exc:
        raise InputError(f"`out`: the report's figures need matplotlib ({exc}).") from None
    return out
