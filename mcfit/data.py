"""Validation and preparation of the curve before a fit: clipping, log re-binning, minimum uncertainty.

Errors are :class:`FitInputError` (a ``ValueError``) naming the parameter; situations a user may
insist on (a radius range reaching beyond what the q range observes) give a :class:`FitWarning`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

#: The fewest points a fit accepts: two linear parameters (scale, background) plus at least two
#: degrees of freedom for the size distribution to be constrained at all.
MIN_POINTS = 4


class FitInputError(ValueError):
    """Bad input to :func:`mcfit.fit`; ``parameter`` names the argument that is wrong.

    Examples
    --------
    >>> str(FitInputError("sigma", "must be positive; got 3 values <= 0"))
    'the parameter `sigma` must be positive; got 3 values <= 0'
    """

    def __init__(self, parameter: str, problem: str):
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"the parameter `{parameter}` {problem}")


class FitWarning(UserWarning):
    """A setting the fit accepts but that is probably not what the user wants."""


@dataclass(frozen=True)
class PreparedData:
    """The curve as fitted: q (1/nm), intensity and sigma (same unit), each shape (n,), read-only.

    ``sigma`` is the uncertainty the fit runs with (floored at ``min_rel_sigma * |I|``);
    ``sigma_data`` the data's own (after clipping and re-binning, before the floor). ``n_input`` is
    the number of points given, before clipping and re-binning; ``q_span_nm`` the smallest positive and
    the largest q of the valid curve before clipping (the default radius range comes from it, so
    cutting the q range does not move it).
    """

    q_nm: np.ndarray
    intensity: np.ndarray
    sigma: np.ndarray
    n_input: int
    sigma_data: np.ndarray | None = None
    q_span_nm: tuple[float, float] | None = None


def _as_1d(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise FitInputError(name, f"must be an array of numbers; {error}") from None
    if array.ndim != 1:
        raise FitInputError(name, f"must be one-dimensional; got shape {array.shape}")
    return array


def validate_curve(q_nm, intensity, sigma, *, nan_policy: str = "raise"):
    """Check the curve and return it as three float64 arrays of shape (n,).

    ``nan_policy="omit"`` drops points where any of q, I, sigma is NaN or infinite (with a
    :class:`FitWarning` saying how many); ``"raise"`` (default) refuses them.

    Raises
    ------
    FitInputError
        Different lengths, non-finite values, ``sigma <= 0``, q negative or not strictly increasing,
        fewer than :data:`MIN_POINTS` points.
    """
    q = _as_1d("q_nm", q_nm)
    i = _as_1d("intensity", intensity)
    s = _as_1d("sigma", sigma)
    if not (q.shape == i.shape == s.shape):
        raise FitInputError("intensity", f"must have the length of `q_nm` ({q.size}); "
                                         f"got intensity {i.size}, sigma {s.size}")
    if nan_policy not in ("raise", "omit"):
        raise FitInputError("nan_policy", f"must be 'raise' or 'omit'; got {nan_policy!r}")
    if nan_policy == "omit":
        finite = np.isfinite(q) & np.isfinite(i) & np.isfinite(s)
        if not finite.all():
            warnings.warn(f"omitted {np.count_nonzero(~finite)} points with NaN or infinite values "
                          "(nan_policy='omit')", FitWarning, stacklevel=3)
            q, i, s = q[finite], i[finite], s[finite]
    for name, array in (("q_nm", q), ("intensity", i), ("sigma", s)):
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise FitInputError(name, f"must be finite; got {bad} NaN or infinite values")
    bad = int(np.count_nonzero(s <= 0))
    if bad:
        raise FitInputError("sigma", f"must be positive; got {bad} values <= 0")
    bad = int(np.count_nonzero(q < 0))
    if bad:
        raise FitInputError("q_nm", f"must be >= 0; got {bad} negative values")
    bad = int(np.count_nonzero(np.diff(q) <= 0))
    if bad:
        raise FitInputError("q_nm", f"must be strictly increasing; got {bad} steps <= 0")
    if q.size < MIN_POINTS:
        raise FitInputError("q_nm", f"must have at least {MIN_POINTS} points; got {q.size}")
    return q, i, s


def log_rebin(q_nm, intensity, sigma, n_bins: int):
    """Re-bin onto ``n_bins`` logarithmically spaced q intervals between the first and last q.

    Per bin: q is the plain mean; I the inverse-variance weighted mean; sigma the larger of the
    propagated ``1/sqrt(sum 1/sigma**2)`` and the standard error of the scatter of I within the bin
    (when it holds two points or more). Empty bins are dropped. Requires q > 0.
    """
    if q_nm[0] <= 0:
        raise FitInputError("q_bins", "needs q > 0 for logarithmic re-binning; clip q with `q_range_nm`")
    edges = np.geomspace(q_nm[0], q_nm[-1], n_bins + 1)
    index = np.clip(np.searchsorted(edges, q_nm, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    weight = 1.0 / sigma**2
    sum_w = np.bincount(index, weight, minlength=n_bins)
    keep = count > 0
    q_out = np.bincount(index, q_nm, minlength=n_bins)[keep] / count[keep]
    i_out = np.bincount(index, weight * intensity, minlength=n_bins)[keep] / sum_w[keep]
    sigma_prop = 1.0 / np.sqrt(sum_w[keep])
    dev2 = _scatter2(index, intensity, count, keep, n_bins)
    n = count[keep]
    sem = np.where(n > 1, np.sqrt(dev2 / np.maximum(n - 1, 1) / n), 0.0)
    return q_out, i_out, np.maximum(sigma_prop, sem)


def _scatter2(index, intensity, count, keep, n_bins):
    """Sum of squared deviations from the plain bin mean, per kept bin."""
    mean = np.bincount(index, intensity, minlength=n_bins) / np.maximum(count, 1)
    return np.bincount(index, (intensity - mean[index]) ** 2, minlength=n_bins)[keep]


def prepare(q_nm, intensity, sigma, *, q_range_nm=None, q_bins: int = 0, min_rel_sigma: float = 0.01,
            nan_policy: str = "raise") -> PreparedData:
    """Validate, clip to ``q_range_nm``, re-bin (``q_bins > 0``) and floor sigma at ``min_rel_sigma * |I|``.

    Parameters
    ----------
    q_nm, intensity, sigma : array_like, shape (n,)
        The curve; q in 1/nm, strictly increasing; sigma > 0 in the unit of the intensity.
    q_range_nm : (float, float), optional
        Keep ``q_min <= q <= q_max`` only.
    q_bins : int
        Number of logarithmic q bins (0: no re-binning).
    min_rel_sigma : float
        Minimum relative uncertainty, applied last (0 disables it).
    nan_policy : {"raise", "omit"}
        What to do with non-finite values (see :func:`validate_curve`).

    Returns
    -------
    PreparedData
    """
    n_input = int(np.size(q_nm))
    q, i, s = validate_curve(q_nm, intensity, sigma, nan_policy=nan_policy)
    q_pos = q[q > 0]
    q_span = (float(q_pos[0]), float(q_pos[-1])) if q_pos.size else None
    if q_range_nm is not None:
        lo, hi = (float(v) for v in q_range_nm)
        if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
            raise FitInputError("q_range_nm", f"must be (min, max) with max > min; got ({lo}, {hi})")
        keep = (q >= lo) & (q <= hi)
        if np.count_nonzero(keep) < MIN_POINTS:
            raise FitInputError("q_range_nm", f"keeps {np.count_nonzero(keep)} points of {n_input} "
                                              f"(data cover {q[0]:.4g} to {q[-1]:.4g} 1/nm); need {MIN_POINTS}")
        q, i, s = q[keep], i[keep], s[keep]
    if int(q_bins) != q_bins or q_bins < 0:
        raise FitInputError("q_bins", f"must be an integer >= 0; got {q_bins}")
    if q_bins:
        q, i, s = log_rebin(q, i, s, int(q_bins))
        if q.size < MIN_POINTS:
            raise FitInputError("q_bins", f"leaves {q.size} non-empty bins; need {MIN_POINTS}")
    if not (np.isfinite(min_rel_sigma) and min_rel_sigma >= 0):
        raise FitInputError("min_rel_sigma", f"must be a number >= 0; got {min_rel_sigma}")
    own = np.array(s, dtype=np.float64)
    s = np.maximum(s, min_rel_sigma * np.abs(i))
    for a in (q, i, s, own):
        a.setflags(write=False)
    return PreparedData(q, i, s, n_input, own, q_span)


def radius_limits(q_nm: np.ndarray, radius_range_nm=None, *, q_span_nm=None) -> tuple[float, float]:
    """The radius range of the contributions, nm: given, or ``pi/q_max .. pi/q_min`` by default.

    ``q_span_nm`` (q_min, q_max), when given, sets the default instead of ``q_nm``: the whole curve's
    span, so that clipping the q range does not silently shrink the radius range (round robin 1 cut
    to q >= 0.25 1/nm would otherwise lose its 29 nm population: radii up to pi/0.25 = 12.6 nm).

    A range entirely outside ``[pi/q_max, pi/q_min]`` cannot be observed and raises; a range
    reaching beyond it gives a :class:`FitWarning` (a user may insist: the edges still contribute).
    """
    q_pos = q_nm[q_nm > 0]
    observable = (np.pi / q_pos[-1], np.pi / q_pos[0])
    if radius_range_nm is None:
        if q_span_nm is not None:
            return float(np.pi / q_span_nm[1]), float(np.pi / q_span_nm[0])
        return float(observable[0]), float(observable[1])
    lo, hi = (float(v) for v in radius_range_nm)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise FitInputError("radius_range_nm", f"must be (min, max) with 0 < min < max; got ({lo}, {hi})")
    if hi < observable[0] or lo > observable[1]:
        raise FitInputError("radius_range_nm", f"({lo:.4g}, {hi:.4g}) nm lies outside what the q range "
                                               f"observes ({observable[0]:.4g} to {observable[1]:.4g} nm, pi/q_max to pi/q_min)")
    if lo < observable[0] / 2 or hi > observable[1] * 2:
        warnings.warn(f"radius range ({lo:.4g}, {hi:.4g}) nm reaches beyond what the q range observes "
                      f"({observable[0]:.4g} to {observable[1]:.4g} nm, pi/q_max to pi/q_min); "
                      "sizes outside it are poorly determined", FitWarning, stacklevel=3)
    return lo, hi
