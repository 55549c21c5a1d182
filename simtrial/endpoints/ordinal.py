"""Ordinal outcomes (a clinical status scale): the probability of each category per arm.

Categories are given lowest first (``probs``, the same number in both arms). The effect is
the difference in the mean category (1..K). The rank-sum test sees the counts per category,
ties and all; in a correlated group the category is the one whose latent cut points bracket
the latent normal (rho is the polychoric correlation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from simtrial.endpoints._model import PROBABILITIES, Copula, EndpointModel
from simtrial.endpoints.score import level_cuts

if TYPE_CHECKING:
    import numpy as np

    from simtrial.scenario import Endpoint

__all__ = ["Categorical"]


def _levels(ep: Endpoint, arm: str) -> np.ndarray:
    """The arm's category probabilities, normalised to sum to 1."""
    import numpy as np

    probs = np.asarray(getattr(ep, arm)["probs"], dtype=np.float64)
    return probs / probs.sum()


def _ranks(generator, ep: Endpoint, n_t: int, n_c: int, out: np.ndarray) -> None:
    from simtrial.kernels.ranks import grid_rank_stats

    grid_rank_stats(generator, n_t, n_c, _levels(ep, "treatment"), _levels(ep, "control"),
                    *ep.dropout, out)


class Categorical(EndpointModel):
    """Category probabilities per arm."""

    distribution = "categorical"
    kinds = {"ordinal": ("mannwhitney",)}
    default = ("ordinal",)
    parameters = {"probs": PROBABILITIES}
    simulators = {"ranks": _ranks}

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """Both arms have the same categories."""
        sizes = len(treatment["probs"]), len(control["probs"])
        if sizes[0] != sizes[1]:
            return "treatment.probs", (f"has {sizes[0]} levels and control.probs {sizes[1]} "
                                       "(allowed: the same levels in both arms)")
        return None

    def level_probabilities(self, ep: Endpoint, arm: str) -> np.ndarray:
        """The arm's category probabilities, normalised to sum to 1."""
        return _levels(ep, arm)

    def location(self, ep: Endpoint) -> str:
        """The mean category (1..K)."""
        return "mean category"

    def location_of(self, ep: Endpoint, arm: str) -> float:
        """The arm's mean category."""
        return sum((k + 1) * p for k, p in enumerate(getattr(ep, arm)["probs"]))

    def copula(self, ep: Endpoint, statistic: str) -> Copula:
        """The category whose latent cut points bracket the latent normal."""
        cuts = level_cuts(_levels(ep, "treatment")), level_cuts(_levels(ep, "control"))
        return Copula("level_ranks", cuts=cuts)
