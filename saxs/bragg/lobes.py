"""Form-factor lobes are not Bragg peaks: the two tests :func:`saxs.bragg.peaks.find_peaks` applies
to its accepted peaks (steps 5 and 6 of its method).

- :func:`oscillating`: a peak whose FWHM is a large fraction of the distance to the nearest other
  fitted maximum of comparable area is one of a train of lobes;
- :func:`flanked_by_lobes`: a peak whose flanks dip below the smooth curve, or rise again towards a
  next maximum, is a lobe even when its neighbours could not be fitted (the running median cannot
  follow the lobes of large spheres, period pi / R).

Both take and return plain peaks (anything with ``q_nm``, ``fwhm_nm``, ``area``, ``amplitude``), so
this module imports nothing of :mod:`saxs.bragg.peaks`.
"""

from __future__ import annotations

import math

import numpy as np


def oscillating(accepted, bumps, max_fwhm_per_spacing: float) -> tuple[list, list]:
    """Split off peaks that overlap a neighbouring maximum of comparable size (form-factor lobes).

    Neighbours are ``bumps``: the other fitted positive bumps of at least 3 sigma (a lobe next to the
    last significant one is often just below the threshold) whose area is at least a tenth of the
    peak's (adjacent lobes differ by a factor 2-5 at most; a weak shoulder or tail residual beside a
    real Bragg peak does not count).

    Returns
    -------
    (kept peaks, list of (peak, reason))
    """
    keep, dropped = [], []
    for p in accepted:
        gaps = [abs(b.q_nm - p.q_nm) for b in bumps
                if abs(b.q_nm - p.q_nm) > 0.3 * p.fwhm_nm and b.area >= 0.1 * p.area]
        ratio = p.fwhm_nm / min(gaps) if gaps else 0.0
        if ratio >= max_fwhm_per_spacing:
            dropped.append((p, f"FWHM / spacing to the next maximum = {ratio:.2f} >= "
                               f"{max_fwhm_per_spacing:g} (an oscillation: form-factor lobes)"))
        else:
            keep.append(p)
    return keep, dropped


def _flank_means(q, r, sr, center, fwhm, side: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted means of ``r`` (and their standard errors) over windows of +-FWHM/8 (at least
    +-1.5 sampling steps) centred at
    distances 0.5, 0.625, ..., 3 FWHM from ``center`` on one side (``side`` = -1 or +1); windows
    with fewer than three points are NaN. Returns (distance in FWHM, mean, standard error)."""
    dist = np.arange(0.5, 3.0 + 1e-9, 0.125)
    mean = np.full(dist.size, np.nan)
    err = np.full(dist.size, np.nan)
    w = 1.0 / sr**2
    j = int(np.clip(np.searchsorted(q, center), 1, q.size - 1))
    half = max(fwhm / 8.0, 1.5 * float(q[j] - q[j - 1]))  # at least three points where sampling is coarse
    for k, d in enumerate(dist):
        win = np.abs(q - (center + side * d * fwhm)) <= half
        if np.count_nonzero(win) >= 3:
            mean[k] = np.sum(w[win] * r[win]) / np.sum(w[win])
            err[k] = 1.0 / math.sqrt(float(np.sum(w[win])))
    return dist, mean, err


def _lobe_evidence(q, r, sr, center, fwhm, min_z: float) -> tuple[float, float, str]:
    """Largest significant sign, on either flank of a peak, that it is one of a train of oscillations.

    Two signs, both measured on ``r = I / ref - 1`` averaged over quarter-FWHM windows:

    - a *dip*: the data fall below the smooth reference 0.75-3 FWHM from the centre (the minima
      between form-factor lobes lie under the curve's smooth average; a Bragg peak's flanks do not);
    - a *rebound*: walking out from the peak, the data rise again within 2.5 FWHM above the lowest
      point passed since 0.5 FWHM (the next lobe; form-factor lobes are 1.6-2 FWHM apart, the
      closest Bragg orders of a cubic phase at least 2.9 FWHM, lamellar orders 7 or more).

    Returns (size in units of r, size / standard error, which sign) of the largest one with at
    least ``min_z`` standard errors, or (0, 0, "") when there is none.
    """
    best = (0.0, 0.0, "")
    for side in (-1.0, 1.0):
        dist, mean, err = _flank_means(q, r, sr, center, fwhm, side)
        ok = np.flatnonzero(np.isfinite(mean))
        for k in ok[dist[ok] >= 0.75]:
            if -mean[k] / err[k] >= min_z and -mean[k] > best[0]:
                best = (float(-mean[k]), float(-mean[k] / err[k]), "dip below the smooth curve")
        low = None
        for k in ok[dist[ok] <= 2.5]:
            if low is not None and dist[k] >= dist[low] + 0.25:
                rise = float(mean[k] - mean[low])
                z = rise / math.hypot(err[k], err[low])
                if z >= min_z and rise > best[0]:
                    best = (rise, float(z), "rebound to a neighbouring maximum")
            if low is None or mean[k] < mean[low]:
                low = k
    return best


def flanked_by_lobes(accepted, q, inten, sig, ref, *, max_dip_per_height: float,
                     dip_significance: float) -> tuple[list, list]:
    """Split off peaks whose flanks show a form-factor oscillation (see :func:`_lobe_evidence`).

    Parameters
    ----------
    accepted : list of Peak
    q, inten, sig, ref : ndarray, shape (n,)
        q (1/nm), the curve, its sigma and the smooth reference.
    max_dip_per_height, dip_significance : float
        See :class:`saxs.bragg.peaks.PeakSettings`.

    Returns
    -------
    (kept peaks, list of (peak, reason))
    """
    r = inten / ref - 1.0
    sr = sig / ref
    keep, dropped = [], []
    for p in accepted:
        j = int(np.clip(np.searchsorted(q, p.q_nm), 0, q.size - 1))
        height = p.amplitude / ref[j]
        size, z, sign = _lobe_evidence(q, r, sr, p.q_nm, p.fwhm_nm, dip_significance)
        if size > 0 and size >= max_dip_per_height * height:
            dropped.append((p, f"{sign} beside it ({size:.2g} of the smooth curve, {z:.1f} sigma, "
                               f"{size / height:.2f} of its height): a form-factor lobe"))
        else:
            keep.append(p)
    return keep, dropped
