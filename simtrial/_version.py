"""The package version, kept apart so that ``simtrial --version`` imports nothing heavy."""

from importlib import metadata

__version__ = "0.2.0.dev0"


def versions() -> dict[str, str]:
    """The versions of simtrial and of the packages that fix its numbers.

    numpy's generators draw the random numbers and numba compiles the kernels that turn them
    into trials (its distributions are its own ports of numpy's), so the same seed gives the
    same results only with the same versions of both; scipy computes the p-values and closed
    forms. Every JSON output carries these (``simtrial ... --format json``).

    Examples
    --------
    >>> sorted(versions())
    ['numba', 'numpy', 'scipy', 'simtrial']
    """
    return {"simtrial": __version__,
            **{package: metadata.version(package) for package in ("numpy", "numba", "scipy")}}
