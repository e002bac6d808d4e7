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

The mask is the union of a static part, built once per file (mask file, detector module gaps,
non-positive or non-finite flat) and a per-frame part (counts at the stored dtype's integer
maximum, negative counts, ``Dummy`` +- ``DDummy`` when ``Dummy != 0``, non-finite counts). The
per-frame part reaches pyFAI as a dummy value so that the integration engine (whose sparse
matrix depends on the static mask) is built once and reused for every frame.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .calibration import (DARK_STATISTICS, DarkStack, load_dark, load_flat, read_dark, read_flat, read_image,
                          read_mask)
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
class Corrections:
    """Everything applied to the frames of one file, frame-independent.

    Attributes
    ----------
    geometry : Geometry
        The geometry (its integrator is cached per process).
    mask : ndarray of bool, shape (ny, nx)
        Static mask (True = excluded): mask file, detector gaps, bad flat.
    dark : ndarray, shape (ny, nx), or None
        Dark counts per frame to subtract.
    dark_variance : ndarray, shape (ny, nx), or None
        Variance of ``dark`` (counts^2).
    flat : ndarray, shape (ny, nx), or None
        Relative detector efficiency (divided out).
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
    """

    geometry: Geometry
    mask: np.ndarray
    dark: np.ndarray | None = None
    dark_variance: np.ndarray | None = None
    flat: np.ndarray | None = None
    polarization_factor: float = 0.99
    dummy: float = 0.0
    delta_dummy: float = 0.0
    saturation_value: float | None = None
    npt: int = 1000
    method: tuple[str, str, str] = DEFAULT_METHOD

    @functools.cached_property
    def normalization_array(self) -> np.ndarray:
        """Absolute solid angle (sr) x flat per pixel, float64 (ny, nx), what pyFAI gets as ``flat``."""
        out = solid_angle_sr(self.geometry).astype(np.float64)
        if self.flat is not None:
            out = out * np.where(self.mask, 1.0, self.flat)
        return out

    @functools.cached_property
    def unmasked(self) -> np.ndarray:
        """``~mask``, kept for the per-frame count of masked pixels."""
        return ~self.mask

    @functools.cached_property
    def static_masked_count(self) -> int:
        """Pixels in the static mask."""
        return int(np.count_nonzero(self.mask))

    @functools.cached_property
    def radial_range(self) -> tuple[float, float]:
        """q range (1/nm) of the unmasked pixel centres: the same bins for every frame."""
        q = pixel_q_nm(self.geometry)
        good = q[~self.mask]
        if good.size == 0:
            raise InputError(None, "mask", "at least one unmasked pixel", got="every pixel masked")
        return float(good.min()), float(good.max())


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
        mask=corrections.mask,
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


__all__ = ["Corrections", "FrameIntegration", "integrate_frame", "static_mask", "frame_invalid", "read_mask",
           "read_flat", "read_dark", "read_image", "solid_angle_sr", "pixel_q_nm", "detector_mask",
           "DEFAULT_METHOD", "Q_UNIT", "DARK_STATISTICS", "DarkStack", "load_dark", "load_flat"]
