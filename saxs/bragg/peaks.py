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

Steps 5 and 6 live in :mod:`saxs.bragg.lobes`. Everything rejected is kept, with the reason, in :attr:`PeakSearch.rejected`.

Broad maxima (correlation peaks, e.g. near 0.25 1/nm in precursor mixtures) are local maxima of
the final smooth reference that rise significantly above the dip next to them; they are reported
in :attr:`PeakSearch.broad_maxima`, never as peaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
import numpy as np

from ..errors import InputError, ProcessingError
from .lobes import flanked_by_lobes, oscillating
from ..profile import Profile1D

#: Fewest degrees of freedom of a peak fit (points in its window minus parameters).
MIN_FREE_POINTS = 12

#: FWHM of a Gaussian in units of its standard deviation, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True)
class PeakSettings:
    """Options of :func:`find_peaks` (validated once, so an error names the option).

    Attributes
    ----------
    min_significance : float
        Smallest accepted area / standard error of the area (default 5).
    max_rel_fwhm : float
        Largest accepted FWHM / q of a Bragg peak (default 0.15; spheres' form-factor wiggles
        have 0.3-1, Bragg peaks a few per cent; the first order of a calibrant on a small
        detector may reach 0.1).
    min_points_per_fwhm : float
        A peak must span at least this many sampling steps at half maximum (default 1.5).
    background_half_width : float
        Half window, in ln q, of the running median that makes the smooth reference (default 0.25).
    trial_rel_fwhm : tuple of float
        Relative widths FWHM / q tried by the matched filter.
    candidate_z : float
        z score of the matched filter above which a position is fitted (default 4: the free fit has
        more parameters, so its significance rarely exceeds the filter's z; 4 < 5 leaves a margin).
    max_candidates : int
        At most this many candidates are fitted (strongest first).
    broad_min_prominence : float
        Smallest rise, in ln I, of a broad maximum above the dip next to it (default 0.05).
    max_fwhm_per_spacing : float
        A peak whose FWHM is at least this fraction of the distance to the nearest other
        significant maximum is an oscillation, not a Bragg peak (default 0.4). The lobes of a
        narrow sphere distribution at high order have FWHM / q of only ~1/(2n) but fill about
        half their period (FWHM / spacing 0.5-0.6); Bragg peaks are separated by many widths
        (lamellar orders: FWHM / spacing of 0.02-0.15; crowded cubic orders with 2 % wide peaks: < 0.35).
    max_dip_per_height : float
        A peak whose flank dips below the smooth reference (0.75-3 FWHM from its centre), or rises
        again past its lowest point towards a next maximum (within 2.5 FWHM), by at least this
        fraction of the peak's relative height ``amplitude / reference``, with ``dip_significance``,
        is a form-factor lobe (default 0.35). Form-factor minima and neighbouring lobes are about as
        deep and high as the lobe itself (ratio 0.6-6 for the lobes that passed the other tests in
        504 sphere curves); beside a Bragg peak on a smooth background the ratio is noise plus a small
        bias of the running median (at most 0.21 in the tested mesophase and calibrant curves).
    dip_significance : float
        How many standard errors the dip or rebound (weighted means over a quarter FWHM) must reach
        (default 4).
    """

    min_significance: float = 5.0
    max_rel_fwhm: float = 0.15
    min_points_per_fwhm: float = 1.5
    background_half_width: float = 0.25
    trial_rel_fwhm: tuple = (0.01, 0.02, 0.035, 0.06, 0.1, 0.15)
    candidate_z: float = 4.0
    max_candidates: int = 40
    broad_min_prominence: float = 0.05
    max_fwhm_per_spacing: float = 0.4
    max_dip_per_height: float = 0.35
    dip_significance: float = 4.0

    def __post_init__(self):
        positive = {
            "min_significance": self.min_significance, "max_rel_fwhm": self.max_rel_fwhm,
            "min_points_per_fwhm": self.min_points_per_fwhm,
            "background_half_width": self.background_half_width, "candidate_z": self.candidate_z,
            "max_candidates": self.max_candidates, "broad_min_prominence": self.broad_min_prominence,
            "max_fwhm_per_spacing": self.max_fwhm_per_spacing,
            "max_dip_per_height": self.max_dip_per_height, "dip_significance": self.dip_significance,
        }
        for name, value in positive.items():
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(None, name, "a positive finite number", got=value)
        widths = tuple(float(w) for w in self.trial_rel_fwhm)
        if not widths or any(not (0 < w < 1) for w in widths):
            raise InputError(None, "trial_rel_fwhm", "relative widths between 0 and 1", got=self.trial_rel_fwhm)
        object.__setattr__(self, "trial_rel_fwhm", widths)


@dataclass(frozen=True)
class Peak:
    """One fitted peak (Gaussian area parametrisation); all q-like values in 1/nm.

    Attributes
    ----------
    q_nm, q_nm_std : float
        Centre and its standard uncertainty.
    fwhm_nm, fwhm_nm_std : float
        Full width at half maximum and its uncertainty.
    area, area_std : float
        Integrated intensity above the baseline (intensity unit x 1/nm) and its uncertainty.
    amplitude, amplitude_std : float
        Height above the baseline (intensity unit) and its uncertainty.
    significance : float
        ``area / area_std``.
    """

    q_nm: float
    q_nm_std: float
    fwhm_nm: float
    fwhm_nm_std: float
    area: float
    area_std: float
    amplitude: float
    amplitude_std: float
    significance: float

    @property
    def rel_fwhm(self) -> float:
        """FWHM / q (dimensionless)."""
        return self.fwhm_nm / self.q_nm

    def as_dict(self) -> dict:
        """Plain dict for JSON (the names the CLI contract fixes, plus the extra fields)."""
        return {
            "q_nm": self.q_nm, "q_nm_std": self.q_nm_std, "fwhm_nm": self.fwhm_nm,
            "fwhm_nm_std": self.fwhm_nm_std, "area": self.area, "area_std": self.area_std,
            "amplitude": self.amplitude, "amplitude_std": self.amplitude_std,
            "significance": self.significance,
        }


@dataclass(frozen=True)
class RejectedPeak:
    """A fitted candidate that is not reported as a peak, and why."""

    peak: Peak
    reason: str


@dataclass(frozen=True)
class BroadMaximum:
    """A broad local maximum of the smooth background (correlation peak), never a Bragg peak.

    Attributes
    ----------
    q_nm : float
        Position of the maximum, 1/nm.
    prominence_ln : float
        Rise of ln I above the deeper-lying dip next to it (the smaller of the two sides).
    significance : float
        ``prominence_ln`` over its standard error (from the intensity uncertainties).
    """

    q_nm: float
    prominence_ln: float
    significance: float

    def as_dict(self) -> dict:
        return {"q_nm": self.q_nm, "prominence_ln": self.prominence_ln, "significance": self.significance}


@dataclass(frozen=True)
class PeakSearch:
    """Result of :func:`find_peaks`.

    Attributes
    ----------
    peaks : tuple of Peak
        Accepted (significant, sharp) peaks, by increasing q.
    rejected : tuple of RejectedPeak
        Fitted candidates that failed a criterion, with the reason.
    broad_maxima : tuple of BroadMaximum
        Broad maxima of the smooth background.
    q_nm, background : ndarray, shape (m,)
        The q points used (after ``q_range``) and the final smooth reference (peak-free).
    settings : PeakSettings
        Options used.
    source : str or None
        The file the curve came from, when known.
    """

    peaks: tuple
    rejected: tuple
    broad_maxima: tuple
    q_nm: np.ndarray = field(repr=False)
    background: np.ndarray = field(repr=False)
    settings: PeakSettings = PeakSettings()
    source: str | None = None

    def summary(self) -> str:
        """A short text report, one line per peak."""
        lines = [f"{len(self.peaks)} peak(s), {len(self.broad_maxima)} broad maximum/maxima"]
        for p in self.peaks:
            lines.append(f"  q = {p.q_nm:.5g} +- {p.q_nm_std:.2g} 1/nm, FWHM {p.fwhm_nm:.3g}, "
                         f"area {p.area:.4g} +- {p.area_std:.2g} ({p.significance:.1f} sigma)")
        for b in self.broad_maxima:
            lines.append(f"  broad maximum near q = {b.q_nm:.4g} 1/nm")
        return "\n".join(lines)


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
    ref = _smooth_reference(x, inten, sig, settings.background_half_width, exclude)
    for _pass in range(2):
        candidates = _candidates(x, q, inten, sig, ref, spacing, settings)
        accepted, rejected = _fit_candidates(x, q, inten, sig, ref, spacing, candidates, settings)
        if not accepted:
            break
        new_exclude = np.zeros(q.size, dtype=bool)
        for p in accepted:
            new_exclude |= np.abs(q - p.q_nm) <= 1.5 * p.fwhm_nm
        if _pass == 1 or np.array_equal(new_exclude, exclude):
            break
        exclude = new_exclude
        ref = _smooth_reference(x, inten, sig, settings.background_half_width, exclude)
    accepted, duplicates = _drop_duplicates(accepted)
    rejected = rejected + duplicates
    bumps = list(accepted) + [r.peak for r in rejected if r.peak.area > 0 and r.peak.significance >= 3.0]
    accepted, lobes = oscillating(accepted, bumps, settings.max_fwhm_per_spacing)
    rejected = rejected + [RejectedPeak(p, why) for p, why in lobes]
    accepted, lobes = flanked_by_lobes(accepted, q, inten, sig, ref, max_dip_per_height=settings.max_dip_per_height,
                                       dip_significance=settings.dip_significance)
    rejected = rejected + [RejectedPeak(p, why) for p, why in lobes]
    broad = _broad_maxima(x, q, inten, sig, ref, exclude, settings)
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


def _window_bounds(x: np.ndarray, half: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.searchsorted(x, x - half, side="left"), np.searchsorted(x, x + half, side="right")


def _smooth_reference(x, inten, sig, half_width, exclude) -> np.ndarray:
    """Running median of ln(max(I, sigma)) over +-half_width in ln q, then a running mean."""
    y = np.log(np.maximum(inten, sig))
    lo, hi = _window_bounds(x, half_width)
    med = np.empty_like(y)
    for i in range(y.size):
        seg = y[lo[i]:hi[i]]
        use = ~exclude[lo[i]:hi[i]]
        med[i] = np.median(seg[use]) if np.count_nonzero(use) >= 3 else np.median(seg)
    lo2, hi2 = _window_bounds(x, half_width / 2)
    csum = np.concatenate([[0.0], np.cumsum(med)])
    smooth = (csum[hi2] - csum[lo2]) / (hi2 - lo2)
    return np.exp(smooth)


@dataclass(frozen=True)
class _Candidate:
    index: int
    rel_fwhm: float
    z: float
    amplitude_rel: float  # Gaussian amplitude in units of the reference


def _candidates(x, q, inten, sig, ref, spacing, settings: PeakSettings) -> list[_Candidate]:
    """Matched filter: z score of a fixed Gaussian + local quadratic (closed-form weighted LS)."""
    r = inten / ref
    sr = sig / ref
    found: list[_Candidate] = []
    for w in settings.trial_rel_fwhm:
        centres = _centre_grid(x, w / 8.0)
        z, amp = _matched_filter(x, r, sr, w, centres)
        resolved = ((w * q[centres] >= settings.min_points_per_fwhm * spacing[centres])
                    & (x[centres] - x[0] >= w) & (x[-1] - x[centres] >= w))
        z = np.where(resolved, z, -np.inf)
        for k in range(1, centres.size - 1):
            if z[k] >= settings.candidate_z and z[k] >= z[k - 1] and z[k] >= z[k + 1]:
                found.append(_Candidate(int(centres[k]), w, float(z[k]), float(amp[k])))
    found.sort(key=lambda c: -c.z)
    chosen: list[_Candidate] = []
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
    lo_all, hi_all = _window_bounds(x, 2.5 * rel_fwhm)
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


def _scaled_quadratic(ref, u, c0=1.0, c1=0.0, c2=0.0):
    """Baseline: the smooth reference times a quadratic in u = ln(q / q_mid)."""
    return ref * (c0 + c1 * u + c2 * u * u)


def _gaussian_area(x, area=1.0, center=1.0, sigma=0.1):
    """Gaussian of integral ``area``, centre ``center`` and standard deviation ``sigma`` (x units)."""
    return area / (sigma * math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def _fit_candidates(x, q, inten, sig, ref, spacing, candidates, settings: PeakSettings):
    """Fit each candidate with lmfit in its own window; split into accepted and rejected peaks."""
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


def _broad_maxima(x, q, inten, sig, ref, exclude, settings: PeakSettings) -> list[BroadMaximum]:
    """Local maxima of ln(ref) that rise significantly above the dips on both sides."""
    from scipy.signal import find_peaks as _scipy_find_peaks

    y = np.log(ref)
    hw = settings.background_half_width
    # standard error of the smoothed ln I: relative sigma averaged over the window
    rel = np.where(exclude, np.nan, sig / np.maximum(np.abs(inten), sig))
    lo, hi = _window_bounds(x, hw)
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
