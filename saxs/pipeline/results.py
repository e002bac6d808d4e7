"""Read batch result files back and draw their figures (used by the batch and by ``saxs plot``).

Figures are drawn from the files alone, so ``saxs plot RESULT.h5`` redraws exactly what the batch
drew. Kinds:

- a sample file (``samples/<name>.h5``): ``fit`` (I(q) with the fit and residuals, log-log, the
  q range outside the fit shaded; the title gives reduced chi2 against the data's own sigma, which
  the residual panel divides by, and against the floored sigma the fit ran with, and says POOR FIT
  or populations withheld), ``distribution`` (volume-weighted size histogram with error bars, the
  observability limit and the mean); a sample that was not fitted (its analysis is "peaks") has
  ``curve`` (I(q) alone) instead; and, when the sample has Bragg peaks or a broad maximum,
  ``peaks`` (I(q) with the peaks marked with their orders and the broad maximum);
- a series file (``series/<name>.h5``): ``stacked`` (the paper-style figure: relative volume
  fraction vs radius per member, offset, families, mixtures, continuous growth, shoulders),
  ``waterfall`` (I(q) of the members; peaks and broad maxima marked in a peaks series),
  ``steps`` (dominant radius +- width and volume fraction vs the series variable, steps, onset
  of continuous growth; steps analysis) and ``peaks`` (peak areas, d-spacing and phase, broad
  maximum vs the series variable; peaks analysis).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from .. import plotting
from ..nxcansas import curve_entry

SAMPLE_KINDS = ("fit", "distribution")
#: The figure of a sample without a sphere fit.
UNFITTED_KINDS = ("curve",)
SERIES_KINDS = ("stacked", "waterfall", "steps", "peaks")
KINDS = SAMPLE_KINDS + UNFITTED_KINDS + SERIES_KINDS  # "peaks" is also a sample kind, for samples with peaks

#: Root attribute of a series summary file.
SERIES_ATTR = "saxs_series"


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def fit_group(path) -> str:
    """Path of the fit result group (``@program = "mcfit"``), or ``""`` for a file without a fit.

    ``fit/mcfit`` (the fit's own SASentry, :mod:`saxs.fit_entry`) in a batch sample file and a
    ``saxs fit`` file; older files have it in the default entry: ``<entry>/fit`` (batch, and
    ``saxs fit`` files written before 2026-11-30: ``<entry>/mcfit``).
    """
    import h5py

    from ..fit_entry import FIT_ENTRY, FIT_PROCESS

    def is_fit(g) -> bool:
        return isinstance(g, h5py.Group) and _text(g.attrs.get("program", "")) == "mcfit"

    with h5py.File(path, "r") as f:
        if is_fit(f.get(f"{FIT_ENTRY}/{FIT_PROCESS}")):
            return f"{FIT_ENTRY}/{FIT_PROCESS}"
        entry = curve_entry(f) or ""
        if not entry or not isinstance(f.get(entry), h5py.Group):
            return ""
        for name in ("fit", "mcfit", *f[entry]):
            if is_fit(f[entry].get(name)):
                return f"{entry}/{name}"
    return ""


def has_fit(path) -> bool:
    """True when a sample file holds a fit result (a sample whose analysis is "peaks" has none)."""
    return bool(fit_group(path))


def file_kind(path) -> str:
    """``"sample"`` or ``"series"`` for a batch result file; InputError for anything else."""
    import h5py

    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            if SERIES_ATTR in f.attrs:
                return "series"
            if fit_group(path):
                return "sample"
            if curve_entry(f) and "fit_skipped" in f.attrs:  # a batch sample that was not fitted
                return "sample"
    except OSError as exc:
        raise InputError(path, "file", "a readable HDF5 result file of saxs batch or saxs fit",
                         got=str(exc).split(":")[0]) from exc
    raise InputError(path, "content", "a sample result (a fit group in its default entry) or a series summary of saxs batch")


def kinds_for(path) -> tuple[str, ...]:
    """Figure kinds available for a result file (``peaks`` for a sample with peaks or broad maxima)."""
    import h5py

    if file_kind(path) == "sample":
        peaks = ("peaks",) if _sample_peaks(path) is not None else ()
        return (SAMPLE_KINDS if has_fit(path) else UNFITTED_KINDS) + peaks
    with h5py.File(path, "r") as f:
        analysis = _text(f.attrs.get("analysis", "steps"))
        g = series_group(f)
        stacked = "histograms" not in g or len(g["histograms"]) > 0  # no member with reported sizes: none
    return (("stacked",) if stacked else ()) + ("waterfall", "steps" if analysis == "steps" else "peaks")


# --------------------------------------------------------------------------- sample figures
def _fit_arrays(path) -> dict:
    """The few arrays the figures need, read by the documented layout of :mod:`mcfit.results`.

    (Not through :func:`mcfit.read_result`, so that a figure can be redrawn from a file written by
    an older mcfit whose result group lacks a field added since.)
    """
    import h5py

    with h5py.File(path, "r") as f:
        g = f[fit_group(path)]
        h = g["histogram"]
        quality = dict(g["quality"].attrs) if "quality" in g else None  # absent in files of layout 1
        settings = json.loads(_text(g.attrs["settings"]))
        return {
            "q_nm": g["fit/q_nm"][()], "fit_intensity": g["fit/intensity"][()],
            "intensity": g["data/intensity"][()], "sigma_fit": g["data/sigma"][()],
            "sigma_data": g["data/sigma_data"][()] if "sigma_data" in g["data"] else None,
            "min_rel_sigma": float(settings.get("min_rel_sigma", 0.0)),
            "chi2_reduced": float(g.attrs["chi2_reduced"]), "unit": _text(g.attrs["volume_fraction_unit"]),
            "quality": None if quality is None else {k: _value(v) for k, v in quality.items()},
            "edges_nm": h["edges_nm"][()], "volume": h["volume"][()], "volume_std": h["volume_std"][()],
            "volume_observability": h["volume_observability"][()], "scale": _text(h.attrs.get("scale", "linear")),
            "mean": _range_mean(g),
        }


def _value(v):
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, np.generic):
        v = v.item()
    return None if v == "" else v


def fit_title(name: str, fit: dict) -> str:
    """Title of a fit figure: both reduced chi2 with what they divide by, and the verdict.

    Files written before the quality was stored give the old one-line title (their chi2 is the
    mean over repetitions against the floored sigma, and says so).
    """
    q = fit["quality"]
    if q is None:
        return f"{name}: reduced chi2 {fit['chi2_reduced']:.3g} (sigma floored at {100 * fit['min_rel_sigma']:g} %)"
    verdict = ""
    if q["populations_withheld"]:
        verdict = " - POOR FIT, no populations" if q["poor_fit"] else " - no populations (edge of radius range)"
    elif q["poor_fit"]:
        verdict = " - POOR FIT"
    return (f"{name}{verdict}\n{q['label_data_sigma']} {q['chi2_reduced_data_sigma']:.3g} (residuals below)\n"
            f"{q['label_fit_sigma']} {q['chi2_reduced_fit_sigma']:.3g} (as fitted)")


def _range_mean(g) -> tuple[float, float, tuple] | None:
    """(mean_nm, mean_nm_std, range_nm) of the volume-weighted distribution over the first range."""
    if "ranges/0/volume_weighted" not in g:
        return None
    r = g["ranges/0"]
    v = r["volume_weighted"].attrs
    return float(v["mean_nm"]), float(v["mean_nm_std"]), tuple(float(x) for x in r.attrs["range_nm"])


def _sample_peaks(path) -> dict | None:
    """The peaks group of a sample file (q, orders, phase, broad maxima); None without peaks or maxima."""
    import h5py

    with h5py.File(path, "r") as f:
        entry = curve_entry(f) or ""
        g = f.get(f"{entry}/peaks") if entry else None
        if g is None:
            return None
        peaks_q = np.asarray(g["q_nm"][()], dtype=float)
        broad = np.asarray(g["broad_maxima_q_nm"][()], dtype=float) if "broad_maxima_q_nm" in g else np.empty(0)
        phase = json.loads(_text(g.attrs.get("phase", "null")))
    if not peaks_q.size and not broad.size:
        return None
    return {"q_nm": peaks_q, "broad_q_nm": broad, "phase": phase}


def sample_figure(path, kind: str):
    """Figure of one kind (``fit``, ``distribution``, ``peaks``; ``curve`` without a fit) from a sample result file."""
    from ..figures.common import value_pm
    from ..figures.peaks import peak_orders, plot_peaks_on_curve
    from ..nxcansas import read_nxcansas

    path = Path(path)
    name = path.stem
    if kind == "peaks" and (peaks := _sample_peaks(path)) is not None:
        curve = read_nxcansas(path)  # the curve the peaks were searched on
        phase = peaks["phase"]
        title = f"{name}: no phase indexed"
        if phase:
            title = f"{name}: {phase['type']}, d = {value_pm(phase['d_nm'], phase['d_nm_std'], 'nm')}"
        return plotting.figure_single(plot_peaks_on_curve, curve.q_nm, curve.intensity, curve.sigma,
                                      peaks_q_nm=peaks["q_nm"], orders=peak_orders(peaks["q_nm"], phase),
                                      phase_type=phase["type"] if phase else None, broad_q_nm=peaks["broad_q_nm"],
                                      intensity_unit=curve.intensity_unit, title=title, figsize=(6.0, 4.8))
    if kind == "curve" or not has_fit(path):
        if kind != "curve":
            raise InputError(path, "--kind", f"one of {', '.join(kinds_for(path))} for this sample file (no sphere fit)", got=kind)
        import h5py

        curve = read_nxcansas(path)
        with h5py.File(path, "r") as f:
            why = _text(f.attrs.get("fit_skipped", "no sphere fit"))
        short = why.split(" (")[0].replace("the sample's analysis", "analysis")  # one line
        return plotting.figure_single(plotting.plot_curve_fit, curve.q_nm, curve.intensity, curve.sigma,
                                      intensity_unit=curve.intensity_unit, title=f"{name}: {short}",
                                      figsize=(6.0, 4.8))
    fit = _fit_arrays(path)
    if kind == "fit":
        # residuals at the fitted points, against the data's own sigma (files of layout 1: the
        # curve's own sigma, read from the fitted SASentry)
        if fit["sigma_data"] is not None:
            q, i, s_data = fit["q_nm"], fit["intensity"], fit["sigma_data"]
        else:
            curve = read_nxcansas(path)
            q, i, s_data = curve.q_nm, curve.intensity, curve.sigma
        curve = read_nxcansas(path)  # the @default entry: the curve that was fitted (whole q range)
        return plotting.figure_curve_fit(curve.q_nm, curve.intensity, curve.sigma, fit_q_nm=fit["q_nm"],
                                         fit_intensity=fit["fit_intensity"], intensity_unit=curve.intensity_unit,
                                         title=fit_title(name, fit), residuals=(q, i, s_data),
                                         residual_label="(I - fit) / own sigma")
    if kind == "distribution":
        mean = fit["mean"] or (None, None, ())
        span = f", {mean[2][0]:g}-{mean[2][1]:g} nm" if len(mean[2]) == 2 else ""
        return plotting.figure_single(
            plotting.plot_size_distribution, fit["edges_nm"], fit["volume"], fit["volume_std"],
            observability=fit["volume_observability"], weighting="volume", unit=fit["unit"],
            log_radius=fit["scale"] == "log", mean_nm=mean[0], mean_nm_std=mean[1],
            mean_label=f"volume-weighted mean{span}:",
            title=(f"{name}: size distribution (fit rejected: no populations)"
                   if (fit["quality"] or {}).get("populations_withheld") else f"{name}: volume-weighted size distribution"))
    raise InputError(path, "--kind", f"one of {', '.join(kinds_for(path))} for this sample file", got=kind)


def draw_sample_figures(path, figures_dir) -> list[Path]:
    """Write ``<name>_<kind>.png`` for every kind of a sample file (fit, distribution, peaks); return the paths."""
    out = []
    for kind in kinds_for(path):
        target = Path(figures_dir) / f"{Path(path).stem}_{kind}.png"
        plotting.save_figure(sample_figure(path, kind), target)
        out.append(target)
    return out


# --------------------------------------------------------------------------- series figures
def series_group(f):
    """The group of a series file that holds ``members/``, ``histograms/``, ... (``entry``; the root
    in files written before 2026-11-30)."""
    entry = f.get("entry")
    return entry if entry is not None and "members" in entry else f


def _member_curves(g):
    """The members' curves: ``member_curves/`` (``curves/`` in files written before 2026-11-30)."""
    return g["member_curves"] if "member_curves" in g else g["curves"]


def _members(f):
    m = f["members"]
    return ([_text(s) for s in m["sample"][()]], np.asarray(m["value"][()], dtype=float),
            [_text(s) for s in m["status"][()]])


def _dominant_fractions(f) -> dict:
    """Member label -> (volume fraction, std) of its dominant population, from ``populations/``."""
    names = _members(f)[0]
    p = f["populations"]
    out: dict = {}
    for m, vf, dvf in zip(p["member"][()], p["volume_fraction"][()], p["volume_fraction_std"][()]):
        label = names[int(m)]
        if label not in out or vf > out[label][0]:
            out[label] = (float(vf), float(dvf))
    return out


def _steps_data(f):
    from ..figures.steps import StepsFigureData

    return StepsFigureData.from_hdf5(f["steps_analysis"], series_key=_text(f.file.attrs.get("by", "value")),
                                     dominant_volume_fractions=_dominant_fractions(f),
                                     volume_unit=_text(f["histograms"].attrs.get("units", f["histograms"].attrs.get("unit", "absolute"))))


def _series_peaks(f) -> list[dict]:
    """Per member of a peaks series (in file order): value, phase, peak positions, broad maxima."""
    names, values, status = _members(f)
    phases = [json.loads(_text(p)) for p in f["phases"][()]] if "phases" in f else [None] * len(names)
    out = [{"sample": n, "value": float(v), "status": st, "phase": ph, "peaks_q_nm": [], "broad_q_nm": []}
           for n, v, st, ph in zip(names, values, status, phases)]
    if "peaks" in f:
        for m, q in zip(f["peaks/member"][()], f["peaks/q_nm"][()]):
            out[int(m)]["peaks_q_nm"].append(float(q))
    if "broad_maxima" in f:
        for m, q in zip(f["broad_maxima/member"][()], f["broad_maxima/q_nm"][()]):
            out[int(m)]["broad_q_nm"].append(float(q))
    return out


def series_figure(path, kind: str):
    """Figure of one kind from a series summary file."""
    import h5py

    from ..figures import peaks as peak_figures
    from ..figures import steps as step_figures

    path = Path(path)
    with h5py.File(path, "r") as root:
        by = _text(root.attrs.get("by", "value"))
        name = _text(root.attrs.get(SERIES_ATTR, path.stem))
        f = series_group(root)
        if kind == "stacked":
            if "steps_analysis" in f:
                return step_figures.figure_series_distributions(_steps_data(f), title=f"{name}: size distributions")
            hists = []
            for key in sorted(f["histograms"], key=int):
                g = f["histograms"][key]
                hists.append((f"{float(g.attrs['value']):g}", g["edges_nm"][()], g["volume"][()], g["volume_std"][()]))
            fig = plotting.figure_single(plotting.plot_stacked_distributions, hists,
                                         variable_label=f"{name}: size distributions",
                                         figsize=(6.0, min(2.6 + 0.6 * max(1, len(hists)), 14.0)))
            fig.axes[0].set_ylabel(f"{plotting.variable_label(by)}: relative volume fraction per bin (offset)")
            return fig
        if kind == "waterfall":
            curves, unit = [], "1/cm"
            for key in sorted(_member_curves(f), key=int):
                g = _member_curves(f)[key]
                unit = _text(g.attrs.get("units", g.attrs.get("unit", unit)))  # "unit" in files before 2026-11-30
                curves.append((f"{_text(g.attrs['label'])} ({float(g.attrs['value']):g})", g["q_nm"][()],
                               g["intensity"][()]))
            marks = None
            if "tracks" in f:  # a peaks series: mark the peaks and the broad maxima of each member
                by_label = {m["sample"]: m for m in _series_peaks(f)}
                marks = []
                for key in sorted(_member_curves(f), key=int):
                    m = by_label.get(_text(_member_curves(f)[key].attrs["label"]), {})
                    marks.append([("peaks", m.get("peaks_q_nm", [])), ("broad", m.get("broad_q_nm", []))])
            return plotting.figure_single(plotting.plot_waterfall, curves, intensity_unit=unit, marks=marks,
                                          title=f"{name}: I(q) by {plotting.variable_label(by)}", figsize=(6.0, 6.0))
        if kind == "steps" and "steps_analysis" in f:
            return step_figures.figure_steps_summary(_steps_data(f), title=f"{name}: dominant population")
        if kind == "peaks" and "tracks" in f:
            values, areas, stds, labels, present = None, [], [], [], []
            for key in sorted(f["tracks"], key=int):
                g = f["tracks"][key]
                values = g["values"][()]
                areas.append(g["area"][()])
                stds.append(g["area_std"][()])
                present.append(g["present"][()])
                labels.append(f"q = {float(g.attrs['q_nm']):.3g} 1/nm")
            unit = _text(f["tracks"].attrs.get("intensity_unit", "1/cm"))
            members = sorted((m for m in _series_peaks(f) if m["status"] == "ok"), key=lambda m: m["value"])
            if values is None:
                values = np.array([m["value"] for m in members])
            n = len(labels)
            phases = [m["phase"] for m in members]
            return peak_figures.figure_peak_series(
                values, intensities=np.array(areas).reshape(n, -1), sigmas=np.array(stds).reshape(n, -1),
                present=np.array(present).reshape(n, -1), peak_labels=labels,
                phase_types=[p["type"] if p else None for p in phases],
                d_nm=[p["d_nm"] if p else np.nan for p in phases],
                d_nm_std=[p["d_nm_std"] if p else np.nan for p in phases],
                broad_q_nm=[m["broad_q_nm"] for m in members], variable_label=plotting.variable_label(by),
                intensity_unit=unit, title=f"{name}: Bragg peaks")
    raise InputError(path, "--kind", f"one of {', '.join(kinds_for(path))} for this series file", got=kind)


def draw_series_figures(path, figures_dir) -> list[Path]:
    """Write ``<series>_<kind>.png`` for every kind the series file supports; return the paths."""
    out = []
    for kind in kinds_for(path):
        target = Path(figures_dir) / f"{Path(path).stem}_{kind}.png"
        plotting.save_figure(series_figure(path, kind), target)
        out.append(target)
    return out


def figure(path, kind: str | None = None):
    """Any figure of a batch result file (``kind=None``: the first kind of that file)."""
    kinds = kinds_for(path)
    kind = kind or kinds[0]
    if kind not in kinds:
        raise InputError(path, "--kind", f"one of {', '.join(kinds)} for this file", got=kind)
    return sample_figure(path, kind) if file_kind(path) == "sample" else series_figure(path, kind)


def read_series_summary(path) -> dict:
    """The JSON summary stored in a series file (``summary_json`` attribute)."""
    import h5py

    with h5py.File(path, "r") as f:
        return json.loads(_text(f.attrs["summary_json"]))
