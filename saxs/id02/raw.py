"""Open any raw ID02 file: a BLISS master file (one scan), a LIMA file, or an EDF file."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..guards import missing_file_reason
from .base import RawFile, short_error


def list_scans(path) -> list[int] | None:
    """Scan numbers of a BLISS master file, or None when ``path`` is not one (LIMA, EDF).

    Raises
    ------
    InputError
        If the file does not exist.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing raw data file", got=missing_file_reason(path))
    if not h5py.is_hdf5(path):
        return None
    from .bliss import is_master, scans_of

    try:
        with h5py.File(path, "r") as f:
            return scans_of(f) if is_master(f) else None
    except OSError as exc:
        raise InputError(path, "file", "a readable HDF5 file", got=short_error(exc)) from exc


def open_raw(path, *, scan: int | None = None, scalers=None) -> RawFile:
    """Open a raw ID02 file.

    Parameters
    ----------
    path : str or os.PathLike
        A BLISS master file, a LIMA HDF5 file or an EDF file.
    scan : int, optional
        Scan of a master file (required when it has more than one).
    scalers : str or os.PathLike, optional
        Scalers file of a LIMA file (default: found beside it by name).

    Returns
    -------
    RawFile
        Use as a context manager: ``with open_raw(p) as raw: raw.frame(0)``.

    Raises
    ------
    InputError
        If the file does not exist or cannot be read as any of these, or the scan is missing.

    Examples
    --------
    >>> with open_raw("sample_eiger2_00012_00.h5") as raw:          # doctest: +SKIP
    ...     for frame in raw.iter_frames():
    ...         print(frame.shape, raw.monitors().i1)
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing raw data file", got=missing_file_reason(path))
    if os.path.getsize(path) == 0:
        raise InputError(path, "file", "a BLISS master, LIMA HDF5 or EDF file", got="an empty file")
    scans = list_scans(path)
    if scans is not None:
        from .bliss import MasterScan

        if scan is None:
            if len(scans) != 1:
                raise InputError(path, "--scan", f"a scan number (the master file has scans {scans})",
                                 got="none given")
            scan = scans[0]
        if scalers is not None:
            raise InputError(scalers, "--scalers", "no scalers file with a master file (its counters are in "
                             "measurement/)", got=str(scalers))
        return MasterScan(path, scan)
    import h5py

    if h5py.is_hdf5(path):
        from .lima import LimaFile

        return LimaFile(path, scalers=scalers)
    from .edf import EdfFile

    return EdfFile(path)


def data_files(path) -> list[Path]:
    """``path`` and the files its data live in: a master file's LIMA files (every scan), a LIMA
    file's scalers file when it exists beside it. Never raises: an unreadable file gives ``[path]``
    (the reader names the problem later). Used to fingerprint a measurement's inputs."""
    import h5py

    path = Path(path)
    out = [path]
    try:
        if not h5py.is_hdf5(path):
            return out
        with h5py.File(path, "r") as f:
            from .bliss import is_master, scans_of

            if is_master(f):
                for scan in scans_of(f):
                    instrument = f.get(f"{scan}.1/instrument")
                    for name in (instrument.keys() if isinstance(instrument, h5py.Group) else ()):
                        group = instrument[name]
                        link = group.get("data", getlink=True) if isinstance(group, h5py.Group) else None
                        names = []
                        if isinstance(link, h5py.ExternalLink):
                            names = [link.filename]
                        elif link is not None and isinstance(group.get("data"), h5py.Dataset) and group["data"].is_virtual:
                            names = [s.file_name for s in group["data"].virtual_sources() if s.file_name != "."]
                        for name_ in names:
                            target = Path(name_) if Path(name_).is_absolute() else path.parent / name_
                            if target.is_file() and target not in out:
                                out.append(target)
                return out
            from .lima import ENTRY, detector_group
            from .scalers import companion_path

            det = detector_group(f, ENTRY) if ENTRY in f else None
            detector = None if det is None else det.name.rsplit("/", 1)[-1]
        companion = companion_path(path, detector)
        if companion is not None and companion.is_file():
            out.append(companion)
    except (OSError, KeyError, ValueError):
        return [path]
    return out


__all__ = ["open_raw", "list_scans", "data_files"]
