"""Group-sequential designs: spending functions and exactly computed boundaries.

:func:`group_sequential_design` computes efficacy and futility boundaries, the drift for a
target power, the inflation factor and expected information by recursive numerical
integration (:mod:`simtrial.design.boundaries`); :mod:`simtrial.design.spending` holds the
error-spending functions and :func:`parse_rule` for their string forms;
:mod:`simtrial.design.conditional` futility on the conditional-power scale.
"""

from simtrial.design.boundaries import (
    GroupSequentialDesign,
    StoppingProbabilities,
    group_sequential_design,
    parse_futility,
)
from simtrial.design.conditional import ConditionalPowerFutility
from simtrial.design.spending import (
    ClassicalBoundary,
    HwangShihDeCani,
    KimDeMets,
    LanDeMetsOBrienFleming,
    LanDeMetsPocock,
    Rule,
    SpendingFunction,
    parse_rule,
)

__all__ = [
    "ClassicalBoundary",
    "ConditionalPowerFutility",
    "GroupSequentialDesign",
    "HwangShihDeCani",
    "KimDeMets",
    "LanDeMetsOBrienFleming",
    "LanDeMetsPocock",
    "Rule",
    "SpendingFunction",
    "StoppingProbabilities",
    "group_sequential_design",
    "parse_futility",
    "parse_rule",
]
