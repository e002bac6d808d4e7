"""Run independent tasks on local processes or a Dask cluster; failures come back as values.

Three back ends behind one interface (:func:`open_runner`):

``"none"`` (default)
    Embedded: ``workers`` local processes (no server, :mod:`saxs.pipeline.isolate`), also for one
    worker, so that a task crashing in native code (a corrupted compressed frame) fails alone,
    with its reason, and a fresh process takes over the next tasks.
``"local"``
    A Dask ``LocalCluster`` started on 127.0.0.1 (worker processes, one thread each).
``"tcp://HOST:PORT"``
    An existing Dask cluster (``distributed.Client``); its workers must have ``saxs-insitu``
    installed and see the same paths.

A task is a module-level function and its arguments (paths in, paths out, small values). A
task that raises is recorded as a :class:`TaskFailure` with its reason and the others go on;
a worker process that dies is recorded the same way ("ReaderCrashed: reader crashed (signal 11
(SIGSEGV)) while reading frame 2 of x.h5"), its temporary files removed, on every back end (Dask:
from the breadcrumb files of :mod:`saxs.pipeline.postmortem`). Outcomes come back in task order.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from ..errors import InputError, one_line
from .isolate import Died, IsolatedPool
from .postmortem import autopsy, run_recorded


@dataclass(frozen=True)
class Task:
    """One unit of work.

    Attributes
    ----------
    key : str
        Unique name (e.g. ``"sample:cdse_T190"``), used in logs and by Dask.
    func : callable
        A module-level function (it is pickled to the workers).
    args : tuple
        Its positional arguments (picklable: paths, small frozen dataclasses).
    """

    key: str
    func: Callable[..., Any]
    args: tuple = ()


@dataclass(frozen=True)
class TaskFailure:
    """Why a task did not produce a result.

    Attributes
    ----------
    error_type : str
        Exception class name (``"InputError"``, ``"ProcessingError"``, ``"WorkerDied"``...).
    message : str
        One-line reason.
    traceback : str
        Formatted traceback, for the log file ("" when not available).
    """

    error_type: str
    message: str
    traceback: str = ""

    @property
    def reason(self) -> str:
        """``"ErrorType: message"`` on one line."""
        return f"{self.error_type}: {self.message}"


@dataclass(frozen=True)
class TaskOutcome:
    """What came back from one task: a value or a failure, plus where and how long.

    Attributes
    ----------
    key : str
    value : object
        The task's return value (``None`` on failure).
    failure : TaskFailure or None
    seconds : float
        Wall time of the task on its worker, s.
    worker : str
        ``host:pid`` of the worker process.
    """

    key: str
    value: Any = None
    failure: TaskFailure | None = None
    seconds: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        """True when the task returned a value."""
        return self.failure is None


def execute(task: Task) -> TaskOutcome:
    """Run one task, turning an exception into a :class:`TaskFailure` (runs on the worker)."""
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        value = task.func(*task.args)
    except Exception as exc:  # noqa: BLE001 - failure as a value: the batch goes on
        return TaskOutcome(key=task.key, failure=TaskFailure(type(exc).__name__, one_line(exc),
                                                             traceback.format_exc()),
                           seconds=time.perf_counter() - start, worker=worker)
    return TaskOutcome(key=task.key, value=value, seconds=time.perf_counter() - start, worker=worker)


def _died(task: Task, exc: BaseException) -> TaskOutcome:
    return TaskOutcome(key=task.key, failure=TaskFailure("WorkerDied", f"the worker running it stopped: "
                                                         f"{type(exc).__name__}: {one_line(exc)}"))


def _crashed(task: Task, died: Died, exc: BaseException | None = None) -> TaskOutcome:
    """The outcome of a task whose worker died; ``exc``: what Dask raised (when the signal is unknown,
    its name stands for how the worker died)."""
    worker = f"{socket.gethostname()}:{died.pid}"
    how = died.how if died.exitcode is not None or exc is None else f"{type(exc).__name__}"
    if died.doing.startswith("reading "):
        failure = TaskFailure("ReaderCrashed", f"reader crashed ({how}) while {died.doing}")
    else:
        failure = TaskFailure("WorkerDied", f"the worker process died ({how}) while running {task.key}"
                              + (f" ({died.doing})" if died.doing else ""))
    return TaskOutcome(key=task.key, failure=failure, worker=worker)


@dataclass
class Runner:
    """Runs lists of tasks on one back end; use it through :func:`open_runner`.

    Attributes
    ----------
    scheduler : str
        ``"none"``, ``"local"`` or a ``tcp://`` address.
    workers : int
        Number of worker processes (for ``tcp://``: as many as the cluster has).
    description : str
        Human-readable summary (dashboard link for Dask).
    """

    scheduler: str
    workers: int
    description: str = ""
    _client: Any = field(default=None, repr=False)
    _isolated: Any = field(default=None, repr=False)
    _crumbs: str | None = field(default=None, repr=False)  # Dask: the breadcrumb folder (postmortem)
    _runs: Any = field(default_factory=itertools.count, repr=False)

    def run(self, tasks: Sequence[Task], *, on_done: Callable[[TaskOutcome], None] | None = None) -> list[TaskOutcome]:
        """Run ``tasks`` (independent of each other); return their outcomes in task order.

        Parameters
        ----------
        tasks : sequence of Task
        on_done : callable, optional
            Called in this process with each outcome as it completes (progress, logging).
        """
        tasks = list(tasks)
        keys = [t.key for t in tasks]
        if len(set(keys)) != len(keys):
            raise ValueError("task keys must be unique")
        if not tasks:
            return []
        if self._client is not None:
            outcomes = self._run_dask(tasks, on_done)
        elif self._isolated is not None:
            outcomes = self._run_isolated(tasks, on_done)
        else:
            outcomes = {}
            for task in tasks:
                outcomes[task.key] = execute(task)
                if on_done is not None:
                    on_done(outcomes[task.key])
        return [outcomes[k] for k in keys]

    def _run_isolated(self, tasks, on_done) -> dict[str, TaskOutcome]:
        outcomes = {}

        def done(index: int, value) -> None:
            task = tasks[index]
            if isinstance(value, TaskOutcome):
                outcome = value
            elif isinstance(value, Died):
                outcome = _crashed(task, value)
            else:
                outcome = _died(task, value)
            outcomes[task.key] = outcome
            if on_done is not None:
                on_done(outcome)

        self._isolated.map(execute, tasks, done)
        return outcomes

    def _run_dask(self, tasks, on_done) -> dict[str, TaskOutcome]:
        from distributed import as_completed

        run = next(self._runs)
        futures = {}
        for index, task in enumerate(tasks):
            # pure=False: a rerun (resume) must run again rather than reuse a cached result
            key = f"{task.key}-{os.getpid()}-{time.time_ns()}"
            name = f"{run}-{index}"  # the task's breadcrumb subfolder
            future = self._client.submit(run_recorded, execute, task, self._crumbs, name, key=key, pure=False)
            futures[future] = (task, name)
        outcomes = {}
        for future in as_completed(list(futures)):
            task, name = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker, lost connection
                died = autopsy(self._crumbs, name) if self._crumbs else None  # what it was doing
                outcome = _died(task, exc) if died is None else _crashed(task, died, exc)
            outcomes[task.key] = outcome
            if on_done is not None:
                on_done(outcome)
        return outcomes


def parse_scheduler(value: str) -> str:
    """Check a ``--scheduler`` value: ``none``, ``local`` or ``tcp://HOST:PORT``."""
    if value in ("none", "local"):
        return value
    if value.startswith("tcp://") and len(value) > len("tcp://"):
        return value
    raise InputError(None, "--scheduler", "'none', 'local' or a Dask address 'tcp://HOST:PORT'", got=value)


@contextlib.contextmanager
def open_runner(scheduler: str = "none", *, workers: int = 1, warmup: Callable[[], Any] | None = None,
                crumbs_dir=None) -> Iterator[Runner]:
    """Start a back end, yield a :class:`Runner`, shut it down on exit.

    Parameters
    ----------
    scheduler : str
        ``"none"`` (embedded local processes), ``"local"`` (Dask LocalCluster on 127.0.0.1)
        or ``"tcp://HOST:PORT"`` (existing Dask cluster).
    workers : int
        Worker processes for ``"none"`` and ``"local"`` (ignored for ``tcp://``).
    warmup : callable, optional
        A module-level function run once in every worker before any task (imports of heavy
        libraries), so that task timings measure the work, not the start-up of a process.
    crumbs_dir : path, optional
        Dask: where the workers leave breadcrumbs (a temporary folder made in it, removed on
        exit); it must be seen by the workers under the same path (the system's temporary
        folder by default: right for a LocalCluster, not for workers on other hosts).

    Examples
    --------
    >>> with open_runner("none", workers=1) as runner:
    ...     [o.value for o in runner.run([Task("a", abs, (-2,)), Task("b", abs, (3,))])]
    [2, 3]
    """
    scheduler = parse_scheduler(scheduler)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(None, "--workers", "a positive integer", got=workers)
    if scheduler == "none":
        # one process per worker, also for one: a crash in native code must not end the run
        with IsolatedPool(workers, warmup) as pool:
            yield Runner("none", workers, f"{workers} local process{'es' if workers > 1 else ''}", _isolated=pool)
        return

    crumbs = tempfile.mkdtemp(prefix=".saxs-crumbs-", dir=crumbs_dir)
    try:
        with _dask_runner(scheduler, workers, warmup, crumbs) as runner:
            yield runner
    finally:
        shutil.rmtree(crumbs, ignore_errors=True)


@contextlib.contextmanager
def _dask_runner(scheduler: str, workers: int, warmup, crumbs: str) -> Iterator[Runner]:
    from distributed import Client, LocalCluster

    if scheduler == "local":
        import dask

        # one task per worker at a time (saturation 1.0, not Dask's 1.1): a task queued behind one
        # that crashes its worker would count that death against itself, and fail innocent after
        # the scheduler's retries
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=40)
        try:
            with Client(cluster) as client:
                if warmup is not None:
                    client.run(warmup)
                yield Runner("local", workers, f"Dask LocalCluster {cluster.scheduler_address}", _client=client,
                             _crumbs=crumbs)
        finally:
            cluster.close()
        return

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise InputError(None, "--scheduler", "the address of a running Dask scheduler", got=scheduler) from exc
    try:
        if warmup is not None:
            client.run(warmup)
        n = max(1, len(client.scheduler_info().get("workers", {})))
        yield Runner(scheduler, n, f"Dask cluster {scheduler} ({n} workers)", _client=client, _crumbs=crumbs)
    finally:
        client.close()
