"""Plan a beamtime run: every task, its job, output and fingerprint, and whether it must run.

:func:`plan_batch` turns a :class:`~saxs.config.BeamtimeConfig` and the :class:`BatchOptions` into
a :class:`BatchPlan`: blanks, the absolute standard, samples (one :class:`PlannedTask` each) and
series, in phase order. Problems with the beamtime file or the options raise ``InputError`` (exit
status 2, nothing runs); a problem with one task's inputs (no file matches, a symbolic link loop,
a failed blank it needs) is recorded as that task's failure and the rest is planned. Runs nothing,
writes nothing: :mod:`saxs.pipeline.batch` runs the plan.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import BeamtimeConfig
from ..errors import InputError
from ..guards import missing_file_reason
from .fingerprint import derive_seed, file_stamp, fingerprint_of, inputs_text, stored_fingerprint
from .reports import load_report
from .sample import BlankJob, FitOptions, ReductionSettings, SampleJob, StandardJob

SUMMARY_NAME = "summary.json"


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
