"""Series of fits -> quantized radius steps: reading fit files, series values, output files, the figure.

The analysis itself is :func:`mcfit.steps.analyse_series` (pure); this module is its edge:

- :func:`series_value` reads a member's series variable (``--by KEY``) from a fit file's metadata;
- :func:`load_members` turns fit files (as written by ``saxs fit``) into :class:`mcfit.steps.SeriesMember`;
- :func:`write_series` writes the result as HDF5 (atomically);
- :func:`plot_series` draws the paper's figure: relative volume fraction vs radius per member,
  offset vertically in series order, families marked.

HDF5 layout of :func:`write_series`::

    /                 @default = "series", NX_class = NXroot
      series          NXentry; @default = "size_distributions"; title; series_key; inputs (file names, in series order)
        size_distributions  NXdata: the members' volume histograms, volume[member, radius] +- volume_errors,
                      axes series_value and radius (bin centres, nm), @units on each (saxs.nexus_views)
        steps         NXprocess written by SeriesResult.to_hdf5 (members/, families/, steps/, shoulders/,
                      mixture_tests/, histograms/, continuous_growth_onset, model_assumptions, settings/,
                      summary_json)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from mcfit.steps import (SeriesMember, SeriesResult, SeriesSettings, analyse_series,  # noqa: F401 (re-exported)
                         member_from_fit)

from .errors import InputError
from .nxcansas import curve_entry

__all__ = ["series_value", "load_members", "write_series", "plot_series", "figure_series", "analyse_series",
           "member_from_fit", "SeriesMember", "SeriesResult", "SeriesSettings"]

#: Where ``--by KEY`` looks first (relative to the default entry), before searching the whole file.
_PREFERRED = ("sassample", "sasprocess/provenance", "sasprocess", "")


def _as_number(raw):
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    if isinstance(raw, np.ndarray):
        if raw.size != 1:
            return None
        raw = raw.reshape(-1)[0]
        if isinstance(raw, bytes):
            raw = raw.decode(errors="replace")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def series_value(path, key: str) -> float:
    """The series value ``key`` of one fit file, read from its metadata.

    ``key`` is either a path inside the file (``"sasentry01/sassample/temperature"``) or a name
    looked up, in this order, in the default entry's ``sassample``, ``sasprocess/provenance``
    (searched recursively) and ``sasprocess``, as a dataset or an attribute; then anywhere in the
    file (the shallowest match wins). ``"temperature"`` thus reads the sample temperature (C).

    Raises
    ------
    InputError
        The file cannot be read, ``key`` is not found, or it is not a single finite number.
    """
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise InputError(path, "file", "a readable HDF5 fit file", got=str(error).split(" (")[0]) from None
    with h5:
        if "/" in key.strip("/"):
            obj = h5.get(key.strip("/"))
            if obj is None or not isinstance(obj, h5py.Dataset):
                raise InputError(path, key, "a dataset holding the series value")
            value = _as_number(obj[()])
            if value is None:
                raise InputError(path, key, "a single finite number", got=obj[()])
            return value
        entry_name = curve_entry(h5)
        entry = h5[entry_name] if entry_name and entry_name in h5 else h5
        found = []
        for where in _PREFERRED:
            group = entry.get(where) if where else entry
            if group is None or not isinstance(group, h5py.Group):
                continue
            found = _find_key(group, key, recursive=where == "sasprocess/provenance")
            if found:
                break
        if not found:
            found = _find_key(h5, key, recursive=True)
        if not found:  # the alias rule of saxs peaks (temperature -> temperature_C); else the keys the file has
            from .metadata import resolve_series_key

            return resolve_series_key(path, key).value
        found.sort(key=lambda item: item[0].count("/"))
        where, raw = found[0]
        value = _as_number(raw)
        if value is None:
            raise InputError(path, f"{key} (at {where})", "a single finite number", got=raw)
        return value


def _find_key(group, key, *, recursive):
    import h5py

    found = []
    if key in group.attrs:
        found.append((group.name, group.attrs[key]))
    obj = group.get(key)
    if isinstance(obj, h5py.Dataset):
        found.append((obj.name, obj[()]))
    if recursive and not found:
        def visit(name, item):
            if isinstance(item, h5py.Dataset) and name.rsplit("/", 1)[-1] == key:
                found.append((item.name, item[()]))
            elif key in item.attrs:
                found.append((item.name, item.attrs[key]))
        group.visititems(visit)
    return found


def load_members(paths, *, by: str | None = None, values=None) -> list[SeriesMember]:
    """Fit files -> series members (in the given order; :func:`analyse_series` sorts them).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Files written by ``saxs fit`` (or any HDF5 holding an mcfit result group).
    by : str, optional
        Metadata key of the series value (see :func:`series_value`).
    values : sequence of float, optional
        The series values, one per path, in order (instead of ``by``).

    Raises
    ------
    InputError
        Neither or both of ``by``/``values``, a count mismatch, a file without a fit result.
    """
    from mcfit import read_result

    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError(None, "FIT", "at least one fit file")
    if (by is None) == (values is None):
        raise InputError(None, "--by/--values", "exactly one of them")
    if values is not None:
        values = [float(v) for v in values]
        if len(values) != len(paths):
            raise InputError(None, "--values", f"one value per fit file ({len(paths)})", got=len(values))
        bad = [v for v in values if not math.isfinite(v)]
        if bad:
            raise InputError(None, "--values", "finite numbers", got=bad[0])
    else:
        values = [series_value(p, by) for p in paths]
    members = []
    for path, value in zip(paths, values):
        if not path.is_file():
            raise InputError(path, "file", "an existing fit file")
        try:
            result = read_result(path)
        except (OSError, KeyError, ValueError) as error:
            raise InputError(path, "mcfit result", "a fit file written by 'saxs fit' (a group with "
                                                   "@program='mcfit')", got=" ".join(str(error).split())[:120]) from None
        members.append(member_from_fit(result, value, label=path.name))
    return members


def write_series(result: SeriesResult, path, *, inputs=()) -> Path:
    """Write ``result`` as HDF5 (layout in the module docstring), atomically; return the path."""
    import h5py

    from . import __version__
    from .atomic import atomic_h5
    from .units import add_series_units

    with atomic_h5(path) as f:
        f.attrs["NX_class"] = "NXroot"
        f.attrs["default"] = "series"
        f.attrs["creator"] = f"saxs-insitu {__version__}"
        entry = f.create_group("series")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "steps"
        entry["title"] = "quantized radius steps across a series"
        if result.series_key is not None:
            entry["series_key"] = result.series_key
        if inputs:
            entry["inputs"] = np.array([os.fspath(p) for p in inputs], dtype=h5py.string_dtype())
        result.to_hdf5(entry.create_group("steps"))
        add_series_units(entry["steps"], result.series_key)
        _write_size_image(entry, result)
    return Path(path)


def _write_size_image(entry, result: SeriesResult) -> None:
    """The members' histograms as an image NXdata, the entry's default plot (when they share bins)."""
    from .nexus_views import write_size_image

    rows = [(m, h) for m, h in zip(result.members, result.histograms) if h is not None]
    if not rows or any(h.radius_edges_nm.shape != rows[0][1].radius_edges_nm.shape
                       or not np.allclose(h.radius_edges_nm, rows[0][1].radius_edges_nm) for _, h in rows):
        return
    if write_size_image(entry, "size_distributions", key=result.series_key, values=[m.value for m, _ in rows],
                        labels=[getattr(m, "label", "") or f"{m.value:g}" for m, _ in rows],
                        edges_nm=rows[0][1].radius_edges_nm, volume=[h.volume_fraction for _, h in rows],
                        volume_std=[h.volume_fraction_std for _, h in rows]) is not None:
        entry.attrs["default"] = "size_distributions"


def plot_series(result: SeriesResult, ax=None, *, variable_label: str | None = None):
    """The paper's figure: relative volume fraction vs radius for each member, offset, families marked.

    Drawn by :func:`saxs.figures.steps.plot_series_distributions` (the batch draws the same
    figure from its series file): each member's averaged volume histogram as the share of its
    volume per bin, offset in series order (bottom first), labelled with its series value
    ("(mixture)": explained as a mixture of two families, "(continuous)": continuous growth);
    each family a dashed vertical line (its radius +- uncertainty shaded) labelled on a top axis;
    shoulders black triangles on their member's row; the onset of continuous growth a dotted line.

    Parameters
    ----------
    result : SeriesResult
    ax : matplotlib Axes, optional
        Drawn on new axes (pyplot) when None.
    variable_label : str, optional
        Title; default names the series key.

    Returns
    -------
    Axes
    """
    from .figures.steps import StepsFigureData, plot_series_distributions

    return plot_series_distributions(StepsFigureData.from_result(result), title=variable_label, ax=ax)


def figure_series(result: SeriesResult, *, title: str = ""):
    """A Figure (Agg canvas, not registered with pyplot) holding :func:`plot_series`."""
    from .figures.steps import StepsFigureData, figure_series_distributions

    return figure_series_distributions(StepsFigureData.from_result(result), title=title or None)
