"""Breadcrumbs a worker process leaves for its parent: what it is doing, which temporary files
it has open. Read back when the worker dies in native code (a SIGSEGV inside an HDF5 filter), so
the parent can say "while reading frame 3 of x.h5" and delete the dead worker's temporary files.

Two places to leave them:

- a shared buffer, for the whole process (:func:`install`; the local workers of
  :mod:`saxs.pipeline.isolate`, whose parent holds the other end);
- a file, for one thread while it runs one task (:func:`record_to_file`; the threads of a Dask
  worker, whose death the client learns of only as ``KilledWorker``: it reads the file after).

Outside both nothing is recorded and every call here costs a few attribute look-ups. Standard
library only: the readers import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Iterator

#: Size of the shared slot, bytes (the activity is cut to fit); files are cut the same way.
SLOT_BYTES = 8192


class _Record:
    """What a process (in a shared slot) or a thread (in a file) is doing now."""

    def __init__(self) -> None:
        self.doing = ""
        self.temps: list[str] = []

    def encoded(self) -> bytes:
        temps = list(self.temps)
        doing = self.doing[:1000]
        data = json.dumps({"doing": doing, "temps": temps}).encode()
        while len(data) >= SLOT_BYTES and temps:  # keep the newest temporary files when too many
            temps.pop(0)
            data = json.dumps({"doing": doing, "temps": temps}).encode()
        return data[:SLOT_BYTES - 1]

    def flush(self) -> None:
        raise NotImplementedError


class _SlotRecord(_Record):
    """The process's record, written into a shared ``RawArray('c', SLOT_BYTES)`` once installed."""

    def __init__(self) -> None:
        super().__init__()
        self.slot = None

    def flush(self) -> None:
        if self.slot is not None:
            self.slot.value = self.encoded()


class _FileRecord(_Record):
    """One thread's record, rewritten in place in an open file (no fsync: the page cache outlives
    a crashed process, which is all this is for)."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.size = 0

    def flush(self) -> None:
        data = self.encoded()
        padded = data.ljust(self.size)  # a shorter record overwrites the longer one (JSON ignores the blanks)
        self.size = len(padded)
        os.pwrite(self.fd, padded, 0)


_process = _SlotRecord()
_thread = threading.local()  # .record: this thread's _FileRecord while record_to_file runs


def _record() -> _Record:
    record = getattr(_thread, "record", None)
    return _process if record is None else record


def install(slot) -> None:
    """Write this process's breadcrumbs into ``slot`` (a shared ``RawArray('c', SLOT_BYTES)``)."""
    _process.slot = slot
    _process.flush()


@contextlib.contextmanager
def record_to_file(path) -> Iterator[None]:
    """Write the calling thread's breadcrumbs into file ``path`` (created or emptied) while the
    block runs; the file is left for the caller to read or remove."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    previous = getattr(_thread, "record", None)
    record = _thread.record = _FileRecord(fd)
    try:
        record.flush()
        yield
    finally:
        _thread.record = previous
        os.close(fd)


def doing(text: str) -> None:
    """Record what this process (or thread, see :func:`record_to_file`) does now (e.g.
    ``"reading frame 3 of run1.h5"``)."""
    record = _record()
    record.doing = text
    record.flush()


def add_temp(path) -> None:
    """Record a temporary file this process has created (removed by the parent if it dies)."""
    record = _record()
    record.temps.append(os.fspath(path))
    record.flush()


def discard_temp(path) -> None:
    """Forget a temporary file again (renamed into place or removed)."""
    record = _record()
    name = os.fspath(path)
    if name in record.temps:
        record.temps.remove(name)
        record.flush()


def _decode(data: bytes) -> dict:
    try:
        left = json.loads(data.decode() or "{}")
    except (ValueError, UnicodeDecodeError):
        return {"doing": "", "temps": []}
    return {"doing": str(left.get("doing", "")), "temps": [str(t) for t in left.get("temps", ())]}


def read(slot) -> dict:
    """What a (dead) worker left in ``slot``: ``{"doing": str, "temps": [str]}``."""
    return _decode(bytes(slot.value))


def read_file(path) -> dict:
    """What a (dead) thread left in file ``path`` (see :func:`record_to_file`), as :func:`read`;
    empty when the file cannot be read."""
    try:
        with open(path, "rb") as f:
            return _decode(f.read(SLOT_BYTES).strip())
    except OSError:
        return {"doing": "", "temps": []}
