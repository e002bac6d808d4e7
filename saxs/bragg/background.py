"""The smooth background of a curve in the Bragg peak search, and its broad maxima.

:func:`smooth_reference` is step 1 of :mod:`saxs.bragg.peaks` (a running median of ln I over a
window in ln q, then a running mean: it follows power laws, form-factor oscillations and
correlation maxima but not sharp peaks); :func:`broad_maxima` reports the local maxima of that
reference that rise significantly above the dips beside them (correlation peaks, never Bragg peaks).
"""

from __future__ import annotations

import math

import numpy as np

from .peak_types import BroadMaximum, PeakSettings


def window_bounds(x: np.ndarray, half: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index bounds ``lo, hi`` (shape (m,) each) of the points within ``+-half`` of each ``x[i]``.

    ``x[lo[i]:hi[i]]`` is the window of point i; ``x`` sorted, ``half`` in the units of ``x``.
    """
    return np.searchsorted(x, x - half, side="left"), np.searchsorted(x, x + half, side="right")


def smooth_reference(x, inten, sig, half_width, exclude) -> np.ndarray:
    """Running median of ln(max(I, sigma)) over +-half_width in ln q, then a running mean.

    Parameters
    ----------
    x : ndarray, shape (m,)
        ln q, strictly increasing (q in 1/nm).
    inten, sig : ndarray, shape (m,)
        Intensity and its standard uncertainty (any one unit).
    half_width : float
        Half window of the running median, in ln q (the running mean uses half of it).
    exclude : ndarray of bool, shape (m,)
        Points left out of the median (under accepted peaks) where at least 3 others remain.

    Returns
    -------
    ndarray, shape (m,)
        The smooth reference, in the unit of ``inten``.
    """
    y = np.log(np.maximum(inten, sig))
    lo, hi = window_bounds(x, half_width)
    med = np.empty_like(y)
    for i in range(y.size):
        seg = y[lo[i]:hi[i]]
        use = ~exclude[lo[i]:hi[i]]
        med[i] = np.median(seg[use]) if np.count_nonzero(use) >= 3 else np.median(seg)
    lo2, hi2 = window_bounds(x, half_width / 2)
    csum = np.concatenate([[0.0], np.cumsum(med)])
    smooth = (csum[hi2] - csum[lo2]) / (hi2 - lo2)
    return np.exp(smooth)


def broad_maxima(x, q, inten, sig, ref, exclude, settings: PeakSettings) -> list[BroadMaximum]:
    """Local maxima of ln(ref) that rise significantly above the dips on both sides.

    Parameters
    ----------
    x : ndarray, shape (m,)
        ln q, strictly increasing (q in 1/nm).
    q : ndarray, shape (m,)
        The same points in 1/nm.
    inten, sig, ref : ndarray, shape (m,)
        Intensity, its uncertainty and the final smooth reference (:func:`smooth_reference`).
    exclude : ndarray of bool, shape (m,)
        Points under accepted peaks (left out of the uncertainty of the reference).
    settings : PeakSettings
        ``background_half_width``, ``broad_min_prominence`` and ``min_significance`` are used.

    Returns
    -------
    list of BroadMaximum
        By increasing q; none within half a window of either end of the curve.
    """
    from scipy.signal import find_peaks as _scipy_find_peaks

    y = np.log(ref)
    hw = settings.background_half_width
    # standard error of the smoothed ln I: relative sigma averaged over the window
    rel = np.where(exclude, np.nan, sig / np.maximum(np.abs(inten), sig))
    lo, hi = window_bounds(x, hw)
    err = np.empty_like(y)
    for i in range(y.size):
        seg = rel[lo[i]:hi[i]]
        seg = seg[np.isfinite(seg)]
        err[i] = math.sqrt(float(np.sum(seg**2))) / seg.size if seg.size else np.inf
    idx, props = _scipy_find_peaks(y, prominence=settings.broad_min_prominence)
    out: list[BroadMaximum] = []
    for m, prom, lb, rb in zip(idx, props["prominences"], props["left_bases"], props["right_bases"]):
        if x[m] - x[0] < hw or x[-1] - x[m] < hw:
            continue  # too close to the edge: the window is one-sided there
        base = lb if y[lb] >= y[rb] else rb
        significance = prom / math.sqrt(err[m] ** 2 + err[base] ** 2)
        if significance < settings.min_significance:
            continue
        qm = q[m]
        if 0 < m < y.size - 1:  # parabola through three points in ln q for a sub-step position
            denom = y[m - 1] - 2 * y[m] + y[m + 1]
            if denom < 0:
                h = x[m + 1] - x[m]
                qm = float(np.exp(x[m] + 0.5 * h * (y[m - 1] - y[m + 1]) / denom))
        out.append(BroadMaximum(q_nm=float(qm), prominence_ln=float(prom), significance=float(significance)))
    return out
