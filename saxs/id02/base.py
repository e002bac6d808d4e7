"""What the rest of the pipeline gets from a raw ID02 file: :class:`RawFile` and :class:`Monitors`.

Monitor convention (the same for every layout, and the one of ewoksid02's ``norm`` step): the
monitor value of a frame is the value of the counter that ``HSI0`` / ``HSI1`` names, as the
beamline recorded it — a master file's ``measurement/<counter>`` or the scalers file's
``HS32V[:, channel]``, already dark-corrected and calibrated
(``HS32V = (HS32C - HS32Z t) HS32F``): nothing is subtracted or scaled again. ``HSI0Factor`` /
``HSI1Factor`` and the shutter correction ``(t - SOT + SCT) / (t - SOT)`` are *not* applied
(ewoksid02 only records them, as ``Intensity1UnCor`` / ``Intensity1ShutCor`` in its scalers
file, and normalises by the plain counter); they are copied to the provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

#: How a monitor value is defined, recorded in every reduction's provenance.
MONITOR_DEFINITION = ("value of the counter named by the header's HSI0/HSI1 as recorded (master file "
                      "measurement/<counter> or scalers HS32V, already calibrated); HSI0Factor/HSI1Factor and "
                      "the shutter correction (t - SOT + SCT)/(t - SOT) not applied (as ewoksid02 norm)")


@dataclass(frozen=True)
class Monitors:
    """Incident / transmitted flux monitors and exposure times of the frames of one file.

    Attributes
    ----------
    i0 : ndarray, shape (n_frames,), or None
        Incident-flux monitor per frame (counter named by ``HSI0``).
    i1 : ndarray, shape (n_frames,), or None
        Transmitted-flux monitor per frame (counter named by ``HSI1``).
    exposure_s : ndarray, shape (n_frames,)
        Exposure time per frame, s (NaN where the file does not say).
    source : str
        Where the values came from (``"scalers run_scalers_00001_00.h5: pin41/pin5"``,
        ``"master measurement/pin41, measurement/pin5"``, ``"explicit"``, ``"none"``).
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


class RawFile:
    """One raw detector file (or one scan of a master file) opened for reading; a context manager.

    Attributes
    ----------
    path : Path
        The file given (the master file for a scan).
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
    format : str
        ``"lima"``, ``"bliss"`` or ``"edf"``.
    scan : int or None
        Scan number (master files).
    companions : tuple of Path
        Other files read (LIMA files of a master scan, the scalers file).
    """

    path: Path
    n_frames: int
    shape: tuple[int, int]
    dtype: np.dtype
    header: dict[str, str]
    detector_hint: str | None = None
    format: str = "raw"
    scan: int | None = None
    companions: tuple = ()

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as float64, shape (ny, nx)."""
        raise NotImplementedError

    def stored_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` in the dtype the file stores (uint32 for LIMA files), shape (ny, nx).

        The reduction integrates it as stored (no float64 copy of 4.5 M pixels per frame); readers
        that store no integer frames return :meth:`frame`.
        """
        return self.frame(index)

    def frame_header(self, index: int) -> dict[str, str]:
        """Header of frame ``index`` (the file header unless frames carry their own)."""
        self._check_index(index)
        return self.header

    def iter_frames(self) -> Iterator[np.ndarray]:
        """Yield the frames one at a time (float64, shape (ny, nx))."""
        for index in range(self.n_frames):
            yield self.frame(index)

    def exposure_s(self) -> np.ndarray:
        """Exposure time per frame, s, shape (n_frames,) (NaN where unknown); never raises for a
        missing monitor (a dark stack needs only this)."""
        raise NotImplementedError

    def monitors(self) -> Monitors:
        """Monitors and exposure time per frame (module docstring).

        Raises
        ------
        InputError
            When a monitor cannot be found: names the raw file, the key and the companion file
            looked for.
        """
        raise NotImplementedError

    @property
    def binning(self) -> tuple[int, int]:
        """Binning ``(rows, columns)`` of the stored pixels: header ``(BSize_2, BSize_1)``, (1, 1) if absent."""
        from .binning import header_binning

        return header_binning(self.header, self.path)

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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, n_frames={self.n_frames}, shape={self.shape})"


def short_error(exc: BaseException) -> str:
    """One line of at most 160 characters describing ``exc``."""
    return " ".join(str(exc).split())[:160] or type(exc).__name__


__all__ = ["Monitors", "RawFile", "MONITOR_DEFINITION", "short_error"]
