"""Numba kernels: the only place numba is imported.

Kernels take a :class:`numpy.random.Generator`, the design numbers and an output array, and
fill one row of sufficient statistics per replicate; they never see a Scenario. They are
compiled lazily on first call and cached on disk, so importing simtrial compiles nothing.
"""
