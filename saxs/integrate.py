"""Corrections and azimuthal integration of one frame with pyFAI.

Intensity convention (kept by :mod:`saxs.reduce`)::

    I(q) = sum_pixels (counts - dark) / sum_pixels (solid_angle_sr * polarisation * flat) / monitor
           * NormalizationFactor

with the sums over the pixels of a q bin (pyFAI keeps signal, variance and normalisation apart
per bin and divides last). ``solid_angle_sr`` is the absolute solid angle of each pixel
(pyFAI ``solidAngleArray(absolute=True)``); it is passed to pyFAI folded into the ``flat``
array, so that the normalisation of a bin is the true solid angle it covers. The variance of
a pixel is its raw counts (Poisson) plus the variance of the dark estimate; it goes through
the same normalisation: ``sigma = sqrt(sum variance) / (sum normalisation) / monitor * NF``.

The mask is the union of a static part (mask file, detector module gaps, non-positive or
non-finite flat, unusable dark pixels; built once per process for a geometry and its calibration
files, :func:`load_static`) and a per-frame part (counts at the stored dtype's integer
maximum, negative counts, ``Dummy`` +- ``DDummy`` when ``Dummy != 0``, non-finite counts). The
per-frame part reaches pyFAI as a dummy value so that the integration engine (whose sparse
matrix depends on the static mask) is built once and reused for every frame.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .calibration import (DARK_STATISTICS, DarkStack, file_stamp, load_dark, load_flat, read_dark, read_flat,
                          read_image, read_mask, read_only)
from .errors import InputError
from .geometry import Geometry, get_integrator

#: Unit of q everywhere in the code.
Q_UNIT = "q_nm^-1"

#: Default pyFAI method: full pixel splitting, CSR sparse matrix, Cython. Full splitting shares a
#: pixel between q bins by its true area; bounding-box splitting (pyFAI's own default) spreads it
#: over the whole q span of its corners, which visibly smears steep curves when a bin is about a
#: pixel wide (tests/reduce/test_pulls.py: chi2/n = 1.8 with bbox against a sub-pixel oracle,
#: 1.1 with full splitting).
DEFAULT_METHOD = ("full", "csr", "cython")

#: Value given to per-frame invalid pixels before integration (pyFAI dummy; raw counts are >= 0).
_FRAME_DUMMY = -1.0
_FRAME_DELTA_DUMMY = 0.5


@dataclass(frozen=True, eq=False)
class StaticCorrections:
    """The arrays applied alike to every frame of every file of one geometry and one set of
    calibration files; built once per process by :func:`load_static` and shared (read-only).

    A batch worker reduces many files with the same geometry, mask, flat and dark: sharing this
    object spares each file the static mask and the per-pixel arrays (tens of ms per Eiger2 4M
    file), and hands pyFAI the same mask and flat arrays for every file.

    Attributes
    ----------
    geometry : Geometry
        The geometry (its integrator is cached per process).
    mask : ndarray of bool, shape (ny, nx)
        Static mask (True = excluded): mask file, detector gaps, bad flat, unusable dark pixels.
    dark_stack : DarkStack or None
        The dark estimate (counts per frame), its variance and invalid pixels.
    flat : ndarray, shape (ny, nx), or None
        Relative detector efficiency (divided out).
    """

    geometry: Geometry
    mask: np.ndarray
    dark_stack: DarkStack | None = None
    flat: np.ndarray | None = None

    @property
    def dark(self) -> np.ndarray | None:
        """Dark counts per frame to subtract, shape (ny, nx), or None."""
        return None if self.dark_stack is None else self.dark_stack.dark

    @property
    def dark_variance(self) -> np.ndarray | None:
        """Variance of ``dark`` (counts^2), shape (ny, nx), or None."""
        return None if self.dark_stack is None else self.dark_stack.variance

    @functools.cached_property
    def normalization_array(self) -> np.ndarray:
        """Absolute solid angle (sr) x flat per pixel, float64 (ny, nx), read-only: pyFAI's ``flat``."""
        out = solid_angle_sr(self.geometry).astype(np.float64)
        if self.flat is not None:
            out = out * np.where(self.mask, 1.0, self.flat)
        read_only(out)
        return out

    @functools.cached_property
    def pyfai_mask(self) -> np.ndarray:
        """``mask`` as handed to pyFAI: the same object for every frame and file, writable because
        pyFAI's checksum of it (``fastcrc.crc32``) takes only a writable buffer; a private copy when
        ``mask`` is read-only (pyFAI reads it, never writes it)."""
        return self.mask if self.mask.flags.writeable else np.array(self.mask)

    @functools.cached_property
    def unmasked(self) -> np.ndarray:
        """``~mask``, read-only, kept for the per-frame count of masked pixels."""
        out = ~self.mask
        read_only(out)
        return out

    @functools.cached_property
    def static_masked_count(self) -> int:
        """Pixels in the static mask."""
        return int(np.count_nonzero(self.mask))

    @functools.cached_property
    def dark_invalid_count(self) -> int:
        """Pixels whose dark is unusable (0 without a dark)."""
        return 0 if self.dark_stack is None else int(np.count_nonzero(self.dark_stack.invalid))

    @functools.cached_property
    def radial_range(self) -> tuple[float, float]:
        """q range (1/nm) of the unmasked pixel centres: the same bins for every frame."""
        q = pixel_q_nm(self.geometry)
        good = q[~self.mask]
        if good.size == 0:
            raise InputError(None, "mask", "at least one unmasked pixel", got="every pixel masked")
        return float(good.min()), float(good.max())


@dataclass(frozen=True, eq=False)
class Corrections:
    """Everything applied to the frames of one file, frame-independent: the shared static arrays
    and the file's own values (polarisation, dummies, integer maximum, bins, method).

    Attributes
    ----------
    static : StaticCorrections
        Geometry, static mask, dark, flat and the per-pixel arrays derived from them (shared by
        the files of one geometry and one set of calibration files).
    polarization_factor : float
        pyFAI polarisation factor (0.99 = horizontally polarised ID02 beam).
    dummy, delta_dummy : float
        Header ``Dummy`` / ``DDummy`` (``dummy == 0`` means none).
    saturation_value : float or None
        Integer maximum of the stored dtype (gap / dead pixels); None for float data.
    npt : int
        Number of q bins.
    method : tuple of str
        pyFAI integration method (splitting, algorithm, implementation).

    The static arrays are read through ``geometry``, ``mask``, ``dark``, ``dark_variance``,
    ``flat``, ``normalization_array``, ``unmasked``, ``static_masked_count`` and ``radial_range``.
    """

    static: StaticCorrections
    polarization_factor: float = 0.99
    dummy: float = 0.0
    delta_dummy: float = 0.0
    saturation_value: float | None = None
    npt: int = 1000
    method: tuple[str, str, str] = DEFAULT_METHOD

    @property
    def geometry(self) -> Geometry:
        return self.static.geometry

    @property
    def mask(self) -> np.ndarray:
        return self.static.mask

    @property
    def dark(self) -> np.ndarray | None:
        return self.static.dark

    @property
    def dark_variance(self) -> np.ndarray | None:
        return self.static.dark_variance

    @property
    def flat(self) -> np.ndarray | None:
        return self.static.flat

    @property
    def normalization_array(self) -> np.ndarray:
        return self.static.normalization_array

    @property
    def unmasked(self) -> np.ndarray:
        return self.static.unmasked

    @property
    def static_masked_count(self) -> int:
        return self.static.static_masked_count

    @property
    def radial_range(self) -> tuple[float, float]:
        return self.static.radial_range


@dataclass(frozen=True, eq=False)
class FrameIntegration:
    """Azimuthal integration of one frame.

    Attributes
    ----------
    q_nm : ndarray, shape (npt,)
        Bin centres, 1/nm.
    intensity : ndarray, shape (npt,)
        I(q) in the convention of the module docstring (0 in empty bins).
    sigma : ndarray, shape (npt,)
        Poisson standard uncertainty of ``intensity``.
    valid : ndarray of bool, shape (npt,)
        Bins with at least one unmasked pixel.
    n_masked : int
        Pixels excluded in this frame (static + per-frame).
    """

    q_nm: np.ndarray
    intensity: np.ndarray
    sigma: np.ndarray
    valid: np.ndarray
    n_masked: int


@functools.lru_cache(maxsize=4)  # 36 MB per Eiger2 4M geometry
def solid_angle_sr(geometry: Geometry) -> np.ndarray:
    """Absolute solid angle of every pixel, sr, shape (ny, nx) (cached per geometry; read-only)."""
    ai = get_integrator(geometry)
    out = np.asarray(ai.solidAngleArray(tuple(geometry.shape), absolute=True), dtype=np.float64)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=4)
def pixel_q_nm(geometry: Geometry) -> np.ndarray:
    """q (1/nm) at every pixel centre, shape (ny, nx) (cached per geometry; read-only)."""
    ai = get_integrator(geometry)
    out = np.asarray(ai.array_from_unit(tuple(geometry.shape), "center", Q_UNIT), dtype=np.float64)
    out.flags.writeable = False
    return out


def detector_mask(geometry: Geometry) -> np.ndarray:
    """pyFAI's mask of the detector (module gaps), shape (ny, nx), True = masked."""
    ai = get_integrator(geometry)
    mask = ai.detector.mask
    if mask is None or tuple(mask.shape) != tuple(geometry.shape):
        return np.zeros(geometry.shape, dtype=bool)
    return np.asarray(mask, dtype=bool)


def static_mask(geometry: Geometry, *, mask_file=None, flat: np.ndarray | None = None,
                dark_invalid: np.ndarray | None = None, binning=(1, 1)) -> np.ndarray:
    """Static mask: mask file (nonzero = masked; full resolution rebinned with ``binning``) |
    detector gaps | bad flat | unusable dark pixels."""
    mask = detector_mask(geometry).copy()
    if mask_file is not None:
        mask |= read_mask(mask_file, geometry.shape, binning=binning)
    if flat is not None:
        mask |= ~np.isfinite(flat) | (flat <= 0)
    if dark_invalid is not None:
        mask |= dark_invalid
    return mask


def build_static(geometry: Geometry, *, mask_file=None, flat_file=None, dark_file=None,
                 dark_statistic: str = "median", binning=(1, 1)) -> StaticCorrections:
    """The static corrections of ``geometry`` and the calibration files, built now (dark and flat
    through their per-process caches; read in that order, so the first bad file is the one named)."""
    stack = None if dark_file is None else load_dark(dark_file, geometry.shape, dark_statistic, binning)
    flat = None if flat_file is None else load_flat(flat_file, geometry.shape, binning)
    mask = static_mask(geometry, mask_file=mask_file, flat=flat,
                       dark_invalid=None if stack is None else stack.invalid, binning=binning)
    read_only(mask)
    return StaticCorrections(geometry=geometry, mask=mask, dark_stack=stack, flat=flat)


@functools.lru_cache(maxsize=4)  # ~45 MB per Eiger2 4M entry (mask, ~mask, normalisation array)
def _cached_static(geometry, mask_stamp, flat_stamp, dark_stamp, dark_statistic, binning):
    return build_static(geometry, mask_file=None if mask_stamp is None else mask_stamp[0],
                        flat_file=None if flat_stamp is None else flat_stamp[0],
                        dark_file=None if dark_stamp is None else dark_stamp[0],
                        dark_statistic=dark_statistic, binning=binning)


def load_static(geometry: Geometry, *, mask_file=None, flat_file=None, dark_file=None,
                dark_statistic: str = "median", binning=(1, 1)) -> StaticCorrections:
    """The static corrections of ``geometry`` and the calibration files, built once per process.

    Keyed on the geometry (by value), the binning, the dark statistic and each file's path,
    modification time and size (:func:`saxs.calibration.file_stamp`): a file changed on disk is
    read again, never served stale. Every file of one geometry and one set of calibration files
    gets the same object, its arrays read-only, so pyFAI also sees the same mask and flat arrays.

    Parameters
    ----------
    geometry : Geometry
        Detector geometry (hashable).
    mask_file, flat_file, dark_file : str or os.PathLike, optional
        Calibration files (see :func:`saxs.calibration.read_mask`, ``read_flat``, ``read_dark``).
    dark_statistic : {"median", "clipped_mean"}, optional
        Per-pixel statistic of the dark stack.
    binning : tuple of int, optional
        Frame binning ``(rows, columns)``.

    Raises
    ------
    InputError
        Naming the calibration file that cannot be read or does not fit the frames.
    """
    paths = (mask_file, flat_file, dark_file)
    stamps = tuple(None if p is None else file_stamp(p) for p in paths)
    if any(p is not None and s is None for p, s in zip(paths, stamps)):  # the reader names the missing file
        return build_static(geometry, mask_file=mask_file, flat_file=flat_file, dark_file=dark_file,
                            dark_statistic=dark_statistic, binning=binning)
    return _cached_static(geometry, *stamps, dark_statistic if dark_file is not None else None,
                          tuple(int(b) for b in binning))


def frame_invalid(frame: np.ndarray, corrections: Corrections) -> np.ndarray:
    """Per-frame invalid pixels: integer maximum, negative, Dummy +- DDummy, non-finite."""
    bad = ~np.isfinite(frame) | (frame < 0)
    if corrections.saturation_value is not None:
        bad |= frame >= corrections.saturation_value
    if corrections.dummy != 0:
        bad |= np.abs(frame - corrections.dummy) <= corrections.delta_dummy
    return bad


def integrate_frame(frame: np.ndarray, corrections: Corrections, *, normalization: float) -> FrameIntegration:
    """Correct and azimuthally integrate one frame.

    Parameters
    ----------
    frame : ndarray, shape (ny, nx)
        Raw counts.
    corrections : Corrections
        Dark, flat, masks, polarisation, binning.
    normalization : float
        Divides the result: monitor / NormalizationFactor (or exposure time, or 1).

    Returns
    -------
    FrameIntegration
        I(q), Poisson sigma and valid bins (see the module docstring for the convention).
    """
    geometry = corrections.geometry
    if frame.shape != tuple(geometry.shape):
        raise ValueError(f"frame shape {frame.shape} differs from the geometry's {geometry.shape}")
    if not np.isfinite(normalization) or normalization <= 0:
        raise ValueError(f"normalization must be positive and finite; got {normalization}")
    top_pixels = _invalid_only_at_stored_maximum(frame, corrections)
    if top_pixels is None:
        bad = frame_invalid(frame, corrections)
        n_masked = int(np.count_nonzero(bad | corrections.mask))
        data = np.where(bad, _FRAME_DUMMY, frame)
        variance = np.where(bad, 0.0, frame)
        dummy, delta_dummy = _FRAME_DUMMY, _FRAME_DELTA_DUMMY
    else:
        # Unsigned frame whose only per-frame invalid pixels are those at the integer maximum: pyFAI
        # gets the frame as stored, with that maximum as its dummy, and skips those pixels exactly as
        # it skips the -1 of the general path (their variance never enters a sum). Same output bit
        # for bit (tests/reduce/test_integrate_stored.py) without two float64 copies of the frame.
        data = variance = frame
        dummy, delta_dummy = float(np.iinfo(frame.dtype).max), 0.5
        newly_masked = corrections.unmasked.reshape(-1)[top_pixels]
        n_masked = corrections.static_masked_count + int(np.count_nonzero(newly_masked))
    if corrections.dark_variance is not None:
        variance = variance + corrections.dark_variance
    elif variance is frame:
        variance = frame.astype(np.float64)
    ai = get_integrator(geometry)
    result = ai.integrate1d(
        data, corrections.npt,
        correctSolidAngle=False,  # the absolute solid angle is in `flat` (normalization_array)
        variance=variance,
        radial_range=corrections.radial_range,
        mask=corrections.static.pyfai_mask,
        dummy=dummy, delta_dummy=delta_dummy,
        polarization_factor=corrections.polarization_factor,
        dark=corrections.dark,
        flat=corrections.normalization_array,
        method=corrections.method,
        unit=Q_UNIT,
        normalization_factor=float(normalization),
    )
    norm = np.asarray(result.sum_normalization, dtype=np.float64)
    valid = np.isfinite(norm) & (norm > 0)
    intensity = np.where(valid, np.asarray(result.intensity, dtype=np.float64), 0.0)
    sigma = np.where(valid, np.asarray(result.sigma, dtype=np.float64), 0.0)
    return FrameIntegration(
        q_nm=np.asarray(result.radial, dtype=np.float64),
        intensity=intensity,
        sigma=sigma,
        valid=valid,
        n_masked=n_masked,
    )


#: Stored values this close below the integer maximum would be rounded onto it where pyFAI works in
#: float32 (its spacing just below 2**32 is 256); a frame holding any takes the general path.
_FLOAT32_HALF_SPACING_AT_2_32 = 128


def _invalid_only_at_stored_maximum(frame: np.ndarray, corrections: Corrections) -> np.ndarray | None:
    """Flat indices of the pixels at the integer maximum when that maximum alone marks this frame's
    invalid pixels: unsigned integer frame, ``saturation_value`` its dtype's maximum, no header Dummy
    that an unsigned value can match, and no value just below the maximum (pyFAI's float32 would
    round it onto the dummy). None otherwise: the general path then applies :func:`frame_invalid`.
    One pass over the frame (gap and dead pixels are a few per cent of it)."""
    if frame.dtype.kind != "u" or corrections.saturation_value is None:
        return None
    top = np.iinfo(frame.dtype).max
    if corrections.saturation_value != top:
        return None
    if corrections.dummy != 0 and corrections.dummy + corrections.delta_dummy >= 0:
        return None
    flat = frame.reshape(-1)
    near = np.flatnonzero(flat >= top - _FLOAT32_HALF_SPACING_AT_2_32)
    if not np.all(flat[near] == top):
        return None
    return near


__all__ = ["Corrections", "StaticCorrections", "FrameIntegration", "integrate_frame", "static_mask",
           "build_static", "load_static", "frame_invalid", "read_mask", "read_flat", "read_dark", "read_image",
           "solid_angle_sr", "pixel_q_nm", "detector_mask", "DEFAULT_METHOD", "Q_UNIT", "DARK_STATISTICS",
           "DarkStack", "load_dark", "load_flat"]
