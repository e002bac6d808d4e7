"""Synthetic ID02 raw files with a known I(q): the oracle of the reduction tests.

Every pixel's q and absolute solid angle are computed here ANALYTICALLY with numpy from the
Fit2D geometry (beam centre counted from the outer edge of the first pixel, first pixel centre at
0.5; flat detector normal to the beam), without pyFAI, so the tests check pyFAI's use, not pyFAI
against itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from saxs.id02.lima import write_lima
from saxs.id02.scalers import companion_path, write_scalers

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
        "Dummy": 0, "DDummy": 0, "HSI0": 2, "HSI1": 3, "HSTime": 1, "HSI0Factor": 1.0, "HSI1Factor": 1.0,
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


#: Scaler channels of the synthetic files (pins 1..4): a microsecond clock, I0, I1, a spare.
SCALER_NAMES = ("time", "I0", "I1", "spare")
#: Zero rates (counts/s) and factors; Z t is a whole number of counts at t = 0.1 s, so that
#: HS32V = (HS32C - Z t) F gives the monitors back exactly.
SCALER_ZEROS = (0.0, 50.0, 30.0, 0.0)
SCALER_FACTORS = (1e-6, 1.0, 1.0, 1.0)


def scaler_counts(i0, i1, *, exposure_s=0.1):
    """Raw counts HS32C (n_frames, 4) whose calibrated values are (t, i0, i1, 0)."""
    i0 = np.asarray(i0, dtype=float)
    i1 = np.asarray(i1, dtype=float)
    values = np.zeros((i0.size, 4))
    values[:, 0] = exposure_s
    values[:, 1] = i0
    values[:, 2] = i1
    return np.rint(values / np.asarray(SCALER_FACTORS) + np.asarray(SCALER_ZEROS) * exposure_s).astype(np.int64)


def lima_path(path, detector="pilatus"):
    """``<stem>_<detector>_00001_00.h5`` beside ``path`` (ID02's LIMA name, so the scalers file is found)."""
    path = Path(path)
    return path.with_name(f"{path.stem}_{detector}_00001_00.h5")


def write_lima_set(path, frames, header, *, detector="pilatus", i0=None, i1=None, numeric_header=False,
                   exposure_s=0.1):
    """A LIMA file named after ``path`` (see :func:`lima_path`) and, given monitors, its scalers file."""
    lima = write_lima(lima_path(path, detector), frames, header, detector=detector, numeric_header=numeric_header,
                      exposure_s=exposure_s)
    if i1 is not None:
        write_scalers(companion_path(lima, detector), scaler_counts(i0, i1, exposure_s=exposure_s),
                      names=SCALER_NAMES, zeros=SCALER_ZEROS, factors=SCALER_FACTORS,
                      exposure_s=np.full(np.size(i1), exposure_s), hsi0=2, hsi1=3, hstime=1)
    return lima


_default_header = header

#: Monitor values (transmitted flux I1) of the three frames; I0 = 2 x I1.
I1_VALUES = np.array([1.0e6, 1.1e6, 0.9e6])


def make_lima(path, *, seed, i1=I1_VALUES, model=guinier, header=None, scalers=True, dark=None,
              flat=None, gaps=None, numeric_header=False, detector="pilatus"):
    """Write a synthetic LIMA file (+ its scalers file): Poisson counts of the model (fixed seed).

    The LIMA file is ``<stem of path>_<detector>_00001_00.h5``; returns its path."""
    rng = np.random.default_rng(seed)
    pix = analytic_pixels()
    frames = []
    for monitor in i1:
        counts = rng.poisson(expected_counts(model, monitor, dark=dark, flat=flat, pixels=pix)).astype(np.float64)
        if gaps is not None:
            counts[gaps] = 2**32 - 1
        frames.append(counts)
    head = _default_header() if header is None else header
    monitors = dict(i0=2 * np.asarray(i1), i1=np.asarray(i1)) if scalers else {}
    return write_lima_set(path, np.array(frames), head, detector=detector, numeric_header=numeric_header, **monitors)


def simulated_demo(folder, names, *, frames, seed):
    """Raw files of the simulator's ``cdse-demo`` preset (Eiger2 4M binned 8 x 8: module gaps and
    dead pixels at 2**32 - 1) for the measurements ``names``, and the preset's flat, mask and PONI.

    Returns
    -------
    paths : dict
        Raw file of each measurement, and ``"flat"``, ``"mask"``, ``"poni"``.
    images : saxs.simulate.beamtime.DetectorImages
        The detector images the files were made from (``mask``, ``flat``...).
    """
    from saxs.simulate import beamtime as bt
    from saxs.simulate.rawfiles import write_measurement

    folder = Path(folder)
    plan = bt.make_plan("cdse-demo", frames=frames)
    img = bt.detector_images(plan, seed)
    cal = folder / "calibrations"
    bt._write_edf(cal / "flat.edf", img.flat, {"Title": "flat"})
    bt._write_edf(cal / "mask.edf", img.mask, {"Title": "mask"})
    (cal / "geometry.poni").write_text(bt.det.poni_text(plan.geometry))
    paths = {"flat": cal / "flat.edf", "mask": cal / "mask.edf", "poni": cal / "geometry.poni"}
    for m in plan.measurements:
        if m.name in names:
            truth = bt.make_truth(plan, m, seed)
            write_measurement(folder, truth, bt._frames(plan, truth, img, seed), bt._header(plan, m, truth),
                              detector=plan.geometry.detector_name)
            paths[m.name] = folder / truth.raw_file
    return paths, img
