"""Calendar time of time-to-event trials: survival models, accrual, expected events, closed forms.

Nothing here simulates: these are the closed-form and trial-time calculations (issue 18) that
the simulation is checked against and that convert a number of events into patients and study
duration.

- :mod:`~simtrial.events.piecewise`: piecewise-constant hazards with an optional cure fraction.
- :mod:`~simtrial.events.accrual`: piecewise-constant accrual and its inverse.
- :mod:`~simtrial.events.expected`: expected events by calendar time (Lachin & Foulkes 1986, as
  rpact computes it), the time a target is reached, and the patients needed.
- :mod:`~simtrial.events.closed_forms`: Schoenfeld (1981) and Freedman (1982) events and power.
"""

from simtrial.events.accrual import Accrual
from simtrial.events.closed_forms import (
    freedman_events,
    freedman_power,
    schoenfeld_events,
    schoenfeld_power,
)
from simtrial.events.expected import (
    accrual_for_events,
    event_probability,
    expected_events,
    expected_events_by_arm,
    patients_for_events,
    time_of_events,
)
from simtrial.events.piecewise import PiecewiseExponential

__all__ = [
    "Accrual",
    "PiecewiseExponential",
    "accrual_for_events",
    "event_probability",
    "expected_events",
    "expected_events_by_arm",
    "freedman_events",
    "freedman_power",
    "patients_for_events",
    "schoenfeld_events",
    "schoenfeld_power",
    "time_of_events",
]
