"""The NeXus face of a batch series file: root ``@default`` -> NXentry ``entry`` -> the most useful NXdata.

A generic viewer (silx, h5web, NeXus validators) opens a series file on

- a steps series: ``entry/size_distributions``, the members' volume-weighted histograms as a 2-D
  image (:func:`saxs.nexus_views.write_size_image`);
- a peaks series (or a steps series without any member with sizes): ``entry/curves``, the
  members' I(q) (:func:`saxs.nexus_views.write_curves`);
- ``entry/findings`` (NXnote): the series' conclusions in plain words and the model assumptions
  they rest on.

The groups the figures and scripts read (``members/``, ``histograms/``, ``member_curves/``, ...)
are in the same entry (files written before 2026-11-30 have them at the root, ``member_curves/``
as ``curves/``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def write_series_entry(f, *, by: str, values, labels, histograms: list[tuple], curves: list[tuple],
                       volume_unit: str, intensity_unit: str, summary: dict[str, Any]) -> None:
    """Add the views to ``entry`` (NXentry, made here if absent) and point the root ``@default`` at it.

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
    from ..nexus_views import write_curves, write_size_image
    from ..report.conclusions import series_conclusions

    entry = f.require_group("entry")
    entry.attrs["NX_class"] = "NXentry"
    entry["title"] = f"series {summary.get('name', '')} by {by}"
    same_edges = bool(histograms) and all(h[1].shape == histograms[0][1].shape and np.allclose(h[1], histograms[0][1])
                                          for h in histograms)
    if same_edges:
        write_size_image(entry, "size_distributions", key=by, values=[float(values[h[0]]) for h in histograms],
                         labels=[labels[h[0]] for h in histograms], edges_nm=histograms[0][1],
                         volume=[h[2] for h in histograms], volume_std=[h[3] for h in histograms],
                         volume_unit=volume_unit)
        entry.attrs["default"] = "size_distributions"
    if curves:
        write_curves(entry, "curves", key=by, values=[float(values[c[0]]) for c in curves],
                     labels=[labels[c[0]] for c in curves], curves=[c[1:] for c in curves],
                     intensity_unit=intensity_unit)
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
