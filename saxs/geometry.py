"""Experiment geometry from an ID02 header or a pyFAI PONI file, and the cached pyFAI integrator.

Conventions (DESIGN.md):

* The beam centre is Fit2D style: ``center_x_px`` counts along the fast axis (columns, header
  ``Center_1``), ``center_y_px`` along the slow axis (rows, ``Center_2``), from the outer edge of
  the first pixel, so the first pixel's centre is at 0.5 (pyFAI ``setFit2D``). It is where the
  direct beam meets the detector, and ``distance_mm`` is the sample to beam-centre distance.
* The header's ``PSize_1`` / ``PSize_2`` (m) is the stored (possibly binned) pixel and wins over
  any other pixel size. The real detector is kept when it matches (an Eiger2 4M frame of
  2162 x 2068 pixels of 75 um), so that pyFAI's module-gap mask applies; otherwise a plain
  detector with the header pixel size and the frame shape is used.
* Header detector rotations (``DetectorRotation_1..3``, radians) are mapped to pyFAI as ewoksid02
  does (``ewoksid02/utils/pyfai.py``, ``get_azimuthal_integrator``): ``rot1 = DetectorRotation_2``,
  ``rot2 = DetectorRotation_1``, ``rot3 = DetectorRotation_3``, passed to pyFAI unchanged (so in
  radians, pyFAI's unit), with ``poni1 = Center_2 PSize_2``, ``poni2 = Center_1 PSize_1`` and
  ``dist = SampleDistance``: for a tilted detector the header's centre and distance are the point
  of normal incidence (PONI) and its distance. The geometry summary still gives the Fit2D
  direct-beam centre, computed by pyFAI from those parameters. A PONI file overrides the header.
  The convention is checked in ``tests/id02/test_id02_rotation.py``: a ring drawn at a known q with pyFAI
  given rot1..3 directly lands at that q after reduction from the header keys alone, and the
  swapped mapping (or degrees) would not.

:func:`get_integrator` builds one ``AzimuthalIntegrator`` per distinct :class:`Geometry` and
caches it for the life of the process (one per worker in a cluster).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import InputError
from .id02.header import header_float

#: pyFAI detectors tried when the file names none (ID02's SAXS detector); kept only when the pixel
#: size and the frame shape match (2162 x 2068 pixels of 75 um).
KNOWN_DETECTORS = ("Eiger2_4M",)

#: Header keys of the detector rotations (radians; ID02 / ewoksid02 convention, module docstring).
ROTATION_KEYS = ("DetectorRotation_1", "DetectorRotation_2", "DetectorRotation_3")

#: Relative tolerance when comparing the header pixel size with a known detector's.
_PIXEL_RTOL = 1e-3


@dataclass(frozen=True)
class Geometry:
    """Where the detector is: Fit2D-style description plus, from a PONI file, pyFAI's parameters.

    Attributes
    ----------
    distance_mm : float
        Sample to beam-centre distance, mm.
    center_x_px, center_y_px : float
        Beam centre (direct beam on the detector), pixels, first pixel's centre at 0.5;
        x = fast axis (columns), y = slow axis (rows).
    pixel_x_um, pixel_y_um : float
        Size of a stored pixel along x (columns) and y (rows), micrometres.
    wavelength_nm : float
        X-ray wavelength, nm.
    shape : tuple of int
        Frame shape ``(ny, nx)``.
    detector : str
        pyFAI detector name (``"Eiger2_4M"``) or ``"Detector"`` for a plain pixel grid.
    tilt_deg, tilt_plane_rotation_deg : float
        Fit2D detector tilt and tilt-plane rotation, degrees (0 from a header).
    poni : tuple of float or None
        pyFAI parameters ``(dist_m, poni1_m, poni2_m, rot1_rad, rot2_rad, rot3_rad)`` when the
        geometry comes from a PONI file (then they define the integrator exactly); else None.
    source : str
        Where the geometry came from (``"header of run.h5"`` or ``"poni calib.poni"``). Not
        compared: two files with the same geometry share one cached integrator.
    orientation : int
        pyFAI detector orientation: 3 (pyFAI's default, "BottomRight") for a header geometry, which
        matches the Fit2D-style beam centre; a PONI file may give another.
    """

    distance_mm: float
    center_x_px: float
    center_y_px: float
    pixel_x_um: float
    pixel_y_um: float
    wavelength_nm: float
    shape: tuple[int, int]
    detector: str = "Detector"
    tilt_deg: float = 0.0
    tilt_plane_rotation_deg: float = 0.0
    poni: tuple[float, ...] | None = None
    source: str = field(default="", compare=False)  # not part of equality: files share integrators
    orientation: int = 3

    @classmethod
    def from_header(cls, header: Mapping[str, str], shape, file, *, detector_hint: str | None = None) -> "Geometry":
        """Geometry from an ID02 header (Fit2D style; rotations mapped as ewoksid02 does).

        Parameters
        ----------
        header : mapping str -> str
            Decoded header with ``Center_1``, ``Center_2`` (px), ``PSize_1``, ``PSize_2`` (m),
            ``SampleDistance`` (m), ``WaveLength`` (m), optional ``DetectorRotation_1..3`` (rad).
        shape : tuple of int
            Frame shape ``(ny, nx)``.
        file : str or os.PathLike
            The raw file, named in errors.
        detector_hint : str, optional
            Detector name the file gives (e.g. the LIMA group ``"eiger2_4m"``).

        Raises
        ------
        InputError
            Missing or non-numeric key, non-positive distance/pixel/wavelength, a rotation beyond
            pi/2 in magnitude (not radians).
        """
        rotations = {}
        for key in ROTATION_KEYS:
            rotations[key] = header_float(header, key, file, default=0.0)
            if abs(rotations[key]) >= math.pi / 2:
                raise InputError(file, key, "a detector rotation in radians, |value| < pi/2", got=header[key])
        values = {}
        for key in ("Center_1", "Center_2", "PSize_1", "PSize_2", "SampleDistance", "WaveLength"):
            values[key] = header_float(header, key, file)
        for key in ("PSize_1", "PSize_2", "SampleDistance", "WaveLength"):
            if values[key] <= 0:
                raise InputError(file, key, "a positive number (SI units: m)", got=header[key])
        shape = (int(shape[0]), int(shape[1]))
        pixel_x_um = values["PSize_1"] * 1e6
        pixel_y_um = values["PSize_2"] * 1e6
        if any(abs(v) > 0 for v in rotations.values()):
            params = (values["SampleDistance"], values["Center_2"] * values["PSize_2"],
                      values["Center_1"] * values["PSize_1"], rotations["DetectorRotation_2"],
                      rotations["DetectorRotation_1"], rotations["DetectorRotation_3"])
            return cls._from_pyfai(params, pixel_x_um=pixel_x_um, pixel_y_um=pixel_y_um,
                                   wavelength_nm=values["WaveLength"] * 1e9, shape=shape,
                                   detector=_pick_detector(detector_hint, pixel_x_um, pixel_y_um, shape),
                                   source=f"header of {Path(file).name} (DetectorRotation_1..3)", orientation=3)
        return cls(
            distance_mm=values["SampleDistance"] * 1e3,
            center_x_px=values["Center_1"],
            center_y_px=values["Center_2"],
            pixel_x_um=pixel_x_um,
            pixel_y_um=pixel_y_um,
            wavelength_nm=values["WaveLength"] * 1e9,
            shape=shape,
            detector=_pick_detector(detector_hint, pixel_x_um, pixel_y_um, shape),
            source=f"header of {Path(file).name}",
        )

    @classmethod
    def from_poni(cls, path, *, wavelength_nm: float | None = None) -> "Geometry":
        """Geometry from a pyFAI PONI file (version 2.1; tilts honoured).

        Parameters
        ----------
        path : str or os.PathLike
            The PONI file.
        wavelength_nm : float, optional
            Used when the PONI file has no wavelength.

        Raises
        ------
        InputError
            If the file cannot be read or has no detector shape, pixel size or wavelength.
        """
        from pyFAI.io.ponifile import PoniFile

        path = Path(path)
        if not path.is_file():
            raise InputError(path, "file", "an existing PONI file", got="no such file")
        try:
            poni = PoniFile(str(path))
        except Exception as exc:
            raise InputError(path, "file", "a pyFAI PONI file", got=" ".join(str(exc).split())[:160]) from exc
        det = poni.detector
        if det is None or det.pixel1 is None or det.pixel2 is None:
            raise InputError(path, "Detector_config", "a detector with pixel sizes")
        if det.max_shape is None:
            raise InputError(path, "Detector_config", "a detector with a max_shape (frame size)")
        wavelength_m = poni.wavelength
        if wavelength_m is None:
            if wavelength_nm is None:
                raise InputError(path, "Wavelength", "a wavelength in m", got="missing")
            wavelength_m = wavelength_nm * 1e-9
        shape = (int(det.max_shape[0]), int(det.max_shape[1]))
        name = _pick_detector(type(det).__name__, float(det.pixel2) * 1e6, float(det.pixel1) * 1e6, shape)
        orientation = int(getattr(det, "orientation", 3) or 3)  # 0 = unspecified = pyFAI's default, 3
        params = tuple(float(v) for v in (poni.dist, poni.poni1, poni.poni2, poni.rot1, poni.rot2, poni.rot3))
        return cls._from_pyfai(params, pixel_x_um=float(det.pixel2) * 1e6, pixel_y_um=float(det.pixel1) * 1e6,
                               wavelength_nm=float(wavelength_m) * 1e9, shape=shape, detector=name,
                               source=f"poni {path.name}", orientation=orientation)

    @classmethod
    def _from_pyfai(cls, params, *, pixel_x_um, pixel_y_um, wavelength_nm, shape, detector, source,
                    orientation) -> "Geometry":
        """Geometry from pyFAI parameters (dist, poni1, poni2 in m; rot1..3 in rad), with its Fit2D summary."""
        base = cls(distance_mm=params[0] * 1e3, center_x_px=0.0, center_y_px=0.0,
                   pixel_x_um=pixel_x_um, pixel_y_um=pixel_y_um, wavelength_nm=wavelength_nm, shape=shape,
                   detector=detector, poni=tuple(float(v) for v in params), source=source, orientation=orientation)
        fit2d = _build_integrator(base).getFit2D()
        return dataclasses.replace(
            base, distance_mm=float(fit2d["directDist"]), center_x_px=float(fit2d["centerX"]),
            center_y_px=float(fit2d["centerY"]), tilt_deg=float(fit2d["tilt"]),
            tilt_plane_rotation_deg=float(fit2d["tiltPlanRotation"]))

    def summary(self) -> dict[str, Any]:
        """Plain-value summary for provenance: Fit2D beam centre and sample to beam-centre distance.

        Returns
        -------
        dict
            ``distance_mm``, ``center_x_px``, ``center_y_px``, ``pixel_x_um``, ``pixel_y_um``,
            ``wavelength_nm``, ``detector``, ``shape``, ``tilt_deg``, ``tilt_plane_rotation_deg``,
            ``source`` and, from a PONI file, ``poni`` (dist, poni1, poni2 in m; rot1..3 in rad).
        """
        out = asdict(self)
        out["shape"] = list(self.shape)
        if self.poni is None:
            out.pop("poni")
        else:
            out["poni"] = dict(zip(("dist_m", "poni1_m", "poni2_m", "rot1_rad", "rot2_rad", "rot3_rad"), self.poni))
        return out

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> "Geometry":
        """Rebuild a geometry from :meth:`summary` (e.g. read back from a reduced file)."""
        poni = summary.get("poni")
        if isinstance(poni, Mapping):
            poni = tuple(float(poni[k]) for k in ("dist_m", "poni1_m", "poni2_m", "rot1_rad", "rot2_rad", "rot3_rad"))
        return cls(
            distance_mm=float(summary["distance_mm"]), center_x_px=float(summary["center_x_px"]),
            center_y_px=float(summary["center_y_px"]), pixel_x_um=float(summary["pixel_x_um"]),
            pixel_y_um=float(summary["pixel_y_um"]), wavelength_nm=float(summary["wavelength_nm"]),
            shape=tuple(int(n) for n in summary["shape"]), detector=str(summary.get("detector", "Detector")),
            tilt_deg=float(summary.get("tilt_deg", 0.0)),
            tilt_plane_rotation_deg=float(summary.get("tilt_plane_rotation_deg", 0.0)),
            poni=poni, source=str(summary.get("source", "")), orientation=int(summary.get("orientation", 3)),
        )


def _known_detector(name: str | None, orientation: int = 3):
    """A fresh pyFAI detector instance for ``name`` if pyFAI knows it (no log noise), else None."""
    if not name or name.lower() == "detector":
        return None
    from pyFAI.detectors import ALL_DETECTORS

    cls = ALL_DETECTORS.get(name.lower())
    return None if cls is None else cls(orientation=orientation)


def _matches(detector, pixel_x_um: float, pixel_y_um: float, shape) -> bool:
    return (detector is not None and detector.shape is not None and tuple(detector.shape) == tuple(shape)
            and math.isclose(detector.pixel2 * 1e6, pixel_x_um, rel_tol=_PIXEL_RTOL)
            and math.isclose(detector.pixel1 * 1e6, pixel_y_um, rel_tol=_PIXEL_RTOL))


def _pick_detector(hint: str | None, pixel_x_um: float, pixel_y_um: float, shape) -> str:
    """The pyFAI detector to keep (so that its gap mask applies), or ``"Detector"`` (plain grid).

    The file's detector name (``hint``) or a known detector (:data:`KNOWN_DETECTORS`) is kept only
    when its pixel size and shape are those of the header and the frame (binned frames get a
    plain grid with the header pixel size).
    """
    candidates = [hint, *KNOWN_DETECTORS]
    for name in candidates:
        detector = _known_detector(name)
        if _matches(detector, pixel_x_um, pixel_y_um, shape):
            return type(detector).__name__
    return "Detector"


def make_detector(geometry: Geometry):
    """The pyFAI detector for ``geometry`` (header pixel size and frame shape always win)."""
    from pyFAI.detectors import Detector

    detector = _known_detector(geometry.detector, geometry.orientation)
    if _matches(detector, geometry.pixel_x_um, geometry.pixel_y_um, geometry.shape):
        return detector
    return Detector(pixel1=geometry.pixel_y_um * 1e-6, pixel2=geometry.pixel_x_um * 1e-6,
                    max_shape=tuple(geometry.shape), orientation=geometry.orientation)


def _build_integrator(geometry: Geometry):
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    detector = make_detector(geometry)
    if geometry.poni is not None:
        dist, poni1, poni2, rot1, rot2, rot3 = geometry.poni
        ai = AzimuthalIntegrator(dist=dist, poni1=poni1, poni2=poni2, rot1=rot1, rot2=rot2, rot3=rot3,
                                 detector=detector, wavelength=geometry.wavelength_nm * 1e-9)
        return ai
    ai = AzimuthalIntegrator(detector=detector)
    ai.setFit2D(geometry.distance_mm, geometry.center_x_px, geometry.center_y_px,
                tilt=geometry.tilt_deg, tiltPlanRotation=geometry.tilt_plane_rotation_deg,
                pixelX=geometry.pixel_x_um, pixelY=geometry.pixel_y_um)
    ai.wavelength = geometry.wavelength_nm * 1e-9
    return ai


@functools.lru_cache(maxsize=16)
def get_integrator(geometry: Geometry):
    """The pyFAI ``AzimuthalIntegrator`` for ``geometry``, built once per process and reused.

    Parameters
    ----------
    geometry : Geometry
        Hashable (frozen) geometry; equal geometries share one integrator.

    Returns
    -------
    pyFAI.integrator.azimuthal.AzimuthalIntegrator
        Do not change its geometry: it is shared.
    """
    return _build_integrator(geometry)


__all__ = ["Geometry", "get_integrator", "make_detector", "KNOWN_DETECTORS", "ROTATION_KEYS"]
