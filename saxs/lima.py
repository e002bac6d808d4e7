"""The ID02 LIMA HDF5 layout: constants and a writer (used by the simulator and by tests).

Layout written (and read by :mod:`saxs.frames`)::

    entry_0000                                NXentry
      instrument                              NXinstrument
        <detector>                            NXdetector   (e.g. "eiger2_4m")
          data        (n_frames, ny, nx) uint32, bitshuffle-LZ4 (hdf5plugin), chunks (1, ny, nx)
          header                              NXcollection: one scalar per key, byte strings
                                              (ID02 style) or numbers; both must be accepted
      measurement                             NXcollection
        data  -> soft link to /entry_0000/instrument/<detector>/data
        scalers                               NXcollection (optional)
          HS32V   (n_frames, n_channels) float64   raw scaler counts per frame
          HS32Z   (n_channels,) float64            scaler dark rate, counts per second
          HS32N   (n_channels,) str                channel names

Monitors (ID02 convention): the header's ``HSI0`` / ``HSI1`` are the *indices* of the
incident / transmitted-flux channels in ``HS32V``; the monitor value of frame k is
``(HS32V[k, HSIx] - HS32Z[HSIx] * ExposureTime) * HSIxFactor``. A file without ``scalers`` has
no monitor values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import h5py
import hdf5plugin
import numpy as np

from .atomic import atomic_path

ENTRY = "entry_0000"
FRAMES_PATH = f"{ENTRY}/measurement/data"
SCALERS_PATH = f"{ENTRY}/measurement/scalers"


def header_path(detector: str) -> str:
    """Path of the header NXcollection for ``detector``."""
    return f"{ENTRY}/instrument/{detector}/header"


def _header_value(value) -> bytes | int | float:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value
    return str(value).encode()


def write_lima(
    path,
    frames,
    header: Mapping[str, object],
    *,
    detector: str = "eiger2_4m",
    scalers: Mapping[str, np.ndarray] | None = None,
    numeric_header: bool = False,
) -> Path:
    """Write frames and a header in the ID02 LIMA layout (atomically).

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.h5`` file.
    frames : ndarray, shape (n_frames, ny, nx), or iterable of ndarray, shape (ny, nx)
        Detector counts; stored as uint32 (values are clipped to the uint32 range). An
        iterable is written one frame at a time, so a long series need not be in memory.
    header : mapping
        Header keys (``Center_1``, ``PSize_1``, ``SampleDistance``, ``WaveLength``, ``HSI0``...).
    detector : str, optional
        Name of the detector group.
    scalers : mapping, optional
        ``{"HS32V": (n_frames, n_ch), "HS32Z": (n_ch,), "HS32N": list of n_ch names}``.
    numeric_header : bool, optional
        Store numbers as numbers instead of ID02's byte strings (both occur in real files).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    iterator = iter(frames) if not isinstance(frames, np.ndarray) else iter(frames)
    first = np.asarray(next(iterator))
    ny, nx = first.shape
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            entry = f.create_group(ENTRY)
            entry.attrs["NX_class"] = "NXentry"
            instrument = entry.create_group("instrument")
            instrument.attrs["NX_class"] = "NXinstrument"
            det = instrument.create_group(detector)
            det.attrs["NX_class"] = "NXdetector"
            dset = det.create_dataset(
                "data", shape=(0, ny, nx), maxshape=(None, ny, nx), dtype=np.uint32,
                chunks=(1, ny, nx), **hdf5plugin.Bitshuffle(cname="lz4"),
            )
            n = 0
            for frame in _chain(first, iterator):
                frame = np.asarray(frame)
                if frame.shape != (ny, nx):
                    raise ValueError(f"frame {n} has shape {frame.shape}, expected {(ny, nx)}")
                dset.resize(n + 1, axis=0)
                dset[n] = np.clip(np.rint(frame), 0, np.iinfo(np.uint32).max).astype(np.uint32)
                n += 1
            head = det.create_group("header")
            head.attrs["NX_class"] = "NXcollection"
            for key, value in header.items():
                head.create_dataset(key, data=value if numeric_header and not isinstance(value, str)
                                    else _header_value(value))
            measurement = entry.create_group("measurement")
            measurement.attrs["NX_class"] = "NXcollection"
            measurement["data"] = h5py.SoftLink(f"/{ENTRY}/instrument/{detector}/data")
            if scalers is not None:
                sc = measurement.create_group("scalers")
                sc.attrs["NX_class"] = "NXcollection"
                sc.create_dataset("HS32V", data=np.asarray(scalers["HS32V"], dtype=np.float64))
                sc.create_dataset("HS32Z", data=np.asarray(scalers["HS32Z"], dtype=np.float64))
                sc.create_dataset("HS32N", data=np.array(list(scalers["HS32N"]), dtype=h5py.string_dtype()))
    return path


def _chain(first, rest):
    yield first
    yield from rest
