"""Split the averaged volume histogram into populations (modes) standing above the observability limit.

Method: bins whose mean volume fraction exceeds their observability limit are "significant"; runs of
significant bins, bridged over gaps of at most ``max_gap`` bins, form candidate windows. A window is
split at a valley where the (lightly smoothed) histogram falls below ``valley_ratio`` times the lower
of the two peaks beside it. Windows holding less than ``min_fraction`` of the total volume fraction
are dropped. Each population's statistics are computed per repetition from the contributions inside
its radius window, then reported as mean +- standard deviation over repetitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .histogram import Histogram


@dataclass(frozen=True)
class Population:
    """One mode of the size distribution (volume-weighted statistics within its window).

    Attributes
    ----------
    window_nm : (float, float)
        Radius window (histogram bin edges) the statistics are taken over.
    mean_nm, mean_nm_std : float
        Volume-weighted mean radius and its spread over repetitions.
    width_nm, width_nm_std : float
        Volume-weighted standard deviation of the radius (the width) and its spread.
    volume_fraction, volume_fraction_std : float
        Volume fraction inside the window (absolute or relative, as the fit's) and its spread.
    number_mean_nm, number_mean_nm_std : float
        Number-weighted mean radius and its spread.
    """

    window_nm: tuple[float, float]
    mean_nm: float
    mean_nm_std: float
    width_nm: float
    width_nm_std: float
    volume_fraction: float
    volume_fraction_std: float
    number_mean_nm: float
    number_mean_nm_std: float


def _runs(mask: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """[start, stop) index runs of True, bridging gaps of at most ``max_gap`` False values."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    runs = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i - prev - 1 > max_gap:
            runs.append((start, prev + 1))
            start = i
        prev = i
    runs.append((start, prev + 1))
    return runs


def _split_at_valleys(values: np.ndarray, start: int, stop: int, valley_ratio: float) -> list[tuple[int, int]]:
    """Split [start, stop) at the deepest valley below valley_ratio x the lower neighbouring peak, recursively."""
    seg = values[start:stop]
    if seg.size < 3:
        return [(start, stop)]
    best, best_depth = None, valley_ratio
    for k in range(1, seg.size - 1):
        left, right = seg[:k].max(), seg[k + 1:].max()
        lower = min(left, right)
        if lower <= 0:
            continue
        depth = seg[k] / lower
        if depth < best_depth:
            best, best_depth = k, depth
    if best is None:
        return [(start, stop)]
    return (_split_at_valleys(values, start, start + best, valley_ratio)
            + _split_at_valleys(values, start + best + 1, stop, valley_ratio))


def find_populations(hist: Histogram, radii_nm: np.ndarray, phi_per_contribution: np.ndarray, *,
                     max_gap: int = 2, valley_ratio: float = 0.5, min_fraction: float = 0.02) -> tuple[Population, ...]:
    """Populations of the averaged volume histogram, ordered by radius.

    Parameters
    ----------
    hist : Histogram
    radii_nm : ndarray, shape (n_rep, n_contributions)
    phi_per_contribution : ndarray, shape (n_rep,)
    max_gap : int
        Runs of significant bins separated by at most this many bins belong together.
    valley_ratio : float
        Split a run where the smoothed histogram falls below this fraction of the lower peak beside it.
    min_fraction : float
        Drop windows with less than this fraction of the total volume fraction.
    """
    significant = hist.volume > hist.volume_observability
    smooth = np.convolve(np.pad(hist.volume, 1, mode="edge"), np.array([0.25, 0.5, 0.25]), mode="valid")
    windows = []
    for start, stop in _runs(significant, max_gap):
        windows.extend(_split_at_valleys(np.where(significant, smooth, 0.0), start, stop, valley_ratio))
    total = hist.volume.sum()
    edges = hist.edges_nm
    out = []
    for start, stop in windows:
        if total <= 0 or hist.volume[start:stop].sum() < min_fraction * total:
            continue
        lo, hi = float(edges[start]), float(edges[stop])
        out.append(_population(radii_nm, phi_per_contribution, lo, hi))
    return tuple(out)


def _population(radii_nm, phi_per_contribution, lo, hi) -> Population:
    n_rep = radii_nm.shape[0]
    stats = np.full((n_rep, 4), np.nan)  # mean, width, volume fraction, number mean
    for j in range(n_rep):
        r = radii_nm[j]
        rr = r[(r >= lo) & (r < hi)]
        phi = float(phi_per_contribution[j])
        stats[j, 2] = phi * rr.size
        if rr.size:
            stats[j, 0] = rr.mean()
            stats[j, 1] = rr.std()
            nw = 1.0 / rr**3
            stats[j, 3] = np.sum(nw * rr) / nw.sum()
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(stats, axis=0)
        std = np.nanstd(stats, axis=0, ddof=1) if n_rep > 1 else np.zeros(4)
    return Population((lo, hi), float(mean[0]), float(std[0]), float(mean[1]), float(std[1]),
                      float(mean[2]), float(std[2]), float(mean[3]), float(std[3]))


__all__ = ["Population", "find_populations"]
