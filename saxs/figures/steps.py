"""Figures of a quantized-growth (steps) series: the paper-style distributions and the summary.

- :func:`plot_stacked_distributions` (plain arrays) draws the paper's figure: relative volume
  fraction against radius, one curve per member offset vertically in series order, families as
  dashed lines labelled with their radius, shoulders marked, the onset of continuous growth drawn
  as a line between rows;
- :func:`plot_steps_summary` draws the dominant radius +- its population width and its volume
  fraction against the series variable, with the families, the steps and the onset of
  continuous growth;
- :class:`StepsFigureData` holds what both need, built from a :class:`mcfit.steps.SeriesResult`
  in memory (``saxs series``) or from its HDF5 group (``saxs batch``, ``saxs plot``), so both
  commands draw with the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .common import finish_figure, new_axes, new_figure, variable_label

#: Colours of the families (index modulo length), the same in both figures.
FAMILY_COLOURS = ("C3", "C2", "C4", "C5", "C6", "C8", "C9")
#: Marker and legend text of each member state of mcfit.steps.
STATE_STYLE = {"family": ("o", "magic-size family"), "mixture": ("s", "mixture of two families"),
               "continuous": ("D", "continuous growth")}
#: Row tags of the member states in the distribution figure.
STATE_TAGS = {"mixture": " (mixture)", "continuous": " (continuous)"}


@dataclass(frozen=True)
class StepsFigureData:
    """What the steps figures draw; members in series order.

    Attributes
    ----------
    series_key : str
        Name of the series variable (``nucleation_temperature_C``).
    values : ndarray, shape (n,)
        Series variable of each member.
    labels, states : tuple of str, length n
        Member names and their state (``family``, ``mixture``, ``continuous``, ...).
    dominant_radius_nm, dominant_radius_nm_std, dominant_width_nm : ndarray, shape (n,)
        Mean radius of the dominant population, its uncertainty and the population's width, nm.
    dominant_volume_fraction, dominant_volume_fraction_std : ndarray, shape (n,)
        Volume fraction of the dominant population and its uncertainty (NaN when not known).
    histograms : tuple of (edges_nm (m+1,), volume (m,), volume_std (m,)) or None, length n
    families_nm, families_nm_std : ndarray, shape (f,)
        Family radii and their uncertainties, nm.
    shoulders : tuple of (value, radius_nm)
        Where a shoulder (a second family) was found, and its radius.
    steps : tuple of (from_nm, to_nm, value_before, value_after)
    continuous_growth_onset : float or None
        First series value of continuous growth.
    volume_unit : str
        ``"absolute"`` (volume fraction) or ``"relative"``.
    """

    series_key: str
    values: np.ndarray
    labels: tuple
    states: tuple
    dominant_radius_nm: np.ndarray
    dominant_radius_nm_std: np.ndarray
    dominant_width_nm: np.ndarray
    dominant_volume_fraction: np.ndarray
    dominant_volume_fraction_std: np.ndarray
    histograms: tuple
    families_nm: np.ndarray
    families_nm_std: np.ndarray
    shoulders: tuple
    steps: tuple
    continuous_growth_onset: float | None
    volume_unit: str = "absolute"

    @classmethod
    def from_result(cls, result, *, dominant_volume_fractions=None, volume_unit: str = "absolute"):
        """From a :class:`mcfit.steps.SeriesResult`.

        ``dominant_volume_fractions``: optional mapping member label -> (volume fraction, std) of
        its dominant population (the result itself does not keep them).
        """
        ms = result.members
        vf = dominant_volume_fractions or {}
        nan = (math.nan, math.nan)
        hists = tuple(None if h is None else (h.radius_edges_nm, h.volume_fraction, h.volume_fraction_std)
                      for h in (result.histograms or (None,) * len(ms)))
        return cls(
            series_key=result.series_key or "series value",
            values=np.array([m.value for m in ms], dtype=float), labels=tuple(m.label for m in ms),
            states=tuple(m.state for m in ms),
            dominant_radius_nm=np.array([m.dominant_radius_nm for m in ms], dtype=float),
            dominant_radius_nm_std=np.array([m.dominant_radius_nm_std for m in ms], dtype=float),
            dominant_width_nm=np.array([m.dominant_width_nm for m in ms], dtype=float),
            dominant_volume_fraction=np.array([vf.get(m.label, nan)[0] for m in ms], dtype=float),
            dominant_volume_fraction_std=np.array([vf.get(m.label, nan)[1] for m in ms], dtype=float),
            histograms=hists,
            families_nm=np.array([f.radius_nm for f in result.families], dtype=float),
            families_nm_std=np.array([f.radius_nm_std for f in result.families], dtype=float),
            shoulders=tuple((s.at, s.radius_nm) for s in result.shoulders),
            steps=tuple((s.from_nm, s.to_nm, s.between[0], s.between[1]) for s in result.steps),
            continuous_growth_onset=result.continuous_growth_onset, volume_unit=volume_unit)

    @classmethod
    def from_hdf5(cls, group, *, series_key: str | None = None, dominant_volume_fractions=None,
                  volume_unit: str = "absolute"):
        """From the h5py group :meth:`mcfit.steps.SeriesResult.to_hdf5` wrote (``steps_analysis``)."""
        def text(v):
            return v.decode() if isinstance(v, bytes) else str(v)

        m = group["members"]
        labels = tuple(text(v) for v in m["label"][()])
        n = len(labels)
        hists = [None] * n
        for name, sub in group["histograms"].items():
            i = int(name.rsplit("_", 1)[-1])
            hists[i] = (sub["radius_edges_nm"][()], sub["volume_fraction"][()], sub["volume_fraction_std"][()])
        vf = dominant_volume_fractions or {}
        nan = (math.nan, math.nan)
        f, st, sh = group["families"], group["steps"], group["shoulders"]
        onset = float(group["continuous_growth_onset"][()])
        key = series_key or text(group.attrs.get("series_key", "series value"))
        return cls(
            series_key=key, values=np.asarray(m["value"][()], dtype=float), labels=labels,
            states=tuple(text(v) for v in m["state"][()]),
            dominant_radius_nm=np.asarray(m["dominant_radius_nm"][()], dtype=float),
            dominant_radius_nm_std=np.asarray(m["dominant_radius_nm_std"][()], dtype=float),
            dominant_width_nm=np.asarray(m["dominant_width_nm"][()], dtype=float),
            dominant_volume_fraction=np.array([vf.get(lab, nan)[0] for lab in labels], dtype=float),
            dominant_volume_fraction_std=np.array([vf.get(lab, nan)[1] for lab in labels], dtype=float),
            histograms=tuple(hists),
            families_nm=np.asarray(f["radius_nm"][()], dtype=float),
            families_nm_std=np.asarray(f["radius_nm_std"][()], dtype=float),
            shoulders=tuple(zip(sh["at"][()].tolist(), sh["radius_nm"][()].tolist())),
            steps=tuple((a, b, c[0], c[1]) for a, b, c in zip(st["from_nm"][()].tolist(), st["to_nm"][()].tolist(),
                                                            st["between"][()].tolist())),
            continuous_growth_onset=None if not math.isfinite(onset) else onset, volume_unit=volume_unit)


# --------------------------------------------------------------------------- paper-style distributions
def relative_distribution(values, std):
    """A member's histogram as relative volume fractions: each bin's share of the member's volume.

    Returns ``(values / total, std / total)`` (zeros when the total is not positive).
    """
    v = np.asarray(values, dtype=float)
    s = np.asarray(std, dtype=float)
    total = float(np.nansum(v))
    if not total > 0:
        return np.zeros_like(v), np.zeros_like(s)
    return v / total, s / total


def _radius_window(rows, families_nm) -> tuple[float, float] | None:
    """Linear radius range holding every bin above 2 % of the tallest one (and the families)."""
    tallest = max((float(np.nanmax(r)) for _, _, r, _ in rows if r.size), default=0.0)
    if not tallest > 0:
        return None
    lo, hi = math.inf, -math.inf
    for _, e, r, _ in rows:
        above = np.flatnonzero(r > 0.02 * tallest)
        if above.size:
            lo, hi = min(lo, e[above[0]]), max(hi, e[above[-1] + 1])
    for f in families_nm:
        lo, hi = min(lo, f), max(hi, f)
    pad = 0.15 * (hi - lo)
    first = min(float(e[0]) for _, e, _, _ in rows)
    last = max(float(e[-1]) for _, e, _, _ in rows)
    return max(lo - pad, first), min(hi + pad, last)


def plot_stacked_distributions(histograms: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]], *,
                               variable_label: str = "", families_nm=(), families_nm_std=(), shoulders=(),
                               continuous_from: int | None = None, ax=None, **_ignored):
    """The paper's figure: relative volume fraction against radius, one member per row, offset.

    Parameters
    ----------
    histograms : sequence of (label, edges_nm (m+1,), volume (m,), volume_std (m,))
        In series order (bottom first). Each is divided by its own total (sum over bins), so a
        curve shows the share of that member's particle volume per bin and a broad distribution
        stands lower than a narrow one; all rows are offset by the same step (the tallest bin of
        any member, plus 5 %).
    variable_label : str
        Title.
    families_nm, families_nm_std : sequence of float
        Family radii (dashed vertical lines, labelled with their radius on a top axis) and their
        uncertainty (shaded).
    shoulders : sequence of (row index, radius_nm)
        A black triangle above that row's curve at the shoulder's radius.
    continuous_from : int, optional
        Row where continuous growth starts: a dotted line under it, labelled.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
        Its ``offsets`` attribute (list of float) holds each row's baseline.
    """
    ax = new_axes(ax)
    rows = []
    for label, edges, values, std in histograms:
        rel, rel_std = relative_distribution(values, std)
        rows.append((label, np.asarray(edges, dtype=float), rel, rel_std))
    tallest = max((float(np.nanmax(r)) for _, _, r, _ in rows if r.size), default=0.0)
    step = 1.05 * tallest if tallest > 0 else 1.0
    offsets = []
    for k, (label, e, rel, rel_std) in enumerate(rows):
        base = k * step
        centers = 0.5 * (e[:-1] + e[1:])
        line = ax.stairs(base + rel, e, baseline=base, fill=True, alpha=0.3, lw=0)
        ax.stairs(base + rel, e, baseline=None, lw=1.1, color=line.get_facecolor()[:3], label=label)
        err = rel_std > 0
        ax.errorbar(centers[err], base + rel[err], yerr=rel_std[err], fmt="none", lw=0.5,
                    ecolor=line.get_facecolor()[:3])
        offsets.append(base)
    ax.offsets = offsets
    ax.set_yticks(offsets, [r[0] for r in rows])
    stds = list(families_nm_std) + [0.0] * (len(families_nm) - len(families_nm_std))
    for i, (r, dr) in enumerate(zip(families_nm, stds)):
        c = FAMILY_COLOURS[i % len(FAMILY_COLOURS)]
        ax.axvline(r, color=c, ls="--", lw=1.0)
        if dr > 0:
            ax.axvspan(r - dr, r + dr, color=c, alpha=0.15, lw=0)
    marked = False
    for row, radius in shoulders:
        if 0 <= row < len(rows):
            _, e, rel, _ = rows[row]
            k = int(np.clip(np.searchsorted(e, radius) - 1, 0, rel.size - 1))
            ax.plot([radius], [offsets[row] + rel[k] + 0.12 * step], marker="v", color="k", ms=7, ls="none",
                    label=None if marked else "shoulder (second family)")
            marked = True
    if continuous_from is not None and 0 < continuous_from < len(rows):
        y = offsets[continuous_from] - 0.06 * step
        ax.axhline(y, color="k", ls=":", lw=0.9)
        ax.annotate("continuous growth above", (1.0, y), xycoords=("axes fraction", "data"), xytext=(-4, -3),
                    textcoords="offset points", ha="right", va="top", fontsize="small")
    ax.set_ylim(-0.05 * step, (len(rows) + 0.15) * step if rows else 1.0)
    window = _radius_window(rows, families_nm) if rows else None
    if window is not None:
        ax.set_xlim(*window)
    if len(families_nm):
        top = ax.secondary_xaxis("top")
        top.set_xticks(list(families_nm), [f"{r:.3g}" for r in families_nm], rotation=90, fontsize="small")
        for text, i in zip(top.get_xticklabels(), range(len(families_nm))):
            text.set_color(FAMILY_COLOURS[i % len(FAMILY_COLOURS)])
        top.set_xlabel("magic-size families: radius (nm)", fontsize="small")
    if marked:
        ax.legend(handles=[h for h in ax.get_lines() if h.get_label() == "shoulder (second family)"],
                  loc="upper right", fontsize="small")
    ax.set_xlabel("radius r (nm)")
    ax.set_ylabel("relative volume fraction per bin (offset)")
    if variable_label:
        ax.set_title(variable_label)
    return ax


def plot_series_distributions(data: StepsFigureData, *, title: str | None = None, ax=None):
    """:func:`plot_stacked_distributions` of a steps series: rows tagged with their state."""
    rows, row_of = [], {}
    onset_row = None
    for value, state, h in zip(data.values, data.states, data.histograms):
        if h is None:
            continue
        row_of.setdefault(float(value), len(rows))
        if onset_row is None and data.continuous_growth_onset is not None and value >= data.continuous_growth_onset:
            onset_row = len(rows)
        rows.append((f"{value:g}{STATE_TAGS.get(state, '')}",) + tuple(h))
    shoulders = [(row_of[float(at)], r) for at, r in data.shoulders if float(at) in row_of]
    ax = plot_stacked_distributions(rows, families_nm=data.families_nm, families_nm_std=data.families_nm_std,
                                    shoulders=shoulders, continuous_from=onset_row, ax=ax,
                                    variable_label=title if title is not None else
                                    f"size distributions by {variable_label(data.series_key)}")
    ax.set_ylabel(f"{variable_label(data.series_key)}: relative volume fraction per bin (offset)")
    return ax


def figure_series_distributions(data: StepsFigureData, *, title: str | None = None):
    """A Figure holding :func:`plot_series_distributions`, tall enough for its rows."""
    n = max(sum(h is not None for h in data.histograms), 1)
    fig = new_figure(figsize=(6.0, min(2.6 + 0.6 * n, 14.0)))
    plot_series_distributions(data, title=title, ax=fig.add_subplot())
    finish_figure(fig)
    return fig


# --------------------------------------------------------------------------- summary
def _state_markers(ax, x, y, yerr, states, **kwargs):
    for state in dict.fromkeys(states):
        sel = np.array([s == state for s in states], dtype=bool)
        marker, text = STATE_STYLE.get(state, ("^", state))
        ax.errorbar(x[sel], y[sel], yerr=yerr[sel], fmt=marker, ms=5, capsize=2.5, label=text, **kwargs)


def plot_steps_summary(data: StepsFigureData, *, ax=None, fraction_ax=None):
    """Dominant radius +- population width (and its volume fraction) against the series variable.

    Parameters
    ----------
    data : StepsFigureData
    ax : matplotlib Axes, optional
        Radius panel: the dominant population's mean radius, error bars = its width (standard
        deviation of the radius within the population), one marker per member state; families as
        horizontal lines labelled with their radius; each step an arrow between the two members
        it lies between; continuous growth shaded from its onset.
    fraction_ax : matplotlib Axes, optional
        Volume fraction panel: the dominant population's volume fraction +- its uncertainty.

    Returns
    -------
    Axes
        The radius panel.
    """
    ax = new_axes(ax)
    x = data.values
    _state_markers(ax, x, data.dominant_radius_nm, data.dominant_width_nm, list(data.states))
    for i, (r, dr) in enumerate(zip(data.families_nm, data.families_nm_std)):
        c = FAMILY_COLOURS[i % len(FAMILY_COLOURS)]
        ax.axhline(r, color=c, ls=":", lw=1.0)
        ax.annotate(f"family {r:.3g} nm", (1.0, r), xycoords=("axes fraction", "data"), xytext=(-3, 2),
                    textcoords="offset points", color=c, fontsize="small", ha="right", va="bottom")
    for k, (r0, r1, v0, v1) in enumerate(data.steps):
        xm = 0.5 * (v0 + v1)
        ax.annotate("", (xm, r1), xytext=(xm, r0), arrowprops=dict(arrowstyle="->", color="k", lw=1.2))
        ax.plot([], [], color="k", marker=r"$\uparrow$", ls="none", label="step" if k == 0 else None)
    panels = [ax] + ([fraction_ax] if fraction_ax is not None else [])
    if data.continuous_growth_onset is not None:
        onset = data.continuous_growth_onset
        before = x[x < onset]
        start = 0.5 * (before.max() + onset) if before.size else onset
        for i, a in enumerate(panels):
            a.axvspan(start, x.max() + 0.5 * (x.max() - start) + 1e-12, color="0.5", alpha=0.12, lw=0,
                      label=f"continuous growth from {onset:g}" if i == 0 else None)
    ax.set_ylabel("dominant radius \u00b1 population width (nm)")
    ax.legend(loc="upper left", fontsize="small")
    if fraction_ax is not None:
        _state_markers(fraction_ax, x, data.dominant_volume_fraction, data.dominant_volume_fraction_std,
                       list(data.states))
        fraction_ax.set_ylabel("volume fraction (1)" if data.volume_unit == "absolute"
                               else "volume fraction (relative)")
        fraction_ax.set_xlabel(variable_label(data.series_key))
        top = np.nanmax(data.dominant_volume_fraction + np.nan_to_num(data.dominant_volume_fraction_std))
        if np.isfinite(top) and top > 0:
            fraction_ax.set_ylim(0.0, 1.15 * top)
        ax.tick_params(labelbottom=False)
    else:
        ax.set_xlabel(variable_label(data.series_key))
    return ax


def figure_steps_summary(data: StepsFigureData, *, title: str = ""):
    """Figure: :func:`plot_steps_summary` with the radius panel over the volume fraction panel."""
    fig = new_figure(figsize=(6.0, 6.0))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    plot_steps_summary(data, ax=top, fraction_ax=bottom)
    top.set_title(title or f"dominant population by {variable_label(data.series_key)}")
    finish_figure(fig)
    return fig
