"""Read batch result files back and draw their figures (used by the batch and by ``saxs plot``).

Figures are drawn from the files alone, so ``saxs plot RESULT.h5`` redraws exactly what the batch
drew. Kinds:

- a sample file (``samples/<name>.h5``): ``fit`` (I(q) with the fit and residuals, log-log) and
  ``distribution`` (volume-weighted size histogram with error bars and the observability limit);
- a series file (``series/<name>.h5``): ``stacked`` (distributions of the members, offset),
  ``waterfall`` (I(q) of the members), ``steps`` (population radii vs the series variable with
  the families; steps analysis) and ``peaks`` (Bragg peak areas vs the series variable; peaks
  analysis).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from .. import plotting

SAMPLE_KINDS = ("fit", "distribution")
SERIES_KINDS = ("stacked", "waterfall", "steps", "peaks")
KINDS = SAMPLE_KINDS + SERIES_KINDS

#: Root attribute of a series summary file.
SERIES_ATTR = "saxs_series"


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def fit_group(path) -> str:
    """Path of the fit result group (``@program = "mcfit"``) in the default entry, or ``""``.

    ``<entry>/fit`` in a batch sample file, ``<entry>/mcfit`` in a ``saxs fit`` file.
    """
    import h5py

    with h5py.File(path, "r") as f:
        entry = _text(f.attrs.get("default", ""))
        if not entry or not isinstance(f.get(entry), h5py.Group):
            return ""
        for name in ("fit", "mcfit", *f[entry]):
            g = f[entry].get(name)
            if isinstance(g, h5py.Group) and _text(g.attrs.get("program", "")) == "mcfit":
                return f"{entry}/{name}"
    return ""


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
    except OSError as exc:
        raise InputError(path, "file", "a readable HDF5 result file of saxs batch or saxs fit",
                         got=str(exc).split(":")[0]) from exc
    raise InputError(path, "content", "a sample result (a fit group in its default entry) or a series summary of saxs batch")


def kinds_for(path) -> tuple[str, ...]:
    """Figure kinds available for a result file."""
    import h5py

    if file_kind(path) == "sample":
        return SAMPLE_KINDS
    with h5py.File(path, "r") as f:
        analysis = _text(f.attrs.get("analysis", "steps"))
    return ("stacked", "waterfall", "steps" if analysis == "steps" else "peaks")


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
        return {
            "q_nm": g["fit/q_nm"][()], "fit_intensity": g["fit/intensity"][()],
            "chi2_reduced": float(g.attrs["chi2_reduced"]), "unit": _text(g.attrs["volume_fraction_unit"]),
            "edges_nm": h["edges_nm"][()], "volume": h["volume"][()], "volume_std": h["volume_std"][()],
            "volume_observability": h["volume_observability"][()], "scale": _text(h.attrs.get("scale", "linear")),
        }


def sample_figure(path, kind: str):
    """Figure of one kind (``fit`` or ``distribution``) from a sample result file."""
    from ..nxcansas import read_nxcansas

    path = Path(path)
    fit = _fit_arrays(path)
    name = path.stem
    if kind == "fit":
        curve = read_nxcansas(path)  # the @default entry: the curve that was fitted
        return plotting.figure_curve_fit(curve.q_nm, curve.intensity, curve.sigma, fit_q_nm=fit["q_nm"],
                                         fit_intensity=fit["fit_intensity"], intensity_unit=curve.intensity_unit,
                                         title=f"{name}: reduced chi2 {fit['chi2_reduced']:.3g}")
    if kind == "distribution":
        return plotting.figure_single(
            plotting.plot_size_distribution, fit["edges_nm"], fit["volume"], fit["volume_std"],
            observability=fit["volume_observability"], weighting="volume", unit=fit["unit"],
            log_radius=fit["scale"] == "log",
            title=f"{name}: volume-weighted size distribution")
    raise InputError(path, "--kind", f"one of {', '.join(SAMPLE_KINDS)} for a sample file", got=kind)


def draw_sample_figures(path, figures_dir) -> list[Path]:
    """Write ``<name>_fit.png`` and ``<name>_distribution.png`` for a sample file; return the paths."""
    out = []
    for kind in SAMPLE_KINDS:
        target = Path(figures_dir) / f"{Path(path).stem}_{kind}.png"
        plotting.save_figure(sample_figure(path, kind), target)
        out.append(target)
    return out


# --------------------------------------------------------------------------- series figures
def _members(f):
    m = f["members"]
    return ([_text(s) for s in m["sample"][()]], np.asarray(m["value"][()], dtype=float),
            [_text(s) for s in m["status"][()]])


def series_figure(path, kind: str):
    """Figure of one kind from a series summary file."""
    import h5py

    path = Path(path)
    with h5py.File(path, "r") as f:
        by = _text(f.attrs.get("by", "value"))
        name = _text(f.attrs.get(SERIES_ATTR, path.stem))
        if kind == "stacked":
            hists = []
            for key in sorted(f["histograms"], key=int):
                g = f["histograms"][key]
                hists.append((f"{float(g.attrs['value']):g}", g["edges_nm"][()], g["volume"][()], g["volume_std"][()]))
            unit = _text(f["histograms"].attrs.get("unit", "absolute"))
            scale = _text(f["histograms"].attrs.get("scale", "linear"))
            families = f["steps_analysis/families/radius_nm"][()] if "steps_analysis" in f else ()
            fig = plotting.figure_single(plotting.plot_stacked_distributions, hists,
                                         variable_label=f"{name}: size distributions", unit=unit,
                                         families_nm=tuple(families), log_radius=scale == "log",
                                         figsize=(6.0, 1.6 + 0.7 * max(1, len(hists))))
            fig.axes[0].set_ylabel(f"{plotting.variable_label(by)}; volume-weighted distribution, normalised")
            return fig
        if kind == "waterfall":
            curves, unit = [], "1/cm"
            for key in sorted(f["curves"], key=int):
                g = f["curves"][key]
                unit = _text(g.attrs.get("unit", unit))
                curves.append((f"{_text(g.attrs['label'])} ({float(g.attrs['value']):g})", g["q_nm"][()],
                               g["intensity"][()]))
            return plotting.figure_single(plotting.plot_waterfall, curves, intensity_unit=unit,
                                          title=f"{name}: I(q) by {by}", figsize=(6.0, 6.0))
        if kind == "steps" and "steps_analysis" in f:
            p = f["populations"]
            families = f["steps_analysis/families/radius_nm"][()]
            names = _members(f)[0]
            a = f["steps_analysis/members"]
            state_of = {_text(lab): _text(st) for lab, st in zip(a["label"][()], a["state"][()])}
            states = [f"member state: {state_of.get(names[int(m)], '?')}" for m in p["member"][()]]
            return plotting.figure_single(plotting.plot_step_radii, p["value"][()], p["mean_nm"][()],
                                          p["mean_nm_std"][()], variable_label=plotting.variable_label(by),
                                          families_nm=tuple(families), states=states,
                                          title=f"{name}: populations and families")
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
            if values is None:
                values = _members(f)[1]
            return plotting.figure_single(plotting.plot_peak_intensity, values, np.array(areas).reshape(len(labels), -1),
                                          np.array(stds).reshape(len(labels), -1), peak_labels=labels,
                                          present=np.array(present).reshape(len(labels), -1),
                                          variable_label=plotting.variable_label(by), intensity_unit=unit,
                                          title=f"{name}: Bragg peaks")
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
    return sample_figure(path, kind) if kind in SAMPLE_KINDS else series_figure(path, kind)


def read_series_summary(path) -> dict:
    """The JSON summary stored in a series file (``summary_json`` attribute)."""
    import h5py

    with h5py.File(path, "r") as f:
        return json.loads(_text(f.attrs["summary_json"]))
