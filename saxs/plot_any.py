"""Figures of any file the tool writes, chosen by what the file holds (used by ``saxs plot``).

What a file holds decides which figures it can give (:func:`kinds_for`), whatever command wrote it:

==========================================  =================================  ===================
file                                        recognised by                      kinds (first: default)
==========================================  =================================  ===================
batch sample, ``saxs fit`` result           a group ``@program = "mcfit"`` in  fit, distribution
                                            the default NXcanSAS entry
batch series summary                        root ``@saxs_series``              stacked, waterfall,
                                                                               steps | peaks
``saxs series -o`` result                   ``<entry>/steps`` with             stacked, steps
                                            ``@program = mcfit.steps...``
``saxs peaks -o`` result                    ``peaks/tracks`` (a series)         peaks
``saxs reduce`` output                      an ``average`` SASentry and        curve, frames
                                            ``frame####`` entries
``saxs subtract`` output, any NXcanSAS      a SASentry                         curve
==========================================  =================================  ===================

Anything else is refused with one line naming the file and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from . import plotting
from .errors import InputError
from .pipeline import results
from .pipeline.results import _text  # the one decoder of the strings saxs writes into result files

#: ``saxs series -o`` files: the program attribute of their analysis group.
STEPS_PROGRAM = "mcfit.steps.analyse_series"

CURVE_KINDS = ("curve",)
REDUCED_KINDS = ("curve", "frames")
STEPS_FILE_KINDS = ("stacked", "steps")
PEAKS_FILE_KINDS = ("peaks",)
ALL_KINDS = ("fit", "distribution", "stacked", "waterfall", "steps", "peaks", "curve", "frames")

_EXPECTED = ("a file written by saxs (reduce, subtract, fit, series, peaks or batch): an NXcanSAS entry, "
             "a fit result group or a series summary")


def _steps_group(f: h5py.File) -> str:
    for name, entry in f.items():
        if isinstance(entry, h5py.Group):
            g = entry.get("steps")
            if isinstance(g, h5py.Group) and _text(g.attrs.get("program", "")) == STEPS_PROGRAM:
                return f"{name}/steps"
    return ""


def _sasentries(f: h5py.File) -> list[str]:
    return [k for k, g in f.items() if isinstance(g, h5py.Group) and _text(g.attrs.get("canSAS_class", "")) == "SASentry"]


def file_content(path) -> str:
    """What a file holds: ``batch`` (sample or series), ``steps``, ``peaks``, ``reduced`` or ``curve``.

    Raises
    ------
    InputError
        Not a readable HDF5 file, or nothing in it to plot.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing result file", got="no such file")
    if not h5py.is_hdf5(path):
        raise InputError(path, "file", _EXPECTED, got="not an HDF5 file")
    try:
        with h5py.File(path, "r") as f:
            if results.SERIES_ATTR in f.attrs:
                return "batch"
            if _steps_group(f):
                return "steps"
            if isinstance(f.get("peaks/tracks"), h5py.Group) and len(f["peaks/tracks"]):
                return "peaks"
            if isinstance(f.get("peaks"), h5py.Group) and "file_000" in f["peaks"]:
                raise InputError(path, "peaks/tracks", "peak tracks across a series to plot (this 'saxs peaks' "
                                 "file holds one curve's peaks: plot the curve file itself)", got="none")
            entries = _sasentries(f)
        if results.fit_group(path):
            return "batch"
    except OSError as exc:
        raise InputError(path, "file", _EXPECTED, got=str(exc).split(":")[0]) from exc
    if not entries:
        raise InputError(path, "content", _EXPECTED, got="nothing to plot")
    from .reduce import AVERAGE_ENTRY

    return "reduced" if AVERAGE_ENTRY in entries and len(entries) > 1 else "curve"


def kinds_for(path) -> tuple[str, ...]:
    """Figure kinds a file can give (the first is the default)."""
    content = file_content(path)
    if content == "batch":
        return results.kinds_for(path)
    return {"steps": STEPS_FILE_KINDS, "peaks": PEAKS_FILE_KINDS, "reduced": REDUCED_KINDS,
            "curve": CURVE_KINDS}[content]


def figure(path, kind: str | None = None):
    """The figure ``kind`` (default: the file's first kind) of any file the tool writes."""
    kinds = kinds_for(path)
    kind = kind or kinds[0]
    if kind not in kinds:
        raise InputError(path, "--kind", f"one of {', '.join(kinds)} for this file", got=kind)
    content = file_content(path)
    if content == "batch":
        return results.figure(path, kind)
    if content == "steps":
        return _steps_figure(Path(path), kind)
    if content == "peaks":
        return _peaks_figure(Path(path))
    if kind == "frames":
        return _frames_figure(Path(path))
    return _curve_figure(Path(path))


# --------------------------------------------------------------------------- NXcanSAS curves
def _curve_figure(path: Path):
    from .nxcansas import read_nxcansas

    curve = read_nxcansas(path)  # the @default entry (a reduce file's frame average)
    entry = curve.provenance.get("input_entry", "")
    return plotting.figure_single(plotting.plot_curve_fit, curve.q_nm, curve.intensity, curve.sigma,
                                  intensity_unit=curve.intensity_unit, label=f"{entry} (+- 1 sigma)",
                                  title=f"{path.stem}: I(q){_hidden(curve.intensity)}")


def _hidden(intensity) -> str:
    """Title note for the points a log axis cannot show."""
    n = int(np.count_nonzero(~(np.asarray(intensity) > 0)))
    return f" ({n} points <= 0 not drawn)" if n else ""


def _frames_figure(path: Path, *, most: int = 12):
    """Every frame of a ``saxs reduce`` file (at most ``most``, evenly chosen) under the average."""
    from .nxcansas import read_nxcansas
    from .reduce import AVERAGE_ENTRY

    with h5py.File(path, "r") as f:
        frames = [e for e in _sasentries(f) if e != AVERAGE_ENTRY]
    chosen = [frames[int(k)] for k in np.unique(np.linspace(0, len(frames) - 1, min(most, len(frames))).round())]
    average = read_nxcansas(path, AVERAGE_ENTRY)
    curves = [(name, read_nxcansas(path, name)) for name in chosen]

    def draw(ax):
        for k, (name, c) in enumerate(curves):
            good = c.intensity > 0
            ax.plot(c.q_nm[good], c.intensity[good], "-", lw=0.7, color=f"C{1 + k % 9}", label=name, zorder=2)
        plotting.plot_curve_fit(average.q_nm, average.intensity, average.sigma, intensity_unit=average.intensity_unit,
                                label="average (+- 1 sigma)", ax=ax)
        ax.legend(loc="best", fontsize="x-small")
        return ax

    shown = "" if len(chosen) == len(frames) else f" ({len(chosen)} of {len(frames)} shown)"
    return plotting.figure_single(draw, title=f"{path.stem}: {len(frames)} frames and their average{shown}"
                                              f"{_hidden(average.intensity)}")


# --------------------------------------------------------------------------- saxs series / peaks files
def _steps_figure(path: Path, kind: str):
    """The series figures of ``saxs series`` and the batch, one code (:mod:`saxs.figures.steps`)."""
    from .figures.steps import StepsFigureData, figure_series_distributions, figure_steps_summary

    with h5py.File(path, "r") as f:
        data = StepsFigureData.from_hdf5(f[_steps_group(f)])
    if kind == "stacked":
        return figure_series_distributions(data, title=f"{path.stem}: size distributions by {data.series_key}")
    return figure_steps_summary(data, title=f"{path.stem}: dominant radius and families")


def _peaks_figure(path: Path):
    with h5py.File(path, "r") as f:
        p = f["peaks"]
        key = _text(p["series_key"][()]) if "series_key" in p else "index"
        tracks = [p["tracks"][k] for k in sorted(p["tracks"])]
        values = tracks[0]["values"][()]
        areas = np.array([t["area"][()] for t in tracks])
        stds = np.array([t["area_std"][()] for t in tracks])
        present = np.array([t["present"][()] for t in tracks], dtype=bool)
        labels = [f"q = {float(np.asarray(t['q_nm'][()])):.3g} 1/nm" for t in tracks]
        first_input = _text(p["file_000"].attrs.get("file", "")) if "file_000" in p else ""
    unit = "arbitrary"  # the areas are in the input curves' unit: read it from the first input when it is there
    if first_input and Path(first_input).is_file() and h5py.is_hdf5(first_input):
        from .nxcansas import read_nxcansas

        try:
            unit = read_nxcansas(first_input).intensity_unit
        except InputError:
            pass
    return plotting.figure_single(plotting.plot_peak_intensity, values, areas, stds, peak_labels=labels,
                                  present=present, variable_label=plotting.variable_label(key),
                                  intensity_unit=unit, title=f"{path.stem}: Bragg peaks")
