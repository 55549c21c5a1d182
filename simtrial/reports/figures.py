"""The figures of a grant report: power curves, a tornado plot, power over the design prior.

The third, ``assurance.png``, is drawn for scenarios with ``[[priors]]``.

Both are :class:`matplotlib.figure.Figure` objects built without pyplot; the numbers they
draw come from the report's ``results.json`` (:mod:`simtrial.reports.contents`). Text from
the scenario (labels, units, the name in a title) passes through
:func:`simtrial.text.plot_label` here or in :func:`simtrial.plots.power_curve_figure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from simtrial.plots import power_curve_figure
from simtrial.scenario import Scenario
from simtrial.text import plot_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["assurance_figure", "chosen_n_figure", "draw", "has_sensitivity_figure",
           "tornado_figure"]

#: Bars per panel of the tornado plot (the largest swings).
TORNADO_BARS = 6


def draw(sc: Scenario, r: dict[str, Any], where: Path) -> None:
    """Save the report's figures for its numbers `r` into directory `where`.

    ``power_curve.png`` always; ``sensitivity.png`` when :func:`has_sensitivity_figure`;
    ``assurance.png`` when some endpoint has an assurance (:func:`assurance_figure`).
    A safety endpoint's panel has no target line (the trial is not sized for it), and an
    endpoint planned without effect shows the alpha level instead (its rejection rate is a
    type I error).
    """
    labels: dict[str, str] = {}
    lines: dict[str, list[tuple[float, str]]] = {}
    for ep in sc.endpoints:
        labels[ep.id] = ep.label or ep.id
        if ep.kind == "safety":
            labels[ep.id] += "\n(safety: no power target)"
            lines[ep.id] = []
        elif ep.id != r["primary"]["endpoint"] and _is_null(ep):
            labels[ep.id] += "\n(no effect planned: type I error)"
            lines[ep.id] = [(r["design"]["alpha"], f"alpha {r['design']['alpha']:g}")]
    n = r["sample_size"]["n_total"]
    curve = chosen_n_figure(
        r["power_curve"]["rows"], labels, n, r["target_power"],
        f"Scenario {sc.name}: power against total sample size "
        f"({r['power_curve']['reps']} simulated trials per point)", lines)
    curve.savefig(where / "power_curve.png", dpi=150)
    sens = r["sensitivity"]
    if has_sensitivity_figure(sens):
        roles = ["primary", *(["key secondary"] if r["key_secondary"] else [])]
        names = {e: f"{sc.endpoint(e).label or e}" + (f" ({roles[i]})" if i < len(roles)
                                                       else "")
                 for i, e in enumerate(sens["endpoints"])}
        figure = tornado_figure(
            sens, names, r["target_power"],
            f"Sensitivity at n = {n}: power at the lowest and highest value tried "
            f"({sens['reps']} simulated trials per value)")
        figure.savefig(where / "sensitivity.png", dpi=150)
    done = [e for e in r.get("assurance") or () if "assurance" in e]
    if done:
        powers = {e["id"]: e["power"] for e in r["power_at_n"]["endpoints"]}
        gated = {e["endpoint"]: labels[e["endpoint"]] + (
            f"\n(success after {sc.analysis.multiplicity} gating)"
            if e.get("family") and sc.analysis.multiplicity == "fixed-sequence" else
            f"\n(success after {sc.analysis.multiplicity} adjustment)" if e.get("family")
            else "") for e in done}
        assurance_figure(done, gated, powers,
                         f"Power at n = {n} over the design prior").savefig(
            where / "assurance.png", dpi=150)


def _is_null(ep) -> bool:
    try:
        return ep.location_of("treatment") == ep.location_of("control")
    except (KeyError, AttributeError, TypeError):
        return False


def has_sensitivity_figure(sens: dict[str, Any]) -> bool:
    """Whether a sensitivity item moves some power, so that the tornado plot has a bar.

    Examples
    --------
    >>> has_sensitivity_figure({"items": [{"flat": True}]})
    False
    """
    return any(not item["flat"] for item in sens["items"])


def chosen_n_figure(curve: list[dict], labels: dict[str, str], n_total: int, target: float,
                    title: str, lines: dict | None = None) -> Figure:
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
    lines : dict, optional
        Endpoint id -> ``(value, text)`` lines replacing the target in its panel
        (:func:`simtrial.plots.power_curve_figure`).

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
    figure = power_curve_figure(curve, labels=labels, targets=[target], title=title,
                                lines=lines)
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        ax.axvline(n_total, color="0.15", linestyle=":", linewidth=1.2)
        ax.annotate(f"chosen n = {n_total}", (n_total, 1.0), xycoords="data", xytext=(-3, 0),
                    textcoords="offset points", ha="right", va="top", fontsize=8,
                    color="0.15")
    return figure


def tornado_figure(sens: dict[str, Any], names: dict[str, str], target: float,
                   title: str) -> Figure:
    """Which numbers matter most: one tornado panel per endpoint shown.

    Each bar spans the endpoint's power at the lowest and at the highest value tried of one
    number (marked at its ends with those values), the largest swings on top; the vertical
    line is the power as planned, the dashed one the target (primary endpoint only). Numbers
    that move no power beyond Monte Carlo error are left out.

    Parameters
    ----------
    sens : dict
        The report's ``sensitivity`` section (:func:`simtrial.reports.sensitivity.analyse`).
    names : dict
        Endpoint id -> panel title.
    target : float
        The primary endpoint's target power.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [{"value": v, "power": {"y": {"power": p, "mcse": 0.01}}}
    ...         for v, p in [(0.2, 0.6), (0.3, 0.8), (0.4, 0.9)]]
    >>> sens = {"endpoints": ["y"], "items": [{"short": "control p", "planned": 0.3,
    ...         "rows": rows, "flat": False, "range": {"y": 0.3}}]}
    >>> fig = tornado_figure(sens, {"y": "Outcome"}, 0.8, "")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['control p']
    """
    from matplotlib.figure import Figure as MplFigure

    shown = sens["endpoints"]
    panels = []
    for i, e in enumerate(shown):
        bars = sorted((item for item in sens["items"] if not item["flat"]
                       and item["range"][e] > 2 * max(r["power"][e]["mcse"]
                                                      for r in item["rows"])),
                      key=lambda item: item["range"][e], reverse=True)[:TORNADO_BARS]
        if bars or i == 0:
            panels.append((e, bars))
    columns = 1 if len(panels) == 1 else 2
    rows_of_panels = -(-len(panels) // columns)
    height = max(len(b) for _, b in panels) * 0.42 + 1.4
    figure = MplFigure(figsize=(5.2 * columns, height * rows_of_panels + 1.2),
                       layout="constrained", dpi=100)
    axes = figure.subplots(rows_of_panels, columns, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for ax, (e, bars) in zip(axes, panels, strict=False):
        planned = _planned_power(sens, e)
        for y, item in enumerate(reversed(bars)):
            rows = sorted(item["rows"], key=lambda r: r["value"])
            low, high = rows[0], rows[-1]
            p_low, p_high = low["power"][e]["power"], high["power"][e]["power"]
            ax.barh(y, p_low - planned, left=planned, color="C3", height=0.6)
            ax.barh(y, p_high - planned, left=planned, color="C0", height=0.6)
            for value, p in ((low["value"], p_low), (high["value"], p_high)):
                right = p >= planned
                ax.annotate(_short(value), (p, y), xytext=(3 if right else -3, 0),
                            textcoords="offset points", ha="left" if right else "right",
                            va="center", fontsize=7)
        ax.set_yticks(range(len(bars)), [plot_label(item["short"]) for item in reversed(bars)],
                      fontsize=9)
        ax.axvline(planned, color="0.15", linewidth=1)
        if e == shown[0]:
            ax.axvline(target, color="0.35", linestyle="--", linewidth=1)
        ax.set_xlim(-0.08, 1.08)
        ax.set_xlabel("Power at the chosen n", fontsize=9)
        ax.set_title(plot_label(names.get(e, e)), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        if not bars:
            ax.text(0.5, 0.5, "no number moves this power beyond Monte Carlo error",
                    transform=ax.transAxes, ha="center", fontsize=8)
    from matplotlib.patches import Patch

    figure.legend([Patch(color="C3"), Patch(color="C0")],
                  ["lowest value tried", "highest value tried"], loc="outside lower center",
                  ncols=2, fontsize=9, frameon=False,
                  title=f"solid line: power as planned; dashed: target {target:.0%} (primary)"
                        "\nnumbers at the bar ends: the values tried",
                  title_fontsize=9)
    if title:
        figure.suptitle(plot_label(title), fontsize=11)
    return figure


def assurance_figure(entries: list[dict], names: dict[str, str], powers: dict[str, float],
                     title: str) -> Figure:
    """Histogram of the per-draw power over the prior, one panel per endpoint.

    Parameters
    ----------
    entries : list of dict
        :meth:`simtrial.assurance.AssuranceResult.to_dict` of each endpoint (``histogram``
        edges and counts, ``assurance``, ``draws``).
    names : dict
        Endpoint id -> panel title.
    powers : dict
        Endpoint id -> power at the planned effect (dashed line).
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> e = {"endpoint": "y", "draws": 10, "assurance": 0.7,
    ...      "histogram": {"edges": [0, 0.5, 1], "counts": [3, 7]}}
    >>> fig = assurance_figure([e], {"y": "Outcome"}, {"y": 0.9}, "")
    >>> [ax.get_title() for ax in fig.axes]
    ['Outcome']
    """
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    columns = min(2, len(entries))
    rows = -(-len(entries) // columns)
    figure = MplFigure(figsize=(5.2 * columns, 3.0 * rows + 1.3), layout="constrained",
                       dpi=100)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes[len(entries):]:
        ax.set_visible(False)
    for ax, e in zip(axes, entries, strict=False):
        edges, counts = e["histogram"]["edges"], e["histogram"]["counts"]
        widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
        ax.bar(edges[:-1], [k / e["draws"] for k in counts], width=widths, align="edge",
               color="C0", alpha=0.75, edgecolor="white")
        ax.axvline(e["assurance"], color="0.1", linewidth=1.5)
        ax.axvline(powers[e["endpoint"]], color="C3", linestyle="--", linewidth=1.5)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Power at the chosen n for a value drawn from the prior", fontsize=9)
        ax.set_ylabel("Share of prior draws", fontsize=9)
        name = names.get(e["endpoint"], e["endpoint"])  # its lines escaped one by one
        ax.set_title("\n".join(plot_label(line) for line in name.split("\n")), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    figure.legend([Patch(color="C0", alpha=0.75), Line2D([], [], color="0.1", linewidth=1.5),
                   Line2D([], [], color="C3", linestyle="--", linewidth=1.5)],
                  ["share of prior draws", "assurance (mean over the prior)",
                   "power at the planned effect"],
                  loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    if title:
        figure.suptitle(plot_label(title), fontsize=11)
    return figure


def _planned_power(sens: dict, e: str) -> float:
    """The endpoint's power with every number as planned (a row at a planned value)."""
    for item in sens["items"]:
        for row in item["rows"]:
            if item["planned"] is not None and row["value"] == item["planned"]:
                return row["power"][e]["power"]
    rows = [r["power"][e]["power"] for item in sens["items"] for r in item["rows"]]
    return sorted(rows)[len(rows) // 2]


def _short(value) -> str:
    if isinstance(value, list):
        return ":".join(f"{v:g}" for v in value)
    return f"{value:.3g}"
