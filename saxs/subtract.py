"""Blank subtraction in the standard form, divided by the sample thickness.

Model of what each measurement sees (all per transmitted flux and per exposure, i.e. each curve
normalised by its *own* transmitted monitor, as the reduction does by default)::

    sample  = capillary + (1 - phi) * solvent + particles
    solvent = capillary + solvent           (the same capillary, filled with solvent only)
    empty   = capillary                     (the empty capillary)

so the particles' scattering per unit thickness is

    dSigma/dOmega = [sample - (1 - phi) * solvent - phi * empty] / d

with ``phi`` the particle volume fraction (the solvent it displaces; ``phi = 0`` by default, and
then the empty capillary cancels exactly and is not needed) and ``d`` the sample thickness in cm.
The empty capillary subtracted from the solvent (``subtract_blank(solvent, empty, ...)``) gives the
solvent's own scattering. Point-wise variances add: ``sigma^2 = s_s^2 + (1-phi)^2 s_b^2 +
phi^2 s_e^2``; the empty capillary's noise enters only through ``phi`` (subtracting it from
both the sample and the solvent would count it twice).

Curves normalised by the *incident* monitor (reduction option ``normalize="i0"``, recorded in the
provenance as ``normalization``) are first divided by their transmission. Transmission, thickness
and calibration uncertainties scale the whole curve at once: they are recorded in the provenance
as relative systematic uncertainties (``systematic_rel_std``) rather than added to every point,
which would present one correlated error as independent noise and spoil fit chi-squares.

Negative values are kept (they are information: over-subtraction or noise around zero) but
counted and reported in the provenance (``negative_points``, ``negative_points_2sigma``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any, Mapping

import numpy as np

from .errors import InputError
from .profile import Profile1D
from .transmission import Transmission, check_transmission, transmission_given

log = logging.getLogger(__name__)

#: Geometry keys compared between a sample and its blanks, with (relative, absolute) tolerances.
GEOMETRY_TOLERANCES: Mapping[str, tuple[float, float]] = {
    "distance_mm": (1e-3, 0.0),
    "wavelength_nm": (1e-4, 0.0),
    "center_x_px": (0.0, 1.0),
    "center_y_px": (0.0, 1.0),
    "pixel_x_um": (1e-6, 0.0),
    "pixel_y_um": (1e-6, 0.0),
    "tilt_deg": (0.0, 0.05),
    "shape": (0.0, 0.0),
    "detector": (0.0, 0.0),
}

NORMALIZATION_TRANSMITTED = "transmitted"
NORMALIZATION_INCIDENT = "incident"
NORMALIZATION_NONE = "unnormalised"


def profile_label(profile: Profile1D) -> str:
    """The file (or sample name) a profile came from, for error messages."""
    prov = profile.provenance
    for key in ("reduced_file", "input_file", "source_file", "file", "raw_file"):
        value = prov.get(key)
        if isinstance(value, str) and value:
            return value
    files = prov.get("files") or prov.get("raw_files")
    if isinstance(files, (list, tuple)) and files:
        return str(files[0])
    return profile.sample.name or "<profile>"


def _layers(provenance: Mapping[str, Any]):
    """The provenance and the nested mappings that may carry the reduction's record."""
    yield provenance
    for key in ("upstream", "reduction", "geometry"):
        sub = provenance.get(key)
        if isinstance(sub, Mapping):
            yield from _layers(sub)


def normalization_of(profile: Profile1D) -> str | None:
    """How a reduced curve was normalised, from its provenance.

    Returns
    -------
    str or None
        ``"transmitted"`` (divided by the transmitted-flux monitor I1: T is inside),
        ``"incident"`` (by I0), ``"unnormalised"`` (by the exposure time or nothing: no monitor),
        or None when the provenance does not say (then transmitted is assumed, as the reduction
        does by default).

    Raises
    ------
    InputError
        For a normalisation label this module does not know.
    """
    for layer in _layers(profile.provenance):
        value = layer.get("normalization")
        if value is None:
            value = layer.get("normalize")
        if isinstance(value, Mapping):
            value = value.get("monitor", value.get("name"))
        if isinstance(value, str):
            v = value.strip().lower()
            if v.startswith("monitor "):
                v = v[len("monitor "):].strip()
            if v in ("i1", "hsi1", "transmitted", "transmitted_flux"):
                return NORMALIZATION_TRANSMITTED
            if v in ("i0", "hsi0", "incident", "incident_flux"):
                return NORMALIZATION_INCIDENT
            if v in ("none", "unnormalised", "exposure") or v.startswith(("exposure only", "none (")):
                return NORMALIZATION_NONE
            raise InputError(profile_label(profile), "normalization",
                             "'monitor I1' (transmitted flux), 'monitor I0' (incident flux) or 'none'", got=value)
    return None


def geometry_of(profile: Profile1D) -> dict[str, Any]:
    """Geometry summary (distance, beam centre, wavelength, pixel size, detector) in the provenance."""
    out: dict[str, Any] = {}
    for layer in _layers(profile.provenance):
        for key in GEOMETRY_TOLERANCES:
            if key in layer and key not in out:
                out[key] = layer[key]
    return out


def check_same_geometry(sample: Profile1D, blank: Profile1D, *, role: str = "blank") -> list[str]:
    """Raise if ``blank`` was measured with another geometry than ``sample``.

    Compares the geometry keys both provenances carry (:data:`GEOMETRY_TOLERANCES`).

    Returns
    -------
    list of str
        The keys compared (empty when neither profile records a geometry).

    Raises
    ------
    InputError
        Naming the blank's file, the key and both values.
    """
    g_s, g_b = geometry_of(sample), geometry_of(blank)
    compared = []
    for key, (rtol, atol) in GEOMETRY_TOLERANCES.items():
        if key not in g_s or key not in g_b:
            continue
        a, b = g_s[key], g_b[key]
        compared.append(key)
        if isinstance(a, (str, list, tuple)) or isinstance(b, (str, list, tuple)):
            same = str(a) == str(b) if isinstance(a, str) or isinstance(b, str) else list(a) == list(b)
        else:
            try:
                fa, fb = float(a), float(b)
            except (TypeError, ValueError):
                same = a == b
            else:
                same = abs(fa - fb) <= atol + rtol * max(abs(fa), abs(fb))
        if not same:
            raise InputError(profile_label(blank), f"{role} geometry: {key}",
                             f"the geometry of the sample {profile_label(sample)} ({key} = {a}); a blank "
                             "from another geometry cannot be subtracted", got=b)
    return compared


def check_same_q(sample: Profile1D, blank: Profile1D, *, role: str = "blank", rtol: float = 1e-6) -> None:
    """Raise :class:`InputError` if ``blank`` is not on the q grid of ``sample``."""
    qs, qb = sample.q_nm, blank.q_nm
    if qs.shape != qb.shape or not np.allclose(qs, qb, rtol=rtol, atol=0.0):
        first_bad = ""
        if qs.shape == qb.shape:
            k = int(np.argmax(~np.isclose(qs, qb, rtol=rtol, atol=0.0)))
            first_bad = f"; first difference at point {k}: {qb[k]:.6g} vs {qs[k]:.6g} 1/nm"
        raise InputError(profile_label(blank), f"{role} q grid",
                         f"the q grid of the sample {profile_label(sample)} ({qs.size} points, "
                         f"{qs[0]:.5g}-{qs[-1]:.5g} 1/nm); reduce both with the same geometry and npt",
                         got=f"{qb.size} points, {qb[0]:.5g}-{qb[-1]:.5g} 1/nm{first_bad}")


def _as_transmission(value, profile: Profile1D) -> Transmission | None:
    if value is None:
        t = profile.sample.transmission
        if t is None:
            return None
        return transmission_given(t, profile.sample.transmission_sigma or 0.0, file=profile_label(profile))
    if isinstance(value, Transmission):
        if not (math.isfinite(value.value) and value.value > 0):  # built without validation
            check_transmission(value.value, file=profile_label(profile))
        return value
    return transmission_given(float(value), file=profile_label(profile))


def per_transmitted_flux(profile: Profile1D, transmission=None, *, role: str = "sample") -> tuple[Profile1D, dict]:
    """Return the curve per transmitted flux (divided by T if it was normalised by I0) and a record.

    Parameters
    ----------
    profile : Profile1D
        A reduced curve.
    transmission : Transmission or float, optional
        Its transmission (else ``profile.sample.transmission``). Required when the curve was
        normalised by the incident monitor; otherwise only validated and recorded.
    role : str
        "sample", "solvent", "empty", "standard": used in messages.

    Raises
    ------
    InputError
        If the curve was normalised by I0 and no transmission is known, or T <= 0.
    """
    norm = normalization_of(profile)
    t = _as_transmission(transmission, profile)
    record: dict[str, Any] = {"normalization": norm or "not recorded (assumed transmitted)",
                              "transmission": None if t is None else t.as_dict()}
    if norm in (NORMALIZATION_INCIDENT, NORMALIZATION_NONE):
        if t is None:
            raise InputError(profile_label(profile), f"{role} transmission",
                             f"a transmission (the curve is normalised by {norm} flux, not the transmitted "
                             "monitor I1, so it "
                             "must be divided by T): give it, or the monitors and an empty beam", got=None)
        out = profile.replace(intensity=profile.intensity / t.value, sigma=profile.sigma / t.value)
        record["divided_by_transmission"] = True
        record["transmission_rel_std"] = t.sigma / t.value
        return out, record
    record["divided_by_transmission"] = False
    # Normalised by the transmitted monitor: T is already inside; its error does not enter.
    record["transmission_rel_std"] = 0.0
    return profile, record


def count_negative(profile: Profile1D) -> tuple[int, int]:
    """Number of points with I < 0, and with I < -2 sigma (significantly negative)."""
    neg = int(np.count_nonzero(profile.intensity < 0))
    sig_neg = int(np.count_nonzero(profile.intensity < -2.0 * profile.sigma))
    return neg, sig_neg


def subtract_blank(
    sample: Profile1D,
    solvent: Profile1D,
    *,
    thickness_mm: float | None,
    empty: Profile1D | None = None,
    displacement: float | None = None,
    sample_transmission=None,
    solvent_transmission=None,
    empty_transmission=None,
    thickness_sigma_mm: float = 0.0,
    calibration=None,
    check_geometry: bool = True,
) -> Profile1D:
    """Subtract the solvent-filled capillary (and optionally the empty one), divide by thickness.

    Parameters
    ----------
    sample : Profile1D
        Reduced sample curve (frame average), shape (n,).
    solvent : Profile1D
        The solvent in the same capillary (or, to get a solvent's own scattering, the empty
        capillary with ``sample`` = the solvent), same q grid.
    thickness_mm : float
        Sample thickness (path length), mm. Required.
    empty : Profile1D, optional
        Empty capillary; needed only with ``displacement`` (see the module docstring).
    displacement : float, optional
        Particle volume fraction phi in [0, 1): the solvent is scaled by ``1 - phi``.
    sample_transmission, solvent_transmission, empty_transmission : Transmission or float, optional
        Transmissions; needed for curves normalised by the incident monitor (else read from
        each profile's ``sample.transmission``).
    thickness_sigma_mm : float, optional
        Standard uncertainty of the thickness (recorded as a systematic scale uncertainty).
    calibration : AbsoluteCalibration, optional
        If given, the result is put on the absolute scale (I in 1/cm) with
        :func:`saxs.absolute.apply_calibration`.
    check_geometry : bool
        Compare the geometry summaries of the blanks with the sample's (default True).

    Returns
    -------
    Profile1D
        Net scattering per cm of sample, shape (n,), unit "arbitrary" (or "1/cm" when calibrated),
        ``sample.thickness_mm`` set; the provenance records the formula, the inputs, the
        transmissions, ``negative_points`` and ``systematic_rel_std``.

    Raises
    ------
    InputError
        Missing or non-positive thickness, q grids that differ, a blank from another geometry,
        curves in different units, a zero/negative transmission, a displacement outside [0, 1).

    Examples
    --------
    >>> q = [0.1, 0.2]
    >>> s = Profile1D(q, [3.0, 2.0], [0.1, 0.1]); b = Profile1D(q, [1.0, 1.0], [0.1, 0.1])
    >>> subtract_blank(s, b, thickness_mm=10.0).intensity.tolist()
    [2.0, 1.0]
    """
    label = profile_label(sample)
    if thickness_mm is None:
        raise InputError(label, "thickness_mm", "the sample thickness in mm (the path length through the "
                         "sample; absolute intensities are per cm of sample)", got=None)
    try:
        d_mm = float(thickness_mm)
    except (TypeError, ValueError):
        raise InputError(label, "thickness_mm", "a thickness in mm", got=thickness_mm) from None
    if not math.isfinite(d_mm) or d_mm <= 0:
        raise InputError(label, "thickness_mm", "a thickness > 0 mm", got=thickness_mm)
    try:
        phi = 0.0 if displacement is None else float(displacement)
    except (TypeError, ValueError):
        raise InputError(label, "displacement", "a particle volume fraction in [0, 1)", got=displacement) from None
    if not (math.isfinite(phi) and 0.0 <= phi < 1.0):
        raise InputError(label, "displacement", "a particle volume fraction in [0, 1)", got=displacement)
    if phi > 0 and empty is None:
        raise InputError(label, "empty", "the empty capillary: with a solvent-displacement factor the "
                         "capillary no longer cancels", got=None)
    roles = [("solvent", solvent)] + ([("empty", empty)] if empty is not None else [])
    geometry_keys: list[str] = []
    for role, blank in roles:
        if blank.intensity_unit != sample.intensity_unit:
            raise InputError(profile_label(blank), f"{role} intensity unit",
                             f"the unit of the sample ({sample.intensity_unit})", got=blank.intensity_unit)
        if check_geometry:  # first: another geometry is the cause of a q-grid mismatch too
            geometry_keys = check_same_geometry(sample, blank, role=role) or geometry_keys
        check_same_q(sample, blank, role=role)
    if sample.intensity_unit == "1/cm":
        # Absolute curves are already per cm of sample: dividing by the thickness again would be wrong.
        raise InputError(label, "intensity unit", "reduced (arbitrary-unit) curves, not yet divided by the "
                         "thickness or put on the absolute scale", got="1/cm")

    s, rec_s = per_transmitted_flux(sample, sample_transmission, role="sample")
    b, rec_b = per_transmitted_flux(solvent, solvent_transmission, role="solvent")
    intensity = s.intensity - (1.0 - phi) * b.intensity
    variance = s.sigma**2 + ((1.0 - phi) * b.sigma) ** 2
    rec_e = None
    if empty is not None and phi > 0:
        e, rec_e = per_transmitted_flux(empty, empty_transmission, role="empty")
        intensity = intensity - phi * e.intensity
        variance = variance + (phi * e.sigma) ** 2
    elif empty is not None:
        rec_e = {"used": False, "reason": "phi = 0: the empty capillary cancels between sample and solvent"}
    d_cm = d_mm / 10.0
    intensity = intensity / d_cm
    sigma = np.sqrt(variance) / d_cm

    systematic = {
        "thickness": abs(float(thickness_sigma_mm)) / d_mm,
        "transmission_sample": rec_s["transmission_rel_std"],
        "transmission_solvent": rec_b["transmission_rel_std"],
    }
    provenance = {
        "subtraction": {
            "formula": "(sample - (1 - phi) * solvent - phi * empty) / thickness_cm",
            "phi": phi,
            "thickness_mm": d_mm,
            "sample": {"file": label, **rec_s},
            "solvent": {"file": profile_label(solvent), **rec_b},
            "empty": None if empty is None else {"file": profile_label(empty), **(rec_e or {})},
            "geometry_checked": geometry_keys,
        },
        "systematic_rel_std": systematic,
    }
    t_s = rec_s["transmission"]
    new_sample = dataclasses.replace(sample.sample, thickness_mm=d_mm,
                                     transmission=None if t_s is None else t_s["value"],
                                     transmission_sigma=None if t_s is None else t_s["sigma"])
    out = sample.replace(intensity=intensity, sigma=sigma, sample=new_sample, provenance=provenance)
    if calibration is not None:
        from .absolute import apply_calibration

        out = apply_calibration(out, calibration)
    neg, sig_neg = count_negative(out)
    if neg:
        log.info("%s: %d of %d subtracted points are negative (%d below -2 sigma)", label, neg, out.n_points, sig_neg)
    return out.replace(provenance={"negative_points": neg, "negative_points_2sigma": sig_neg})


__all__ = [
    "subtract_blank", "per_transmitted_flux", "check_same_q", "check_same_geometry", "geometry_of",
    "normalization_of", "count_negative", "profile_label", "GEOMETRY_TOLERANCES",
]
