"""Run a whole beamtime (planned by :mod:`saxs.pipeline.plan`): blanks, the absolute standard, samples,
series; summary and log.

Phases (each a list of independent tasks on one runner, see :mod:`saxs.pipeline.scheduler`):

1. blanks needed by the selected samples (and by the standard);
2. the absolute standard, when the beamtime measured one;
3. the samples (one task each);
4. the series (one task each, from the sample files).

A task whose inputs failed is not run; it is recorded as failed with the reason ("blank
'solvent_ode' failed: ..."). With ``resume=True`` a task whose output file carries the same
fingerprint (inputs and settings) is skipped. Every output is written atomically, so a batch
killed at any moment leaves only complete files (and temporary ``.*.tmp`` names) behind, and a
resumed batch ends with the same results as an uninterrupted one.

OUTDIR layout::

    summary.json                 what ran, what failed and why, key results (written last); per
                                 sample both reduced chi2, poor_fit, populations (or why withheld);
                                 "fit_quality": the poor fits, rejected fits and unfitted samples
    batch.log                    log lines of every run (appended)
    blanks/<blank>.h5            screened frame average of each blank (NXcanSAS)
    calibration/absolute.toml    calibration factor from the standard (+ standard.h5, its curve)
    samples/<sample>.h5          per sample: subtracted (default) and reduced SASentries, fit, peaks
    series/<series>.h5           per series: members, populations, histograms, curves, analysis
    figures/<sample>_fit.png, <sample>_distribution.png (<sample>_curve.png for a sample without
                                 a sphere fit) [, <sample>_peaks.png], <series>_<kind>.png

Exit status of ``saxs batch``: 0 when everything succeeded, 1 when some task failed (the summary
says which and why), 2 for a bad beamtime file or bad options (nothing is run).
"""

from __future__ import annotations

import datetime as _dt
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_text_atomic
from ..config import BeamtimeConfig
from ..errors import InputError
from .lock import batch_lock, release_new_folder
from .plan import SUMMARY_NAME, BatchOptions, BatchPlan, PlannedTask, _holds_results, _sample_figures, plan_batch
from .plan import _reduction  # noqa: F401 - re-exported: saxs.pipeline.batch._reduction as before the split
from .reports import load_report, save_report
from .sample import process_blank, process_sample, process_standard, warm_up
from .scheduler import Task, TaskOutcome, open_runner
from .series import SeriesJob, process_series

log = logging.getLogger("saxs.batch")

LOG_NAME = "batch.log"


# --------------------------------------------------------------------------- running
class _Progress:
    """A tqdm bar on a terminal, plain log lines otherwise."""

    def __init__(self, total: int, enabled: bool | None):
        self.total = total
        self.done = 0
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="task", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, outcome: TaskOutcome) -> None:
        self.done += 1
        state = "done" if outcome.ok else f"FAILED ({outcome.failure.reason})"
        line = f"[{self.done}/{self.total}] {outcome.key} {state} in {outcome.seconds:.1f} s"
        if self.bar is not None:
            self.bar.set_postfix_str(outcome.key, refresh=False)
            self.bar.update(1)
            log.debug(line)
        else:
            log.info(line)
        if outcome.ok and isinstance(outcome.value, dict):
            for note in outcome.value.get("warnings", ()):
                log.info("%s: warning: %s", outcome.key, note)
            _log_fit_quality(outcome.key, outcome.value)
        if not outcome.ok:
            log.warning("%s failed: %s", outcome.key, outcome.failure.reason)
            if outcome.failure.traceback:
                log.debug("%s traceback:\n%s", outcome.key, outcome.failure.traceback)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _log_fit_quality(key: str, report: dict) -> None:
    """Log a sample's fit verdict: both reduced chi2, POOR FIT, withheld populations."""
    labels = report.get("chi2_labels")
    if report.get("fit") == "done" and labels:
        log.info("%s: %s %.3g; %s %.3g", key, labels["chi2_reduced_data_sigma"], report["chi2_reduced_data_sigma"],
                 labels["chi2_reduced_fit_sigma"], report["chi2_reduced_fit_sigma"])
    if report.get("poor_fit"):
        log.warning("%s: POOR FIT: %s", key, report.get("poor_fit_reason"))
    if report.get("fit") == "skipped":
        log.info("%s: %s", key, report.get("populations_withheld"))
    elif report.get("populations_withheld"):
        log.warning("%s: no populations reported: %s", key, report["populations_withheld"])


def _setup_logging(outdir: Path, progress: bool) -> tuple[logging.Handler, ...]:
    """Log to OUTDIR/batch.log (INFO, appended) and to stderr (INFO without a progress bar)."""
    outdir.mkdir(parents=True, exist_ok=True)
    file_handler = logging.FileHandler(outdir / LOG_NAME, encoding="utf-8")
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    stream = logging.StreamHandler(sys.stderr)
    stream.setLevel(logging.WARNING if progress else logging.INFO)
    stream.setFormatter(logging.Formatter("saxs batch: %(message)s"))
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(file_handler)
    log.addHandler(stream)
    return file_handler, stream


def _teardown_logging(handlers) -> None:
    for h in handlers:
        log.removeHandler(h)
        h.close()
    log.propagate = True


def _remove_stale_temporaries(outdir: Path) -> None:
    """Delete temporary files (``.*.tmp``) an interrupted batch left in OUTDIR's result folders, and
    its Dask breadcrumb folders (``.saxs-crumbs-*``)."""
    subs = ("blanks", "calibration", "samples", "series", "figures")
    for sub in subs + (".",) + tuple(f".reports/{s}" for s in subs):
        folder = outdir / sub
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                log.info("removing %s, left by an interrupted run", tmp)
                tmp.unlink(missing_ok=True)
    for crumbs in outdir.glob(".saxs-crumbs-*"):  # Dask breadcrumbs of a killed run (scheduler.open_runner)
        log.info("removing %s, left by an interrupted run", crumbs)
        shutil.rmtree(crumbs, ignore_errors=True)


def _skipped_sample_report(task: PlannedTask) -> dict[str, Any]:
    """Key results of a sample that --resume did not recompute, read back from its file."""
    import mcfit

    from .results import fit_group, kinds_for
    from .sample import fit_report, skipped_reason

    try:
        figures = [str(Path(task.job.figures_dir) / f"{task.name}_{k}.png") for k in kinds_for(task.output)]
    except InputError:
        figures = [str(p) for p in _sample_figures(task.job)]
    report = {"name": task.name, "output": task.output, "seed": int(task.job.seed), "analysis": task.job.analysis,
              "figures": figures}
    if not task.job.sphere_fit:
        return {**report, **fit_report(None, skipped_reason(task.job.analysis))}
    try:
        result = mcfit.read_result(task.output, group=fit_group(task.output))
    except (KeyError, ValueError, OSError, TypeError) as exc:  # written by another mcfit version
        log.warning("%s: key results not read back (%s); the file itself is up to date", task.key, exc)
        return report
    return {**report, **fit_report(result), "warnings": list(result.warnings)}  # the fit's, as stored with it


def _run_phase(runner, tasks: list[PlannedTask], func, progress, results: dict[str, dict]) -> None:
    """Run the 'todo' tasks whose dependencies succeeded; record every outcome in ``results``."""
    to_run = []
    for t in tasks:
        if t.status == "failed":
            results[t.key] = {"status": "failed", "reason": t.reason}
            continue
        broken = [k for k in t.needs if results.get(k, {}).get("status") == "failed"]
        if broken:
            t.status, t.reason = "failed", f"{broken[0].replace(':', ' ', 1)} failed: {results[broken[0]]['reason']}"
            results[t.key] = {"status": "failed", "reason": t.reason}
            log.warning("%s not run: %s", t.key, t.reason)
            continue
        if t.status == "up-to-date":  # its report read back: the summary says what an uninterrupted run says
            results[t.key] = {"status": "skipped", "reason": "up to date (--resume)",
                              **load_report(t.output, t.fingerprint)}
            log.info("%s up to date, skipped", t.key)
            continue
        to_run.append(t)
    planned = {t.key: t for t in to_run}

    def done(outcome: TaskOutcome) -> None:  # as each task ends: its report kept at once, for --resume
        if outcome.ok:
            save_report(planned[outcome.key].output, planned[outcome.key].fingerprint, outcome.value)
        progress(outcome)

    for t, outcome in zip(to_run, runner.run([Task(t.key, func, (t.job,)) for t in to_run], on_done=done)):
        if outcome.ok:
            results[t.key] = {"status": "done", **outcome.value, "seconds": outcome.seconds, "worker": outcome.worker}
        else:
            t.status, t.reason = "failed", outcome.failure.reason
            results[t.key] = {"status": "failed", "reason": outcome.failure.reason, "worker": outcome.worker}


def _say_if_compiling(plan) -> None:
    """Warn once when the fit kernels are not in numba's cache yet: the first fit of each worker then
    compiles them for 10-30 s (never a silent wait)."""
    fits = [t for t in plan.samples.values() if t.status == "todo" and getattr(t.job, "sphere_fit", False)]
    if not fits:
        return
    from mcfit.kernels import kernels_cached

    if not kernels_cached():
        log.warning("compiling the fit kernels for this machine, once (10-30 s in each worker's first fit); "
                    "later runs load them from numba's cache")


def run_batch(config: BeamtimeConfig, options: BatchOptions) -> dict[str, Any]:
    """Run a beamtime (or plan it with ``dry_run``) and return the summary (also in summary.json).

    Parameters
    ----------
    config : BeamtimeConfig
        From :func:`saxs.config.load_beamtime`.
    options : BatchOptions

    Returns
    -------
    dict
        The summary: ``counts`` (samples, done, skipped, failed), ``samples``, ``blanks``,
        ``calibration``, ``series``, ``failed`` (name and reason of every failed task), ``exit_code``.
    """
    if not options.dry_run:  # one batch per OUTDIR: the temporary files of a live run are never touched
        outdir = Path(options.outdir)
        created = not outdir.exists()
        with batch_lock(outdir) as lock_path:
            try:
                plan = plan_batch(config, options)
            except InputError:
                if created:  # refused before any work: leave no folder behind
                    release_new_folder(outdir, lock_path)
                raise
            return _run_locked(config, options, plan, outdir)
    plan = plan_batch(config, options)
    rows = plan.describe()
    has_results = _holds_results(Path(options.outdir))
    summary = {"dry_run": True, "beamtime": str(config.path), "outdir": str(options.outdir), "tasks": rows,
               "to_run": sum(r["status"] == "todo" for r in rows), "outdir_has_results": has_results,
               "refused": has_results and not (options.resume or options.overwrite)}
    if summary["refused"]:  # the run would stop at its start: nothing runs, say what each flag would do
        skip = sum(r["existing"] == "up-to-date" for r in rows)
        for r in rows:
            if r["status"] != "failed":
                r["status"] = "refused"
        summary["to_run"] = 0
        summary["note"] = (f"{options.outdir} holds results of an earlier batch: this run would be refused "
                           f"(exit 2); with --resume {skip} task(s) would be skipped as up to date and the "
                           f"others run; with --overwrite all {len(rows)} would run")
    return summary


def _run_locked(config: BeamtimeConfig, options: BatchOptions, plan: BatchPlan, outdir: Path) -> dict[str, Any]:
    progress_wanted = sys.stderr.isatty() if options.progress is None else options.progress
    handlers = _setup_logging(outdir, progress_wanted)
    _remove_stale_temporaries(outdir)
    started = time.perf_counter()
    started_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    try:
        log.info("beamtime %s -> %s (%s samples, scheduler %s, %s workers, resume=%s)", config.path, outdir,
                 len(plan.samples), options.scheduler, options.workers, options.resume)
        _say_if_compiling(plan)
        n_tasks = sum(t.status == "todo" for t in list(plan.blanks.values()) + list(plan.samples.values())
                      + ([plan.standard] if plan.standard else [])) + len(plan.series)
        progress = _Progress(n_tasks, progress_wanted)
        results: dict[str, dict] = {}
        try:
            # Dask workers leave their breadcrumbs in OUTDIR, which a remote cluster's workers see too
            with open_runner(options.scheduler, workers=options.workers, warmup=warm_up,
                             crumbs_dir=outdir) as runner:
                log.info("running on %s", runner.description)
                _run_phase(runner, list(plan.blanks.values()), process_blank, progress, results)
                if plan.standard is not None:
                    _run_phase(runner, [plan.standard], process_standard, progress, results)
                _run_phase(runner, list(plan.samples.values()), process_sample, progress, results)
                series_jobs = []
                for series, members in plan.series:
                    failed = tuple("" if results[f"sample:{m}"]["status"] != "failed" else
                                   results[f"sample:{m}"]["reason"] for m in members)
                    series_jobs.append(SeriesJob(
                        name=series.name, by=series.by, analysis=series.analysis, samples=members,
                        values=tuple(config.sample(m).metadata[series.by] for m in members),
                        sample_outputs=tuple(plan.samples[m].output for m in members), failed=failed,
                        output=str(outdir / "series" / f"{series.name}.h5"), figures_dir=str(outdir / "figures")))
                outcomes = runner.run([Task(f"series:{j.name}", process_series, (j,)) for j in series_jobs],
                                      on_done=progress)
        finally:
            progress.close()
        summary = _summary(plan, results, series_jobs, outcomes, started_at, time.perf_counter() - started)
        from .notes import group_warnings

        summary["warnings"] = group_warnings(summary)
        write_text_atomic(outdir / SUMMARY_NAME, canonical_summary(summary))
        c = summary["counts"]
        log.info("finished in %.1f s: %d samples done, %d skipped (up to date), %d failed; %d of %d series; "
                 "summary %s", summary["elapsed_s"], c["done"], c["skipped"], c["failed"], c["series_done"],
                 c["series"], outdir / SUMMARY_NAME)
        for f in summary["failed"]:
            log.warning("FAILED %s %s: %s", f["kind"], f["name"], f["reason"])
        if summary["fit_quality"]["poor_fit"]:
            log.warning("POOR FIT (%s): %s", summary["fit_quality"]["rule"].split(";")[0],
                        ", ".join(summary["fit_quality"]["poor_fit"]))
        return summary
    finally:
        _teardown_logging(handlers)


def canonical_summary(summary: dict) -> str:
    """summary.json text (NaN/inf as null, indented)."""
    import json

    from ..commands._common import _jsonable

    return json.dumps(_jsonable(summary), indent=2) + "\n"


def _summary(plan: BatchPlan, results, series_jobs, outcomes, started_at, elapsed) -> dict[str, Any]:
    options, config = plan.options, plan.config
    samples = []
    for name, task in plan.samples.items():
        r = dict(results.get(task.key, {"status": task.status, "reason": task.reason}))
        if r["status"] == "skipped" and "output" not in r:  # no report kept (not reached: such tasks rerun)
            r.update(_skipped_sample_report(task))
        r.setdefault("name", name)
        r.setdefault("output", task.output if r["status"] != "failed" else None)
        r["fingerprint"] = task.fingerprint or None
        samples.append({"name": name, **{k: v for k, v in r.items() if k != "name"}})
    blanks = [{"name": n, "output": t.output, **results.get(t.key, {})} for n, t in plan.blanks.items()]
    series = []
    for job, outcome in zip(series_jobs, outcomes):
        if outcome.ok:
            series.append({"status": "done", **outcome.value})
        else:
            series.append({"name": job.name, "status": "failed", "reason": outcome.failure.reason})
    failed = [{"kind": "blank", "name": b["name"], "reason": b.get("reason")} for b in blanks
              if b.get("status") == "failed"]
    if plan.standard is not None and results.get("standard", {}).get("status") == "failed":
        failed.append({"kind": "standard", "name": "standard", "reason": results["standard"]["reason"]})
    failed += [{"kind": "sample", "name": s["name"], "reason": s.get("reason")} for s in samples
               if s["status"] == "failed"]
    failed += [{"kind": "series", "name": s["name"], "reason": s["reason"]} for s in series if s["status"] == "failed"]
    fit_quality = {
        "rule": "poor fit: chi2_r against the data's own sigma > poor_fit_chi2_reduced "
                f"({config.fit.poor_fit_chi2_reduced:g}) and residuals' Durbin-Watson < poor_fit_durbin_watson "
                f"({config.fit.poor_fit_durbin_watson:g}); populations withheld: a poor fit that missed its "
                "criterion against the floored sigma, or a dominant population at the edge of the radius range",
        "poor_fit": [s["name"] for s in samples if s.get("poor_fit")],
        "populations_withheld": [{"name": s["name"], "reason": s["populations_withheld"]} for s in samples
                                 if s.get("fit") == "done" and s.get("populations_withheld")],
        "not_fitted": [{"name": s["name"], "reason": s["populations_withheld"]} for s in samples
                       if s.get("fit") == "skipped"],
    }
    counts = {"samples": len(samples), "done": sum(s["status"] == "done" for s in samples),
              "skipped": sum(s["status"] == "skipped" for s in samples),
              "failed": sum(s["status"] == "failed" for s in samples),
              "series": len(series), "series_done": sum(s["status"] == "done" for s in series),
              "failed_tasks": len(failed)}
    return {
        "beamtime": str(config.path), "title": config.title, "beamtime_version": config.version,
        "outdir": str(options.outdir), "software": f"saxs-insitu {__version__}",
        "scheduler": options.scheduler, "workers": options.workers, "resume": options.resume,
        "fit_seed": config.fit.seed, "started": started_at, "elapsed_s": elapsed,
        "counts": counts, "failed": failed, "exit_code": 1 if failed else 0, "fit_quality": fit_quality,
        "blanks": blanks,
        "calibration": None if plan.standard is None else {"output": plan.standard.job.output_toml
                                                          if plan.standard.job else None,
                                                          **results.get("standard", {})},
        "samples": samples, "series": series, "log": str(Path(options.outdir) / LOG_NAME),
    }
