"""The 1D profile exchanged between stages: q, I, sigma, units and provenance.

Stages never pass dicts of arrays around; they pass :class:`Profile1D`, built in one
constructor call and never mutated (use :func:`dataclasses.replace` to derive a new one).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

#: Intensity units a profile may carry.
INTENSITY_UNITS = ("1/cm", "arbitrary")

#: Accepted spellings of the two q units, mapped to the factor that converts to 1/nm.
_Q_UNIT_TO_NM = {
    "nm^-1": 1.0, "1/nm": 1.0, "nm-1": 1.0, "q_nm^-1": 1.0,
    "a^-1": 10.0, "1/a": 10.0, "a-1": 10.0, "1/angstrom": 10.0, "angstrom^-1": 10.0,
    "q_a^-1": 10.0, "å^-1": 10.0, "1/å": 10.0,
}


def q_unit_factor(unit: str) -> float:
    """Factor that converts q given in ``unit`` to 1/nm.

    Parameters
    ----------
    unit : str
        ``"nm^-1"`` / ``"1/nm"`` or ``"A^-1"`` / ``"1/A"`` (case-insensitive).

    Returns
    -------
    float
        1.0 for 1/nm, 10.0 for 1/A.

    Examples
    --------
    >>> q_unit_factor("A^-1")
    10.0
    """
    key = unit.strip().lower().replace(" ", "")
    try:
        return _Q_UNIT_TO_NM[key]
    except KeyError:
        raise ValueError(f"unknown q unit {unit!r}; expected nm^-1 or A^-1") from None


#: q ranges that only make sense in the other unit. A curve read as 1/nm that ends below
#: Q_MAX_IMPLAUSIBLE_NM (smallest observable radius pi/q_max > 10 nm) is most likely in 1/A (ten times
#: that: a common SAXS range); one read as 1/A that reaches beyond Q_MAX_ABSURD_NM (a spacing 2 pi/q
#: below 0.06 nm, shorter than any bond) is most likely in 1/nm.
Q_MAX_IMPLAUSIBLE_NM = 0.3
Q_MAX_ABSURD_NM = 100.0


def q_unit_doubt(q_nm, unit_read: str) -> str | None:
    """Why a curve's q range suggests the other unit, or None when it is plausible as read.

    Parameters
    ----------
    q_nm : array_like, shape (n,)
        q after conversion to 1/nm with ``unit_read``.
    unit_read : {"nm^-1", "A^-1"}
        The unit the values were read in.

    Examples
    --------
    >>> q_unit_doubt([0.003, 0.12], "nm^-1") is not None    # round robin 1 written in 1/A
    True
    >>> q_unit_doubt([0.03, 1.16], "nm^-1") is None
    True
    """
    q = np.asarray(q_nm, dtype=np.float64)
    q = q[np.isfinite(q) & (q > 0)]
    if q.size == 0:
        return None
    factor = q_unit_factor(unit_read)
    lo, hi = float(q.min()) / factor, float(q.max()) / factor  # as written in the file
    if factor == 1.0 and q.max() < Q_MAX_IMPLAUSIBLE_NM:
        return (f"q runs from {lo:.4g} to {hi:.4g} read as 1/nm (smallest observable radius pi/q_max = "
                f"{np.pi / q.max():.3g} nm); in 1/A it would be {10 * lo:.4g} to {10 * hi:.4g} 1/nm, a usual SAXS "
                "range")
    if factor == 10.0 and q.max() > Q_MAX_ABSURD_NM:
        return (f"q runs from {lo:.4g} to {hi:.4g} read as 1/A, i.e. up to {q.max():.4g} 1/nm (spacings below "
                f"{2 * np.pi / q.max():.2g} nm, shorter than any bond); in 1/nm it would be a usual SAXS/WAXS range")
    return None


@dataclass(frozen=True)
class SampleInfo:
    """What is known about the sample behind a profile.

    Attributes
    ----------
    name : str
        Sample name or title.
    thickness_mm : float or None
        Sample thickness (path length through the sample), mm.
    transmission : float or None
        X-ray transmission, dimensionless.
    transmission_sigma : float or None
        Standard uncertainty of ``transmission``.
    temperature_C : float or None
        Sample temperature, degrees Celsius.
    """

    name: str = ""
    thickness_mm: float | None = None
    transmission: float | None = None
    transmission_sigma: float | None = None
    temperature_C: float | None = None


def _frozen_array(values, name: str) -> np.ndarray:
    arr = np.array(values, dtype=np.float64, copy=True)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be one-dimensional; got shape {arr.shape}")
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Profile1D:
    """An azimuthally integrated curve I(q) with its standard uncertainty.

    Attributes
    ----------
    q_nm : ndarray, shape (n,)
        Scattering vector modulus, 1/nm, strictly increasing.
    intensity : ndarray, shape (n,)
        Intensity, in ``intensity_unit``. Negative values are allowed (subtracted data).
    sigma : ndarray, shape (n,)
        One-standard-deviation uncertainty of ``intensity``, same unit.
    intensity_unit : str
        ``"1/cm"`` (absolute) or ``"arbitrary"``.
    sample : SampleInfo
        Thickness, transmission, temperature, name.
    provenance : Mapping[str, Any]
        How the curve was made: input files, geometry, corrections, monitors, software
        version, seeds. Values are numbers, strings, lists of those, or nested mappings.

    Examples
    --------
    >>> p = Profile1D(q_nm=[0.1, 0.2], intensity=[2.0, 1.0], sigma=[0.1, 0.1])
    >>> p.n_points
    2
    """

    q_nm: np.ndarray
    intensity: np.ndarray
    sigma: np.ndarray
    intensity_unit: str = "arbitrary"
    sample: SampleInfo = field(default_factory=SampleInfo)
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        q = _frozen_array(self.q_nm, "q_nm")
        i = _frozen_array(self.intensity, "intensity")
        s = _frozen_array(self.sigma, "sigma")
        if not (q.shape == i.shape == s.shape):
            raise ValueError(
                f"q_nm, intensity and sigma must have the same shape; got {q.shape}, {i.shape}, {s.shape}"
            )
        if self.intensity_unit not in INTENSITY_UNITS:
            raise ValueError(f"intensity_unit must be one of {INTENSITY_UNITS}; got {self.intensity_unit!r}")
        object.__setattr__(self, "q_nm", q)
        object.__setattr__(self, "intensity", i)
        object.__setattr__(self, "sigma", s)
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    @property
    def n_points(self) -> int:
        """Number of q points."""
        return int(self.q_nm.size)

    def replace(self, **changes) -> "Profile1D":
        """Return a copy with some fields changed (``provenance`` changes are merged in)."""
        if "provenance" in changes:
            merged = dict(self.provenance)
            merged.update(changes["provenance"])
            changes["provenance"] = merged
        return dataclasses.replace(self, **changes)

    def select(self, mask) -> "Profile1D":
        """Return the points where boolean ``mask`` (shape (n,)) is true."""
        mask = np.asarray(mask, dtype=bool)
        return dataclasses.replace(
            self, q_nm=self.q_nm[mask], intensity=self.intensity[mask], sigma=self.sigma[mask]
        )
