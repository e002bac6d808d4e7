"""A BLISS dataset as ID02 writes it (master file + LIMA file + mask), built directly with h5py.

Not through our simulator: the layout is taken from what ewoksid02 0.4.0 reads
(``id02_format.py``: ``ID02BlissMasterFile`` / ``ID02BlissLimaFile``; ``tasks/id02task.py``:
counters from ``<scan>.1/measurement``) and what LIMA writes:

- master ``<dataset>.h5``: root ``@creator = "Bliss"``; ``1.1`` (NXentry) with ``title``,
  ``sample/name`` (the collection), ``instrument/eiger2/data`` (an external link into the LIMA
  file), ``measurement/`` with one value per frame: ``pin41`` (incident monitor), ``pin5``
  (transmitted monitor), ``time`` (s), ``elapsed_time`` (s), and ``eiger2`` (the frames again);
- LIMA ``<collection>_eiger2_00001_00.h5``: root ``@creator = "LIMA-1.9.21"``;
  ``entry_0000/ESRF-ID02/eiger2`` (NXinstrument / NXdetector) with ``data`` (uint32,
  bitshuffle-LZ4, chunks of one frame), ``header/`` (string datasets), ``acquisition/
  exposure_time``, ``image_operation/binning``; ``entry_0000/measurement/data`` and
  ``eiger2/plot`` soft links to the frames;
- a mask EDF at the binned shape (1 = masked: the beamstop and a gap band).

The counts are Poisson draws of a known model: spheres (Gaussian radii) plus a flat background,
``lambda = I(q) * Omega_abs * P / (Omega_0 * M_0) * M_k`` per pixel and frame ``k`` with the
transmitted monitor ``M_k``; the header's ``NormalizationFactor = Omega_0 * M_0`` makes ID02's
normalisation ``(raw) * NormalizationFactor / (M_k * Omega_abs * P)`` return ``I(q)`` itself.
Gap pixels read as the integer maximum (2**32 - 1), as on the Eiger2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np

UINT32_MAX = np.iinfo(np.uint32).max


@dataclass(frozen=True)
class SphereModel:
    """Spheres with Gaussian radii (number-weighted), plus a flat background; I in arbitrary units."""

    radius_nm: float = 2.5
    rel_width: float = 0.05
    scale: float = 4000.0  # intensity at q -> 0 (without background)
    background: float = 3.0

    def intensity(self, q_nm):
        q = np.asarray(q_nm, dtype=float)
        r = np.linspace(1 - 4 * self.rel_width, 1 + 4 * self.rel_width, 81) * self.radius_nm
        w = np.exp(-0.5 * ((r / self.radius_nm - 1) / self.rel_width) ** 2) * r**6  # number x V^2
        x = np.multiply.outer(q, r)
        small = x < 1e-3
        xs = np.where(small, 1.0, x)
        amp = np.where(small, 1 - x**2 / 10, 3 * (np.sin(xs) - xs * np.cos(xs)) / xs**3)
        return self.scale * (amp**2 @ w) / w.sum() + self.background


@dataclass(frozen=True)
class BlissDataset:
    """What the builder wrote and the truth behind it."""

    master: Path
    lima: Path
    mask: Path
    detector: str
    scan: int
    shape: tuple[int, int]
    i0: np.ndarray
    i1: np.ndarray
    exposure_s: float
    header: dict
    model: SphereModel


GEOMETRY = {  # binned 4x4 Eiger2-like detector, 1.2 m, 12.4 keV
    "shape": (300, 280),  # rows (y, slow), columns (x, fast)
    "psize_m": 300e-6,
    "binning": 4,
    "center_x_px": 121.3,
    "center_y_px": 139.7,
    "distance_m": 1.2,
    "wavelength_m": 1.0e-10,
}


def _write_edf_mask(path: Path, mask: np.ndarray) -> None:
    import fabio.edfimage

    fabio.edfimage.EdfImage(data=mask.astype(np.int8), header={"Dummy": "0", "DDummy": "0"}).write(str(path))


def _pixel_arrays(geometry):
    """q (1/nm), absolute solid angle (sr) and polarisation (factor 0.99) per pixel, from pyFAI."""
    from pyFAI.detectors import Detector
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    shape = geometry["shape"]
    p = geometry["psize_m"]
    ai = AzimuthalIntegrator(detector=Detector(pixel1=p, pixel2=p, max_shape=shape))
    ai.setFit2D(geometry["distance_m"] * 1e3, geometry["center_x_px"], geometry["center_y_px"],
                pixelX=p * 1e6, pixelY=p * 1e6)
    ai.wavelength = geometry["wavelength_m"]
    q = ai.array_from_unit(shape=shape, typ="center", unit="q_nm^-1", scale=True)
    omega = ai.solidAngleArray(shape, absolute=True)
    pol = ai.polarization(shape, factor=0.99, axis_offset=0)
    return np.asarray(q), np.asarray(omega), np.asarray(pol)


def header_strings(geometry, *, n_frames: int, exposure_s: float, norm_factor: float, mask_file: Path,
                   variance_formula: str | None = "data + 0 * dark") -> dict[str, str]:
    """The LIMA header as ID02's BLISS-era acquisition writes it (counter names in HSI0/HSI1/HSTime)."""
    h = {
        "Center_1": f"{geometry['center_x_px']}", "Center_2": f"{geometry['center_y_px']}",
        "PSize_1": f"{geometry['psize_m']}", "PSize_2": f"{geometry['psize_m']}",
        "BSize_1": f"{geometry['binning']}", "BSize_2": f"{geometry['binning']}",
        "Offset_1": "0", "Offset_2": "0", "RasterOrientation": "3",
        "SampleDistance": f"{geometry['distance_m']}", "WaveLength": f"{geometry['wavelength_m']}",
        "Dummy": "-10", "DDummy": "0.1",
        "DetectorRotation_1": "0.0", "DetectorRotation_2": "0.0", "DetectorRotation_3": "0.0",
        "NormalizationFactor": f"{norm_factor!r}", "polarization_factor": "0.99",
        "polarization_axis_offset": "0",
        "HS32Len": "4", "HS32N01": "time", "HS32N02": "pin41", "HS32N03": "pin5", "HS32N04": "pin3",
        "HS32Z01": "0", "HS32Z02": "0", "HS32Z03": "0", "HS32Z04": "0",
        "HS32F01": "1e-06", "HS32F02": "1", "HS32F03": "1", "HS32F04": "1",
        "HSI0": "pin41", "HSI1": "pin5", "HSTime": "time", "HSI0Factor": "1", "HSI1Factor": "1",
        "ShutterOpeningTime": "0", "ShutterClosingTime": "0", "ExposureTime": f"{exposure_s}",
        "DetectorMaskFilePath": str(mask_file.parent), "DetectorMaskFileName": mask_file.name,
        "MaskFilePath": str(mask_file.parent), "MaskFileName": mask_file.name,
        "Title": "spheres", "TitleBody": "spheres", "DetectorName": "eiger2",
    }
    if variance_formula is not None:
        h["variance_formula"] = variance_formula
    return h


def build_dataset(folder, *, n_frames: int = 4, seed: int = 20261130, model: SphereModel = SphereModel(),
                  collection: str = "spheres", dataset: str = "spheres_0001", scan: int = 1,
                  exposure_s: float = 1.0, monitor_nominal: float = 1.0e5) -> BlissDataset:
    """Write a master file, its LIMA file and a mask into ``folder``; return paths and truth.

    Parameters
    ----------
    folder : path
        Created if needed.
    n_frames : int
        Frames of the scan.
    seed : int
        Seed of the Poisson draws and of the monitor values.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    g = GEOMETRY
    ny, nx = g["shape"]
    rng = np.random.default_rng(seed)
    q, omega, pol = _pixel_arrays(g)
    omega0 = (g["psize_m"] / g["distance_m"]) ** 2
    norm_factor = omega0 * monitor_nominal
    i1 = monitor_nominal * (1 + 0.05 * rng.uniform(-1, 1, n_frames))  # transmitted (pin5)
    i0 = i1 / 0.62  # incident (pin41): a transmission of 0.62
    expected = model.intensity(q) * omega * pol / norm_factor  # counts per unit monitor

    # mask: a beamstop disc of 9 px around the beam and a two-row gap band (module gap)
    yy, xx = np.mgrid[0:ny, 0:nx] + 0.5
    mask = ((xx - g["center_x_px"]) ** 2 + (yy - g["center_y_px"]) ** 2) < 9.0**2
    gap = np.zeros((ny, nx), dtype=bool)
    gap[200:202, :] = True
    mask |= gap
    mask_file = folder / "mask_binned.edf"
    _write_edf_mask(mask_file, mask)

    frames = np.empty((n_frames, ny, nx), dtype=np.uint32)
    for k in range(n_frames):
        frames[k] = rng.poisson(expected * i1[k])
    frames[:, gap] = UINT32_MAX

    header = header_strings(g, n_frames=n_frames, exposure_s=exposure_s, norm_factor=norm_factor,
                            mask_file=mask_file)
    lima = folder / f"{collection}_eiger2_{scan:05d}_00.h5"
    with h5py.File(lima, "w") as f:
        f.attrs["creator"] = "LIMA-1.9.21"
        f.attrs["default"] = "entry_0000"
        entry = f.create_group("entry_0000")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "spheres"
        inst = entry.create_group("ESRF-ID02")
        inst.attrs["NX_class"] = "NXinstrument"
        det = inst.create_group("eiger2")
        det.attrs["NX_class"] = "NXdetector"
        det.create_dataset("data", data=frames, chunks=(1, ny, nx),
                           **hdf5plugin.Bitshuffle(nelems=0, cname="lz4"))
        det["data"].attrs["interpretation"] = "image"
        hdr = det.create_group("header")
        for key, value in header.items():
            hdr[key] = value.encode()
        acq = det.create_group("acquisition")
        acq["exposure_time"] = exposure_s
        acq["nb_frames"] = n_frames
        binning = det.create_group("image_operation/binning")
        binning["x"] = g["binning"]
        binning["y"] = g["binning"]
        det["plot"] = h5py.SoftLink(det["data"].name)
        meas = entry.create_group("measurement")
        meas.attrs["NX_class"] = "NXcollection"
        meas["data"] = h5py.SoftLink(det["data"].name)

    master = folder / f"{dataset}.h5"
    with h5py.File(master, "w") as f:
        f.attrs["creator"] = "Bliss"
        f.attrs["NX_class"] = "NXroot"
        f.attrs["default"] = f"{scan}.1"
        scan_grp = f.create_group(f"{scan}.1")
        scan_grp.attrs["NX_class"] = "NXentry"
        scan_grp["title"] = "loopscan"
        sample = scan_grp.create_group("sample")
        sample.attrs["NX_class"] = "NXsample"
        sample["name"] = collection.encode()
        inst = scan_grp.create_group("instrument")
        inst.attrs["NX_class"] = "NXinstrument"
        det = inst.create_group("eiger2")
        det.attrs["NX_class"] = "NXdetector"
        det["data"] = h5py.ExternalLink(lima.name, "/entry_0000/ESRF-ID02/eiger2/data")
        meas = scan_grp.create_group("measurement")
        meas.attrs["NX_class"] = "NXcollection"
        meas["pin41"] = i0
        meas["pin5"] = i1
        meas["pin3"] = np.zeros(n_frames)
        meas["time"] = np.full(n_frames, exposure_s)
        meas["elapsed_time"] = np.arange(n_frames) * exposure_s
        meas["eiger2"] = h5py.ExternalLink(lima.name, "/entry_0000/ESRF-ID02/eiger2/data")
    return BlissDataset(master=master, lima=lima, mask=mask_file, detector="eiger2", scan=scan,
                        shape=(ny, nx), i0=i0, i1=i1, exposure_s=exposure_s, header=header, model=model)
