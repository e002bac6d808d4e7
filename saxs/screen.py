"""Frame screening and averaging: drop frames that differ from the others, average the rest.

Flow-cell frames suffer from bubbles (less liquid in the beam, interface scattering at low q),
beam instabilities and radiation damage. Each frame is compared with the *median of the other
frames* by a reduced chi-square,

    chi2_i = 1/n sum_k (I_ik - M_k^(-i))^2 / (sigma_ik^2 + var(M_k^(-i))),

with ``M^(-i)`` the point-wise median of all frames but ``i`` and ``var(M)`` the variance of a
median of m normal values, (pi/2) mean(sigma^2)/m for m >= 3 (the mean's variance for m <= 2).

Why a chi-square to the median rather than CorMap (Franke et al., Nat. Methods 12 (2015) 419):
CorMap only looks at the signs of the differences, so it needs no uncertainties; but our
reduction gives Poisson-propagated uncertainties per point, so the chi-square uses the size of
the differences as well and is the more sensitive test for a uniform few-percent drop (a bubble
that removes liquid from the beam). The leave-one-out median is not pulled by the outlier it is
judging (with three or more frames), and one pass over the frames costs O(n^2 q) at most.
If the uncertainties are underestimated for every frame alike (an error model that does not match
the data), the whole series has chi2 > 1; the threshold is therefore scaled by
``max(1, median_i chi2_i)`` so only frames that stand out from the series are dropped.

A frame is dropped when ``chi2_i > scale * chi2.isf(alpha / n_frames, n) / n`` (Bonferroni over
frames; ``alpha = 1e-3`` by default, so a clean series of 10 frames drops a frame in about 1 in
1000 series), or, when per-frame transmissions are given, when its transmission differs from the
series median by more than ``transmission_rtol``.

The average of the kept frames is their plain mean (an inverse-variance weighted mean is biased
for Poisson data). Its uncertainty is Poisson-propagated, sqrt(sum sigma_i^2)/n, or with
``error_model="max"`` the larger of that and the standard error of the frame-to-frame scatter,
point by point (never the scatter of a handful of frames alone; see DESIGN.md).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats

from .average import average_profiles
from .errors import InputError
from .profile import Profile1D

log = logging.getLogger(__name__)

ERROR_MODELS = ("poisson", "max")


@dataclass(frozen=True)
class ScreenResult:
    """Outcome of :func:`screen_frames`.

    Attributes
    ----------
    keep : tuple of bool, length n_frames
        True for the frames averaged.
    reasons : Mapping[int, str]
        Why each dropped frame (by index) was dropped.
    average : Profile1D
        Mean of the kept frames with propagated uncertainty; its provenance carries the screening.
    chi2_red : tuple of float, length n_frames
        Reduced chi-square of each frame against the median of the others (NaN if < 2 frames).
    threshold : float
        The reduced chi-square above which a frame was dropped (after scaling).
    scale : float
        ``max(1, median chi2_red)``: how much the series' uncertainties look underestimated.
    method : str
        ``"chi2-to-median"``.
    error_model : str
        ``"poisson"`` or ``"max"``.
    warnings : tuple of str
        Anything odd (e.g. more than half the frames flagged, two frames that disagree).
    labels : tuple of str, length n_frames
        Which frame each index is (``file.h5#frame_index`` from the provenance), for reports.
    """

    keep: tuple[bool, ...]
    reasons: Mapping[int, str]
    average: Profile1D
    chi2_red: tuple[float, ...]
    threshold: float
    scale: float
    method: str = "chi2-to-median"
    error_model: str = "poisson"
    warnings: tuple[str, ...] = field(default_factory=tuple)
    labels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_frames(self) -> int:
        """Number of frames screened."""
        return len(self.keep)

    @property
    def n_used(self) -> int:
        """Number of frames averaged."""
        return int(sum(self.keep))

    @property
    def used(self) -> tuple[int, ...]:
        """Indices of the frames averaged."""
        return tuple(i for i, k in enumerate(self.keep) if k)

    @property
    def dropped(self) -> tuple[int, ...]:
        """Indices of the frames dropped."""
        return tuple(i for i, k in enumerate(self.keep) if not k)

    def summary(self) -> dict[str, Any]:
        """Plain mapping for provenance and JSON."""
        return _summary(self.keep, self.reasons, self.chi2_red, self.threshold, self.scale,
                        self.method, self.error_model, self.warnings, self.labels)


def _summary(keep, reasons, chi2_red, threshold, scale, method, error_model, notes, labels) -> dict[str, Any]:
    return {
        "frames": list(labels),
        "method": method,
        "error_model": error_model,
        "n_frames": len(keep),
        "frames_used": [i for i, k in enumerate(keep) if k],
        "frames_dropped": {str(i): r for i, r in sorted(reasons.items())},
        "chi2_red": [float(c) for c in chi2_red],
        "threshold": float(threshold),
        "scale": float(scale),
        "warnings": list(notes),
    }


def _label(profile: Profile1D, index: int) -> str:
    """``path/file.h5#frame_index`` of a frame (its position ``index`` when the provenance does not say)."""
    prov = profile.provenance
    frame = prov.get("frame_index", index)
    for key in ("reduced_file", "input_file", "source_file", "file"):
        if isinstance(prov.get(key), str):
            return f"{prov[key]}#{frame}"
    return f"frame {index}"


def _stack(frames: Sequence[Profile1D]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = frames[0].q_nm
    for i, f in enumerate(frames[1:], start=1):
        if f.q_nm.shape != q.shape or not np.allclose(f.q_nm, q, rtol=1e-6, atol=0.0):
            raise InputError(_label(f, i), "q_nm", f"the q grid of frame 0 ({q.size} points, "
                             f"{q[0]:.4g}-{q[-1]:.4g} 1/nm)", got=f"{f.q_nm.size} points")
        if f.intensity_unit != frames[0].intensity_unit:
            raise InputError(_label(f, i), "intensity_unit", frames[0].intensity_unit, got=f.intensity_unit)
    intensity = np.stack([f.intensity for f in frames])
    sigma = np.stack([f.sigma for f in frames])
    return q, intensity, sigma


def _median_variance_factor(m: int) -> float:
    """Variance of the median of m normal values in units of sigma^2/m (pi/2 asymptotically)."""
    return 1.0 if m <= 2 else math.pi / 2.0


def chi2_to_median(intensity: np.ndarray, sigma: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Reduced chi-square of each frame against the point-wise median of the other frames.

    Parameters
    ----------
    intensity, sigma : ndarray, shape (n_frames, n_q)
        Frame intensities and their standard uncertainties.
    usable : ndarray of bool, shape (n_q,)
        Points compared (finite everywhere, sigma > 0).

    Returns
    -------
    ndarray, shape (n_frames,)
        Reduced chi-square (NaN with fewer than 2 frames or no usable point).
    """
    n = intensity.shape[0]
    out = np.full(n, np.nan)
    if n < 2 or not np.any(usable):
        return out
    I = intensity[:, usable]
    v = sigma[:, usable] ** 2
    for i in range(n):
        others = np.delete(np.arange(n), i)
        ref = np.median(I[others], axis=0)
        var_ref = _median_variance_factor(others.size) * v[others].mean(axis=0) / others.size
        out[i] = float(np.mean((I[i] - ref) ** 2 / (v[i] + var_ref)))
    return out


def average_frames(frames: Sequence[Profile1D], *, error_model: str = "poisson") -> Profile1D:
    """Plain mean of frames (same q grid) with the uncertainty of ``error_model``.

    Parameters
    ----------
    frames : sequence of Profile1D
        At least one frame.
    error_model : {"poisson", "max"}
        ``"poisson"``: sqrt(sum sigma_i^2)/n. ``"max"``: point-wise the larger of that and the
        standard error of the frames' scatter (only with >= 2 frames).

    Returns
    -------
    Profile1D
        The mean (computed by :func:`saxs.average.average_profiles`); the first frame's sample
        and provenance, with the monitors ``i0``/``i1``/``exposure_s`` averaged over the frames,
        ``frames_averaged`` (their frame indices) and ``averaged_frames`` (their number).
    """
    if error_model not in ERROR_MODELS:
        raise InputError(None, "error_model", f"one of {ERROR_MODELS}", got=error_model)
    if len(frames) == 0:
        raise InputError(None, "frames", "at least one frame to average", got=0)
    _stack(frames)  # same q grid and unit, or an InputError naming the frame
    prov = dict(frames[0].provenance)
    for key in ("i0", "i1", "exposure_s"):
        values = [f.provenance.get(key) for f in frames]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            prov[key] = float(np.mean(values))  # monitors of the average: the kept frames' mean
    prov["frame_index"] = "average"
    prov["frames_averaged"] = [f.provenance.get("frame_index", k) for k, f in enumerate(frames)]
    return average_profiles(frames, uncertainty=error_model, provenance=prov)


def screen_frames(
    frames: Sequence[Profile1D],
    *,
    alpha: float = 1e-3,
    q_range_nm: tuple[float, float] | None = None,
    transmissions: Sequence[float] | None = None,
    transmission_rtol: float = 0.02,
    error_model: str = "poisson",
) -> ScreenResult:
    """Compare every frame with the others, drop outliers with a reason, average the rest.

    Parameters
    ----------
    frames : sequence of Profile1D, length n_frames
        Per-frame curves on one q grid (as the reduction writes them).
    alpha : float, optional
        False-alarm probability per series (Bonferroni-split over the frames) of the chi-square test.
    q_range_nm : (float, float), optional
        Compare only points in this q range, 1/nm (default: all).
    transmissions : sequence of float, length n_frames, optional
        Per-frame transmissions (or I1/I0 ratios; only their spread matters). A frame further than
        ``transmission_rtol`` from the median is dropped (a bubble changes the transmission).
    transmission_rtol : float, optional
        Relative tolerance of the transmission test (default 2 %).
    error_model : {"poisson", "max"}
        Uncertainty of the average (see :func:`average_frames`).

    Returns
    -------
    ScreenResult
        Keep mask, reasons, the average and the statistics.

    Raises
    ------
    InputError
        No frames, frames on different q grids, or bad options.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> q = np.linspace(0.1, 5, 200)
    >>> frames = [Profile1D(q, 100 + rng.normal(0, 1, q.size), np.ones(q.size)) for _ in range(5)]
    >>> screen_frames(frames).n_used
    5
    """
    if not 0.0 < alpha < 1.0:
        raise InputError(None, "alpha", "a probability between 0 and 1", got=alpha)
    if error_model not in ERROR_MODELS:
        raise InputError(None, "error_model", f"one of {ERROR_MODELS}", got=error_model)
    frames = list(frames)
    if not frames:
        raise InputError(None, "frames", "at least one frame to screen", got=0)
    q, I, S = _stack(frames)
    n = len(frames)
    usable = np.all(np.isfinite(I), axis=0) & np.all(np.isfinite(S) & (S > 0), axis=0)
    if q_range_nm is not None:
        lo, hi = q_range_nm
        usable &= (q >= lo) & (q <= hi)
    n_pts = int(usable.sum())
    chi2 = chi2_to_median(I, S, usable)
    notes: list[str] = []
    reasons: dict[int, str] = {}
    scale = 1.0
    threshold = math.inf
    if n >= 3 and n_pts > 0:
        scale = max(1.0, float(np.median(chi2)))
        unscaled = float(stats.chi2.isf(alpha / n, n_pts)) / n_pts
        threshold = scale * unscaled
        if scale > unscaled:
            notes.append(f"the frames differ more than their uncertainties allow (median chi2/dof = {scale:.3g}): "
                         "the series changes with time, or the uncertainties are underestimated")
        for i in range(n):
            if chi2[i] > threshold:
                others = np.delete(np.arange(n), i)
                ref = np.median(I[others][:, usable], axis=0)
                rel = float(np.sum(I[i, usable] - ref) / np.sum(np.abs(ref))) if np.any(ref) else float("nan")
                reasons[i] = (f"chi2/dof = {chi2[i]:.3g} against the median of the other frames exceeds "
                              f"{threshold:.3g} (p < {alpha:g}/{n}); mean difference {100 * rel:+.2f} %")
    elif n == 2 and n_pts > 0:
        limit = float(stats.chi2.isf(alpha, n_pts)) / n_pts
        if chi2[0] > limit:
            notes.append(f"the two frames disagree (chi2/dof = {chi2[0]:.3g} > {limit:.3g}) but two frames "
                         "cannot tell which is the outlier: both kept")
    # How far each frame is beyond its limits (> 1: flagged), to rank frames if most are flagged.
    badness = np.nan_to_num(chi2 / threshold, nan=0.0) if math.isfinite(threshold) else np.zeros(n)
    if transmissions is not None:
        t = np.asarray(transmissions, dtype=np.float64)
        if t.shape != (n,):
            raise InputError(None, "transmissions", f"one transmission per frame ({n})", got=t.shape)
        if n >= 3:
            t_med = float(np.median(t))
            for i in range(n):
                dev = t[i] / t_med - 1.0
                badness[i] = max(badness[i], abs(dev) / transmission_rtol)
                if abs(dev) > transmission_rtol:
                    text = (f"transmission (I1/I0) {t[i]:.4g} differs from the series median {t_med:.4g} by "
                            f"{100 * dev:+.1f} % (tolerance {100 * transmission_rtol:g} %)")
                    reasons[i] = f"{reasons[i]}; {text}" if i in reasons else text
    keep = [i not in reasons for i in range(n)]
    n_keep_min = (n + 1) // 2
    if sum(keep) < n_keep_min:
        # The "outliers" are the majority: the series itself changes (drift, damage). Keep the
        # most consistent half rather than an arbitrary minority, and say so.
        order = np.argsort(badness, kind="stable")
        keep = [False] * n
        for i in order[:n_keep_min]:
            keep[int(i)] = True
        reasons = {i: r for i, r in reasons.items() if not keep[i]}
        notes.append(f"more than half of the {n} frames were flagged: the series changes with time; "
                     f"kept the {n_keep_min} most consistent frames")
    for i, r in sorted(reasons.items()):
        log.info("dropped %s: %s", _label(frames[i], i), r)
    kept = [f for f, k in zip(frames, keep) if k]
    chi2_t = tuple(float(c) for c in chi2)
    labels = tuple(_label(f, i) for i, f in enumerate(frames))
    summary = _summary(keep, reasons, chi2_t, threshold, scale, "chi2-to-median", error_model, notes, labels)
    average = average_frames(kept, error_model=error_model).replace(provenance={"screening": summary})
    return ScreenResult(
        keep=tuple(keep), reasons=MappingProxyType(dict(sorted(reasons.items()))), average=average,
        chi2_red=chi2_t, threshold=float(threshold), scale=float(scale), error_model=error_model,
        warnings=tuple(notes), labels=labels,
    )


__all__ = ["ScreenResult", "screen_frames", "average_frames", "chi2_to_median", "ERROR_MODELS"]
