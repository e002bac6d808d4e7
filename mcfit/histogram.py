"""Histograms, observability limits and per-range statistics from the repetitions' contributions.

Weights: every contribution of repetition j carries the volume fraction ``phi_j = scale_j / K``
(``K = contrast**2 * 0.1`` for absolute units with V in nm^3, else 1: relative units). Volume
weighting uses ``phi``; number weighting uses ``phi / V`` (number density, 1/nm^3 in absolute units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from .models import sphere_volume_nm3


@dataclass(frozen=True)
class Histogram:
    """Averaged size histograms over repetitions; arrays of shape (n_bins,) except the edges (n_bins + 1,).

    ``volume``/``number`` hold the mean over repetitions of the summed weights per bin, ``*_std``
    their standard deviation (ddof=1), ``*_observability`` the observability limit per bin: the
    smallest volume fraction (number density) that contributions of that size could show given the
    data uncertainties, averaged over the contributions that fell in the bin (computed at the bin
    centre where none did).
    """

    edges_nm: np.ndarray
    scale: str
    volume: np.ndarray
    volume_std: np.ndarray
    volume_observability: np.ndarray
    number: np.ndarray
    number_std: np.ndarray
    number_observability: np.ndarray

    @property
    def centers_nm(self) -> np.ndarray:
        """Bin centres (geometric for log bins), nm."""
        e = self.edges_nm
        return np.sqrt(e[:-1] * e[1:]) if self.scale == "log" else 0.5 * (e[:-1] + e[1:])


@dataclass(frozen=True)
class Moments:
    """Weighted moments of the radius within a range: mean +- std over repetitions, etc."""

    mean_nm: float
    mean_nm_std: float
    variance_nm2: float
    variance_nm2_std: float
    skewness: float
    skewness_std: float
    kurtosis: float
    kurtosis_std: float


@dataclass(frozen=True)
class RangeStatistics:
    """Statistics of the contributions with radius in ``range_nm`` (lo <= R < hi).

    ``kurtosis`` is the excess kurtosis (0 for a Gaussian). Spreads are standard deviations over
    repetitions (ddof=1).
    """

    range_nm: tuple[float, float]
    volume_fraction: float
    volume_fraction_std: float
    volume_weighted: Moments
    number_weighted: Moments


def observability(q_nm, sigma, radius_nm, factor: float) -> np.ndarray:
    """Smallest volume fraction at which a sphere of each radius reaches sigma at some q.

    ``min_q sigma(q) / (K V(R) F(qR)**2)`` for each radius, K = ``factor``; shape of ``radius_nm``.
    (The numba kernel :func:`mcfit.kernels.observability`; its twin is in :mod:`mcfit.reference`.)
    """
    radius = np.asarray(radius_nm, dtype=np.float64)
    flat = np.ascontiguousarray(radius.reshape(-1))
    return kernels.observability(np.ascontiguousarray(q_nm), np.ascontiguousarray(sigma), flat,
                                 float(factor)).reshape(radius.shape)


def bin_edges(radius_range_nm, n_bins: int, scale: str) -> np.ndarray:
    """Histogram bin edges over the radius range, linear or logarithmic."""
    lo, hi = radius_range_nm
    if scale == "log":
        return np.geomspace(lo, hi, n_bins + 1)
    return np.linspace(lo, hi, n_bins + 1)


def _std(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] < 2:
        return np.zeros(values.shape[1:]) if values.ndim > 1 else np.float64(0.0)
    return np.std(values, axis=0, ddof=1)


def histogram(radii_nm, phi_per_contribution, edges_nm, scale, q_nm, sigma, factor) -> Histogram:
    """Volume- and number-weighted histograms averaged over repetitions.

    Parameters
    ----------
    radii_nm : ndarray, shape (n_rep, n_contributions)
    phi_per_contribution : ndarray, shape (n_rep,)
        Volume fraction carried by each contribution of a repetition.
    edges_nm : ndarray, shape (n_bins + 1,)
    q_nm, sigma : ndarray, shape (n_q,)
        The fitted data (for the observability limit).
    factor : float
        K in ``I = phi K V F**2`` (V in nm^3).
    """
    n_rep, n_c = radii_nm.shape
    n_bins = edges_nm.size - 1
    index = np.searchsorted(edges_nm, radii_nm, side="right") - 1
    index = np.clip(index, 0, n_bins - 1)  # the top edge belongs to the last bin
    volume_nm3 = sphere_volume_nm3(radii_nm)
    phi = np.broadcast_to(np.asarray(phi_per_contribution)[:, None], radii_nm.shape)
    vol = np.stack([np.bincount(index[j], phi[j], minlength=n_bins) for j in range(n_rep)])
    num = np.stack([np.bincount(index[j], phi[j] / volume_nm3[j], minlength=n_bins) for j in range(n_rep)])
    obs = observability(q_nm, sigma, radii_nm, factor)
    count = np.bincount(index.ravel(), minlength=n_bins)
    obs_sum = np.bincount(index.ravel(), obs.ravel(), minlength=n_bins)
    obs_num_sum = np.bincount(index.ravel(), (obs / volume_nm3).ravel(), minlength=n_bins)
    centers = np.sqrt(edges_nm[:-1] * edges_nm[1:]) if scale == "log" else 0.5 * (edges_nm[:-1] + edges_nm[1:])
    obs_centre = observability(q_nm, sigma, centers, factor)
    with np.errstate(invalid="ignore", divide="ignore"):
        vol_obs = np.where(count > 0, obs_sum / np.maximum(count, 1), obs_centre)
        num_obs = np.where(count > 0, obs_num_sum / np.maximum(count, 1), obs_centre / sphere_volume_nm3(centers))
    arrays = [edges_nm, vol.mean(axis=0), _std(vol), vol_obs, num.mean(axis=0), _std(num), num_obs]
    for a in arrays:
        a.setflags(write=False)
    return Histogram(arrays[0], scale, *arrays[1:4], *arrays[4:])


def _moments(radius, weight):
    """Weighted mean, variance, skewness, excess kurtosis of radius; NaN when the weight is 0."""
    total = weight.sum()
    if total <= 0:
        return np.nan, np.nan, np.nan, np.nan
    mean = np.sum(weight * radius) / total
    d = radius - mean
    var = np.sum(weight * d**2) / total
    if var <= 0:
        return mean, 0.0, np.nan, np.nan
    skew = np.sum(weight * d**3) / total / var**1.5
    kurt = np.sum(weight * d**4) / total / var**2 - 3.0
    return mean, var, skew, kurt


def _summarise(per_rep: np.ndarray) -> Moments:
    """Mean and standard deviation (ddof=1) over repetitions, ignoring repetitions with no
    contribution in the range (NaN); NaN where fewer than one (mean) or two (std) remain."""
    finite = np.isfinite(per_rep)
    count = finite.sum(axis=0)
    filled = np.where(finite, per_rep, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, filled.sum(axis=0) / np.maximum(count, 1), np.nan)
        dev2 = np.where(finite, (per_rep - mean) ** 2, 0.0).sum(axis=0)
        std = np.where(count > 1, np.sqrt(dev2 / np.maximum(count - 1, 1)), np.nan)
    if per_rep.shape[0] == 1:
        std = np.zeros(4)
    return Moments(*(float(v) for pair in zip(mean, std) for v in pair))


def range_statistics(radii_nm, phi_per_contribution, range_nm) -> RangeStatistics:
    """Volume fraction and volume-/number-weighted moments within ``range_nm`` (lo <= R < hi)."""
    lo, hi = (float(v) for v in range_nm)
    n_rep = radii_nm.shape[0]
    vf = np.empty(n_rep)
    vw = np.empty((n_rep, 4))
    nw = np.empty((n_rep, 4))
    for j in range(n_rep):
        r = radii_nm[j]
        inside = (r >= lo) & (r < hi)
        rr = r[inside]
        phi = np.full(rr.size, float(phi_per_contribution[j]))
        vf[j] = phi.sum()
        vw[j] = _moments(rr, phi)
        nw[j] = _moments(rr, phi / sphere_volume_nm3(rr))
    return RangeStatistics((lo, hi), float(vf.mean()), float(_std(vf)), _summarise(vw), _summarise(nw))
