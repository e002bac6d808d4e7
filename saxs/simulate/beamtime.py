"""Presets of simulated ID02 beamtimes and the writer of a whole beamtime folder.

Layout written under OUTDIR (the real ID02 layouts of :mod:`saxs.id02`)::

    raw/<name>.h5                         BLISS master file (scan 1.1, counters in measurement/):
                                          samples and standards (BLISS-era header: HSI0/HSI1/HSTime
                                          are counter names)
    raw/<name>_<detector>_00001_00.h5     its LIMA file (frames uint32, bitshuffle-LZ4, header)
    raw/<name>_scalers_00001_00.h5        scalers file beside the LIMA file where there is no master
                                          file: dark, empty beam, blanks (older header: HSI0/HSI1/
                                          HSTime are 1-based pin numbers)
    calibrations/flat.edf       flat field (float32, ~1 +- 3 %); the counts contain it
    calibrations/mask.edf       uint8, 1 = masked: beamstop (+1.5 px margin) and half the dead pixels
    calibrations/geometry.poni  the true geometry (PONI 2.1)
    truth/<name>.json           ground truth of every file (:mod:`saxs.simulate.truth`)
    beamtime.toml               the beamtime description read by ``saxs batch``
    README.txt                  what is where

The counting model is in :mod:`saxs.simulate.truth`, the curves in :mod:`saxs.simulate.physics`,
the pixel geometry in :mod:`saxs.simulate.detector`. Gap pixels and all dead pixels (also those
missing from the mask file) read ``2**32 - 1``.

Preset ``cdse-demo`` (default; Eiger2 4M binned 8 x 8 -> 270 x 258 pixels of 0.6 mm, 1.0 m,
12.24 keV (0.1013 nm), beam centre (x, y) = (112.4, 168.7) px: q from ~0.12 to 6 1/nm on a wide
arc, 8.5 1/nm in the far corner; 0.1 s frames, N0 ~ 5e10 photons per frame +- 3 %):

- darks (``dark``, 2 x frames), ``empty_beam`` (no sample: monitors give T = 1),
  blanks ``empty_capillary`` (Kapton walls, 2 x 50 um) and ``solvent_ode`` (walls + 1.5 mm
  1-octadecene), standards ``glassy_carbon`` (SRM 3600 plate, 1.055 mm) and ``water``
  (walls + 1.5 mm water, 0.01632 1/cm);
- the CdSe nucleation-temperature series ``cdse_T190`` .. ``cdse_T260`` (1.5 mm, contrast
  34.4e-6 1/A^2, volume fractions 2.5e-3 .. 4e-3): 190 C r = 0.87 nm; 200-220 C 0.94 nm;
  230 C 0.94 nm (65 % of the volume) + 1.02 nm (35 %); 240 C 1.02 nm (widths 3-3.5 %);
  250 C 1.20 nm (8 %); 260 C 1.45 nm (11 %). ``cdse_T220`` has a bubble in frame 2
  (transmission x 0.8, Porod spike at low q), recorded in its truth;
- the precursor (Cd-myristate mesophase) series ``precursor_T025/050/100`` in ODE: lamellar
  peaks at q = 1.8426 and 3.6852 1/nm (d = 3.41 nm), strong at 25 C, weaker at 50 C, absent at
  100 C, and a broad correlation maximum at 0.25 1/nm. Both series share the folder and the
  ``beamtime.toml`` (two ``[[series]]``).

Expected counts (cdse-demo, per 0.6 mm pixel and 0.1 s frame): dark 2; empty capillary ~270
(q = 0.3), ~85 (q > 2); solvent blank ~310 (q = 0.3), ~175 (q = 2-3), ~225 (q = 6); CdSe
``cdse_T200`` (r = 0.94 nm, phi = 3e-3, T = 0.74) ~2500 (q = 0.3), ~180 at its form-factor
minimum (q ~ 4.8), ~210 at q = 6, where the particles are ~7 % of the signal. A bin of
0.02 1/nm near q = 6 holds ~180 pixels, so the 5-frame average has ~2e5 counts per bin
(0.2 %, reduced sigma/I measured 0.14 % over 4-6 1/nm): the particle term is known to a few %
per bin, enough for a Monte Carlo fit to fix the radius to ~1 %. (Check: a parametric fit of
Gaussian spheres + a flat background to ``(sample - solvent blank)`` reduced with
:mod:`saxs.reduce`, 0.3-6 1/nm, gives r = 0.8702, 0.9399, 1.0199, 1.4498 nm for the true
0.87, 0.94, 1.02, 1.45 nm, statistical errors 0.01-0.02 %, chi2/n 0.8-1.3.)

Preset ``full``: full Eiger2 4M frames (2162 x 2068, 75 um, module gaps), the same physical
geometry and flux, a few measurements (darks, empty beam, blanks, glassy carbon, two CdSe
samples), 2 frames each by default; frames are generated and written one at a time.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, write_text_atomic
from ..errors import InputError
from ..id02.lima import lima_file_name
from . import detector as det
from .physics import CDSE_ODE_CONTRAST, BraggPeak, Population
from .rawfiles import HSI0, HSI1, HSTIME, SCALER_DARK_PER_S, SCALER_FACTORS, SCALER_NAMES, SCAN, uses_master
from .rawfiles import raw_file_name as rawfile_name
from .rawfiles import write_measurement
from .truth import Bubble, GroundTruth, Layer, save_truth

log = logging.getLogger(__name__)

PRESETS = ("cdse-demo", "full")
DETECTORS = ("small", "eiger2_4m")
#: Value of gap and dead pixels in the frames.
BAD_PIXEL_VALUE = np.iinfo(np.uint32).max

_MU_KAPTON = 2.3      # 1/cm at 12.2 keV
_MU_ODE = 1.0
_MU_WATER = 3.0
_MU_CDSE = 280.0
_MU_GLASSY_CARBON = 1.9
_WALLS_MM = 0.1       # two Kapton walls of 50 um
_PATH_MM = 1.5        # liquid path in the capillary


@dataclass(frozen=True)
class Measurement:
    """One raw file to simulate: its name, role and what is in the beam."""

    name: str
    kind: str  # "dark", "empty_beam", "blank", "standard", "sample"
    layers: tuple = ()
    frames: int = 5
    bubble: Bubble | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def beam_on(self) -> bool:
        return self.kind != "dark"


@dataclass(frozen=True)
class Plan:
    """A whole simulated beamtime: instrument parameters and the measurements."""

    preset: str
    geometry: det.Geometry
    exposure_time_s: float
    dark_rate_per_s: float
    n0_mean: float
    n0_rel_sd: float
    eta: float
    g0: float
    g1: float
    hsi0_factor: float
    hsi1_factor: float
    normalization_factor: float
    beamstop_radius_m: float
    beamstop_arm_m: float
    measurements: tuple
    title: str = "Simulated CdSe beamtime"


# --- building blocks --------------------------------------------------------------------------
def _walls() -> Layer:
    return Layer(name="capillary_walls", material="kapton", thickness_mm=_WALLS_MM, mu_per_cm=_MU_KAPTON)


def _liquid(*, solvent="solvent_ode", mu=_MU_ODE, populations=(), bragg=(), correlation=(),
            contrast=0.0) -> Layer:
    return Layer(name="liquid", material="liquid", thickness_mm=_PATH_MM, mu_per_cm=mu, solvent=solvent,
                 contrast_1e6_per_A2=contrast, populations=tuple(populations), bragg_peaks=tuple(bragg),
                 correlation_peaks=tuple(correlation))


def _pop(radius_nm: float, rel_width: float, volume_fraction: float) -> Population:
    """A volume-weighted Gaussian population (shorthand for the preset tables)."""
    return Population(mean_radius_nm=radius_nm, rel_width=rel_width, volume_fraction=volume_fraction)


def _cdse(temperature_c: float, pops, frames: int, bubble=None) -> Measurement:
    phi = sum(p.volume_fraction for p in pops)
    liquid = _liquid(populations=pops, contrast=CDSE_ODE_CONTRAST, mu=(1 - phi) * _MU_ODE + phi * _MU_CDSE)
    return Measurement(name=f"cdse_T{int(temperature_c)}", kind="sample", layers=(_walls(), liquid),
                       frames=frames, bubble=bubble,
                       metadata={"nucleation_temperature_C": float(temperature_c), "reaction_time_s": 7.0})


def _precursor(temperature_c: float, heights, widths, frames: int) -> Measurement:
    d_nm = 3.41
    peaks = tuple(BraggPeak(q_nm=n * 2 * np.pi / d_nm, height_1cm=h, width_nm=w)
                  for n, h, w in zip((1, 2), heights, widths) if h > 0)
    corr = (BraggPeak(q_nm=0.25, height_1cm=0.4, width_nm=0.15, shape="lorentzian"),)
    liquid = _liquid(bragg=peaks, correlation=corr, mu=1.6)
    return Measurement(name=f"precursor_T{int(temperature_c):03d}", kind="sample", layers=(_walls(), liquid),
                       frames=frames, metadata={"temperature_C": float(temperature_c), "lamellar_d_nm": d_nm})


def _common(frames: int) -> list:
    return [
        Measurement("dark", "dark", frames=2 * frames),
        Measurement("empty_beam", "empty_beam", frames=frames),
        Measurement("empty_capillary", "blank", layers=(_walls(),), frames=frames),
        Measurement("solvent_ode", "blank", layers=(_walls(), _liquid()), frames=frames),
        Measurement("glassy_carbon", "standard", frames=frames,
                    layers=(Layer(name="glassy_carbon", material="glassy_carbon", thickness_mm=1.055,
                                  mu_per_cm=_MU_GLASSY_CARBON),)),
        Measurement("water", "standard", layers=(_walls(), _liquid(solvent="water", mu=_MU_WATER)), frames=frames),
    ]


def _geometry(detector: str) -> det.Geometry:
    binning = 8 if detector == "small" else 1
    return det.Geometry(binning=binning, distance_m=1.0, wavelength_m=1.013e-10,
                        center_1_px=112.4 * 8 / binning, center_2_px=168.7 * 8 / binning)


def make_plan(preset: str = "cdse-demo", *, frames: int | None = None, detector: str | None = None) -> Plan:
    """The measurements and instrument parameters of a preset.

    Parameters
    ----------
    preset : {"cdse-demo", "full"}
    frames : int, optional
        Frames per file (darks get twice as many); default 5 (cdse-demo) or 2 (full).
    detector : {"small", "eiger2_4m"}, optional
        Override the preset's detector (small = Eiger2 4M binned 8 x 8).

    Returns
    -------
    Plan
    """
    if preset not in PRESETS:
        raise InputError(None, "--preset", f"one of {', '.join(PRESETS)}", got=preset)
    if detector is not None and detector not in DETECTORS:
        raise InputError(None, "--detector", f"one of {', '.join(DETECTORS)}", got=detector)
    if frames is not None and frames < 1:
        raise InputError(None, "--frames", "a positive number of frames", got=frames)
    n = frames or (5 if preset == "cdse-demo" else 2)
    detector = detector or ("small" if preset == "cdse-demo" else "eiger2_4m")
    bubble = Bubble(frame=min(2, n - 1), transmission_factor=0.8, porod_1cm_nm4=0.01) if n >= 2 else None
    series = [
        _cdse(190, (_pop(0.87, 0.035, 2.5e-3),), n),
        _cdse(200, (_pop(0.94, 0.03, 3.0e-3),), n),
        _cdse(210, (_pop(0.94, 0.03, 3.2e-3),), n),
        _cdse(220, (_pop(0.94, 0.03, 3.4e-3),), n, bubble=bubble),
        _cdse(230, (_pop(0.94, 0.03, 0.65 * 3.5e-3), _pop(1.02, 0.03, 0.35 * 3.5e-3)), n),
        _cdse(240, (_pop(1.02, 0.03, 3.5e-3),), n),
        _cdse(250, (_pop(1.20, 0.08, 3.8e-3),), n),
        _cdse(260, (_pop(1.45, 0.11, 4.0e-3),), n),
    ]
    if preset == "cdse-demo":
        measurements = _common(n) + series + [
            _precursor(25, (2.0, 0.5), (0.04, 0.05), n),
            _precursor(50, (0.6, 0.1), (0.06, 0.07), n),
            _precursor(100, (0.0, 0.0), (0.06, 0.07), n),
        ]
    else:
        keep = {"cdse_T200", "cdse_T240"}
        measurements = [m for m in _common(n) if m.name != "water"] + [m for m in series if m.name in keep]
    geometry = _geometry(detector)
    g1 = 1.5e-4
    return Plan(
        preset=preset, geometry=geometry, exposure_time_s=0.1,
        dark_rate_per_s=20.0 * geometry.binning**2 / 64,  # 20 /s per 0.6 mm pixel, 0.31 /s per 75 um pixel
        n0_mean=5.0e10, n0_rel_sd=0.03, eta=0.92, g0=2.0e-4, g1=g1, hsi0_factor=1.25, hsi1_factor=0.8,
        normalization_factor=g1 / 1.0,  # nominal efficiency 1: reduced intensity = 0.92 * S(q)
        beamstop_radius_m=1.5e-3, beamstop_arm_m=1.2e-3, measurements=tuple(measurements),
    )


# --- detector calibration images ---------------------------------------------------------------
@dataclass(frozen=True)
class DetectorImages:
    """Per-pixel arrays of the simulated detector (all shape (ny, nx))."""

    q_nm: np.ndarray
    solid_angle_sr: np.ndarray
    polarisation: np.ndarray
    flat: np.ndarray          # float32, as written to flat.edf
    shadow: np.ndarray        # bool: behind the beamstop (no scattered photons)
    mask: np.ndarray          # uint8: mask file (beamstop + margin, half the dead pixels)
    bad: np.ndarray           # bool: gaps + all dead pixels (read 2**32-1)
    gaps: np.ndarray
    dead: np.ndarray


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def detector_images(plan: Plan, seed: int) -> DetectorImages:
    """Geometry arrays, flat field, mask and bad pixels of ``plan``'s detector (deterministic in ``seed``)."""
    geom = plan.geometry
    ny, nx = geom.shape
    rng = _rng(seed, "detector")
    gaps = det.gap_mask(geom)
    yy, xx = np.mgrid[0:ny, 0:nx]
    smooth = 0.02 * np.sin(2 * np.pi * xx / nx * 1.3 + 0.4) * np.cos(2 * np.pi * yy / ny * 0.9 + 0.2)
    flat = (1.0 + smooth + 0.015 * rng.standard_normal((ny, nx))).astype(np.float32)
    flat[gaps] = 1.0
    n_dead = max(8, int(2e-4 * ny * nx))
    candidates = np.flatnonzero(~gaps.ravel())
    dead_idx = rng.choice(candidates, size=n_dead, replace=False)
    dead = np.zeros(ny * nx, dtype=bool)
    dead[dead_idx] = True
    dead = dead.reshape(ny, nx)
    in_mask = np.zeros(ny * nx, dtype=bool)
    in_mask[dead_idx[: n_dead // 2]] = True
    shadow = det.beamstop_mask(geom, radius_m=plan.beamstop_radius_m, arm_width_m=plan.beamstop_arm_m)
    mask_bs = det.beamstop_mask(geom, radius_m=plan.beamstop_radius_m, arm_width_m=plan.beamstop_arm_m,
                                margin_px=1.5)
    mask = (mask_bs | in_mask.reshape(ny, nx)).astype(np.uint8)
    return DetectorImages(q_nm=det.q_nm(geom), solid_angle_sr=det.solid_angle_sr(geom),
                          polarisation=det.polarisation(geom), flat=flat, shadow=shadow, mask=mask,
                          bad=gaps | dead, gaps=gaps, dead=dead)


def _write_edf(path: Path, data: np.ndarray, header: dict) -> None:
    import fabio.edfimage

    with atomic_path(path) as tmp:
        fabio.edfimage.EdfImage(data=data, header=header).write(str(tmp))


# --- one measurement ---------------------------------------------------------------------------
def make_truth(plan: Plan, m: Measurement, seed: int) -> GroundTruth:
    """Ground truth of measurement ``m`` (draws N0 per frame from the measurement's own stream)."""
    rng = _rng(seed, m.name + "/n0")
    if m.beam_on:
        n0 = plan.n0_mean * (1.0 + plan.n0_rel_sd * rng.standard_normal(m.frames))
    else:
        n0 = np.zeros(m.frames)
    return GroundTruth(
        name=m.name, kind=m.kind, raw_file=raw_file_name(plan, m), seed=int(seed), geometry=plan.geometry,
        exposure_time_s=plan.exposure_time_s, dark_rate_per_s=plan.dark_rate_per_s, eta=plan.eta,
        g0=plan.g0, g1=plan.g1, hsi0=HSI0, hsi1=HSI1, hsi0_factor=plan.hsi0_factor,
        hsi1_factor=plan.hsi1_factor, scaler_dark_per_s=SCALER_DARK_PER_S, scaler_names=SCALER_NAMES,
        normalization_factor=plan.normalization_factor, n0_per_frame=tuple(float(v) for v in n0),
        layers=m.layers, bubble=m.bubble, metadata=dict(m.metadata),
    )


#: Points of the ln q grid on which S(q) is evaluated exactly before interpolation to the pixels.
_GRID_POINTS = 20_001


def _scattering_image(truth: GroundTruth, q_pix: np.ndarray, frame: int | None) -> np.ndarray:
    """``S(q)`` at every pixel: a cubic spline in ln q through exact values on a 20001-point grid.

    The grid step in ln q is ~3.5e-4 (q from 0.008 to 8.3 1/nm); the spline error (fourth order
    in the step) is below 1e-8 relative even on the flanks of the sharpest curve (a Bragg peak of
    sigma 0.04 1/nm); only next to the kinks of the log-log-linear SRM 3600 curve does it reach
    4e-5 (glassy carbon file, full frames). All far below the Poisson noise of any pixel. The truth methods evaluate S
    exactly (per pixel that costs 3-60 times more: the particle term sums 201 radii per population).
    """
    from scipy.interpolate import CubicSpline

    qmin = max(float(q_pix.min()), 1e-4) / 1.001
    qmax = float(q_pix.max()) * 1.001
    ln_grid = np.linspace(np.log(qmin), np.log(qmax), _GRID_POINTS)
    spline = CubicSpline(ln_grid, truth.scattering_sum(np.exp(ln_grid), frame=frame))
    return spline(np.log(np.maximum(q_pix, qmin)))


#: Header keys kept numeric; all others are written as ID02-style byte strings (both occur).
_NUMERIC_KEYS = ("Dummy", "DDummy", "BSize_1", "BSize_2")


def raw_file_name(plan: Plan, m: Measurement) -> str:
    """The file to reduce, relative to the beamtime folder: the master file or the LIMA file."""
    return rawfile_name(m.name, m.kind, plan.geometry.detector_name)


def _header(plan: Plan, m: Measurement, truth: GroundTruth) -> dict:
    """ID02 header: numbers as exact decimal strings (``repr``), a few as numbers.

    BLISS datasets get counter names in HSI0/HSI1/HSTime, LIMA + scalers files 1-based pin numbers.
    """
    out = {k: (v if k in _NUMERIC_KEYS or isinstance(v, str) else repr(v))
           for k, v in _header_values(plan, m, truth).items()}
    if uses_master(m.kind):
        out.update(HSI0=SCALER_NAMES[HSI0 - 1], HSI1=SCALER_NAMES[HSI1 - 1], HSTime=SCALER_NAMES[HSTIME - 1])
    return out


def _header_values(plan: Plan, m: Measurement, truth: GroundTruth) -> dict:
    geom = plan.geometry
    return {
        "Title": f"{m.name} ({m.kind}, simulated)",
        "Center_1": geom.center_1_px, "Center_2": geom.center_2_px,
        "PSize_1": geom.pixel_size_m, "PSize_2": geom.pixel_size_m,
        "SampleDistance": geom.distance_m, "WaveLength": geom.wavelength_m,
        "DetectorRotation_1": 0.0, "DetectorRotation_2": 0.0, "DetectorRotation_3": 0.0,
        "BSize_1": geom.binning, "BSize_2": geom.binning,
        "Dummy": 0, "DDummy": 0,
        "ExposureTime": plan.exposure_time_s,
        "HSI0": HSI0, "HSI1": HSI1, "HSTime": HSTIME,
        "HSI0Factor": plan.hsi0_factor, "HSI1Factor": plan.hsi1_factor,
        "ShutterOpeningTime": 0.0, "ShutterClosingTime": 0.0, "HS32Len": len(SCALER_NAMES),
        **{f"HS32N{k + 1:02d}": name for k, name in enumerate(SCALER_NAMES)},
        **{f"HS32Z{k + 1:02d}": z for k, z in enumerate(SCALER_DARK_PER_S)},
        **{f"HS32F{k + 1:02d}": f for k, f in enumerate(SCALER_FACTORS)},
        "NormalizationFactor": plan.normalization_factor,
        "polarization_factor": geom.polarization_factor,
        "MaskFileName": "calibrations/mask.edf", "FlatfieldFileName": "calibrations/flat.edf",
        "DarkFileName": f"raw/{lima_file_name('dark', geom.detector_name, SCAN)}",
        "SampleThickness": float(truth.thickness_mm) if truth.thickness_mm is not None else 0.0,
        "DetectorName": geom.detector_name,
    }


def _pixel_gain(plan: Plan, img: DetectorImages) -> np.ndarray:
    """``eta * flat * P * dOmega`` per pixel, 0 behind the beamstop."""
    gain = plan.eta * img.flat.astype(np.float64) * img.polarisation * img.solid_angle_sr
    gain[img.shadow] = 0.0
    return gain


def _expected(truth: GroundTruth, gain: np.ndarray, s_image: np.ndarray, frame: int) -> np.ndarray:
    return (truth.dark_rate_per_s * truth.exposure_time_s
            + gain * (truth.n0_per_frame[frame] * truth.frame_transmission(frame)) * s_image)


def _s_image(truth: GroundTruth, img: DetectorImages, frame: int | None) -> np.ndarray:
    if not truth.layers:
        return np.zeros(img.q_nm.shape)
    return _scattering_image(truth, img.q_nm, frame)


def _frames(plan: Plan, truth: GroundTruth, img: DetectorImages, seed: int):
    """Yield the frames of ``truth`` one at a time (uint32, bad pixels at 2**32-1)."""
    rng = _rng(seed, truth.name + "/frames")
    gain = _pixel_gain(plan, img)
    clean = _s_image(truth, img, None)
    for k in range(truth.n_frames):
        bubble = truth.bubble is not None and k == truth.bubble.frame
        counts = rng.poisson(_expected(truth, gain, _s_image(truth, img, k) if bubble else clean, k))
        counts = counts.astype(np.uint32)
        counts[img.bad] = BAD_PIXEL_VALUE
        yield counts


def expected_image(plan: Plan, truth: GroundTruth, img: DetectorImages, frame: int) -> np.ndarray:
    """Expected counts of ``frame`` exactly as the simulator draws them (before Poisson noise), (ny, nx)."""
    return _expected(truth, _pixel_gain(plan, img), _s_image(truth, img, frame), frame)


# --- the folder --------------------------------------------------------------------------------
def simulate_beamtime(outdir, *, preset: str = "cdse-demo", seed: int = 20261124, frames: int | None = None,
                      detector: str | None = None, progress: bool = False) -> dict:
    """Write a complete simulated beamtime folder and return a summary.

    Parameters
    ----------
    outdir : str or os.PathLike
        Folder to write (created; existing files of the same names are replaced atomically).
    preset, frames, detector : see :func:`make_plan`
    seed : int
        Seed of every random draw (frames, N0, flat, dead pixels); same seed -> identical files.
    progress : bool
        Show a progress bar (tqdm) on stderr.

    Returns
    -------
    dict
        ``{"outdir", "preset", "seed", "detector", "shape", "files": [relative paths],
        "samples": [names], "truth": [relative paths]}``.
    """
    outdir = Path(outdir)
    plan = make_plan(preset, frames=frames, detector=detector)
    seed = int(seed)
    img = detector_images(plan, seed)
    files: list[str] = []
    cal = outdir / "calibrations"
    _write_edf(cal / "flat.edf", img.flat, {"Title": "simulated flat field", "seed": str(seed)})
    _write_edf(cal / "mask.edf", img.mask, {"Title": "simulated mask (1 = masked): beamstop + dead pixels"})
    write_text_atomic(cal / "geometry.poni", det.poni_text(plan.geometry))
    files += ["calibrations/flat.edf", "calibrations/mask.edf", "calibrations/geometry.poni"]
    truth_files = []
    iterator = plan.measurements
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="simulate", unit="file")
    for m in iterator:
        truth = make_truth(plan, m, seed)
        files += write_measurement(outdir, truth, _frames(plan, truth, img, seed), _header(plan, m, truth),
                                   detector=plan.geometry.detector_name)
        save_truth(outdir / "truth" / f"{m.name}.json", truth)
        truth_files.append(f"truth/{m.name}.json")
        log.info("wrote %s", truth.raw_file)
    write_text_atomic(outdir / "beamtime.toml", beamtime_toml(plan, seed))
    write_text_atomic(outdir / "README.txt", readme_text(plan, seed))
    files += ["beamtime.toml", "README.txt"]
    return {
        "outdir": str(outdir), "preset": plan.preset, "seed": seed, "detector": plan.geometry.detector_name,
        "shape": list(plan.geometry.shape), "files": files + truth_files,
        "samples": [m.name for m in plan.measurements if m.kind == "sample"], "truth": truth_files,
    }


def beamtime_toml(plan: Plan, seed: int) -> str:
    """The ``beamtime.toml`` (schema version 1) describing the simulated folder."""
    names = {m.name for m in plan.measurements}
    raw = {m.name: raw_file_name(plan, m) for m in plan.measurements}
    lines = [
        "# Written by saxs simulate: description of this simulated beamtime (read by saxs batch).",
        "# Paths are relative to this file.",
        "version = 1",
        f'title = "{plan.title} (preset {plan.preset}, seed {seed})"',
        "",
        "[instrument]",
        'poni = "calibrations/geometry.poni"',
        'mask = "calibrations/mask.edf"',
        f'dark = "{raw["dark"]}"',
        'flat = "calibrations/flat.edf"',
        f'empty_beam = "{raw["empty_beam"]}"',
        "npt = 400",
        "# the median of 10 Poisson(2) dark frames reads 1.85 counts, not 2: average after clipping zingers",
        'dark_statistic = "clipped_mean"',
        "",
        "[absolute]",
        f'standard_file = "{raw["glassy_carbon"]}"',
        'standard = "srm3600"',
        "standard_thickness_mm = 1.055",
        "",
        "[blanks.solvent_ode]",
        f'files = ["{raw["solvent_ode"]}"]',
        'empty = "empty_capillary"',
        "",
        "[blanks.empty_capillary]",
        f'files = ["{raw["empty_capillary"]}"]',
        "",
    ]
    for m in plan.measurements:
        if m.kind != "sample":
            continue
        lines += [
            "[[samples]]",
            f'name = "{m.name}"',
            f'files = ["{raw[m.name]}"]',
            'solvent = "solvent_ode"',
            'empty = "empty_capillary"',
            f"thickness_mm = {_PATH_MM}",
        ]
        # the particles' volume fraction, as a chemist knows it from the synthesis (solvent displacement)
        phi = sum(p.volume_fraction for layer in m.layers for p in getattr(layer, "populations", ()))
        if phi > 0:
            lines.append(f"volume_fraction = {phi!r}")
        lines += [
            "[samples.metadata]",
        ]
        lines += [f"{k} = {float(v)!r}" for k, v in m.metadata.items()]
        lines.append("")
    lines += [
        "[fit]",
        "q_range_nm = [0.3, 6.0]",
        "radius_range_nm = [0.3, 4.0]",
        "contributions = 300",
        "repetitions = 10",
        f"seed = {seed}",
        f"contrast_sld = {CDSE_ODE_CONTRAST}",
        "bins = 60",
        "",
        "[[series]]",
        'name = "nucleation_temperature"',
        'by = "nucleation_temperature_C"',
        'samples = ["cdse_T*"]',
        'analysis = "steps"',
        "",
    ]
    if any(n.startswith("precursor_") for n in names):
        lines += [
            "[[series]]",
            'name = "precursor_mesophase"',
            'by = "temperature_C"',
            'samples = ["precursor_T*"]',
            'analysis = "peaks"',
            "",
        ]
    if "water" in names:
        lines += [
            "# A second absolute standard measured in this beamtime (water, 0.01632 1/cm at 20 C):",
            f'# standard_file = "{raw.get("water", "")}", standard = "water", standard_thickness_mm = 1.5,',
            '# standard_empty = "empty_capillary"',
            "",
        ]
    return "\n".join(lines)


def readme_text(plan: Plan, seed: int) -> str:
    """The README.txt of a simulated folder."""
    geom = plan.geometry
    ny, nx = geom.shape
    rows = "\n".join(f"  {raw_file_name(plan, m)}  {m.kind:<10s} {m.frames} frames"
                     + (f"  (bubble in frame {m.bubble.frame})" if m.bubble else "")
                     for m in plan.measurements)
    return f"""Simulated ID02 beamtime (saxs simulate, preset {plan.preset}, seed {seed})

raw/            ID02 layouts. Samples and standards: BLISS master files <name>.h5 (scan {SCAN}.1; frames an
                external link into the LIMA file <name>_{geom.detector_name}_{SCAN:05d}_00.h5; monitors
                in {SCAN}.1/measurement/{SCALER_NAMES[HSI0 - 1]} (HSI0) and {SCALER_NAMES[HSI1 - 1]} (HSI1)). Dark, empty beam,
                blanks: LIMA file + scalers file <name>_scalers_{SCAN:05d}_00.h5 (HSI0 = pin {HSI0}, HSI1 = pin {HSI1}).
                LIMA frames at entry_0000/ESRF-ID02/{geom.detector_name}/data ({ny} x {nx} uint32,
                gaps and dead pixels = 4294967295), header beside them.
calibrations/   flat.edf (flat field, counts contain it), mask.edf (1 = masked: beamstop and some
                dead pixels; other dead pixels only show as 4294967295), geometry.poni (true geometry).
truth/          one JSON per raw file: every parameter of the simulation (load with
                saxs.simulate.truth.load_truth); total_reduced_intensity(q) is what the reduction must give.
beamtime.toml   the beamtime description for saxs batch.

Geometry: distance {geom.distance_m} m, wavelength {geom.wavelength_m * 1e9:.4f} nm, pixel {geom.pixel_size_m * 1e3:.3f} mm,
beam centre (Center_1 = x, Center_2 = y) = ({geom.center_1_px}, {geom.center_2_px}) px, polarisation {geom.polarization_factor}.
Exposure {plan.exposure_time_s} s per frame; N0 ~ {plan.n0_mean:.3g} photons per frame.

Files:
{rows}
"""
