"""Power curves: simulated power against n with the Monte Carlo band, for sweeps and reports.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, no GUI backend), so they
can be drawn in any thread or process. matplotlib is an optional extra
(``pip install matplotlib``, or the ``plot`` extra); :func:`require_matplotlib` says so clearly.
Every text given to matplotlib here passes through :func:`simtrial.text.plot_label`: a ``$``
in a scenario's name or label is drawn as a dollar sign, never as mathtext.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from simtrial.errors import InputError
from simtrial.text import plot_label

__all__ = ["check_figure_path", "key_label", "panel_grid", "power_curve_figure",
           "require_matplotlib", "save_power_curves"]

FORMATS = (".png", ".pdf", ".svg")
X_LABEL = "Patients randomised, n (total, both arms)"
Y_LABEL = "Power (probability of rejecting H0)"


def require_matplotlib() -> None:
    """Raise ImportError, saying what to install, if matplotlib is missing.

    Examples
    --------
    >>> require_matplotlib()
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError("plots need matplotlib: pip install matplotlib (or the plot extra: "
                          "pip install '.[plot]' in simtrial's checkout)")


def check_figure_path(path: str | Path) -> Path:
    """Check, before any work, that a figure can be written at ``path``.

    Examples
    --------
    >>> check_figure_path("curves.png").suffix
    '.png'
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"`plot` {path}: the file name must end in {', '.join(FORMATS)}")
    if not path.parent.is_dir():
        raise InputError(f"`plot` {path}: the directory {path.parent} does not exist")
    return path


def power_curve_figure(rows: Iterable[dict], *, series: Sequence[str] = (),
                       labels: dict[str, str] | None = None,
                       targets: Sequence[float] = (0.8, 0.9), title: str = "",
                       lines: dict[str, Sequence[tuple[float, str]]] | None = None):
    """A figure of power against n: one panel per endpoint, one line per series.

    Parameters
    ----------
    rows : iterable of dict
        Rows with ``n_total``, ``endpoint``, ``power``, ``ci_low`` and ``ci_high`` (such as
        :attr:`simtrial.SweepResult.rows`), plus the ``series`` columns.
    series : sequence of str
        Columns whose values tell the lines apart (the varied keys of a sweep); the legend
        names them in words (:func:`key_label`), not as dotted keys.
    labels : dict, optional
        Endpoint id -> panel title (default: the id).
    targets : sequence of float
        Target powers drawn as dashed horizontal lines.
    title : str
        Figure title.
    lines : dict, optional
        Endpoint id -> the horizontal lines of its panel as ``(value, text)``, replacing the
        targets there: none for an endpoint without a power target (a safety endpoint), the
        alpha level for one planned without effect (its rejection rate is a type I error).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"n_total": n, "endpoint": "y", "power": p, "ci_low": p - 0.02,
    ...          "ci_high": p + 0.02} for n, p in [(100, 0.5), (200, 0.8), (300, 0.93)]]
    >>> fig = power_curve_figure(rows, targets=[0.8])
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['Patients randomised, n (total, both arms)']
    """
    rows = list(rows)
    endpoints = list(dict.fromkeys(row["endpoint"] for row in rows))
    keys = list(dict.fromkeys(tuple(row[c] for c in series) for row in rows))
    figure, axes = panel_grid(len(endpoints), panel_height=3.6)
    colours = [f"C{i % 10}" for i in range(len(keys))]
    for ax, endpoint in zip(axes, endpoints, strict=False):
        for key, colour in zip(keys, colours, strict=True):
            line = sorted((r["n_total"], r["power"], r["ci_low"], r["ci_high"]) for r in rows
                          if r["endpoint"] == endpoint and tuple(r[c] for c in series) == key)
            n, power, low, high = zip(*line, strict=True)
            label = plot_label(", ".join(_value_text(v) for v in key) or "simulated power")
            ax.fill_between(n, low, high, color=colour, alpha=0.18, linewidth=0)
            ax.plot(n, power, "o-", color=colour, markersize=3.5, linewidth=1.6, label=label)
        drawn = ([(t, f"target {t:.0%}") for t in targets] if lines is None
                 or endpoint not in lines else lines[endpoint])
        for value, text in drawn:
            ax.axhline(value, color="0.35", linestyle="--", linewidth=1)
            ax.annotate(plot_label(text), (1, value), xycoords=("axes fraction", "data"),
                        xytext=(-3, 2), textcoords="offset points", ha="right", va="bottom",
                        fontsize=8, color="0.25")
        ax.set_title(plot_label((labels or {}).get(endpoint, endpoint)), fontsize=10)
        ax.set_xlabel(X_LABEL, fontsize=9)
    handles, names = axes[0].get_legend_handles_labels()
    band = _band_handle()
    figure.legend([*handles, band], [*names, "95% Monte Carlo interval (shaded)"],
                  loc="outside lower center", ncols=min(4, len(handles) + 1), fontsize=9,
                  title=plot_label(", ".join(key_label(k) for k in series)) or None,
                  title_fontsize=9, frameon=False)
    if title:
        figure.suptitle(plot_label(title), fontsize=11)
    return figure


def key_label(key: str) -> str:
    """A sweep's varied key in words, for legends: no raw dotted keys.

    Examples
    --------
    >>> key_label("endpoints.walk_m.treatment.sd"), key_label("endpoints.walk_m.dropout")
    ('walk_m: treatment SD', 'walk_m: dropout (both arms)')
    >>> key_label("trial.allocation"), key_label("correlations.a.b")
    ('allocation (treatment:control)', 'correlation of a and b')
    """
    parts = key.split(".")
    words = {"p": "proportion", "sd": "SD", "mean": "mean", "gmean": "geometric mean",
             "gsd": "geometric SD"}
    if parts[0] == "trial":
        return {"allocation": "allocation (treatment:control)"}.get(parts[1], parts[1])
    if parts[0] == "correlations" and len(parts) == 3:
        return f"correlation of {parts[1]} and {parts[2]}"
    if parts[0] == "endpoints" and len(parts) >= 3:
        if parts[2] == "dropout":
            return f"{parts[1]}: dropout" + (f" ({parts[3]})" if len(parts) > 3
                                             else " (both arms)")
        if len(parts) == 4:
            return f"{parts[1]}: {parts[2]} {words.get(parts[3], parts[3])}"
    return key


def panel_grid(count: int, panel_height: float):
    """A figure with ``count`` power panels, at most 3 a row.

    The panels share a 0-1 power axis with a grid and the y label on the first panel of each
    row; unused panels are hidden.

    Returns
    -------
    (matplotlib.figure.Figure, ndarray of Axes), the axes flattened row by row.

    Examples
    --------
    >>> figure, axes = panel_grid(4, panel_height=3.4)
    >>> len(axes), sum(ax.get_visible() for ax in axes), axes[3].get_ylabel() == Y_LABEL
    (6, 4, True)
    """
    require_matplotlib()
    from matplotlib.figure import Figure

    columns = min(3, count)
    lines = math.ceil(count / columns)
    figure = Figure(figsize=(4.6 * columns, panel_height * lines + 0.9), layout="constrained",
                    dpi=100)
    axes = figure.subplots(lines, columns, sharey=True, squeeze=False).ravel()
    for number, ax in enumerate(axes):
        ax.set_visible(number < count)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if number % columns == 0:
            ax.set_ylabel(Y_LABEL, fontsize=9)
    return figure, axes


def save_power_curves(result, path: str | Path, *, targets: Sequence[float] = (0.8, 0.9),
                      title: str | None = None) -> Path:
    """Draw the power curves of a :class:`simtrial.SweepResult` to a PNG (or PDF, SVG) file.

    Lines are told apart by the varied keys; panels are titled with the endpoint labels.
    """
    series = [key for key, _ in result.vary]
    if title is None:
        title = (f"Scenario {result.scenario}: simulated power "
                 f"({result.reps} trials per point, seed {result.seed})")
    figure = power_curve_figure(result.rows, series=series,
                                labels=dict(zip(result.endpoints, result.endpoint_labels,
                                                strict=True)),
                                targets=targets, title=title)
    path = check_figure_path(path)
    figure.savefig(path, dpi=200)
    return path


def _value_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _band_handle():
    from matplotlib.patches import Patch

    return Patch(facecolor="0.5", alpha=0.3)
