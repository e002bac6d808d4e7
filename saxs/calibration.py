"""Calibration images of a reduction: mask, flat field and dark stack, read from their files.

Readers (:func:`read_mask`, :func:`read_flat`, :func:`read_dark`) name the file in every error;
loaders (:func:`load_dark`, :func:`load_flat`) read a file once per process while it is unchanged on
disk (same path, modification time and size, :func:`file_stamp`) and hand out read-only arrays, so a
batch worker that reduces many files against the same calibrations reads and reduces them once.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .defaults import DARK_STATISTICS  # the per-pixel statistics a dark stack accepts
from .errors import InputError


def read_image(path, shape, *, what: str, binning=(1, 1), how: str = "mean") -> np.ndarray:
    """Read a 2D mask or flat image (EDF/TIFF/... through fabio, or ``.npy``) for frames of a given shape.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    shape : tuple of int
        Frame shape ``(ny, nx)``.
    what : str
        ``"mask"``, ``"flat"`` or ``"dark"``, for the message.
    binning : tuple of int, optional
        Frame binning ``(rows, columns)`` (header ``BSize_2``, ``BSize_1``): an image at full
        detector resolution is rebinned to ``shape`` (:mod:`saxs.id02.binning`).
    how : {"any", "mean", "sum"}, optional
        How a full-resolution image is combined per binned pixel.

    Raises
    ------
    InputError
        Naming ``path``: unreadable, or neither of the frame shape nor of its full resolution.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", f"an existing {what} file", got="no such file")
    try:
        if path.suffix.lower() == ".npy":
            data = np.load(path, allow_pickle=False)
        else:
            import fabio

            with fabio.open(str(path)) as image:
                data = np.array(image.data)
    except Exception as exc:
        raise InputError(path, "file", f"a readable {what} image (EDF, TIFF or .npy)",
                         got=" ".join(str(exc).split())[:160]) from exc
    from .id02.binning import to_frame_shape

    return to_frame_shape(data, shape, binning, how, file=path, what=what)


def read_mask(path, shape, *, binning=(1, 1)) -> np.ndarray:
    """Mask file -> bool array (nonzero = masked), shape ``shape``; errors name the mask file.

    A full-resolution mask on binned frames masks a binned pixel when any of its pixels is masked.
    """
    return read_image(path, shape, what="mask", binning=binning, how="any") != 0


def read_flat(path, shape, *, binning=(1, 1)) -> np.ndarray:
    """Flat-field file -> float64 array (relative efficiency), shape ``shape`` (full resolution: block mean)."""
    return np.asarray(read_image(path, shape, what="flat", binning=binning, how="mean"), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class DarkStack:
    """A dark estimate from a stack of frames.

    Attributes
    ----------
    dark : ndarray, shape (ny, nx)
        Median (or clipped mean) over the frames, counts.
    variance : ndarray, shape (ny, nx)
        Variance of that estimate for Poisson counts. Median: ``dark / n`` for n <= 2 frames (a
        mean), ``(pi / 2) dark / n`` for more (asymptotic variance of a median of normal
        samples). Clipped mean: ``dark / n_kept``.
    invalid : ndarray of bool, shape (ny, nx)
        Pixels whose dark is unusable (at the dark file's integer maximum, negative, not finite):
        they join the static mask, or a gap pixel of the dark would be subtracted from real counts.
    n_frames : int
        Frames in the stack.
    exposure_s : float
        The stack's ``ExposureTime`` (s), NaN when unknown.
    statistic : str
        ``"median"`` or ``"clipped_mean"``.
    """

    dark: np.ndarray
    variance: np.ndarray
    invalid: np.ndarray
    n_frames: int
    exposure_s: float
    statistic: str


def read_dark(path, shape, *, statistic: str = "median", binning=(1, 1)) -> DarkStack:
    """Dark from a stack of frames: per-pixel median (or clipped mean) and its variance.

    The median rejects zingers but, for Poisson darks of a few counts, is biased low (the
    median of Poisson(2) values averages ~1.85); ``statistic="clipped_mean"`` averages the
    frames after rejecting values above ``median + 6 sqrt(median + 1) + 3`` per pixel (zingers);
    for Poisson counts the rejected legitimate tail is below 1e-5 of the mean.

    Parameters
    ----------
    path : str or os.PathLike
        A raw file (LIMA or EDF, any number of frames) or a 2D image (``.npy``).
    shape : tuple of int
        Expected frame shape.
    statistic : {"median", "clipped_mean"}, optional
        Per-pixel statistic over the frames.
    binning : tuple of int, optional
        Frame binning ``(rows, columns)``: dark frames at full resolution are summed over each
        binned pixel first (LIMA binning sums counts), a binned pixel holding a pixel at the
        integer maximum is invalid.

    Returns
    -------
    DarkStack
        The estimate, its variance, its invalid pixels and where it came from.
    """
    from .id02 import open_raw
    from .id02.binning import fits_binned

    if statistic not in DARK_STATISTICS:
        raise InputError(None, "dark_statistic", f"one of {', '.join(DARK_STATISTICS)}", got=statistic)
    path = Path(path)
    exposure_s = float("nan")
    saturation = None
    if path.suffix.lower() == ".npy":
        stack = read_image(path, shape, what="dark", binning=binning, how="sum")[np.newaxis].astype(np.float64)
    else:
        with open_raw(path) as raw:
            saturation = raw.saturation_value
            if raw.shape == tuple(shape):
                frames = raw.iter_frames()
            elif fits_binned(raw.shape, shape, binning):
                frames = (_binned_dark_frame(f, binning, saturation) for f in raw.iter_frames())
            else:
                raise InputError(path, "shape", f"dark frames of the frame shape {tuple(shape)} or of its full "
                                 f"resolution (binning {tuple(binning)})", got=raw.shape)
            # float32 holds integer counts exactly up to 2**24 and halves the memory of the stack
            stack = np.stack([f.astype(np.float32) for f in frames])
            exposures = raw.exposure_s()
            if np.isfinite(exposures).any():
                exposure_s = float(np.nanmean(exposures))
    n = stack.shape[0]
    median = np.median(stack, axis=0).astype(np.float64)
    invalid = ~np.isfinite(median) | (median < 0)
    if saturation is not None:
        invalid |= median >= saturation
    if statistic == "clipped_mean":
        keep = stack <= (median + 6.0 * np.sqrt(np.clip(median, 0.0, None) + 1.0) + 3.0)
        n_kept = keep.sum(axis=0)           # >= n / 2: the median itself is always kept
        dark = np.sum(stack, axis=0, where=keep, dtype=np.float64) / n_kept
        variance = np.clip(dark, 0.0, None) / n_kept
    else:
        dark = median
        variance = np.clip(median, 0.0, None) * (1.0 / n if n <= 2 else 0.5 * np.pi / n)
    dark = np.where(invalid, 0.0, dark)
    variance = np.where(invalid, 0.0, variance)
    return DarkStack(dark=dark, variance=variance, invalid=invalid, n_frames=n, exposure_s=exposure_s,
                     statistic=statistic)


def file_stamp(path) -> tuple[str, int, int] | None:
    """(path as given, mtime in ns, size) or None when the file cannot be stat'ed (the reader then
    raises the error that names it)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (os.fspath(path), st.st_mtime_ns, st.st_size)


def read_only(*arrays) -> None:
    """Make each array (None skipped) read-only, in place: a cached array cannot then be changed by a caller."""
    for a in arrays:
        if a is not None:
            a.flags.writeable = False


@functools.lru_cache(maxsize=4)
def _cached_dark(stamp, shape, statistic, binning):
    stack = read_dark(stamp[0], shape, statistic=statistic, binning=binning)
    read_only(stack.dark, stack.variance, stack.invalid)
    return stack


@functools.lru_cache(maxsize=4)
def _cached_flat(stamp, shape, binning):
    flat = read_flat(stamp[0], shape, binning=binning)
    read_only(flat)
    return flat


def load_dark(path, shape, statistic, binning=(1, 1)) -> "DarkStack":
    """The dark stack of ``path``, read once per process while the file is unchanged (a batch
    reduces many files against the same dark; its median over the stack is the costly part)."""
    stamp = file_stamp(path)
    if stamp is None:
        return read_dark(path, shape, statistic=statistic, binning=binning)
    return _cached_dark(stamp, tuple(shape), statistic, tuple(binning))


def load_flat(path, shape, binning=(1, 1)) -> np.ndarray:
    """The flat field of ``path``, read once per process while the file is unchanged."""
    stamp = file_stamp(path)
    if stamp is None:
        return read_flat(path, shape, binning=binning)
    return _cached_flat(stamp, tuple(shape), tuple(binning))


def _binned_dark_frame(frame: np.ndarray, binning, saturation: float | None) -> np.ndarray:
    """A full-resolution dark frame summed over binned pixels; a block holding an invalid pixel
    (integer maximum, negative) gets the integer maximum (or -1), so the stack marks it invalid."""
    from .id02.binning import rebin

    out = rebin(frame, binning, "sum")
    if saturation is not None:
        out[rebin(frame >= saturation, binning, "any")] = saturation
    out[rebin(frame < 0, binning, "any")] = -1.0
    return out


__all__ = ["read_image", "read_mask", "read_flat", "read_dark", "DarkStack", "load_dark", "load_flat",
           "file_stamp", "read_only", "DARK_STATISTICS"]
