"""Design priors on scenario numbers: what is uncertain, and how uncertain.

A ``[[priors]]`` table of a scenario puts a probability distribution on one of its numbers,
named by the dotted key a sweep varies (:mod:`simtrial.scenario.keys`), for example the
treatment mean of an endpoint. :mod:`simtrial.assurance` draws values from the priors and
simulates trials at each (assurance: the probability of success averaged over the prior).

Reading a prior needs only the standard library (scenario files are read without numpy);
drawing imports numpy and scipy. The one generator the draws come from is made in
:mod:`simtrial.rng`.

Examples
--------
>>> from simtrial.scenario import load_scenario
>>> prior, = load_scenario("assurance-walk").priors
>>> prior.key, prior.distribution, prior.of, round(prior.mean, 2), round(prior.sd, 2)
('endpoints.walk_m.treatment.mean', 'normal', 'effect', 28.5, 14.54)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from simtrial.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint, Scenario

__all__ = ["DISTRIBUTIONS", "Prior", "apply_values", "benefit_probability", "draw_values",
           "drawn_arms", "parse_priors"]

#: Each distribution and the keys it takes (besides key, distribution, of, null_mass).
DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "truncated-normal": ("mean", "sd", "lower", "upper"),
    "lognormal": ("median", "sd_log"),
    "beta": ("a", "b"),
    "point": ("value",),
}
#: What a prior on an arm's location may describe: the number itself, or the effect.
OF = ("value", "effect")
_COMMON = ("key", "distribution", "of", "null_mass", "ci", "level", "note")


@dataclass(frozen=True)
class Prior:
    """A design prior on one scenario number.

    Attributes
    ----------
    key : str
        Dotted key of the number (``endpoints.<id>.<arm>.<param>``, ``trial.alpha``, ...).
    distribution : str
        One of :data:`DISTRIBUTIONS`.
    params : mapping
        The distribution's numbers (``mean``, ``sd``, ...; a ``ci`` gives ``mean`` and ``sd``).
    of : {"value", "effect"}
        ``effect``: the distribution is of the treatment effect (treatment minus control, or
        treatment over control on a ratio scale) and the key, a treatment arm's location, is
        the control's value plus (times) the drawn effect.
    null_mass : float
        Probability of no effect: the drawn value is then the other arm's location.
    index : int
        Position in the file's ``[[priors]]`` (errors name ``priors[index]``).
    """

    key: str
    distribution: str
    params: Mapping[str, float]
    of: str = "value"
    null_mass: float = 0.0
    index: int = 0

    @property
    def mean(self) -> float:
        """The mean of a normal or truncated-normal prior (before truncation)."""
        return self.params["mean"]

    @property
    def sd(self) -> float:
        """The sd of a normal or truncated-normal prior (before truncation)."""
        return self.params["sd"]

    @property
    def endpoint_id(self) -> str | None:
        """The endpoint id of an ``endpoints.<id>...`` key, else None."""
        parts = self.key.split(".")
        return parts[1] if parts[0] == "endpoints" and len(parts) > 2 else None

    def describe(self) -> str:
        """One line: the key, the distribution and its numbers, the null mass.

        Examples
        --------
        >>> Prior("endpoints.y.treatment.mean", "normal", {"mean": 27.0, "sd": 14.5},
        ...       of="effect", null_mass=0.2).describe()
        'endpoints.y.treatment.mean: effect ~ normal(mean 27, sd 14.5), P(no effect) = 0.2'
        """
        numbers = ", ".join(f"{k} {v:.6g}" for k, v in self.params.items())
        what = "effect" if self.of == "effect" else "value"
        null = f", P(no effect) = {self.null_mass:g}" if self.null_mass else ""
        return f"{self.key}: {what} ~ {self.distribution}({numbers}){null}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON fields."""
        return {"key": self.key, "distribution": self.distribution, **dict(self.params),
                "of": self.of, "null_mass": self.null_mass}


def parse_priors(reader: Any, raw: Any, scenario: Scenario) -> tuple[Prior, ...]:
    """Validate the ``[[priors]]`` array of a scenario (read by ``reader``, its file's reader).

    ``reader`` is the scenario reader (:mod:`simtrial.scenario.reader`): its ``fail``,
    ``keys``, ``string`` and ``number`` methods name the file and key path in errors and
    record provenance under ``priors[i].<name>``.
    """
    if not isinstance(raw, list):
        raise reader.fail("priors", "must be an array of tables ([[priors]])")
    priors = tuple(_prior(reader, table, i, scenario) for i, table in enumerate(raw))
    seen: dict[str, int] = {}
    for prior in priors:
        if prior.key in seen:
            raise reader.fail(f"priors[{prior.index}].key", f"{prior.key!r} already has a prior "
                              f"(priors[{seen[prior.key]}]); one prior per key")
        seen[prior.key] = prior.index
    return priors


def _prior(reader: Any, table: Any, i: int, scenario: Scenario) -> Prior:
    path = f"priors[{i}]"
    allowed = tuple(dict.fromkeys(_COMMON + sum(DISTRIBUTIONS.values(), ())))
    reader.keys(table, path, allowed, required=("key", "distribution"))
    key = reader.string(table, "key", path)
    ep, location = _key_target(reader, key, f"{path}.key", scenario)
    distribution = reader.string(table, "distribution", path, choices=tuple(DISTRIBUTIONS))
    of = reader.string(table, "of", path, default="value", choices=OF)
    if of == "effect" and not (location and key.split(".")[2] == "treatment"):
        raise reader.fail(f"{path}.of", "\"effect\" is only allowed on a treatment arm's "
                          "location (endpoints.<id>.treatment.<mean, p, gmean, ...>)")
    numbers = {}
    names = DISTRIBUTIONS[distribution]
    if "ci" in table:
        if distribution not in ("normal", "lognormal"):
            raise reader.fail(f"{path}.ci", "is only allowed with distribution = \"normal\" or "
                              "\"lognormal\" (an interval becomes one of them)")
        numbers = _from_interval(reader, table, path, distribution)
        names = ()
    elif "level" in table:
        raise reader.fail(f"{path}.level", "is only allowed with `ci`")
    for name in names:
        numbers[name] = reader.number(table, name, path, *_CHECKS[name],
                                      provenance_key=f"{path}.{name}")
    extra = [k for k in table if k in sum(DISTRIBUTIONS.values(), ()) and k not in numbers]
    if extra:
        raise reader.fail(f"{path}.{extra[0]}", f"is not a number of a {distribution} prior "
                          f"(allowed: {', '.join(DISTRIBUTIONS[distribution])}, or ci and "
                          "level for normal and lognormal)")
    if distribution == "truncated-normal" and not numbers["lower"] < numbers["upper"]:
        raise reader.fail(f"{path}.upper", f"must be above lower ({numbers['lower']:g})")
    null_mass = reader.number(table, "null_mass", path, lambda v: 0 <= v < 1,
                              "a number in [0, 1)", provenance_key=f"{path}.null_mass",
                              default=0.0)
    if null_mass and not location:
        raise reader.fail(f"{path}.null_mass", "is only allowed on an arm's location "
                          "(endpoints.<id>.<arm>.<mean, p, gmean, ...>), where no effect means "
                          "the two arms' values are equal")
    if of == "effect" and ep is not None and ep.model.effect_scale == "ratio" \
            and distribution in ("normal", "truncated-normal", "beta"):
        raise reader.fail(f"{path}.distribution", f"{distribution!r} is not allowed for the "
                          f"effect of a {ep.distribution} endpoint, a ratio (allowed: "
                          "lognormal, point)")
    return Prior(key=key, distribution=distribution, params=MappingProxyType(numbers), of=of,
                 null_mass=null_mass, index=i)


_FINITE = (lambda v: math.isfinite(v) and abs(v) <= 1e100, "a finite number")
_POSITIVE = (lambda v: 0 < v <= 1e100, "a number > 0")
_CHECKS = {"mean": _FINITE, "sd": (lambda v: 0 <= v <= 1e100, "a number >= 0"),
           "lower": _FINITE, "upper": _FINITE, "median": _POSITIVE,
           "sd_log": (lambda v: 0 <= v <= 100, "a number in [0, 100]"), "a": _POSITIVE,
           "b": _POSITIVE, "value": _FINITE}


def _from_interval(reader: Any, table: dict, path: str, distribution: str) -> dict[str, float]:
    """``ci = [lower, upper]`` (with ``level``): the normal (or log-normal) it implies.

    The mean is the midpoint (the median of a log-normal: the geometric midpoint) and the sd
    the :func:`simtrial.evidence.se_from_ci` of the interval, recorded as derived numbers.
    """
    from simtrial import evidence
    from simtrial.endpoints._model import Check
    from simtrial.scenario.model import Provenance

    log = distribution == "lognormal"
    where = f"{path}.ci"
    bounds = reader.numbers(table, "ci", path, Check(*_CHECKS["median" if log else "mean"],
                                                     array=True), where)
    level = reader.number(table, "level", path, lambda v: 0 < v < 1, "a number in (0, 1)",
                          provenance_key=f"{path}.level", default=0.95)
    if len(bounds) != 2 or not bounds[0] < bounds[1]:
        raise reader.fail(where, "must be two increasing numbers [lower, upper]")
    derived = evidence.se_from_ci(bounds[0], bounds[1], level, log=log)
    given = reader.provenance.get(where)
    source = given.source if given else ""
    derivation = MappingProxyType({"method": "se_from_ci", **derived.inputs})
    basis = "derived" if source else "assumed"
    reason = "" if source else "derived from an interval given without a source"
    for name, value in (("median" if log else "mean", _midpoint(bounds, log)),
                        ("sd_log" if log else "sd", derived.value)):
        reader.provenance[f"{path}.{name}"] = Provenance(
            basis=basis, source=source, reason=reason, derivation=derivation,
            note=f"{name} = {value:.6g}: {derived.explanation}")
    return {"median": _midpoint(bounds, log), "sd_log": derived.value} if log else \
        {"mean": _midpoint(bounds, log), "sd": derived.value}


def _midpoint(bounds: Sequence[float], log: bool) -> float:
    return math.sqrt(bounds[0] * bounds[1]) if log else (bounds[0] + bounds[1]) / 2


def _key_target(reader: Any, key: str, where: str,
                scenario: Scenario) -> tuple[Endpoint | None, bool]:
    """The endpoint a key belongs to (or None) and whether it is an arm's location.

    The key must name a number of the scenario, as a sweep's ``--vary`` key
    (:func:`simtrial.scenario.keys.assign`, tried on a copy of the data).
    """
    import copy

    from simtrial.scenario.keys import ALLOCATION_KEY, _thaw, assign
    from simtrial.scenario.model import ScenarioError

    if key == ALLOCATION_KEY:
        raise reader.fail(where, f"{key!r} is a pair of numbers, which a prior cannot be on")
    try:
        assign(copy.deepcopy(_thaw(scenario.raw)), key, 0.0, scenario)
    except ScenarioError as exc:
        message = str(exc).split(": ", 2)[-1]
        raise reader.fail(where, message) from None
    parts = key.split(".")
    if parts[0] != "endpoints":
        return None, False
    ep = scenario.endpoint(parts[1])
    location = len(parts) == 4 and parts[2] in ("treatment", "control") \
        and parts[3] == ep.location
    return ep, location


# ------------------------------------------------------------------------------ drawing
def draw_values(priors: Sequence[Prior], scenario: Scenario, generator: np.random.Generator,
                draws: int) -> dict[str, np.ndarray]:
    """``draws`` values of every prior's key, in the order of the priors.

    Each prior takes its draws from ``generator`` in turn: first ``draws`` uniforms for the
    null mass (drawn only when it is positive), then the distribution's (inverse-CDF for the
    truncated normal). A value with no effect is the other arm's location.

    Returns
    -------
    dict
        Key -> float array of shape (draws,), the values to give the key.

    Examples
    --------
    >>> import numpy as np
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("assurance-walk")
    >>> values = draw_values(sc.priors, sc, np.random.default_rng(1), 20_000)
    >>> x = values["endpoints.walk_m.treatment.mean"] - 450.0
    >>> bool(abs(x.mean() - 28.5) < 0.5), bool(abs(x.std() - 14.54) < 0.5)
    (True, True)
    """
    import numpy as np

    out: dict[str, np.ndarray] = {}
    for prior in priors:
        null = generator.random(draws) < prior.null_mass if prior.null_mass else None
        x = _sample(prior, generator, draws)
        ep = scenario.endpoint(prior.endpoint_id) if prior.endpoint_id else None
        if prior.of == "effect" or null is not None:
            assert ep is not None  # the reader allows these on an arm's location only
            arm = prior.key.split(".")[2]
            other = "control" if arm == "treatment" else "treatment"
            base = _current(ep, other, prior.key, out)
            if prior.of == "effect":
                x = base * x if ep.model.effect_scale == "ratio" else base + x
            if null is not None:
                x = np.where(null, base, x)
        out[prior.key] = x
        _check_support(prior, x, ep)
    return out


def _current(ep: Endpoint, arm: str, key: str, drawn: Mapping[str, np.ndarray]) -> Any:
    """An arm's location: drawn by an earlier prior (an array), else the scenario's."""
    other_key = ".".join([*key.split(".")[:2], arm, ep.location])
    return drawn.get(other_key, ep.location_of(arm))


def _sample(prior: Prior, generator: np.random.Generator, draws: int) -> np.ndarray:
    import numpy as np
    from scipy import special

    p = prior.params
    if prior.distribution == "normal":
        return p["mean"] + p["sd"] * generator.standard_normal(draws)
    if prior.distribution == "truncated-normal":
        u = generator.random(draws)
        if p["sd"] == 0:
            return np.clip(np.full(draws, p["mean"]), p["lower"], p["upper"])
        lo, hi = (special.ndtr((b - p["mean"]) / p["sd"]) for b in (p["lower"], p["upper"]))
        if not hi > lo:
            raise InputError(f"priors[{prior.index}]: the truncated normal has no mass between "
                             f"lower {p['lower']:g} and upper {p['upper']:g} (allowed: bounds "
                             "around the mean, within about 37 sd)")
        return np.clip(p["mean"] + p["sd"] * special.ndtri(lo + u * (hi - lo)), p["lower"],
                       p["upper"])
    if prior.distribution == "lognormal":
        return p["median"] * np.exp(p["sd_log"] * generator.standard_normal(draws))
    if prior.distribution == "beta":
        return generator.beta(p["a"], p["b"], draws)
    return np.full(draws, p["value"])


def _check_support(prior: Prior, x: np.ndarray, ep: Endpoint | None) -> None:
    """Drawn values the key does not allow: a one-line error naming the prior."""
    parts = prior.key.split(".")
    check = None
    if ep is not None and len(parts) == 4 and parts[2] in ("treatment", "control"):
        check = ep.model.parameters.get(parts[3])
    elif parts[-2:] in (["trial", "alpha"],) or "dropout" in parts:
        from simtrial.endpoints._model import Check

        check = Check(lambda v: 0 < v <= 0.5, "a number in (0, 0.5]") if parts[1] == "alpha" \
            else Check(lambda v: 0 <= v < 1, "a number in [0, 1)")
    elif parts[0] == "correlations":
        from simtrial.endpoints._model import Check

        check = Check(lambda v: -1 < v < 1, "a number in (-1, 1)")
    if check is None or check.test is None:
        return
    bad = [v for v in (float(x.min()), float(x.max())) if not check.test(v)]
    if bad:
        raise InputError(f"priors[{prior.index}]: the prior on {prior.key} draws {bad[0]:.6g}, "
                         f"outside what the key allows ({check.allowed}); use a "
                         "truncated-normal (lower, upper), a beta (proportions) or a lognormal "
                         "(positive numbers)")


def apply_values(scenario: Scenario, values: Mapping[str, float]) -> Scenario:
    """The scenario with the drawn ``values`` (dotted key -> number) in place.

    An arm's parameter is replaced in the endpoint directly and checked by the endpoint
    model (:func:`drawn_arms`), as :func:`simtrial.search.detectable_effect` shifts an effect
    (no re-reading of the file per draw); any other key goes through
    :meth:`Scenario.with_values`.

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = apply_values(load_scenario("assurance-walk"),
    ...                   {"endpoints.walk_m.treatment.mean": 460.0})
    >>> sc.endpoint("walk_m").describe()
    'mean 460 vs 450 (+10; d = 0.14)'
    """
    arm_values: dict[str, dict[str, float]] = {}
    others: dict[str, float] = {}
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] == "endpoints" and len(parts) == 4 and parts[2] in ("treatment", "control"):
            arm_values.setdefault(parts[1], {})[key] = value
        else:
            others[key] = float(value)
    endpoints = tuple(_with_arms(ep, *drawn_arms(ep, arm_values[ep.id]))
                      if ep.id in arm_values else ep for ep in scenario.endpoints)
    out = replace(scenario, endpoints=endpoints)
    return out.with_values(others) if others else out


def _with_arms(ep: Endpoint, treatment: Mapping[str, Any], control: Mapping[str, Any]
               ) -> Endpoint:
    return replace(ep, treatment=treatment, control=control)


def drawn_arms(ep: Endpoint, values: Mapping[str, float]
               ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """``ep``'s (treatment, control) parameters with drawn arm parameters in place, checked.

    ``values`` maps keys ``endpoints.<id>.<arm>.<parameter>`` of ``ep`` to numbers, applied
    in order, each checked by the model's ``check_arm`` and ``check_arms``.

    Raises
    ------
    InputError
        Naming the key and the value drawn, when the model does not allow it.
    """
    arms = {"treatment": ep.treatment, "control": ep.control}
    for key, value in values.items():
        arm, name = key.split(".")[2:]
        params = MappingProxyType({**arms[arm], name: float(value)})
        problem = ep.model.check_arm(params, ep.scale)
        if problem is None:
            arms[arm] = params
            problem = ep.model.check_arms(arms["treatment"], arms["control"])
        if problem is not None:
            raise InputError(f"the prior on {key} drew {value:.6g}, which the endpoint "
                             f"does not allow: {problem[0]}: {problem[1]}")
    return arms["treatment"], arms["control"]


def benefit_probability(prior: Prior, ep: Endpoint) -> float | None:
    """Exact prior probability that the effect of ``ep`` is beneficial, or None.

    Given for one prior on an arm's location of ``ep`` (the other arm's value fixed); None
    otherwise (the caller counts the beneficial draws instead).

    Examples
    --------
    >>> from simtrial.scenario import load_scenario
    >>> sc = load_scenario("assurance-walk")
    >>> round(benefit_probability(sc.priors[0], sc.endpoint("walk_m")), 4)  # P(N(28.5, 14.54) > 0)
    0.975
    """
    from scipy import stats

    parts = prior.key.split(".")
    if prior.endpoint_id != ep.id or len(parts) != 4 or parts[3] != ep.location:
        return None
    arm = parts[2]
    other = ep.location_of("control" if arm == "treatment" else "treatment")
    threshold = (1.0 if ep.model.effect_scale == "ratio" else 0.0) if prior.of == "effect" \
        else other
    # Benefit: benefit_sign * (treatment - control) > 0, so the key above (treatment) or below
    # (control) the threshold as better is "higher".
    above = (arm == "treatment") == (ep.better == "higher")
    p = prior.params
    dist = {"normal": lambda: stats.norm(p["mean"], p["sd"]) if p["sd"] > 0 else None,
            "truncated-normal": lambda: stats.truncnorm(
                (p["lower"] - p["mean"]) / p["sd"], (p["upper"] - p["mean"]) / p["sd"],
                p["mean"], p["sd"]) if p["sd"] > 0 else None,
            "lognormal": lambda: stats.lognorm(p["sd_log"], scale=p["median"])
            if p["sd_log"] > 0 else None,
            "beta": lambda: stats.beta(p["a"], p["b"]),
            "point": lambda: None}[prior.distribution]()
    if dist is None:  # a point mass
        value = next(p[k] for k in ("value", "mean", "median") if k in p)
        if prior.distribution == "truncated-normal":
            value = min(max(value, p["lower"]), p["upper"])
        mass = float(value > threshold if above else value < threshold)
    else:
        mass = float(dist.sf(threshold) if above else dist.cdf(threshold))
    return (1 - prior.null_mass) * mass
