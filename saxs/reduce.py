"""Reduce one raw file: frames -> corrected, integrated I(q) per frame -> average -> NXcanSAS.

Intensity convention (every profile made here, ``intensity_unit == "arbitrary"``)::

    I(q) = (counts - dark) / (solid_angle_sr * polarisation * flat * monitor) * NormalizationFactor

summed per q bin as in :mod:`saxs.integrate` (signal, variance and normalisation kept apart
until the end). ``solid_angle_sr`` is the absolute pixel solid angle (sr), ``monitor`` the
transmitted-flux monitor ``I1`` of the frame by default (``normalize="i0"``: incident flux;
``"none"``: 1). So I is "counts per steradian per monitor count" times ``NormalizationFactor``
(header value, 1 when absent): ID02's own normalisation
``I = (raw - dark) NormalizationFactor / (M Omega_abs P flat)`` (ewoksid02 ``norm``).

The monitor M is the per-frame value of the counter that the header's ``HSI1`` names (a pin
number or a counter name), read from the master file's ``measurement/`` or the LIMA file's scalers
file, as recorded: **neither ``HSI1Factor`` nor the shutter correction ``(t - SOT + SCT)/(t - SOT)``
is applied**, as in ewoksid02's ``norm`` step, so that our curves and the beamline's agree; both
are copied to the provenance (``header_HSI1Factor``, ``header_ShutterOpeningTime``...) with
``monitor_definition``. A file whose monitor cannot be found is an error naming the raw file, the
key and the companion file looked for, unless ``no_monitor`` is set: then it is divided by the
exposure time only (counts per sr per second), which is logged as a warning and recorded as
``provenance["normalization"] == "exposure only (no monitor values)"``. The Poisson variance of
the raw counts (plus that of the dark estimate) is propagated through the same normalisation.

The frame average is the plain mean of the per-frame curves; its uncertainty is the
propagated one (``average_uncertainty="poisson"``) or the larger of that and the frame scatter
(``"max"``), see :mod:`saxs.average`.

Output layout: :mod:`saxs.reduced_file` (:func:`write_reduced`, :func:`read_reduced`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .average import UNCERTAINTY_RULES, average_profiles
from .errors import InputError
from .id02 import header_float, open_raw
from .id02.base import MONITOR_DEFINITION
from .geometry import Geometry
from . import defaults
from .integrate import DARK_STATISTICS, DEFAULT_METHOD, Corrections, integrate_frame, load_static
from .normalization import EXPOSURE_ONLY, frame_divisors, frame_monitors
from .profile import Profile1D, SampleInfo
from .reduced_file import (AVERAGE_ENTRY, FILE_PROVENANCE_LINK, FRAME_KEYS, SERIES_ENTRY, ReducedData,
                           frame_entry_name, read_reduced, write_reduced)

log = logging.getLogger(__name__)

#: Meaning of the reduced intensity, recorded in every profile's provenance.
INTENSITY_MEANING = ("(counts - dark) / (absolute pixel solid angle [sr] x polarisation x flat x monitor) "
                     "x NormalizationFactor, summed per q bin")

#: Default polarisation factor of the horizontally polarised ID02 beam.
DEFAULT_POLARIZATION = 0.99


NORMALIZE_CHOICES = ("i1", "i0", "none")

#: Header keys naming the mask / dark / flat files the acquisition used (recorded, not applied).
HEADER_FILE_KEYS = ("MaskFileName", "DarkFileName", "FlatfieldFileName")

#: Header keys recorded in the provenance but not applied (see the module docstring).
HEADER_RECORDED_KEYS = ("HSI0", "HSI1", "HSTime", "HSI0Factor", "HSI1Factor", "ShutterOpeningTime",
                        "ShutterClosingTime", "DetectorRotation_1", "DetectorRotation_2", "DetectorRotation_3",
                        "BSize_1", "BSize_2")


@dataclass(frozen=True)
class ReductionOptions:
    """How to reduce raw files (shared by every file of a run).

    Attributes
    ----------
    poni : Path or None
        pyFAI PONI file; overrides the header geometry.
    mask : Path or None
        Mask image (EDF/TIFF/.npy; nonzero = masked), frame shape.
    dark : Path or None
        Dark stack (raw file, median over its frames) or a ``.npy`` image.
    flat : Path or None
        Flat-field image (relative efficiency, divided out).
    npt : int
        Number of q bins.
    polarization_factor : float or None
        pyFAI polarisation factor; None -> header ``polarization_factor`` or 0.99.
    normalize : {"i1", "i0", "none"}
        Monitor to divide by (transmitted flux by default).
    i0, i1 : float or tuple of float or None
        Explicit monitor values (one for all frames, or one per frame) replacing the scalers.
    normalization_factor : float or None
        Replaces the header ``NormalizationFactor`` (1 when both are absent).
    method : tuple of str
        pyFAI method (splitting, algorithm, implementation).
    average_uncertainty : {"poisson", "max"}
        Uncertainty rule of the frame average.
    dark_statistic : {"median", "clipped_mean"}
        Per-pixel statistic of the dark stack (the median is biased low for darks of a few
        counts; see :func:`saxs.integrate.read_dark`).
    scalers : Path or None
        Scalers file of a LIMA file (default: ``<name>_scalers_<scan>_<sub>.h5`` beside it).
    no_monitor : bool
        Do not look for monitors: divide by the exposure time only (unnormalised by flux).
    """

    poni: Path | None = None
    mask: Path | None = None
    dark: Path | None = None
    flat: Path | None = None
    npt: int = defaults.NPT
    polarization_factor: float | None = None
    normalize: str = "i1"
    i0: float | tuple[float, ...] | None = None
    i1: float | tuple[float, ...] | None = None
    normalization_factor: float | None = None
    method: tuple[str, str, str] = DEFAULT_METHOD
    average_uncertainty: str = "poisson"
    dark_statistic: str = defaults.DARK_STATISTIC
    scalers: Path | None = None
    no_monitor: bool = False

    def __post_init__(self):
        for name in ("poni", "mask", "dark", "flat", "scalers"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        if isinstance(self.npt, bool) or not isinstance(self.npt, (int, np.integer)) or self.npt < 2:
            raise InputError(None, "npt", "an integer >= 2", got=self.npt)
        if self.normalize not in NORMALIZE_CHOICES:
            raise InputError(None, "normalize", f"one of {', '.join(NORMALIZE_CHOICES)}", got=self.normalize)
        if self.average_uncertainty not in UNCERTAINTY_RULES:
            raise InputError(None, "average_uncertainty", f"one of {', '.join(UNCERTAINTY_RULES)}",
                             got=self.average_uncertainty)
        if self.dark_statistic not in DARK_STATISTICS:
            raise InputError(None, "dark_statistic", f"one of {', '.join(DARK_STATISTICS)}", got=self.dark_statistic)
        if self.polarization_factor is not None and not -1.0 <= self.polarization_factor <= 1.0:
            raise InputError(None, "polarization_factor", "a number in [-1, 1]", got=self.polarization_factor)
        if self.normalization_factor is not None and not (math.isfinite(self.normalization_factor)
                                                          and self.normalization_factor > 0):
            raise InputError(None, "normalization_factor", "a positive number", got=self.normalization_factor)
        for name in ("i0", "i1"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
            if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
                raise InputError(None, name, "positive monitor values", got=value)
            object.__setattr__(self, name, float(arr[0]) if arr.size == 1 else tuple(float(v) for v in arr))
        object.__setattr__(self, "method", tuple(self.method))


def _corrections(raw, geometry: Geometry, options: ReductionOptions, file_prov: dict,
                 warnings: list[str]) -> Corrections:
    header = raw.header
    binning = raw.binning
    static = load_static(geometry, mask_file=options.mask, flat_file=options.flat, dark_file=options.dark,
                         dark_statistic=options.dark_statistic, binning=binning)
    stack = static.dark_stack
    if stack is not None:
        dark_exposure = stack.exposure_s
        file_prov.update(dark_file=str(options.dark), dark_frames=stack.n_frames, dark_statistic=stack.statistic,
                         dark_exposure_s=dark_exposure, dark_invalid_pixels=static.dark_invalid_count)
        exposures = raw.exposure_s()
        exposure = float(np.nanmean(exposures)) if np.isfinite(exposures).any() else None
        if exposure is not None and np.isfinite(dark_exposure) and not math.isclose(exposure, dark_exposure,
                                                                                      rel_tol=0.01):
            message = (f"{raw.path}: exposure time {exposure:g} s differs from the dark's ({options.dark}: "
                       f"{dark_exposure:g} s); the dark is subtracted unscaled")
            log.warning(message)
            warnings.append(message)
    if options.flat is not None:
        file_prov["flat_file"] = str(options.flat)
    file_prov["binning"] = list(binning)
    if static.static_masked_count == static.mask.size:
        raise InputError(options.mask or options.flat or raw.path, "mask", "at least one unmasked pixel",
                         got="every pixel masked")
    if options.mask is not None:
        file_prov["mask_file"] = str(options.mask)
    if options.polarization_factor is not None:
        pol = options.polarization_factor
    else:
        pol = header_float(header, "polarization_factor", raw.path, default=DEFAULT_POLARIZATION)
        if not -1.0 <= pol <= 1.0:
            raise InputError(raw.path, "polarization_factor", "a number in [-1, 1]", got=header["polarization_factor"])
    dummy = header_float(header, "Dummy", raw.path, default=0.0)
    ddummy = header_float(header, "DDummy", raw.path, default=0.0)
    file_prov.update(polarization_factor=pol, dummy=dummy, ddummy=ddummy,
                     saturation_value=raw.saturation_value, static_masked_pixels=static.static_masked_count)
    return Corrections(static=static, polarization_factor=pol, dummy=dummy, delta_dummy=ddummy,
                       saturation_value=raw.saturation_value, npt=int(options.npt), method=options.method)


def _geometry(raw, options: ReductionOptions) -> Geometry:
    if options.poni is None:
        return Geometry.from_header(raw.header, raw.shape, raw.path, detector_hint=raw.detector_hint)
    wavelength = header_float(raw.header, "WaveLength", raw.path, required=False)
    geometry = Geometry.from_poni(options.poni, wavelength_nm=None if wavelength is None else wavelength * 1e9)
    if tuple(geometry.shape) != tuple(raw.shape):
        raise InputError(options.poni, "Detector_config", f"a detector of the frame shape {raw.shape} of {raw.path}",
                         got=geometry.shape)
    return geometry


def reduce_file(path, options: ReductionOptions | None = None, *, scan: int | None = None) -> ReducedData:
    """Reduce every frame of one raw file (or one scan of a master file) and average them.

    Parameters
    ----------
    path : str or os.PathLike
        BLISS master file, LIMA HDF5 or EDF file.
    options : ReductionOptions, optional
        Defaults: header geometry, no dark/flat/mask file, 1000 bins, I1 normalisation.
    scan : int, optional
        Scan of a master file (required when it has more than one).

    Returns
    -------
    ReducedData
        Per-frame curves, their average, monitors, geometry, warnings and provenance.

    Raises
    ------
    InputError
        Bad input, naming the file and the key (missing header key, mask of the wrong shape...).
    """
    import pyFAI

    options = options or ReductionOptions()
    path = Path(path)
    warnings: list[str] = []
    with open_raw(path, scan=scan, scalers=options.scalers) as raw:
        geometry = _geometry(raw, options)
        monitors = frame_monitors(raw, options)
        divisors, norm_label = frame_divisors(raw.path, monitors, options, warnings)
        if options.normalization_factor is not None:
            nf = options.normalization_factor
        else:
            nf = header_float(raw.header, "NormalizationFactor", raw.path, default=1.0)
            if nf <= 0:
                raise InputError(raw.path, "NormalizationFactor", "a positive number",
                                 got=raw.header["NormalizationFactor"])
        file_prov: dict[str, Any] = {
            "input_file": str(path), "input_format": raw.format, "n_frames": raw.n_frames, "scan": raw.scan,
            "companion_files": [str(p) for p in raw.companions] or None,
            "monitor_definition": MONITOR_DEFINITION if monitors.i1 is not None else None,
            "title": raw.header.get("Title", ""),
            "geometry": geometry.summary(), "distance_mm": geometry.distance_mm,
            "wavelength_nm": geometry.wavelength_nm, "detector": geometry.detector,
            "geometry_source": geometry.source,
            "normalization": norm_label, "normalization_factor": nf, "monitor_source": monitors.source,
            "solid_angle": "absolute, sr (pyFAI solidAngleArray(absolute=True))",
            "error_model": "poisson (raw counts + dark variance)", "method": list(options.method),
            "npt": int(options.npt), "q_unit": "1/nm", "intensity_unit": "arbitrary",
            "intensity_meaning": INTENSITY_MEANING, "software": "saxs-insitu", "software_version": __version__,
            "pyfai_version": pyFAI.version,
        }
        for key in HEADER_FILE_KEYS + HEADER_RECORDED_KEYS:  # for the record only
            if key in raw.header:
                file_prov[f"header_{key}"] = raw.header[key]
        corrections = _corrections(raw, geometry, options, file_prov, warnings)
        results = []
        skipped = []
        for index in range(raw.n_frames):
            divisor = float(divisors[index]) / nf
            if not (math.isfinite(divisor) and divisor > 0):
                skipped.append(index)
                continue
            results.append((index, divisor, integrate_frame(raw.stored_frame(index), corrections, normalization=divisor)))
    if skipped:
        message = (f"{path}: {len(skipped)} frame(s) skipped for a non-positive or missing monitor value "
                   f"({norm_label}): {skipped[:10]}{'...' if len(skipped) > 10 else ''}")
        log.warning(message)
        warnings.append(message)
    if not results:
        raise InputError(path, "monitors", f"at least one frame with a positive monitor ({norm_label})",
                         got="none")
    valid = np.logical_and.reduce([r.valid for _, _, r in results])
    if not valid.any():
        raise InputError(path, "mask", "at least one q bin with unmasked pixels", got="none")
    file_prov["warnings"] = list(warnings)
    file_prov["skipped_frames"] = skipped
    sample = SampleInfo(name=file_prov["title"] or path.stem)

    def _monitor_values(index: int) -> dict[str, Any]:
        return {
            "i0": None if monitors.i0 is None else float(monitors.i0[index]),
            "i1": None if monitors.i1 is None else float(monitors.i1[index]),
            "exposure_s": float(monitors.exposure_s[index]),
        }

    frames = []
    for index, divisor, r in results:
        prov = dict(file_prov)
        prov.update(_monitor_values(index))
        prov.update(frame_index=index, divisor=divisor, masked_pixels=r.n_masked)
        frames.append(Profile1D(q_nm=r.q_nm[valid], intensity=r.intensity[valid], sigma=r.sigma[valid],
                                intensity_unit="arbitrary", sample=sample, provenance=prov))
    used = [index for index, _, _ in results]

    def _mean(values):
        return None if values is None else float(np.mean(np.asarray(values)[used]))

    avg_prov = dict(file_prov)
    avg_prov.update(i0=_mean(monitors.i0), i1=_mean(monitors.i1), exposure_s=_mean(monitors.exposure_s),
                    frame_index="average", frames_averaged=used)
    average = average_profiles(frames, uncertainty=options.average_uncertainty, provenance=avg_prov)
    return ReducedData(path=path, frames=tuple(frames), average=average, frames_used=len(frames),
                       n_frames=int(file_prov["n_frames"]), monitors=monitors, geometry=geometry,
                       warnings=tuple(warnings), provenance=file_prov)


def default_output_name(raw_path, *, scan: int | None = None) -> str:
    """Name of the reduced file of ``raw_path`` (``<stem>_reduced.h5``; ``<stem>_scan<N>_reduced.h5``
    for scan N of a master file)."""
    stem = Path(raw_path).stem
    return f"{stem}_reduced.h5" if scan is None else f"{stem}_scan{int(scan)}_reduced.h5"


__all__ = ["ReductionOptions", "ReducedData", "reduce_file", "write_reduced", "read_reduced",
           "default_output_name", "frame_entry_name", "INTENSITY_MEANING", "EXPOSURE_ONLY", "AVERAGE_ENTRY",
           "SERIES_ENTRY", "FILE_PROVENANCE_LINK", "FRAME_KEYS", "NORMALIZE_CHOICES"]
