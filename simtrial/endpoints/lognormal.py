"""Log-normal outcomes (antibody titres): geometric mean ``gmean`` and geometric sd ``gsd``.

``log Y ~ N(log gmean, log gsd)`` per arm. The t tests of titres run on the log scale, and
ranks do not change under ``exp``, so everything is simulated on the log scale with the
normal model's kernels (:mod:`simtrial.endpoints.normal`); the effect is shown as the ratio of
geometric means. In a correlated group rho is the correlation of the log outcomes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simtrial.endpoints._model import ABOVE_ONE, POSITIVE, EndpointModel
from simtrial.endpoints.normal import Normal

if TYPE_CHECKING:
    from simtrial.scenario import Endpoint

__all__ = ["Lognormal"]


class Lognormal(Normal):
    """A log-normal outcome per arm, simulated and tested on the log scale."""

    distribution = "lognormal"
    kinds = {"continuous": ("ttest", "welch", "mannwhitney")}
    default = ()
    optional_tables: dict = {}  # a baseline titre is not modelled yet
    margin_tests = ("ttest", "welch")
    margin_check = POSITIVE  # a ratio of geometric means
    parameters = {"gmean": POSITIVE, "gsd": ABOVE_ONE}
    effect_scale = "ratio"

    check_arm = EndpointModel.check_arm  # gsd > 1 already bounds the log-scale sd away from 0

    def location(self, ep: Endpoint) -> str:
        """The geometric mean."""
        return "gmean"

    def describe(self, ep: Endpoint) -> str:
        """Geometric means and their ratio.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("msc-covid19").endpoint("nab_titre").describe()
        'gmean 128 vs 128 (ratio 1)'
        """
        t, c = ep.treatment["gmean"], ep.control["gmean"]
        return f"gmean {t:.4g} vs {c:.4g} (ratio {t / c:.3g})"

    def normal_parameters(self, ep: Endpoint, arm: str) -> tuple[float, float]:
        """``(log gmean, log gsd)``: the t tests of titres run on the log scale.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("msc-covid19").endpoint("nab_titre")
        >>> [round(v, 4) for v in ep.model.normal_parameters(ep, "control")]
        [4.852, 1.0396]
        """
        params = getattr(ep, arm)
        return math.log(params["gmean"]), math.log(params["gsd"])
