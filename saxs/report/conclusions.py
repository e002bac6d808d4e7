"""A series' findings in plain words, from its entry in summary.json.

A steps series ("families at 0.870 +- 0.002, 0.940 +- 0.003 nm; step between 190 and 200 C;
shoulder of the 1.02 nm family at 230 C (35 %); continuous growth from 250 C") and a peaks series
("lamellar, d = 3.410 nm at 25 C; the peaks at q = 1.842, 3.685 1/nm gone at 100 C"). Each
sentence is a plain string; the model assumptions they rest on come with the series entry
(``model_assumptions``) and are shown beside them, unchanged.
"""

from __future__ import annotations

import math
from typing import Any


def _num(value) -> str:
    """A series value as written in its key (190.0 -> "190", 7.5 -> "7.5")."""
    value = float(value)
    return f"{value:g}"


def unit_of_key(key: str) -> str:
    """The unit a series key carries in its name (``nucleation_temperature_C`` -> ``C``), or ``""``."""
    tail = str(key).rsplit("_", 1)
    if len(tail) == 2 and tail[1] in {"C", "K", "s", "min", "h", "mM", "M", "nm", "mm", "bar"}:
        return tail[1]
    return ""


def _at(value, unit: str) -> str:
    return f"{_num(value)} {unit}".strip()


def decimals(std, at_least: int) -> int:
    """Decimals that show the first significant digit of ``std`` (at least ``at_least``)."""
    if std is None or not math.isfinite(std) or std <= 0:
        return at_least
    return max(at_least, -math.floor(math.log10(std)))


def _pm(value, std, digits: int = 3) -> str:
    if std is None:
        return f"{value:.{digits}f}"
    digits = decimals(std, digits)
    return f"{value:.{digits}f} +- {std:.{digits}f}"


def steps_conclusions(series: dict[str, Any]) -> list[str]:
    """Sentences of a steps series: families, steps, shoulders, continuous growth, empty members."""
    unit = unit_of_key(series.get("by") or series.get("series_key") or "")
    out = []
    families = series.get("families") or []
    if families:
        radii = [_pm(f["radius_nm"], f.get("radius_nm_std")) for f in families]
        joined = radii[0] if len(radii) == 1 else ", ".join(radii[:-1]) + " and " + radii[-1]
        out.append(f"{'Family' if len(radii) == 1 else 'Families'} (magic sizes, radius) at {joined} nm.")
    else:
        out.append("No family of narrow populations (no magic size) found.")
    for step in series.get("steps") or []:
        a, b = step["between"]
        out.append(f"Step {step['from_nm']:.3f} -> {step['to_nm']:.3f} nm between {_at(a, unit)} and {_at(b, unit)}.")
    for s in series.get("shoulders") or []:
        pct = f"{100 * s['fraction']:.0f} %" if s.get("fraction") is not None else "fraction unknown"
        if s.get("fraction_std") is not None:
            d = decimals(100 * s["fraction_std"], 0)
            pct = f"{100 * s['fraction']:.{d}f} +- {100 * s['fraction_std']:.{d}f} %"
        out.append(f"Shoulder of the {s['radius_nm']:.2f} nm family beside {s['beside_nm']:.2f} nm "
                   f"at {_at(s['at'], unit)} ({pct}).")
    onset = series.get("continuous_growth_onset")
    if onset is not None:
        out.append(f"Continuous growth from {_at(onset, unit)} (the radius drifts and the distribution broadens).")
    empty = [m for m in series.get("samples") or [] if m.get("populations_withheld") and m.get("status") == "ok"]
    for m in empty:
        out.append(f"{m['sample']} ({_at(m['value'], unit)}) takes no part: {m['populations_withheld']}.")
    for m in series.get("samples") or []:
        if m.get("status") not in (None, "ok"):
            out.append(f"{m['sample']} ({_at(m['value'], unit)}) is missing: {m.get('reason') or m['status']}.")
    return out


def peaks_conclusions(series: dict[str, Any]) -> list[str]:
    """Sentences of a peaks series: the phase per member, where tracked peaks vanish, broad maxima."""
    unit = unit_of_key(series.get("by") or series.get("series_key") or "")
    out = []
    groups: list[tuple[str, list]] = []  # consecutive members with the same phase description
    for p in series.get("phases") or []:
        ph = p.get("phase")
        if ph:
            text = f"{ph['type']}, d = {ph['d_nm']:.3f} nm" if ph.get("d_nm") is not None else ph["type"]
        else:
            text = "no mesophase indexed"
        if groups and groups[-1][0] == text:
            groups[-1][1].append(p["value"])
        else:
            groups.append((text, [p["value"]]))
    for text, values in groups:
        where = _at(values[0], unit) if len(values) == 1 else f"{_num(values[0])} to {_at(values[-1], unit)}"
        out.append(f"{text[0].upper()}{text[1:]} ({where}).")
    gone: dict[Any, list[float]] = {}
    for t in series.get("tracks") or []:
        if t.get("vanishes_at") is not None:
            gone.setdefault(t["vanishes_at"], []).append(t["q_nm"])
    for value, qs in gone.items():
        qtext = ", ".join(f"{q:.3f}" for q in qs)
        out.append(f"Bragg peak{'s' if len(qs) > 1 else ''} at q = {qtext} 1/nm gone at {_at(value, unit)}.")
    maxima = [m["q_nm"] for b in series.get("broad_maxima") or [] for m in b.get("maxima") or []]
    if maxima:
        out.append(f"Broad maximum near q = {min(maxima):.2f}-{max(maxima):.2f} 1/nm "
                   f"(in {sum(bool(b.get('maxima')) for b in series['broad_maxima'])} of "
                   f"{len(series['broad_maxima'])} members).")
    return out


def series_conclusions(series: dict[str, Any]) -> list[str]:
    """Plain-words findings of one series entry of summary.json (``[]`` for a failed series)."""
    if series.get("status") != "done":
        return []
    if series.get("analysis") == "peaks":
        return peaks_conclusions(series)
    return steps_conclusions(series)
