"""simtrial: Monte Carlo power and sample-size planning for two-arm trials.

The public API is imported lazily, so that ``import simtrial`` (and ``simtrial --version``)
loads neither numba nor scipy.

Examples
--------
>>> import simtrial
>>> scenario = simtrial.load_scenario("msc-covid19")
>>> result = simtrial.power(scenario, 400, reps=1000, endpoints=["walk_m"])
>>> result.n_per_arm
{'treatment': 260, 'control': 140}
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from simtrial._version import __version__

if TYPE_CHECKING:
    # The real types for a type checker (``import x as x``: a re-export); at run time
    # __getattr__ imports each name when first used.
    from simtrial.errors import InputError as InputError
    from simtrial.errors import SimtrialError as SimtrialError
    from simtrial.errors import TargetNotReached as TargetNotReached
    from simtrial.reports import Report as Report
    from simtrial.reports import report as report
    from simtrial.results import DetectableEffectResult as DetectableEffectResult
    from simtrial.results import EndpointPower as EndpointPower
    from simtrial.results import PowerResult as PowerResult
    from simtrial.results import SampleSizeResult as SampleSizeResult
    from simtrial.scenario import Scenario as Scenario
    from simtrial.scenario import ScenarioError as ScenarioError
    from simtrial.scenario import load_scenario as load_scenario
    from simtrial.search import detectable_effect as detectable_effect
    from simtrial.search import sample_size as sample_size
    from simtrial.simulate import power as power
    from simtrial.sweeps import SweepResult as SweepResult
    from simtrial.sweeps import sweep as sweep

# public name -> module that defines it
_API = {
    "load_scenario": "simtrial.scenario",
    "Scenario": "simtrial.scenario",
    "ScenarioError": "simtrial.scenario",
    "power": "simtrial.simulate",
    "PowerResult": "simtrial.results",
    "EndpointPower": "simtrial.results",
    "sample_size": "simtrial.search",
    "detectable_effect": "simtrial.search",
    "SimtrialError": "simtrial.errors",
    "InputError": "simtrial.errors",
    "TargetNotReached": "simtrial.errors",
    "SampleSizeResult": "simtrial.results",
    "DetectableEffectResult": "simtrial.results",
    "sweep": "simtrial.sweeps",
    "SweepResult": "simtrial.sweeps",
    "report": "simtrial.reports",
    "Report": "simtrial.reports",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'simtrial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
