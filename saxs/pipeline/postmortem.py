"""What a Dask worker was doing when it died: breadcrumbs in files, read back by the client.

A Dask worker that dies in native code (a SIGSEGV inside the HDF5 bitshuffle-LZ4 filter on a
corrupted chunk) reaches the client only as ``KilledWorker`` (after the scheduler's retries on
other workers): no file, no frame. So each task runs through :func:`run_recorded`, which keeps the
task's breadcrumbs (:mod:`saxs.crumbs`: "reading frame 3 of x.h5", its temporary files) in a file
of the run's crumbs folder (``root``), one file per attempt::

    <root>/<task>/<pid>-<time_ns>.json     what the attempt was doing (removed when it returns)
    <root>/faults/<pid>.txt                Python's faulthandler dump of that worker process
                                             ("Fatal Python error: Segmentation fault" ...)

After a failure the client calls :func:`autopsy`: the last attempt's breadcrumbs and, from the
fault dump, the signal; the temporary files of every attempt are removed. The folder must be one
the workers see under the same path (a LocalCluster: any local folder; a remote cluster: a shared
one, such as the batch's OUTDIR); where a worker cannot write there the task runs without
breadcrumbs. On a worker with several threads the breadcrumbs say what this task was doing, which
need not be what killed the process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import signal
import threading
import time
from pathlib import Path

from .. import crumbs
from .isolate import Died

FAULTS = "faults"

_fault_lock = threading.Lock()
_fault_file = None  # the open file faulthandler writes into in this (worker) process


def _dump_faults_into(folder: str) -> None:
    """Have faulthandler write this process's fatal-signal dump into ``folder/faults/<pid>.txt``."""
    global _fault_file
    path = os.path.join(folder, FAULTS, f"{os.getpid()}.txt")
    with _fault_lock:
        if _fault_file is not None and _fault_file.name == path:
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        new = open(path, "w")  # noqa: SIM115 - kept open for faulthandler until the next folder
        faulthandler.enable(file=new, all_threads=True)
        if _fault_file is not None:
            _fault_file.close()
        _fault_file = new


def run_recorded(func, task, root: str, name: str):
    """Run ``func(task)`` on a worker with its breadcrumbs in ``root/name/`` (see the module doc).

    ``root`` is the run's crumbs folder, ``name`` the task's own subfolder in it.
    """
    if not root:
        return func(task)
    try:
        _dump_faults_into(root)
        os.makedirs(os.path.join(root, name), exist_ok=True)
        path = os.path.join(root, name, f"{os.getpid()}-{time.time_ns()}.json")
        recording = crumbs.record_to_file(path)
    except OSError:  # the workers do not see the folder: no breadcrumbs, the task runs all the same
        return func(task)
    with recording:
        result = func(task)
    with contextlib.suppress(OSError):
        os.unlink(path)
    return result


_SIGNALS = {"segmentation fault": signal.SIGSEGV, "bus error": signal.SIGBUS, "aborted": signal.SIGABRT,
            "illegal instruction": signal.SIGILL, "floating-point exception": signal.SIGFPE,
            "floating point exception": signal.SIGFPE}


def _fatal_signal(dump: Path) -> int | None:
    """The signal number in a faulthandler dump ("Fatal Python error: Segmentation fault"), or None."""
    try:
        text = dump.read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"Fatal Python error: ([A-Za-z -]+)", text)
    found = _SIGNALS.get(match.group(1).strip().lower()) if match else None
    return None if found is None else int(found)


def autopsy(root, name: str) -> Died | None:
    """What the attempts of one task left in ``root/name/`` (see :func:`run_recorded`): a
    :class:`Died` for the last attempt (``exitcode`` ``-signal`` when its process left a fault
    dump, else None), with the temporary files of every attempt removed; None when no attempt
    left breadcrumbs (it never started, or returned)."""
    root = Path(root)
    attempts = []
    for path in (root / name).glob("*-*.json"):
        pid, _, ns = path.stem.partition("-")
        if pid.isdigit() and ns.isdigit():
            attempts.append((int(ns), int(pid), path))
    if not attempts:
        return None
    temps: list[str] = []
    for _, _, path in sorted(attempts):
        for tmp in crumbs.read_file(path)["temps"]:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            temps.append(tmp)
    _, pid, last = max(attempts)
    signum = _fatal_signal(root / FAULTS / f"{pid}.txt")
    return Died(exitcode=None if signum is None else -signum, doing=crumbs.read_file(last)["doing"],
                temps=tuple(temps), pid=pid)
