"""``saxs batch --watch`` / ``saxs watch``: process a beamtime as its files land.

Each cycle (every ``poll_s`` seconds):

1. read ``beamtime.toml`` again (samples added during the beamtime, sample rules);
2. restrict it to complete files (:func:`saxs.watch.view.ready_view`: a file still being written
   is never read);
3. plan it as a ``--resume`` batch (:func:`saxs.pipeline.batch.plan_batch`): a task whose output
   carries the same fingerprint is up to date, so every sample runs once, and again only when its
   inputs change - typically a blank or the absolute standard that arrived after it;
4. run the blanks, the standard and the samples that are not up to date, then only the series
   whose members (names, values or fingerprints) changed;
5. write ``summary.json`` (with a ``watch`` section: what waits and why), append one line per
   processed task to ``watch_events.jsonl`` and refresh ``report.html``.

Ctrl-C (SIGINT, or SIGTERM from the command line) stops it between or inside tasks; every output
is written atomically, so a restart carries on from the fingerprints. With ``stop_after_idle_s``
it stops by itself once nothing has changed for that long (scripts, tests).

``watch_events.jsonl``, one JSON object per processed task::

    {"event": "done" | "failed", "key": "sample:cdse_T190", "why": "new" | "blank 'solvent_ode'
     arrived" | ..., "fingerprint": ..., "files": [{"name", "size", "mtime_ns"}...],
     "complete_since": t0, "result_at": t1, "summary_at": t2, "report_at": t3 | null}

(times in s since the epoch; ``complete_since`` is the last write of the task's raw files, so
``summary_at - complete_since`` is the latency from a complete file to its sample in the summary).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..config import load_beamtime
from ..errors import InputError
from .complete import CompletenessTracker
from .report_adapter import refresh_report
from .view import ready_view

log = logging.getLogger("saxs.batch")

EVENTS_NAME = "watch_events.jsonl"
#: While samples wait for a worker, the series are analysed again at most this often (s).
SERIES_EVERY_S_WITH_BACKLOG = 60.0


@dataclass(frozen=True)
class WatchOptions:
    """Options of a watch.

    Attributes
    ----------
    outdir : Path
    scheduler : str
        As ``saxs batch --scheduler``.
    workers : int
    poll_s : float
        Seconds between two looks at the folder.
    settle_s : float
        Seconds a file's size and time must stay the same before it is read.
    stop_after_idle_s : float or None
        Stop once nothing changed (no task run, no file being written) for this long.
    report_refresh_s : float
        Reload interval of report.html while the watch runs.
    """

    outdir: Path
    scheduler: str = "none"
    workers: int = 1
    poll_s: float = 2.0
    settle_s: float = 2.0
    stop_after_idle_s: float | None = None
    report_refresh_s: float = 10.0


@dataclass
class _State:
    """What the watch remembers between cycles (in memory; a restart rebuilds it from OUTDIR)."""

    series_keys: dict = field(default_factory=dict)      # series name -> key of its members' state
    series_runs: dict = field(default_factory=dict)      # series name -> (SeriesJob, TaskOutcome)
    failed: dict = field(default_factory=dict)           # task key -> (fingerprint, reason): not retried
    reports: dict = field(default_factory=dict)          # task key -> (fingerprint, result of its run)
    series_at: float = float("-inf")                     # monotonic time of the last series run
    backlog: bool = False                                # samples queued for the next cycle
    cycles: int = 0
    processed: int = 0
    last_change: float = field(default_factory=time.monotonic)


def _why(task) -> str:
    """Why a task that is not up to date runs: new, or which of its inputs changed."""
    if not task.existing:
        return "new"
    from ..pipeline.fingerprint import INPUTS_ATTR

    try:
        import h5py

        with h5py.File(task.output, "r") as f:
            old = json.loads(f.attrs[INPUTS_ATTR])
        new = json.loads(task.job.inputs)
    except (OSError, KeyError, ValueError, AttributeError, TypeError):
        return "inputs or settings changed"
    reasons = []
    old_s, new_s = old.get("settings", {}), new.get("settings", {})
    for blank in sorted(set(new_s.get("blanks") or {}) - set(old_s.get("blanks") or {})):
        reasons.append(f"blank '{blank}' arrived")
    if new_s.get("calibration") and not old_s.get("calibration"):
        reasons.append("absolute standard arrived")
    if old.get("files") != new.get("files"):
        reasons.append("raw files changed")
    return "; ".join(reasons) or "inputs or settings changed"


def _member_state(task) -> str:
    return task.status if task.status in ("failed", "queued") else "ok"


def _series_key(plan, series, members) -> str:
    return json.dumps([list(members), [plan.samples[m].fingerprint for m in members],
                       [_member_state(plan.samples[m]) for m in members]])


def _series_to_run(plan, state: _State, outdir: Path) -> list:
    out = []
    for series, members in plan.series:
        key = _series_key(plan, series, members)
        if state.series_keys.get(series.name) != key or not (outdir / "series" / f"{series.name}.h5").exists():
            out.append((series, members, key))
    return out


def _run_cycle(config, view, options: WatchOptions, runner, state: _State) -> dict | None:
    """Plan the ready part of the beamtime and run what is not up to date; None when nothing ran."""
    from ..pipeline import batch as B
    from ..pipeline.sample import process_blank, process_sample, process_standard
    from ..pipeline.scheduler import Task
    from ..pipeline.series import SeriesJob, process_series

    started = time.perf_counter()
    batch_options = B.BatchOptions(outdir=options.outdir, scheduler=options.scheduler, workers=options.workers,
                                   resume=True, progress=False)
    plan = B.plan_batch(view.config, batch_options)
    tasks = list(plan.blanks.values()) + ([plan.standard] if plan.standard else []) + list(plan.samples.values())
    for t in tasks:  # a task that failed is tried again only when its inputs change (or at a restart)
        if t.status == "todo" and state.failed.get(t.key, ("",))[0] == t.fingerprint:
            t.status, t.reason = "failed", state.failed[t.key][1]
    # at most one sample per worker in a cycle, oldest first: the summary (and the report) then follow
    # each group of results, and a backlog does not delay the samples that land meanwhile
    waiting = sorted((t for t in plan.samples.values() if t.status == "todo"),
                     key=lambda t: (view.complete_since.get(t.key, 0.0), t.name))
    for t in waiting[max(1, options.workers):]:
        t.status, t.reason = "queued", "complete; queued for a free worker"
    queued = len(waiting) > max(1, options.workers)
    todo = [t for t in tasks if t.status == "todo"]
    outdir = Path(options.outdir)
    if not todo and not _series_to_run(plan, state, outdir):
        return None
    why = {t.key: _why(t) for t in todo}
    for t in todo:
        log.info("watch: %s to process (%s)", t.key, why[t.key])
    finished_at: dict[str, float] = {}
    progress = B._Progress(len(todo), False)

    def on_done(outcome):
        finished_at[outcome.key] = time.time()
        progress(outcome)

    results: dict[str, dict] = {}
    B._run_phase(runner, list(plan.blanks.values()), process_blank, on_done, results)
    if plan.standard is not None:
        B._run_phase(runner, [plan.standard], process_standard, on_done, results)
    B._run_phase(runner, [t for t in plan.samples.values() if t.status != "queued"], process_sample, on_done,
                 results)

    for t in tasks:  # done in an earlier cycle of this watch: its report as it came back (no re-reading)
        cached = state.reports.get(t.key)
        if results.get(t.key, {}).get("status") == "skipped" and cached and cached[0] == t.fingerprint:
            results[t.key] = cached[1]
        elif results.get(t.key, {}).get("status") == "done":
            state.reports[t.key] = (t.fingerprint, results[t.key])

    # series: after the samples (their failures count); with a backlog at most once a minute
    state.backlog = queued
    series_todo = [(s, members, key) for s, members, key in _series_to_run(plan, state, outdir)
                   if any(plan.samples[m].status not in ("failed", "queued") for m in members)]
    if queued and time.monotonic() - state.series_at < SERIES_EVERY_S_WITH_BACKLOG:
        series_todo = []
    if series_todo:
        state.series_at = time.monotonic()

    def member_failure(m):
        r = results.get(f"sample:{m}")
        if r is None:
            return plan.samples[m].reason or "not processed yet"
        return r["reason"] if r["status"] == "failed" else ""

    jobs = []
    for series, members, key in series_todo:
        failed = tuple(member_failure(m) for m in members)
        jobs.append((SeriesJob(name=series.name, by=series.by, analysis=series.analysis, samples=members,
                               values=tuple(view.config.sample(m).metadata[series.by] for m in members),
                               sample_outputs=tuple(plan.samples[m].output for m in members), failed=failed,
                               output=str(outdir / "series" / f"{series.name}.h5"),
                               figures_dir=str(outdir / "figures")), key))
    progress.total += len(jobs)
    outcomes = runner.run([Task(f"series:{j.name}", process_series, (j,)) for j, _ in jobs], on_done=on_done)
    for (job, key), outcome in zip(jobs, outcomes):
        state.series_runs[job.name] = (job, outcome)
        state.series_keys[job.name] = key  # a failed series too: tried again when a member changes
    present = [name for name in (s.name for s, _ in plan.series) if name in state.series_runs]
    all_jobs = [state.series_runs[n][0] for n in present]
    all_outcomes = [state.series_runs[n][1] for n in present]

    started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    summary = B._summary(plan, results, all_jobs, all_outcomes, started_at, time.perf_counter() - started)
    from ..pipeline.notes import group_warnings

    summary["warnings"] = group_warnings(summary)
    summary["beamtime"] = str(config.path)
    summary["watch"] = {"running": True, "cycle": state.cycles, "waiting": dict(sorted(view.waiting.items())),
                        "poll_s": options.poll_s, "settle_s": options.settle_s}
    B.write_text_atomic(outdir / B.SUMMARY_NAME, B.canonical_summary(summary))
    summary_at = time.time()
    report = refresh_report(outdir, refresh_seconds=options.report_refresh_s)
    report_at = time.time() if report is not None else None
    with open(outdir / EVENTS_NAME, "a", encoding="utf-8") as events:
        for t in todo:
            r = results.get(t.key, {})
            files = json.loads(t.job.inputs)["files"] if t.job is not None else []
            events.write(json.dumps({
                "event": "done" if r.get("status") == "done" else "failed", "key": t.key, "why": why[t.key],
                "reason": r.get("reason"), "fingerprint": t.fingerprint, "files": files,
                "complete_since": view.complete_since.get(t.key), "result_at": finished_at.get(t.key),
                "summary_at": summary_at, "report_at": report_at}) + "\n")
    state.processed += len(todo)
    for t in todo:
        r = results.get(t.key, {})
        if r.get("status") == "failed":
            state.failed[t.key] = (t.fingerprint, r.get("reason") or "failed")
    c = summary["counts"]
    log.info("watch: cycle %d: %d task(s) and %d series run; %d of %d ready samples done or up to date; "
             "%d waiting", state.cycles, len(todo), len(jobs), c["done"] + c["skipped"], c["samples"],
             len(view.waiting))
    return summary


def _busy(waiting: dict) -> bool:
    """Whether a file is on its way (being written), as opposed to nothing there yet."""
    return any(not why.startswith("no file matches") for why in waiting.values())


def watch(config_path, options: WatchOptions, *, stop: threading.Event | None = None,
          tracker: CompletenessTracker | None = None,
          on_cycle: Callable[[dict | None], Any] | None = None) -> dict[str, Any]:
    """Watch a beamtime folder and process it as its files land (see the module docstring).

    Parameters
    ----------
    config_path : path
        The ``beamtime.toml`` (read again every cycle).
    options : WatchOptions
    stop : threading.Event, optional
        Set it (from another thread) to stop after the current cycle.
    tracker : CompletenessTracker, optional
        Default: one with ``options.settle_s``.
    on_cycle : callable, optional
        Called after every cycle with its summary (None when nothing ran).

    Returns
    -------
    dict
        ``cycles``, ``processed`` (tasks run), ``stopped_by`` ("stop", "idle" or "interrupt"),
        ``exit_code`` (1 when the last summary lists failures), ``summary`` (the last one written).

    Raises
    ------
    InputError
        For a bad beamtime file or options at the start (a bad edit later is logged and the last
        good file is kept).
    """
    from ..pipeline import batch as B
    from ..pipeline.sample import warm_up
    from ..pipeline.scheduler import open_runner

    config_path = Path(config_path)
    outdir = Path(options.outdir)
    config = load_beamtime(config_path)
    tracker = tracker or CompletenessTracker(options.settle_s)
    stop = stop or threading.Event()
    from ..pipeline.lock import batch_lock

    held = contextlib.ExitStack()  # one batch or watch per OUTDIR: a live run's temporary files are never touched
    held.enter_context(batch_lock(outdir))
    handlers = B._setup_logging(outdir, False)
    B._remove_stale_temporaries(outdir)
    state = _State()
    last_summary: dict | None = None
    stopped_by = "stop"
    config_stamp = config_path.stat().st_mtime_ns
    try:
        log.info("watch: %s -> %s (poll %g s, files complete after %g s unchanged)", config_path, outdir,
                 options.poll_s, options.settle_s)
        with open_runner(options.scheduler, workers=options.workers, warmup=warm_up) as runner:
            while not stop.is_set():
                state.cycles += 1
                try:
                    stamp = config_path.stat().st_mtime_ns
                    if stamp != config_stamp or config.has_rules:  # rules: samples follow the files
                        if stamp != config_stamp:
                            log.info("watch: %s changed: read again", config_path.name)
                        config, config_stamp = load_beamtime(config_path), stamp
                except (InputError, OSError) as exc:
                    log.error("watch: %s not read again (keeping the last good one): %s", config_path, exc)
                view = ready_view(config, tracker)
                summary = None
                state.backlog = False
                if view.config is not None:
                    try:
                        summary = _run_cycle(config, view, options, runner, state)
                    except InputError as exc:  # a missing calibration file: exit 2 at the start, logged later
                        if last_summary is None and state.cycles == 1:
                            raise
                        log.error("watch: cycle %d not run: %s", state.cycles, exc)
                if summary is not None:
                    last_summary = summary
                if summary is not None or _busy(view.waiting):
                    state.last_change = time.monotonic()
                if on_cycle is not None:
                    on_cycle(summary)
                idle = time.monotonic() - state.last_change
                if options.stop_after_idle_s is not None and idle >= options.stop_after_idle_s:
                    stopped_by = "idle"
                    log.info("watch: nothing new for %.0f s: stopping", idle)
                    break
                if not state.backlog:  # queued samples: next cycle at once
                    stop.wait(options.poll_s)
    except KeyboardInterrupt:
        stopped_by = "interrupt"
        log.warning("watch: stopped by Ctrl-C; start it again to carry on (finished results are kept)")
    finally:
        try:
            _final_summary(outdir, stopped_by)
        finally:
            B._teardown_logging(handlers)
            held.close()
    failed = bool(last_summary and last_summary.get("failed"))
    return {"cycles": state.cycles, "processed": state.processed, "stopped_by": stopped_by,
            "exit_code": 1 if failed else 0, "summary": last_summary}


def _final_summary(outdir: Path, stopped_by: str) -> None:
    """Mark summary.json as no longer live and write the report page without its reload."""
    from ..pipeline import batch as B

    path = outdir / B.SUMMARY_NAME
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    summary.setdefault("watch", {})["running"] = False
    summary["watch"]["stopped_by"] = stopped_by
    B.write_text_atomic(path, json.dumps(summary, indent=2) + "\n")
    refresh_report(outdir, refresh_seconds=None)


__all__ = ["WatchOptions", "watch", "EVENTS_NAME"]
