"""Candidate positions of the Bragg peak search: a matched filter on the curve over its smooth background.

Step 2 of :mod:`saxs.bragg.peaks`: at every trial centre and for each trial relative width, a
weighted linear least-squares fit of a Gaussian of fixed centre and width plus a quadratic in
ln q (closed form, batched); its amplitude over its standard error is a z score, and local maxima
of z above the threshold become :class:`Candidate` positions for the lmfit fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .background import window_bounds
from .peak_types import FWHM_PER_SIGMA, PeakSettings


@dataclass(frozen=True)
class Candidate:
    """A position the matched filter found: point ``index``, trial FWHM / q ``rel_fwhm``, z score ``z``."""

    index: int
    rel_fwhm: float
    z: float
    amplitude_rel: float  # Gaussian amplitude in units of the reference


def find_candidates(x, q, inten, sig, ref, spacing, settings: PeakSettings) -> list[Candidate]:
    """Matched filter: z score of a fixed Gaussian + local quadratic (closed-form weighted LS).

    Parameters
    ----------
    x : ndarray, shape (m,)
        ln q, strictly increasing (q in 1/nm).
    q, spacing : ndarray, shape (m,)
        The points and their sampling step (``np.gradient(q)``), 1/nm.
    inten, sig, ref : ndarray, shape (m,)
        Intensity, its uncertainty and the smooth reference (one unit).
    settings : PeakSettings
        ``trial_rel_fwhm``, ``candidate_z``, ``min_points_per_fwhm`` and ``max_candidates`` are used.

    Returns
    -------
    list of Candidate
        By increasing index; of positions closer than 0.6 of the larger trial FWHM / q (in ln q)
        only the strongest is kept, and at most ``max_candidates`` (strongest first).
    """
    r = inten / ref
    sr = sig / ref
    found: list[Candidate] = []
    for w in settings.trial_rel_fwhm:
        centres = _centre_grid(x, w / 8.0)
        z, amp = _matched_filter(x, r, sr, w, centres)
        resolved = ((w * q[centres] >= settings.min_points_per_fwhm * spacing[centres])
                    & (x[centres] - x[0] >= w) & (x[-1] - x[centres] >= w))
        z = np.where(resolved, z, -np.inf)
        for k in range(1, centres.size - 1):
            if z[k] >= settings.candidate_z and z[k] >= z[k - 1] and z[k] >= z[k + 1]:
                found.append(Candidate(int(centres[k]), w, float(z[k]), float(amp[k])))
    found.sort(key=lambda c: -c.z)
    chosen: list[Candidate] = []
    for c in found:
        if all(abs(x[c.index] - x[o.index]) > 0.6 * max(c.rel_fwhm, o.rel_fwhm) for o in chosen):
            chosen.append(c)
        if len(chosen) >= settings.max_candidates:
            break
    chosen.sort(key=lambda c: c.index)
    return chosen


def _centre_grid(x, step: float) -> np.ndarray:
    """Indices of points at least ``step`` apart in x (every point where sampling is coarser):
    eight trial centres per FWHM are enough for a matched filter and save most of its cost
    where a wide trial width covers hundreds of points."""
    chosen = [0]
    for i in range(1, x.size):
        if x[i] - x[chosen[-1]] >= step:
            chosen.append(i)
    return np.array(chosen, dtype=np.intp)


def _matched_filter(x, r, sr, rel_fwhm: float, centres, *, block: int = 256):
    """z score and amplitude of a Gaussian of fixed width centred on each of ``centres`` (indices).

    At each point i, weighted linear least squares over ``|x - x_i| <= 2.5 rel_fwhm`` of
    ``a g + b0 + b1 dx + b2 dx^2`` (``g`` the Gaussian in ``dx = x - x_i``, unit height);
    ``z = a / std(a)`` with std scaled by ``sqrt(max(1, reduced chi2))``. Windows are padded
    to a common length with zero weights and solved in blocks (batched 4 x 4 normal equations).
    Positions with fewer than 8 points in the window get ``z = -inf``.
    """
    n = x.size
    m = centres.size
    sx = rel_fwhm / FWHM_PER_SIGMA
    lo_all, hi_all = window_bounds(x, 2.5 * rel_fwhm)
    lo, hi = lo_all[centres], hi_all[centres]
    z = np.full(m, -np.inf)
    amp = np.zeros(m)
    width = int(np.max(hi - lo))
    offsets = np.arange(width)
    for start in range(0, m, block):
        rows = np.arange(start, min(m, start + block))
        idx = lo[rows, None] + offsets[None, :]
        inside = idx < hi[rows, None]
        idx = np.minimum(idx, n - 1)
        wt = np.where(inside, 1.0 / sr[idx], 0.0)
        dx = x[idx] - x[centres[rows], None]
        design = np.stack([np.exp(-0.5 * (dx / sx) ** 2), np.ones_like(dx), dx, dx * dx], axis=-1) * wt[..., None]
        rhs = r[idx] * wt
        normal = np.matmul(design.transpose(0, 2, 1), design)
        proj = np.matmul(design.transpose(0, 2, 1), rhs[..., None])[..., 0]
        npts = np.sum(inside, axis=1)
        ok = npts >= 8
        normal[~ok] = np.eye(4)
        with np.errstate(all="ignore"):
            cov = np.linalg.pinv(normal, hermitian=True)
            coef = np.matmul(cov, proj[..., None])[..., 0]
            # chi2 of the least-squares solution: |rhs|^2 - coef . (A^T rhs)
            chi2 = np.maximum(np.sum(rhs * rhs, axis=1) - np.sum(coef * proj, axis=1), 0.0)
            redchi = chi2 / np.maximum(npts - 4, 1)
            var = cov[:, 0, 0] * np.maximum(1.0, redchi)
            zz = coef[:, 0] / np.sqrt(var)
        good = ok & np.isfinite(zz) & (var > 0)
        z[rows[good]] = zz[good]
        amp[rows[good]] = coef[good, 0]
    return z, amp
