"""BLISS master files ``<dataset>.h5`` as ID02 writes them: one scan at a time, and a writer.

Layout (what ewoksid02 reads offline)::

    /                                     @creator = "bliss"
    <N>.1                                 NXentry, one per scan (N = 1, 2, ...)
      title, start_time, sample/name
      instrument/<detector>/data          frames: an external link to
                                          ``<name>_<detector>_<N:05d>_<sub:02d>.h5::/entry_0000/measurement/data``
                                          or a virtual dataset over the LIMA files
      measurement/<counter>               1-D, one value per frame: the monitors (e.g. pin41, pin5),
                                          time, elapsed_time, ...
      measurement/<detector>              soft link to the frames

The detector header (geometry, HSI0/HSI1/HSTime, ...) is read from the first LIMA file; the
monitors and exposure times from ``measurement/`` (the counters named by HSI0, HSI1, HSTime: by
name, or by 1-based pin number through ``HS32Nnn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError
from .base import Monitors, RawFile, short_error
from .header import counter_reference, header_channel_names
from .lima import LimaFile

_SCAN = re.compile(r"^(\d+)\.1$")


def is_master(f) -> bool:
    """True for an open h5py file that looks like a BLISS master file."""
    creator = f.attrs.get("creator", b"")
    creator = creator.decode() if isinstance(creator, bytes) else str(creator)
    if "bliss" in creator.lower():
        return True
    return any(_SCAN.match(k) for k in f) and "entry_0000" not in f


def scans_of(f) -> list[int]:
    """Scan numbers ``N`` of the ``<N>.1`` groups of an open master file, sorted."""
    return sorted(int(m.group(1)) for m in (_SCAN.match(k) for k in f) if m)


class MasterScan(RawFile):
    """Scan ``scan`` of a BLISS master file, read through its LIMA files.

    Parameters
    ----------
    path : str or os.PathLike
        The master file.
    scan : int
        Scan number (group ``<scan>.1``).
    detector : str, optional
        Detector group under ``instrument/``; default: the one holding frames.
    """

    format = "bliss"

    def __init__(self, path, scan: int, *, detector: str | None = None):
        import h5py

        self.path = Path(path)
        self.scan = int(scan)
        self._limas: list[LimaFile] = []
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(self.path, "file", "a readable BLISS master HDF5 file", got=short_error(exc)) from exc
        try:
            self._open(detector)
        except BaseException:
            self.close()
            raise

    def _open(self, detector) -> None:
        f = self._file
        key = f"{self.scan}.1"
        if key not in f:
            raise InputError(self.path, key, f"a scan of the master file (scans: {scans_of(f)})", got="missing")
        self._scan_group = f[key]
        name, link_key = self._find_detector(detector)
        self.detector_hint = name
        files = self._lima_files(link_key)
        self._limas = [LimaFile(p) for p in files]
        first = self._limas[0]
        self.shape, self.dtype, self.header = first.shape, first.dtype, first.header
        self._offsets = np.cumsum([0] + [lima.n_frames for lima in self._limas])
        self.n_frames = int(self._offsets[-1])
        self.companions = tuple(files)
        self.title = _text(self._scan_group.get("title"))

    def _find_detector(self, detector):
        import h5py

        instrument = self._scan_group.get("instrument")
        if not isinstance(instrument, h5py.Group):
            raise InputError(self.path, f"{self.scan}.1/instrument", "the instrument group of the scan", got="missing")
        names = [detector] if detector else list(instrument.keys())
        for name in names:
            group = instrument.get(name)
            if not isinstance(group, h5py.Group):
                continue
            link = group.get("data", getlink=True)
            if isinstance(link, h5py.ExternalLink):
                return name, f"{self.scan}.1/instrument/{name}/data"
            if isinstance(link, (h5py.HardLink, h5py.SoftLink)):
                try:
                    data = group["data"]
                except (KeyError, OSError):
                    continue
                if isinstance(data, h5py.Dataset) and data.ndim == 3:
                    return name, f"{self.scan}.1/instrument/{name}/data"
        raise InputError(self.path, f"{self.scan}.1/instrument/<detector>/data",
                         "a detector with frames (external link or virtual dataset into LIMA files)", got="none")

    def _lima_files(self, key: str) -> list[Path]:
        import h5py

        parent, leaf = key.rsplit("/", 1)
        link = self._file[parent].get(leaf, getlink=True)
        base = self.path.parent
        if isinstance(link, h5py.ExternalLink):
            target = Path(link.filename)
            target = target if target.is_absolute() else base / target
            if not target.is_file():
                raise InputError(self.path, key, "an external link to an existing LIMA file",
                                 got=f"link to missing file {target}")
            return [target]
        data = self._file[key]
        if not data.is_virtual:
            raise InputError(self.path, key, "an external link or a virtual dataset into LIMA files",
                             got="frames stored in the master file")
        files: list[Path] = []
        for source in data.virtual_sources():
            target = Path(source.file_name)
            if source.file_name == ".":
                continue
            target = target if target.is_absolute() else base / target
            if not target.is_file():
                raise InputError(self.path, key, "a virtual dataset over existing LIMA files",
                                 got=f"source {target} missing")
            if target not in files:
                files.append(target)
        if not files:
            raise InputError(self.path, key, "a virtual dataset over LIMA files", got="no sources")
        return files

    def frame(self, index: int) -> np.ndarray:
        self._check_index(index)
        k = int(np.searchsorted(self._offsets, int(index), side="right") - 1)
        return self._limas[k].frame(int(index) - int(self._offsets[k]))

    def stored_frame(self, index: int) -> np.ndarray:
        self._check_index(index)
        k = int(np.searchsorted(self._offsets, int(index), side="right") - 1)
        return self._limas[k].stored_frame(int(index) - int(self._offsets[k]))

    @property
    def binning(self) -> tuple[int, int]:
        return self._limas[0].binning

    def _counter(self, key: str) -> tuple[np.ndarray, str] | None:
        """Values of ``measurement/<counter>`` for the counter that header key ``key`` names."""
        ref = counter_reference(self.header, key)
        if ref is None:
            return None
        lima = self._limas[0].path
        if isinstance(ref, int):
            names = header_channel_names(self.header)
            if names is None:
                raise InputError(lima, "HS32N", f"the scaler channel names (HS32Len, HS32Nnn) to resolve {key} = {ref}",
                                 got="missing")
            if not 1 <= ref <= len(names):
                raise InputError(lima, key, f"a 1-based pin number in 1..{len(names)} (HS32Len)", got=self.header[key])
            ref = names[ref - 1]
        measurement = self._scan_group.get("measurement")
        where = f"{self.scan}.1/measurement/{ref}"
        if measurement is None or ref not in measurement:
            available = sorted(measurement.keys()) if measurement is not None else []
            raise InputError(self.path, f"{key} -> {where}",
                             f"the counter that {key} of {lima.name} names (counters: {', '.join(available)})",
                             got="missing")
        values = np.asarray(measurement[ref][()], dtype=np.float64).reshape(-1)
        if values.size != self.n_frames:
            raise InputError(self.path, where, f"{self.n_frames} values, one per frame", got=f"{values.size} values")
        return values, ref

    def exposure_s(self) -> np.ndarray:
        try:
            found = self._counter("HSTime")
        except InputError:
            found = None
        if found is not None:
            return found[0]
        return np.concatenate([lima.exposure_s() for lima in self._limas])

    def monitors(self) -> Monitors:
        out = {}
        for key in ("HSI0", "HSI1"):
            found = self._counter(key)
            if found is None:
                raise InputError(self._limas[0].path, key, f"a header key naming the monitor counter in "
                                 f"{self.path}::{self.scan}.1/measurement", got="missing")
            out[key] = found
        return Monitors(i0=out["HSI0"][0], i1=out["HSI1"][0], exposure_s=self.exposure_s(),
                        source=f"master {self.path.name} scan {self.scan}: measurement/{out['HSI0'][1]}, "
                               f"measurement/{out['HSI1'][1]}")

    def close(self) -> None:
        for lima in self._limas:
            lima.close()
        self._limas = []
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()


def _text(item) -> str:
    if item is None:
        return ""
    value = item[()]
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class ScanSpec:
    """One scan to write into a master file.

    Attributes
    ----------
    number : int
        Scan number N (group ``<N>.1``).
    lima_files : sequence of str or Path
        The LIMA files of the scan, in frame order, relative to the master file's folder or absolute.
    counters : mapping str -> array_like, shape (n_frames,)
        ``measurement/`` datasets (the monitors, ``time``, ``elapsed_time``...).
    detector : str
        Detector group name.
    link : {"external", "vds"}
        Frames as an external link (one LIMA file) or a virtual dataset (any number).
    title, sample_name : str
    """

    number: int
    lima_files: Sequence
    counters: Mapping[str, np.ndarray]
    detector: str = "eiger2"
    link: str = "external"
    title: str = ""
    sample_name: str = ""
    lima_data_path: str = field(default="/entry_0000/measurement/data")


def write_master(path, scans: Sequence[ScanSpec]) -> Path:
    """Write a BLISS master file (atomically) linking to existing LIMA files.

    Parameters
    ----------
    path : str or os.PathLike
        ``<dataset>.h5``.
    scans : sequence of ScanSpec

    Returns
    -------
    Path
    """
    import h5py
    import hdf5plugin  # noqa: F401

    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["creator"] = "bliss"
            f.attrs["NX_class"] = "NXroot"
            for spec in scans:
                scan = f.create_group(f"{int(spec.number)}.1")
                scan.attrs["NX_class"] = "NXentry"
                scan["title"] = spec.title
                sample = scan.create_group("sample")
                sample.attrs["NX_class"] = "NXsample"
                sample["name"] = spec.sample_name
                instrument = scan.create_group("instrument")
                instrument.attrs["NX_class"] = "NXinstrument"
                det = instrument.create_group(spec.detector)
                det.attrs["NX_class"] = "NXdetector"
                names = [str(p) for p in spec.lima_files]
                if spec.link == "external":
                    if len(names) != 1:
                        raise ValueError("an external link points at exactly one LIMA file; use link='vds'")
                    det["data"] = h5py.ExternalLink(names[0], spec.lima_data_path)
                elif spec.link == "vds":
                    _write_vds(det, names, path.parent, spec.lima_data_path)
                else:
                    raise ValueError(f"link must be 'external' or 'vds'; got {spec.link!r}")
                measurement = scan.create_group("measurement")
                measurement.attrs["NX_class"] = "NXcollection"
                for name, values in spec.counters.items():
                    measurement.create_dataset(name, data=np.asarray(values, dtype=np.float64))
                measurement[spec.detector] = h5py.SoftLink(f"/{int(spec.number)}.1/instrument/{spec.detector}/data")
    return path


def _write_vds(group, names, base: Path, data_path: str) -> None:
    import h5py

    shapes = []
    dtype = None
    for name in names:
        target = Path(name) if Path(name).is_absolute() else base / name
        with h5py.File(target, "r") as lima:
            data = lima[data_path]
            shapes.append(data.shape)
            dtype = data.dtype
    total = sum(s[0] for s in shapes)
    layout = h5py.VirtualLayout(shape=(total, *shapes[0][1:]), dtype=dtype)
    start = 0
    for name, shape in zip(names, shapes):
        layout[start:start + shape[0]] = h5py.VirtualSource(name, data_path, shape=shape)
        start += shape[0]
    group.create_virtual_dataset("data", layout, fillvalue=0)


__all__ = ["MasterScan", "ScanSpec", "write_master", "is_master", "scans_of"]
