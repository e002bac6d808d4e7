"""Raw ID02 frames: LIMA HDF5 and EDF files, their headers, one frame at a time, and monitors.

:func:`open_raw` sniffs the file (HDF5 signature -> LIMA layout of :mod:`saxs.lima`, otherwise
EDF through fabio) and returns a :class:`RawFile`. Frames are read one at a time (an h5py slice
per frame, fabio ``getframe`` for EDF), so a 500-frame file is never loaded whole.

Header values are decoded to ``str`` whatever their storage (ID02 byte strings or numbers).

Monitors (:class:`Monitors`), per frame:

* LIMA: the header's ``HSI0`` / ``HSI1`` are 0-based channel indices into
  ``measurement/scalers/HS32V`` (n_frames, n_channels); the monitor value of frame k is
  ``(HS32V[k, ch] - HS32Z[ch] * ExposureTime) * HSIxFactor`` (factor 1 when absent).
* EDF (one header per frame): ``Intensity0`` / ``Intensity1`` when present (monitor values
  already computed by the ID02 acquisition); otherwise the same formula with the per-channel
  keys ``HS32V<nn>`` / ``HS32Z<nn>``, ``nn`` the two-digit channel number given by ``HSI0`` /
  ``HSI1``.
* No scaler values: ``i0`` and ``i1`` are ``None`` and ``source == "none"``; the reduction then
  divides by the exposure time only and says so.

The exposure time is the header's ``ExposureTime`` (s; per frame for EDF); NaN when absent.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from .errors import InputError
from .lima import ENTRY, FRAMES_PATH, SCALERS_PATH

#: Header key of the exposure time per frame, seconds.
EXPOSURE_KEY = "ExposureTime"


@dataclass(frozen=True)
class Monitors:
    """Incident / transmitted flux monitors and exposure times of the frames of one file.

    Attributes
    ----------
    i0 : ndarray, shape (n_frames,), or None
        Incident-flux monitor per frame (dark-corrected scaler counts x ``HSI0Factor``).
    i1 : ndarray, shape (n_frames,), or None
        Transmitted-flux monitor per frame (``HSI1``).
    exposure_s : ndarray, shape (n_frames,)
        Exposure time per frame, s (NaN where the file does not say).
    source : str
        Where the values came from (``"scalers HS32V[2,3]"``, ``"header Intensity0/Intensity1"``,
        ``"explicit"``, ``"none"``).
    """

    i0: np.ndarray | None
    i1: np.ndarray | None
    exposure_s: np.ndarray
    source: str

    def __post_init__(self):
        for name in ("i0", "i1", "exposure_s"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.array(value, dtype=np.float64, copy=True).reshape(-1)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    @property
    def has_monitors(self) -> bool:
        """True when both incident and transmitted monitor values are known."""
        return self.i0 is not None and self.i1 is not None


def decode_value(value) -> str:
    """Decode one header value (bytes, numpy scalar or array of one element, number) to ``str``."""
    if isinstance(value, np.ndarray):
        if value.size == 1:
            return decode_value(value.reshape(-1)[0])
        return " ".join(decode_value(v) for v in value.reshape(-1))
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").strip().rstrip("\x00")
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value).strip()


def header_float(header: Mapping[str, str], key: str, file, *, default: float | None = None,
                 required: bool = True) -> float | None:
    """Read ``header[key]`` as a float, naming ``file`` and ``key`` in the error.

    Parameters
    ----------
    header : mapping str -> str
        Decoded header.
    key : str
        Header key.
    file : str or os.PathLike
        The raw file, for the error message.
    default : float, optional
        Returned when the key is absent (then ``required`` is ignored).
    required : bool, optional
        If true and the key is absent (and no default), raise :class:`InputError`; else return None.

    Raises
    ------
    InputError
        If the key is missing (and required) or its value is not a finite number.
    """
    if key not in header:
        if default is not None:
            return float(default)
        if required:
            raise InputError(file, key, "a header key with a number", got="missing")
        return None
    text = header[key]
    try:
        value = float(text)
    except ValueError:
        raise InputError(file, key, "a number", got=text) from None
    if not math.isfinite(value):
        raise InputError(file, key, "a finite number", got=text)
    return value


class RawFile:
    """One raw detector file opened for reading (use as a context manager).

    Attributes
    ----------
    path : Path
        The file.
    n_frames : int
        Number of frames.
    shape : tuple of int
        Frame shape ``(ny, nx)``: rows (slow axis, y) then columns (fast axis, x).
    dtype : numpy.dtype
        Storage type of the counts (for the integer-maximum mask).
    header : dict str -> str
        Decoded header (the first frame's header for EDF).
    detector_hint : str or None
        The detector name the file gives (LIMA detector group), if any.
    """

    path: Path
    n_frames: int
    shape: tuple[int, int]
    dtype: np.dtype
    header: dict[str, str]
    detector_hint: str | None = None
    format: str = "raw"

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as float64, shape (ny, nx)."""
        raise NotImplementedError

    def frame_header(self, index: int) -> dict[str, str]:
        """Header of frame ``index`` (the file header unless frames carry their own)."""
        self._check_index(index)
        return self.header

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Yield the frames one at a time (float64, shape (ny, nx))."""
        for index in range(self.n_frames):
            yield self.frame(index)

    def monitors(self) -> Monitors:
        """Incident / transmitted monitors and exposure time per frame (see module docstring)."""
        raise NotImplementedError

    @property
    def saturation_value(self) -> float | None:
        """Maximum integer of the stored dtype (gap / dead pixels read as this); None for floats."""
        if np.issubdtype(self.dtype, np.integer):
            return float(np.iinfo(self.dtype).max)
        return None

    def close(self) -> None:
        """Release the file."""

    def _check_index(self, index: int) -> None:
        if not 0 <= int(index) < self.n_frames:
            raise IndexError(f"{self.path}: frame {index} out of range 0..{self.n_frames - 1}")

    def _exposure(self, headers) -> np.ndarray:
        values = [header_float(h, EXPOSURE_KEY, self.path, required=False) for h in headers]
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, n_frames={self.n_frames}, shape={self.shape})"


class LimaFile(RawFile):
    """An ID02 LIMA HDF5 file (layout in :mod:`saxs.lima`)."""

    format = "lima"

    def __init__(self, path):
        import h5py
        import hdf5plugin  # noqa: F401 - registers the bitshuffle-LZ4 filter

        self.path = Path(path)
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(self.path, "file", "a readable LIMA HDF5 file", got=_short(exc)) from exc
        try:
            self._open()
        except BaseException:
            self._file.close()
            raise

    def _open(self) -> None:
        import h5py

        f = self._file
        if FRAMES_PATH not in f:
            raise InputError(self.path, FRAMES_PATH, "the LIMA frame dataset", got="missing")
        data = f[FRAMES_PATH]
        if not isinstance(data, h5py.Dataset) or data.ndim not in (2, 3):
            raise InputError(self.path, FRAMES_PATH, "a dataset of shape (n_frames, ny, nx)",
                             got=getattr(data, "shape", type(data).__name__))
        self._data = data
        self.n_frames = 1 if data.ndim == 2 else int(data.shape[0])
        self.shape = tuple(int(n) for n in data.shape[-2:])
        self.dtype = data.dtype
        detector_group = self._detector_group()
        self.detector_hint = detector_group.name.rsplit("/", 1)[-1] if detector_group is not None else None
        if detector_group is None or "header" not in detector_group:
            raise InputError(self.path, f"{ENTRY}/instrument/<detector>/header", "the LIMA header group",
                             got="missing")
        header = detector_group["header"]
        self.header = {key: decode_value(item[()]) for key, item in header.items()
                       if isinstance(item, h5py.Dataset)}

    def _detector_group(self):
        import h5py

        f = self._file
        link = f[f"{ENTRY}/measurement"].get("data", getlink=True)
        if isinstance(link, h5py.SoftLink):
            parent = link.path.rsplit("/", 1)[0]
            if parent in f:
                return f[parent]
        instrument = f.get(f"{ENTRY}/instrument")
        if isinstance(instrument, h5py.Group):
            for group in instrument.values():
                if isinstance(group, h5py.Group) and "header" in group:
                    return group
        return None

    def frame(self, index: int) -> np.ndarray:
        self._check_index(index)
        try:
            raw = self._data[()] if self._data.ndim == 2 else self._data[int(index)]
        except (OSError, ValueError) as exc:
            raise InputError(self.path, f"{FRAMES_PATH}[{index}]", "a readable frame "
                             "(bitshuffle-LZ4 through hdf5plugin)", got=_short(exc)) from exc
        return np.asarray(raw, dtype=np.float64)

    def monitors(self) -> Monitors:
        exposure = np.repeat(self._exposure([self.header]), self.n_frames)
        scalers = self._file.get(SCALERS_PATH)
        if scalers is None or "HS32V" not in scalers or "HSI0" not in self.header or "HSI1" not in self.header:
            return Monitors(i0=None, i1=None, exposure_s=exposure, source="none")
        values = np.asarray(scalers["HS32V"][()], dtype=np.float64)
        if values.ndim == 1:
            values = values[np.newaxis, :]
        if values.shape[0] != self.n_frames:
            raise InputError(self.path, f"{SCALERS_PATH}/HS32V", f"{self.n_frames} rows (one per frame)",
                             got=values.shape)
        zeros = (np.asarray(scalers["HS32Z"][()], dtype=np.float64).reshape(-1) if "HS32Z" in scalers
                 else np.zeros(values.shape[1]))
        t = np.where(np.isfinite(exposure), exposure, 0.0)
        out = []
        channels = []
        for key in ("HSI0", "HSI1"):
            channel = _channel(self.header, key, self.path, values.shape[1], base=0)
            factor = header_float(self.header, f"{key}Factor", self.path, default=1.0)
            out.append((values[:, channel] - zeros[channel] * t) * factor)
            channels.append(channel)
        return Monitors(i0=out[0], i1=out[1], exposure_s=exposure,
                        source=f"scalers HS32V[{channels[0]},{channels[1]}]")

    def close(self) -> None:
        self._file.close()


class EdfFile(RawFile):
    """An ID02 EDF file (single- or multi-frame), read through fabio one frame at a time."""

    format = "edf"

    def __init__(self, path):
        import fabio

        self.path = Path(path)
        try:
            self._image = fabio.open(str(self.path))
        except Exception as exc:  # fabio raises many kinds on unreadable files
            raise InputError(self.path, "file", "a readable LIMA HDF5 or EDF file", got=_short(exc)) from exc
        image = self._image
        if image.data is None or np.ndim(image.data) != 2:
            raise InputError(self.path, "data", "2D frames", got=getattr(image.data, "shape", None))
        self.n_frames = int(getattr(image, "nframes", 1) or 1)
        self.shape = tuple(int(n) for n in image.data.shape)
        self.dtype = np.dtype(image.data.dtype)
        self.header = {str(k): decode_value(v) for k, v in image.header.items()}
        self.detector_hint = self.header.get("DetectorInfo") or None
        self._headers: dict[int, dict[str, str]] = {0: self.header}
        self._released: set[int] = set()

    def _get(self, index: int):
        self._check_index(index)
        if index in self._released:
            # fabio cannot read a frame again once its data were released: open the file afresh
            import fabio

            self.close()
            self._image = fabio.open(str(self.path))
            self._released.clear()
        if index == 0:
            return self._image
        try:
            return self._image.getframe(int(index))
        except Exception as exc:
            raise InputError(self.path, f"frame {index}", "a readable EDF frame", got=_short(exc)) from exc

    def frame(self, index: int) -> np.ndarray:
        image = self._get(index)
        data = np.array(image.data, dtype=np.float64)
        # fabio keeps every frame it has read in memory: release it, or a long series would pile up
        del image.data
        self._released.add(int(index))
        if data.shape != self.shape:
            raise InputError(self.path, f"frame {index}", f"shape {self.shape}", got=data.shape)
        return data

    def frame_header(self, index: int) -> dict[str, str]:
        if index not in self._headers:
            image = self._get(index)
            self._headers[index] = {str(k): decode_value(v) for k, v in image.header.items()}
        return self._headers[index]

    def monitors(self) -> Monitors:
        headers = [self.frame_header(k) for k in range(self.n_frames)]
        exposure = self._exposure(headers)
        if all("Intensity0" in h and "Intensity1" in h for h in headers):
            i0 = [header_float(h, "Intensity0", self.path) for h in headers]
            i1 = [header_float(h, "Intensity1", self.path) for h in headers]
            return Monitors(i0=i0, i1=i1, exposure_s=exposure, source="header Intensity0/Intensity1")
        first = headers[0]
        if "HSI0" not in first or "HSI1" not in first:
            return Monitors(i0=None, i1=None, exposure_s=exposure, source="none")
        out = []
        channels = []
        for key in ("HSI0", "HSI1"):
            channel = _channel(first, key, self.path, 99, base=1)
            name = f"{channel:02d}"
            if f"HS32V{name}" not in first:
                return Monitors(i0=None, i1=None, exposure_s=exposure, source="none")
            factor = header_float(first, f"{key}Factor", self.path, default=1.0)
            values = []
            for h, t in zip(headers, exposure):
                raw = header_float(h, f"HS32V{name}", self.path)
                zero = header_float(h, f"HS32Z{name}", self.path, default=0.0)
                values.append((raw - zero * (t if np.isfinite(t) else 0.0)) * factor)
            out.append(values)
            channels.append(name)
        return Monitors(i0=out[0], i1=out[1], exposure_s=exposure,
                        source=f"header HS32V{channels[0]}/HS32V{channels[1]}")

    def close(self) -> None:
        close = getattr(self._image, "close", None)
        if close is not None:
            close()


def _channel(header, key, path, n_channels, *, base: int) -> int:
    value = header_float(header, key, path)
    channel = int(round(value))
    if channel != value or not base <= channel < n_channels + base:
        raise InputError(path, key, f"a scaler channel number in {base}..{n_channels - 1 + base}",
                         got=header[key])
    return channel


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__


def open_raw(path) -> RawFile:
    """Open a raw ID02 file: LIMA HDF5 (recognised by its signature) or EDF.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    RawFile
        Use as a context manager: ``with open_raw(p) as raw: raw.frame(0)``.

    Raises
    ------
    InputError
        If the file does not exist or cannot be read as either format.

    Examples
    --------
    >>> with open_raw("run_00001.h5") as raw:          # doctest: +SKIP
    ...     for frame in raw.iter_frames():
    ...         print(frame.shape, raw.monitors().i1)
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing raw data file", got="no such file")
    if os.path.getsize(path) == 0:
        raise InputError(path, "file", "a LIMA HDF5 or EDF file", got="an empty file")
    if h5py.is_hdf5(path):
        return LimaFile(path)
    return EdfFile(path)


__all__ = ["Monitors", "RawFile", "LimaFile", "EdfFile", "open_raw", "decode_value", "header_float",
           "EXPOSURE_KEY"]
