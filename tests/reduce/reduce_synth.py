"""Synthetic ID02 raw files with a known I(q): the oracle of the reduction tests.

Every pixel's q and absolute solid angle are computed here ANALYTICALLY with numpy from the
Fit2D geometry (beam centre counted from the outer edge of the first pixel, first pixel centre at
0.5; flat detector normal to the beam), without pyFAI, so the tests check pyFAI's use, not pyFAI
against itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saxs.lima import write_lima

#: A small binned detector: 120 rows x 128 columns of 0.6 mm at 1 m, 0.1 nm.
SHAPE = (120, 128)
PIXEL_M = 6e-4
DISTANCE_M = 1.0
WAVELENGTH_M = 1e-10
CENTER_X_PX = 40.3   # along columns (fast axis, Center_1)
CENTER_Y_PX = 52.7   # along rows (slow axis, Center_2)
POLARIZATION = 0.99


@dataclass(frozen=True)
class PixelGeometry:
    """Analytic per-pixel quantities, shape (ny, nx)."""

    q_nm: np.ndarray
    solid_angle_sr: np.ndarray
    polarization: np.ndarray


def analytic_pixels(*, shape=SHAPE, pixel_m=PIXEL_M, distance_m=DISTANCE_M, wavelength_m=WAVELENGTH_M,
                    center_x_px=CENTER_X_PX, center_y_px=CENTER_Y_PX, polarization_factor=POLARIZATION):
    """q (1/nm), absolute solid angle (sr) and polarisation factor of every pixel centre."""
    rows, cols = np.indices(shape, dtype=np.float64)
    x_m = (cols + 0.5 - center_x_px) * pixel_m      # horizontal, fast axis
    y_m = (rows + 0.5 - center_y_px) * pixel_m      # vertical, slow axis
    r2 = x_m**2 + y_m**2
    two_theta = np.arctan2(np.sqrt(r2), distance_m)
    q_nm = 4 * np.pi / (wavelength_m * 1e9) * np.sin(two_theta / 2)
    cos2t = np.cos(two_theta)
    solid_angle = pixel_m * pixel_m * distance_m / (distance_m**2 + r2) ** 1.5   # = A cos^3(2theta) / D^2
    cos2chi = np.where(r2 > 0, (x_m**2 - y_m**2) / np.where(r2 > 0, r2, 1.0), 1.0)
    # Linear polarisation, fraction (1 + P)/2 horizontal: 0.5 (1 + cos^2 2t - P cos 2chi sin^2 2t)
    polarization = 0.5 * (1 + cos2t**2 - polarization_factor * cos2chi * (1 - cos2t**2))
    return PixelGeometry(q_nm=q_nm, solid_angle_sr=solid_angle, polarization=polarization)


def guinier(q_nm, *, i0=2.0e5, rg_nm=2.5, background=2.0e3):
    """Model I(q) = i0 exp(-(q Rg)^2 / 3) + background (counts per sr per monitor count)."""
    return i0 * np.exp(-(q_nm * rg_nm) ** 2 / 3) + background


def header(*, numeric=False, **changes):
    """A LIMA/EDF header for the synthetic geometry (SI units, as ID02 writes them)."""
    h = {
        "Title": "synthetic guinier", "Center_1": CENTER_X_PX, "Center_2": CENTER_Y_PX,
        "PSize_1": PIXEL_M, "PSize_2": PIXEL_M, "SampleDistance": DISTANCE_M, "WaveLength": WAVELENGTH_M,
        "Dummy": 0, "DDummy": 0, "HSI0": 1, "HSI1": 2, "HSI0Factor": 1.0, "HSI1Factor": 1.0,
        "NormalizationFactor": 1.0, "ExposureTime": 0.1,
        "DetectorRotation_1": 0.0, "DetectorRotation_2": 0.0, "DetectorRotation_3": 0.0,
    }
    h.update(changes)
    return {k: v for k, v in h.items() if v is not None}


def expected_counts(model, monitor, *, dark=None, flat=None, pixels=None, normalization_factor=1.0):
    """Expected counts of one frame: model(q) x solid angle x polarisation x flat x monitor / NF (+ dark)."""
    pixels = pixels or analytic_pixels()
    counts = model(pixels.q_nm) * pixels.solid_angle_sr * pixels.polarization * monitor / normalization_factor
    if flat is not None:
        counts = counts * flat
    if dark is not None:
        counts = counts + dark
    return counts


def scalers(i0, i1, *, exposure_s=0.1):
    """HS32V/HS32Z/HS32N with monitors on channels 1 (I0) and 2 (I1); zero rates 5 and 3 counts/s."""
    i0 = np.asarray(i0, dtype=float)
    i1 = np.asarray(i1, dtype=float)
    zeros = np.array([0.0, 5.0, 3.0, 0.0])
    values = np.zeros((i0.size, 4))
    values[:, 0] = exposure_s * 1e6           # a clock channel
    values[:, 1] = i0 + zeros[1] * exposure_s
    values[:, 2] = i1 + zeros[2] * exposure_s
    return {"HS32V": values, "HS32Z": zeros, "HS32N": ["time", "I0", "I1", "spare"]}


_default_header = header
_scalers = scalers

#: Monitor values (transmitted flux I1) of the three frames; I0 = 2 x I1.
I1_VALUES = np.array([1.0e6, 1.1e6, 0.9e6])


def make_lima(path, *, seed, i1=I1_VALUES, model=guinier, header=None, scalers=True, dark=None,
              flat=None, gaps=None, numeric_header=False, detector="pilatus"):
    """Write a synthetic LIMA file: Poisson counts of the model (fixed seed); returns the path."""
    rng = np.random.default_rng(seed)
    pix = analytic_pixels()
    frames = []
    for monitor in i1:
        counts = rng.poisson(expected_counts(model, monitor, dark=dark, flat=flat, pixels=pix)).astype(np.float64)
        if gaps is not None:
            counts[gaps] = 2**32 - 1
        frames.append(counts)
    head = _default_header() if header is None else header
    sc = _scalers(2 * np.asarray(i1), i1) if scalers else None
    return write_lima(path, np.array(frames), head, detector=detector, scalers=sc, numeric_header=numeric_header)
