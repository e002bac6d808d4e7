"""Fits of the Bragg peak search: each candidate fitted with lmfit and judged (steps 3 and 4).

:func:`fit_candidates` fits each candidate of :mod:`saxs.bragg.candidates` over +-2.5 FWHM:
Gaussians (parametrised by area) plus the smooth reference times a quadratic in ln q, with lmfit's
uncertainties scaled by ``sqrt(max(1, reduced chi2))``; :func:`_judge` builds the :class:`Peak` and
accepts it or says why not (significance, position, width, sampling, window).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ProcessingError
from .peak_types import FWHM_PER_SIGMA, Peak, PeakSettings, RejectedPeak

#: Fewest degrees of freedom of a peak fit (points in its window minus parameters).
MIN_FREE_POINTS = 12


def _scaled_quadratic(ref, u, c0=1.0, c1=0.0, c2=0.0):
    """Baseline: the smooth reference times a quadratic in u = ln(q / q_mid)."""
    return ref * (c0 + c1 * u + c2 * u * u)


def _gaussian_area(x, area=1.0, center=1.0, sigma=0.1):
    """Gaussian of integral ``area``, centre ``center`` and standard deviation ``sigma`` (x units)."""
    return area / (sigma * math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def fit_candidates(x, q, inten, sig, ref, spacing, candidates, settings: PeakSettings):
    """Fit each candidate with lmfit in its own window; split into accepted and rejected peaks.

    Parameters
    ----------
    x : ndarray, shape (m,)
        ln q, strictly increasing (q in 1/nm).
    q, spacing : ndarray, shape (m,)
        The points and their sampling step, 1/nm.
    inten, sig, ref : ndarray, shape (m,)
        Intensity, its uncertainty and the smooth reference (one unit).
    candidates : sequence of saxs.bragg.candidates.Candidate
        Positions to fit (by increasing index).
    settings : PeakSettings
        Thresholds of :func:`_judge`; ``min_significance`` also picks the candidates fitted together.

    Returns
    -------
    accepted : list of Peak
    rejected : list of RejectedPeak
        A candidate whose window would need points beyond the curve's ends is in neither.

    Raises
    ------
    ProcessingError
        When a model evaluation gives NaN (naming q of the candidate).
    """
    import lmfit

    accepted: list[Peak] = []
    rejected: list[RejectedPeak] = []
    r = inten / ref
    for main in candidates:
        # each candidate is fitted in its own window; strong candidates inside that window are
        # fitted with it (so that they do not bias it) but judged in their own windows
        half = 2.5 * main.rel_fwhm
        a = int(np.searchsorted(x, x[main.index] - half, side="left"))
        b = int(np.searchsorted(x, x[main.index] + half, side="right"))
        group = [main] + [c for c in candidates if c is not main and a <= c.index < b
                          and c.z >= settings.min_significance]
        n_par = 3 * len(group) + 3
        # at least MIN_FREE_POINTS degrees of freedom: the reduced chi2 that scales the uncertainties
        # (and so the significance) is meaningless on a handful of points; a peak narrower than its
        # window has room gets a wider window, one that touches the ends of the curve is skipped
        short = n_par + MIN_FREE_POINTS - (b - a)
        if short > 0:
            a, b = a - (short + 1) // 2, b + (short + 1) // 2
            if a < 0 or b > q.size:
                continue
        model = lmfit.Model(_scaled_quadratic, independent_vars=["ref", "u"])
        for k in range(len(group)):
            model = lmfit.Model(_gaussian_area, prefix=f"p{k}_") + model
        params = model.make_params(c0=1.0, c1=0.0, c2=0.0)
        for k, c in enumerate(group):
            qc = q[c.index]
            sigma_q = c.rel_fwhm * qc / FWHM_PER_SIGMA
            area0 = max(c.amplitude_rel, 1e-12) * ref[c.index] * sigma_q * math.sqrt(2 * math.pi)
            min_sigma = 0.3 * spacing[c.index]
            params[f"p{k}_center"].set(value=_centroid(q, r, qc, c.rel_fwhm * qc),
                                       min=qc * (1 - c.rel_fwhm), max=qc * (1 + c.rel_fwhm))
            params[f"p{k}_sigma"].set(value=max(sigma_q, 1.01 * min_sigma), min=min_sigma,
                                      max=2.0 * settings.max_rel_fwhm * qc / FWHM_PER_SIGMA)
            params[f"p{k}_area"].set(value=area0)
        u = x[a:b] - 0.5 * (x[a] + x[b - 1])
        try:
            result = model.fit(inten[a:b], params, x=q[a:b], ref=ref[a:b], u=u, weights=1.0 / sig[a:b],
                               scale_covar=False, nan_policy="raise", max_nfev=200 * n_par)
        except (ValueError, TypeError) as exc:  # NaN in a model evaluation: say where
            raise ProcessingError(f"peak fit near q = {q[main.index]:.4g} 1/nm failed: {exc}") from exc
        scale = math.sqrt(max(1.0, float(result.redchi))) if result.nfree > 0 else float("nan")
        peak, reason = _judge(result, "p0_", scale, q, spacing, a, b, settings)
        if reason is None:
            accepted.append(peak)
        else:
            rejected.append(RejectedPeak(peak, reason))
    return accepted, rejected


def _centroid(q, r, qc, fwhm) -> float:
    """Centroid of the excess of ``r`` over its minimum within +-FWHM/2 of ``qc``.

    A data-driven start off the sampling grid: started exactly on a sample point, lmfit's
    finite-difference step in the centre can leave it there and report no uncertainty.
    """
    win = np.abs(q - qc) <= 0.5 * fwhm
    if np.count_nonzero(win) < 3:
        return float(qc)
    w = r[win] - np.min(r[win])
    total = float(np.sum(w))
    return float(np.sum(w * q[win]) / total) if total > 0 else float(qc)


def _judge(result, prefix, scale, q, spacing, a, b, settings: PeakSettings):
    """Build the Peak of one fitted Gaussian and say why it is rejected (None when accepted).

    Standard errors come from lmfit's covariance times ``scale``; the height
    ``h = area / (sigma sqrt(2 pi))`` and FWHM = 2.3548 sigma get theirs by linear propagation
    (with the area-sigma covariance).
    """
    p = result.params
    area = float(p[prefix + "area"].value)
    center = float(p[prefix + "center"].value)
    sigma = float(p[prefix + "sigma"].value)
    height = area / (sigma * math.sqrt(2.0 * math.pi))
    nan = float("nan")
    area_std = center_std = sigma_std = height_std = nan
    covar = result.covar
    if covar is not None and np.all(np.isfinite(covar)):
        names = list(result.var_names)
        ia, ic, isg = (names.index(prefix + n) for n in ("area", "center", "sigma"))
        c = covar * scale**2
        if c[ia, ia] > 0 and c[ic, ic] > 0 and c[isg, isg] > 0:
            area_std, center_std, sigma_std = (math.sqrt(c[i, i]) for i in (ia, ic, isg))
            rel_var = c[ia, ia] / area**2 + c[isg, isg] / sigma**2 - 2 * c[ia, isg] / (area * sigma) if area else nan
            height_std = abs(height) * math.sqrt(max(rel_var, 0.0)) if np.isfinite(rel_var) else nan
    significance = area / area_std if np.isfinite(area_std) and area_std > 0 else 0.0
    peak = Peak(
        q_nm=center, q_nm_std=center_std, fwhm_nm=FWHM_PER_SIGMA * sigma, fwhm_nm_std=FWHM_PER_SIGMA * sigma_std,
        area=area, area_std=area_std, amplitude=height, amplitude_std=height_std,
        significance=float(significance),
    )
    j = int(np.clip(np.searchsorted(q, center), 0, q.size - 1))
    if not np.isfinite(area_std):
        return peak, "the fit gave no uncertainty"
    if area <= 0:
        return peak, "negative area (a dip, not a peak)"
    if significance < settings.min_significance:
        return peak, f"significance {significance:.1f} < {settings.min_significance:g}"
    if not (center_std <= 0.25 * peak.fwhm_nm):
        # a Gaussian's centre is known to ~0.12 FWHM at 5 sigma; worse means a shapeless bump
        return peak, f"position uncertainty {center_std:.2g} > FWHM / 4 (not a defined peak)"
    if peak.rel_fwhm > settings.max_rel_fwhm:
        return peak, (f"relative width FWHM/q = {peak.rel_fwhm:.2f} > {settings.max_rel_fwhm:g} "
                      "(broad: form factor or correlation maximum)")
    if peak.fwhm_nm < settings.min_points_per_fwhm * spacing[j]:
        return peak, f"narrower than {settings.min_points_per_fwhm:g} sampling steps (a spike)"
    if not (q[a] < center < q[b - 1]):
        return peak, "centre outside its fit window"
    return peak, None
