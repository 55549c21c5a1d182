r"""The interim analysis plan of a scenario's group-sequential design, as a report shows it.

:func:`interim_plan` gathers, for a maximum sample size, what a protocol's or grant's section
on the interim analyses states: the boundaries look by look (information, patients, efficacy
and futility z, nominal p, alpha spent), the probabilities of stopping at each look for
efficacy and for futility under the design alternative (the scenario's effect) and under no
effect, the expected number of patients under both, and the price of the interim looks: the
inflation factor of the maximum sample size against the single-analysis design with the same
power.

The stopping probabilities and expected numbers are simulated (:func:`simtrial.simulate.
sequential_power`, with Monte Carlo standard errors) and, where the test has a canonical
normal model, computed beside them. The inflation factor is the canonical model's,
:math:`(\theta_D(p) / \theta_F(p))^2` at the design's power p at n: :math:`\theta_D(p)` the
drift at which the design rejects with probability p (futility obeyed; either direction if
two-sided), :math:`\theta_F(p) = z_{1-\alpha/s} + z_p` the fixed design's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from scipy import optimize, special

from simtrial import rng
from simtrial.design.family import family_plan
from simtrial.errors import InputError
from simtrial.scenario import load_scenario
from simtrial.simulate import sequential_power

if TYPE_CHECKING:
    from simtrial.design.boundaries import GroupSequentialDesign
    from simtrial.scenario import Scenario

__all__ = ["design_power", "inflation_factor", "interim_plan", "required_drift"]

_MAX_DRIFT = 15.0


def design_power(design: GroupSequentialDesign, drift: float) -> float:
    """The canonical model's rejection probability at ``drift`` (both directions if two-sided)."""
    stopping = design.stopping_probabilities(drift)
    return float(stopping.efficacy.sum() + stopping.efficacy_lower.sum())


def required_drift(design: GroupSequentialDesign, power: float) -> float:
    """The drift at which the design rejects with probability ``power``.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 1.0], alpha=0.025, efficacy="obf", beta=0.1)
    >>> round(required_drift(d, 0.9) - d.drift, 8)
    0.0
    """
    return float(optimize.brentq(lambda theta: design_power(design, theta) - power,
                                 0.0, _MAX_DRIFT, xtol=1e-10))


def inflation_factor(design: GroupSequentialDesign, power: float) -> float | None:
    """Maximum over fixed sample size giving the same power ``power``, canonical normal model.

    ``(theta / (z_alpha + z_power))^2`` with theta the :func:`required_drift`; None where the
    power is not strictly between the design's alpha (one direction) and 1.

    Examples
    --------
    >>> from simtrial.design import group_sequential_design
    >>> d = group_sequential_design([0.5, 0.75, 1.0], alpha=0.025, efficacy="ld-obf")
    >>> round(inflation_factor(d, 0.8), 4) == round(d.inflation_factor, 4)  # d's beta = 0.2
    True
    >>> round(inflation_factor(d, 0.9), 4)
    1.0183
    """
    if not design.alpha / design.sided < power < 1.0 - 1e-9:
        return None
    fixed = special.ndtri(1.0 - design.alpha / design.sided) + special.ndtri(power)
    return float((required_drift(design, power) / fixed) ** 2)


def interim_plan(scenario: Scenario | str, n: int, *, reps: int = 10_000,
                 seed: int = rng.DEFAULT_SEED, jobs: int | None = None) -> dict[str, Any]:
    """What a report's "interim analysis plan" section shows, at maximum sample size ``n``.

    Returns
    -------
    dict
        ``endpoint``, ``test``, ``n_max``, ``n_per_arm``, the design's settings (``alpha``,
        ``sided``, ``efficacy``, ``futility``, ``binding``, ``beta``); ``looks``, one row per
        look: ``look`` (1-based), ``information``, ``n`` and ``n_per_arm`` randomised by
        then, ``efficacy_z``, ``nominal_p``, ``alpha_spent``, ``futility_z`` (None: no bound),
        and under ``h1`` (the scenario's effect) and ``h0`` (no effect) the simulated
        ``reject`` and ``stop_futility`` probabilities at that look with their MCSEs, and
        ``closed_form`` (the canonical model's, or None); ``power`` and ``type_one_error``
        (simulated, MCSE, and ``closed_form`` / ``nominal``); ``expected_n`` under ``h1``
        and ``h0`` (simulated with MCSE, ``closed_form``); ``inflation_factor`` (at the
        design's power at n: canonical power where there is one, else simulated; with
        ``power`` and ``fixed_n``, the single-analysis n with that power, n / factor rounded
        up) and ``design_inflation_factor`` (at the design's own power ``1 - beta``);
        ``secondary``, where a family is tested at the stopping look: its rule and bounds.

    Raises
    ------
    InputError
        For a scenario without a ``[design]``.

    Examples
    --------
    >>> plan = interim_plan("scenarios/examples/group-sequential.toml", 500, reps=2000)
    >>> [row["n"] for row in plan["looks"]], [round(row["efficacy_z"], 3) for row in plan["looks"]]
    ([250, 375, 500], [2.963, 2.359, 2.014])
    >>> plan["expected_n"]["h1"]["value"] < 500, plan["type_one_error"]["nominal"]
    (True, 0.025)
    >>> 1.0 < plan["inflation_factor"]["value"] < 1.3
    True
    """
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    design = scenario.design
    if design is None:
        raise InputError(f"scenario {scenario.name!r} has no [design] table: there is no "
                         "interim analysis to plan")
    family = family_plan(scenario)
    seq = sequential_power(scenario, n, design, endpoint=family.primary, reps=reps, seed=seed,
                           jobs=jobs)
    closed = seq.closed_form
    looks = []
    for k, stage in enumerate(design.to_dict()["stages"]):
        m = seq.h1["stages"][k]["n"]
        row = {"look": k + 1, **stage, "n": m,
               "n_per_arm": dict(zip(("treatment", "control"), scenario.trial.split(m),
                                     strict=True))}
        for hypothesis, simulated in (("h1", seq.h1), ("h0", seq.h0)):
            at = simulated["stages"][k]
            row[hypothesis] = {key: at[key] for key in ("reject", "reject_mcse", "stop_futility",
                                                         "stop_futility_mcse")}
        row["closed_form"] = None if closed is None else {
            hypothesis: {"reject": closed[hypothesis]["reject"][k],
                         "stop_futility": closed[hypothesis]["stop_futility"][k]}
            for hypothesis in ("h1", "h0")}
        looks.append(row)
    power = closed["power"] if closed is not None else seq.h1["power"]
    factor = inflation_factor(design, power)
    plan: dict[str, Any] = {
        "endpoint": seq.endpoint, "test": seq.test, "n_max": n, "n_per_arm": seq.n_per_arm,
        "alpha": design.alpha, "sided": design.sided, "efficacy": design.efficacy,
        "futility": design.futility, "binding": design.binding, "beta": design.beta,
        "looks": looks,
        "power": {"value": seq.h1["power"], "mcse": seq.h1["mcse"],
                  "closed_form": None if closed is None else closed["power"]},
        "type_one_error": {"value": seq.h0["power"], "mcse": seq.h0["mcse"],
                           "nominal": design.alpha},
        "expected_n": {hypothesis: {**simulated["expected_n"], "closed_form": None
                                    if closed is None else closed[hypothesis]["expected_n"]}
                       for hypothesis, simulated in (("h1", seq.h1), ("h0", seq.h0))},
        "inflation_factor": {"value": factor, "power": power,
                             "fixed_n": None if factor is None else math.ceil(n / factor)},
        "design_inflation_factor": design.inflation_factor,
        "reps": reps, "seed": seed,
    }
    if len(family.endpoints) > 1 and scenario.secondary_design is not None:
        secondary = scenario.secondary_design
        plan["secondary"] = {"endpoints": list(family.endpoints[1:]),
                             "procedure": family.procedure, "rule": secondary.efficacy,
                             "efficacy_z": list(secondary.efficacy_z),
                             "nominal_p": list(secondary.nominal_p)}
    return plan
