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

from simtrial._version import __version__

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


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'simtrial' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
