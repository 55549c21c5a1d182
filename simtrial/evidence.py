"""Simulation parameters derived from published summaries, as recomputable code.

Each function takes reported figures (a confidence interval, counts, a p-value, quartiles) and
returns a `Derivation`: the derived number together with the inputs, a one-line explanation with
the inputs substituted, and the published method it follows. A scenario file records a derived
number as ``derivation = { method = "sd_from_ci", lower = 0.0, upper = 57.0, n1 = 65, n2 = 35 }``
and ``derive(**derivation)`` recomputes it.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

from simtrial.errors import InputError
from simtrial.quantiles import normal_quantile, t_quantile
from simtrial.references import reference

__all__ = [
    "DERIVATIONS",
    "Derivation",
    "derive",
    "effect_from_p_value",
    "mean_from_median_iqr",
    "odds_ratio_ci",
    "proportion",
    "proportion_from_odds_ratio",
    "proportion_from_risk_ratio",
    "sd_from_ci",
    "sd_from_iqr",
    "se_from_ci",
    "zero_event_upper_bound",
]



def _cite(key: str, detail: str = "") -> str:
    """Full citation of a work in simtrial/references.toml, with the part used (if given)."""
    citation = reference(key).citation()
    return f"{citation} ({detail})" if detail else citation


@dataclass(frozen=True)
class Derivation:
    """A number derived from reported figures, with what is needed to recompute it.

    Attributes
    ----------
    method : str
        Name of the function that produced it (a key of `DERIVATIONS`).
    value : float
        The derived number.
    inputs : dict
        The keyword arguments used, defaults included: ``derive(method, **inputs)`` returns
        the same `Derivation`.
    explanation : str
        One line: the formula with the inputs substituted and the result.
    reference : str
        The published method followed, cited; ``""`` for plain arithmetic.
    interval : tuple of float or None
        A confidence interval around `value` when the method gives one, else None.
    """

    method: str
    value: float
    inputs: dict[str, float | int | str]
    explanation: str
    reference: str
    interval: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        """Return the fields as plain Python objects (``interval`` only when there is one).

        Returns
        -------
        dict
            Keys ``method``, ``value``, ``inputs``, ``explanation``, ``reference`` and, when
            set, ``interval`` as a two-element list.
        """
        out = {
            "method": self.method,
            "value": self.value,
            "inputs": dict(self.inputs),
            "explanation": self.explanation,
            "reference": self.reference,
        }
        if self.interval is not None:
            out["interval"] = list(self.interval)
        return out


def _g(x: float) -> str:
    """Format a computed number to 4 significant digits, keeping trailing zeros."""
    return f"{x:#.4g}"


def _real(
    name: str,
    x,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """Return `x` as a float after checking it is a finite real number in the given range."""
    bounds = []
    if low > -math.inf:
        bounds.append(f"{'>' if open_low else '>='} {low:g}")
    if high < math.inf:
        bounds.append(f"{'<' if open_high else '<='} {high:g}")
    allowed = " and ".join(["a finite number", *bounds])
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise InputError(f"`{name}` must be {allowed}; got {x!r}.")
    x = float(x)
    if x < low or x > high or (open_low and x == low) or (open_high and x == high):
        raise InputError(f"`{name}` must be {allowed}; got {x!r}.")
    return x


def _count(name: str, x, *, minimum: int) -> int:
    """Return `x` as an int after checking it is an integer of at least `minimum`."""
    if isinstance(x, bool) or not isinstance(x, Integral) or x < minimum:
        raise InputError(f"`{name}` must be an integer >= {minimum}; got {x!r}.")
    return int(x)


def _level(level) -> float:
    return _real("level", level, low=0.0, high=1.0, open_low=True, open_high=True)


def sd_from_ci(
    lower: float, upper: float, n1: int, n2: int, level: float = 0.95, quantile: str = "z"
) -> Derivation:
    r"""Pooled standard deviation implied by a confidence interval for a difference in means.

    Parameters
    ----------
    lower, upper : float
        Reported confidence limits of the difference in means, ``lower < upper``.
    n1, n2 : int
        Group sizes.
    level : float, optional
        Confidence level of the interval, in (0, 1). Default 0.95.
    quantile : {"z", "t"}, optional
        The quantile the interval was built with: ``"z"`` the standard normal (default, the
        Handbook's 3.92 = 2 x 1.96 for a 95% interval), ``"t"`` the t distribution with
        ``n1 + n2 - 2`` degrees of freedom, for an interval from a two-sample t analysis of
        small groups.

    Returns
    -------
    Derivation
        ``value`` is the pooled standard deviation, on the scale of the interval.

    Notes
    -----
    Section 6.5.2.3 of [1]_ divides the width of a 95% interval by 3.92 to get the standard
    error of the difference "as long as the trial is large"; when the sample size is small the
    interval should have been calculated with a t distribution, and 3.92 is replaced by twice
    the t quantile with :math:`N_E + N_C - 2` degrees of freedom (for other levels, likewise).
    "Small" is left to judgement; the Handbook's example threshold, fewer than about 60
    participants per group (section 6.5.2.2), is where t and z start to differ by more than
    about 1%. So with :math:`q = z_{1-(1-\text{level})/2}` or
    :math:`q = t_{1-(1-\text{level})/2,\, n_1+n_2-2}`,

    .. math:: SE = \frac{\text{upper} - \text{lower}}{2q}, \qquad
              SD = \frac{SE}{\sqrt{1/n_1 + 1/n_2}}.

    Choose the quantile the authors are likely to have used: ``"t"`` inverts a pooled t
    interval exactly at any size. Either way the interval must be symmetric about the estimate
    and come from a pooled-variance normal or t analysis; an interval from a rank method (a
    Hodges-Lehmann median difference, say), often asymmetric, gives only a rough scale.

    References
    ----------
    .. [1] Higgins JPT, Li T, Deeks JJ (editors). Chapter 6: Choosing effect measures and
       computing estimates of effect. In: Higgins JPT, Thomas J, Chandler J, et al. (editors).
       Cochrane Handbook for Systematic Reviews of Interventions, version 6.4, 2023.

    Examples
    --------
    6-minute walk distance at day 28 (27 m, 95% CI 0 to 57, 65 vs 35 patients):

    >>> d = sd_from_ci(0.0, 57.0, 65, 35)
    >>> round(d.value, 1)
    69.4
    >>> print(d.explanation)
    SD = (57.0 - 0.0) / (2 x 1.960) / sqrt(1/65 + 1/35) = 69.36

    SF-36 general health at month 36 (12.86, 95% CI 1.44 to 24.28, 49 vs 29 assessed):

    >>> print(sd_from_ci(1.44, 24.28, 49, 29, quantile="t").explanation)
    SD = (24.28 - 1.44) / (2 x 1.992) / sqrt(1/49 + 1/29) = 24.47 (1.992: t quantile, 76 df)
    """
    lower = _real("lower", lower)
    upper = _real("upper", upper)
    if not lower < upper:
        raise InputError(f"`lower` must be less than `upper`; got {lower!r} and {upper!r}.")
    n1 = _count("n1", n1, minimum=1)
    n2 = _count("n2", n2, minimum=1)
    level = _level(level)
    tail = (1 - level) / 2
    if quantile == "z":
        q = -normal_quantile(tail)
        which = ""
    elif quantile == "t":
        if n1 + n2 < 3:
            raise InputError("`n1` + `n2` must be at least 3 with `quantile`='t'.")
        q = -t_quantile(tail, n1 + n2 - 2)
        which = f" ({_g(q)}: t quantile, {n1 + n2 - 2} df)"
    else:
        raise InputError(f"`quantile` must be 'z' or 't'; got {quantile!r}.")
    sd = (upper - lower) / (2 * q) / math.sqrt(1 / n1 + 1 / n2)
    return Derivation(
        method="sd_from_ci",
        value=float(sd),
        inputs={
            "lower": lower, "upper": upper, "n1": n1, "n2": n2, "level": level,
            "quantile": quantile,
        },
        explanation=(
            f"SD = ({upper} - {lower}) / (2 x {_g(q)}) / sqrt(1/{n1} + 1/{n2}) = {_g(sd)}{which}"
        ),
        reference=_cite("Higgins 2023", "section 6.5.2.3"),
    )


def se_from_ci(lower: float, upper: float, level: float = 0.95, log: bool = False) -> Derivation:
    r"""Standard error of an estimate implied by its symmetric normal confidence interval.

    Parameters
    ----------
    lower, upper : float
        Reported confidence limits, ``lower < upper`` (both > 0 with `log`).
    level : float, optional
        Two-sided confidence level, in (0, 1). Default 0.95.
    log : bool, optional
        The interval is of a ratio, symmetric on the log scale: the standard error is that of
        the log ratio. Default False.

    Returns
    -------
    Derivation
        ``value`` is the standard error; ``interval`` the interval as given.

    Notes
    -----
    With :math:`z = z_{1-(1-\text{level})/2}`, the Cochrane Handbook's relation [1]_

    .. math:: SE = \frac{\text{upper} - \text{lower}}{2z}

    (on the log scale for a ratio). Read as a normal distribution of the true value centred
    on the interval's midpoint with this standard deviation, it is the flat-prior posterior of
    the reporting trial: the design prior that :mod:`simtrial.priors` builds from an interval.

    References
    ----------
    .. [1] Higgins JPT, Li T, Deeks JJ (editors). Chapter 6. Cochrane Handbook for Systematic
       Reviews of Interventions, version 6.4, 2023, section 6.5.2.3.

    Examples
    --------
    6-minute walk distance at day 28, difference 27 m (95% CI 0 to 57):

    >>> print(se_from_ci(0.0, 57.0).explanation)
    SE = (57.0 - 0.0) / (2 x 1.960) = 14.54 (midpoint 28.50)
    """
    lower = _real("lower", lower, low=0.0 if log else -math.inf, open_low=log)
    upper = _real("upper", upper)
    if not lower < upper:
        raise InputError(f"`lower` must be less than `upper`; got {lower!r} and {upper!r}.")
    level = _level(level)
    z = -normal_quantile((1 - level) / 2)
    lo, hi = (math.log(lower), math.log(upper)) if log else (lower, upper)
    se = (hi - lo) / (2 * z)
    scale = f"ln {upper} - ln {lower}" if log else f"{upper} - {lower}"
    centre = math.exp((lo + hi) / 2) if log else (lo + hi) / 2
    return Derivation(
        method="se_from_ci",
        value=float(se),
        inputs={"lower": lower, "upper": upper, "level": level, "log": log},
        explanation=(f"SE = ({scale}) / (2 x {_g(z)}) = {_g(se)} "
                     f"({'geometric ' if log else ''}midpoint {_g(centre)})"),
        reference=_cite("Higgins 2023", "section 6.5.2.3"),
        interval=(lower, upper),
    )


def proportion(events: int, total: int) -> Derivation:
    r"""Proportion of patients with an event.

    Parameters
    ----------
    events : int
        Number of patients with the event, ``0 <= events <= total``.
    total : int
        Number of patients, at least 1.

    Returns
    -------
    Derivation
        ``value`` is ``events / total``.

    Notes
    -----
    .. math:: p = \text{events} / \text{total}.

    References
    ----------
    Plain arithmetic.

    Examples
    --------
    Normal CT at month 36, MSC arm:

    >>> print(proportion(23, 49).explanation)
    p = 23 / 49 = 0.4694
    """
    total = _count("total", total, minimum=1)
    events = _count("events", events, minimum=0)
    if events > total:
        raise InputError(f"`events` must be at most `total` ({total}); got {events}.")
    p = events / total
    return Derivation(
        method="proportion",
        value=p,
        inputs={"events": events, "total": total},
        explanation=f"p = {events} / {total} = {_g(p)}",
        reference="",
    )


def proportion_from_odds_ratio(p_control: float, odds_ratio: float) -> Derivation:
    r"""Treatment-arm proportion implied by a control proportion and an odds ratio.

    Parameters
    ----------
    p_control : float
        Control-arm proportion, in [0, 1].
    odds_ratio : float
        Odds ratio, treatment versus control, greater than 0.

    Returns
    -------
    Derivation
        ``value`` is the treatment-arm proportion.

    Notes
    -----
    .. math:: p_1 = \frac{OR\, p_0}{1 - p_0 + OR\, p_0}.

    References
    ----------
    Plain arithmetic.

    Examples
    --------
    >>> round(proportion_from_odds_ratio(10 / 29, 1.68).value, 3)
    0.469
    """
    p0 = _real("p_control", p_control, low=0.0, high=1.0)
    odds_ratio = _real("odds_ratio", odds_ratio, low=0.0, open_low=True)
    p1 = odds_ratio * p0 / (1 - p0 + odds_ratio * p0)
    return Derivation(
        method="proportion_from_odds_ratio",
        value=p1,
        inputs={"p_control": p0, "odds_ratio": odds_ratio},
        explanation=(
            f"p1 = {odds_ratio} x {_g(p0)} / (1 - {_g(p0)} + {odds_ratio} x {_g(p0)}) = {_g(p1)}"
        ),
        reference="",
    )


def proportion_from_risk_ratio(p_control: float, risk_ratio: float) -> Derivation:
    r"""Treatment-arm proportion implied by a control proportion and a risk ratio.

    Parameters
    ----------
    p_control : float
        Control-arm proportion, in [0, 1].
    risk_ratio : float
        Risk ratio, treatment versus control, at least 0, with ``risk_ratio * p_control <= 1``.

    Returns
    -------
    Derivation
        ``value`` is the treatment-arm proportion.

    Notes
    -----
    .. math:: p_1 = RR\, p_0.

    References
    ----------
    Plain arithmetic.

    Examples
    --------
    >>> round(proportion_from_risk_ratio(0.3, 1.5).value, 3)
    0.45
    """
    p0 = _real("p_control", p_control, low=0.0, high=1.0)
    risk_ratio = _real("risk_ratio", risk_ratio, low=0.0)
    p1 = risk_ratio * p0
    if p1 > 1:
        raise InputError(
            f"`risk_ratio` x `p_control` must be at most 1; got {risk_ratio} x {p0} = {p1:.4g}."
        )
    return Derivation(
        method="proportion_from_risk_ratio",
        value=p1,
        inputs={"p_control": p0, "risk_ratio": risk_ratio},
        explanation=f"p1 = {risk_ratio} x {_g(p0)} = {_g(p1)}",
        reference="",
    )


def _quartiles_iv(q1, q3) -> tuple[float, float]:
    q1 = _real("q1", q1)
    q3 = _real("q3", q3)
    if not q1 < q3:
        raise InputError(f"`q1` must be less than `q3`; got {q1!r} and {q3!r}.")
    return q1, q3


def mean_from_median_iqr(median: float, q1: float, q3: float) -> Derivation:
    r"""Sample mean estimated from the median and quartiles (Wan et al. 2014, scenario C3).

    Parameters
    ----------
    median : float
        Sample median, in [`q1`, `q3`].
    q1, q3 : float
        First and third quartiles, ``q1 < q3``.

    Returns
    -------
    Derivation
        ``value`` is the estimated mean. The standard deviation is `sd_from_iqr`.

    Notes
    -----
    .. math:: \bar{X} \approx \frac{q_1 + m + q_3}{3}

    (equation 14 of [1]_), derived for normal data; with skewed data the median itself may
    be the better location estimate.

    References
    ----------
    .. [1] Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard deviation from
       the sample size, median, range and/or interquartile range. BMC Med Res Methodol
       2014;14:135.

    Examples
    --------
    >>> print(mean_from_median_iqr(50.0, 35.0, 72.0).explanation)
    mean = (35.0 + 50.0 + 72.0) / 3 = 52.33
    """
    q1, q3 = _quartiles_iv(q1, q3)
    median = _real("median", median, low=q1, high=q3)
    mean = (q1 + median + q3) / 3
    return Derivation(
        method="mean_from_median_iqr",
        value=mean,
        inputs={"median": median, "q1": q1, "q3": q3},
        explanation=f"mean = ({q1} + {median} + {q3}) / 3 = {_g(mean)}",
        reference=_cite("Wan 2014"),
    )


def sd_from_iqr(q1: float, q3: float, n: int) -> Derivation:
    r"""Sample standard deviation estimated from the quartiles (Wan et al. 2014, scenario C3).

    Parameters
    ----------
    q1, q3 : float
        First and third quartiles, ``q1 < q3``.
    n : int
        Sample size, at least 5 (the smallest, ``n = 4Q + 1`` with ``Q = 1``, in [1]_).

    Returns
    -------
    Derivation
        ``value`` is the estimated standard deviation.

    Notes
    -----
    .. math:: S \approx \frac{q_3 - q_1}
              {2\,\Phi^{-1}\left(\frac{0.75 n - 0.125}{n + 0.25}\right)}

    (equation 16 of [1]_). The denominator approximates twice the expected upper-quartile order
    statistic of a standard normal sample of size n; [1]_ tabulates the exact values for
    ``n <= 201`` (Table 2), which the formula matches within 0.005. For large n it tends to
    :math:`2\Phi^{-1}(0.75) = 1.349`, the familiar IQR / 1.35.

    References
    ----------
    .. [1] Wan X, Wang W, Liu J, Tong T. Estimating the sample mean and standard deviation from
       the sample size, median, range and/or interquartile range. BMC Med Res Methodol
       2014;14:135.

    Examples
    --------
    >>> d = sd_from_iqr(35.0, 72.0, 29)
    >>> round(d.value, 2)
    28.85
    """
    q1, q3 = _quartiles_iv(q1, q3)
    n = _count("n", n, minimum=5)
    prob = (0.75 * n - 0.125) / (n + 0.25)
    eta = 2 * normal_quantile(prob)
    sd = (q3 - q1) / eta
    return Derivation(
        method="sd_from_iqr",
        value=float(sd),
        inputs={"q1": q1, "q3": q3, "n": n},
        explanation=(
            f"SD = ({q3} - {q1}) / (2 x Phi^-1((0.75 x {n} - 0.125) / ({n} + 0.25))) "
            f"= ({q3} - {q1}) / {_g(eta)} = {_g(sd)}"
        ),
        reference=_cite("Wan 2014"),
    )


def zero_event_upper_bound(n: int, level: float = 0.95) -> Derivation:
    r"""Exact one-sided upper confidence bound for an event rate after 0 events in n patients.

    Parameters
    ----------
    n : int
        Number of patients observed, none with the event; at least 1.
    level : float, optional
        One-sided confidence level, in (0, 1). Default 0.95.

    Returns
    -------
    Derivation
        ``value`` is the upper bound for the event probability.

    Notes
    -----
    The Clopper-Pearson bound [1]_ with zero events solves :math:`(1 - p)^n = 1 - \text{level}`:

    .. math:: p_U = 1 - (1 - \text{level})^{1/n}.

    At level 0.95 this is close to the rule of three, :math:`3/n` [2]_, since
    :math:`-\ln 0.05 = 2.996`; the rule slightly overstates the bound for small n.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the
       case of the binomial. Biometrika 1934;26:404-13.
    .. [2] Hanley JA, Lippman-Hand A. If nothing goes wrong, is everything all right?
       Interpreting zero numerators. JAMA 1983;249:1743-5.

    Examples
    --------
    No MSC-related adverse events in 65 treated patients:

    >>> d = zero_event_upper_bound(65)
    >>> round(d.value, 4)
    0.045
    >>> print(d.explanation)
    p_U = 1 - (1 - 0.95)^(1/65) = 0.04504 (rule of three: 3/65 = 0.04615)
    """
    n = _count("n", n, minimum=1)
    level = _level(level)
    bound = -math.expm1(math.log1p(-level) / n)
    return Derivation(
        method="zero_event_upper_bound",
        value=bound,
        inputs={"n": n, "level": level},
        explanation=(
            f"p_U = 1 - (1 - {level})^(1/{n}) = {_g(bound)} (rule of three: 3/{n} = {_g(3 / n)})"
        ),
        reference=f"{_cite('Clopper 1934', 'zero events')}; {_cite('Hanley 1983')}",
    )


def _pooled_z(p1: float, p0: float, n1: int, n2: int) -> float:
    """Two-proportion z statistic with pooled variance, no continuity correction."""
    pbar = (n1 * p1 + n2 * p0) / (n1 + n2)
    return (p1 - p0) / math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))


def _bisect(f: Callable[[float], float], a: float, b: float) -> float:
    """A root of `f` between `a` and `b`, where f changes sign, by bisection to the last bit.

    Returns the end, of the last two adjacent floating-point numbers, where `f` is closer to 0
    (`a` if ``f(a) == 0``).
    """
    fa = f(a)
    if fa == 0:
        return a
    while True:
        mid = a + (b - a) / 2
        if mid in (a, b):
            return a if abs(fa) <= abs(f(b)) else b
        f_mid = f(mid)
        if f_mid == 0:
            return mid
        if (f_mid < 0) == (fa < 0):
            a, fa = mid, f_mid
        else:
            b = mid


def _effect_from_p_value_iv(p_value, n1, n2, sd, p_control, sided, direction):
    p_value = _real("p_value", p_value, low=0.0, high=1.0, open_low=True, open_high=True)
    n1 = _count("n1", n1, minimum=1)
    n2 = _count("n2", n2, minimum=1)
    if (sd is None) == (p_control is None):
        raise InputError(
            "Give exactly one of `sd` (continuous endpoint) or `p_control` (binary endpoint)."
        )
    if sd is not None:
        sd = _real("sd", sd, low=0.0, open_low=True)
    else:
        p_control = _real("p_control", p_control, low=0.0, high=1.0, open_low=True, open_high=True)
    if sided not in (1, 2) or isinstance(sided, bool):
        raise InputError(f"`sided` must be 1 or 2; got {sided!r}.")
    if sided == 1 and p_value >= 0.5:
        raise InputError(
            f"`p_value` must be < 0.5 when `sided` is 1 (a larger one-sided p-value means an "
            f"effect opposite to `direction`); got {p_value!r}."
        )
    if direction not in (1, -1) or isinstance(direction, bool):
        raise InputError(f"`direction` must be +1 or -1; got {direction!r}.")
    return p_value, n1, n2, sd, p_control, int(sided), int(direction)


def effect_from_p_value(
    p_value: float,
    n1: int,
    n2: int,
    *,
    sd: float | None = None,
    p_control: float | None = None,
    sided: int = 2,
    direction: int = 1,
) -> Derivation:
    r"""Observed effect that a reported p-value implies at the given group sizes.

    Parameters
    ----------
    p_value : float
        Reported p-value, in (0, 1); below 0.5 if one-sided.
    n1, n2 : int
        Treatment and control group sizes.
    sd : float, optional
        Common standard deviation of a continuous endpoint (give this or `p_control`).
    p_control : float, optional
        Control-arm proportion of a binary endpoint, in (0, 1) (give this or `sd`).
    sided : {2, 1}, optional
        Whether the p-value is two-sided (default) or one-sided.
    direction : {1, -1}, optional
        Sign of the effect, treatment minus control. Default +1.

    Returns
    -------
    Derivation
        ``value`` is the mean difference (treatment minus control, with the sign of
        `direction`) for a continuous endpoint, or the treatment-arm proportion for a binary one.

    Notes
    -----
    With :math:`z = \Phi^{-1}(1 - p/s)`, where s is `sided`:

    - continuous: :math:`d = \pm z\, SD \sqrt{1/n_1 + 1/n_2}` (the normal-test relation of
      [1]_, solved for the difference);
    - binary: the :math:`p_1` on the side of :math:`p_0` given by `direction` with
      :math:`(p_1 - p_0) / \sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_2)} = \pm z`,
      :math:`\bar p = (n_1 p_1 + n_2 p_0)/(n_1 + n_2)` (the pooled two-proportion z test
      without continuity correction, equivalent to Pearson's chi-squared test [2]_), solved
      by bisection to adjacent floating-point numbers. A `ValueError` is raised if no
      proportion in [0, 1] reaches z.

    This is the effect *observed* in the reporting trial, not the true effect: a planning
    assumption, biased away from zero when selected for significance (winner's curse, [3]_).

    References
    ----------
    .. [1] Higgins JPT, Thomas J, Chandler J, et al. (eds). Cochrane Handbook for Systematic
       Reviews of Interventions, version 6.4, 2023, section 6.5.2.3.
    .. [2] Agresti A. Categorical Data Analysis, 3rd ed. Wiley, 2013.
    .. [3] Ioannidis JPA. Why most discovered true associations are inflated. Epidemiology
       2008;19:640-8.

    Examples
    --------
    A continuous endpoint with SD 69.4 m and p = 0.057 at 65 vs 35:

    >>> round(effect_from_p_value(0.057, 65, 35, sd=69.4).value, 1)
    27.7

    A "marginally smaller" proportion (read as p = 0.08) at 65 vs 35 when 40% of controls
    have the outcome:

    >>> round(effect_from_p_value(0.08, 65, 35, p_control=0.4, direction=-1).value, 3)
    0.233
    """
    p_value, n1, n2, sd, p0, sided, direction = _effect_from_p_value_iv(
        p_value, n1, n2, sd, p_control, sided, direction
    )
    z = -normal_quantile(p_value / sided)
    caveat = (
        "observed effect implied by the p-value: a planning assumption, prone to winner's curse"
    )
    z_text = f"z = Phi^-1(1 - {p_value}/{sided}) = {_g(z)}"
    inputs: dict[str, float | int | str] = {"p_value": p_value, "n1": n1, "n2": n2}
    if sd is not None:
        value = direction * z * sd * math.sqrt(1 / n1 + 1 / n2)
        inputs["sd"] = sd
        explanation = (
            f"difference = {direction:+d} x {_g(z)} x {sd} x sqrt(1/{n1} + 1/{n2}) "
            f"= {_g(value)} ({z_text}; {caveat})"
        )
    else:
        end = 1.0 if direction == 1 else 0.0
        if direction * _pooled_z(end, p0, n1, n2) < z:
            raise InputError(
                f"No treatment proportion reaches `p_value` = {p_value} with "
                f"`p_control` = {p0}, `n1` = {n1}, `n2` = {n2} and "
                f"`direction` = {direction:+d}."
            )
        value = _bisect(lambda p1: _pooled_z(p1, p0, n1, n2) - direction * z, p0, end)
        inputs["p_control"] = p0
        explanation = (
            f"p1 such that (p1 - {p0}) / sqrt(pbar (1 - pbar) (1/{n1} + 1/{n2})) "
            f"= {direction:+d} x {_g(z)}: p1 = {_g(value)} ({z_text}; {caveat})"
        )
    inputs.update(sided=sided, direction=direction)
    return Derivation(
        method="effect_from_p_value",
        value=float(value),
        inputs=inputs,
        explanation=explanation,
        reference=(
            _cite("Higgins 2023", "section 6.5.2.3")
            if sd is not None
            else _cite(
                "Agresti 2013",
                "two-proportion z test with pooled variance, equivalent to Pearson's chi-squared "
                "test",
            )
        ),
    )


def odds_ratio_ci(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> Derivation:
    r"""Sample odds ratio with the Woolf (log odds ratio) confidence interval.

    Parameters
    ----------
    x1, n1 : int
        Events and patients in the treatment arm, ``0 < x1 < n1``.
    x2, n2 : int
        Events and patients in the control arm, ``0 < x2 < n2``.
    level : float, optional
        Two-sided confidence level, in (0, 1). Default 0.95.

    Returns
    -------
    Derivation
        ``value`` is the odds ratio and ``interval`` its confidence interval.

    Notes
    -----
    With :math:`a = x_1, b = n_1 - x_1, c = x_2, d = n_2 - x_2` and
    :math:`z = z_{1-(1-\text{level})/2}`:

    .. math:: OR = \frac{ad}{bc}, \qquad
              \exp\left(\ln OR \mp z \sqrt{1/a + 1/b + 1/c + 1/d}\right).

    No continuity correction is applied, so every cell must be non-zero.

    References
    ----------
    .. [1] Woolf B. On estimating the relation between blood group and disease. Ann Hum Genet
       1955;19:251-3.

    Examples
    --------
    Normal CT at month 36, 23/49 with MSC vs 10/29 with placebo (reported: OR 1.68, 95% CI
    0.65 to 4.34):

    >>> d = odds_ratio_ci(23, 49, 10, 29)
    >>> round(d.value, 2), tuple(round(x, 2) for x in d.interval)
    (1.68, (0.65, 4.34))
    """
    n1 = _count("n1", n1, minimum=2)
    n2 = _count("n2", n2, minimum=2)
    x1 = _count("x1", x1, minimum=1)
    x2 = _count("x2", x2, minimum=1)
    for name, x, n, n_name in (("x1", x1, n1, "n1"), ("x2", x2, n2, "n2")):
        if x >= n:
            raise InputError(
                f"`{name}` must be less than `{n_name}` ({n}) for the Woolf "
                f"interval (no zero cells); got {x}."
            )
    level = _level(level)
    a, b, c, d = x1, n1 - x1, x2, n2 - x2
    odds_ratio = a * d / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    z = -normal_quantile((1 - level) / 2)
    lower = math.exp(math.log(odds_ratio) - z * se)
    upper = math.exp(math.log(odds_ratio) + z * se)
    return Derivation(
        method="odds_ratio_ci",
        value=odds_ratio,
        inputs={"x1": x1, "n1": n1, "x2": x2, "n2": n2, "level": level},
        explanation=(
            f"OR = ({a} x {d}) / ({b} x {c}) = {_g(odds_ratio)}; {level * 100:g}% CI = "
            f"exp(ln {_g(odds_ratio)} -/+ {_g(z)} x sqrt(1/{a} + 1/{b} + 1/{c} + 1/{d})) "
            f"= {_g(lower)} to {_g(upper)}"
        ),
        reference=_cite("Woolf 1955"),
        interval=(lower, upper),
    )


DERIVATIONS: dict[str, Callable[..., Derivation]] = {
    f.__name__: f
    for f in (
        sd_from_ci,
        proportion,
        proportion_from_odds_ratio,
        proportion_from_risk_ratio,
        mean_from_median_iqr,
        sd_from_iqr,
        se_from_ci,
        zero_event_upper_bound,
        effect_from_p_value,
        odds_ratio_ci,
    )
}


def derive(method: str, **inputs) -> Derivation:
    """Run the derivation named `method` on keyword `inputs`.

    Parameters
    ----------
    method : str
        A key of `DERIVATIONS` (the function name).
    **inputs
        Keyword arguments of that function.

    Returns
    -------
    Derivation
        The function's result.

    Examples
    --------
    >>> spec = {"method": "sd_from_ci", "lower": 1.44, "upper": 24.28, "n1": 49, "n2": 29}
    >>> round(derive(**spec).value, 2)
    24.87
    """
    try:
        func = DERIVATIONS[method]
    except (KeyError, TypeError):
        allowed = sorted(DERIVATIONS)
        raise InputError(f"`method` must be one of {allowed}; got {method!r}.") from None
    try:
        inspect.signature(func).bind(**inputs)
    except TypeError as exc:
        params = list(inspect.signature(func).parameters)
        raise InputError(f"Bad inputs for `{method}` ({exc}); it takes {params}.") from None
    return func(**inputs)
