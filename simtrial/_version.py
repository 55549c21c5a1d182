"""The package version, kept apart so that ``simtrial --version`` imports nothing heavy."""

__version__ = "0.2.0.dev0"
