"""The per-measurement tasks of a batch: blanks, the absolute standard, samples.

Each task is a module-level function taking one frozen job (paths and settings, picklable) and
returning a small report dict (JSON-ready); everything it computes goes to files, written
atomically, the fingerprint of its inputs stored in the file so ``--resume`` can trust it. The
stages are called in data-flow order; no physics lives here:

- :func:`process_blank`: reduce (``saxs.reduce``), screen and average (``saxs.screen``) ->
  ``blanks/<name>.h5`` (NXcanSAS, entry ``average``);
- :func:`process_standard`: the same for the standard, then ``saxs.absolute.calibrate_absolute``
  -> ``calibration/absolute.toml`` (+ ``calibration/standard.h5``, the fingerprint carrier);
- :func:`process_sample`: reduce, screen and average, subtract the blanks and divide by the
  thickness (``saxs.subtract``), absolute scale, Monte Carlo fit (``mcfit.fit``; only for samples
  whose analysis is "sizes" or that force ``fit = true``), Bragg peaks (``saxs.bragg``) ->
  ``samples/<name>.h5`` and its figures.

Sample file layout (``samples/<name>.h5``, NXcanSAS)::

    /                    @default = "fit" (fitted samples: a viewer opens I(q) with the fit, log-log,
                         fit@default -> mcfit@default -> data), else the curve's entry: "subtracted"
                         (see below for samples without blanks); saxs.nxcansas.curve_entry finds it,
                         @saxs_batch_fingerprint, @saxs_batch_inputs (JSON: input stamps, settings),
                         @sample, @seed
    fit                  SASentry: the fitted model curve (saxs.fit_entry); absent when the sample
                         was not fitted (root @fit_skipped says why)
      mcfit              NXprocess: the mcfit result of the measured curve (layout in
                         mcfit.results; with its quality: both reduced chi2, poor fit, populations
                         withheld and why)
    subtracted           SASentry: blank-subtracted curve per cm of sample (1/cm when calibrated)
      peaks              NXcollection: q_nm, q_nm_std, fwhm_nm, fwhm_nm_std, area, area_std,
                         amplitude, amplitude_std, significance (n_peaks,); broad_maxima_q_nm;
                         @phase (JSON: null or the indexed phase)
      screen             NXcollection: the screening summary (frames used / dropped and why)
      metadata           NXcollection: the sample's series metadata from the beamtime file
    reduced              SASentry: screened frame average of the sample (arbitrary units)

(``peaks``, ``screen``, ``metadata`` live in the curve's entry, the fit in a SASentry of its own:
SasView's reader refuses files with non-SASentry groups at the root, and makes every dataset outside
the NXcanSAS classes metadata of the SASentry it read last. A sample without blanks has an ``absolute`` entry instead of
``subtracted`` when it is calibrated, and only ``reduced`` (the default then) when it is not.)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError, ProcessingError
from .fingerprint import FINGERPRINT_ATTR, INPUTS_ATTR

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- jobs
@dataclass(frozen=True)
class ReductionSettings:
    """What every reduction of the batch shares (absolute paths)."""

    poni: str | None = None
    mask: str | None = None
    dark: str | None = None
    flat: str | None = None
    npt: int | None = None
    empty_beam: str | None = None
    dark_statistic: str = "median"
    no_monitor: bool = False


@dataclass(frozen=True)
class BlankJob:
    """Reduce one blank (all its files, screened and averaged) into ``output``."""

    name: str
    files: tuple[str, ...]
    reduction: ReductionSettings
    output: str
    fingerprint: str
    inputs: str = ""
    threads: int = 1


@dataclass(frozen=True)
class StandardJob:
    """Reduce the absolute standard and compute the calibration factor."""

    files: tuple[str, ...]
    standard: str
    thickness_mm: float
    empty_output: str | None
    reduction: ReductionSettings
    output_toml: str
    output_h5: str
    fingerprint: str
    inputs: str = ""
    threads: int = 1


@dataclass(frozen=True)
class FitOptions:
    """Options passed to :func:`mcfit.fit` (from the beamtime's ``[fit]``)."""

    q_range_nm: tuple[float, float] | None  # None: the whole curve
    radius_range_nm: tuple[float, float] | None  # None: pi/q_max .. pi/q_min
    contributions: int
    repetitions: int
    bins: int
    contrast_1e6_per_A2: float
    max_steps: int = 200_000
    poor_fit_chi2_reduced: float = 3.0
    poor_fit_durbin_watson: float = 1.0


@dataclass(frozen=True)
class SampleJob:
    """Everything one sample task needs: raw files, blank outputs, calibration, fit settings.

    Attributes
    ----------
    name : str
    files : tuple of str
        Raw files (absolute).
    solvent_output, empty_output : str or None
        Outputs of the blank tasks (``blanks/<name>.h5``).
    calibration : str or None
        Calibration TOML (stored or computed by the standard task).
    thickness_mm : float or None
    metadata : mapping
        Series metadata, copied into the output.
    volume_fraction : float or None
        Known particle volume fraction: solvent displacement factor ``1 - volume_fraction``.
    reduction : ReductionSettings
    fit : FitOptions
    seed : int
        Derived from the beamtime's fit seed and the sample name.
    output : str
        ``samples/<name>.h5``.
    figures_dir : str
    fingerprint : str
        SHA-256 of ``inputs``.
    inputs : str
        Canonical JSON of the input files' stamps and the settings (stored in the output).
    threads : int
        Threads the fit may use (numba), so that parallel workers do not oversubscribe the cores.
    sphere_fit : bool
        Fit spheres (False: no fit, no size distribution; ``analysis`` says why).
    analysis : str
        The sample's analysis, ``"sizes"`` or ``"peaks"`` (:class:`saxs.config.SampleConfig`).
    """

    name: str
    files: tuple[str, ...]
    solvent_output: str | None
    empty_output: str | None
    calibration: str | None
    thickness_mm: float | None
    metadata: Mapping[str, Any]
    reduction: ReductionSettings
    fit: FitOptions
    seed: int
    output: str
    figures_dir: str
    fingerprint: str
    inputs: str = ""
    threads: int = 1
    volume_fraction: float | None = None
    peaks: bool = True
    sphere_fit: bool = True
    analysis: str = "sizes"

    def __post_init__(self):
        object.__setattr__(self, "metadata", dict(self.metadata))


# --------------------------------------------------------------------------- helpers
class _Timer:
    """Wall time per phase, s (``reduce``, ``screen``, ``subtract``, ``fit``, ``peaks``, ``write``...)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - start


def warm_up() -> None:
    """Import the heavy libraries of the tasks (run once per worker before its first task)."""
    # pyFAI (through silx) warns on import that OpenCL is missing; the batch never uses OpenCL
    logging.getLogger("silx.opencl.common").setLevel(logging.ERROR)
    import h5py  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401  (figures use it directly, not pyplot)
    import matplotlib.figure  # noqa: F401
    import pyFAI  # noqa: F401

    import mcfit.driver  # noqa: F401  (numba and the cached fit kernels; `import mcfit` alone is lazy)

    from .. import absolute, reduce, screen, subtract  # noqa: F401
    from ..bragg import find_peaks  # noqa: F401


def _limit_threads(threads: int) -> None:
    """Cap numba's threads in this worker (parallel workers share the cores)."""
    try:
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    except (ImportError, ValueError):  # pragma: no cover - numba is a dependency
        pass


def _reduction_options(settings: ReductionSettings):
    from ..reduce import ReductionOptions

    kwargs = {k: getattr(settings, k) for k in ("poni", "mask", "dark", "flat") if getattr(settings, k)}
    if settings.npt is not None:
        kwargs["npt"] = settings.npt
    return ReductionOptions(dark_statistic=settings.dark_statistic, no_monitor=settings.no_monitor, **kwargs)


def reduce_measurement(files, settings: ReductionSettings, timer: _Timer | None = None):
    """Reduce every raw file of one measurement, screen all frames together, average the kept ones.

    Parameters
    ----------
    files : sequence of path
        Raw files (BLISS master files: every scan; LIMA HDF5 with scalers files; EDF), or reduced
        1-D files (ID02's ``*_ave.h5`` from dahu or ewoksid02, another program's NXdata: read by
        :mod:`saxs.id02.processed`), in order. All frames must share one q grid to be screened together.
    settings : ReductionSettings
    timer : _Timer, optional
        Collects ``reduce`` (read + integrate) and ``screen`` times.

    Returns
    -------
    (Profile1D, ScreenResult, list of ReducedData)
        The screened average (arbitrary units), the screening and the reductions of the raw files.
    """
    from ..id02 import list_scans
    from ..id02.processed import is_processed_file, read_processed
    from ..reduce import reduce_file
    from ..screen import screen_frames

    timer = timer or _Timer()
    if not files:
        raise InputError(None, "files", "at least one raw file")
    options = None
    reduced, frames = [], []
    with timer("reduce"):
        for path in files:
            if is_processed_file(path):  # already reduced (ID02 *_ave.h5, or a 1-D NXdata): frames as they are
                frames.extend(read_processed(path).frames())
                continue
            options = options or _reduction_options(settings)
            for scan in list_scans(path) or [None]:     # every scan of a BLISS master file
                r = reduce_file(path, options, scan=scan)
                reduced.append(r)
                frames.extend(r.frames)
    ratios = []
    for p in frames:
        i0, i1 = p.provenance.get("i0"), p.provenance.get("i1")
        ratios.append(i1 / i0 if (i0 and i1) else None)
    transmissions = None if any(r is None for r in ratios) else [float(v) for v in ratios]
    with timer("screen"):
        screen = screen_frames(frames, transmissions=transmissions)
    if screen.n_used == 0:
        raise ProcessingError(f"{files[0]}: every frame was dropped by the screening")
    average = screen.average
    if settings.empty_beam and transmissions is not None:
        t = _transmission([frames[k] for k in screen.used], settings.empty_beam, files[0])
        if t is not None:
            average = average.replace(sample=dataclasses.replace(average.sample, transmission=t.value,
                                                                 transmission_sigma=t.sigma),
                                      provenance={"transmission": t.as_dict()})
    return average, screen, reduced


def _transmission(frames, empty_beam: str, file):
    """Transmission of the kept frames from their monitors and the empty beam's, or None (logged)."""
    from ..id02 import open_raw
    from ..transmission import transmission_from_monitors

    try:
        with open_raw(empty_beam) as raw:
            m = raw.monitors()
        if not m.has_monitors:
            log.warning("%s: no monitor values: no transmissions", empty_beam)
            return None
        return transmission_from_monitors([p.provenance["i0"] for p in frames], [p.provenance["i1"] for p in frames],
                                          m.i0, m.i1, file=file)
    except InputError as exc:  # an informative value: a bad empty beam must not stop the sample
        log.warning("transmission of %s not computed: %s", file, exc)
        return None


def _write_summary_group(f, name: str, mapping: Mapping[str, Any]) -> None:
    from ..units import add_units

    from ..nxcansas import write_value

    group = f.require_group(name)
    group.attrs["NX_class"] = "NXcollection"
    for key, value in mapping.items():
        write_value(group, key, value)
    add_units(group)


def _stamp(f, job) -> None:
    """Root attributes of a task output: the fingerprint and what it was made from."""
    f.attrs[FINGERPRINT_ATTR] = job.fingerprint
    f.attrs[INPUTS_ATTR] = job.inputs


# --------------------------------------------------------------------------- blank and standard
def process_blank(job: BlankJob) -> dict[str, Any]:
    """Reduce a blank into ``job.output`` (NXcanSAS, entry ``average``); return a small report."""
    from ..nxcansas import write_nxcansas

    _limit_threads(job.threads)
    timer = _Timer()
    average, screen, _ = reduce_measurement([Path(f) for f in job.files], job.reduction, timer)

    def extra(f):
        _stamp(f, job)
        _write_summary_group(f, "screen", screen.summary())

    with timer("write"):
        write_nxcansas(job.output, [("average", average.replace(sample=dataclasses.replace(average.sample,
                                                                                              name=job.name)))],
                       default="average", extra=extra)
    return {"name": job.name, "output": job.output, "frames": screen.n_frames, "frames_used": screen.n_used,
            "timings_s": timer.seconds}


def process_standard(job: StandardJob) -> dict[str, Any]:
    """Reduce the standard and write the calibration TOML (and the standard's curve with the fingerprint)."""
    from ..absolute import calibrate_absolute, save_calibration
    from ..nxcansas import read_nxcansas, write_nxcansas

    _limit_threads(job.threads)
    timer = _Timer()
    average, screen, _ = reduce_measurement([Path(f) for f in job.files], job.reduction, timer)
    empty = read_nxcansas(job.empty_output, entry="average") if job.empty_output else None
    with timer("calibrate"):
        cal = calibrate_absolute(average, standard=job.standard, thickness_mm=job.thickness_mm, empty=empty)
    with timer("write"):
        save_calibration(cal, job.output_toml)

        def extra(f):
            _stamp(f, job)
            _write_summary_group(f, "screen", screen.summary())

        write_nxcansas(job.output_h5, [("average", average)], default="average", extra=extra)
    return {"output": job.output_toml, "factor": cal.factor, "factor_std": cal.factor_std,
            "chi2_red": cal.chi2_red, "timings_s": timer.seconds}


# --------------------------------------------------------------------------- sample
def _subtract(job: SampleJob, average, timer: _Timer):
    """Blank-subtracted curve per cm of sample (absolute when a calibration is given)."""
    from ..absolute import apply_calibration, load_calibration
    from ..nxcansas import read_nxcansas
    from ..subtract import subtract_blank

    cal = load_calibration(job.calibration) if job.calibration else None
    with timer("subtract"):
        solvent = read_nxcansas(job.solvent_output, entry="average") if job.solvent_output else None
        empty = read_nxcansas(job.empty_output, entry="average") if job.empty_output else None
        if solvent is None and empty is not None:
            solvent, empty = empty, None
        if solvent is not None:
            return subtract_blank(average, solvent, thickness_mm=job.thickness_mm, empty=empty, calibration=cal,
                                  displacement=job.volume_fraction)
        if cal is not None:
            if job.thickness_mm is None:
                raise InputError(None, f"samples.{job.name}.thickness_mm", "the thickness (needed for the "
                                 "absolute scale)")
            per_cm = average.replace(intensity=average.intensity / (job.thickness_mm / 10.0),
                                     sigma=average.sigma / (job.thickness_mm / 10.0),
                                     sample=dataclasses.replace(average.sample, thickness_mm=job.thickness_mm),
                                     provenance={"thickness_normalised": True})
            return apply_calibration(per_cm, cal)
        return None


def _peaks_group(f, search, phase) -> None:
    import numpy as np

    from ..units import add_units

    g = f.create_group("peaks")
    g.attrs["NX_class"] = "NXcollection"
    names = ("q_nm", "q_nm_std", "fwhm_nm", "fwhm_nm_std", "area", "area_std", "amplitude", "amplitude_std",
             "significance")
    for name in names:
        g.create_dataset(name, data=np.array([getattr(p, name) for p in search.peaks], dtype=float))
    g.create_dataset("broad_maxima_q_nm", data=np.array([b.q_nm for b in search.broad_maxima], dtype=float))
    add_units(g, {"significance": "1", "area": "arbitrary", "area_std": "arbitrary"})  # area: I x q
    g.attrs["phase"] = json.dumps(None if phase is None else phase.as_dict())


def process_sample(job: SampleJob) -> dict[str, Any]:
    """Run one sample from raw files to its NXcanSAS result file and figures.

    Parameters
    ----------
    job : SampleJob

    Returns
    -------
    dict
        ``name``, ``output``, ``figures``, ``frames``, ``frames_used``, ``seed``, ``intensity_unit``,
        ``analysis``, the fit's part (:func:`fit_report`: both reduced chi2, ``poor_fit``,
        ``populations`` and ``populations_withheld``), ``peaks_q_nm`` (q positions), ``phase``,
        ``broad_maxima_q_nm`` (broad correlation maxima, never Bragg peaks),
        ``warnings`` (of the fit and the screening), ``timings_s`` (per phase).

    Raises
    ------
    InputError, ProcessingError
        Anything wrong with this sample; the batch records it and goes on.
    """
    from ..nxcansas import write_nxcansas

    _limit_threads(job.threads)
    timer = _Timer()
    files = [Path(f) for f in job.files]
    average, screen, _ = reduce_measurement(files, job.reduction, timer)
    average = average.replace(sample=dataclasses.replace(average.sample, name=job.name,
                                                         thickness_mm=job.thickness_mm))
    subtracted = _subtract(job, average, timer)
    curve = subtracted if subtracted is not None else average
    absolute = curve.intensity_unit == "1/cm"
    result = _fit(job, curve, absolute, timer) if job.sphere_fit else None
    skipped = None if job.sphere_fit else skipped_reason(job.analysis)
    search = phase = None
    if job.peaks:
        from ..bragg import find_peaks, index_peaks

        with timer("peaks"):
            search = find_peaks(curve, source=job.name)
            phase = index_peaks(search.peaks) if search.peaks else None

    # the fitted curve is the default entry: "subtracted" (blanks subtracted), "absolute" (no blank,
    # only thickness and calibration) or, with neither, the reduced average itself
    name = "subtracted" if (job.solvent_output or job.empty_output) else "absolute"
    entries = [(name, subtracted)] if subtracted is not None else []
    entries.append(("reduced", average))

    from ..fit_entry import write_fit_entry

    def extra(f):
        _stamp(f, job)
        f.attrs["sample"] = job.name
        f.attrs["seed"] = int(job.seed)
        entry = f[entries[0][0]]
        if result is not None:  # a SASentry of its own (why: saxs/fit_entry.py)
            write_fit_entry(f, result, fitted_entry=entries[0][0], intensity_unit=curve.intensity_unit,
                            sample=curve.sample, opens_at="data")  # curve_entry() finds the curve
        else:
            f.attrs["fit_skipped"] = skipped
        if search is not None:
            _peaks_group(entry, search, phase)
        _write_summary_group(entry, "screen", screen.summary())
        _write_summary_group(entry, "metadata", job.metadata)

    with timer("write"):
        write_nxcansas(job.output, entries, default=entries[0][0], extra=extra)
    with timer("figures"):
        from .results import draw_sample_figures

        figures = draw_sample_figures(job.output, job.figures_dir)
    return {
        "name": job.name, "output": job.output, "figures": [str(p) for p in figures],
        "frames": screen.n_frames, "frames_used": screen.n_used, "frames_dropped": screen.summary()["frames_dropped"],
        "seed": int(job.seed), "intensity_unit": curve.intensity_unit, "analysis": job.analysis,
        "transmission": curve.sample.transmission, "transmission_std": curve.sample.transmission_sigma,
        **fit_report(result, skipped),
        "peaks_q_nm": [p.q_nm for p in search.peaks] if search is not None else [],
        "phase": None if phase is None else phase.as_dict(),
        "broad_maxima_q_nm": [b.q_nm for b in search.broad_maxima] if search is not None else [],
        "warnings": (list(result.warnings) if result is not None else []) + list(screen.warnings),
        "timings_s": timer.seconds, "pid": os.getpid(),
    }


def skipped_reason(analysis: str) -> str:
    """Why a sample gets no sphere fit (stored in its file and its summary)."""
    return (f"no sphere fit: the sample's analysis is '{analysis}' (set fit = true in its [[samples]] "
            "table to fit spheres)")


def fit_report(result, skipped: str | None = None) -> dict[str, Any]:
    """The fit's part of a sample's summary: both reduced chi2, the verdict, the reported populations.

    Keys: ``fit`` ("done" or "skipped"), ``chi2_reduced`` (mean over repetitions, against the sigma
    the fit used), ``chi2_reduced_fit_sigma``, ``chi2_reduced_data_sigma`` (of the mean fitted
    curve), ``chi2_labels`` (what each says), ``poor_fit``, ``poor_fit_reason``, ``populations``
    (empty when withheld or not fitted), ``populations_withheld`` (why, or None),
    ``chi2_reduced_bound`` (the lowest reduced chi2 any distribution of spheres reaches on these points,
    :mod:`mcfit.bound`; None in fits stored before it existed) and ``bound_message`` (the one line saying
    spheres cannot reach the criterion, or None).
    """
    if result is None:
        return {"fit": "skipped", "chi2_reduced": None, "chi2_reduced_fit_sigma": None, "chi2_reduced_data_sigma": None,
                "chi2_labels": None, "poor_fit": None, "poor_fit_reason": None, "populations": [],
                "populations_withheld": skipped, "chi2_reduced_bound": None, "bound_message": None}
    s, q = result.summary(), result.quality
    return {"fit": "done", "chi2_reduced": s["chi2_reduced"], "chi2_reduced_fit_sigma": s["chi2_reduced_fit_sigma"],
            "chi2_reduced_data_sigma": s["chi2_reduced_data_sigma"],
            "chi2_labels": None if q is None else {"chi2_reduced_fit_sigma": q.label_fit_sigma,
                                                   "chi2_reduced_data_sigma": q.label_data_sigma},
            "poor_fit": s["poor_fit"], "poor_fit_reason": None if q is None else q.poor_fit_reason,
            "populations": s["populations"], "populations_withheld": s["populations_withheld"],
            "chi2_reduced_bound": s.get("chi2_reduced_bound"), "bound_message": s.get("bound_message")}


def _fit(job: SampleJob, curve, absolute: bool, timer: _Timer):
    """The Monte Carlo sphere fit of the sample's curve (its warnings go into the result)."""
    import mcfit

    with timer("fit"), warnings.catch_warnings():
        # the fit's warnings are part of its result (and of the summary), not noise on stderr
        warnings.simplefilter("ignore", mcfit.FitWarning)
        try:
            return mcfit.fit(curve.q_nm, curve.intensity, curve.sigma, radius_range_nm=job.fit.radius_range_nm,
                             contributions=job.fit.contributions, repetitions=job.fit.repetitions, seed=job.seed,
                             q_range_nm=job.fit.q_range_nm, bins=job.fit.bins, max_steps=job.fit.max_steps,
                             contrast_1e6_per_A2=job.fit.contrast_1e6_per_A2 if absolute else None,
                             poor_fit_chi2_reduced=job.fit.poor_fit_chi2_reduced,
                             poor_fit_durbin_watson=job.fit.poor_fit_durbin_watson)
        except mcfit.FitInputError as exc:
            raise ProcessingError(f"sample {job.name}: the fit refused the curve: {exc}") from exc
