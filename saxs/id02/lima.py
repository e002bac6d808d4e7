"""LIMA HDF5 files as ID02 writes them: reader (:class:`LimaFile`) and writer (:func:`write_lima`).

Layout (LIMA's HDF5 saving, read by ewoksid02 and dahu)::

    /                                   @creator = "LIMA-<version>"
    entry_0000                          NXentry (entry_0001, ... when LIMA splits an acquisition)
      <instrument>                      NXinstrument ("ESRF-ID02" for the Eiger2, or "instrument")
        <detector>                      NXdetector (e.g. "eiger2")
          data      (n, ny, nx) uint32, bitshuffle-LZ4 (hdf5plugin), chunks of one frame
          header                        NXcollection: one string dataset per key (Center_1, PSize_1,
                                        BSize_1, SampleDistance, WaveLength, HSI0, HSI1, HSTime, ...)
          acquisition/exposure_time     s
          image_operation/binning/{x,y}
          plot                          NXdata, data -> soft link to ../data
      measurement/data -> soft link to /entry_0000/<instrument>/<detector>/data

Frames of all entries are read in order, one at a time. The monitors are not in the LIMA file: they
come from its scalers file (:mod:`saxs.id02.scalers`), found beside it by name or given explicitly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np

from .. import crumbs
from ..atomic import atomic_path
from ..errors import InputError
from .base import Monitors, RawFile, short_error
from .binning import header_binning
from .header import decode_value, header_float, read_header_group
from .scalers import companion_path, read_scalers

ENTRY = "entry_0000"
FRAMES_PATH = f"{ENTRY}/measurement/data"
_ENTRY_NAME = re.compile(r"^entry_\d{4}$")


def detector_group(f, entry: str):
    """The detector group of ``entry``: parent of the ``measurement/data`` soft link, else the first
    group of an instrument group that holds ``data`` and ``header``."""
    import h5py

    group = f[entry]
    measurement = group.get("measurement")
    if isinstance(measurement, h5py.Group):
        link = measurement.get("data", getlink=True)
        if isinstance(link, h5py.SoftLink):
            parent = link.path.rsplit("/", 1)[0]
            if parent in f and isinstance(f[parent], h5py.Group):
                return f[parent]
    for instrument in group.values():
        if not isinstance(instrument, h5py.Group):
            continue
        for det in instrument.values():
            if isinstance(det, h5py.Group) and "data" in det and "header" in det:
                return det
    return None


class LimaFile(RawFile):
    """An ID02 LIMA HDF5 file (layout in the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The LIMA file.
    scalers : str or os.PathLike, optional
        Its scalers file; default: ``<name>_scalers_<scan>_<sub>.h5`` beside it.
    """

    format = "lima"

    def __init__(self, path, *, scalers=None):
        import h5py
        import hdf5plugin  # noqa: F401 - registers the bitshuffle-LZ4 filter

        self.path = Path(path)
        self._scalers_given = None if scalers is None else Path(scalers)
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(self.path, "file", "a readable LIMA HDF5 file", got=short_error(exc)) from exc
        try:
            self._open()
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> None:
        import h5py

        f = self._file
        entries = sorted(k for k in f if _ENTRY_NAME.match(k) and isinstance(f[k], h5py.Group))
        if ENTRY not in entries:
            raise InputError(self.path, ENTRY, "the first LIMA entry", got="missing")
        self._datasets = []
        detector = None
        for entry in entries:
            det = detector_group(f, entry)
            if det is None:
                raise InputError(self.path, f"{entry}/<instrument>/<detector>", "a detector group with data and header",
                                 got="missing")
            if "header" not in det:
                raise InputError(self.path, f"{det.name}/header", "the LIMA header group", got="missing")
            data = det["data"]
            if not isinstance(data, h5py.Dataset) or data.ndim not in (2, 3):
                raise InputError(self.path, data.name, "a dataset of shape (n_frames, ny, nx)",
                                 got=getattr(data, "shape", type(data).__name__))
            if data.dtype.kind not in "iuf":  # complex or text frames: no counts (numpy would drop the imaginary part)
                raise InputError(self.path, data.name, "detector counts (integer or float numbers)",
                                 got=f"{data.dtype} values")
            if self._datasets and tuple(data.shape[-2:]) != tuple(self._datasets[0].shape[-2:]):
                raise InputError(self.path, data.name, f"frames of shape {tuple(self._datasets[0].shape[-2:])}",
                                 got=tuple(data.shape[-2:]))
            self._datasets.append(data)
            detector = detector or det
        self._offsets = np.cumsum([0] + [1 if d.ndim == 2 else int(d.shape[0]) for d in self._datasets])
        self.n_frames = int(self._offsets[-1])
        self.shape = tuple(int(n) for n in self._datasets[0].shape[-2:])
        self.dtype = self._datasets[0].dtype
        self.detector_hint = detector.name.rsplit("/", 1)[-1]
        self._detector = detector
        self.header = read_header_group(detector["header"])
        self.companions = ()

    @property
    def binning(self) -> tuple[int, int]:
        if "BSize_1" in self.header or "BSize_2" in self.header:
            return header_binning(self.header, self.path)
        op = self._detector.get("image_operation/binning")
        if op is not None and hasattr(op, "keys") and "x" in op and "y" in op:
            return int(np.asarray(op["y"][()]).reshape(-1)[0]), int(np.asarray(op["x"][()]).reshape(-1)[0])
        return 1, 1

    def frame(self, index: int) -> np.ndarray:
        return np.asarray(self.stored_frame(index), dtype=np.float64)

    def stored_frame(self, index: int) -> np.ndarray:
        self._check_index(index)
        k = int(np.searchsorted(self._offsets, int(index), side="right") - 1)
        data = self._datasets[k]
        crumbs.doing(f"reading frame {index} of {self.path}")
        try:
            raw = data[()] if data.ndim == 2 else data[int(index) - int(self._offsets[k])]
        except (OSError, ValueError) as exc:
            raise InputError(self.path, f"{data.name}[{index}]", "a readable frame "
                             "(bitshuffle-LZ4 through hdf5plugin)", got=short_error(exc)) from exc
        crumbs.doing("")
        if raw.dtype.kind == "f" and not np.isfinite(raw).any():  # not a mask: the frame holds no numbers
            raise InputError(self.path, f"{data.name}[{index}]", "a frame with finite pixel values",
                             got=f"all {raw.size} pixels NaN or inf")
        return np.asarray(raw)

    def _acquisition_exposure(self) -> float | None:
        item = self._detector.get("acquisition/exposure_time")
        if item is not None:
            value = float(np.asarray(item[()]).reshape(-1)[0])
            if np.isfinite(value) and value > 0:
                return value
        return header_float(self.header, "ExposureTime", self.path, required=False)

    def exposure_s(self) -> np.ndarray:
        value = self._acquisition_exposure()
        return np.full(self.n_frames, np.nan if value is None else value)

    def scalers_path(self) -> Path | None:
        """The scalers file used for the monitors: the one given, else the companion by name."""
        return self._scalers_given or companion_path(self.path, self.detector_hint)

    def monitors(self) -> Monitors:
        expected = self.scalers_path()
        if expected is None or not expected.is_file():
            where = (f"the scalers file {expected}" if expected is not None else
                     "a scalers file (the name is not <name>_<detector>_<scan>_<sub>.h5, so none is found by name)")
            raise InputError(self.path, "HSI1", f"monitor values from {where} (or give --scalers FILE, "
                             "or --no-monitor to reduce unnormalised)", got="no such file")
        scalers = read_scalers(expected)
        self.companions = (expected,)
        rows = scalers.values.shape[0]
        if rows != self.n_frames:
            flat = [d.name for d in self._datasets if d.ndim == 2]
            hint = f" (its frames dataset {flat[0]} is 2-D, shape {self._datasets[0].shape}: one frame)" if flat else ""
            raise InputError(expected, "HS32V", f"{self.n_frames} rows, one per frame of {self.path}{hint}",
                             got=f"{rows} rows")
        out = {}
        for key in ("HSI0", "HSI1"):
            column = scalers.column(self.header, key, self.path)
            if column is None:
                raise InputError(self.path, key, f"a header key naming the monitor counter in {expected}",
                                 got="missing")
            out[key] = column
        exposure = scalers.column(self.header, "HSTime", self.path)
        if exposure is not None:
            t = exposure[0]
        elif scalers.exposure_s is not None and scalers.exposure_s.size == self.n_frames:
            t = scalers.exposure_s
        else:
            t = self.exposure_s()
        return Monitors(i0=out["HSI0"][0], i1=out["HSI1"][0], exposure_s=t,
                        source=f"scalers {expected.name}: {out['HSI0'][1]}/{out['HSI1'][1]}")

    def close(self) -> None:
        self._file.close()


def _header_value(value, numeric: bool):
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if numeric and isinstance(value, (int, float, np.integer, np.floating)):
        return value
    return (value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)).encode()


def write_lima(path, frames, header: Mapping[str, object], *, detector: str = "eiger2",
               instrument: str = "ESRF-ID02", exposure_s: float | None = None, frames_per_entry: int | None = None,
               numeric_header: bool = False, binning: tuple[int, int] | None = None) -> Path:
    """Write frames and a header in the LIMA layout of the module docstring (atomically).

    Parameters
    ----------
    path : str or os.PathLike
        Output file, by convention ``<name>_<detector>_<scan:05d>_<sub:02d>.h5``.
    frames : ndarray, shape (n_frames, ny, nx), or iterable of ndarray, shape (ny, nx)
        Counts; stored as uint32 (clipped to its range). An iterable is written one frame at a time.
    header : mapping
        Header keys; written as byte strings (floats by ``repr``, exact) as ID02 does.
    detector, instrument : str
        Names of the detector and instrument groups.
    exposure_s : float, optional
        ``acquisition/exposure_time``; default: header ``ExposureTime`` if any.
    frames_per_entry : int, optional
        Split the frames over ``entry_0000``, ``entry_0001``... of this many frames each.
    numeric_header : bool
        Store numbers as numbers (some files do; both must be read).
    binning : tuple of int, optional
        ``(rows, columns)`` written to ``image_operation/binning``; default from BSize_2/BSize_1.

    Returns
    -------
    Path
    """
    import h5py
    import hdf5plugin

    path = Path(path)
    iterator = iter(frames)
    first = np.asarray(next(iterator))
    ny, nx = first.shape
    if exposure_s is None and "ExposureTime" in header:
        exposure_s = float(header["ExposureTime"])
    if binning is None:
        binning = (int(float(header.get("BSize_2", 1))), int(float(header.get("BSize_1", 1))))
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["creator"] = "LIMA-1.9.7"
            state = {"entry": -1, "dset": None, "n": 0}

            def new_entry():
                state["entry"] += 1
                name = f"entry_{state['entry']:04d}"
                entry = f.create_group(name)
                entry.attrs["NX_class"] = "NXentry"
                inst = entry.create_group(instrument)
                inst.attrs["NX_class"] = "NXinstrument"
                det = inst.create_group(detector)
                det.attrs["NX_class"] = "NXdetector"
                state["dset"] = det.create_dataset(
                    "data", shape=(0, ny, nx), maxshape=(None, ny, nx), dtype=np.uint32, chunks=(1, ny, nx),
                    **hdf5plugin.Bitshuffle(cname="lz4"))
                state["n"] = 0
                head = det.create_group("header")
                head.attrs["NX_class"] = "NXcollection"
                for key, value in header.items():
                    head.create_dataset(key, data=_header_value(value, numeric_header))
                acq = det.create_group("acquisition")
                acq.attrs["NX_class"] = "NXcollection"
                if exposure_s is not None:
                    acq.create_dataset("exposure_time", data=float(exposure_s))
                op = det.create_group("image_operation/binning")
                op.create_dataset("x", data=int(binning[1]))
                op.create_dataset("y", data=int(binning[0]))
                plot = det.create_group("plot")
                plot.attrs["NX_class"] = "NXdata"
                plot.attrs["signal"] = "data"
                data_path = f"/{name}/{instrument}/{detector}/data"
                plot["data"] = h5py.SoftLink(data_path)
                meas = entry.create_group("measurement")
                meas.attrs["NX_class"] = "NXcollection"
                meas["data"] = h5py.SoftLink(data_path)

            new_entry()
            for k, frame in enumerate(_chain(first, iterator)):
                frame = np.asarray(frame)
                if frame.shape != (ny, nx):
                    raise ValueError(f"frame {k} has shape {frame.shape}, expected {(ny, nx)}")
                if frames_per_entry and state["n"] == frames_per_entry:
                    new_entry()
                dset = state["dset"]
                dset.resize(state["n"] + 1, axis=0)
                dset[state["n"]] = np.clip(np.rint(frame), 0, np.iinfo(np.uint32).max).astype(np.uint32)
                state["n"] += 1
    return path


def _chain(first, rest: Iterable):
    yield first
    yield from rest


def lima_file_name(name: str, detector: str, scan: int, sub: int = 0) -> str:
    """``<name>_<detector>_<scan:05d>_<sub:02d>.h5`` (ID02's LIMA file name)."""
    return f"{name}_{detector}_{int(scan):05d}_{int(sub):02d}.h5"


def scalers_file_name(name: str, scan: int, sub: int = 0) -> str:
    """``<name>_scalers_<scan:05d>_<sub:02d>.h5`` (the companion scalers file)."""
    return f"{name}_scalers_{int(scan):05d}_{int(sub):02d}.h5"


__all__ = ["LimaFile", "write_lima", "lima_file_name", "scalers_file_name", "ENTRY", "FRAMES_PATH", "decode_value"]
