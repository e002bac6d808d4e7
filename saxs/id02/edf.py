"""ID02 EDF files (older data): frames through fabio, one header per frame.

The header has the same keys as a LIMA header. Per-frame scaler values are in the header as
``HS32Vnn`` (already calibrated, ``nn`` the 2-digit 1-based pin), with names ``HS32Nnn``;
``HSI0`` / ``HSI1`` / ``HSTime`` name the pins (numbers) or the counters (names). The exposure time
is the ``HSTime`` counter, else the header's ``ExposureTime``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import Monitors, RawFile, short_error
from .header import channel_index, decode_value, header_channel_names, header_float


class EdfFile(RawFile):
    """An ID02 EDF file (single- or multi-frame), read through fabio one frame at a time."""

    format = "edf"

    def __init__(self, path):
        import fabio

        self.path = Path(path)
        try:
            self._image = fabio.open(str(self.path))
        except Exception as exc:  # fabio raises many kinds on unreadable files
            raise InputError(self.path, "file", "a readable LIMA HDF5 or EDF file", got=short_error(exc)) from exc
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
            raise InputError(self.path, f"frame {index}", "a readable EDF frame", got=short_error(exc)) from exc

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

    def _pin_values(self, key: str) -> tuple[np.ndarray, str] | None:
        first = self.header
        names = header_channel_names(first)
        if names is None:
            pins = sorted(int(k[5:]) for k in first if k.startswith("HS32V") and k[5:].isdigit())
            names = [f"HS32V{p:02d}" for p in range(1, (pins[-1] if pins else 0) + 1)]
        index = channel_index(first, key, names, self.path, names_from=f"the header's HS32N keys of {self.path}")
        if index is None:
            return None
        tag = f"HS32V{index + 1:02d}"
        values = [header_float(self.frame_header(k), tag, self.path) for k in range(self.n_frames)]
        return np.asarray(values, dtype=np.float64), names[index]

    def exposure_s(self) -> np.ndarray:
        try:
            found = self._pin_values("HSTime")
        except InputError:
            found = None
        if found is not None:
            return found[0]
        values = [header_float(self.frame_header(k), "ExposureTime", self.path, required=False)
                  for k in range(self.n_frames)]
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def monitors(self) -> Monitors:
        out = {}
        for key in ("HSI0", "HSI1"):
            found = self._pin_values(key)
            if found is None:
                raise InputError(self.path, key, "a header key naming the monitor counter (HS32Vnn in the EDF "
                                 "header; or --no-monitor to reduce unnormalised)", got="missing")
            out[key] = found
        return Monitors(i0=out["HSI0"][0], i1=out["HSI1"][0], exposure_s=self.exposure_s(),
                        source=f"EDF header: {out['HSI0'][1]}/{out['HSI1'][1]}")

    def close(self) -> None:
        close = getattr(self._image, "close", None)
        if close is not None:
            close()


__all__ = ["EdfFile"]
