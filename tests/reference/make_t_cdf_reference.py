"""Reference values of the Student t lower tail P(T <= t), t < 0, computed with mpmath.

Run from the repository root: ``python tests/reference/make_t_cdf_reference.py`` (needs
``mpmath``, which the tests do not: they read the JSON it writes, ``t_cdf_mpmath.json``).

Each value is ``I_x(df/2, 1/2) / 2`` with ``x = df / (df + t^2)`` evaluated exactly from the
double inputs, by ``mpmath.betainc`` at 60 digits (a hypergeometric series). Where that series
does not converge (large df, far tail), it is ``(1 - I_{1-x}(1/2, df/2)) / 2`` at 60, 120, 240,
480 digits until two precisions agree to 45 digits. As an independent check, every value with
p >= 1e-50 is also computed by quadrature of the density (:func:`by_quadrature`), and the two
must agree to 1e-25 (further out, mpmath's quadrature is off by up to 1e-10 while the two
series agree with each other, with simtrial and with scipy). Values are stored as the nearest
double; values below 1e-306 (near the subnormal range) are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mpmath
from mpmath import mp, mpf

OUT = Path(__file__).with_name("t_cdf_mpmath.json")
DF = [1, 1.5, 2, 2.5, 3, 4.7, 5, 7.3, 10, 17.2, 19.5, 20, 20.5, 29.9, 30, 55.5, 100, 173.3,
      398, 1000, 12345.6, 1e5, 1e6, 1e7]
T = [-1e-8, -1e-3, -0.1, -0.5, -1, -1.5, -1.96, -2.5, -3, -4, -6, -9, -14, -20, -30, -45, -70,
     -100, -300, -1e3, -1e4, -1e6, -1e10, -1e30, -1e100, -1e200]
SMALLEST = mpf("1e-306")
CHECKED = mpf("1e-50")  # the quadrature is reliable to 1e-25 down to here


def lower_tail(t: float, df: float) -> mpf | None:
    """P(T <= t) for t < 0 by the incomplete beta function (module notes); None if mpmath's
    hypergeometric series do not converge."""
    with mp.workdps(60):
        x = mpf(df) / (mpf(df) + mpf(t) ** 2)
        try:
            return mpmath.betainc(mpf(df) / 2, 0.5, 0, x, regularized=True) / 2
        except (mpmath.libmp.NoConvergence, ValueError):
            pass
    previous = None
    for dps in (60, 120, 240, 480):
        with mp.workdps(dps):
            y = mpf(t) ** 2 / (mpf(df) + mpf(t) ** 2)
            try:
                p = (1 - mpmath.betainc(0.5, mpf(df) / 2, 0, y, regularized=True)) / 2
            except mpmath.libmp.NoConvergence:
                return None
            if previous is not None and abs(p - previous) <= mpf("1e-45") * abs(p):
                return p
            previous = p
    return None


def by_quadrature(t: float, df: float) -> mpf:
    """P(T <= t) as an integral over an angle, at 80 digits.

    With s = sqrt(df) tan(theta) the density of T becomes C cos(theta)^(df-1),
    C = Gamma((df+1)/2) / (sqrt(pi) Gamma(df/2)); with phi = theta + pi/2,
    P(T <= t) = C int_0^phi_t sin(phi)^(df-1) dphi, phi_t = atan(sqrt(df) / |t|). The
    integrand is smooth and bounded; breakpoints crowd towards phi_t, where it is largest.
    """
    with mp.workdps(80):
        t, df = mpf(t), mpf(df)
        scale = mpmath.exp(mpmath.loggamma((df + 1) / 2) - mpmath.loggamma(df / 2))
        end = mpmath.atan(mpmath.sqrt(df) / abs(t))
        points = [0] + [end * (1 - mpf(2) ** -k) for k in range(1, 40)] + [end]
        return scale / mpmath.sqrt(mp.pi) * mpmath.quad(lambda p: mpmath.sin(p) ** (df - 1),
                                                          points)


def main() -> None:
    values = []
    for df in DF:
        for t in T:
            p = lower_tail(t, df)
            q = by_quadrature(t, df)
            if p is None:
                if q < mpf("1e-400"):
                    continue  # far below the double range
                sys.exit(f"no convergence at t = {t}, df = {df}")
            if p < SMALLEST:
                continue
            if p >= CHECKED and abs(q - p) > mpf("1e-25") * p:
                sys.exit(f"quadrature disagrees at t = {t}, df = {df}: {p} vs {q}")
            values.append({"df": df, "t": t, "p": float(p)})
    meta = {"generated_by": "python tests/reference/make_t_cdf_reference.py",
            "mpmath": mpmath.__version__,
            "what": "p = P(T <= t) for Student's t with df degrees of freedom, t < 0"}
    rows = ",\n".join(json.dumps(value) for value in values)  # one value a line
    OUT.write_text(f'{{"meta": {json.dumps(meta)},\n"values": [\n{rows}\n]}}\n')
    print(f"{len(values)} values -> {OUT}")


if __name__ == "__main__":
    main()
