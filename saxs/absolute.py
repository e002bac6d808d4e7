"""Absolute intensity scale: a calibration factor from a standard, stored as versioned TOML.

A reduced curve (counts per solid angle per transmitted monitor count, see the reduction) divided
by the sample thickness in cm is proportional to the differential scattering cross-section per
unit volume, dSigma/dOmega in 1/cm. The factor ``C`` (1/cm per reduced unit per cm of sample)
absorbs the detector efficiency, the monitor gain and the header's NormalizationFactor:

    dSigma/dOmega [1/cm] = C * I_reduced / d_cm

``C`` is measured once per beamtime (detector, energy and monitor) on a standard:

* ``"srm3600"``: NIST SRM 3600 glassy carbon, certified dSigma/dOmega(q) for q = 0.008-0.25 1/A
  (shipped in the package, ``saxs/data/srm3600/``; Allen et al., J. Appl. Cryst. 50 (2017) 462), coupon
  thickness 1.055 mm. Its certified values carry about 1.1 % uncertainty (NIST's, systematic).
* ``"water"``: dSigma/dOmega(q -> 0) = rho_e^2 r_e^2 k_B T kappa_T, flat across SAXS q. At 20 C it
  is 0.01632 1/cm (Orthaber, Bergmann & Glatter, J. Appl. Cryst. 33 (2000) 218). The temperature
  dependence comes from that formula with the density and isothermal compressibility of liquid
  water at 1 atm from Kell, J. Chem. Eng. Data 20 (1975) 97 (equations valid 0-150 C, we accept
  0-100 C), anchored to 0.01632 at 20 C. Evaluating the formula directly with Kell's values and
  CODATA constants (r_e = 2.8179403e-15 m, k_B = 1.380649e-23 J/K, N_A, M = 18.015 g/mol) gives
  0.01642 1/cm at 20 C, 0.6 % above the literature value; we give the water reference a 1 % standard
  uncertainty to cover this and the small q-dependence of water below 3 1/nm.

The factor is the closed-form weighted least-squares slope of the measured net standard ``m``
against the reference ``r`` (``m = k r``, ``C = 1/k``), with weights from the measurement's
uncertainties only (the reference's uncertainty is systematic, common to all points): this form is
linear in the noisy measurement, so unlike a mean of ratios ``r/m`` it is not biased by noise.
The statistical uncertainty is inflated by sqrt(chi2_red) when the shapes disagree.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import tomllib
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from . import __version__
from .atomic import write_text_atomic
from .errors import InputError
from .profile import Profile1D
from .subtract import (
    check_same_geometry, check_same_q, geometry_of, normalization_of, per_transmitted_flux, profile_label,
)

#: Version of the calibration TOML written by :func:`save_calibration`.
CALIBRATION_VERSION = 1
STANDARDS = ("srm3600", "water")

#: The certified SRM 3600 curve ships inside the package (``saxs/data/srm3600/``), so an installed
#: wheel has it; user calibrations (PONI, masks, TOML factors) stay wherever the user keeps them.
SRM3600_RESOURCE = ("data", "srm3600", "SRM3600_certified_curve.csv")
#: Certified thickness of the SRM 3600 coupon, mm.
SRM3600_THICKNESS_MM = 1.055

#: Water at 20 C, 1/cm (Orthaber et al. 2000), and the standard uncertainty we give it (relative).
WATER_20C_1CM = 0.01632
WATER_REL_STD = 0.01
#: Default q range for water, 1/nm: low enough that water's rise at high q stays below 1 %.
WATER_Q_RANGE_NM = (0.3, 3.0)


# --- reference curves -------------------------------------------------------------------------

def load_srm3600(path=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The certified SRM 3600 curve: q (converted from 1/A to 1/nm), dSigma/dOmega and sigma (1/cm).

    Parameters
    ----------
    path : str or os.PathLike, optional
        CSV with columns ``q_invA, I_per_cm, sigma_per_cm`` and ``#`` comments (default: the copy
        shipped in the package, ``saxs/data/srm3600/``, read through :mod:`importlib.resources`).

    Returns
    -------
    q_nm, intensity_1cm, sigma_1cm : ndarray, shape (59,)
    """
    if path is None:
        resource = importlib.resources.files("saxs").joinpath(*SRM3600_RESOURCE)
        path, text = Path(str(resource)), resource.read_text() if resource.is_file() else None
    else:
        path = Path(path)
        text = path.read_text() if path.is_file() else None
    if text is None:
        raise InputError(path, "file", "the NIST SRM 3600 certified curve (shipped in saxs/data/srm3600/)", got="missing")
    rows = []
    header = None
    for number, line in enumerate(text.splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        cells = [c.strip() for c in text.split(",")]
        if header is None:
            header = cells
            if header[:3] != ["q_invA", "I_per_cm", "sigma_per_cm"]:
                raise InputError(path, f"line {number}", "the header q_invA,I_per_cm,sigma_per_cm", got=text)
            continue
        try:
            rows.append([float(c) for c in cells[:3]])
        except ValueError:
            raise InputError(path, f"line {number}", "three numbers", got=text) from None
    if len(rows) < 2:
        raise InputError(path, "rows", "the certified curve (59 rows)", got=len(rows))
    q_invA, i_1cm, s_1cm = np.asarray(rows, dtype=np.float64).T
    # The certified curve's q is in 1/A: convert at the edge, 1/A -> 1/nm is x10.
    return q_invA * 10.0, i_1cm, s_1cm


def _kell_density_kg_m3(t_C: float) -> float:
    """Density of air-free water at 1 atm, Kell (1975) eq. 16, kg/m^3 (t in C)."""
    t = t_C
    num = (999.83952 + 16.945176 * t - 7.9870401e-3 * t**2 - 46.170461e-6 * t**3
           + 105.56302e-9 * t**4 - 280.54253e-12 * t**5)
    return num / (1.0 + 16.879850e-3 * t)


def _kell_compressibility_per_Pa(t_C: float) -> float:
    """Isothermal compressibility of water at 1 atm, Kell (1975), 1/Pa (t in C)."""
    t = t_C
    num = (50.88496 + 0.6163813 * t + 1.459187e-3 * t**2 + 20.08438e-6 * t**3
           - 58.47727e-9 * t**4 + 410.4110e-12 * t**5)
    per_bar_1e6 = num / (1.0 + 19.67348e-3 * t)
    return per_bar_1e6 * 1e-6 / 1e5  # 1e-6 1/bar -> 1/Pa


def water_forward_scattering_formula_1cm(temperature_C: float) -> float:
    """rho_e^2 r_e^2 k_B T kappa_T evaluated from Kell's water data and CODATA constants, 1/cm."""
    r_e = 2.8179403262e-15  # m, classical electron radius (CODATA 2018)
    k_b = 1.380649e-23  # J/K (exact, SI 2019)
    n_a = 6.02214076e23  # 1/mol (exact)
    molar_mass = 18.01528e-3  # kg/mol, 10 electrons per molecule
    rho_e = _kell_density_kg_m3(temperature_C) / molar_mass * n_a * 10.0  # electrons / m^3
    kt = k_b * (temperature_C + 273.15)
    per_m = rho_e**2 * r_e**2 * kt * _kell_compressibility_per_Pa(temperature_C)
    return per_m / 100.0  # 1/m -> 1/cm


def water_dsdo_1cm(temperature_C: float = 20.0) -> float:
    """Forward scattering of water, 1/cm: 0.01632 at 20 C with the formula's temperature dependence.

    Examples
    --------
    >>> round(water_dsdo_1cm(20.0), 5)
    0.01632
    """
    t = float(temperature_C)
    if not (math.isfinite(t) and 0.0 <= t <= 100.0):
        raise InputError(None, "temperature_C", "a liquid-water temperature between 0 and 100 C", got=temperature_C)
    return WATER_20C_1CM * water_forward_scattering_formula_1cm(t) / water_forward_scattering_formula_1cm(20.0)


# --- the calibration --------------------------------------------------------------------------

@dataclass(frozen=True)
class AbsoluteCalibration:
    """A calibration factor to absolute intensity and where it came from.

    Attributes
    ----------
    factor : float
        C, 1/cm per (reduced intensity unit per cm of sample): I_abs = C * I_reduced / d_cm.
    factor_std : float
        Total standard uncertainty of C (statistical and reference in quadrature).
    factor_std_statistical : float
        The part from the measurement's noise (inflated by sqrt(chi2_red) if > 1).
    reference_rel_std : float
        Relative uncertainty of the standard's reference values (systematic).
    standard : str
        ``"srm3600"`` or ``"water"``.
    thickness_mm : float
        Thickness of the standard, mm.
    temperature_C : float or None
        Temperature of the water standard (None for glassy carbon).
    q_range_nm : (float, float)
        q range used, 1/nm.
    n_points : int
        Points used.
    chi2_red : float
        Reduced chi-square of the fit of the reference shape to the measurement.
    normalization : str or None
        Monitor the standard's curve was normalised by (``"transmitted"``/``"incident"``); the factor
        applies only to curves normalised the same way.
    provenance : Mapping[str, Any]
        Files, geometry, software version, date.
    """

    factor: float
    factor_std: float
    factor_std_statistical: float
    reference_rel_std: float
    standard: str
    thickness_mm: float
    temperature_C: float | None
    q_range_nm: tuple[float, float]
    n_points: int
    chi2_red: float
    normalization: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    def summary(self) -> dict[str, Any]:
        """The factor, its uncertainties and how it was measured, as plain values (TOML, JSON)."""
        return {
            "factor": self.factor,
            "factor_std": self.factor_std,
            "factor_std_statistical": self.factor_std_statistical,
            "reference_rel_std": self.reference_rel_std,
            "standard": self.standard,
            "thickness_mm": self.thickness_mm,
            "temperature_C": self.temperature_C,
            "q_range_nm": list(self.q_range_nm),
            "n_points": self.n_points,
            "chi2_red": self.chi2_red,
            "normalization": self.normalization,
        }

    @property
    def rel_std(self) -> float:
        """Relative total uncertainty of the factor."""
        return self.factor_std / self.factor


def _reference_on(standard: str, q_nm: np.ndarray, temperature_C: float, reference_path=None):
    """Reference dSigma/dOmega on q (NaN outside its range) and its relative uncertainty."""
    if standard == "srm3600":
        q_ref, i_ref, s_ref = load_srm3600(reference_path)
        inside = (q_nm >= q_ref[0]) & (q_nm <= q_ref[-1])
        ref = np.full(q_nm.shape, np.nan)
        # log-log interpolation: the curve is smooth on a log scale and spans a decade in q.
        ref[inside] = np.exp(np.interp(np.log(q_nm[inside]), np.log(q_ref), np.log(i_ref)))
        rel = float(np.median(s_ref / i_ref))
        return ref, rel, (float(q_ref[0]), float(q_ref[-1]))
    value = water_dsdo_1cm(temperature_C)
    return np.full(q_nm.shape, value), WATER_REL_STD, WATER_Q_RANGE_NM


def calibrate_absolute(
    standard_profile: Profile1D,
    *,
    standard: str = "srm3600",
    thickness_mm: float | None = None,
    temperature_C: float = 20.0,
    empty: Profile1D | None = None,
    q_range_nm: tuple[float, float] | None = None,
    transmission=None,
    empty_transmission=None,
    reference_path=None,
) -> AbsoluteCalibration:
    """Calibration factor from a measured standard.

    Parameters
    ----------
    standard_profile : Profile1D
        Reduced curve (frame average) of the standard, shape (n,), arbitrary units.
    standard : {"srm3600", "water"}
        Glassy carbon against the NIST SRM 3600 certified curve, or water.
    thickness_mm : float
        Thickness of the standard, mm (1.055 for the SRM 3600 coupon). Required.
    temperature_C : float
        Water temperature (ignored for glassy carbon).
    empty : Profile1D, optional
        Blank subtracted from the standard: the empty capillary for water (needed in practice),
        the empty beam / window for glassy carbon (optional). Same q grid and geometry.
    q_range_nm : (float, float), optional
        q range used; default the certified range (SRM 3600) or 0.3-3 1/nm (water).
    transmission, empty_transmission : Transmission or float, optional
        Needed only for curves normalised by the incident monitor.
    reference_path : path, optional
        Another copy of the SRM 3600 certified curve.

    Returns
    -------
    AbsoluteCalibration

    Raises
    ------
    InputError
        Unknown standard, missing thickness, no overlap with the reference range, a blank on
        another q grid or geometry, a standard with no positive net signal.
    """
    label = profile_label(standard_profile)
    if standard not in STANDARDS:
        raise InputError(label, "standard", f"one of {STANDARDS}", got=standard)
    if thickness_mm is None:
        raise InputError(label, "thickness_mm", "the thickness of the standard in mm "
                         f"({SRM3600_THICKNESS_MM} for the SRM 3600 coupon)", got=None)
    d_mm = float(thickness_mm)
    if not (math.isfinite(d_mm) and d_mm > 0):
        raise InputError(label, "thickness_mm", "a thickness > 0 mm", got=thickness_mm)
    if standard_profile.intensity_unit != "arbitrary":
        raise InputError(label, "intensity unit", "a reduced (arbitrary-unit) curve of the standard",
                         got=standard_profile.intensity_unit)
    m, rec = per_transmitted_flux(standard_profile, transmission, role="standard")
    intensity, variance = m.intensity.copy(), m.sigma**2
    rec_e = None
    if empty is not None:
        check_same_geometry(standard_profile, empty, role="empty")
        check_same_q(standard_profile, empty, role="empty")
        e, rec_e = per_transmitted_flux(empty, empty_transmission, role="empty")
        intensity = intensity - e.intensity
        variance = variance + e.sigma**2
    d_cm = d_mm / 10.0
    meas = intensity / d_cm
    meas_sigma = np.sqrt(variance) / d_cm
    q = standard_profile.q_nm
    ref, ref_rel, default_range = _reference_on(standard, q, temperature_C, reference_path)
    lo, hi = q_range_nm if q_range_nm is not None else default_range
    use = (q >= lo) & (q <= hi) & np.isfinite(ref) & np.isfinite(meas) & (meas_sigma > 0)
    n = int(use.sum())
    if n < 3:
        raise InputError(label, "q range", f"at least 3 points of the standard within {lo:.4g}-{hi:.4g} 1/nm "
                         f"(the reference's range); the data span {q[0]:.4g}-{q[-1]:.4g} 1/nm", got=n)
    r, y, w = ref[use], meas[use], 1.0 / meas_sigma[use] ** 2
    srr = float(np.sum(w * r * r))
    k = float(np.sum(w * r * y)) / srr
    if not k > 0:
        raise InputError(label, "intensity", f"a positive net scattering of the {standard} standard", got=k)
    chi2_red = float(np.sum(w * (y - k * r) ** 2)) / max(n - 1, 1)
    sigma_k = math.sqrt(max(1.0, chi2_red) / srr)
    factor = 1.0 / k
    stat = factor * sigma_k / k
    total = math.hypot(stat, factor * ref_rel)
    provenance = {
        "standard_file": label,
        "empty_file": None if empty is None else profile_label(empty),
        "standard_normalization": rec,
        "empty_normalization": rec_e,
        "reference": ("NIST SRM 3600 certified curve (Allen et al., J. Appl. Cryst. 50 (2017) 462)"
                      if standard == "srm3600" else
                      "water, 0.01632 1/cm at 20 C (Orthaber et al. 2000); T-dependence rho_e^2 r_e^2 kT kappa_T, "
                      "Kell (1975)"),
        "reference_value_1cm": None if standard == "srm3600" else float(ref[0]),
        "geometry": geometry_of(standard_profile),
        "software": f"saxs-insitu {__version__}",
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return AbsoluteCalibration(
        factor=factor, factor_std=total, factor_std_statistical=stat, reference_rel_std=ref_rel,
        standard=standard, thickness_mm=d_mm, temperature_C=float(temperature_C) if standard == "water" else None,
        q_range_nm=(float(q[use][0]), float(q[use][-1])), n_points=n, chi2_red=chi2_red,
        normalization=normalization_of(standard_profile), provenance=provenance,
    )


def apply_calibration(profile: Profile1D, cal: AbsoluteCalibration) -> Profile1D:
    """Put a thickness-normalised, subtracted curve on the absolute scale: I in 1/cm.

    The factor's uncertainty is common to all points: it is recorded as
    ``systematic_rel_std["calibration"]`` in the provenance, not added to each point's sigma.

    Parameters
    ----------
    profile : Profile1D
        Output of :func:`saxs.subtract.subtract_blank` (per cm of sample, arbitrary units).
    cal : AbsoluteCalibration

    Returns
    -------
    Profile1D
        ``intensity_unit="1/cm"``.

    Raises
    ------
    InputError
        If the profile is already absolute or was normalised by another monitor than the standard.
    """
    label = profile_label(profile)
    if profile.intensity_unit == "1/cm":
        raise InputError(label, "intensity unit", "a curve not yet on the absolute scale", got="1/cm")
    norm = normalization_of(profile)
    if norm is not None and cal.normalization is not None and norm != cal.normalization:
        raise InputError(label, "normalization", f"the monitor the calibration standard was normalised by "
                         f"({cal.normalization}); the factor differs by the monitors' gain ratio", got=norm)
    systematic = dict(profile.provenance.get("systematic_rel_std", {}) or {})
    systematic["calibration"] = cal.rel_std
    return profile.replace(
        intensity=profile.intensity * cal.factor,
        sigma=profile.sigma * cal.factor,
        intensity_unit="1/cm",
        provenance={
            "absolute_calibration": {
                "factor": cal.factor, "factor_std": cal.factor_std, "standard": cal.standard,
                "file": cal.provenance.get("path"), "standard_file": cal.provenance.get("standard_file"),
            },
            "systematic_rel_std": systematic,
        },
    )


# --- TOML storage -----------------------------------------------------------------------------

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def _toml_key(key) -> str:
    key = str(key)
    return key if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key) else json.dumps(key)


def _toml_table(name: str, mapping: Mapping[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    subtables = []
    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            subtables.append((f"{name}.{_toml_key(key)}", value))
            continue
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for sub_name, sub in subtables:
        lines.append("")
        lines.extend(_toml_table(sub_name, sub))
    return lines


def save_calibration(cal: AbsoluteCalibration, path) -> Path:
    """Write a calibration as versioned TOML (atomically) and return the path.

    Layout (version 1)::

        version = 1
        kind = "absolute_intensity"
        [calibration]   factor, factor_std, factor_std_statistical, reference_rel_std, standard,
                        thickness_mm, temperature_C, q_range_nm, n_points, chi2_red, normalization,
                        unit
        [provenance]    standard_file, empty_file, reference, geometry, software, created_utc, ...
    """
    calib = dict(cal.summary(), unit="1/cm per (reduced intensity per cm of sample)")
    prov = {k: v for k, v in cal.provenance.items() if k != "path"}
    lines = [
        "# Absolute-intensity calibration written by `saxs calibrate absolute` (saxs-insitu).",
        "# I [1/cm] = factor * I_reduced / thickness_cm.  See calibrations/README.md.",
        f"version = {CALIBRATION_VERSION}",
        'kind = "absolute_intensity"',
        "",
        *_toml_table("calibration", calib),
        "",
        *_toml_table("provenance", _plain(prov)),
        "",
    ]
    return write_text_atomic(path, "\n".join(lines))


def _plain(value):
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


#: Explicit migrations from version N to N+1 (none yet: version 1 is the first).
_MIGRATIONS: dict[int, Any] = {}


def _number(path, doc: Mapping, key: str, *, positive: bool = False, optional: bool = False):
    table = doc.get("calibration", {})
    if key not in table:
        if optional:
            return None
        raise InputError(path, f"calibration.{key}", "a number", got="missing")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(path, f"calibration.{key}", "a finite number", got=value)
    if positive and value <= 0:
        raise InputError(path, f"calibration.{key}", "a number > 0", got=value)
    return float(value)


def load_calibration(path) -> AbsoluteCalibration:
    """Read and validate a calibration TOML written by :func:`save_calibration`.

    Raises
    ------
    InputError
        Naming the file and the key: unreadable TOML, missing or unsupported ``version``,
        wrong ``kind``, a missing or non-positive ``calibration.factor``, an unknown standard.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file", "an absolute-calibration TOML file", got="no such file")
    try:
        doc = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, "TOML", "a valid TOML file", got=str(exc)) from None
    version = doc.get("version")
    if version is None:
        raise InputError(path, "version", f"a version number (current: {CALIBRATION_VERSION})", got="missing")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= CALIBRATION_VERSION:
        raise InputError(path, "version", f"a supported version (1..{CALIBRATION_VERSION})", got=version)
    while version < CALIBRATION_VERSION:
        doc = _MIGRATIONS[version](doc)
        version += 1
    if doc.get("kind") != "absolute_intensity":
        raise InputError(path, "kind", '"absolute_intensity"', got=doc.get("kind"))
    table = doc.get("calibration")
    if not isinstance(table, Mapping):
        raise InputError(path, "calibration", "a [calibration] table", got="missing")
    factor = _number(path, doc, "factor", positive=True)
    factor_std = _number(path, doc, "factor_std")
    if factor_std < 0:
        raise InputError(path, "calibration.factor_std", "an uncertainty >= 0", got=factor_std)
    standard = table.get("standard")
    if standard not in STANDARDS:
        raise InputError(path, "calibration.standard", f"one of {STANDARDS}", got=standard)
    q_range = table.get("q_range_nm", [math.nan, math.nan])
    if not (isinstance(q_range, list) and len(q_range) == 2):
        raise InputError(path, "calibration.q_range_nm", "[q_min, q_max] in 1/nm", got=q_range)
    normalization = table.get("normalization")
    if normalization not in (None, "transmitted", "incident"):
        raise InputError(path, "calibration.normalization", '"transmitted" or "incident"', got=normalization)
    n_points = table.get("n_points", 0)
    provenance = dict(doc.get("provenance", {}))
    provenance["path"] = str(path)
    return AbsoluteCalibration(
        factor=factor,
        factor_std=factor_std,
        factor_std_statistical=_number(path, doc, "factor_std_statistical", optional=True) or 0.0,
        reference_rel_std=_number(path, doc, "reference_rel_std", optional=True) or 0.0,
        standard=standard,
        thickness_mm=_number(path, doc, "thickness_mm", positive=True),
        temperature_C=_number(path, doc, "temperature_C", optional=True),
        q_range_nm=(float(q_range[0]), float(q_range[1])),
        n_points=int(n_points),
        chi2_red=_number(path, doc, "chi2_red", optional=True) or math.nan,
        normalization=normalization,
        provenance=provenance,
    )


__all__ = [
    "AbsoluteCalibration", "calibrate_absolute", "apply_calibration", "save_calibration", "load_calibration",
    "load_srm3600", "water_dsdo_1cm", "water_forward_scattering_formula_1cm", "STANDARDS",
    "SRM3600_THICKNESS_MM", "WATER_20C_1CM", "CALIBRATION_VERSION",
]
