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

Output layout (:func:`write_reduced`): NXcanSAS with one SASentry per frame (``frame0000``...),
one ``average`` SASentry that the root ``@default`` points at, and an NXentry ``series`` with an
NXdata ``I(t, q)`` (``I``, ``Idev`` / ``I_errors``, ``Q``, ``t``) plus the per-frame monitors.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from . import __version__
from .average import UNCERTAINTY_RULES, average_profiles
from .errors import InputError
from .id02 import Monitors, header_float, open_raw
from .id02.base import MONITOR_DEFINITION
from .geometry import Geometry
from . import defaults
from .integrate import (DARK_STATISTICS, DEFAULT_METHOD, Corrections, integrate_frame, load_dark, load_flat,
                        static_mask)
from .normalization import EXPOSURE_ONLY, frame_divisors, frame_monitors
from .profile import Profile1D, SampleInfo

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


@dataclass(frozen=True)
class ReducedData:
    """The reduction of one raw file.

    Attributes
    ----------
    path : Path
        The raw file.
    frames : tuple of Profile1D
        One curve per frame used (same q grid), in frame order.
    average : Profile1D
        Mean of ``frames``.
    frames_used : int
        Frames in the average.
    n_frames : int
        Frames in the raw file.
    monitors : Monitors
        Monitors and exposure times of all frames of the raw file.
    geometry : Geometry
        Geometry used.
    warnings : tuple of str
        What the user should know (missing monitors, frames skipped...).
    provenance : Mapping
        File-level provenance (options, corrections, software).
    """

    path: Path
    frames: tuple[Profile1D, ...]
    average: Profile1D
    frames_used: int
    n_frames: int
    monitors: Monitors
    geometry: Geometry
    warnings: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "frames", tuple(self.frames))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))


def _corrections(raw, geometry: Geometry, options: ReductionOptions, file_prov: dict,
                 warnings: list[str]) -> Corrections:
    header = raw.header
    binning = raw.binning
    dark = dark_variance = dark_invalid = flat = None
    if options.dark is not None:
        stack = load_dark(options.dark, geometry.shape, options.dark_statistic, binning)
        dark, dark_variance, dark_invalid, dark_exposure = stack.dark, stack.variance, stack.invalid, stack.exposure_s
        file_prov.update(dark_file=str(options.dark), dark_frames=stack.n_frames, dark_statistic=stack.statistic,
                         dark_exposure_s=dark_exposure, dark_invalid_pixels=int(dark_invalid.sum()))
        exposures = raw.exposure_s()
        exposure = float(np.nanmean(exposures)) if np.isfinite(exposures).any() else None
        if exposure is not None and np.isfinite(dark_exposure) and not math.isclose(exposure, dark_exposure,
                                                                                      rel_tol=0.01):
            message = (f"{raw.path}: exposure time {exposure:g} s differs from the dark's ({options.dark}: "
                       f"{dark_exposure:g} s); the dark is subtracted unscaled")
            log.warning(message)
            warnings.append(message)
    if options.flat is not None:
        flat = load_flat(options.flat, geometry.shape, binning)
        file_prov["flat_file"] = str(options.flat)
    mask = static_mask(geometry, mask_file=options.mask, flat=flat, dark_invalid=dark_invalid, binning=binning)
    file_prov["binning"] = list(binning)
    if mask.all():
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
                     saturation_value=raw.saturation_value, static_masked_pixels=int(mask.sum()))
    return Corrections(geometry=geometry, mask=mask, dark=dark, dark_variance=dark_variance, flat=flat,
                       polarization_factor=pol, dummy=dummy, delta_dummy=ddummy,
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


def frame_entry_name(index: int) -> str:
    """SASentry name of frame ``index`` in a reduced file."""
    return f"frame{index:04d}"


AVERAGE_ENTRY = "average"
SERIES_ENTRY = "series"
#: Name, in a frame's ``sasprocess``, of the link to the file's provenance (``series/provenance``).
FILE_PROVENANCE_LINK = "file_provenance"


def write_reduced(reduced: ReducedData, out_path) -> Path:
    """Write a reduction as NXcanSAS (atomically; layout in the module docstring).

    The file's provenance is written once, in ``series/provenance``; each frame's SASentry keeps
    in ``sasprocess/provenance`` only the values that differ from it (:data:`FRAME_KEYS` for a
    reduction from :func:`reduce_file`) and reaches the rest through the NeXus link
    ``sasprocess/file_provenance`` (a hard link to ``series/provenance``, ``@target`` set). The
    ``average`` SASentry, the one a viewer or another program opens, keeps its full provenance.
    This keeps a 20-frame file at about 500 HDF5 datasets instead of about 2400 (each costs h5py
    about 0.3-0.5 ms to create).

    Parameters
    ----------
    reduced : ReducedData
        From :func:`reduce_file` or :func:`read_reduced`.
    out_path : str or os.PathLike
        Output ``.h5`` file.

    Returns
    -------
    Path
        The written file.
    """
    from .nxcansas import write_nxcansas, write_sasentry

    shared = {k: v for k, v in reduced.provenance.items() if k not in _FILE_ONLY_KEYS}

    def extra(f):
        file_prov = _write_series_entry(f, reduced)["provenance"]
        file_prov.attrs["target"] = file_prov.name  # NeXus link convention: the linked group names its origin
        for k, profile in enumerate(reduced.frames):
            own = _own_values(profile.provenance, shared)
            entry = write_sasentry(f, frame_entry_name(_frame_index(profile, k)), profile,
                                   provenance=profile.provenance if own is None else own,
                                   like=(f[AVERAGE_ENTRY], reduced.average))
            if own is not None:
                entry["sasprocess"][FILE_PROVENANCE_LINK] = file_prov

    return write_nxcansas(out_path, [(AVERAGE_ENTRY, reduced.average)], default=AVERAGE_ENTRY, extra=extra)


def _write_series_entry(f, reduced: ReducedData):
    """The NXentry ``series``: the NXdata I(t, q), the monitors of every frame, the file's provenance."""
    from .nxcansas import write_series_nxdata, write_value

    entry = f.create_group(SERIES_ENTRY)
    entry.attrs["NX_class"] = "NXentry"
    entry.attrs["default"] = "frames"
    # No `title`/`run`/`definition` fields here: SasView's loader would copy them onto the
    # SASentry it read last. The description goes in an attribute instead.
    entry.attrs["description"] = f"I(t, q) per frame of {reduced.path.name}"
    indices = np.array([_frame_index(p, k) for k, p in enumerate(reduced.frames)], dtype=np.int64)
    exposure = reduced.monitors.exposure_s
    if exposure.size and np.all(np.isfinite(exposure)):
        t = np.concatenate([[0.0], np.cumsum(exposure)[:-1]])[indices]
        t_units, t_name = "s", "frame start time from the exposure times (s)"
    else:
        t, t_units, t_name = indices.astype(np.float64), None, "frame index"
    data = write_series_nxdata(entry, "frames", reduced.average.q_nm,
                               np.stack([p.intensity for p in reduced.frames]),
                               np.stack([p.sigma for p in reduced.frames]), t,
                               intensity_unit=reduced.average.intensity_unit, t_units=t_units,
                               t_long_name=t_name)
    data.create_dataset("frame_index", data=indices)
    mon = entry.create_group("monitors")
    mon.attrs["NX_class"] = "NXcollection"
    write_value(mon, "source", reduced.monitors.source)
    for name in ("i0", "i1", "exposure_s"):
        value = getattr(reduced.monitors, name)
        if value is not None:
            mon.create_dataset(name, data=np.asarray(value))
    prov = entry.create_group("provenance")
    prov.attrs["NX_class"] = "NXcollection"
    values = dict(reduced.provenance)
    values.update(input_path=str(reduced.path), frames_used=reduced.frames_used,
                  warnings_all=list(reduced.warnings) or None)
    for key, value in values.items():
        write_value(prov, key, value)
    return entry


def _own_values(provenance: Mapping[str, Any], shared: Mapping[str, Any]) -> dict[str, Any] | None:
    """The entries of a frame's ``provenance`` that differ from the file's (``shared``), or None when
    the frame lacks a key of the file's (then the frame's provenance is written whole, unlinked)."""
    if any(key not in provenance for key in shared):
        return None
    return {k: v for k, v in provenance.items() if k not in shared or not _same(v, shared[k])}


def _same(a, b) -> bool:
    """Equal values of the same types (so that they are written as the same HDF5 datasets)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _frame_index(profile: Profile1D, fallback: int) -> int:
    value = profile.provenance.get("frame_index", fallback)
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback


def read_reduced(path) -> ReducedData:
    """Read a file written by :func:`write_reduced` back into a :class:`ReducedData`.

    The profiles' provenance is what was written (``input_file`` is the raw file), plus
    ``reduced_file`` and ``reduced_entry``.

    Raises
    ------
    InputError
        If the file is not a reduced file of this layout.
    """
    import h5py

    from .nxcansas import read_collection, list_entries

    path = Path(path)
    if not path.is_file() or not h5py.is_hdf5(path):
        raise InputError(path, "file", "a reduced NXcanSAS HDF5 file", got="missing or not HDF5")
    names = list_entries(path)
    if AVERAGE_ENTRY not in names:
        raise InputError(path, AVERAGE_ENTRY, "the SASentry of the frame average (a file from saxs reduce)",
                         got="missing")
    frame_names = sorted((n for n in names if n.startswith("frame") and n[5:].isdigit()), key=lambda n: int(n[5:]))
    with h5py.File(path, "r") as f:
        series = f.get(SERIES_ENTRY)
        if series is None or "provenance" not in series:
            raise InputError(path, SERIES_ENTRY, "the series group written by saxs reduce", got="missing")
        file_prov = read_collection(series["provenance"])
        # A frame's provenance is the file's plus its own values: the frame entry holds only those
        # (and a link to the file's) or, in files written before that layout, the whole provenance
        # of which only FRAME_KEYS are read (a 500-frame file would otherwise need ~25000 small reads).
        shared = {k: v for k, v in file_prov.items() if k not in _FILE_ONLY_KEYS}
        frames = tuple(_profile_from_entry(path, f, name, shared=shared) for name in frame_names)
        average = _profile_from_entry(path, f, AVERAGE_ENTRY)
        mon = series.get("monitors")
        exposure = np.asarray(mon["exposure_s"][()]) if mon is not None and "exposure_s" in mon else np.array([])
        monitors = Monitors(
            i0=np.asarray(mon["i0"][()]) if mon is not None and "i0" in mon else None,
            i1=np.asarray(mon["i1"][()]) if mon is not None and "i1" in mon else None,
            exposure_s=exposure,
            source=str(read_collection(mon).get("source", "")) if mon is not None else "",
        )
    warnings = file_prov.pop("warnings_all", None) or []
    if isinstance(warnings, str):
        warnings = [warnings]
    return ReducedData(
        path=Path(file_prov.get("input_path", average.provenance.get("input_file", ""))),
        frames=frames, average=average, frames_used=int(file_prov.get("frames_used", len(frames))),
        n_frames=int(file_prov.get("n_frames", len(frames))), monitors=monitors,
        geometry=Geometry.from_summary(file_prov["geometry"]), warnings=tuple(warnings), provenance=file_prov,
    )


#: Provenance keys that differ between the frames of one file (the rest is the file's).
FRAME_KEYS = ("frame_index", "i0", "i1", "exposure_s", "divisor", "masked_pixels")

#: Keys of the series provenance that are not part of a frame's provenance.
_FILE_ONLY_KEYS = ("input_path", "frames_used", "warnings_all")


def _profile_from_entry(path: Path, f, name: str, *, shared: Mapping[str, Any] | None = None) -> Profile1D:
    """One SASentry of a reduced file (our own layout: q in 1/nm, provenance under sasprocess).

    With ``shared`` (the file-level provenance), the entry's provenance completes it: all of it when
    the entry links to the file's (:data:`FILE_PROVENANCE_LINK`), else only :data:`FRAME_KEYS`.
    """
    import copy

    from .nxcansas import read_collection

    entry = f[name]
    try:
        data = entry["sasdata"]
        q, intensity, sigma = data["Q"], data["I"], data["Idev"]
    except KeyError as exc:
        raise InputError(path, f"{name}/sasdata", "Q, I and Idev datasets (a file from saxs reduce)",
                         got="missing") from exc
    unit = intensity.attrs.get("units", "arbitrary")
    unit = unit.decode() if isinstance(unit, bytes) else str(unit)
    if str(q.attrs.get("units", "1/nm")) != "1/nm":
        raise InputError(path, f"{name}/sasdata/Q@units", "1/nm (a file from saxs reduce)", got=q.attrs.get("units"))
    group = entry.get("sasprocess/provenance")
    if group is None:
        prov = {}
    elif shared is None:
        prov = read_collection(group)
    elif FILE_PROVENANCE_LINK in entry["sasprocess"]:  # the frame's own values, linked to the file's
        prov = copy.deepcopy(dict(shared))
        prov.update(read_collection(group))
    else:  # a whole provenance (files written before the link): only the per-frame keys differ
        prov = copy.deepcopy(dict(shared))
        for key in FRAME_KEYS:
            if key in group:
                value = group[key][()]
                prov[key] = value.decode() if isinstance(value, bytes) else (
                    value.item() if isinstance(value, np.generic) else value)
    prov.update(reduced_file=str(path), reduced_entry=name)
    sample = entry.get("sassample")
    sample_name = sample["name"][()] if sample is not None and "name" in sample else name
    if isinstance(sample_name, bytes):
        sample_name = sample_name.decode()
    return Profile1D(q_nm=q[()], intensity=intensity[()], sigma=sigma[()],
                     intensity_unit="1/cm" if unit == "1/cm" else "arbitrary",
                     sample=SampleInfo(name=str(sample_name)), provenance=prov)


def default_output_name(raw_path, *, scan: int | None = None) -> str:
    """Name of the reduced file of ``raw_path`` (``<stem>_reduced.h5``; ``<stem>_scan<N>_reduced.h5``
    for scan N of a master file)."""
    stem = Path(raw_path).stem
    return f"{stem}_reduced.h5" if scan is None else f"{stem}_scan{int(scan)}_reduced.h5"


__all__ = ["ReductionOptions", "ReducedData", "reduce_file", "write_reduced", "read_reduced",
           "default_output_name", "frame_entry_name", "INTENSITY_MEANING", "EXPOSURE_ONLY", "AVERAGE_ENTRY",
           "SERIES_ENTRY", "NORMALIZE_CHOICES"]
