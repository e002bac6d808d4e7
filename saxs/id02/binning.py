"""Binned frames: the header's ``BSize_1`` / ``BSize_2`` and full-resolution calibration images.

ID02 often keeps masks, flats and darks at the full detector resolution while frames are binned
by LIMA (``BSize_1`` along columns = fast axis = x, ``BSize_2`` along rows = slow axis = y; the
same numbers as ``<detector>/image_operation/binning``). A full-resolution image of shape
``(ny_full, nx_full)`` fits frames of shape ``(ny, nx)`` when ``ny_full // BSize_2 == ny`` and
``nx_full // BSize_1 == nx``; trailing rows or columns that do not fill a whole binned pixel are
dropped, as LIMA's binning drops them (an Eiger2 4M, 2162 x 2068, binned 8 x 8 gives 270 x 258).

How each image is combined over the ``BSize_2 x BSize_1`` pixels of one binned pixel:

* mask: masked if **any** of its pixels is (a binned pixel holding one dead or shadowed pixel
  has wrong counts);
* flat: the **mean** (a binned pixel counts the sum of its pixels, each with efficiency f_i,
  under nearly the same flux, so its efficiency relative to a binned pixel of unit flat is
  mean(f_i); its larger area is already in the solid angle of the binned pixel);
* dark: the **sum** (LIMA binning adds the counts of the pixels, so the dark of a binned pixel is
  the sum of the darks of its pixels; its Poisson variance is the sum of theirs too).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import InputError
from .header import header_float

COMBINE = ("any", "mean", "sum")


def header_binning(header: Mapping[str, str], file) -> tuple[int, int]:
    """Binning ``(rows, columns)`` = ``(BSize_2, BSize_1)`` from a header; 1 where absent.

    Raises
    ------
    InputError
        A binning that is not a positive integer.
    """
    out = []
    for key in ("BSize_2", "BSize_1"):
        value = header_float(header, key, file, default=1.0)
        if value < 1 or value != int(value):
            raise InputError(file, key, "a positive integer binning", got=header.get(key))
        out.append(int(value))
    return out[0], out[1]


def rebin(image: np.ndarray, binning: tuple[int, int], how: str) -> np.ndarray:
    """Combine ``binning[0] x binning[1]`` blocks of ``image`` (``how``: "any", "mean" or "sum").

    Parameters
    ----------
    image : ndarray, shape (..., ny_full, nx_full)
        Full-resolution image(s); trailing rows/columns beyond whole blocks are dropped.
    binning : tuple of int
        ``(rows, columns)`` per binned pixel.
    how : {"any", "mean", "sum"}

    Returns
    -------
    ndarray, shape (..., ny_full // by, nx_full // bx)
        bool for "any", float64 otherwise.

    Examples
    --------
    >>> rebin(np.arange(16.).reshape(4, 4), (2, 2), "sum")
    array([[10., 18.],
           [42., 50.]])
    """
    if how not in COMBINE:
        raise ValueError(f"how must be one of {COMBINE}; got {how!r}")
    by, bx = (int(b) for b in binning)
    ny, nx = image.shape[-2] // by, image.shape[-1] // bx
    blocks = np.asarray(image)[..., : ny * by, : nx * bx].reshape(*image.shape[:-2], ny, by, nx, bx)
    if how == "any":
        return np.any(blocks != 0, axis=(-3, -1))
    values = blocks.astype(np.float64)
    return values.sum(axis=(-3, -1)) if how == "sum" else values.mean(axis=(-3, -1))


def fits_binned(full_shape, shape, binning) -> bool:
    """True when a full-resolution image of ``full_shape`` rebinned by ``binning`` gives ``shape``."""
    by, bx = binning
    return (by, bx) != (1, 1) and (full_shape[-2] // by, full_shape[-1] // bx) == tuple(shape)


def to_frame_shape(image: np.ndarray, shape, binning, how: str, *, file, what: str) -> np.ndarray:
    """``image`` as it applies to frames of ``shape``: unchanged, or rebinned from full resolution.

    Raises
    ------
    InputError
        Naming ``file``: neither the frame shape nor the full-resolution shape of the binning.
    """
    shape = tuple(int(n) for n in shape)
    if tuple(image.shape[-2:]) == shape:
        return image
    if fits_binned(image.shape, shape, binning):
        return rebin(image, binning, how)
    by, bx = binning
    full = f" or the full-resolution shape of {by} x {bx} binning ({shape[0] * by}, {shape[1] * bx})" \
        if (by, bx) != (1, 1) else ""
    raise InputError(file, "shape", f"a {what} of the frame shape {shape} (rows, columns){full}",
                     got=tuple(image.shape[-2:]))


__all__ = ["header_binning", "rebin", "fits_binned", "to_frame_shape"]
