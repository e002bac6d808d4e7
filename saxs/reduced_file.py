"""The reduced file of one raw file: :class:`ReducedData` and its NXcanSAS layout (write and read back).

Layout (:func:`write_reduced`): NXcanSAS with one ``average`` SASentry that the root ``@default``
points at (its ``sasprocess/provenance`` whole), one SASentry per frame (``frame0000``...) and an
NXentry ``series`` with an NXdata ``I(t, q)`` (``I``, ``Idev`` / ``I_errors``, ``Q``, ``t``), the
per-frame monitors and the file's provenance (``series/provenance``, written once). A frame entry
holds its own ``title``, ``run``, ``I``, ``Idev`` and, in ``sasprocess/provenance``, only the values
that differ from the file's (:data:`FRAME_KEYS`); ``sasprocess/file_provenance`` is a hard link to
``series/provenance``, and ``definition``, ``Q``, ``sassample``, ``sasinstrument`` and the process's
name, version and date are hard links to the average's (about 10 datasets per frame, not 100).
Files written before that layout (every frame entry with the whole provenance) are read as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from .errors import InputError
from .geometry import Geometry
from .id02 import Monitors
from .profile import Profile1D, SampleInfo


@dataclass(frozen=True)
class ReducedData:
    """The reduction of one raw file.

    Attributes
    ----------
    path : Path
        The raw file.
    frames : tuple of Profile1D
        One curve per frame used (same q grid), in frame order.
    average : Profile1D
        Mean of ``frames``.
    frames_used : int
        Frames in the average.
    n_frames : int
        Frames in the raw file.
    monitors : Monitors
        Monitors and exposure times of all frames of the raw file.
    geometry : Geometry
        Geometry used.
    warnings : tuple of str
        What the user should know (missing monitors, frames skipped...).
    provenance : Mapping
        File-level provenance (options, corrections, software).
    """

    path: Path
    frames: tuple[Profile1D, ...]
    average: Profile1D
    frames_used: int
    n_frames: int
    monitors: Monitors
    geometry: Geometry
    warnings: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "frames", tuple(self.frames))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))


def frame_entry_name(index: int) -> str:
    """SASentry name of frame ``index`` in a reduced file."""
    return f"frame{index:04d}"


AVERAGE_ENTRY = "average"
SERIES_ENTRY = "series"
#: Name, in a frame's ``sasprocess``, of the link to the file's provenance (``series/provenance``).
FILE_PROVENANCE_LINK = "file_provenance"


def write_reduced(reduced: ReducedData, out_path) -> Path:
    """Write a reduction as NXcanSAS (atomically; layout in the module docstring).

    The file's provenance is written once, in ``series/provenance``; each frame's SASentry keeps in
    ``sasprocess/provenance`` only the values that differ from it (:data:`FRAME_KEYS` for a
    reduction from :func:`reduce_file`) and reaches the rest through the NeXus link
    ``sasprocess/file_provenance`` (a hard link to ``series/provenance``, ``@target`` set); what
    it shares with the average is hard-linked (:func:`saxs.nxcansas.write_sasentry`, ``like``). The
    ``average`` SASentry, the one a viewer or another program opens, keeps its full provenance. A
    20-frame Eiger2 file holds about 400 HDF5 datasets instead of about 2050, written in about 60 ms
    of CPU instead of 280 (benchmarks/README.md, ``bench_reduce.py``).

    Parameters
    ----------
    reduced : ReducedData
        From :func:`reduce_file` or :func:`read_reduced`.
    out_path : str or os.PathLike
        Output ``.h5`` file.

    Returns
    -------
    Path
        The written file.
    """
    from .nxcansas import write_nxcansas, write_sasentry

    shared = {k: v for k, v in reduced.provenance.items() if k not in _FILE_ONLY_KEYS}

    def extra(f):
        file_prov = _write_series_entry(f, reduced)["provenance"]
        file_prov.attrs["target"] = file_prov.name  # NeXus link convention: the linked group names its origin
        for k, profile in enumerate(reduced.frames):
            own = _own_values(profile.provenance, shared)
            entry = write_sasentry(f, frame_entry_name(_frame_index(profile, k)), profile,
                                   provenance=profile.provenance if own is None else own,
                                   like=(f[AVERAGE_ENTRY], reduced.average))
            if own is not None:
                entry["sasprocess"][FILE_PROVENANCE_LINK] = file_prov

    return write_nxcansas(out_path, [(AVERAGE_ENTRY, reduced.average)], default=AVERAGE_ENTRY, extra=extra)


def _write_series_entry(f, reduced: ReducedData):
    """The NXentry ``series``: the NXdata I(t, q), the monitors of every frame, the file's provenance."""
    from .nxcansas import write_series_nxdata, write_value
    from .units import add_units

    entry = f.create_group(SERIES_ENTRY)
    entry.attrs["NX_class"] = "NXentry"
    entry.attrs["default"] = "frames"
    # No `title`/`run`/`definition` fields here: SasView's loader would copy them onto the
    # SASentry it read last. The description goes in an attribute instead.
    entry.attrs["description"] = f"I(t, q) per frame of {reduced.path.name}"
    indices = np.array([_frame_index(p, k) for k, p in enumerate(reduced.frames)], dtype=np.int64)
    exposure = reduced.monitors.exposure_s
    if exposure.size and np.all(np.isfinite(exposure)):
        t = np.concatenate([[0.0], np.cumsum(exposure)[:-1]])[indices]
        t_units, t_name = "s", "frame start time from the exposure times (s)"
    else:
        t, t_units, t_name = indices.astype(np.float64), None, "frame index"
    data = write_series_nxdata(entry, "frames", reduced.average.q_nm,
                               np.stack([p.intensity for p in reduced.frames]),
                               np.stack([p.sigma for p in reduced.frames]), t,
                               intensity_unit=reduced.average.intensity_unit, t_units=t_units,
                               t_long_name=t_name)
    data.create_dataset("frame_index", data=indices)
    mon = entry.create_group("monitors")
    mon.attrs["NX_class"] = "NXcollection"
    write_value(mon, "source", reduced.monitors.source)
    for name in ("i0", "i1", "exposure_s"):
        value = getattr(reduced.monitors, name)
        if value is not None:
            mon.create_dataset(name, data=np.asarray(value))
    prov = entry.create_group("provenance")
    prov.attrs["NX_class"] = "NXcollection"
    values = dict(reduced.provenance)
    values.update(input_path=str(reduced.path), frames_used=reduced.frames_used,
                  warnings_all=list(reduced.warnings) or None)
    for key, value in values.items():
        write_value(prov, key, value)
    add_units(entry)  # monitors' exposure_s and the provenance's unit-suffixed names
    return entry


def _own_values(provenance: Mapping[str, Any], shared: Mapping[str, Any]) -> dict[str, Any] | None:
    """The entries of a frame's ``provenance`` that differ from the file's (``shared``), or None when
    the frame lacks a key of the file's (then the frame's provenance is written whole, unlinked)."""
    if any(key not in provenance for key in shared):
        return None
    return {k: v for k, v in provenance.items() if k not in shared or not _same(v, shared[k])}


def _same(a, b) -> bool:
    """Equal values of the same types (so that they are written as the same HDF5 datasets)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _frame_index(profile: Profile1D, fallback: int) -> int:
    value = profile.provenance.get("frame_index", fallback)
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback


def read_reduced(path) -> ReducedData:
    """Read a file written by :func:`write_reduced` back into a :class:`ReducedData`.

    The profiles' provenance is what was written (``input_file`` is the raw file), plus
    ``reduced_file`` and ``reduced_entry``.

    Raises
    ------
    InputError
        If the file is not a reduced file of this layout.
    """
    import h5py

    from .nxcansas import read_collection, list_entries

    path = Path(path)
    if not path.is_file() or not h5py.is_hdf5(path):
        raise InputError(path, "file", "a reduced NXcanSAS HDF5 file", got="missing or not HDF5")
    names = list_entries(path)
    if AVERAGE_ENTRY not in names:
        raise InputError(path, AVERAGE_ENTRY, "the SASentry of the frame average (a file from saxs reduce)",
                         got="missing")
    frame_names = sorted((n for n in names if n.startswith("frame") and n[5:].isdigit()), key=lambda n: int(n[5:]))
    with h5py.File(path, "r") as f:
        series = f.get(SERIES_ENTRY)
        if series is None or "provenance" not in series:
            raise InputError(path, SERIES_ENTRY, "the series group written by saxs reduce", got="missing")
        file_prov = read_collection(series["provenance"])
        # A frame's provenance is the file's plus its own values: the frame entry holds only those
        # (and a link to the file's) or, in files written before that layout, the whole provenance
        # of which only FRAME_KEYS are read (a 500-frame file would otherwise need ~25000 small reads).
        shared = {k: v for k, v in file_prov.items() if k not in _FILE_ONLY_KEYS}
        frames = tuple(_profile_from_entry(path, f, name, shared=shared) for name in frame_names)
        average = _profile_from_entry(path, f, AVERAGE_ENTRY)
        mon = series.get("monitors")
        exposure = np.asarray(mon["exposure_s"][()]) if mon is not None and "exposure_s" in mon else np.array([])
        monitors = Monitors(
            i0=np.asarray(mon["i0"][()]) if mon is not None and "i0" in mon else None,
            i1=np.asarray(mon["i1"][()]) if mon is not None and "i1" in mon else None,
            exposure_s=exposure,
            source=str(read_collection(mon).get("source", "")) if mon is not None else "",
        )
    warnings = file_prov.pop("warnings_all", None) or []
    if isinstance(warnings, str):
        warnings = [warnings]
    return ReducedData(
        path=Path(file_prov.get("input_path", average.provenance.get("input_file", ""))),
        frames=frames, average=average, frames_used=int(file_prov.get("frames_used", len(frames))),
        n_frames=int(file_prov.get("n_frames", len(frames))), monitors=monitors,
        geometry=Geometry.from_summary(file_prov["geometry"]), warnings=tuple(warnings), provenance=file_prov,
    )


#: Provenance keys that differ between the frames of one file (the rest is the file's).
FRAME_KEYS = ("frame_index", "i0", "i1", "exposure_s", "divisor", "masked_pixels")

#: Keys of the series provenance that are not part of a frame's provenance.
_FILE_ONLY_KEYS = ("input_path", "frames_used", "warnings_all")


def _profile_from_entry(path: Path, f, name: str, *, shared: Mapping[str, Any] | None = None) -> Profile1D:
    """One SASentry of a reduced file (our own layout: q in 1/nm, provenance under sasprocess).

    With ``shared`` (the file-level provenance), the entry's provenance completes it: all of it when
    the entry links to the file's (:data:`FILE_PROVENANCE_LINK`), else only :data:`FRAME_KEYS`.
    """
    import copy

    from .nxcansas import read_collection

    entry = f[name]
    try:
        data = entry["sasdata"]
        q, intensity, sigma = data["Q"], data["I"], data["Idev"]
    except KeyError as exc:
        raise InputError(path, f"{name}/sasdata", "Q, I and Idev datasets (a file from saxs reduce)",
                         got="missing") from exc
    unit = intensity.attrs.get("units", "arbitrary")
    unit = unit.decode() if isinstance(unit, bytes) else str(unit)
    if str(q.attrs.get("units", "1/nm")) != "1/nm":
        raise InputError(path, f"{name}/sasdata/Q@units", "1/nm (a file from saxs reduce)", got=q.attrs.get("units"))
    group = entry.get("sasprocess/provenance")
    if group is None:
        prov = {}
    elif shared is None:
        prov = read_collection(group)
    elif FILE_PROVENANCE_LINK in entry["sasprocess"]:  # the frame's own values, linked to the file's
        prov = copy.deepcopy(dict(shared))
        prov.update(read_collection(group))
    else:  # a whole provenance (files written before the link): only the per-frame keys differ
        prov = copy.deepcopy(dict(shared))
        for key in FRAME_KEYS:
            if key in group:
                value = group[key][()]
                prov[key] = value.decode() if isinstance(value, bytes) else (
                    value.item() if isinstance(value, np.generic) else value)
    prov.update(reduced_file=str(path), reduced_entry=name)
    sample = entry.get("sassample")
    sample_name = sample["name"][()] if sample is not None and "name" in sample else name
    if isinstance(sample_name, bytes):
        sample_name = sample_name.decode()
    return Profile1D(q_nm=q[()], intensity=intensity[()], sigma=sigma[()],
                     intensity_unit="1/cm" if unit == "1/cm" else "arbitrary",
                     sample=SampleInfo(name=str(sample_name)), provenance=prov)


__all__ = ["ReducedData", "write_reduced", "read_reduced", "frame_entry_name", "AVERAGE_ENTRY", "SERIES_ENTRY",
           "FILE_PROVENANCE_LINK", "FRAME_KEYS"]
