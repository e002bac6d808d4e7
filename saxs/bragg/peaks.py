"""Find sharp (Bragg) peaks on a curve I(q) above a smooth background and fit them with lmfit.

Method (two passes, so that the background is finally estimated without the peaks):

1. A smooth reference ``ref(q)``: a running median of ``ln I`` over a window of
   ``+-background_half_width`` in ``ln q`` (points under already accepted peaks left out),
   then a running mean over half that window. It follows power laws, Guinier knees, form-factor
   oscillations and correlation maxima (all broad: relative width dq/q of 0.3 or more) but not
   Bragg peaks (dq/q of a few per cent).
2. Candidates: a matched filter on ``I / ref``. At every point and for several trial relative
   widths, a weighted linear least-squares fit of a Gaussian of fixed centre and width plus a
   quadratic in ``ln q`` (closed form); its amplitude over its standard error is a z score.
   Local maxima of z above ``candidate_z`` are candidates (a liberal threshold: the fits decide).
3. Fits: each candidate (overlapping ones together) is fitted with lmfit over a window of
   +-2.5 FWHM: Gaussians (parametrised by area) + ``ref(q) * (c0 + c1 u + c2 u**2)`` with
   ``u = ln(q / q_mid)``. Uncertainties are lmfit's, scaled by ``sqrt(max(1, reduced chi2))``
   so that a poor fit (systematic residuals in real data) lowers the significance.
4. A fitted peak is accepted when its significance (area / area standard error) is at least
   ``min_significance``, its position is known to a quarter of its FWHM, its relative width
   FWHM / q is at most ``max_rel_fwhm`` (form-factor wiggles and correlation maxima are broader)
   and it spans at least ``min_points_per_fwhm`` sampling steps (single-point spikes are not peaks).
5. Oscillations: a peak whose FWHM is at least ``max_fwhm_per_spacing`` of the distance to the
   nearest other maximum of comparable area (>= 3 sigma, >= 1/10 of its area) is a form-factor
   lobe (narrow sphere distributions at high order have FWHM / q of only ~0.1, but the lobes fill
   half their period), not a Bragg peak.
6. Flanks: a Bragg peak adds intensity to a smooth curve; a form-factor lobe is one of a train of
   maxima and minima, and its minima fall *below* the smooth average. A peak with, on either
   flank, a significant dip of the data under the smooth reference (0.75-3 FWHM from its centre)
   or a significant rebound past its lowest point towards a next maximum (within 2.5 FWHM), of at
   least ``max_dip_per_height`` times the peak's own relative height, is an oscillation. The
   running median cannot follow the lobes of large spheres (period pi / R), so at high order a
   lobe can pass every other test; its flanks give it away even when the neighbouring maxima are
   too weak or too distorted to be fitted.

Step 1 (and the broad maxima) lives in :mod:`saxs.bragg.background`, step 2 in
:mod:`saxs.bragg.candidates`, steps 3 and 4 in :mod:`saxs.bragg.peak_fit`, steps 5 and 6 in
:mod:`saxs.bragg.lobes`, the settings and results in :mod:`saxs.bragg.peak_types`; this module
runs them (:func:`find_peaks`). Everything rejected is kept, with the reason, in
:attr:`PeakSearch.rejected`.

Broad maxima (correlation peaks, e.g. near 0.25 1/nm in precursor mixtures) are local maxima of
the final smooth reference that rise significantly above the dip next to them; they are reported
in :attr:`PeakSearch.broad_maxima`, never as peaks.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..profile import Profile1D
from .background import broad_maxima, smooth_reference
from .candidates import find_candidates
from .lobes import flanked_by_lobes, oscillating
from .peak_fit import MIN_FREE_POINTS, fit_candidates
from .peak_types import FWHM_PER_SIGMA, BroadMaximum, Peak, PeakSearch, PeakSettings, RejectedPeak

__all__ = ["find_peaks", "validate_profile", "PeakSettings", "Peak", "RejectedPeak", "BroadMaximum", "PeakSearch",
           "FWHM_PER_SIGMA", "MIN_FREE_POINTS"]


def validate_profile(profile: Profile1D, *, source=None) -> None:
    """Check that a curve can be searched for peaks; raise :class:`InputError` naming the problem.

    Requirements: at least 5 points, finite strictly increasing q, finite intensity, finite
    positive sigma.
    """
    file = source if source is not None else profile.provenance.get("input_file")
    q, i, s = profile.q_nm, profile.intensity, profile.sigma
    if q.size < 5:
        raise InputError(file, "q", "at least 5 points", got=int(q.size))
    if not np.all(np.isfinite(q)):
        raise InputError(file, "q", "finite values", got=f"{int(np.sum(~np.isfinite(q)))} non-finite values")
    steps = np.diff(q)
    if np.any(steps <= 0):
        first = int(np.argmax(steps <= 0))
        raise InputError(file, "q", "strictly increasing values",
                         got=f"q[{first + 1}] = {q[first + 1]:.6g} <= q[{first}] = {q[first]:.6g} "
                             f"({int(np.sum(steps <= 0))} non-increasing step(s))")
    if not np.all(np.isfinite(i)):
        raise InputError(file, "intensity", "finite values (no NaN or inf)",
                         got=f"{int(np.sum(~np.isfinite(i)))} non-finite values")
    bad = ~np.isfinite(s) | (s <= 0)
    if np.any(bad):
        raise InputError(file, "sigma", "positive finite uncertainties",
                         got=f"{int(np.sum(bad))} values <= 0 or non-finite")


def find_peaks(
    profile: Profile1D,
    *,
    settings: PeakSettings | None = None,
    q_range: tuple[float, float] | None = None,
    source=None,
) -> PeakSearch:
    """Find and fit the sharp peaks of a curve; report broad maxima apart.

    Parameters
    ----------
    profile : Profile1D
        The curve; q in 1/nm, strictly increasing; sigma > 0.
    settings : PeakSettings, optional
        Thresholds (defaults: 5 sigma, FWHM / q <= 0.15).
    q_range : (float, float), optional
        Only points with ``q_min <= q <= q_max`` (1/nm) are used. Points with q <= 0 are
        always left out (the background works in ln q).
    source : str, optional
        File name for error messages and the result (defaults to the profile's provenance).

    Returns
    -------
    PeakSearch
        Accepted peaks by increasing q, rejected candidates with reasons, broad maxima.

    Raises
    ------
    InputError
        Non-increasing q, non-finite values, sigma <= 0, an empty q range.

    Examples
    --------
    >>> import numpy as np
    >>> q = np.linspace(0.5, 5, 900)
    >>> i = 10 * q**-2 + 50 * np.exp(-0.5 * ((q - 2) / 0.02) ** 2)
    >>> found = find_peaks(Profile1D(q_nm=q, intensity=i, sigma=0.01 * i))
    >>> [round(p.q_nm, 3) for p in found.peaks]
    [2.0]
    """
    settings = PeakSettings() if settings is None else settings
    validate_profile(profile, source=source)
    file = source if source is not None else profile.provenance.get("input_file")
    q, inten, sig = profile.q_nm, profile.intensity, profile.sigma
    keep = q > 0
    if q_range is not None:
        q_min, q_max = (float(v) for v in q_range)
        if not (q_min < q_max):
            raise InputError(None, "--q-range", "MIN < MAX", got=f"{q_min} {q_max}")
        keep &= (q >= q_min) & (q <= q_max)
    if np.sum(keep) < 10:
        raise InputError(file, "q", "at least 10 points with q > 0 inside the q range", got=int(np.sum(keep)))
    q, inten, sig = q[keep], inten[keep], sig[keep]
    x = np.log(q)
    spacing = np.gradient(q)

    exclude = np.zeros(q.size, dtype=bool)
    accepted: list[Peak] = []
    rejected: list[RejectedPeak] = []
    ref = smooth_reference(x, inten, sig, settings.background_half_width, exclude)
    for _pass in range(2):
        candidates = find_candidates(x, q, inten, sig, ref, spacing, settings)
        accepted, rejected = fit_candidates(x, q, inten, sig, ref, spacing, candidates, settings)
        if not accepted:
            break
        new_exclude = np.zeros(q.size, dtype=bool)
        for p in accepted:
            new_exclude |= np.abs(q - p.q_nm) <= 1.5 * p.fwhm_nm
        if _pass == 1 or np.array_equal(new_exclude, exclude):
            break
        exclude = new_exclude
        ref = smooth_reference(x, inten, sig, settings.background_half_width, exclude)
    accepted, duplicates = _drop_duplicates(accepted)
    rejected = rejected + duplicates
    bumps = list(accepted) + [r.peak for r in rejected if r.peak.area > 0 and r.peak.significance >= 3.0]
    accepted, lobes = oscillating(accepted, bumps, settings.max_fwhm_per_spacing)
    rejected = rejected + [RejectedPeak(p, why) for p, why in lobes]
    accepted, lobes = flanked_by_lobes(accepted, q, inten, sig, ref, max_dip_per_height=settings.max_dip_per_height,
                                       dip_significance=settings.dip_significance)
    rejected = rejected + [RejectedPeak(p, why) for p, why in lobes]
    broad = broad_maxima(x, q, inten, sig, ref, exclude, settings)
    accepted.sort(key=lambda p: p.q_nm)
    return PeakSearch(
        peaks=tuple(accepted), rejected=tuple(rejected), broad_maxima=tuple(broad),
        q_nm=_readonly(q), background=_readonly(ref), settings=settings,
        source=None if file is None else str(file),
    )


def _drop_duplicates(accepted):
    """Keep the most significant of peaks whose centres lie within half a FWHM of each other
    (two candidates, e.g. of different trial widths, whose fits converged on the same peak)."""
    keep: list[Peak] = []
    dropped: list[RejectedPeak] = []
    for p in sorted(accepted, key=lambda p: -p.significance):
        twin = next((k for k in keep if abs(k.q_nm - p.q_nm) < 0.5 * max(k.fwhm_nm, p.fwhm_nm)), None)
        if twin is None:
            keep.append(p)
        else:
            dropped.append(RejectedPeak(p, f"duplicate of the peak at q = {twin.q_nm:.5g} 1/nm"))
    return keep, dropped


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a
