"""The NeXus face of a series file: root ``@default`` -> NXentry ``entry`` -> the most useful NXdata.

A generic viewer (silx, h5web, NeXus validators) opens a series file on

- a steps series: ``entry/size_distributions``, the members' volume-weighted histograms as a 2-D
  image ``volume[member, radius]`` (+- ``volume_errors``), axes the series variable and the bin
  centres (nm, log scale hinted);
- a peaks series (or a steps series without any member with sizes): ``entry/curves``, the members'
  I(q) as ``I[member, q]`` (+- ``I_errors``) on a log-q / log-I hint, when they share one q grid,
  else the first member's curve;
- ``entry/findings``: the series' conclusions in plain words and the model assumptions they rest on.

Every dataset carries ``@units`` (``1`` for dimensionless). The groups the figures and scripts read
(``members/``, ``histograms/``, ``curves/``, ...) are unchanged beside the entry.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

#: silx / h5web style hints (``SILX_style``, read by both): log axes for I(q) and size histograms.
LOG_LOG = json.dumps({"axes_scale_types": ["linear", "log"], "signal_scale_type": "log"})
LOG_RADIUS = json.dumps({"axes_scale_types": ["linear", "log"]})


def _str_array(values):
    import h5py

    return np.array([str(v) for v in values], dtype=h5py.string_dtype())


def _axis_units(key: str) -> str:
    from ..report.conclusions import unit_of_key

    return unit_of_key(key) or "1"


def _nxdata(entry, name: str, *, signal: str, axes: list[str]):
    g = entry.create_group(name)
    g.attrs["NX_class"] = "NXdata"
    g.attrs["signal"] = signal
    g.attrs["axes"] = axes
    for i, a in enumerate(axes):
        g.attrs[f"{a}_indices"] = np.int32(i)
    return g


def write_series_entry(f, *, by: str, values, labels, histograms: list[tuple], curves: list[tuple],
                       volume_unit: str, intensity_unit: str, summary: dict[str, Any]) -> None:
    """Add ``entry`` (NXentry) to an open series file and point the root ``@default`` at it.

    Parameters
    ----------
    f : h5py.File
        The series file being written.
    by : str
        Series key (its unit is read from its name: ``..._C`` -> ``C``).
    values, labels : sequence
        Series value and sample name of every member, in file order.
    histograms : list of (member index, edges_nm (n+1,), volume (n,), volume_std (n,))
        Members with reported sizes.
    curves : list of (member index, q_nm (m,), intensity (m,), sigma (m,))
        Members with a curve.
    volume_unit, intensity_unit : str
        ``"absolute"``/``"relative"`` volume fractions; ``"1/cm"`` or ``"arbitrary"`` intensity.
    summary : dict
        The series' summary (conclusions and ``model_assumptions`` are written as ``findings``).
    """
    from ..report.conclusions import series_conclusions

    entry = f.create_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    entry["title"] = f"series {summary.get('name', '')} by {by}"
    same_edges = bool(histograms) and all(h[1].shape == histograms[0][1].shape and np.allclose(h[1], histograms[0][1])
                                          for h in histograms)
    if same_edges:
        edges = histograms[0][1]
        g = _nxdata(entry, "size_distributions", signal="volume", axes=["series_value", "radius"])
        g.attrs["SILX_style"] = LOG_RADIUS
        g.attrs["title"] = "volume-weighted size distributions of the members"
        unit = "1"  # volume fraction per bin: dimensionless (absolute or relative, see @volume_fraction_scale)
        v = g.create_dataset("volume", data=np.array([h[2] for h in histograms], dtype=float))
        v.attrs["units"] = unit
        v.attrs["long_name"] = f"volume fraction per bin ({volume_unit})"
        v.attrs["volume_fraction_scale"] = volume_unit
        e = g.create_dataset("volume_errors", data=np.array([h[3] for h in histograms], dtype=float))
        e.attrs["units"] = unit
        r = g.create_dataset("radius", data=np.sqrt(edges[:-1] * edges[1:]) if edges[0] > 0 else
                             0.5 * (edges[:-1] + edges[1:]))
        r.attrs["units"], r.attrs["long_name"] = "nm", "radius (bin centre, nm)"
        s = g.create_dataset("series_value", data=np.array([float(values[h[0]]) for h in histograms]))
        s.attrs["units"], s.attrs["long_name"] = _axis_units(by), by
        g["member"] = _str_array(labels[h[0]] for h in histograms)
        entry.attrs["default"] = "size_distributions"
    if curves:
        same_q = all(c[1].shape == curves[0][1].shape and np.allclose(c[1], curves[0][1]) for c in curves)
        rows = curves if same_q else curves[:1]
        g = _nxdata(entry, "curves", signal="I", axes=["series_value", "Q"] if same_q else ["Q"])
        if same_q:
            g.attrs["SILX_style"] = LOG_LOG
        else:
            g.attrs["SILX_style"] = json.dumps({"axes_scale_types": ["log"], "signal_scale_type": "log"})
        g.attrs["title"] = "I(q) of the members" if same_q else f"I(q) of {labels[rows[0][0]]}"
        data = np.array([c[2] for c in rows], dtype=float)
        err = np.array([c[3] for c in rows], dtype=float)
        i = g.create_dataset("I", data=data if same_q else data[0])
        i.attrs["units"] = intensity_unit
        e = g.create_dataset("I_errors", data=err if same_q else err[0])
        e.attrs["units"] = intensity_unit
        q = g.create_dataset("Q", data=rows[0][1])
        q.attrs["units"] = "1/nm"
        if same_q:
            s = g.create_dataset("series_value", data=np.array([float(values[c[0]]) for c in rows]))
            s.attrs["units"], s.attrs["long_name"] = _axis_units(by), by
        g["member"] = _str_array(labels[c[0]] for c in rows)
        if "default" not in entry.attrs:
            entry.attrs["default"] = "curves"
    notes = entry.create_group("findings")
    notes.attrs["NX_class"] = "NXnote"
    notes["type"] = "text/plain"
    notes["description"] = "the series' conclusions in plain words, then the model assumptions they rest on"
    lines = series_conclusions({"status": "done", **summary})
    lines += [f"model: {a}" for a in summary.get("model_assumptions") or []]
    notes["data"] = "\n".join(lines)
    if "default" in entry.attrs:
        f.attrs["default"] = "entry"
