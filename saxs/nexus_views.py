"""NXdata groups that let a generic NeXus viewer (silx, h5web) plot series results.

- :func:`write_size_image`: members' volume-weighted histograms as a 2-D image ``volume[member,
  radius]`` (+- ``volume_errors``) on the series value and the bin centres (log radius hinted);
- :func:`write_curves`: members' I(q) as ``I[member, q]`` (+- ``I_errors``) when they share one q
  grid, else the first member's I(q) (log-log hinted).

Every dataset carries ``@units`` (``1`` for dimensionless); ``@SILX_style`` is read by silx and h5web.
"""

from __future__ import annotations

import json

import numpy as np

#: Viewer hints: series value linear, q (or radius) log, signal log.
LOG_LOG_2D = json.dumps({"axes_scale_types": ["linear", "log"], "signal_scale_type": "log"})
LOG_LOG_1D = json.dumps({"axes_scale_types": ["log"], "signal_scale_type": "log"})
LOG_RADIUS = json.dumps({"axes_scale_types": ["linear", "log"]})

_KEY_UNITS = {"C", "K", "s", "min", "h", "mM", "M", "nm", "mm", "bar"}


def key_units(key: str | None) -> str:
    """The unit a series key carries in its name (``nucleation_temperature_C`` -> ``degC``, UDUNITS'
    Celsius: a bare ``C`` is the coulomb), else ``1``."""
    tail = str(key or "").rsplit("_", 1)
    if len(tail) == 2 and tail[1] in _KEY_UNITS:
        return "degC" if tail[1] == "C" else tail[1]
    return "1"


def _strings(values):
    import h5py

    return np.array([str(v) for v in values], dtype=h5py.string_dtype())


def _nxdata(parent, name: str, *, signal: str, axes: list[str]):
    g = parent.create_group(name)
    g.attrs["NX_class"] = "NXdata"
    g.attrs["signal"] = signal
    g.attrs["axes"] = axes
    for i, a in enumerate(axes):
        g.attrs[f"{a}_indices"] = np.int32(i)
    return g


def _series_axis(g, values, key) -> None:
    s = g.create_dataset("series_value", data=np.asarray(values, dtype=float))
    s.attrs["units"], s.attrs["long_name"] = key_units(key), str(key or "series value")


def write_size_image(parent, name: str, *, key, values, labels, edges_nm, volume, volume_std,
                     volume_unit: str = "absolute"):
    """Write the histograms ``volume`` (n_members, n_bins) on ``edges_nm`` (n_bins + 1,) as NXdata.

    Returns the group, or None when there is no member.
    """
    volume = np.asarray(volume, dtype=float)
    if volume.ndim != 2 or volume.shape[0] == 0:
        return None
    edges = np.asarray(edges_nm, dtype=float)
    g = _nxdata(parent, name, signal="volume", axes=["series_value", "radius"])
    g.attrs["SILX_style"] = LOG_RADIUS
    g.attrs["title"] = "volume-weighted size distributions of the members"
    v = g.create_dataset("volume", data=volume)
    v.attrs["units"] = "1"  # volume fraction per bin: dimensionless (absolute or relative)
    v.attrs["long_name"] = f"volume fraction per bin ({volume_unit})"
    e = g.create_dataset("volume_errors", data=np.asarray(volume_std, dtype=float))
    e.attrs["units"] = "1"
    centres = np.sqrt(edges[:-1] * edges[1:]) if edges[0] > 0 else 0.5 * (edges[:-1] + edges[1:])
    r = g.create_dataset("radius", data=centres)
    r.attrs["units"], r.attrs["long_name"] = "nm", "radius (bin centre, nm)"
    _series_axis(g, values, key)
    g["member"] = _strings(labels)
    return g


def write_curves(parent, name: str, *, key, values, labels, curves, intensity_unit: str):
    """Write ``curves`` [(q_nm (m,), intensity (m,), sigma (m,)), ...] as an I(member, q) NXdata.

    The members share one q grid: a 2-D image on the series value and q; otherwise the first curve.
    """
    same_q = all(c[0].shape == curves[0][0].shape and np.allclose(c[0], curves[0][0]) for c in curves)
    rows = curves if same_q else curves[:1]
    g = _nxdata(parent, name, signal="I", axes=["series_value", "Q"] if same_q else ["Q"])
    g.attrs["SILX_style"] = LOG_LOG_2D if same_q else LOG_LOG_1D
    g.attrs["title"] = "I(q) of the members" if same_q else f"I(q) of {labels[0]}"
    data = np.array([c[1] for c in rows], dtype=float)
    err = np.array([c[2] for c in rows], dtype=float)
    i = g.create_dataset("I", data=data if same_q else data[0])
    i.attrs["units"] = intensity_unit
    e = g.create_dataset("I_errors", data=err if same_q else err[0])
    e.attrs["units"] = intensity_unit
    q = g.create_dataset("Q", data=rows[0][0])
    q.attrs["units"] = "1/nm"
    if same_q:
        _series_axis(g, values, key)
    g["member"] = _strings(labels if same_q else labels[:1])
    return g
