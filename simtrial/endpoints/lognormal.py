"""Log-normal outcomes (antibody titres): geometric mean ``gmean`` and geometric sd ``gsd``.

``log Y ~ N(log gmean, log gsd)`` per arm. The t tests of titres run on the log scale, and
ranks do not change under ``exp``, so everything is simulated on the log scale with the
normal model's kernels (:mod:`simtrial.endpoints.normal`); the effect is shown as the ratio of
geometric means, which the treatment arm may give as ``ratio`` in place of its ``gmean``. In a
correlated group rho is the correlation of the log outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
    margin_tests: tuple[str, ...] = ("ttest", "welch")
    equivalence_tests: tuple[str, ...] = margin_tests
    margin_check = POSITIVE  # a ratio of geometric means
    parameters = {"gmean": POSITIVE, "gsd": ABOVE_ONE, "ratio": POSITIVE}
    parameter_sets = (("gmean", "gsd"), ("ratio", "gsd"))
    effect_scale = "ratio"

    check_arm = EndpointModel.check_arm  # gsd > 1 already bounds the log-scale sd away from 0

    def location(self, ep: Endpoint) -> str:
        """The geometric mean."""
        return "gmean"

    def check_arms(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                   ) -> tuple[str, str] | None:
        """The control arm gives ``gmean`` (a ``ratio`` is the treatment arm's)."""
        if "gmean" not in control:
            return "control", "must give gmean (ratio is for the treatment arm)"
        if "ratio" in treatment and not treatment["ratio"] * control["gmean"] <= 1e100:
            return "treatment.ratio", "gives a gmean above 1e100"
        return None

    def complete_treatment(self, treatment: Mapping[str, Any], control: Mapping[str, Any]
                           ) -> Mapping[str, Any]:
        """Add ``gmean = ratio x control gmean`` when the ratio is given.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> dict(load_scenario("effect-scales").endpoint("titre").treatment)  # 1.5 x 100
        {'ratio': 1.5, 'gsd': 3.0, 'gmean': 150.0}
        """
        if "ratio" not in treatment:
            return treatment
        return {**treatment, "gmean": treatment["ratio"] * control["gmean"]}

    def describe(self, ep: Endpoint) -> str:
        """Geometric means and their ratio.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> load_scenario("msc-covid19").endpoint("nab_titre").describe()
        'gmean 128 vs 128 (ratio 1)'
        """
        t, c = ep.treatment["gmean"], ep.control["gmean"]
        given = "; given as ratio" if "ratio" in ep.treatment else ""
        return f"gmean {t:.4g} vs {c:.4g} (ratio {t / c:.3g}{given})"

    def arm_normal(self, params: Mapping[str, float]) -> tuple[float, float]:
        """``(log gmean, log gsd)``: the t tests of titres run on the log scale.

        Examples
        --------
        >>> from simtrial.scenario import load_scenario
        >>> ep = load_scenario("msc-covid19").endpoint("nab_titre")
        >>> [round(v, 4) for v in ep.model.normal_parameters(ep, "control")]
        [4.852, 1.0396]
        """
        return math.log(params["gmean"]), math.log(params["gsd"])
