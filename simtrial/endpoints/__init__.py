"""Endpoint models and their registry.

One module per distribution family of outcomes (:mod:`~simtrial.endpoints.bernoulli`,
:mod:`~simtrial.endpoints.normal`, :mod:`~simtrial.endpoints.lognormal`,
:mod:`~simtrial.endpoints.score`, :mod:`~simtrial.endpoints.ordinal`,
:mod:`~simtrial.endpoints.survival`, :mod:`~simtrial.endpoints.days_free`), each a subclass of
:class:`~simtrial.endpoints._model.EndpointModel`. Registering an instance in :data:`MODELS`
is all it takes for scenario files to accept it (its ``distribution``, the ``kind`` values it
serves, its parameters and tests), for :func:`simtrial.power` to simulate it and for the
searches, correlations and closed forms to use it (docs/architecture.md has the recipe).

Examples
--------
>>> MODELS["lognormal"].location(None)
'gmean'
>>> distributions_of("continuous"), tests_of("safety", "bernoulli")
(('normal', 'lognormal'), ('fisher', 'chisq'))
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from simtrial.endpoints._model import Check, Copula, EndpointModel
from simtrial.endpoints.bernoulli import Bernoulli
from simtrial.endpoints.days_free import DaysFree
from simtrial.endpoints.hierarchical import Hierarchical
from simtrial.endpoints.lognormal import Lognormal
from simtrial.endpoints.normal import Normal
from simtrial.endpoints.ordinal import Categorical
from simtrial.endpoints.score import Score
from simtrial.endpoints.survival import Survival

__all__ = ["KINDS", "MODELS", "Check", "Copula", "EndpointModel", "distributions_of",
           "tests_of"]

#: ``distribution`` name -> its model.
MODELS: Mapping[str, EndpointModel] = MappingProxyType({
    model.distribution: model
    for model in (Bernoulli(), Normal(), Lognormal(), Score(), Categorical(), Survival(),
                  DaysFree(), Hierarchical())})

#: Endpoint ``kind`` -> the distributions it may have, its default first.
KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    kind: tuple(sorted((m.distribution for m in MODELS.values() if kind in m.kinds),
                       key=lambda d: kind not in MODELS[d].default))
    for kind in dict.fromkeys(k for m in MODELS.values() for k in m.kinds)})


def distributions_of(kind: str) -> tuple[str, ...]:
    """The distributions an endpoint of ``kind`` may have, its default first."""
    return KINDS[kind]


def tests_of(kind: str, distribution: str) -> tuple[str, ...]:
    """The tests an endpoint of ``kind`` with ``distribution`` may name."""
    return MODELS[distribution].kinds[kind]
