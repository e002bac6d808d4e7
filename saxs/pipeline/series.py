"""The per-series task: read the members' sample files, analyse, write the series summary and figures.

Analyses (from the beamtime's ``[[series]] analysis``):

- ``"steps"``: quantized radius steps (:func:`mcfit.steps.analyse_series`): families, steps,
  shoulders, onset of continuous growth;
- ``"peaks"``: Bragg peaks of every member (:func:`saxs.bragg.find_peaks`), indexed
  (:func:`saxs.bragg.index_peaks`) and tracked across the series (:func:`saxs.bragg.track_peaks`).

The series task always runs from the sample files (never from memory), so a resumed batch and an
uninterrupted one give the same series results. A member without a sphere fit (its analysis is
"peaks") or whose fit withholds its populations (a poor fit spheres cannot describe, or a dominant
population at the edge of the radius range; :mod:`mcfit.quality`) contributes no populations and no
histogram; ``members/populations_withheld`` and the summary say why. The steps analysis runs on the
members that have a fit.

Series file layout (``series/<name>.h5``)::

    /              @saxs_series (name), @by, @analysis, @summary_json (the JSON summary), @default = "entry"
    entry/         NXentry: every group below (NXroot holds only NXentry groups; files written before
                   2026-11-30 have them at the root, member_curves/ as curves/), its NeXus views
                   (size_distributions, curves, findings: saxs.pipeline.series_nexus) and
    members/       sample (n,) str, value (n,), status (n,) str ("ok" / "failed"), reason (n,) str,
                   populations_withheld (n,) str ("" when the member's populations are reported)
    populations/   member (m,) int, value, mean_nm, mean_nm_std, width_nm, volume_fraction,
                   volume_fraction_std (m,): every population of every member
    histograms/<k> edges_nm, volume, volume_std, volume_observability; @label, @value  (@units on the group;
                   members whose populations are reported only)
    member_curves/<k>  q_nm, intensity, sigma; @label, @value, @units  (the fitted curves, for the waterfall)
    steps_analysis/  the SeriesResult of mcfit.steps (its to_hdf5 layout)       [steps]
    peaks/         member (p,) int, value, q_nm, q_nm_std, fwhm_nm, area, area_std, significance  [peaks]
    tracks/<i>     values, area, area_std, present; @q_nm, @fwhm_nm, @vanishes_at (NaN: never)  [peaks]
    phases         (n,) str: JSON of each member's indexed phase (or "null")                   [peaks]
    broad_maxima/  member (b,) int, value, q_nm, prominence_ln, significance: broad correlation
                   maxima of the members' smooth backgrounds (never Bragg peaks)           [peaks]

Every numeric dataset with a unit in its name, and every series value, fraction and intensity,
carries ``@units`` (:func:`saxs.units.add_series_units`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .results import SERIES_ATTR, draw_series_figures, fit_group, has_fit


@dataclass(frozen=True)
class SeriesJob:
    """One series: its members (in series order) and where their sample files are.

    Attributes
    ----------
    name, by, analysis : str
    samples : tuple of str
        Member names in series order.
    values : tuple
        Series variable of each member.
    sample_outputs : tuple of str
        Sample result files (same order).
    failed : tuple of str
        Reason per member ("" when its sample succeeded).
    output : str
        ``series/<name>.h5``.
    figures_dir : str
    """

    name: str
    by: str
    analysis: str
    samples: tuple[str, ...]
    values: tuple
    sample_outputs: tuple[str, ...]
    failed: tuple[str, ...]
    output: str
    figures_dir: str


def _strings(values):
    import h5py

    return np.array([str(v) for v in values], dtype=h5py.string_dtype())


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return _clean(obj.item())
    return obj


def _member(job: SeriesJob, k: int):
    """(SeriesMember, fitted curve Profile1D, subtracted Profile1D, FitResult or None) of member k.

    A member without a fit gives a SeriesMember with its value only and the fitted curve None.
    """
    import h5py

    import mcfit
    from mcfit.steps import SeriesMember, member_from_fit

    from ..nxcansas import read_nxcansas
    from ..profile import Profile1D

    path = job.sample_outputs[k]
    curve = read_nxcansas(path)
    value = job.values[k]
    if not has_fit(path):
        with h5py.File(path, "r") as f:
            why = str(f.attrs.get("fit_skipped", "no sphere fit"))
        return (SeriesMember(value=float(value) if not isinstance(value, str) else float(k), label=job.samples[k]),
                None, curve, None, why)
    fit = mcfit.read_result(path, group=fit_group(path))
    # the fit ran with the contrast only on absolute data, so its settings carry the right contrast
    member = member_from_fit(fit, float(value) if not isinstance(value, str) else float(k), label=job.samples[k])
    fitted = Profile1D(fit.q_nm, fit.intensity, fit.sigma, intensity_unit=curve.intensity_unit)
    return member, fitted, curve, fit, fit.populations_withheld


def process_series(job: SeriesJob) -> dict[str, Any]:
    """Analyse one series from its members' sample files; write the summary file and figures.

    Returns
    -------
    dict
        JSON summary: ``name``, ``by``, ``analysis``, ``members`` (sample, value, status), ``output``,
        ``figures`` and the analysis' own summary (``families``, ``steps``, ``shoulders``,
        ``continuous_growth_onset`` for steps; ``tracks``, ``phases``, ``broad_maxima`` for peaks).
    """
    import h5py

    from ..atomic import atomic_h5

    ok = [k for k in range(len(job.samples)) if not job.failed[k]]
    if not ok:
        raise InputError(None, f"series {job.name}", "at least one member sample processed successfully",
                         got="all failed")
    loaded = {k: _member(job, k) for k in ok}
    summary: dict[str, Any] = {
        "name": job.name, "by": job.by, "analysis": job.analysis,
        "samples": [{"sample": s, "value": v, "status": "failed" if job.failed[k] else "ok",
                     "reason": job.failed[k] or None,
                     "populations_withheld": loaded[k][4] if k in loaded else None}
                    for k, (s, v) in enumerate(zip(job.samples, job.values))],
    }
    result = None
    searches = tracks = phases = None
    if job.analysis == "steps":
        from mcfit.steps import analyse_series

        fitted = [k for k in ok if loaded[k][3] is not None]
        if not fitted:
            raise InputError(None, f"series {job.name}", "at least one member with a sphere fit for the steps "
                             "analysis", got="none fitted")
        result = analyse_series([loaded[k][0] for k in fitted], series_key=job.by)
        summary.update(result.to_dict())
    else:
        from ..bragg import find_peaks, index_peaks, track_peaks

        searches = {k: find_peaks(loaded[k][2], source=job.samples[k]) for k in ok}
        phases = {k: index_peaks(searches[k].peaks) if searches[k].peaks else None for k in ok}
        tracks = track_peaks([loaded[k][2] for k in ok], [searches[k] for k in ok],
                             [loaded[k][0].value for k in ok])
        summary["tracks"] = [t.as_dict() for t in tracks]
        summary["phases"] = [{"sample": job.samples[k], "value": job.values[k],
                              "phase": None if phases[k] is None else phases[k].as_dict()} for k in ok]
        summary["broad_maxima"] = [{"sample": job.samples[k], "value": job.values[k],
                                    "maxima": [b.as_dict() for b in searches[k].broad_maxima]} for k in ok]
    summary = _clean(summary)

    with atomic_h5(job.output) as f:
        f.attrs["NX_class"] = "NXroot"
        f.attrs[SERIES_ATTR] = job.name
        f.attrs["by"] = job.by
        f.attrs["analysis"] = job.analysis
        f.attrs["summary_json"] = json.dumps(summary)
        # every group inside the NXentry (NXroot holds only NXentry groups); the entry's views: series_nexus.py
        e = f.create_group("entry")
        e.attrs["NX_class"] = "NXentry"
        m = e.create_group("members")
        m.attrs["NX_class"] = "NXcollection"
        m["sample"] = _strings(job.samples)
        m["value"] = np.array([float(v) if not isinstance(v, str) else float(k)
                               for k, v in enumerate(job.values)])
        m["status"] = _strings("failed" if r else "ok" for r in job.failed)
        m["reason"] = _strings(job.failed)
        m["populations_withheld"] = _strings(loaded[k][4] or "" if k in loaded else ""
                                             for k in range(len(job.samples)))
        sized = [k for k in ok if loaded[k][3] is not None and not loaded[k][4]]
        pops = [(k, p) for k in sized for p in loaded[k][3].reported_populations]
        p = e.create_group("populations")
        p.attrs["NX_class"] = "NXcollection"
        p["member"] = np.array([k for k, _ in pops], dtype=np.int64)
        p["value"] = np.array([loaded[k][0].value for k, _ in pops], dtype=float)
        for name in ("mean_nm", "mean_nm_std", "width_nm", "volume_fraction", "volume_fraction_std"):
            p[name] = np.array([getattr(x, name) for _, x in pops], dtype=float)
        hg = e.create_group("histograms")
        hg.attrs["NX_class"] = "NXcollection"
        cg = e.create_group("member_curves")  # entry/curves is the NXdata view of them
        cg.attrs["NX_class"] = "NXcollection"
        for i, k in enumerate(sized):
            member, fit = loaded[k][0], loaded[k][3]
            hg.attrs["units"] = fit.volume_fraction_unit
            hg.attrs["scale"] = fit.histogram.scale
            g = hg.create_group(str(i))
            g.attrs["NX_class"] = "NXcollection"
            h = fit.histogram
            g["edges_nm"], g["volume"], g["volume_std"] = h.edges_nm, h.volume, h.volume_std
            g["volume_observability"] = h.volume_observability
            g.attrs["label"], g.attrs["value"] = job.samples[k], member.value
        for i, k in enumerate(ok):
            member, curve = loaded[k][0], loaded[k][2]
            g = cg.create_group(str(i))
            g.attrs["NX_class"] = "NXcollection"
            g["q_nm"], g["intensity"], g["sigma"] = curve.q_nm, curve.intensity, curve.sigma
            g.attrs["label"], g.attrs["value"], g.attrs["units"] = job.samples[k], member.value, curve.intensity_unit
        if result is not None:
            result.to_hdf5(e.create_group("steps_analysis"))
        if tracks is not None:
            pk = e.create_group("peaks")
            pk.attrs["NX_class"] = "NXcollection"
            rows = [(k, peak) for k in ok for peak in searches[k].peaks]
            pk["member"] = np.array([k for k, _ in rows], dtype=np.int64)
            pk["value"] = np.array([loaded[k][0].value for k, _ in rows], dtype=float)
            for name in ("q_nm", "q_nm_std", "fwhm_nm", "area", "area_std", "significance"):
                pk[name] = np.array([getattr(x, name) for _, x in rows], dtype=float)
            tg = e.create_group("tracks")
            tg.attrs["NX_class"] = "NXcollection"
            tg.attrs["intensity_unit"] = loaded[ok[0]][2].intensity_unit
            for i, t in enumerate(tracks):
                g = tg.create_group(str(i))
                g.attrs["NX_class"] = "NXcollection"
                g["values"] = np.array(t.values, dtype=float)
                g["area"] = np.array(t.area, dtype=float)
                g["area_std"] = np.array(t.area_std, dtype=float)
                g["present"] = np.array(t.present, dtype=bool)
                g.attrs["q_nm"], g.attrs["fwhm_nm"] = t.q_nm, t.fwhm_nm
                g.attrs["vanishes_at"] = np.nan if t.vanishes_at is None else float(t.vanishes_at)
            bg = e.create_group("broad_maxima")
            bg.attrs["NX_class"] = "NXcollection"
            rows = [(k, b) for k in ok for b in searches[k].broad_maxima]
            bg["member"] = np.array([k for k, _ in rows], dtype=np.int64)
            bg["value"] = np.array([loaded[k][0].value for k, _ in rows], dtype=float)
            for name in ("q_nm", "prominence_ln", "significance"):
                bg[name] = np.array([getattr(b, name) for _, b in rows], dtype=float)
            e["phases"] = _strings(json.dumps(_clean(None if phases.get(k) is None else phases[k].as_dict()))
                                   if k in phases else "null" for k in range(len(job.samples)))
        from ..units import add_series_units
        from .series_nexus import write_series_entry

        add_series_units(e, job.by, loaded[ok[0]][2].intensity_unit if ok else "arbitrary")

        write_series_entry(
            f, by=job.by, values=m["value"][()], labels=list(job.samples),
            histograms=[(k, loaded[k][3].histogram.edges_nm, loaded[k][3].histogram.volume,
                         loaded[k][3].histogram.volume_std) for k in sized],
            curves=[(k, loaded[k][2].q_nm, loaded[k][2].intensity, loaded[k][2].sigma) for k in ok],
            volume_unit=loaded[sized[0]][3].volume_fraction_unit if sized else "absolute",
            intensity_unit=loaded[ok[0]][2].intensity_unit, summary=summary)
    figures = draw_series_figures(job.output, job.figures_dir)
    summary["output"] = job.output
    summary["figures"] = [str(p) for p in figures]
    return summary
