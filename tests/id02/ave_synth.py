"""Reduced 1-D files in ID02's ``*_ave.h5`` layout, written directly with h5py for the tests.

The layout is the one dahu (``plugins/id02/single_detector.py``) and ewoksid02
(``tasks/averagetask.py``, ``id02_format.py``) write: ``entry_0000`` (NXentry, ``@default`` the
absolute path of the NXdata) / ``PyFAI`` (NXprocess) / ``result_ave`` (NXdata: ``data``
(n_frames, npt) float32, ``data_errors`` when a variance formula was set, ``q`` with
``@unit = "q_nm^-1"``, ``t``) and ``PyFAI/parameters`` with the header strings (``Dummy``...).
The curves are Poisson counts of a known model, so every test has its truth.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np


def sphere_intensity(q_nm, radius_nm, scale=1.0, background=0.0):
    """Monodisperse spheres: scale * (3 (sin x - x cos x) / x^3)^2 + background, x = q r."""
    x = np.asarray(q_nm, dtype=float) * radius_nm
    amp = np.where(x > 1e-3, 3 * (np.sin(x) - x * np.cos(x)) / np.where(x > 1e-3, x, 1.0) ** 3, 1 - x**2 / 10)
    return scale * amp**2 + background


def poisson_frames(q_nm, intensity, *, n_frames, counts_scale, seed):
    """Frames of Poisson counts of ``intensity`` normalised back: (data, sigma, true sigma).

    A bin of intensity I collects ``N ~ Poisson(I * w(q))`` counts, ``w = counts_scale * q / q_max``
    (the pixels of a ring grow as q), and the file holds ``N / w`` with the error ``sqrt(N) / w``
    (pyFAI's Poisson variance formula); the true sigma is ``sqrt(I * w) / w``.
    """
    rng = np.random.default_rng(seed)
    w = counts_scale * np.asarray(q_nm) / np.max(q_nm)
    counts = rng.poisson(np.asarray(intensity) * w, size=(n_frames, np.size(q_nm))).astype(float)
    data = counts / w
    sigma = np.sqrt(np.maximum(counts, 1.0)) / w
    return data, sigma, np.sqrt(intensity * w) / w


def write_ave(path, q, data, errors=None, *, t=None, dummy=-10.0, ddummy=0.1, q_unit="q_nm^-1",
              masked_bins=(), title="ave"):
    """Write an ``*_ave.h5`` as dahu/ewoksid02 lay it out; ``masked_bins`` are set to ``dummy``."""
    path = Path(path)
    data = np.array(data, dtype=np.float32)
    errors = None if errors is None else np.array(errors, dtype=np.float32)
    if masked_bins:
        idx = list(masked_bins)
        data[..., idx] = dummy
        if errors is not None:
            errors[..., idx] = dummy
    with h5py.File(path, "w") as f:
        f.attrs["creator"] = "dahu"
        f.attrs["default"] = "entry_0000"
        entry = f.create_group("entry_0000")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = title
        entry["program_name"] = "dahu"
        process = entry.create_group("PyFAI")
        process.attrs["NX_class"] = "NXprocess"
        process["processing_type"] = "ave"
        params = process.create_group("parameters")
        for key, value in {"Dummy": dummy, "DDummy": ddummy, "SampleDistance": "1.5",
                           "WaveLength": "1.0e-10"}.items():
            params[key] = str(value)
        nxdata = process.create_group("result_ave")
        nxdata.attrs["NX_class"] = "NXdata"
        nxdata.attrs["signal"] = "data"
        nxdata.attrs["axes"] = [".", "q"] if data.ndim == 2 else ["q"]
        entry.attrs["default"] = nxdata.name  # an absolute path, as dahu writes it
        ds = nxdata.create_dataset("data", data=data, chunks=(1,) + data.shape[1:] if data.ndim == 2 else None)
        ds.attrs["interpretation"] = "spectrum"
        if errors is not None:
            nxdata.create_dataset("data_errors", data=errors)
        qd = nxdata.create_dataset("q", data=np.asarray(q, dtype=np.float32))
        if q_unit is not None:
            qd.attrs["unit"] = q_unit
        qd.attrs["axis"] = "2"
        if t is not None:
            td = nxdata.create_dataset("t", data=np.asarray(t, dtype=float))
            td.attrs["unit"] = "s"
    return path


def write_plain_nxdata(path, q, intensity, errors, *, q_units="1/angstrom"):
    """A 1-D NXdata another program might write: root @default -> entry @default -> data."""
    with h5py.File(path, "w") as f:
        f.attrs["default"] = "scan"
        entry = f.create_group("scan")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "curve"
        data = entry.create_group("curve")
        data.attrs["NX_class"] = "NXdata"
        data.attrs["signal"] = "I"
        data.attrs["axes"] = ["Q"]
        i = data.create_dataset("I", data=np.asarray(intensity, dtype=float))
        i.attrs["uncertainties"] = "Idev"
        data.create_dataset("Idev", data=np.asarray(errors, dtype=float))
        data.create_dataset("Q", data=np.asarray(q, dtype=float)).attrs["units"] = q_units
    return Path(path)
