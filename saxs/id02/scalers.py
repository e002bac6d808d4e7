"""The ID02 scalers file ``<name>_scalers_<scan>_<sub>.h5``: monitors of LIMA files without a master file.

Layout (the ``scalers`` step of ewoksid02, after dahu's C216 metadata plugin)::

    /entry_0000                         NXentry
      TRUSAXS                           NXprocess (dahu: the instrument group)
        MCS                             NXcollection
          HS32C   (n_frames, n_ch) int   raw counts per frame and channel
          HS32V   (n_frames, n_ch) float (HS32C - HS32Z * t) * HS32F: already calibrated
          HS32N   (n_ch,) str            channel names
          HS32Z   (n_ch,) float          zero (dark) rate per channel, counts/s
          HS32F   (n_ch,) float          factor per channel
          HSI0, HSI1, HSTime  int        1-based pin numbers of the monitors and the time counter
          HSI0Factor, HSI1Factor, ShutterOpeningTime, ShutterClosingTime   float (recorded)
          ExposureTime (n_frames,) float s
        TFG/delta_time (n_frames,)       frame start times, s
        parameters                       the header it was made from (strings)

The reader looks for the ``MCS`` group (the group holding ``HS32V``) anywhere in the first three
levels of the first entry, so dahu's ``entry_0000/<instrument>/MCS`` reads too. Monitor values
are the ``HS32V`` columns (see :mod:`saxs.id02.base`).

The companion of ``<name>_<detector>_<scan>_<sub>.h5`` is ``<name>_scalers_<scan>_<sub>.h5`` in
the same folder (:func:`companion_path`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError
from .base import short_error
from .header import channel_index, decode_value

ENTRY = "entry_0000"
MCS_PATH = f"{ENTRY}/TRUSAXS/MCS"

_LIMA_NAME = re.compile(r"^(?P<name>.+)_(?P<detector>[^_]+)_(?P<scan>\d+)_(?P<sub>\d+)$")


def companion_path(lima_path, detector: str | None = None) -> Path | None:
    """The scalers file that belongs beside LIMA file ``lima_path`` (it may not exist).

    Parameters
    ----------
    lima_path : str or os.PathLike
        ``<name>_<detector>_<scan>_<sub>.h5``.
    detector : str, optional
        The detector name (LIMA detector group); lets a name with underscores (``eiger2_4m``) be
        cut off exactly.

    Returns
    -------
    Path or None
        ``<name>_scalers_<scan>_<sub>.h5`` beside it, or None when the name is not in that form.
    """
    path = Path(lima_path)
    stem = path.stem
    if detector:
        m = re.match(rf"^(?P<name>.+)_{re.escape(detector)}_(?P<scan>\d+)_(?P<sub>\d+)$", stem)
        if m:
            return path.with_name(f"{m['name']}_scalers_{m['scan']}_{m['sub']}{path.suffix}")
    m = _LIMA_NAME.match(stem)
    if m:
        return path.with_name(f"{m['name']}_scalers_{m['scan']}_{m['sub']}{path.suffix}")
    return None


@dataclass(frozen=True)
class ScalersFile:
    """The content of a scalers file that the reduction uses.

    Attributes
    ----------
    path : Path
    values : ndarray, shape (n_frames, n_channels)
        ``HS32V`` (calibrated counter values).
    names : tuple of str
        ``HS32N``.
    exposure_s : ndarray, shape (n_frames,) or None
        ``ExposureTime`` when present.
    pins : dict str -> int
        ``HSI0`` / ``HSI1`` / ``HSTime`` pin numbers stored in the file (1-based), if any.
    recorded : dict str -> float
        ``HSI0Factor``, ``HSI1Factor``, ``ShutterOpeningTime``, ``ShutterClosingTime`` when present.
    """

    path: Path
    values: np.ndarray
    names: tuple
    exposure_s: np.ndarray | None
    pins: dict
    recorded: dict

    def column(self, header: Mapping[str, str], key: str, header_file) -> tuple[np.ndarray, str] | None:
        """Values of the counter that ``header[key]`` names (pin or name), and its name.

        Falls back on the pin number stored in the file when the header has no ``key``.
        Returns None when neither says.

        Raises
        ------
        InputError
            Pin out of range or unknown counter name (naming ``header_file`` and ``key``).
        """
        index = channel_index(header, key, self.names, header_file, names_from=str(self.path))
        if index is None and key in self.pins:
            index = channel_index({key: str(self.pins[key])}, key, self.names, self.path,
                                  names_from=str(self.path))
        if index is None:
            return None
        return self.values[:, index], self.names[index]


def _find_mcs(f):
    import h5py

    entry = f.get(ENTRY)
    if not isinstance(entry, h5py.Group):
        names = [k for k in f if isinstance(f[k], h5py.Group)]
        entry = f[names[0]] if names else f
    queue = [(entry, 0)]
    while queue:
        group, depth = queue.pop(0)
        if "HS32V" in group and isinstance(group["HS32V"], h5py.Dataset):
            return group
        if depth < 3:
            queue.extend((g, depth + 1) for g in group.values() if isinstance(g, h5py.Group))
    return None


def read_scalers(path) -> ScalersFile:
    """Read a scalers file.

    Raises
    ------
    InputError
        Naming the scalers file: unreadable, no ``HS32V`` / ``HS32N``, inconsistent shapes.
    """
    import h5py

    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, "file", "a readable scalers HDF5 file", got=short_error(exc)) from exc
    with f:
        mcs = _find_mcs(f)
        if mcs is None:
            raise InputError(path, f"{MCS_PATH}/HS32V", "the scaler values of a scalers file", got="missing")
        values = np.asarray(mcs["HS32V"][()], dtype=np.float64)
        if values.ndim == 1:
            values = values[np.newaxis, :]
        if values.ndim != 2:
            raise InputError(path, f"{mcs.name}/HS32V", "an array (n_frames, n_channels)", got=values.shape)
        if "HS32N" not in mcs:
            raise InputError(path, f"{mcs.name}/HS32N", "the scaler channel names", got="missing")
        names = tuple(decode_value(v) for v in np.asarray(mcs["HS32N"][()]).reshape(-1))
        if len(names) != values.shape[1]:
            raise InputError(path, f"{mcs.name}/HS32N", f"{values.shape[1]} names (columns of HS32V)",
                             got=len(names))
        exposure = None
        if "ExposureTime" in mcs:
            exposure = np.asarray(mcs["ExposureTime"][()], dtype=np.float64).reshape(-1)
        pins = {k: int(np.asarray(mcs[k][()]).reshape(-1)[0]) for k in ("HSI0", "HSI1", "HSTime") if k in mcs}
        recorded = {k: float(np.asarray(mcs[k][()]).reshape(-1)[0])
                    for k in ("HSI0Factor", "HSI1Factor", "ShutterOpeningTime", "ShutterClosingTime") if k in mcs}
    return ScalersFile(path=path, values=values, names=names, exposure_s=exposure, pins=pins, recorded=recorded)


def write_scalers(path, counts, *, names: Sequence[str], zeros, factors, exposure_s, hsi0: int, hsi1: int,
                  hstime: int, hsi0_factor: float = 1.0, hsi1_factor: float = 1.0,
                  shutter_opening_s: float = 0.0, shutter_closing_s: float = 0.0,
                  header: Mapping[str, object] | None = None) -> Path:
    """Write a scalers file (atomically) from raw counts, as the beamline does.

    Parameters
    ----------
    path : str or os.PathLike
        ``<name>_scalers_<scan>_<sub>.h5``.
    counts : array_like, shape (n_frames, n_channels)
        Raw counts ``HS32C``.
    names, zeros, factors : sequence, shape (n_channels,)
        ``HS32N``, ``HS32Z`` (counts/s), ``HS32F``.
    exposure_s : array_like, shape (n_frames,)
        Exposure time per frame, s (``t`` in ``HS32V = (HS32C - HS32Z t) HS32F``).
    hsi0, hsi1, hstime : int
        1-based pin numbers.
    header : mapping, optional
        Written as strings under ``parameters``.

    Returns
    -------
    Path
    """
    import h5py

    path = Path(path)
    counts = np.asarray(counts, dtype=np.int64)
    t = np.asarray(exposure_s, dtype=np.float64).reshape(-1)
    zeros = np.asarray(zeros, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64)
    values = (counts - zeros[np.newaxis, :] * t[:, np.newaxis]) * factors[np.newaxis, :]
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["creator"] = "ewoksid02"
            entry = f.create_group(ENTRY)
            entry.attrs["NX_class"] = "NXentry"
            process = entry.create_group("TRUSAXS")
            process.attrs["NX_class"] = "NXprocess"
            process["program"] = "TruSAXS"
            mcs = process.create_group("MCS")
            mcs.attrs["NX_class"] = "NXcollection"
            mcs["device"] = "bliss"
            mcs.create_dataset("HS32C", data=counts)
            mcs.create_dataset("HS32V", data=values)
            mcs.create_dataset("HS32N", data=np.array(list(names), dtype=h5py.string_dtype()))
            mcs.create_dataset("HS32Z", data=zeros)
            mcs.create_dataset("HS32F", data=factors)
            for key, value in (("HSI0", hsi0), ("HSI1", hsi1), ("HSTime", hstime)):
                mcs.create_dataset(key, data=np.int64(value))
            for key, value in (("HSI0Factor", hsi0_factor), ("HSI1Factor", hsi1_factor),
                               ("ShutterOpeningTime", shutter_opening_s), ("ShutterClosingTime", shutter_closing_s)):
                mcs.create_dataset(key, data=np.float64(value))
            mcs.create_dataset("ExposureTime", data=t)
            tfg = process.create_group("TFG")
            tfg.attrs["NX_class"] = "NXcollection"
            tfg.create_dataset("delta_time", data=np.concatenate([[0.0], np.cumsum(t)[:-1]]))
            params = process.create_group("parameters")
            params.attrs["NX_class"] = "NXcollection"
            for key, value in (header or {}).items():
                params.create_dataset(key, data=str(value).encode())
    return path


__all__ = ["ScalersFile", "read_scalers", "write_scalers", "companion_path", "MCS_PATH"]
