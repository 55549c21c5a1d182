r"""Hierarchical composite endpoints analysed by win statistics (kind ``hierarchical``).

The endpoint is an ordered list of ``components`` (``[[endpoints.components]]``), each
``binary`` (an event with probability ``p``), ``ordinal`` (level probabilities ``probs``,
lowest level first), ``survival`` (time to death by day ``day``: a constant ``hazard`` per day,
or piecewise ``hazards`` changing at ``breaks``, days) or ``continuous`` (normal ``mean``,
``sd``; only as the last component, with a clinically relevant ``margin``: a difference of at
most the margin is a tie). Each component has its own direction of benefit ``better`` (a
survival component's is ``higher``: a later death is better). A binary component may be
``terminal``: a patient with the event (death by day 28) has no later outcome (no walk
distance), so two such patients tie and are not compared further. A survival component is
always terminal, and two patients who both died by day D are compared on who died later (a
win for the later death); they tie only when both survive to day D (and go on to the next
component) or die at the same time.

Every treatment patient is compared with every control patient on the first component that
separates them; the test is the win ratio, the win odds or the net benefit
(:mod:`simtrial.stattests.wins`), counted in O(n log n) per replicate
(:mod:`simtrial.kernels.wins`). ``better = "higher"``: a win ratio above 1 is a benefit.

Components are correlated within a patient through a Gaussian copula: ``correlation`` is one
number for every pair or a matrix over the components (default: independent). Each patient
gets one latent normal per component, ``z = L e`` (``L`` the Cholesky factor); a binary event
is the upper tail of its latent (as in :mod:`simtrial.correlated`), an ordinal level the
interval of cut points holding it, a continuous value ``mean + sd z``, a time of death ``T``
with ``S(T) = Phi(z)`` (a death by day D when ``Phi(z) > S(D)``; the higher the latent, the
earlier the death). The latents are drawn
in the composite's own kernel rather than by :mod:`simtrial.kernels.group`, which reduces each
endpoint to its own statistics and never holds a patient's components together.

The effect. The components' treatment parameters give the direction of the effect. The
treatment arm may give ``win_ratio``: the population win ratio to plan for. All components'
effects are then scaled by one factor ``s`` (0: no effect, 1: as the components give it) until
the population win ratio is ``win_ratio``: on the log odds of a binary event, on the cumulative
log odds of an ordinal level, on the log hazard ratio of each piece of a survival one, on the
mean difference and the log sd ratio of a continuous one.
This is the parameter ``detectable`` varies (effect scale: ratio). The population win and loss
probabilities are exact for independent components (:func:`population_wins`) and, with a
correlation, those of one simulated trial of :data:`POPULATION_N` patients per arm with a fixed
seed (standard error of the log win ratio about 0.006), the scaling found to 1e-4.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import (
    LOCATION,
    POSITIVE,
    PROBABILITIES,
    PROBABILITY,
    Check,
    EndpointModel,
)

if TYPE_CHECKING:
    import numpy as np

    from simtrial.events.piecewise import PiecewiseExponential
    from simtrial.scenario import Endpoint

__all__ = ["Component", "Hierarchical", "POPULATION_N", "population_wins"]

#: Patients per arm of the simulated trial whose win proportions stand for the population's
#: when the components are correlated.
POPULATION_N = 50_000
#: Seed of that trial (fixed: the scaling to a ``win_ratio`` is the same in every run).
POPULATION_SEED = 20220219
#: Largest factor the components' effects are scaled by to reach a ``win_ratio``.
MAX_SCALE = 20.0
#: Most combinations of the discrete components' levels (the groups of the counting).
MAX_CELLS = 100_000

_KEY = re.compile(r"[a-z0-9_]+\Z")
_ARM_PARAMETERS: Mapping[str, Mapping[str, Check]] = {
    "binary": {"p": PROBABILITY}, "ordinal": {"probs": PROBABILITIES},
    "survival": {"hazard": POSITIVE, "hazards": Check(POSITIVE.test, POSITIVE.allowed, True),
                 "breaks": Check(POSITIVE.test, POSITIVE.allowed, True)},
    "continuous": {"mean": LOCATION, "sd": POSITIVE}}
#: The parameter sets a survival component's arm may give.
_SURVIVAL_SETS = (("hazard",), ("hazards", "breaks"))
_DAY = Check(lambda v: 0 < v <= 1e6, "a number in (0, 1e6] (days)")
_MARGIN = Check(lambda v: 0 <= v <= 1e100, "a number in [0, 1e100]")
_RHO = Check(lambda v: -1 < v < 1, "a number in (-1, 1)")


@dataclass(frozen=True)
class Component:
    """One level of the hierarchy: its outcome per arm and how a pair is compared on it."""

    key: str
    type: str
    better: str
    treatment: Mapping[str, Any]
    control: Mapping[str, Any]
    terminal: bool = False
    margin: float = 0.0
    label: str = ""
    day: float = 0.0

    def probabilities(self, arm: str) -> tuple[float, ...]:
        """The arm's probabilities of the raw levels, lowest first.

        Binary: no event, event; survival: alive at day D, dead by day D.
        """
        params = getattr(self, arm)
        if self.type == "survival":
            alive = float(self.survival(arm).survival(self.day))
            return (alive, 1 - alive)
        return (1 - params["p"], params["p"]) if self.type == "binary" else params["probs"]

    def survival(self, arm: str) -> PiecewiseExponential:
        """A survival component's time to death in the arm (days)."""
        from simtrial.events.piecewise import PiecewiseExponential

        params = getattr(self, arm)
        if "hazard" in params:
            return PiecewiseExponential.from_hazard(params["hazard"])
        return PiecewiseExponential.from_hazards(params["hazards"], params["breaks"])


def _wins(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.wins import simulate_wins

    model: Hierarchical = ep.model  # type: ignore[assignment]
    simulate_wins(generator, n_t, n_c, *ep.dropout, *model.kernel_arguments(ep), out)


class Hierarchical(EndpointModel):
    """An ordered list of component outcomes compared pair by pair (win statistics)."""

    distribution = "hierarchical"
    kinds = {"hierarchical": ("winratio", "winodds", "netbenefit")}
    default = ("hierarchical",)
    parameters = {"win_ratio": POSITIVE}
    parameter_sets = (("win_ratio",), ())
    effect_scale = "ratio"
    simulators = {"wins": _wins}
    extra_keys = ("components", "correlation")
    correlates = False

    # ---------------------------------------------------------------- reading and checks

    def read_extra(self, table: Mapping[str, Any], path: str, key: str, reader: Any
                   ) -> dict[str, Any]:
        """The ``components`` (array of tables) and the ``correlation`` (number or matrix)."""
        raw = table.get("components")
        where = f"{path}.components"
        if not isinstance(raw, list) or not raw:
            raise reader.fail(where, "is required: a non-empty array of tables "
                              "([[endpoints.components]], each binary, ordinal, survival or "
                              "continuous)")
        components: list[Component] = []
        for j, item in enumerate(raw):
            component = _component(reader, item, f"{where}[{j}]", key)
            if component.key in {c.key for c in components}:
                raise reader.fail(f"{where}[{j}].key", f"duplicate key {component.key!r} "
                                  "(keys must be unique)")
            if components and components[-1].type == "continuous":
                raise reader.fail(f"{where}[{j - 1}].type", "a continuous component must be "
                                  "the last (its ties are not a level the next one could split)")
            components.append(component)
        cells = math.prod(len(c.probabilities("control")) for c in components
                          if c.type != "continuous")
        if cells > MAX_CELLS:
            raise reader.fail(where, f"{cells} combinations of levels is too many (allowed: "
                              f"at most {MAX_CELLS})")
        return {"components": tuple(components),
                "correlation": _correlation(reader, table, path, key, len(components))}

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """``win_ratio`` is the treatment arm's only (the control arm is ``{}``)."""
        if control:
            return "control", ("must be empty, {} (the components give the outcomes; "
                               "`win_ratio` belongs to the treatment arm)")
        return None

    def settable(self, ep: Endpoint, name: str) -> bool:
        """``win_ratio`` may be set whether or not the treatment arm gives it."""
        return name == "win_ratio"

    # ---------------------------------------------------------------- the components


    def extra_value(self, ep: Endpoint, path: list[str]) -> Any:
        """A number of the composite: ``correlation``, a component's margin or parameter.

        The paths are ``correlation`` (one number for every pair), ``components.<key>.margin``
        and ``components.<key>.<arm>.<param>``.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("hierarchical-winratio").endpoint("death_walk")
        >>> ep.model.extra_value(ep, ["components", "walk", "margin"])
        20.0
        """
        if path == ["correlation"]:
            matrix = ep.extra["correlation"]
            if len({matrix[i][j] for i in range(len(matrix)) for j in range(i)}) <= 1:
                return matrix[0][1] if len(matrix) > 1 else 0.0
        if path[:1] == ["components"] and len(path) in (3, 4):
            part = next((c for c in ep.extra["components"] if c.key == path[1]), None)
            if part is not None and path[2:] == ["margin"]:
                return part.margin
            if part is not None and path[2] in ("treatment", "control") and len(path) == 4:
                return getattr(part, path[2])[path[3]]
        raise KeyError(".".join(path))

    def assign_extra(self, table: dict[str, Any], path: list[str], value: Any) -> bool:
        """Set ``correlation``, a component's ``margin`` or an arm's parameter."""
        if path == ["correlation"]:
            table["correlation"] = value
            return True
        if path[:1] == ["components"] and len(path) in (3, 4):
            part = next((c for c in table.get("components", ()) if c.get("key") == path[1]),
                        None)
            if part is not None and path[2:] == ["margin"]:
                part["margin"] = value
                return True
            if (part is not None and len(path) == 4 and path[2] in ("treatment", "control")
                    and path[3] in part[path[2]]):
                part[path[2]][path[3]] = value
                return True
        return False
    def components(self, ep: Endpoint) -> tuple[Component, ...]:
        """The components, their effects scaled to the treatment arm's ``win_ratio`` if given."""
        given = ep.extra["components"]
        if "win_ratio" not in ep.treatment:
            return given
        target = float(ep.treatment["win_ratio"])
        cache_key = (repr(given), repr(ep.extra["correlation"]), target)
        if cache_key not in _SCALED:
            _SCALED[cache_key] = _scaled(given, _scale_for(ep, given, target))
        return _SCALED[cache_key]

    def win_probabilities(self, ep: Endpoint) -> tuple[float, float]:
        """Population probabilities that a treatment-control pair is a win, a loss."""
        return population_wins(self.components(ep), ep.extra["correlation"])

    def kernel_arguments(self, ep: Endpoint) -> tuple:
        """The arguments of :func:`simtrial.kernels.wins.simulate_wins` after the dropout."""
        return _kernel_arguments(self.components(ep), ep.extra["correlation"])

    def has_effect(self, ep: Endpoint) -> bool:
        """Whether any component's arms differ.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("hierarchical-winratio").endpoint("death_walk")
        >>> ep.model.has_effect(ep), ep.model.has_effect(ep.model.null(ep))
        (True, False)
        """
        return any(c.treatment != c.control for c in ep.extra["components"])

    def null(self, ep: Endpoint) -> Endpoint:
        """Every component's treatment arm as its control arm, no ``win_ratio``."""
        components = tuple(replace(c, treatment=c.control) for c in ep.extra["components"])
        return replace(ep, treatment=MappingProxyType({}),
                       extra=MappingProxyType({**ep.extra, "components": components}))

    # ---------------------------------------------------------------- effect and display

    def location(self, ep: Endpoint) -> str:
        """The win ratio."""
        return "win_ratio"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The population win ratio in the treatment arm, 1 in the control arm."""
        if arm == "control":
            return 1.0
        p_w, p_l = self.win_probabilities(ep)
        return p_w / p_l if p_l > 0 else math.inf

    def effect_limit(self, ep: Endpoint) -> float:
        """The log of the win ratio at the largest scaling of the effects."""
        p_w, p_l = population_wins(_scaled(ep.extra["components"], MAX_SCALE),
                                   ep.extra["correlation"])
        return math.log(min(p_w / p_l, 1e6)) if p_l > 0 else math.log(1e6)

    def describe(self, ep: Endpoint) -> str:
        """The win ratio and each component, in order.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("hierarchical-winratio").endpoint("death_walk").describe()
        'win ratio 1.53 (death p 0.12 vs 0.2; then walk mean 330 vs 300, margin 20)'
        """
        parts = []
        for c in self.components(ep):
            if c.type == "binary":
                parts.append(f"{c.key} p {c.treatment['p']:.3g} vs {c.control['p']:.3g}")
            elif c.type == "ordinal":
                parts.append(f"{c.key} ordinal, {len(c.control['probs'])} levels")
            elif c.type == "survival":
                parts.append(f"{c.key} by day {c.day:g} p {c.probabilities('treatment')[1]:.3g} "
                             f"vs {c.probabilities('control')[1]:.3g}, time compared")
            else:
                parts.append(f"{c.key} mean {c.treatment['mean']:.4g} vs "
                             f"{c.control['mean']:.4g}, margin {c.margin:g}")
        return f"win ratio {self.location_of(ep, 'treatment'):.3g} ({'; then '.join(parts)})"

    def effect_phrase(self, ep: Endpoint, label: str, unit: str, t_arm: str, c_arm: str) -> str:
        """A win ratio over the hierarchy of components."""
        keys = ", then ".join(c.label or c.key for c in ep.extra["components"])
        return (f"a win ratio of {self.location_of(ep, 'treatment'):.3g} ({t_arm} vs {c_arm}) "
                f"on {label} ({keys})")


def population_wins(components, correlation) -> tuple[float, float]:
    """Probabilities that a random treatment patient wins, loses against a random control.

    Exact for independent components: level by level, the probability that the pair is still
    tied (and neither patient had a terminal event) times the probability of a win or loss
    on the level (a normal difference beyond the margin for a continuous one). With a
    correlation, the proportions of one simulated trial of :data:`POPULATION_N` per arm.

    Examples
    --------
    >>> death = Component("death", "binary", "lower", {"p": 0.1}, {"p": 0.2}, terminal=True)
    >>> [round(p, 6) for p in population_wins((death,), ((1.0,),))]  # 0.9 * 0.2, 0.1 * 0.8
    [0.18, 0.08]
    """
    import numpy as np
    from scipy import special

    k = len(components)
    if any(correlation[i][j] for i in range(k) for j in range(k) if i != j):
        from simtrial.kernels.wins import simulate_wins

        cache_key = (repr(components), repr(correlation))
        if cache_key not in _POPULATION:
            out = np.empty((1, 7))
            simulate_wins(np.random.default_rng(POPULATION_SEED), POPULATION_N, POPULATION_N,
                          0.0, 0.0, *_kernel_arguments(components, correlation), out)
            _POPULATION[cache_key] = float(out[0, 2]), float(out[0, 3])
        return _POPULATION[cache_key]
    reach, p_w, p_l = 1.0, 0.0, 0.0
    for c in components:
        if c.type == "survival":
            win, loss, ties = _survival_wins(c)
            p_w, p_l, reach = p_w + reach * win, p_l + reach * loss, reach * ties
            continue
        if c.type == "continuous":
            spread = math.hypot(c.treatment["sd"], c.control["sd"])
            shift = (c.treatment["mean"] - c.control["mean"]) * (1 if c.better == "higher"
                                                                  else -1)
            p_w += reach * float(special.ndtr((shift - c.margin) / spread))
            p_l += reach * float(special.ndtr((-shift - c.margin) / spread))
            break
        q_t, q_c = (np.array(c.probabilities(arm)) for arm in ("treatment", "control"))
        if c.better == "lower":
            q_t, q_c = q_t[::-1], q_c[::-1]
        below_t, below_c = np.cumsum(q_t) - q_t, np.cumsum(q_c) - q_c
        p_w += reach * float(q_t @ below_c)
        p_l += reach * float(q_c @ below_t)
        ties = q_t * q_c
        if c.terminal:
            ties[_terminal_score(c)] = 0.0
        reach *= float(ties.sum())
    return p_w, p_l


# ---------------------------------------------------------------- helpers

#: Components scaled to a win ratio, by (components, correlation, win ratio).
_SCALED: dict[tuple, tuple[Component, ...]] = {}
#: Simulated population win and loss probabilities, by (components, correlation): a trial of
#: 2 x POPULATION_N patients, once per process (every power call describes the endpoint).
_POPULATION: dict[tuple[str, str], tuple[float, float]] = {}


def _terminal_score(c: Component) -> int:
    """The score (higher better) of a terminal component's event."""
    return 0 if _event_is_worse(c) else 1


def _event_is_worse(c: Component) -> bool:
    """Whether the raw level 1 (the event) is the worse, so the levels are reversed into scores.

    A death of a survival component, or the event of a binary one with ``better = "lower"``.
    """
    return c.better == "lower" or c.type == "survival"


def _survival_wins(c: Component) -> tuple[float, float, float]:
    r"""Probabilities that the treatment patient wins, loses, and that both survive to day D.

    A win is a control death by day D before the treatment patient's:
    :math:`\int_0^D f_c(u) S_t(u) du`, over the pieces of both arms' hazards (constant
    :math:`h_t, h_c` on each): :math:`h_c S_c(a) S_t(a) (1 - e^{-(h_c + h_t)(b - a)}) /
    (h_c + h_t)` on :math:`[a, b)`; a loss likewise.

    Examples
    --------
    >>> death = Component("death", "survival", "higher", {"hazard": 0.01},
    ...                   {"hazard": 0.02}, terminal=True, day=28)
    >>> win, loss, ties = _survival_wins(death)  # exponential: h_c / (h_c + h_t) of deaths
    >>> round(win, 12) == round(2 / 3 * (1 - math.exp(-0.03 * 28)), 12)
    True
    """
    import numpy as np

    t, ctl = c.survival("treatment"), c.survival("control")
    edges = np.union1d(np.union1d(t.starts, ctl.starts), [c.day])
    edges = edges[edges <= c.day]
    a, b = edges[:-1], edges[1:]
    h_t, h_c = t.hazard(a), ctl.hazard(a)
    both = t.survival(a) * ctl.survival(a) * -np.expm1(-(h_t + h_c) * (b - a))
    win = float(np.sum(h_c * both / (h_t + h_c)))
    loss = float(np.sum(h_t * both / (h_t + h_c)))
    return win, loss, float(t.survival(c.day) * ctl.survival(c.day))


def _kernel_arguments(components, correlation) -> tuple:
    import numpy as np
    from scipy import special

    discrete = [c for c in components if c.type != "continuous"]
    last = components[-1]
    width = max([len(c.probabilities("control")) for c in discrete] + [2])
    cuts = np.full((max(len(discrete), 1), 2, width - 1), np.inf)
    for j, c in enumerate(discrete):
        for a, arm in enumerate(("treatment", "control")):
            cumulative = np.clip(np.cumsum(c.probabilities(arm))[:-1], 0.0, 1.0)
            cuts[j, a, :len(cumulative)] = special.ndtri(cumulative)
    levels = np.array([len(c.probabilities("control")) for c in discrete], np.int64)
    flip = np.array([_event_is_worse(c) for c in discrete])
    terminal = np.array([_terminal_score(c) if c.terminal else -1 for c in discrete], np.int64)
    timed = np.array([c.type == "survival" for c in discrete])
    models = [[c.survival(arm) for arm in ("treatment", "control")] if c.type == "survival"
              else [] for c in discrete]
    width = max([len(model.hazards) for arms in models for model in arms] + [1])
    pieces = np.full((max(len(discrete), 1), 2, 3, width), np.inf)
    for j, arms in enumerate(models):
        for a, model in enumerate(arms):
            size = len(model.hazards)
            pieces[j, a, 0, :size] = model.starts
            pieces[j, a, 1, :size] = model.hazards
            pieces[j, a, 2, :size] = model.cumulative_hazard_at_starts
    continuous = last.type == "continuous"
    normal = np.array([[last.treatment["mean"], last.treatment["sd"]],
                       [last.control["mean"], last.control["sd"]]]) if continuous \
        else np.zeros((2, 2))
    sign = 1.0 if last.better == "higher" else -1.0
    lower = np.linalg.cholesky(np.array(correlation, dtype=np.float64))
    return (lower, cuts, levels, flip, terminal, timed, pieces, continuous, normal, sign,
            float(last.margin) if continuous else 0.0)


def _scaled(components, scale: float) -> tuple[Component, ...]:
    """The components with every treatment effect times ``scale`` (module docstring)."""
    import numpy as np
    from scipy import special

    out = []
    for c in components:
        if c.type == "survival":  # each piece's hazard ratio to the power scale
            t, ctl = c.survival("treatment"), c.survival("control")
            starts = np.union1d(t.starts, ctl.starts)
            hazards = ctl.hazard(starts) * (t.hazard(starts) / ctl.hazard(starts)) ** scale
            treatment: dict[str, Any] = {"hazards": tuple(float(h) for h in hazards),
                         "breaks": tuple(float(b) for b in starts[1:])}
        elif c.type == "continuous":
            t, ctl = c.treatment, c.control
            treatment = {"mean": ctl["mean"] + scale * (t["mean"] - ctl["mean"]),
                         "sd": ctl["sd"] * (t["sd"] / ctl["sd"]) ** scale}
        else:
            logit_t, logit_c = (special.logit(np.clip(np.cumsum(c.probabilities(arm))[:-1],
                                                      1e-15, 1 - 1e-15))
                                for arm in ("treatment", "control"))
            cumulative = np.maximum.accumulate(
                special.expit(logit_c + scale * (logit_t - logit_c)))
            probs = np.diff(np.concatenate(([0.0], cumulative, [1.0])))
            treatment = ({"p": float(probs[1])} if c.type == "binary"
                         else {"probs": tuple(float(q) for q in probs)})
        out.append(replace(c, treatment=MappingProxyType(treatment)))
    return tuple(out)


def _scale_for(ep: Endpoint, components, target: float) -> float:
    """The factor whose scaled components have the population win ratio ``target``."""
    from scipy import optimize

    from simtrial.errors import InputError

    correlation = ep.extra["correlation"]

    def gap(scale: float) -> float:
        p_w, p_l = population_wins(_scaled(components, scale), correlation)
        return math.log(max(p_w, 1e-300) / max(p_l, 1e-300)) - math.log(target)

    if target == 1.0:
        return 0.0
    low, high = gap(0.0), gap(MAX_SCALE)
    if low * high > 0:
        reach = math.exp(high + math.log(target))
        raise InputError(f"endpoint {ep.id!r}: treatment.win_ratio = {target:g} cannot be "
                         f"reached by scaling the components' effects (from 1 with no effect "
                         f"to {reach:.4g} at {MAX_SCALE:g} times them)")
    simulated = any(correlation[i][j] for i in range(len(correlation))
                    for j in range(len(correlation)) if i != j)
    # A simulated population's win ratio moves in small steps: bisection to 1e-4 suffices.
    return float(optimize.brentq(gap, 0.0, MAX_SCALE, xtol=1e-4 if simulated else 1e-12))


def _component(reader: Any, raw: Any, where: str, key: str) -> Component:
    allowed = ("key", "label", "type", "better", "terminal", "margin", "day", "control",
               "treatment")
    reader.keys(raw, where, allowed, required=("key", "type", "better", "control", "treatment"))
    name = reader.string(raw, "key", where)
    if not _KEY.match(name):
        raise reader.fail(f"{where}.key", f"{name!r} is not allowed (allowed: [a-z0-9_]+)")
    kind = reader.string(raw, "type", where, choices=tuple(_ARM_PARAMETERS))
    survival = kind == "survival"
    better = reader.string(raw, "better", where,
                           choices=("higher",) if survival else ("lower", "higher"))
    terminal = raw.get("terminal", survival)
    if not isinstance(terminal, bool) or (terminal and kind not in ("binary", "survival")) \
            or (survival and not terminal):
        raise reader.fail(f"{where}.terminal", "must be true or false, and true only for a "
                          "binary component (the event ends the comparison: death) or a "
                          "survival one (always terminal)")
    if "margin" in raw and kind != "continuous":
        raise reader.fail(f"{where}.margin", "is only allowed for a continuous component")
    if survival != ("day" in raw):
        raise reader.fail(f"{where}.day", "is required for a survival component (the day D "
                          "deaths are counted to) and allowed only there")
    own = f"{key}.components.{name}"
    margin = reader.number(raw, "margin", where, _MARGIN.test, _MARGIN.allowed,
                           provenance_key=f"{own}.margin", default=0.0)
    day = reader.number(raw, "day", where, _DAY.test, _DAY.allowed,
                        provenance_key=f"{own}.day") if survival else 0.0
    checks = _ARM_PARAMETERS[kind]
    arms = {}
    for arm in ("treatment", "control"):
        at = f"{where}.{arm}"
        given = tuple(p for p in checks if isinstance(raw[arm], dict) and p in raw[arm])
        if survival and given not in _SURVIVAL_SETS:
            raise reader.fail(at, "must give `hazard` (per day) or `hazards` and `breaks` "
                              "(piecewise, breaks in days)")
        arm_table = reader.keys(raw[arm], at, tuple(checks),
                                required=given if survival else tuple(checks))
        arms[arm] = MappingProxyType({
            p: reader.parameter(arm_table, p, at, checks[p], f"{own}.{arm}.{p}")
            for p in (given if survival else checks)})
        if "hazards" in arms[arm]:
            hazards, breaks = arms[arm]["hazards"], arms[arm]["breaks"]
            if len(hazards) != len(breaks) + 1 or any(
                    a >= b for a, b in zip(breaks, breaks[1:], strict=False)):
                raise reader.fail(f"{at}.breaks", "must be strictly increasing, one fewer "
                                  "than `hazards`")
    if kind == "ordinal" and len(arms["treatment"]["probs"]) != len(arms["control"]["probs"]):
        raise reader.fail(f"{where}.treatment.probs", "must have as many levels as the "
                          "control arm's")
    return Component(key=name, type=kind, better=better, terminal=terminal, margin=margin,
                     label=reader.string(raw, "label", where, default=name), day=day, **arms)


def _correlation(reader: Any, table: Mapping[str, Any], path: str, key: str,
                 k: int) -> tuple[tuple[float, ...], ...]:
    """The components' latent correlation matrix: one number for all pairs, or a matrix."""
    where = f"{path}.correlation"
    raw = table.get("correlation", 0.0)
    if isinstance(raw, list):
        ok = (len(raw) == k and all(isinstance(row, list) and len(row) == k for row in raw)
              and all(isinstance(v, int | float) and not isinstance(v, bool)
                      for row in raw for v in row))
        matrix = [[float(v) for v in row] for row in raw] if ok else []
        if not ok or any(matrix[i][i] != 1 or matrix[i][j] != matrix[j][i]
                         or not -1 < matrix[i][j] <= 1 for i in range(k) for j in range(k)):
            raise reader.fail(where, f"must be a {k} x {k} symmetric matrix with ones on the "
                              "diagonal and the other entries in (-1, 1)")
    else:
        rho = reader.number(table, "correlation", path, _RHO.test, _RHO.allowed,
                            provenance_key=f"{key}.correlation", default=0.0)
        matrix = [[1.0 if i == j else rho for j in range(k)] for i in range(k)]
    from simtrial.scenario.reader import _positive_definite

    if not _positive_definite(matrix):
        raise reader.fail(where, "is not positive definite (allowed: a valid correlation "
                          "matrix of the components)")
    return tuple(tuple(row) for row in matrix)
