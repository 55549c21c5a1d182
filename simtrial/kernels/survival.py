r"""Time-to-event trials in calendar time, cut at each analysis and tested by the log-rank test.

Per replicate, every randomised patient gets a calendar entry time, a time from entry to the
event and a time from entry to dropout; the trial is cut at each look's calendar time and the
(Fleming-Harrington weighted) log-rank statistic of the patients randomised by then is computed.
:func:`simulate_logrank` is the Python entry (it checks the input and builds the arrays);
:func:`logrank_looks` is the kernel; :func:`logrank_of_data` applies the same log-rank code to
given data (checked against R ``survival::survdiff``).

**Patients.** ``n_t`` treatment and ``n_c`` control patients (the numbers randomised by the end
of accrual). Entry times are independent draws from the accrual distribution (the
piecewise-constant accrual rates, normalised): in each arm, ``n + 1`` standard exponential
spacings give the arm's ``n`` sorted uniforms (Rényi's representation of uniform order
statistics) and the accrual quantile maps them to calendar times, so each arm's entries come
out sorted in linear time. This has the distribution of ``n`` independent entries (the
arms are a random permutation of the entry order), which is what the Lachin-Foulkes expected
events (:func:`simtrial.events.expected_events`) assume. The time to the event is
:math:`H^{-1}(E)`, with :math:`E` standard exponential and :math:`H` the piecewise-linear
cumulative hazard of the uncured (inversion: :math:`-\log(1 - u)` of a uniform is :math:`E`);
a patient is cured (never has the event) with probability ``cure``. Dropout likewise, and a
patient's event is observed if it comes before dropout.

**Random numbers**, per replicate: the treatment arm's ``n_t + 1`` spacings (standard
exponential), then per treatment patient in entry order a uniform for cure (only if the arm
has a cure fraction), the event's exponential and the dropout's exponential (only if the arm
has dropout); then the same for control. They are the chunk generator's own draws
(``standard_exponential`` and ``random``), taken from its PCG64 stream by
:mod:`simtrial.kernels.pcg64` with the state in registers, and the generator is left where
they end.

**The analysis at a look** is at calendar time :math:`\tau = \min(t_D, t_{max})`: ``t_D`` the
calendar time of the D-th observed event (``look_events``; 0 for none) and ``t_max`` a fixed
calendar time (``look_times``; ``inf`` for none), whichever comes first. If the D-th event never
comes and there is no fixed time, the analysis includes every event: it is at the last event's
calendar time (0 with no event at all), and the events column is below D. A patient randomised
by :math:`\tau` (entry <= tau) is followed for ``min(event, dropout)`` if that exit is by
:math:`\tau` (an event or a dropout), and else is censored at :math:`\tau - entry`.

**One sort per replicate.** The patients whose exit (event or dropout) comes by the last
look are sorted once by their exit (time from entry), by a counting sort into buckets (linear
expected time; exact for any times); each look then walks them in order and counts the
patients censored at the cut through each arm's entries, which are already sorted (latest
entry first: shortest follow-up). A look costs O(n) after the sort, and the calendar time of
the D-th event is found by a bucket selection (O(n)). Scratch arrays are allocated once per
call (a chunk of replicates).

**The statistic** at each distinct event time :math:`s` (follow-up scale) with :math:`d`
events, :math:`d_t` of them in treatment, :math:`n` at risk, :math:`n_t` in treatment
(at risk: follow-up >= s, so ties between events and censorings count the censored as at
risk, as in ``survdiff``), weight :math:`w = S(s-)^\rho (1 - S(s-))^\gamma` with :math:`S` the
pooled Kaplan-Meier estimate just before :math:`s` (:math:`w = 1`: the log-rank test):

.. math:: U = \sum w \left(d_t - d \frac{n_t}{n}\right), \qquad
          V = \sum w^2 d \frac{n_t}{n} \left(1 - \frac{n_t}{n}\right) \frac{n - d}{n - 1}

(a term with :math:`n = 1` adds nothing to V), and :math:`z = U / \sqrt{V}` (NaN if V = 0).
With :math:`\rho = 0, \gamma = 0` these are ``survdiff``'s ``obs - exp`` and ``var`` of the
treatment group; with :math:`\gamma = 0` its :math:`G^\rho` test (``survdiff(rho = ...)``).

**Columns** of a row (:data:`simtrial.stattests.SURVIVAL`): ``events`` (observed events at
the analysis, both arms), ``z``, ``U`` (O - E in treatment), ``V``, ``time`` (calendar time of
the analysis), ``randomised`` (both arms, entry <= time), ``events_t`` (observed in treatment),
``randomised_t``, ``log_hr`` (the Cox estimate of the log hazard ratio, Efron's ties,
stratified with strata) and ``log_hr_var`` (its variance, the inverse of the Cox information
at the estimate, as R ``vcov(coxph(...))``). ``z`` and ``U`` are oriented treatment minus
control on the hazard scale: positive when the treatment arm has more events than expected
(a hazard ratio above 1).
"""

import math

import numpy as np

from simtrial.kernels import pcg64
from simtrial.kernels._jit import kernel

__all__ = ["COLUMNS", "entry_table", "hazard_table", "logrank_looks", "logrank_of_data",
           "row_of_data", "simulate_logrank", "stratum_blocks"]

#: Columns of a row, in order.
COLUMNS = ("events", "z", "U", "V", "time", "randomised", "events_t", "randomised_t", "log_hr",
           "log_hr_var")


# ---------------------------------------------------------------------- Python entry
def hazard_table(model):
    """``(3, m)`` float64 rows ``starts``, ``cumulative_hazard_at_starts``, ``hazards``.

    `model` is a :class:`simtrial.events.PiecewiseExponential` (or anything with those three
    attributes), `None` for no hazard at all (no dropout).

    Examples
    --------
    >>> from simtrial.events import PiecewiseExponential
    >>> hazard_table(PiecewiseExponential.from_hazards([0.1, 0.2], [3])).tolist()
    [[0.0, 3.0], [0.0, 0.30000000000000004], [0.1, 0.2]]
    """
    if model is None:
        return np.zeros((3, 1))
    return np.array([model.starts, model.cumulative_hazard_at_starts, model.hazards],
                    dtype=np.float64)


def entry_table(accrual):
    """``(3, k)`` float64 rows: period starts, patients randomised by each start, rates.

    `accrual` is a closed :class:`simtrial.events.Accrual`; entries are drawn by its quantile,
    computed as :meth:`~simtrial.events.Accrual.time_of` does (``quantile(u) = time_of(u n)``).

    Examples
    --------
    >>> from simtrial.events import Accrual
    >>> entry_table(Accrual.periods([3, 9], [20, 60])).tolist()
    [[0.0, 3.0], [0.0, 60.0], [20.0, 60.0]]
    """
    rates = np.asarray(accrual.rates, dtype=np.float64)
    starts = np.asarray(accrual.starts, dtype=np.float64)
    at_starts = np.concatenate(([0.0], np.cumsum(rates[:-1] * np.diff(starts))))
    return np.array([starts, at_starts, rates])


def simulate_logrank(generator, reps, n_t, n_c, accrual, survival, dropout=(None, None),
                     events=(), months=(), rho=0.0, gamma=0.0, strata=None):
    r"""Simulate ``reps`` trials and return the log-rank row of each at each look.

    Parameters
    ----------
    generator : numpy.random.Generator
        The chunk's generator (:func:`simtrial.rng.chunk_generator`; its bit generator must be
        PCG64).
    reps : int
        Replicates.
    n_t, n_c : int
        Patients randomised in treatment and control (>= 1 each).
    accrual : simtrial.events.Accrual
        Closed accrual (finite ``n``); its shape gives the entry times (its ``n`` need not be
        ``n_t + n_c``: use ``accrual.extended_to(n)`` for fixed rates, ``scaled_to(n)`` for a
        fixed duration).
    survival : (PiecewiseExponential, PiecewiseExponential)
        Time to event in treatment and in control.
    dropout : (PiecewiseExponential or None, PiecewiseExponential or None), optional
        Time to dropout in treatment and in control (no cure fraction); none by default.
    events, months : sequence, optional
        Per look, the target number of events (0: none) and a fixed calendar time (``inf``:
        none); the analysis is at whichever comes first. Give one of them or both (the other
        is filled with "none"). Looks need not be ordered.
    rho, gamma : float, optional
        Fleming-Harrington weight :math:`S^\rho (1 - S)^\gamma`; 0, 0 is the log-rank test.
    strata : (prevalence, multiplier), optional
        Strata: each arm's patients are split over the strata by ``prevalence`` (stratified
        randomisation, :func:`stratum_blocks`), a patient's hazard of the event is the arm's
        times the stratum's ``multiplier``, and the test is the stratified log-rank test.
        None: one stratum.

    Returns
    -------
    ndarray of shape (looks, reps, 10)
        The columns of :data:`COLUMNS`.

    Examples
    --------
    >>> from simtrial.events import Accrual, PiecewiseExponential
    >>> control = PiecewiseExponential.from_median(12)
    >>> dropout = PiecewiseExponential.from_probability(0.05, 12)
    >>> rows = simulate_logrank(np.random.default_rng(1), 2000, 300, 300,
    ...                         Accrual.constant(12, 50), (control.with_hazard_ratio(0.7),
    ...                         control), (dropout, dropout), events=[331])
    >>> rows.shape, set(rows[0, :, 0].tolist())
    ((1, 2000, 10), {331.0})
    >>> float(np.mean(rows[0, :, 1] < -1.959964))  # rpact getPowerSurvival: 0.9005 (MCSE 0.007)
    0.9025
    >>> round(float(rows[0, :, 4].mean()), 1)  # months; rpact analysisTime: 23.71
    23.7
    >>> round(float(np.exp(np.median(rows[0, :, 8]))), 2)  # the Cox estimate of the hazard ratio
    0.7
    """
    look_events, look_times = _simulate_logrank_iv(reps, n_t, n_c, accrual, survival, dropout,
                                                   events, months, rho, gamma)
    prevalence, multipliers = strata if strata is not None else ((1.0,), (1.0,))
    blocks = stratum_blocks(n_t, n_c, prevalence)
    out = np.empty((len(look_events), reps, len(COLUMNS)))
    state = pcg64.state_of(generator)
    logrank_looks(state, n_t, n_c, entry_table(accrual), float(accrual.n),
                  hazard_table(survival[0]), float(survival[0].cure_fraction),
                  hazard_table(dropout[0]), hazard_table(survival[1]),
                  float(survival[1].cure_fraction), hazard_table(dropout[1]), look_events,
                  look_times, float(rho), float(gamma), blocks,
                  np.asarray(multipliers, dtype=np.float64), out)
    pcg64.store_state(generator, state)
    return out


def stratum_blocks(n_t, n_c, prevalence):
    """Bounds of the patients of each (arm, stratum): treatment's strata, then control's.

    Each arm's patients are split over the strata in proportion to ``prevalence`` (the largest
    remainders get the leftover patients): stratified randomisation. Block ``a K + j`` (arm a:
    0 treatment, 1 control; stratum j of K) is ``blocks[a K + j]`` to ``blocks[a K + j + 1]``.

    Examples
    --------
    >>> stratum_blocks(390, 210, (0.6, 0.4)).tolist()
    [0, 234, 390, 516, 600]
    """
    shares = np.asarray(prevalence, dtype=np.float64)
    shares = shares / shares.sum()
    sizes = []
    for n in (n_t, n_c):
        exact = n * shares
        counts = np.floor(exact).astype(np.int64)
        counts[np.argsort(counts - exact, kind="stable")[:n - counts.sum()]] += 1
        sizes.extend(counts.tolist())
    return np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)


def _simulate_logrank_iv(reps, n_t, n_c, accrual, survival, dropout, events, months, rho,
                         gamma):
    from simtrial.errors import InputError

    if not (int(reps) == reps >= 1 and int(n_t) == n_t >= 1 and int(n_c) == n_c >= 1):
        raise InputError(f"`reps`, `n_t` and `n_c` must be integers >= 1, got {reps!r}, "
                         f"{n_t!r}, {n_c!r}")
    if not math.isfinite(accrual.n):
        raise InputError("`accrual` must be closed (finite `n`): use `extended_to` or "
                         "`scaled_to`")
    if len(survival) != 2 or len(dropout) != 2:
        raise InputError("`survival` and `dropout` need one entry per arm (treatment, control)")
    if any(d is not None and d.cure_fraction for d in dropout):
        raise InputError("`dropout` must have no cure fraction")
    looks = max(len(events), len(months))
    if looks == 0 or (events and months and len(events) != len(months)):
        raise InputError(f"give `events` or `months` for each look (or both, of the same "
                         f"length), got {list(events)} and {list(months)}")
    look_events = np.asarray(events if events else [0] * looks, dtype=np.int64)
    look_times = np.asarray(months if months else [math.inf] * looks, dtype=np.float64)
    if np.any(look_events < 0) or np.any(look_events > n_t + n_c):
        raise InputError(f"`events` must be in [0, n_t + n_c], got {list(events)}")
    if np.any(~(look_times > 0)):
        raise InputError(f"`months` must be > 0, got {list(months)}")
    if np.any((look_events == 0) & np.isinf(look_times)):
        raise InputError("each look needs a number of events or a calendar time")
    if not (rho >= 0 and gamma >= 0 and math.isfinite(rho) and math.isfinite(gamma)):
        raise InputError(f"`rho` and `gamma` must be finite and >= 0, got {rho!r}, {gamma!r}")
    return look_events, look_times


# ---------------------------------------------------------------------- kernels
@kernel
def logrank_looks(rng_state, n_t, n_c, entry, accrual_n, event_t, cure_t, dropout_t, event_c,
                  cure_c, dropout_c, look_events, look_times, rho, gamma, blocks, multipliers, out):
    """Fill ``out[k, r]`` (float64, shape (looks, reps, 10)) with look k of replicate r.

    ``rng_state`` is the chunk generator's PCG64 state (:func:`simtrial.kernels.pcg64.state_of`),
    advanced by the draws.

    ``entry`` is an :func:`entry_table` of an accrual randomising ``accrual_n`` patients;
    ``event_*`` and ``dropout_*`` are :func:`hazard_table` s, ``cure_*`` the cure fractions;
    ``look_events`` (int64) and ``look_times`` (float64) give each look's target events
    (0: none) and fixed calendar time (inf: none); ``blocks`` (int64, :func:`stratum_blocks`)
    and ``multipliers`` (float64) the strata. See the module's docstring.
    """
    n = n_t + n_c
    entries = np.empty(n)
    exits = np.empty(n)
    observed = np.empty(n, np.bool_)
    calendar = np.empty(n)
    dropouts = np.empty(n)
    taus = np.empty(out.shape[0])
    scratch = _sort_scratch(n)
    state = _strata_scratch(blocks, n)
    strata = multipliers.shape[0]
    for r in range(out.shape[1]):
        for b in range(2 * strata):
            treated = b < strata
            _draw_arm(rng_state, blocks[b], blocks[b + 1], entry, accrual_n,
                      event_t if treated else event_c, cure_t if treated else cure_c,
                      dropout_t if treated else dropout_c, multipliers[b % strata], entries,
                      exits, observed, dropouts)
        m = 0
        last = 0.0
        for i in range(n):  # the events' calendar times, without a branch
            calendar[m] = entries[i] + exits[i]
            last = max(last, calendar[m] if observed[i] else 0.0)
            m += observed[i]
        for k in range(out.shape[0]):
            target = look_events[k]
            taus[k] = look_times[k]
            if 0 < target <= m:
                taus[k] = min(taus[k], _smallest(calendar, m, target - 1, last, scratch))
            if math.isinf(taus[k]):
                taus[k] = last
        latest = taus[0]  # a loop, not taus.max(): numba's max compiles slowly
        for k in range(1, taus.shape[0]):
            latest = max(latest, taus[k])
        exited = _sort_exits(entries, exits, latest, scratch)
        for k in range(out.shape[0]):
            _logrank_at(taus[k], n_t, blocks, entries, exits, observed, scratch, state, exited,
                        rho, gamma, out[k, r])


def logrank_of_data(time, status, treated, rho=0.0, gamma=0.0, stratum=None):
    """``(events, z, U, V, events_t)`` of the (weighted, stratified) log-rank test of given data.

    ``time`` (float64, may be inf), ``status`` (bool: event observed) and ``treated`` (bool)
    per patient, ``stratum`` (int, optional) each patient's stratum; the same code as the
    simulation (every patient followed to ``time``). :func:`row_of_data` gives the whole row.

    Examples
    --------
    >>> time = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    >>> status = np.array([True, True, False, True, True, False])
    >>> treated = np.array([True, False, True, False, True, False])
    >>> events, z, u, v, events_t = logrank_of_data(time, status, treated, 0.0, 0.0)
    >>> int(events), round(u, 7), round(v, 7)  # R survdiff: obs - exp 0.2666667, var 0.9622222
    (4, 0.2666667, 0.9622222)
    """
    row = row_of_data(time, status, treated, rho, gamma, stratum)
    return tuple(float(row[k]) for k in (0, 1, 2, 3, 6))


def row_of_data(time, status, treated, rho=0.0, gamma=0.0, stratum=None):
    """The row (:data:`COLUMNS`) of the log-rank test and Cox model of given data.

    As :func:`logrank_of_data`; ``row[8]`` is the Cox estimate of the log hazard ratio
    (treatment : control; Efron's ties, stratified by ``stratum``), as R ``coxph`` gives it,
    and ``row[9]`` its variance (R ``vcov``).

    Examples
    --------
    >>> time = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    >>> status = np.array([True, True, False, True, True, False, True])
    >>> treated = np.array([True, False, True, False, True, False, False])
    >>> round(float(row_of_data(time, status, treated)[8]), 6)  # R coef(coxph(...)): 0.6931472
    0.693147
    """
    time = np.asarray(time, dtype=np.float64)
    treated = np.asarray(treated, dtype=np.bool_)
    stratum = np.zeros(time.shape[0], np.int64) if stratum is None else np.asarray(stratum)
    levels, stratum = np.unique(stratum, return_inverse=True)
    order = np.lexsort((stratum, ~treated))  # treatment's strata, then control's
    counts = np.bincount(stratum[order] + len(levels) * ~treated[order],
                         minlength=2 * len(levels))
    blocks = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    row = np.empty(len(COLUMNS))
    _row_of_data(time[order], np.asarray(status, dtype=np.bool_)[order],
                 int(treated.sum()), blocks, float(rho), float(gamma), row)
    return row


@kernel
def _row_of_data(exits, observed, n_t, blocks, rho, gamma, row):
    """Fill ``row`` for patients ordered by :func:`stratum_blocks`, all entered at time 0."""
    n = exits.shape[0]
    entries = np.zeros(n)
    scratch = _sort_scratch(n)
    state = _strata_scratch(blocks, n)
    exited = _sort_exits(entries, exits, math.inf, scratch)
    _logrank_at(math.inf, n_t, blocks, entries, exits, observed, scratch, state, exited, rho,
                gamma, row)


@kernel
def _draw_arm(rng_state, first, stop, entry, accrual_n, event, cure, dropout, multiplier,
              entries, exits, observed, dropouts):
    """Entries (sorted), exits and observed events of patients ``first..stop-1`` of one block.

    The event's hazard is ``event``'s times ``multiplier`` (a stratum's; 1 without strata);
    ``dropouts`` is scratch. The draws come first, in the order of the module's docstring;
    the times are then computed from them in passes of their own, which the compiler
    vectorises for one-piece tables (:func:`_inverse_cumulative_hazards`): one division a
    patient each for the entry, the event and the dropout otherwise dominates the draws.
    """
    hi, lo, inc_hi, inc_lo = rng_state[0], rng_state[1], rng_state[2], rng_state[3]
    total = 0.0
    for i in range(first, stop):
        spacing, hi, lo = pcg64.standard_exponential(hi, lo, inc_hi, inc_lo)
        total += spacing
        entries[i] = total
    spacing, hi, lo = pcg64.standard_exponential(hi, lo, inc_hi, inc_lo)
    total += spacing
    has_dropout = False
    for rate in dropout[2]:
        has_dropout |= rate > 0.0
    for i in range(first, stop):
        cured = False
        if cure > 0.0:
            u, hi, lo = pcg64.random(hi, lo, inc_hi, inc_lo)
            cured = u < cure
        observed[i] = cured  # (until the last pass)
        # cumulative hazards, until turned into times
        exits[i], hi, lo = pcg64.standard_exponential(hi, lo, inc_hi, inc_lo)
        dropouts[i] = math.inf
        if has_dropout:
            dropouts[i], hi, lo = pcg64.standard_exponential(hi, lo, inc_hi, inc_lo)
    rng_state[0], rng_state[1] = hi, lo
    arm_entries, arm_exits = entries[first:stop], exits[first:stop]
    arm_observed, arm_dropouts = observed[first:stop], dropouts[first:stop]
    _entry_times(entry, arm_entries, total, accrual_n)
    if multiplier != 1.0:  # a stratum's hazard: the same draw, a larger cumulative hazard
        for i in range(arm_exits.shape[0]):
            arm_exits[i] /= multiplier
    _inverse_cumulative_hazards(event, arm_exits)
    if has_dropout:
        _inverse_cumulative_hazards(dropout, arm_dropouts)
    for i in range(arm_exits.shape[0]):
        event_time = math.inf if arm_observed[i] else arm_exits[i]
        arm_observed[i] = (event_time <= arm_dropouts[i]) & (not math.isinf(event_time))
        arm_exits[i] = min(event_time, arm_dropouts[i])


@kernel(inline=True)
def _entry_times(entry, entries, total, accrual_n):
    """Turn partial sums of spacings (``entries``, of ``total`` in all) into entry times.

    As :func:`_entry_time` of ``entries / total * accrual_n``, in a loop the compiler
    vectorises when the accrual has one period.
    """
    if entry.shape[1] == 1:
        start, at_start, rate = entry[0, 0], entry[1, 0], entry[2, 0]
        for i in range(entries.shape[0]):
            excess = entries[i] / total * accrual_n - at_start
            entries[i] = start + (excess / rate if excess > 0 else 0.0)
    else:
        for i in range(entries.shape[0]):
            entries[i] = _entry_time(entry, entries[i] / total * accrual_n)


@kernel(inline=True)
def _entry_time(entry, count):
    """Calendar time by which ``count`` patients are randomised (as Accrual.time_of)."""
    k = 0
    while k + 1 < entry.shape[1] and entry[1, k + 1] < count:
        k += 1
    excess = count - entry[1, k]
    return entry[0, k] + (excess / entry[2, k] if excess > 0 else 0.0)


@kernel
def _inverse_cumulative_hazards(table, values):
    """Replace each cumulative hazard in ``values`` by :func:`_inverse_cumulative_hazard`'s time.

    For a one-piece table the same arithmetic in a branch-free loop (which the compiler
    vectorises), else the search per value.
    """
    if table.shape[1] == 1:
        start, at_start, rate = table[0, 0], table[1, 0], table[2, 0]
        if rate > 0:
            for i in range(values.shape[0]):
                excess = values[i] - at_start
                values[i] = start + excess / rate if excess > 0 else start
        else:
            for i in range(values.shape[0]):
                values[i] = start + math.inf if values[i] - at_start > 0 else start
    else:
        for i in range(values.shape[0]):
            values[i] = _inverse_cumulative_hazard(table, values[i])


@kernel(inline=True)
def _inverse_cumulative_hazard(table, target):
    """Time at which the cumulative hazard reaches ``target`` (inf if it never does)."""
    j = 0
    while j + 1 < table.shape[1] and table[1, j + 1] < target:
        j += 1
    excess = target - table[1, j]
    if not excess > 0:
        return table[0, j]
    rate = table[2, j]
    return table[0, j] + (excess / rate if rate > 0 else math.inf)


@kernel
def _smallest(values, m, k, top, scratch):
    """The k-th smallest (0-based) of ``values[:m]``, all in [0, top], in linear expected time.

    The values are counted in ``m`` buckets of equal width; those of the bucket holding the
    k-th smallest are copied to ``scratch[2]`` and selected there (:func:`_select`). The
    bucket counts (``scratch[1]``) are left at zero.
    """
    counts, buffer = scratch[1], scratch[2]
    scale = m / top if top > 0 else 0.0
    for i in range(m):
        counts[min(int(values[i] * scale), m - 1)] += 1
    below = 0
    b = 0
    while below + counts[b] <= k:
        below += counts[b]
        b += 1
    counts[:m] = 0
    size = 0
    for i in range(m):
        buffer[size] = values[i]
        size += min(int(values[i] * scale), m - 1) == b
    return _select(buffer, size, k - below)


@kernel
def _select(values, m, k):
    """The k-th smallest (0-based) of ``values[:m]``, reordering them (Hoare's selection)."""
    low, high = 0, m - 1
    while low < high:
        middle = (low + high) // 2
        a, b, c = values[low], values[middle], values[high]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            high = j
        elif k >= i:
            low = i
        else:
            return values[k]
    return values[k]


@kernel
def _sort_scratch(n):
    """Buffers of :func:`_sort_exits` for ``n`` patients.

    A bucket per patient and a count per bucket (two per patient) and for the patients left out
    (int64, left at zero), the sorted exits (float64, and one more for the NaN after the last)
    and the patients in that order (int64).
    """
    return (np.empty(n, np.int64), np.zeros(2 * n + 2, np.int64), np.empty(n + 1),
            np.empty(n, np.int64))


@kernel
def _sort_exits(entries, exits, tau, scratch):
    """Sort the patients whose exit (event or dropout) is by calendar time ``tau``.

    A counting sort into ``2 n`` buckets of equal width up to the largest finite exit, then one
    insertion sort pass (which only reorders within buckets): linear expected time. Fills
    ``scratch[2]`` (exits, ascending, then a NaN) and ``scratch[3]`` (the patients) and
    returns how many.
    The patients left out go to an extra bucket after the others (so that neither pass
    branches on whether a patient's exit is by ``tau``, which is unpredictable).
    """
    bucket, starts, keys, patients = scratch
    n = exits.shape[0]
    top = tau
    if math.isinf(tau):
        top = 0.0
        for i in range(n):
            if exits[i] < math.inf:
                top = max(top, exits[i])
    m = 2 * n
    scale = m / top if top > 0 else 0.0
    for i in range(n):
        b = m - 1 if not exits[i] < top else min(int(exits[i] * scale), m - 1)
        bucket[i] = b if entries[i] + exits[i] <= tau else m
    for i in range(n):  # (counted in a loop of its own: fused, it is several times slower)
        starts[bucket[i] + 1] += 1
    for b in range(m):
        starts[b + 1] += starts[b]
    exited = starts[m]
    for i in range(n):
        b = bucket[i]
        keys[starts[b]] = exits[i]
        patients[starts[b]] = i
        starts[b] += 1
    starts[:] = 0
    last = keys[0]  # the largest so far, kept out of memory: most keys come in order
    for i in range(1, exited):
        key, patient = keys[i], patients[i]
        if key >= last:
            last = key
            continue
        j = i
        while j > 0 and keys[j - 1] > key:
            keys[j] = keys[j - 1]
            patients[j] = patients[j - 1]
            j -= 1
        keys[j] = key
        patients[j] = patient
    keys[exited] = math.nan  # unequal to any key: the last time ends there
    return exited


@kernel
def _strata_scratch(blocks, n):
    """Buffers of :func:`_logrank_at` for the strata of ``blocks``, allocated once per call.

    The stratum of each patient (int64) and the risk-set rows of the Cox model (float64,
    shape (n, 4)).
    """
    strata = (blocks.shape[0] - 1) // 2
    stratum_of = np.empty(n, np.int64)
    for b in range(2 * strata):
        stratum_of[blocks[b]:blocks[b + 1]] = b % strata
    return stratum_of, np.empty((n, 4))


@kernel
def _logrank_at(tau, n_t, blocks, entries, exits, observed, scratch, state, exited, rho, gamma,
                row):
    """Fill ``row`` with the (stratified) log-rank test and Cox estimate at calendar time ``tau``.

    Patients ``0..n_t-1`` are treated, the rest control, in the blocks of
    :func:`stratum_blocks` (each block's ``entries`` sorted); the first ``exited`` patients of
    ``scratch`` (:func:`_sort_exits`) are those whose exit is by a calendar time >= ``tau``, in
    order of exit. A patient whose exit is by ``tau`` (``entry + exit <= tau``) leaves the risk
    set at its exit; one randomised by ``tau`` whose exit is later is censored at
    ``tau - entry`` (gathered per block by :func:`_censored_at_cut`, into ``scratch[0]``, which
    the sort no longer needs, and counted latest entry first). Each stratum is one
    pass over the sorted patients with its own risk sets and Kaplan-Meier weights; U and V
    are summed over the strata.
    """
    cut, keys, patients = scratch[0], scratch[2], scratch[3]
    stratum_of, cox_rows = state
    strata = (blocks.shape[0] - 1) // 2
    weighted = rho != 0.0 or gamma != 0.0
    u = 0.0
    v = 0.0
    events = 0
    events_t = 0
    randomised = 0
    randomised_t = 0
    rows = 0
    for j in range(strata):
        first_t, first_c = blocks[j], blocks[strata + j]
        at_t = _entered_by(entries, first_t, blocks[j + 1], tau)
        at_c = _entered_by(entries, first_c, blocks[strata + j + 1], tau)
        randomised_t += at_t
        randomised += at_t + at_c
        # the patients censored at the cut, latest entry last: next is cut[cut_t - 1]
        cut_t = _censored_at_cut(entries, exits, tau, first_t, at_t, cut)
        cut_c = _censored_at_cut(entries, exits, tau, first_c, at_c, cut)
        km = 1.0
        d_t = 0
        d_c = 0
        leave_t = 0
        leave_c = 0
        for i in range(exited):
            q = patients[i]
            if (strata == 1 or stratum_of[q] == j) and entries[q] + exits[q] <= tau:
                control = q >= n_t  # (branch-free within: the arm is unpredictable)
                leave_c += control
                leave_t += not control
                d_c += observed[q] and control
                d_t += observed[q] and not control
            if keys[i + 1] == keys[i]:  # a tie: the time's last patient is still to come
                continue
            s = keys[i]
            d = d_t + d_c
            if d > 0:
                # censored at the cut before s: follow-up tau - entry < s
                while cut_t > first_t and tau - entries[cut[cut_t - 1]] < s:
                    at_t -= 1
                    cut_t -= 1
                while cut_c > first_c and tau - entries[cut[cut_c - 1]] < s:
                    at_c -= 1
                    cut_c -= 1
                at = at_t + at_c
                share = at_t / at
                w = km**rho * (1.0 - km)**gamma if weighted else 1.0
                u += w * (d_t - d * share)
                if at > 1:
                    v += w * w * d * share * (1.0 - share) * (at - d) / (at - 1)
                if weighted:
                    km *= (at - d) / at
                events += d
                events_t += d_t
                cox_rows[rows, 0] = at_t
                cox_rows[rows, 1] = at_c
                cox_rows[rows, 2] = d_t
                cox_rows[rows, 3] = d_c
                rows += 1
            at_t -= leave_t
            at_c -= leave_c
            d_t = 0
            d_c = 0
            leave_t = 0
            leave_c = 0
    row[0] = events
    row[1] = u / math.sqrt(v) if v > 0 else math.nan
    row[2] = u
    row[3] = v
    row[4] = tau
    row[5] = randomised
    row[6] = events_t
    row[7] = randomised_t
    row[8] = _cox_log_hazard_ratio(cox_rows, rows, 0.0 if weighted or not v > 0 else u / v)
    row[9] = _cox_variance(cox_rows, rows, row[8])


@kernel
def _entered_by(entries, first, stop, tau):
    """How many of ``entries[first:stop]`` (ascending) are at most ``tau``: a binary search.

    As ``np.searchsorted(entries[first:stop], tau, side="right")``, whose numba version
    compiled several times slower.
    """
    low, high = first, stop
    while low < high:
        middle = (low + high) // 2
        if entries[middle] <= tau:
            low = middle + 1
        else:
            high = middle
    return low - first


@kernel(inline=True)
def _censored_at_cut(entries, exits, tau, first, count, cut):
    """Gather the patients of ``first..first+count-1`` whose exit is after ``tau`` into ``cut``.

    They are censored at the cut (the patients randomised by ``tau`` of a block); they are
    written from ``cut[first]`` on, in order (so by entry), without a branch, and the end is
    returned.
    """
    end = first
    for q in range(first, first + count):
        cut[end] = q
        end += not entries[q] + exits[q] <= tau
    return end


@kernel(inline=True)
def _cox_log_hazard_ratio(rows, m, start):
    r"""Cox partial-likelihood estimate of the log hazard ratio, by Newton's method.

    ``rows[:m]`` hold, per event time and stratum, the numbers at risk in treatment and
    control and the events in each (:func:`_cox_score`). Starts at ``start`` (the log-rank's
    one-step estimate U / V, within about 1e-2 of the answer), each step at most 1 in size
    (the likelihood is concave, so this cannot overshoot for ever), until a step is below
    1e-5: Newton's convergence is quadratic, so the estimate is then within about 1e-10 (two
    or three steps in all); NaN when the likelihood is monotone (all events in one arm: the
    estimate is infinite) or Newton does not settle in 50 steps.
    """
    beta = start
    for _ in range(50):
        score, information = _cox_score(rows, m, beta)
        if not information > 0.0:
            return math.nan
        step = min(max(score / information, -1.0), 1.0)
        beta += step
        if abs(beta) > 30.0:
            return math.nan
        if abs(step) < 1e-5:
            return beta
    return math.nan


@kernel(inline=True)
def _cox_variance(rows, m, beta):
    """The Cox model's variance of ``beta``, 1 / information at ``beta`` (R ``vcov(coxph)``).

    NaN where ``beta`` is (no estimate) or the information is not positive.
    """
    if math.isnan(beta):
        return math.nan
    information = _cox_score(rows, m, beta)[1]
    return 1.0 / information if information > 0.0 else math.nan


@kernel
def _cox_score(rows, m, beta):
    r"""The Cox partial likelihood's score and information in ``beta`` (Efron's ties).

    ``rows[:m]`` hold, per event time and stratum, the numbers at risk in treatment and
    control and the events in each. With a binary covariate the score and information are
    sums over those rows: with :math:`\theta = e^\beta`, :math:`S = n_c + \theta n_t`,
    :math:`T = d_c + \theta d_t` and :math:`p_l = \theta (n_t - l d_t / d) / (S - l T / d)`
    for :math:`l = 0..d-1`, the score is :math:`\sum (d_t - \sum_l p_l)` and the information
    :math:`\sum_l p_l (1 - p_l)`.
    """
    theta = math.exp(beta)
    score = 0.0
    information = 0.0
    for k in range(m):
        a, b, e_t, e_c = rows[k, 0], rows[k, 1], rows[k, 2], rows[k, 3]
        d = e_t + e_c
        total = b + theta * a
        tied = e_c + theta * e_t
        score += e_t
        if d == 1.0:  # no tie: the common case
            p = theta * a / total
            score -= p
            information += p * (1.0 - p)
            continue
        for tie in range(int(d)):
            f = tie / d
            p = theta * (a - f * e_t) / (total - f * tied)
            score -= p
            information += p * (1.0 - p)
    return score, information
