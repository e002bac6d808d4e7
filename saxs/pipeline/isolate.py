"""Worker processes whose death is survivable: a crash in native code fails one task, not the run.

A :class:`concurrent.futures.ProcessPoolExecutor` whose worker dies (a SIGSEGV inside the HDF5
bitshuffle-LZ4 filter on a corrupted chunk) breaks for good: every pending task fails with
``BrokenProcessPool`` and nobody knows which task killed it. Here each worker is a spawned process
on its own pipe, running one item at a time, so the item it was running when it died is known;
what it was doing (:mod:`saxs.crumbs`: "reading frame 3 of x.h5") and which temporary files it
had open are read from a small shared buffer; those files are removed and a fresh worker takes
its place. The other items finish as if nothing had happened.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Sequence

from .. import crumbs


@dataclass(frozen=True)
class Died:
    """A worker process that ended while running an item.

    Attributes
    ----------
    exitcode : int or None
        The process's exit code; ``-N`` for a kill by signal N.
    doing : str
        Its last breadcrumb ("reading frame 3 of /data/x.h5"; "" when none).
    temps : tuple of str
        Temporary files it had open (removed by the pool).
    pid : int
    """

    exitcode: int | None
    doing: str
    temps: tuple[str, ...]
    pid: int

    @property
    def how(self) -> str:
        """``"signal 11 (SIGSEGV)"`` or ``"exit code 3"``."""
        if self.exitcode is not None and self.exitcode < 0:
            try:
                name = signal.Signals(-self.exitcode).name
            except ValueError:
                name = "unknown"
            return f"signal {-self.exitcode} ({name})"
        return f"exit code {self.exitcode}"


def _die_with_parent() -> None:
    """End this worker when its parent ends, even by SIGKILL: an orphan would go on writing into
    an OUTDIR whose lock has been released (Linux: PR_SET_PDEATHSIG; elsewhere a watchdog thread)."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the call
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="saxs-parent-watch").start()


def _worker_main(conn, slot, warmup) -> None:
    """Body of one worker: run ``func(item)`` for each ``(func, item)`` received, send the result."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    crumbs.install(slot)
    if warmup is not None:
        warmup()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        func, item = message
        result = func(item)
        crumbs.doing("")
        conn.send(result)


@dataclass
class _Worker:
    process: Any
    conn: Any
    slot: Any


class IsolatedPool:
    """``workers`` spawned processes; :meth:`map` survives the death of any of them.

    Parameters
    ----------
    workers : int
        Number of processes (at least 1).
    warmup : callable, optional
        Module-level function each process runs once before its first item.

    Examples
    --------
    >>> with IsolatedPool(1) as pool:                       # doctest: +SKIP
    ...     pool.map(abs, [-1, 2], lambda i, value: None)
    [1, 2]
    """

    def __init__(self, workers: int, warmup: Callable[[], Any] | None = None):
        self._context = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited locks
        self._warmup = warmup
        self._workers = [self._start() for _ in range(workers)]

    def _start(self) -> _Worker:
        parent_conn, child_conn = self._context.Pipe()
        slot = self._context.RawArray("c", crumbs.SLOT_BYTES)
        process = self._context.Process(target=_worker_main, args=(child_conn, slot, self._warmup),
                                        daemon=True, name="saxs-worker")
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn, slot)

    def _bury(self, worker: _Worker) -> Died:
        """Collect a dead (or killed) worker: its breadcrumbs, its temporary files removed."""
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        left = crumbs.read(worker.slot)
        temps = tuple(left.get("temps", ()))
        for name in temps:
            with contextlib.suppress(OSError):
                os.unlink(name)
        worker.conn.close()
        return Died(worker.process.exitcode, left.get("doing", ""), temps, worker.process.pid)

    def map(self, func: Callable[[Any], Any], items: Sequence, on_result: Callable[[int, Any], None]) -> list:
        """Run ``func(item)`` for every item on the workers; return the results in item order.

        ``func`` must be a module-level function (it is pickled). The result of an item whose
        worker died is a :class:`Died`; of an item that could not be sent (not picklable), the
        exception. ``on_result(index, result)`` is called in this process as each one arrives.
        """
        results: list = [None] * len(items)
        pending = list(range(len(items)))
        busy: dict[int, int] = {}  # worker slot number -> item index
        while pending or busy:
            for n, worker in enumerate(self._workers):
                if n in busy or not pending:
                    continue
                index = pending.pop(0)
                try:
                    worker.conn.send((func, items[index]))
                except (BrokenPipeError, ConnectionResetError):
                    busy[n] = index  # found dead below
                except Exception as exc:  # noqa: BLE001 - pickling: this item alone fails
                    results[index] = exc
                    on_result(index, exc)
                    continue
                busy[n] = index
            if not busy:
                continue
            waitables = [self._workers[n].conn for n in busy] + [self._workers[n].process.sentinel for n in busy]
            ready = set(wait(waitables))
            for n in list(busy):
                worker = self._workers[n]
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                try:
                    if not worker.conn.poll():
                        raise EOFError
                    result = worker.conn.recv()
                except (EOFError, OSError):
                    result = self._bury(worker)
                    self._workers[n] = self._start()
                index = busy.pop(n)
                results[index] = result
                on_result(index, result)
        return results

    def close(self) -> None:
        """Stop every worker (politely, then by force); remove temporary files of killed ones."""
        for worker in self._workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(10)
            if worker.process.is_alive():
                worker.process.kill()
                self._bury(worker)
        self._workers = []

    def terminate(self) -> None:
        """Kill every worker now (Ctrl-C) and remove their temporary files."""
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.kill()
            self._bury(worker)
        self._workers = []

    def __enter__(self) -> "IsolatedPool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.terminate()
