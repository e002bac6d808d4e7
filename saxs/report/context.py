"""What the beamtime report shows, read from OUTDIR/summary.json and the result files.

:func:`build_context` returns plain dicts and strings for the template (no HTML here): the
beamtime at a glance, one row per sample, one section per series. Figures are read as bytes
and embedded as ``data:`` URIs so the page needs no other file.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import InputError
from .conclusions import decimals, series_conclusions, unit_of_key

SUMMARY_NAME = "summary.json"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value, spec: str = ".3g", none: str = "") -> str:
    return format(value, spec) if _finite(value) else none


def _pm(value, std, spec: str = ".3f") -> str:
    """``value ± std``; fixed-point specs widen to show the first significant digit of ``std``."""
    if not _finite(value):
        return ""
    if not _finite(std):
        return f"{value:{spec}}"
    if spec.endswith("f"):
        spec = f".{decimals(std, int(spec[1:-1]))}f"
    return f"{value:{spec}} ± {std:{spec}}"


def _setting(value) -> str:
    """A setting as a user writes it in beamtime.toml (a range as "0.3 - 6.0", not JSON)."""
    if isinstance(value, (list, tuple)):
        return " - ".join(str(v) for v in value) if len(value) == 2 else ", ".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def anchor(kind: str, name: str) -> str:
    """An HTML id for a sample or series section (letters, digits, - and _ only)."""
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(name))


def data_uri(path: Path) -> str | None:
    """``data:image/png;base64,...`` of a figure file, or None when it is missing."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    # base64 has no character HTML escapes: Markup skips escaping 50 MB of figures in a large report
    return Markup("data:image/png;base64," + base64.b64encode(data).decode("ascii"))


def _local(path, outdir: Path) -> Path:
    """A path recorded in summary.json, found under ``outdir`` when the folder was moved."""
    p = Path(path)
    if p.exists():
        return p
    parts = p.parts
    for top in ("figures", "samples", "series"):
        if top in parts:
            return outdir.joinpath(*parts[parts.index(top):])
    return p


def _figures(paths, outdir: Path) -> list[dict[str, str]]:
    out = []
    for path in paths or ():
        local = _local(path, outdir)
        out.append({"name": local.name, "src": data_uri(local), "kind": local.stem.rsplit("_", 1)[-1]})
    return out


def _transmission(sample_file: Path) -> tuple[float | None, float | None]:
    """Sample transmission +- sigma from the default SASentry of a sample file (None when absent)."""
    import h5py

    from ..nxcansas import curve_entry

    try:
        with h5py.File(sample_file, "r") as f:
            entry = curve_entry(f) or ""
            g = f.get(f"{entry}/sassample")
            if g is None or "transmission" not in g:
                return None, None
            t = float(g["transmission"][()])
            s = float(g["transmission_uncertainty"][()]) if "transmission_uncertainty" in g else None
            return t, s
    except (OSError, KeyError, TypeError, ValueError):
        return None, None


def _settings(samples: list[dict], outdir: Path) -> dict[str, Any]:
    """Fit and reduction settings of the batch (from the first sample file that records them)."""
    import h5py

    from ..nxcansas import curve_entry

    for s in samples:
        if not s.get("output"):
            continue
        try:
            with h5py.File(_local(s["output"], outdir), "r") as f:
                text = f.attrs.get("saxs_batch_inputs")
                if text is None:
                    continue
                inputs = json.loads(text.decode() if isinstance(text, bytes) else str(text))
                pyfai = None
                entry = curve_entry(f) or ""
                node = f.get(f"{entry}/sasprocess/provenance/pyfai_version")
                if node is not None:
                    pyfai = node[()].decode() if isinstance(node[()], bytes) else str(node[()])
        except (OSError, ValueError):
            continue
        settings = inputs.get("settings", {})
        return {"fit": settings.get("fit") or {}, "reduction": settings.get("reduction") or {},
                "pyfai": pyfai, "software": settings.get("software")}
    return {"fit": {}, "reduction": {}, "pyfai": None, "software": None}


def _row(s: dict[str, Any], outdir: Path, *, read_files: bool) -> dict[str, Any]:
    pops = s.get("populations") or []
    pop_lines = []
    for p in pops:
        pop_lines.append(f"r {_pm(p.get('mean_nm'), p.get('mean_nm_std'))} nm, "
                         f"width {_pm(p.get('width_nm'), p.get('width_nm_std'))} nm, "
                         f"φ {_pm(p.get('volume_fraction'), p.get('volume_fraction_std'), '.3g')}")
    dominant = max(pops, key=lambda p: p.get("volume_fraction") or 0.0) if pops else None
    t, t_std = (s.get("transmission"), s.get("transmission_std"))
    if t is None and read_files and s.get("output"):
        t, t_std = _transmission(_local(s["output"], outdir))
    dropped = s.get("frames_dropped") or {}
    phase = s.get("phase")
    phase_text = ""
    if phase:
        phase_text = phase.get("type", "")
        if _finite(phase.get("d_nm")):
            phase_text += f", d = {phase['d_nm']:.3f} nm"
    labels = s.get("chi2_labels") or {}
    return {
        "name": s["name"], "id": anchor("sample", s["name"]), "status": s.get("status", ""),
        "reason": s.get("reason") or "", "analysis": s.get("analysis") or "",
        "populations": pop_lines, "sort_radius": _fmt((dominant or {}).get("mean_nm"), ".6g"),
        "chi2_data": _fmt(s.get("chi2_reduced_data_sigma")), "chi2_fit": _fmt(s.get("chi2_reduced_fit_sigma")),
        "chi2_data_label": labels.get("chi2_reduced_data_sigma", "chi2_r (data's own sigma)"),
        "chi2_fit_label": labels.get("chi2_reduced_fit_sigma", "chi2_r (sigma floored at 1 %)"),
        "poor_fit": bool(s.get("poor_fit")), "poor_fit_reason": s.get("poor_fit_reason") or "",
        "withheld": s.get("populations_withheld") or "", "not_fitted": s.get("fit") == "skipped",
        "frames": s.get("frames"), "frames_used": s.get("frames_used"),
        "dropped": [f"frame {k}: {v}" for k, v in dropped.items()],
        "transmission": _pm(t, t_std, ".4f"), "sort_transmission": _fmt(t, ".6g"),
        "peaks": ", ".join(f"{q:.3f}" for q in s.get("peaks_q_nm") or []),
        "broad": ", ".join(f"{q:.2f}" for q in s.get("broad_maxima_q_nm") or []),
        "phase": phase_text, "warnings": list(s.get("warnings") or []),
        "figures": _figures(s.get("figures"), outdir) if read_files else [],
        "output": s.get("output") or "",
    }


def _series(entry: dict[str, Any], outdir: Path) -> dict[str, Any]:
    by = entry.get("by") or entry.get("series_key") or ""
    return {
        "name": entry.get("name", "?"), "id": anchor("series", entry.get("name", "?")), "by": by,
        "unit": unit_of_key(by), "analysis": entry.get("analysis", ""), "status": entry.get("status", ""),
        "reason": entry.get("reason") or "", "conclusions": series_conclusions(entry),
        "assumptions": list(entry.get("model_assumptions") or []),
        "members": [{"sample": m.get("sample"), "id": anchor("sample", m.get("sample")), "value": m.get("value")}
                    for m in entry.get("samples") or []],
        "figures": _figures(entry.get("figures"), outdir), "output": entry.get("output") or "",
    }


def load_summary(outdir) -> dict[str, Any]:
    """OUTDIR/summary.json as a dict; InputError naming the file when it is missing or not a batch summary."""
    path = Path(outdir) / SUMMARY_NAME
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(path, "file", "the summary.json of a finished saxs batch (run saxs batch first)") from None
    except (OSError, ValueError) as exc:
        raise InputError(path, "content", "a JSON batch summary", got=str(exc).split("\n")[0]) from None
    if not isinstance(summary, dict) or "samples" not in summary or "counts" not in summary:
        raise InputError(path, "samples/counts", "a batch summary with 'samples' and 'counts' (a dry run writes none)")
    return summary


def build_context(outdir, *, summary: dict[str, Any] | None = None, read_files: bool = True) -> dict[str, Any]:
    """Everything the report template shows, as plain values.

    Parameters
    ----------
    outdir : str or os.PathLike
        A batch output folder (summary.json, samples/, series/, figures/).
    summary : dict, optional
        The summary already in memory (default: read OUTDIR/summary.json).
    read_files : bool
        Read figures and sample files (False: summary.json only, for tests of the text).
    """
    outdir = Path(outdir)
    if summary is None:
        summary = load_summary(outdir)
    samples = summary.get("samples") or []
    settings = _settings(samples, outdir) if read_files else {"fit": {}, "reduction": {}, "pyfai": None,
                                                               "software": None}
    versions = [("saxs-insitu", str(summary.get("software", "")).replace("saxs-insitu ", ""))]
    if settings["pyfai"]:
        versions.append(("pyFAI", settings["pyfai"]))
    fq = summary.get("fit_quality") or {}
    calibration = summary.get("calibration")
    return {
        "title": summary.get("title") or "Beamtime report", "beamtime": summary.get("beamtime", ""),
        "outdir": summary.get("outdir", str(outdir)), "started": summary.get("started", ""),
        "elapsed": _fmt(summary.get("elapsed_s"), ".1f"), "scheduler": summary.get("scheduler", ""),
        "workers": summary.get("workers", ""), "seed": summary.get("fit_seed"),
        "counts": summary.get("counts") or {},
        "failed": [{**f, "id": anchor("sample", f.get("name"))} for f in summary.get("failed") or []],
        "warnings": summary.get("warnings") or [], "fit_rule": fq.get("rule", ""),
        "poor_fit": [{"name": n, "id": anchor("sample", n)} for n in fq.get("poor_fit") or []],
        "withheld": [{**w, "id": anchor("sample", w.get("name"))} for w in fq.get("populations_withheld") or []],
        "not_fitted": fq.get("not_fitted") or [], "versions": versions,
        "fit_settings": sorted((k, _setting(v)) for k, v in settings["fit"].items()),
        "reduction_settings": sorted((k, _setting(v)) for k, v in settings["reduction"].items()),
        "calibration": None if not calibration else {
            "status": calibration.get("status", ""), "factor": _pm(calibration.get("factor"),
                                                                   calibration.get("factor_std"), ".4g"),
            "reason": calibration.get("reason") or ""},
        "blanks": [{"name": b.get("name"), "status": b.get("status", ""), "reason": b.get("reason") or "",
                    "frames": b.get("frames"), "frames_used": b.get("frames_used")}
                   for b in summary.get("blanks") or []],
        "rows": [_row(s, outdir, read_files=read_files) for s in samples],
        "series": [_series(e, outdir) if read_files else {**_series({**e, "figures": []}, outdir)}
                   for e in summary.get("series") or []],
    }
