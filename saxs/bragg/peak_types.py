"""Settings and results of the Bragg peak search (:func:`saxs.bragg.peaks.find_peaks`).

Frozen dataclasses: :class:`PeakSettings` (the thresholds, validated once so an error names the
option), :class:`Peak` (one fitted Gaussian, q-like values in 1/nm), :class:`RejectedPeak` (a fitted
candidate and why it is not a peak), :class:`BroadMaximum` (a correlation maximum of the smooth
background) and :class:`PeakSearch` (everything one search found).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

#: FWHM of a Gaussian in units of its standard deviation, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True)
class PeakSettings:
    """Options of :func:`~saxs.bragg.peaks.find_peaks` (validated once, so an error names the option).

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
    """Result of :func:`~saxs.bragg.peaks.find_peaks`.

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
