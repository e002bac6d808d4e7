"""Figures of Bragg peaks: the peaks found on one curve, and a peak series.

- :func:`plot_peaks_on_curve` draws I(q) with each found peak marked and labelled with its order
  in the indexed phase, and the broad correlation maxima;
- :func:`plot_peak_intensity` draws each tracked peak's area against the series variable;
- :func:`plot_lattice_series` draws the lattice parameter (lamellar d-spacing) +- its uncertainty
  against the series variable, each point named by its phase, members without a phase marked;
- :func:`plot_broad_maxima_series` draws the position of the broad correlation maximum against the
  series variable;
- :func:`figure_peak_series` stacks the last three.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .common import finish_figure, intensity_label, new_axes, new_figure, plain_log_ticks


def order_label(phase_type: str | None, order: int | None) -> str:
    """How a peak's order is written: lamellar ``"001"``-style index n as ``"n=2"``, others ``"sqrt N"``.

    Examples
    --------
    >>> order_label("lamellar", 2)
    'n=2'
    >>> order_label("hexagonal", 3)
    '√3'
    >>> order_label(None, None)
    '?'
    """
    if phase_type is None or order is None:
        return "?"
    return f"n={order}" if phase_type == "lamellar" else f"\u221a{order}"


def peak_orders(peaks_q_nm, phase: dict | None) -> list[int | None]:
    """Order of each peak in ``phase`` (its ``as_dict``): matched by position; None where not indexed."""
    if not phase:
        return [None] * len(peaks_q_nm)
    indexed = np.asarray(phase.get("indexed_q_nm", ()), dtype=float)
    orders = list(phase.get("orders", ()))
    out = []
    for q in peaks_q_nm:
        if indexed.size:
            k = int(np.argmin(np.abs(indexed - q)))
            out.append(int(orders[k]) if abs(indexed[k] - q) <= 1e-6 * max(abs(q), 1.0) else None)
        else:
            out.append(None)
    return out


def plot_peaks_on_curve(q_nm, intensity, sigma, *, peaks_q_nm=(), orders=None, phase_type: str | None = None,
                        broad_q_nm=(), intensity_unit: str = "1/cm", ax=None):
    """Draw I(q) (log-log) with the found Bragg peaks marked and labelled with their order.

    Parameters
    ----------
    q_nm, intensity, sigma : ndarray, shape (n,)
        The curve the peaks were searched on.
    peaks_q_nm : sequence of float
        Positions of the accepted peaks, 1/nm: a triangle above the curve, labelled with the
        order (:func:`order_label`).
    orders : sequence of int or None, optional
        Order of each peak in the indexed phase (None: not indexed).
    phase_type : str, optional
        The indexed phase (``lamellar``, ``hexagonal``, ...).
    broad_q_nm : sequence of float
        Broad maxima of the smooth background (correlation peaks): an open circle on the curve.
    intensity_unit : str
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax)
    q, i, s = (np.asarray(a, dtype=float) for a in (q_nm, intensity, sigma))
    good = (i > 0) & np.isfinite(i) & np.isfinite(s)
    ax.errorbar(q[good], i[good], yerr=np.minimum(s[good], 0.999 * i[good]), fmt=".", ms=3, lw=0.5,
                color="C0", label="data", zorder=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    lq, li = np.log(q[good]), np.log(i[good])

    def height(x):
        # the curve's top near x (+-2 % in q), so a marker sits above the peak, not on its flank
        near = np.abs(lq - math.log(x)) <= 0.02
        return float(np.exp(li[near].max())) if near.any() else float(np.exp(np.interp(math.log(x), lq, li)))

    orders = list(orders) if orders is not None else [None] * len(peaks_q_nm)
    for k, (x, n) in enumerate(zip(peaks_q_nm, orders)):
        y = 1.6 * height(x)
        ax.plot([x], [y], marker="v", color="C3", ms=7, ls="none", label="Bragg peak" if k == 0 else None)
        ax.annotate(f"{order_label(phase_type, n)}\n{x:.3g}", (x, y), xytext=(0, 6), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small", color="C3")
    for k, x in enumerate(broad_q_nm):
        y = float(np.exp(np.interp(math.log(x), lq, li)))
        ax.plot([x], [y], marker="o", ms=10, mfc="none", mec="k", ls="none",
                label="broad maximum (correlation peak)" if k == 0 else None)
        ax.annotate(f"{x:.3g}", (x, y), xytext=(0, -14), textcoords="offset points", ha="center", fontsize="small")
    bottom, top = ax.get_ylim()
    if good.any():  # the points, not the lower error bars of the noisiest ones, set the range
        bottom = max(bottom, 0.3 * float(i[good].min()))
    if len(peaks_q_nm):  # room above the tallest label
        top = top * (top / bottom) ** 0.12
    ax.set_ylim(bottom, top)
    plain_log_ticks(ax)
    ax.set_xlabel("q (1/nm)")
    ax.set_ylabel(intensity_label(intensity_unit))
    ax.legend(loc="lower left", fontsize="small")
    return ax


def plot_peak_intensity(variable, intensities, sigmas, *, peak_labels: Sequence[str], variable_label: str,
                        present=None, intensity_unit: str = "1/cm", ax=None):
    """Draw the intensity of each Bragg peak against the series variable.

    Parameters
    ----------
    variable : ndarray, shape (n_members,)
        The series variable (e.g. temperature in C).
    intensities, sigmas : ndarray, shape (n_peaks, n_members)
        Integrated peak intensity and its uncertainty; NaN where the peak was not found.
    peak_labels : sequence of str, length n_peaks
        Legend entries (e.g. "q = 1.84 1/nm (001)").
    variable_label : str
        x label with its unit.
    present : ndarray of bool, shape (n_peaks, n_members), optional
        Whether the peak was found in each member; where it was not, the area measured at the
        track's fixed position is drawn with an open marker (how it fades to zero).
    intensity_unit : str
        Unit of the curve the peaks were measured on.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax)
    x = np.asarray(variable, dtype=float)
    ints = np.atleast_2d(np.asarray(intensities, dtype=float))
    sigs = np.atleast_2d(np.asarray(sigmas, dtype=float))
    found = np.ones(ints.shape, dtype=bool) if present is None else np.atleast_2d(np.asarray(present, dtype=bool))
    for label, i, s, ok in zip(peak_labels, ints, sigs, found):
        bars = ax.errorbar(x, i, yerr=s, fmt="o-", ms=4, capsize=2, label=label)
        if not ok.all():
            ax.plot(x[~ok], i[~ok], "o", ms=7, mfc="white", color=bars.lines[0].get_color(), zorder=3,
                    label="not found (area at the track's position)" if label == peak_labels[0] else None)
    ax.set_xlabel(variable_label)
    unit = "1/cm 1/nm" if intensity_unit == "1/cm" else "arbitrary units"
    ax.set_ylabel(f"integrated peak intensity ({unit})")
    if len(peak_labels):
        ax.legend(loc="best", fontsize="small")
    return ax


def plot_lattice_series(variable, phase_types, d_nm, d_nm_std, *, variable_label: str, ax=None):
    """Lattice parameter +- uncertainty against the series variable, each point named by its phase.

    Parameters
    ----------
    variable : ndarray, shape (n,)
    phase_types : sequence of str or None, length n
        Indexed phase of each member (None: no phase indexed, drawn as a cross on the axis).
    d_nm, d_nm_std : ndarray, shape (n,)
        Lamellar repeat distance d or lattice constant a, nm (NaN without a phase).
    variable_label : str
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax)
    x = np.asarray(variable, dtype=float)
    d = np.asarray(d_nm, dtype=float)
    dd = np.asarray(d_nm_std, dtype=float)
    has = np.array([p is not None for p in phase_types], dtype=bool) & np.isfinite(d)
    if has.any():
        ax.errorbar(x[has], d[has], yerr=dd[has], fmt="o", ms=5, capsize=3, color="C1",
                    label="indexed phase: lattice parameter")
        for xi, di, p in zip(x[has], d[has], np.asarray(phase_types, dtype=object)[has]):
            ax.annotate(str(p), (xi, di), xytext=(6, 0), textcoords="offset points", va="center", fontsize="small")
        spread = max(float(np.ptp(d[has])), 0.02 * float(np.nanmean(d[has])))
        mid = 0.5 * (float(d[has].max()) + float(d[has].min()))
        ax.set_ylim(mid - spread, mid + spread)
    if (~has).any():
        ax.plot(x[~has], np.full((~has).sum(), 0.08), "x", ms=8, mew=1.5, color="k", transform=ax.get_xaxis_transform(),
                clip_on=False, label="no phase indexed")
        for xi in x[~has]:  # the cross sits on the axis, not at a d value: say so beside it
            ax.annotate("none", (xi, 0.08), xycoords=ax.get_xaxis_transform(), xytext=(-7, 0), ha="right",
                        textcoords="offset points", va="center", fontsize="small")
    ax.set_xlabel(variable_label)
    ax.set_ylabel("d-spacing d (nm)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_broad_maxima_series(variable, broad_q_nm, *, variable_label: str, ax=None):
    """Position of each member's broad correlation maximum against the series variable.

    Parameters
    ----------
    variable : ndarray, shape (n,)
    broad_q_nm : sequence of sequences of float, length n
        The broad maxima of each member, 1/nm (may be empty).
    """
    ax = new_axes(ax)
    xs = [float(v) for v, qs in zip(variable, broad_q_nm) for _ in qs]
    qs = [float(q) for q_list in broad_q_nm for q in q_list]
    ax.plot(xs, qs, "o", mfc="none", mec="k", ms=7, label="broad maximum (correlation peak)")
    if not qs:
        ax.text(0.5, 0.5, "no broad maximum found", transform=ax.transAxes, ha="center", va="center",
                fontsize="small", color="0.4")
        ax.set_yticks([])
    else:
        lo, hi = min(qs), max(qs)
        pad = max(0.25 * (hi - lo), 0.1 * hi)
        ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(variable_label)
    ax.set_ylabel("q of broad max. (1/nm)")
    return ax


def figure_peak_series(variable, *, intensities, sigmas, present, peak_labels, phase_types, d_nm, d_nm_std,
                       broad_q_nm, variable_label: str, intensity_unit: str = "1/cm", title: str = ""):
    """Figure: peak areas (top), d-spacing and phase (middle), broad maximum (bottom) vs the series variable."""
    fig = new_figure(figsize=(6.0, 7.5))
    top, middle, bottom = fig.subplots(3, 1, sharex=True, height_ratios=(2.2, 1.4, 1.0))
    plot_peak_intensity(variable, intensities, sigmas, peak_labels=peak_labels, variable_label="",
                        present=present, intensity_unit=intensity_unit, ax=top)
    plot_lattice_series(variable, phase_types, d_nm, d_nm_std, variable_label="", ax=middle)
    plot_broad_maxima_series(variable, broad_q_nm, variable_label=variable_label, ax=bottom)
    for a in (top, middle):
        a.set_xlabel("")
    top.set_title(title)
    finish_figure(fig)
    return fig
