"""Breadcrumbs a worker process leaves for its parent: what it is doing, which temporary files
it has open. Read back when the worker dies in native code (a SIGSEGV inside an HDF5 filter), so
the parent can say "while reading frame 3 of x.h5" and delete the dead worker's temporary files.

Outside an isolated worker (:mod:`saxs.pipeline.isolate`) nothing is installed and every call
here costs a few attribute look-ups. Standard library only: the readers import it.
"""

from __future__ import annotations

import json
import os

_slot = None         # a multiprocessing RawArray('c', SLOT_BYTES) shared with the parent, or None
_doing = ""
_temps: list[str] = []

#: Size of the shared slot, bytes (the activity is cut to fit).
SLOT_BYTES = 8192


def install(slot) -> None:
    """Write breadcrumbs into ``slot`` (a shared ``RawArray('c', SLOT_BYTES)``) from now on."""
    global _slot
    _slot = slot
    _flush()


def _flush() -> None:
    if _slot is None:
        return
    temps = list(_temps)
    doing = _doing[:1000]
    data = json.dumps({"doing": doing, "temps": temps}).encode()
    while len(data) >= SLOT_BYTES and temps:  # keep the newest temporary files when too many
        temps.pop(0)
        data = json.dumps({"doing": doing, "temps": temps}).encode()
    _slot.value = data[:SLOT_BYTES - 1]


def doing(text: str) -> None:
    """Record what this process does now (e.g. ``"reading frame 3 of run1.h5"``)."""
    global _doing
    _doing = text
    _flush()


def add_temp(path) -> None:
    """Record a temporary file this process has created (removed by the parent if it dies)."""
    _temps.append(os.fspath(path))
    _flush()


def discard_temp(path) -> None:
    """Forget a temporary file again (renamed into place or removed)."""
    name = os.fspath(path)
    if name in _temps:
        _temps.remove(name)
        _flush()


def read(slot) -> dict:
    """What a (dead) worker left in ``slot``: ``{"doing": str, "temps": [str]}``."""
    try:
        return json.loads(bytes(slot.value).decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {"doing": "", "temps": []}
