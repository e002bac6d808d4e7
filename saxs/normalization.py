"""Which per-frame value a reduction divides by: the monitor, an explicit value, or the exposure time.

The monitors come from the raw file (:meth:`saxs.id02.RawFile.monitors`: the counter that the
header's HSI0 / HSI1 names, as recorded), or from explicit values that replace them; with
``no_monitor`` they are not looked for and the frames are divided by the exposure time only.
"""

from __future__ import annotations

import logging

import numpy as np

from .errors import InputError
from .id02 import Monitors

log = logging.getLogger("saxs.reduce")

#: Normalisation label when a file has no monitor values.
EXPOSURE_ONLY = "exposure only (no monitor values)"


def _explicit(value, n_frames: int, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.size == 1:
        return np.full(n_frames, arr[0])
    if arr.size != n_frames:
        raise InputError(None, name, f"one value or {n_frames} values (one per frame)", got=f"{arr.size} values")
    return arr


def frame_monitors(raw, options) -> Monitors:
    """The file's monitors, the explicit ones (``options.i0`` / ``options.i1``), or none (``options.no_monitor``).

    Raises
    ------
    InputError
        When the file's monitors are needed and cannot be found (names the raw file, the key and
        the companion file looked for).
    """
    if options.no_monitor:
        return Monitors(i0=None, i1=None, exposure_s=raw.exposure_s(), source="none (--no-monitor)")
    if options.i0 is not None and options.i1 is not None:
        return Monitors(i0=_explicit(options.i0, raw.n_frames, "i0"), i1=_explicit(options.i1, raw.n_frames, "i1"),
                        exposure_s=raw.exposure_s(), source="explicit")
    if options.i0 is None and options.i1 is None:
        return raw.monitors()
    explicit_used = options.i1 if options.normalize == "i1" else options.i0 if options.normalize == "i0" else None
    try:
        found = raw.monitors()
    except InputError:
        if explicit_used is None:
            raise
        # the monitor divided by is given: the file's (missing) monitors are not needed
        found = Monitors(i0=None, i1=None, exposure_s=raw.exposure_s(), source="none")
    i0 = _explicit(options.i0, raw.n_frames, "i0") if options.i0 is not None else found.i0
    i1 = _explicit(options.i1, raw.n_frames, "i1") if options.i1 is not None else found.i1
    return Monitors(i0=i0, i1=i1, exposure_s=found.exposure_s, source=f"explicit (file: {found.source})")


def frame_divisors(path, monitors: Monitors, options, warnings: list[str]) -> tuple[np.ndarray, str]:
    """Per-frame divisor before NormalizationFactor (the monitor ``options.normalize`` names, else the
    exposure time with a warning appended to ``warnings``), and its label."""
    n = monitors.exposure_s.size
    if options.normalize == "none":
        return np.ones(n), "none"
    values = monitors.i1 if options.normalize == "i1" else monitors.i0
    if values is not None:
        return np.asarray(values, dtype=np.float64), f"monitor {options.normalize.upper()}"
    exposure = monitors.exposure_s
    if np.all(np.isfinite(exposure)) and np.all(exposure > 0):
        message = (f"{path}: no monitor values ({options.normalize.upper()}); "
                   "intensities are divided by the exposure time only")
        label = EXPOSURE_ONLY
        divisor = exposure
    else:
        message = (f"{path}: no monitor values and no exposure time; intensities are not normalised")
        label = "none (no monitor values, no exposure time)"
        divisor = np.ones(n)
    log.warning(message)
    warnings.append(message)
    return divisor, label


__all__ = ["frame_monitors", "frame_divisors", "EXPOSURE_ONLY"]
