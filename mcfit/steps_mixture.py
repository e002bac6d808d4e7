"""The mixture test of the series step analysis: one curve as two families' fixed model curves.

Model curves of gaussian radius distributions (:func:`sphere_gaussian_intensity_1cm`), the
weighted linear fit of a member's data as a mixture of two families plus a flat background
(:func:`mixture_test`), and the best single gaussian population it is compared with
(:func:`fit_single_population`). The acceptance rule is step 3 of :mod:`mcfit.steps`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from scipy import optimize

from .models import NM3_TO_CM3, SLD_UNIT_PER_CM2, sphere_amplitude, sphere_volume_nm3
from .steps_types import MixtureTest, SeriesMember, SeriesSettings

#: Quadrature of the radius distribution: N_NODES equally spaced nodes over +-NODES_SPAN standard
#: deviations (trapezoid rule, spectrally accurate for a smooth gaussian integrand; the weight beyond
#: 6 sigma is 2e-9). Against scipy.integrate.quad (tests/series): better than 1e-7 relative for
#: width/R <= 0.12 and q <= 10 1/nm; a few 1e-5 where the distribution is cut at R = 0 (width/R > 1/6).
N_NODES = 61
NODES_SPAN = 6.0


def sphere_gaussian_intensity_1cm(q_nm, radius_nm, width_nm, volume_fraction, contrast_1e6_per_A2,
                                  *, n_nodes: int = N_NODES):
    """Absolute intensity of spheres whose *volume fraction* is gaussian-distributed in radius, 1/cm.

    ``I(q) = phi * drho**2 * sum_k w_k V(R_k) F(q R_k)**2`` with ``R_k = R + width * t_k``,
    ``t_k`` equally spaced over +-6, ``w_k`` proportional to ``exp(-t_k**2 / 2)`` (nodes at R <= 0
    dropped) and normalised to 1. This is the volume-weighted distribution that Monte Carlo
    histograms (volume fraction per radius bin) show.

    Parameters
    ----------
    q_nm : array_like, shape (n,)
        Scattering vector, 1/nm.
    radius_nm : float
        Mean radius of the volume-weighted distribution, nm.
    width_nm : float
        Gaussian standard deviation of the radius, nm (0: monodisperse).
    volume_fraction : float
        Total volume fraction.
    contrast_1e6_per_A2 : float
        Scattering-length-density difference, 1e-6 1/A^2.

    Returns
    -------
    ndarray, shape (n,)
        Intensity in 1/cm.

    Examples
    --------
    >>> from mcfit.models import sphere_intensity_1cm
    >>> q = np.array([0.5, 2.0])
    >>> bool(np.allclose(sphere_gaussian_intensity_1cm(q, 1.0, 0.0, 1e-3, 35.0),
    ...                  sphere_intensity_1cm(q, 1.0, 1e-3, 35.0)))
    True
    """
    q_nm = np.asarray(q_nm, dtype=np.float64)
    if width_nm <= 0:
        radii = np.array([float(radius_nm)])
        weights = np.array([1.0])
    else:
        t = np.linspace(-NODES_SPAN, NODES_SPAN, int(n_nodes))
        radii = radius_nm + width_nm * t
        weights = np.exp(-0.5 * t**2)
        keep = radii > 0
        radii, weights = radii[keep], weights[keep]
        weights = weights / weights.sum()
    volume_cm3 = sphere_volume_nm3(radii) * NM3_TO_CM3
    drho2 = (contrast_1e6_per_A2 * SLD_UNIT_PER_CM2) ** 2
    form = sphere_amplitude(np.outer(q_nm, radii)) ** 2
    return volume_fraction * drho2 * (form @ (weights * volume_cm3))


def _model_columns(q, candidates, contrast):
    return [sphere_gaussian_intensity_1cm(q, c.radius_nm, c.width_nm, 1.0, contrast) for c in candidates]


def _linear_fit(columns, y, sigma):
    """Weighted least squares ``y ~ sum a_k col_k + b``; returns coef, cov (scaled if chi2_red > 1), chi2."""
    a = np.column_stack(list(columns) + [np.ones_like(y)]) / sigma[:, None]
    b = y / sigma
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    chi2 = float(np.sum((a @ coef - b) ** 2))
    dof = max(y.size - a.shape[1], 1)
    cov = np.linalg.pinv(a.T @ a) * max(1.0, chi2 / dof)
    return coef, cov, chi2


def fit_single_population(q_nm, intensity, sigma, *, radius_nm, rel_width, contrast_1e6_per_A2=1.0):
    """Best single gaussian population (radius, width) + linear scale and flat background.

    Variable projection: the scale and background are solved linearly for each (radius, width)
    tried by :func:`scipy.optimize.least_squares`; three starting widths guard against local minima.

    Returns
    -------
    radius_nm : float
    rel_width : float
    chi2 : float
        Weighted chi-square of the best fit (``n - 4`` degrees of freedom).
    """
    q, y, s = (np.asarray(v, dtype=np.float64) for v in (q_nm, intensity, sigma))

    def residuals(p):
        col = sphere_gaussian_intensity_1cm(q, p[0], p[0] * p[1], 1.0, contrast_1e6_per_A2)
        a = np.column_stack([col, np.ones_like(q)]) / s[:, None]
        coef, *_ = np.linalg.lstsq(a, y / s, rcond=None)
        return a @ coef - y / s

    best = None
    for w0 in sorted({float(np.clip(rel_width, 0.005, 0.3)), 0.03, 0.08}):
        res = optimize.least_squares(residuals, [radius_nm, w0], bounds=([0.5 * radius_nm, 0.001], [2 * radius_nm, 0.4]),
                                     x_scale=[0.01 * radius_nm, 0.01])
        chi2 = float(np.sum(res.fun ** 2))
        if best is None or chi2 < best[2]:
            best = (float(res.x[0]), float(res.x[1]), chi2)
    return best


def mixture_test(member: SeriesMember, lower, upper, settings: SeriesSettings) -> MixtureTest:
    """Fit ``member``'s data as a mixture of two families' fixed curves + flat background.

    See the docstring of :mod:`mcfit.steps` (step 3) for the acceptance rule.

    Parameters
    ----------
    member : SeriesMember
        The member tested; it must have its data (``member.has_data``).
    lower, upper : frozen dataclass with ``radius_nm``, ``radius_nm_std`` and ``width_nm``
        The two neighbouring families (provisional, as :func:`mcfit.steps.analyse_series` groups
        them), radii and widths in nm; ``lower.radius_nm < upper.radius_nm``.
    settings : SeriesSettings
        Thresholds of the acceptance rule.

    Returns
    -------
    MixtureTest
        Fractions, chi-squares of the mixture and of the best single population, the verdict and why.
    """
    q, y, s = member.q_nm, member.intensity, member.sigma
    contrast = member.contrast_1e6_per_A2
    coef, cov, chi2_mix = _linear_fit(_model_columns(q, (lower, upper), contrast), y, s)
    a, b = float(coef[0]), float(coef[1])
    sa, sb = math.sqrt(max(cov[0, 0], 0.0)), math.sqrt(max(cov[1, 1], 0.0))
    total = a + b
    if total > 0:
        f_hi = b / total
        var = (a**2 * cov[1, 1] + b**2 * cov[0, 0] - 2 * a * b * cov[0, 1]) / total**4
        # Systematic part: the family radii are known to +-radius_nm_std only; refit with each
        # shifted by one standard deviation (either way) and add the largest changes in quadrature.
        for k in (0, 1):
            worst = 0.0
            for sign in (-1.0, 1.0):
                shifted = [lower, upper]
                c = shifted[k]
                shifted[k] = replace(c, radius_nm=c.radius_nm + sign * c.radius_nm_std)
                coef_k, _, _ = _linear_fit(_model_columns(q, shifted, contrast), y, s)
                t_k = coef_k[0] + coef_k[1]
                if t_k > 0:
                    worst = max(worst, abs(coef_k[1] / t_k - f_hi))
            var += worst**2
        f_std = math.sqrt(max(var, 0.0))
    else:
        f_hi, f_std = math.nan, math.nan
    dom = member.dominant
    r1, w1, chi2_single = fit_single_population(q, y, s, radius_nm=dom.mean_nm, rel_width=dom.rel_width,
                                                contrast_1e6_per_A2=contrast)
    n = y.size
    red_mix = chi2_mix / max(n - 3, 1)
    red_single = chi2_single / max(n - 4, 1)
    ratio_max = settings.chi2_ratio_max if settings.chi2_ratio_max is not None else 1 + 2 * math.sqrt(2 / max(n - 3, 1))
    reasons = []
    if not (a > 0 and b > 0):
        reasons.append("a fraction is negative")
    else:
        if a < settings.significance * sa or b < settings.significance * sb:
            reasons.append(f"a fraction is below {settings.significance:g} standard deviations")
        if min(f_hi, 1 - f_hi) < settings.min_shoulder_fraction:
            reasons.append(f"the lesser fraction {min(f_hi, 1 - f_hi):.3f} is below {settings.min_shoulder_fraction:g}")
    if red_mix > ratio_max * red_single:
        reasons.append(f"chi2_red {red_mix:.3g} exceeds {ratio_max:.3g} x the single population's {red_single:.3g}")
    accepted = not reasons
    return MixtureTest(
        at=member.value, label=member.label,
        radii_nm=(lower.radius_nm, upper.radius_nm), fractions=(1 - f_hi, f_hi), fraction_stds=(f_std, f_std),
        volume_fractions=(a, b), background=float(coef[2]), chi2_red_mixture=red_mix, chi2_red_single=red_single,
        chi2_ratio_max=ratio_max, single_radius_nm=r1, single_rel_width=w1, accepted=accepted,
        reason="mixture explains the member" if accepted else "; ".join(reasons))
