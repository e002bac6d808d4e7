"""One batch per output folder at a time: an OS file lock on ``OUTDIR/.saxs-batch.lock``.

The lock is ``flock`` on an open file: the kernel releases it when its process ends, however it
ends (Ctrl-C, SIGKILL, a crash), so a stale lock never blocks the next run. The file holds the
holder's PID, host and start time, for the message that refuses a second run. A run that holds
the lock may treat temporary files (``.*.tmp``) in OUTDIR as left by an interrupted run; one that
does not hold it never gets that far.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Iterator

from ..errors import InputError

LOCK_NAME = ".saxs-batch.lock"


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another saxs batch (its PID not yet written)"
    return f"saxs batch PID {info.get('pid')} on {info.get('host')}, started {info.get('started')}"


@contextlib.contextmanager
def batch_lock(outdir) -> Iterator[Path]:
    """Hold the lock of ``outdir`` (created if needed) for the block; yield the lock file's path.

    Raises
    ------
    InputError
        When another process holds it (exit 2): ``"out: OUTDIR: expected a folder no other batch
        is writing to, got 'saxs batch PID 4242 on host, started 2026-11-30T10:50:02+00:00 holds
        out/.saxs-batch.lock'"``.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(outdir, "OUTDIR", "a folder no other batch is writing to (wait for it to finish or "
                             "choose another -o)", got=f"{_holder(fd)} holds {path}") from None
        started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}).encode())
        os.fsync(fd)
        yield path
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race with the next run)


def release_new_folder(outdir, lock_path) -> None:
    """Remove a folder this run created for nothing (refused at planning): its lock file, then the
    folder if it is empty."""
    with contextlib.suppress(OSError):
        Path(lock_path).unlink()
        Path(outdir).rmdir()
