"""Outputs of a series step analysis: the JSON summary, the HDF5 layout and the text report.

Free functions over a :class:`mcfit.steps_types.SeriesResult` (its ``to_dict``, ``to_json``,
``to_hdf5`` and ``report`` methods call them); this module reads the result's fields only and
imports none of the analysis.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import numpy as np


def result_to_dict(result) -> dict:
    """The JSON summary (``families``, ``steps``, ``shoulders``, ``continuous_growth_onset`` + details).

    Parameters
    ----------
    result : mcfit.steps_types.SeriesResult

    Returns
    -------
    dict
        Plain Python values (NaN and inf still floats: :func:`result_to_json` writes them as null).
    """
    return {
        "series_key": result.series_key,
        "families": [{"radius_nm": f.radius_nm, "radius_nm_std": f.radius_nm_std, "members": list(f.members),
                      "width_nm": f.width_nm, "standalone_members": list(f.standalone_members),
                      "shoulder_at": list(f.shoulder_at)} for f in result.families],
        "steps": [{"from_nm": s.from_nm, "to_nm": s.to_nm, "between": list(s.between),
                   "rests_on_quantized_model": s.rests_on_quantized_model} for s in result.steps],
        "shoulders": [{"radius_nm": s.radius_nm, "at": s.at, "beside_nm": s.beside_nm, "fraction": s.fraction,
                       "fraction_std": s.fraction_std, "evidence": s.evidence,
                       "rests_on_quantized_model": s.rests_on_quantized_model} for s in result.shoulders],
        "continuous_growth_onset": result.continuous_growth_onset,
        "continuous_members": list(result.continuous_members),
        "members": [{"value": m.value, "label": m.label, "state": m.state, "family": m.family,
                     "dominant_radius_nm": m.dominant_radius_nm, "dominant_radius_nm_std": m.dominant_radius_nm_std,
                     "dominant_width_nm": m.dominant_width_nm, "dominant_rel_width": m.dominant_rel_width,
                     "narrow": m.narrow} for m in result.members],
        "mixture_tests": [{"at": t.at, "radii_nm": list(t.radii_nm), "fractions": list(t.fractions),
                           "fraction_stds": list(t.fraction_stds), "chi2_red_mixture": t.chi2_red_mixture,
                           "chi2_red_single": t.chi2_red_single, "chi2_ratio_max": t.chi2_ratio_max,
                           "single_radius_nm": t.single_radius_nm, "single_rel_width": t.single_rel_width,
                           "accepted": t.accepted, "reason": t.reason} for t in result.mixture_tests],
        "model_assumptions": list(result.model_assumptions),
        "settings": asdict(result.settings),
    }


def result_to_json(result) -> str:
    """:func:`result_to_dict` as JSON text (NaN/inf as null); ``result``: a SeriesResult."""
    return json.dumps(_json_clean(result_to_dict(result)))


def write_result_hdf5(result, group) -> None:
    """Write the result into an h5py group (an ``NXprocess``); layout in the module docs of saxs.series.

    ``group``: ``members/`` (value, label, state, family (-1 none), dominant radius/std/width),
    ``families/`` (radius_nm, radius_nm_std, width_nm; ``family_<i>/members`` etc.), ``steps/``
    (from_nm, to_nm, between (s, 2)), ``shoulders/``, ``mixture_tests/``, ``histograms/<i>/``,
    ``continuous_growth_onset`` (NaN: none), ``model_assumptions``, ``settings/``, and the
    JSON summary as ``summary_json``.

    Parameters
    ----------
    result : mcfit.steps_types.SeriesResult
    group : h5py.Group
        Written into (new datasets and subgroups; its ``NX_class``, ``program`` and ``series_key``
        attributes set).
    """
    import h5py

    strings = h5py.string_dtype()
    group.attrs["NX_class"] = "NXprocess"
    group.attrs["program"] = "mcfit.steps.analyse_series"
    if result.series_key is not None:
        group.attrs["series_key"] = result.series_key
    g = group.create_group("members")
    g.attrs["NX_class"] = "NXcollection"
    ms = result.members
    g["value"] = np.array([m.value for m in ms], dtype=float)
    g["label"] = np.array([m.label for m in ms], dtype=strings)
    g["state"] = np.array([m.state for m in ms], dtype=strings)
    g["family"] = np.array([-1 if m.family is None else m.family for m in ms], dtype=np.int64)
    g["dominant_radius_nm"] = np.array([m.dominant_radius_nm for m in ms], dtype=float)
    g["dominant_radius_nm"].attrs["units"] = "nm"
    g["dominant_radius_nm_std"] = np.array([m.dominant_radius_nm_std for m in ms], dtype=float)
    g["dominant_width_nm"] = np.array([m.dominant_width_nm for m in ms], dtype=float)
    g = group.create_group("families")
    g.attrs["NX_class"] = "NXcollection"
    g["radius_nm"] = np.array([f.radius_nm for f in result.families], dtype=float)
    g["radius_nm"].attrs["units"] = "nm"
    g["radius_nm_std"] = np.array([f.radius_nm_std for f in result.families], dtype=float)
    g["width_nm"] = np.array([f.width_nm for f in result.families], dtype=float)
    for f in result.families:
        sub = g.create_group(f"family_{f.index}")
        sub.attrs["NX_class"] = "NXcollection"  # every group of a NeXus file has a base class
        sub["members"] = np.array(f.members, dtype=float)
        sub["standalone_members"] = np.array(f.standalone_members, dtype=float)
        sub["shoulder_at"] = np.array(f.shoulder_at, dtype=float)
    g = group.create_group("steps")
    g.attrs["NX_class"] = "NXcollection"
    g["from_nm"] = np.array([s.from_nm for s in result.steps], dtype=float)
    g["to_nm"] = np.array([s.to_nm for s in result.steps], dtype=float)
    g["between"] = np.array([s.between for s in result.steps], dtype=float).reshape(-1, 2)
    g["rests_on_quantized_model"] = np.array([s.rests_on_quantized_model for s in result.steps], dtype=bool)
    g = group.create_group("shoulders")
    g.attrs["NX_class"] = "NXcollection"
    for name in ("radius_nm", "at", "beside_nm", "fraction", "fraction_std"):
        g[name] = np.array([getattr(s, name) for s in result.shoulders], dtype=float)
    g["evidence"] = np.array([s.evidence for s in result.shoulders], dtype=strings)
    g["rests_on_quantized_model"] = np.array([s.rests_on_quantized_model for s in result.shoulders], dtype=bool)
    g = group.create_group("mixture_tests")
    g.attrs["NX_class"] = "NXcollection"
    ts = result.mixture_tests
    g["at"] = np.array([t.at for t in ts], dtype=float)
    g["radii_nm"] = np.array([t.radii_nm for t in ts], dtype=float).reshape(-1, 2)
    g["fractions"] = np.array([t.fractions for t in ts], dtype=float).reshape(-1, 2)
    g["fraction_stds"] = np.array([t.fraction_stds for t in ts], dtype=float).reshape(-1, 2)
    g["chi2_red_mixture"] = np.array([t.chi2_red_mixture for t in ts], dtype=float)
    g["chi2_red_single"] = np.array([t.chi2_red_single for t in ts], dtype=float)
    g["accepted"] = np.array([t.accepted for t in ts], dtype=bool)
    g["reason"] = np.array([t.reason for t in ts], dtype=strings)
    g = group.create_group("histograms")
    g.attrs["NX_class"] = "NXcollection"
    for i, h in enumerate(result.histograms):
        if h is None:
            continue
        sub = g.create_group(f"member_{i}")
        sub.attrs["NX_class"] = "NXcollection"
        sub.attrs["value"] = ms[i].value
        sub["radius_edges_nm"] = h.radius_edges_nm
        sub["volume_fraction"] = h.volume_fraction
        sub["volume_fraction_std"] = h.volume_fraction_std
        if h.observability is not None:
            sub["observability"] = h.observability
    group["continuous_growth_onset"] = np.nan if result.continuous_growth_onset is None else result.continuous_growth_onset
    group["continuous_members"] = np.array(result.continuous_members, dtype=float)
    group["model_assumptions"] = np.array(result.model_assumptions, dtype=strings)
    g = group.create_group("settings")
    g.attrs["NX_class"] = "NXcollection"
    for k, v in asdict(result.settings).items():
        g[k] = np.nan if v is None else v
    group["summary_json"] = result_to_json(result)


def result_report(result) -> str:
    """A short text report of a SeriesResult: families, steps, shoulders, onset; one line each."""
    lines = []
    for f in result.families:
        lines.append(f"family {f.radius_nm:.4f} +- {f.radius_nm_std:.4f} nm (width {100 * f.rel_width:.1f} %): "
                     f"members {format_values(f.members)}"
                     + (f", shoulder at {format_values(f.shoulder_at)}" if f.shoulder_at else ""))
    if not result.families:
        lines.append("no families (no narrow populations recurring or standing apart)")
    for s in result.steps:
        lines.append(f"step {s.from_nm:.3f} -> {s.to_nm:.3f} nm between {format_values(s.between)}")
    for s in result.shoulders:
        lines.append(f"shoulder {s.radius_nm:.3f} nm at {s.at:g} beside {s.beside_nm:.3f} nm "
                     f"({100 * s.fraction:.1f} +- {100 * s.fraction_std:.1f} %, {s.evidence})")
    onset = "none" if result.continuous_growth_onset is None else f"{result.continuous_growth_onset:g}"
    lines.append(f"continuous growth onset: {onset}")
    return "\n".join(lines)


def format_values(values) -> str:
    """``values`` as ``"a, b, c"`` (``%g`` each)."""
    return ", ".join(f"{v:g}" for v in values)


def _json_clean(obj):
    if isinstance(obj, dict):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return _json_clean(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj

