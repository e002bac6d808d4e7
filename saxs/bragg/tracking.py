"""Follow Bragg peaks across a series (temperatures, times): area vs the series value, melting.

Members are sorted by their series value. A track is started by every peak not matched to an
existing track; a peak joins the track whose mean position is nearest, when within
``max(rel_tolerance * q, k_sigma * combined position uncertainty)``.

For every member the track's area is reported: the fitted area of the matched peak where it is
present; elsewhere the area of a Gaussian of the track's mean position and width fitted linearly
(closed form) together with the member's smooth background, scaled by a quadratic in ln q, over
+-2.5 FWHM: about zero +- its uncertainty where the peak has gone. ``present`` is true where the
member has a significant peak on the track. ``vanishes_at`` is the first series value from which
on the peak is absent in every later member (melting of the mesophase), provided it was present
before; ``None`` when it is present at the last member or never.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..profile import Profile1D
from .peak_types import FWHM_PER_SIGMA, PeakSearch


@dataclass(frozen=True)
class Track:
    """One peak followed across a series.

    Attributes
    ----------
    q_nm : float
        Mean position over the members where the peak is present, 1/nm.
    fwhm_nm : float
        Mean FWHM over those members, 1/nm.
    values : tuple of float
        Series values, increasing.
    area, area_std : tuple of float
        Area of the peak in each member and its uncertainty (see the module docstring).
    present : tuple of bool
        Whether each member has a significant peak on this track.
    vanishes_at : float or None
        First series value from which on the peak is absent.
    """

    q_nm: float
    fwhm_nm: float
    values: tuple
    area: tuple
    area_std: tuple
    present: tuple
    vanishes_at: float | None

    def as_dict(self) -> dict:
        return {
            "q_nm": self.q_nm, "fwhm_nm": self.fwhm_nm, "values": list(self.values),
            "area": list(self.area), "area_std": list(self.area_std),
            "present": [bool(p) for p in self.present], "vanishes_at": self.vanishes_at,
        }


def fixed_gaussian_area(profile: Profile1D, search: PeakSearch, q_nm: float, fwhm_nm: float) -> tuple[float, float]:
    """Area (and its standard error) of a Gaussian of fixed centre and FWHM on a member's curve.

    Weighted linear least squares of ``A g(q) + ref(q) (c0 + c1 u + c2 u^2)`` over +-2.5 FWHM,
    ``g`` a unit-area Gaussian, ``ref`` the member's smooth background from ``search``. The error
    is scaled by ``sqrt(max(1, reduced chi2))``. Returns (nan, nan) with too few points.
    """
    q = search.q_nm
    ref = search.background
    keep = np.isin(profile.q_nm, q)
    inten, sig = profile.intensity[keep], profile.sigma[keep]
    if inten.size != q.size:  # the search used exactly a subset of the profile's points
        return float("nan"), float("nan")
    win = np.abs(q - q_nm) <= 2.5 * fwhm_nm
    if np.count_nonzero(win) < 8:
        return float("nan"), float("nan")
    sx = fwhm_nm / FWHM_PER_SIGMA
    qw, iw, sw, rw = q[win], inten[win], sig[win], ref[win]
    u = np.log(qw / q_nm)
    g = np.exp(-0.5 * ((qw - q_nm) / sx) ** 2) / (sx * math.sqrt(2 * math.pi))
    design = np.column_stack([g, rw, rw * u, rw * u * u]) / sw[:, None]
    rhs = iw / sw
    normal = design.T @ design
    cov = np.linalg.inv(normal)
    coef = cov @ (design.T @ rhs)
    resid = design @ coef - rhs
    redchi = float(resid @ resid) / max(qw.size - 4, 1)
    return float(coef[0]), float(math.sqrt(cov[0, 0] * max(1.0, redchi)))


def track_peaks(
    profiles: Sequence[Profile1D],
    searches: Sequence[PeakSearch],
    values: Sequence[float],
    *,
    rel_tolerance: float = 0.02,
    k_sigma: float = 3.0,
) -> list[Track]:
    """Match peaks across series members and report each track's area vs the series value.

    Parameters
    ----------
    profiles : sequence of Profile1D
        The members' curves.
    searches : sequence of PeakSearch
        :func:`~saxs.bragg.peaks.find_peaks` results of the same members.
    values : sequence of float
        Series value of each member (temperature, time); members are sorted by it.
    rel_tolerance : float, optional
        Relative position tolerance of a match (default 2 %: thermal expansion moves a peak a
        little between members).
    k_sigma : float, optional
        Matches within this many combined standard deviations are also accepted.

    Returns
    -------
    list of Track
        By increasing q.
    """
    if not (len(profiles) == len(searches) == len(values)):
        raise ValueError("profiles, searches and values must have the same length")
    order = sorted(range(len(values)), key=lambda m: float(values[m]))
    vals = [float(values[m]) for m in order]
    tracks: list[dict] = []  # {"q": [...], "fwhm": [...], "member_peak": {member_pos: Peak}}
    for pos, m in enumerate(order):
        taken: set[int] = set()
        for peak in sorted(searches[m].peaks, key=lambda p: -p.significance):
            best, best_dev = None, math.inf
            for t_i, t in enumerate(tracks):
                if t_i in taken:
                    continue
                q_mean = float(np.mean(t["q"]))
                std_mean = float(np.mean(t["q_std"]))
                tol = max(rel_tolerance * peak.q_nm,
                          k_sigma * math.hypot(peak.q_nm_std if np.isfinite(peak.q_nm_std) else 0.0, std_mean))
                dev = abs(peak.q_nm - q_mean)
                if dev <= tol and dev < best_dev:
                    best, best_dev = t_i, dev
            if best is None:
                tracks.append({"q": [], "q_std": [], "fwhm": [], "member_peak": {}})
                best = len(tracks) - 1
            t = tracks[best]
            t["q"].append(peak.q_nm)
            t["q_std"].append(peak.q_nm_std if np.isfinite(peak.q_nm_std) else 0.0)
            t["fwhm"].append(peak.fwhm_nm)
            t["member_peak"][pos] = peak
            taken.add(best)

    out: list[Track] = []
    for t in tracks:
        q_mean = float(np.mean(t["q"]))
        fwhm_mean = float(np.mean(t["fwhm"]))
        area, area_std, present = [], [], []
        for pos, m in enumerate(order):
            peak = t["member_peak"].get(pos)
            if peak is not None:
                area.append(peak.area)
                area_std.append(peak.area_std)
                present.append(True)
            else:
                a, s = fixed_gaussian_area(profiles[m], searches[m], q_mean, fwhm_mean)
                area.append(a)
                area_std.append(s)
                present.append(False)
        vanishes_at = None
        if any(present) and not present[-1]:
            last = max(i for i, p in enumerate(present) if p)
            vanishes_at = vals[last + 1]
        out.append(Track(q_nm=q_mean, fwhm_nm=fwhm_mean, values=tuple(vals), area=tuple(area),
                         area_std=tuple(area_std), present=tuple(present), vanishes_at=vanishes_at))
    out.sort(key=lambda tr: tr.q_nm)
    return out
