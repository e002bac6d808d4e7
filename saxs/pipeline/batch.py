"""Plan and run a whole beamtime: blanks, the absolute standard, samples, series; summary and log.

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
import fnmatch
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..atomic import write_text_atomic
from ..config import BeamtimeConfig
from ..errors import InputError
from ..guards import missing_file_reason
from .fingerprint import derive_seed, file_stamp, fingerprint_of, inputs_text, stored_fingerprint
from .lock import batch_lock, release_new_folder
from .reports import load_report, save_report
from .sample import (BlankJob, FitOptions, ReductionSettings, SampleJob, StandardJob, process_blank, process_sample,
                     process_standard, warm_up)
from .scheduler import Task, TaskOutcome, open_runner
from .series import SeriesJob, process_series

log = logging.getLogger("saxs.batch")

SUMMARY_NAME = "summary.json"
LOG_NAME = "batch.log"


@dataclass(frozen=True)
class BatchOptions:
    """Options of one batch run (the ``saxs batch`` command line).

    Attributes
    ----------
    outdir : Path
        Output folder.
    scheduler : str
        ``"none"`` (local processes), ``"local"`` (Dask LocalCluster) or ``"tcp://HOST:PORT"``.
    workers : int
        Worker processes (``"none"``/``"local"``).
    only : tuple of str
        Sample names or fnmatch patterns to process (default: all).
    resume : bool
        Skip tasks whose outputs exist for the same inputs and settings.
    overwrite : bool
        Recompute everything even if OUTDIR holds results.
    dry_run : bool
        Plan only: say what would run, write nothing.
    progress : bool or None
        Progress bar (None: when stderr is a terminal).
    """

    outdir: Path
    scheduler: str = "none"
    workers: int = 1
    only: tuple[str, ...] = ()
    resume: bool = False
    overwrite: bool = False
    dry_run: bool = False
    progress: bool | None = None


@dataclass
class PlannedTask:
    """One task of the plan: its job, output, fingerprint, and whether it must run."""

    kind: str            # "blank", "standard", "sample"
    name: str
    job: Any = None
    output: str = ""
    fingerprint: str = ""
    status: str = "todo"  # "todo", "up-to-date", "failed"
    reason: str = ""
    existing: str = ""    # results already in OUTDIR: "" none, "up-to-date", "outdated" (other inputs/settings)
    needs: tuple[str, ...] = ()  # keys of tasks it depends on ("blank:x", "standard")

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}" if self.kind != "standard" else "standard"


@dataclass
class BatchPlan:
    """Everything a run will do, in phase order."""

    config: BeamtimeConfig
    options: BatchOptions
    blanks: dict[str, PlannedTask] = field(default_factory=dict)
    standard: PlannedTask | None = None
    samples: dict[str, PlannedTask] = field(default_factory=dict)
    series: list = field(default_factory=list)  # (SeriesConfig, tuple of selected member names)

    def describe(self) -> list[dict[str, Any]]:
        """One line per task: kind, name, status, reason, output (for ``--dry-run``)."""
        tasks = list(self.blanks.values()) + ([self.standard] if self.standard else []) + list(self.samples.values())
        rows = [{"kind": t.kind, "name": t.name, "status": t.status, "reason": t.reason or _plan_reason(t, self.options),
                 "output": t.output, "existing": t.existing or None} for t in tasks]
        for s, _ in self.series:  # a series is always (re)analysed from its members' files
            output = Path(self.options.outdir) / "series" / f"{s.name}.h5"
            rows.append({"kind": "series", "name": s.name, "status": "todo",
                         "reason": "redone from its members' results" if output.exists() else None,
                         "output": str(output), "existing": "outdated" if output.exists() else None})
        return rows


# --------------------------------------------------------------------------- planning
def _holds_results(outdir: Path) -> bool:
    """Whether OUTDIR holds results of an earlier batch (then a run needs --resume or --overwrite)."""
    return (outdir / SUMMARY_NAME).exists() or (outdir / "samples").exists()


def _select(config: BeamtimeConfig, only) -> list:
    if not only:
        return list(config.samples)
    chosen = [s for s in config.samples if any(fnmatch.fnmatchcase(s.name, p) for p in only)]
    for pattern in only:
        if not any(fnmatch.fnmatchcase(s.name, pattern) for s in config.samples):
            raise InputError(config.path, "--only", f"sample names or patterns of this beamtime "
                             f"({', '.join(s.name for s in config.samples)})", got=pattern)
    return chosen


def _check_is_file(config: BeamtimeConfig, key: str, path: Path) -> None:
    """A calibration input every task needs: a symbolic link loop or a folder stops the run (exit 2)."""
    if not path.is_file():
        raise InputError(config.path, key, "a raw file", got=f"{path} is {missing_file_reason(path)}")


def _reduction(config: BeamtimeConfig) -> tuple[ReductionSettings, list[Path]]:
    inst = config.instrument
    files: list[Path] = []
    for key in ("poni", "mask", "flat"):
        path = getattr(inst, key)
        if path is not None:
            if not path.is_file():
                raise InputError(config.path, f"instrument.{key}", "an existing file", got=str(path))
            files.append(path)
    dark = None
    if inst.dark:
        darks = config.resolve(inst.dark)
        if len(darks) != 1:
            raise InputError(config.path, "instrument.dark", "a pattern matching exactly one dark file (a stack; "
                             "the median of its frames is used)", got=f"{len(darks)} files")
        _check_is_file(config, "instrument.dark", darks[0])
        dark = str(darks[0])
        files.append(darks[0])
    empty_beam = None
    if inst.empty_beam:
        found = config.resolve(inst.empty_beam)
        if len(found) != 1:
            raise InputError(config.path, "instrument.empty_beam", "a path or pattern matching exactly one file",
                             got=f"{len(found)} files")
        _check_is_file(config, "instrument.empty_beam", found[0])
        empty_beam = str(found[0])
        files.append(found[0])
    return ReductionSettings(poni=str(inst.poni) if inst.poni else None, mask=str(inst.mask) if inst.mask else None,
                             dark=dark, flat=str(inst.flat) if inst.flat else None, npt=inst.npt,
                             empty_beam=empty_beam, dark_statistic=inst.dark_statistic,
                             no_monitor=inst.monitor == "none"), files


def _not_a_file(files, key: str) -> str | None:
    """Why one of the ``files`` matched by beamtime key ``key`` cannot be read (a symbolic link
    loop, a folder, a link gone), in one line; None when they are all files. Recorded as the
    failure of the task that needs them, so one bad path fails only that task and its dependants."""
    bad = [f for f in files if not f.is_file()]
    if not bad:
        return None
    return f"{bad[0]} (matched by {key}) is {missing_file_reason(bad[0])}, not a raw file"


def _with_data_files(files) -> list:
    """The raw files and the files their data live in (a master file's LIMA files, a LIMA file's
    scalers file): a changed LIMA or scalers file makes ``--resume`` redo the task."""
    from ..id02 import data_files

    out = []
    for f in files:
        out.extend(p for p in data_files(f) if p not in out)
    return out


def _stamps(files, base_dir) -> list[dict]:
    return [file_stamp(f, base_dir=base_dir) for f in files]


def _plan_reason(task: PlannedTask, options: BatchOptions) -> str | None:
    """Why a task of the plan runs or not, given the results already in OUTDIR (for ``--dry-run``)."""
    if task.status == "up-to-date":
        return "results up to date: skipped (--resume)"
    if not task.existing:
        return None
    if options.overwrite:
        return f"results {task.existing.replace('-', ' ')}: redone (--overwrite)"
    if task.existing == "outdated":
        return "results from other inputs or settings: redone (--resume)" if options.resume else \
            "results from other inputs or settings: redone with --resume or --overwrite"
    return "results up to date: skipped with --resume, redone with --overwrite"


def _status(task: PlannedTask, options: BatchOptions, extra_outputs=()) -> None:
    if task.status == "failed":
        return
    if Path(task.output).exists():
        current = stored_fingerprint(task.output) == task.fingerprint and all(
            Path(p).is_file() for p in extra_outputs) and load_report(task.output, task.fingerprint) is not None
        task.existing = "up-to-date" if current else "outdated"
    if options.resume and task.existing == "up-to-date":
        task.status = "up-to-date"


def plan_batch(config: BeamtimeConfig, options: BatchOptions) -> BatchPlan:
    """Decide every task of a run, its fingerprint and whether it is up to date.

    Raises
    ------
    InputError
        For problems with the beamtime file or the options (exit status 2): an ``--only`` that
        matches nothing, a missing calibration file, results in OUTDIR without ``--resume`` or
        ``--overwrite``.
    """
    out = Path(options.outdir)
    if isinstance(options.workers, bool) or not isinstance(options.workers, int) or options.workers < 1:
        raise InputError(None, "--workers", "a positive integer", got=options.workers)
    if options.resume and options.overwrite:
        raise InputError(None, "--resume/--overwrite", "at most one of the two")
    if not options.dry_run and not (options.resume or options.overwrite) and _holds_results(out):
        raise InputError(out, "OUTDIR", "a new or empty folder (it holds results of an earlier batch: use "
                         "--resume to complete them or --overwrite to redo everything)")
    base = config.base_dir
    selected = _select(config, options.only)
    reduction, calibration_files = _reduction(config)
    common = {"software": f"saxs-insitu {__version__}", "reduction": reduction,
              "calibration_files": _stamps(calibration_files, base)}
    threads = max(1, (os.cpu_count() or 1) // max(1, options.workers))
    plan = BatchPlan(config=config, options=options)

    needed = {b for s in selected for b in s.blanks}
    absolute = config.absolute
    if absolute.standard_file and absolute.standard_empty:
        needed.add(absolute.standard_empty)
    for name in (b for b in config.blanks if b in needed):
        blank = config.blanks[name]
        files = config.resolve(blank.files)
        task = PlannedTask("blank", name, output=str(out / "blanks" / f"{name}.h5"))
        unreadable = _not_a_file(files, f"blanks.{name}.files")
        if not files:
            task.status, task.reason = "failed", f"no raw file matches blanks.{name}.files {list(blank.files)}"
        elif unreadable:
            task.status, task.reason = "failed", unreadable
        else:
            settings = {"kind": "blank", "name": name, **common}
            inputs = inputs_text(_with_data_files(files), settings, base_dir=base)
            task.fingerprint = fingerprint_of(inputs)
            task.job = BlankJob(name=name, files=tuple(str(f) for f in files), reduction=reduction,
                                output=task.output, fingerprint=task.fingerprint, inputs=inputs, threads=threads)
        _status(task, options)
        plan.blanks[name] = task

    calibration_path, calibration_id = None, None
    if absolute.calibration is not None:
        if not absolute.calibration.is_file():
            raise InputError(config.path, "absolute.calibration", "an existing calibration file",
                             got=str(absolute.calibration))
        calibration_path = str(absolute.calibration)
        calibration_id = file_stamp(absolute.calibration, base_dir=base)
    elif absolute.standard_file is not None:
        files = config.resolve(absolute.standard_file)
        task = PlannedTask("standard", "standard", output=str(out / "calibration" / "standard.h5"))
        toml = str(out / "calibration" / "absolute.toml")
        empty_task = plan.blanks.get(absolute.standard_empty) if absolute.standard_empty else None
        unreadable = _not_a_file(files, "absolute.standard_file")
        if not files:
            task.status, task.reason = "failed", f"no raw file matches absolute.standard_file {absolute.standard_file}"
        elif unreadable:
            task.status, task.reason = "failed", unreadable
        elif empty_task is not None and empty_task.status == "failed":
            task.status, task.reason = "failed", f"blank '{empty_task.name}' failed: {empty_task.reason}"
        else:
            settings = {"kind": "standard", "standard": absolute.standard, "thickness_mm": absolute.standard_thickness_mm,
                        "empty": empty_task.fingerprint if empty_task else None, **common}
            inputs = inputs_text(_with_data_files(files), settings, base_dir=base)
            task.fingerprint = fingerprint_of(inputs)
            task.needs = (empty_task.key,) if empty_task else ()
            task.job = StandardJob(files=tuple(str(f) for f in files), standard=absolute.standard,
                                   thickness_mm=absolute.standard_thickness_mm,
                                   empty_output=empty_task.output if empty_task else None, reduction=reduction,
                                   output_toml=toml, output_h5=task.output, fingerprint=task.fingerprint,
                                   inputs=inputs, threads=threads)
        _status(task, options, extra_outputs=(toml,))
        plan.standard = task
        calibration_path, calibration_id = toml, task.fingerprint

    fit = config.fit
    fit_options = FitOptions(q_range_nm=fit.q_range_nm, radius_range_nm=fit.radius_range_nm,
                             contributions=fit.contributions, repetitions=fit.repetitions, bins=fit.bins,
                             contrast_1e6_per_A2=fit.contrast_sld, max_steps=fit.max_steps,
                             poor_fit_chi2_reduced=fit.poor_fit_chi2_reduced,
                             poor_fit_durbin_watson=fit.poor_fit_durbin_watson)
    for sample in selected:
        task = PlannedTask("sample", sample.name, output=str(out / "samples" / f"{sample.name}.h5"))
        files = config.resolve(sample.files)
        blank_tasks = [plan.blanks[b] for b in sample.blanks]
        broken = [t for t in blank_tasks if t.status == "failed"]
        unreadable = _not_a_file(files, f"samples.{sample.name}.files")  # a symbolic link loop: this sample only
        if not files:
            task.status, task.reason = "failed", f"no raw file matches samples.{sample.name}.files {list(sample.files)}"
        elif unreadable:
            task.status, task.reason = "failed", unreadable
        elif broken:
            task.status, task.reason = "failed", f"blank '{broken[0].name}' failed: {broken[0].reason}"
        elif plan.standard is not None and plan.standard.status == "failed":
            task.status, task.reason = "failed", f"absolute standard failed: {plan.standard.reason}"
        else:
            seed = derive_seed(fit.seed, sample.name)
            settings = {"kind": "sample", "name": sample.name, "thickness_mm": sample.thickness_mm,
                        "volume_fraction": sample.volume_fraction,
                        "metadata": dict(sample.metadata), "blanks": {t.name: t.fingerprint for t in blank_tasks},
                        "solvent": sample.solvent, "empty": sample.empty, "calibration": calibration_id,
                        "fit": fit_options if sample.fit else None, "analysis": sample.analysis,
                        "seed": seed, **common}
            inputs = inputs_text(_with_data_files(files), settings, base_dir=base)
            task.fingerprint = fingerprint_of(inputs)
            task.needs = tuple(t.key for t in blank_tasks) + (("standard",) if plan.standard else ())
            figures_dir = out / "figures"
            task.job = SampleJob(
                name=sample.name, files=tuple(str(f) for f in files),
                solvent_output=plan.blanks[sample.solvent].output if sample.solvent else None,
                empty_output=plan.blanks[sample.empty].output if sample.empty else None,
                calibration=calibration_path, thickness_mm=sample.thickness_mm, metadata=dict(sample.metadata),
                volume_fraction=sample.volume_fraction,
                reduction=reduction, fit=fit_options, seed=seed, output=task.output,
                figures_dir=str(figures_dir), fingerprint=task.fingerprint, inputs=inputs, threads=threads,
                sphere_fit=sample.fit, analysis=sample.analysis)
            _status(task, options, extra_outputs=_sample_figures(task.job))
        plan.samples[sample.name] = task

    chosen = {s.name for s in selected}
    for series in config.series:
        members = tuple(n for n in series.samples if n in chosen)
        if members:
            plan.series.append((series, members))
    return plan


def _sample_figures(job: SampleJob) -> list[Path]:
    """The figures a sample task draws (a sample without a sphere fit has only its curve)."""
    kinds = ("fit", "distribution") if job.sphere_fit else ("curve",)
    return [Path(job.figures_dir) / f"{job.name}_{k}.png" for k in kinds]


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
