"""When is a raw file complete? Never read a file the beamline is still writing.

A file counts as complete when

1. its size and modification time have not changed for a settle interval (``settle_s``), and
2. its content says the acquisition is over:

   * a LIMA file: the frames of all its entries reach the acquisition's ``nb_frames`` (when the
     file records it, ``<detector>/acquisition/nb_frames``), and its scalers file is complete;
   * a BLISS master file: every scan that has a ``start_time`` also has its ``end_time`` (BLISS
     writes it when the scan ends), and every LIMA file its scans link to is complete;
   * any other HDF5 file (scalers, ``_ave.h5``): it opens (a half-copied HDF5 file does not);
   * an EDF file or any other file: the settle interval alone.

Only a positive verdict is remembered, and only for the same size and modification time: a file
that changes again is checked again from the start.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Verdict:
    """Whether one file is complete.

    Attributes
    ----------
    complete : bool
    reason : str
        Why not (empty when complete).
    complete_since : float or None
        Wall-clock time (``time.time()``, s) of the file's last modification, for a complete file:
        the moment its writer finished (latencies are measured from it).
    """

    complete: bool
    reason: str = ""
    complete_since: float | None = None


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float         # monotonic clock, s
    verdict: Verdict | None = None


class CompletenessTracker:
    """Remembers each file's size and modification time between polls and judges completeness.

    Parameters
    ----------
    settle_s : float
        How long (s) size and modification time must stay the same before the content is read.
    clock : callable, optional
        Monotonic clock (s); tests pass a fake one.

    Examples
    --------
    >>> tracker = CompletenessTracker(settle_s=2.0)
    >>> tracker.check("raw/sample_eiger2_00001_00.h5").complete       # doctest: +SKIP
    False
    """

    def __init__(self, settle_s: float = 2.0, *, clock: Callable[[], float] = time.monotonic):
        if not settle_s >= 0:
            raise ValueError(f"settle_s must be >= 0; got {settle_s}")
        self.settle_s = float(settle_s)
        self._clock = clock
        self._seen: dict[str, _Seen] = {}

    def check(self, path) -> Verdict:
        """The verdict for ``path`` now (stat, then the content once it has settled)."""
        return self._check(Path(path), depth=0)

    def _check(self, path: Path, depth: int) -> Verdict:
        key = str(path)
        try:
            st = os.stat(path)
        except OSError:
            self._seen.pop(key, None)
            return Verdict(False, "not there (yet)")
        now = self._clock()
        seen = self._seen.get(key)
        if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
            seen = self._seen[key] = _Seen(st.st_size, st.st_mtime_ns, now)
        if seen.verdict is not None:
            return seen.verdict
        waited = now - seen.stable_since
        if waited < self.settle_s or st.st_size == 0:
            return Verdict(False, f"still changing (size {st.st_size} B stable for {waited:.1f} s "
                                  f"of {self.settle_s:g} s)")
        reason = self._content_incomplete(path, depth)
        if reason:
            return Verdict(False, reason)
        seen.verdict = Verdict(True, "", st.st_mtime_ns / 1e9)
        return seen.verdict

    def _content_incomplete(self, path: Path, depth: int) -> str:
        """Why the content is not complete yet ('' when it is)."""
        import h5py

        try:
            if not h5py.is_hdf5(path):
                return ""
        except OSError as exc:
            return f"unreadable ({exc})"
        try:
            import hdf5plugin  # noqa: F401 - LIMA frames are bitshuffle-LZ4

            with h5py.File(path, "r") as f:
                from ..id02.bliss import is_master

                if is_master(f):
                    reason = _master_incomplete(f)
                elif "entry_0000" in f and _is_lima(f):
                    reason = _lima_incomplete(f)
                else:
                    reason = ""
        except (OSError, KeyError, ValueError, RuntimeError) as exc:
            return f"not readable as HDF5 yet ({' '.join(str(exc).split())[:120]})"
        if reason or depth > 0:
            return reason
        from ..id02 import data_files

        for other in data_files(path)[1:]:  # a master file's LIMA files, a LIMA file's scalers file
            verdict = self._check(Path(other), depth + 1)
            if not verdict.complete:
                return f"{Path(other).name}: {verdict.reason}"
        return ""

    def complete_since(self, paths) -> float | None:
        """The latest ``complete_since`` of ``paths`` and their data files (None if one is not complete)."""
        from ..id02 import data_files

        latest = 0.0
        for p in paths:
            for q in data_files(p):
                verdict = self.check(q)
                if not verdict.complete:
                    return None
                latest = max(latest, verdict.complete_since or 0.0)
        return latest


def _master_incomplete(f) -> str:
    import h5py

    from ..id02.bliss import scans_of

    base = Path(f.filename).parent
    for scan in scans_of(f):
        group = f[f"{scan}.1"]
        if "start_time" in group and "end_time" not in group:
            return f"scan {scan}.1 has not ended (no end_time yet)"
        instrument = group.get("instrument")
        for det in (instrument.values() if isinstance(instrument, h5py.Group) else ()):
            if not isinstance(det, h5py.Group):
                continue
            link = det.get("data", getlink=True)
            names = []
            if isinstance(link, h5py.ExternalLink):
                names = [link.filename]
            elif link is not None and isinstance(det.get("data"), h5py.Dataset) and det["data"].is_virtual:
                names = [s.file_name for s in det["data"].virtual_sources() if s.file_name != "."]
            for name in names:
                target = Path(name) if Path(name).is_absolute() else base / name
                if not target.is_file():
                    return f"scan {scan}.1: its LIMA file {target.name} is not there yet"
    return ""


def _is_lima(f) -> bool:
    """A LIMA file (a detector group with frames), not a scalers file (which also has entry_0000)."""
    from ..id02.lima import detector_group

    try:
        return detector_group(f, "entry_0000") is not None
    except (KeyError, TypeError):
        return False


def _lima_incomplete(f) -> str:
    import re

    import h5py

    from ..id02.lima import detector_group

    entries = sorted(k for k in f if re.match(r"^entry_\d{4}$", k))
    total, expected = 0, None
    for entry in entries:
        det = detector_group(f, entry)
        if det is None or "data" not in det:
            return f"{entry}: no detector data yet"
        data = det["data"]
        total += 1 if data.ndim == 2 else int(data.shape[0])
        nb = det.get("acquisition/nb_frames")
        if expected is None and isinstance(nb, h5py.Dataset):
            expected = int(nb[()])
    if expected is not None and total < expected:
        return f"{total} of {expected} frames written"
    return ""


__all__ = ["CompletenessTracker", "Verdict"]
