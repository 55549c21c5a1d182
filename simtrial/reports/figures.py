"""The two figures of a grant report: power curves with the chosen n, and the sensitivity plot.

Both are :class:`matplotlib.figure.Figure` objects built without pyplot; the numbers they
draw come from the report's ``results.json`` (:mod:`simtrial.reports.contents`). Text from
the scenario (labels, units, the name in a title) passes through
:func:`simtrial.text.plot_label` here or in :func:`simtrial.plots.power_curve_figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from simtrial.plots import panel_grid, power_curve_figure
from simtrial.scenario import Scenario
from simtrial.text import plot_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["chosen_n_figure", "draw", "figure_items", "sensitivity_figure"]


def draw(sc: Scenario, r: dict[str, Any], where: Path) -> None:
    """Save the report's figures for its numbers `r` into directory `where`.

    ``power_curve.png`` always; ``sensitivity.png`` when :func:`figure_items` finds a number
    to draw.
    """
    labels = {ep.id: ep.label or ep.id for ep in sc.endpoints}
    n = r["sample_size"]["n_total"]
    curve = chosen_n_figure(
        r["power_curve"]["rows"], labels, n, r["target_power"],
        f"Scenario {sc.name}: power against total sample size "
        f"({r['power_curve']['reps']} simulated trials per point)")
    curve.savefig(where / "power_curve.png", dpi=150)
    sens = r["sensitivity"]
    items = figure_items(sens)
    if items:
        roles = dict(zip(sens["endpoints"], ("primary", "key secondary"), strict=False))
        figure = sensitivity_figure(
            items, sens["endpoints"],
            {e: f"{labels[e]} ({role})" for e, role in roles.items()}, r["target_power"],
            f"Sensitivity at n = {n} ({sens['reps']} simulated trials per point)")
        figure.savefig(where / "sensitivity.png", dpi=150)


def figure_items(sens: dict[str, Any]) -> list[dict]:
    """The sensitivity items drawn: those varying a single number (not the allocation).

    Examples
    --------
    >>> [i["key"] for i in figure_items({"items": [{"key": "trial.allocation"}, {"key": "x"}]})]
    ['x']
    """
    return [item for item in sens["items"] if item["key"] != "trial.allocation"]


def chosen_n_figure(curve: list[dict], labels: dict[str, str], n_total: int, target: float,
                    title: str) -> Figure:
    """Power against n per endpoint (95% Monte Carlo band), the target and the chosen n.

    Parameters
    ----------
    curve : list of dict
        Rows with ``n_total``, ``endpoint``, ``power``, ``ci_low``, ``ci_high``.
    labels : dict
        Endpoint id -> panel title.
    n_total : int
        The chosen total sample size, marked by a vertical line in every panel.
    target : float
        Target power (dashed line).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"n_total": n, "endpoint": "y", "power": p, "ci_low": p - 0.02,
    ...          "ci_high": p + 0.02} for n, p in [(100, 0.5), (200, 0.8), (300, 0.93)]]
    >>> fig = chosen_n_figure(rows, {"y": "Outcome"}, 200, 0.8, "")
    >>> [ax.get_title() for ax in fig.axes]
    ['Outcome']
    """
    figure = power_curve_figure(curve, labels=labels, targets=[target], title=title)
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        ax.axvline(n_total, color="0.15", linestyle=":", linewidth=1.2)
        ax.annotate(f"chosen n = {n_total}", (n_total, 1.0), xycoords="data", xytext=(-3, 0),
                    textcoords="offset points", ha="right", va="top", fontsize=8,
                    color="0.15")
    return figure


def sensitivity_figure(sensitivity: list[dict], endpoints: list[str], labels: dict[str, str],
                       target: float, title: str) -> Figure:
    """Power at the chosen n as each assumption varies, one panel per assumption.

    Parameters
    ----------
    sensitivity : list of dict
        One dict per varied assumption: ``label`` (axis label, with unit), ``planned`` (the
        scenario's value, a number or None), and ``rows``: dicts with ``value`` (a number)
        and ``power`` (endpoint id -> ``{"power", "mcse"}``).
    endpoints : list of str
        Endpoint ids drawn as lines.
    labels : dict
        Endpoint id -> legend text.
    target : float
        Target power (dashed line).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"value": v, "power": {"y": {"power": p, "mcse": 0.01}}}
    ...         for v, p in [(0.2, 0.6), (0.3, 0.8)]]
    >>> fig = sensitivity_figure([{"label": "control p", "planned": 0.3, "rows": rows}],
    ...                          ["y"], {"y": "Outcome"}, 0.8, "")
    >>> fig.axes[0].get_xlabel()
    'control p'
    """
    figure, axes = panel_grid(len(sensitivity), panel_height=3.4)
    for ax, item in zip(axes, sensitivity, strict=False):
        rows = sorted((r for r in item["rows"] if r["value"] is not None),
                      key=lambda r: r["value"])
        xs = [r["value"] for r in rows]
        for i, endpoint in enumerate(endpoints):
            ys = [r["power"][endpoint]["power"] for r in rows]
            errors = [1.96 * r["power"][endpoint]["mcse"] for r in rows]
            ax.errorbar(xs, ys, yerr=errors, fmt=("o-", "s--", "^:")[i % 3], color=f"C{i}",
                        markersize=4, linewidth=1.5, capsize=3,
                        label=plot_label(labels.get(endpoint, endpoint)))
        if item["planned"] is not None:
            ax.axvline(item["planned"], color="0.15", linestyle=":", linewidth=1.2)
            ax.annotate("planned", (item["planned"], 0.02), xytext=(3, 0),
                        textcoords="offset points", ha="left", va="bottom", fontsize=8)
        ax.axhline(target, color="0.35", linestyle="--", linewidth=1)
        ax.set_xlabel(plot_label(item["label"]), fontsize=9)
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, [*names], loc="outside lower center", ncols=min(3, len(handles)),
                  fontsize=9, frameon=False,
                  title=f"error bars: 95% Monte Carlo interval; grey dashed line: target "
                        f"{target:.0%}; dotted line: planned value", title_fontsize=9)
    if title:
        figure.suptitle(plot_label(title), fontsize=11)
    return figure
