"""simtrial: Monte Carlo power and sample-size planning for two-arm trials."""

from simtrial._version import __version__

__all__ = ["__version__"]
