"""The one place where a seed becomes random number generators.

Replicates are simulated in chunks of :data:`CHUNK`. The generator of a chunk is derived from
``SeedSequence(seed, spawn_key=(stream, chunk_index))``, where ``stream`` is a stable 64-bit key
of the endpoint id. A chunk therefore draws the same numbers whichever thread or process runs
it, however many workers there are, and whichever other endpoints the scenario has: results
are a pure function of (scenario, n, reps, seed).
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["CHUNK", "DEFAULT_SEED", "chunk_slices", "chunk_generator", "prior_generator",
           "stream_key"]

#: Replicates per chunk. Part of the reproducibility contract: changing it changes results.
CHUNK = 1000
#: Seed used when none is given, so that every run is reproducible by default.
DEFAULT_SEED = 1


def stream_key(name: str) -> int:
    """Stable 64-bit key of a stream name (an endpoint id), the same on every machine.

    Examples
    --------
    >>> stream_key("walk_lln") == stream_key("walk_lln") != stream_key("gh_score")
    True
    """
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def chunk_slices(reps: int) -> list[slice]:
    """Split ``reps`` replicates into consecutive chunks of at most :data:`CHUNK`.

    Examples
    --------
    >>> chunk_slices(2500)
    [slice(0, 1000, None), slice(1000, 2000, None), slice(2000, 2500, None)]
    """
    return [slice(start, min(start + CHUNK, reps)) for start in range(0, reps, CHUNK)]


def chunk_generator(seed: int, stream: str, chunk_index: int) -> np.random.Generator:
    """The generator of one chunk of one stream.

    Examples
    --------
    >>> a = chunk_generator(1, "walk_lln", 0).random()
    >>> b = chunk_generator(1, "walk_lln", 0).random()
    >>> a == b != chunk_generator(1, "walk_lln", 1).random()
    True
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(stream_key(stream), chunk_index))
    return np.random.Generator(np.random.PCG64(sequence))


def prior_generator(seed: int) -> np.random.Generator:
    """The generator of the design-prior draws of an assurance run (:mod:`simtrial.assurance`).

    A stream of its own (key ``"priors"``), so that drawing parameter values never moves the
    trials' streams: the trials of every draw are those ``simtrial power`` simulates with the
    same seed (common random numbers).

    Examples
    --------
    >>> a, b = prior_generator(1).random(), prior_generator(1).random()
    >>> a == b != chunk_generator(1, "priors", 0).random()
    True
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(stream_key("priors"),))
    return np.random.Generator(np.random.PCG64(sequence))
