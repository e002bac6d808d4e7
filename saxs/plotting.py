"""Figures of the batch: free functions taking plain arrays and ``ax=None``.

Every function draws on the given Matplotlib axes (or on new ones) and returns the axes it drew
on; none of them reads files, so the same function draws during a batch and in ``saxs plot``
(which reads the arrays back from the output files, see :mod:`saxs.pipeline.results`). Labels
carry units: q in 1/nm, radius in nm, intensity in its unit.

Functions
---------
plot_curve_fit          I(q) with error bars and the fitted curve, log-log, with a residual panel
plot_size_distribution  volume- (or number-) weighted histogram with error bars, the
                        observability limit and the mean
plot_waterfall          I(q) of every series member, offset by constant factors, log-log, with
                        peaks and broad maxima marked
figure_*                whole figures (with their own Figure, Agg canvas) built from the above

The series figures live in :mod:`saxs.figures` (``steps``: the paper-style distributions and the
steps summary; ``peaks``: peaks on I(q) and the peak series); ``plot_stacked_distributions`` and
``plot_peak_intensity`` are re-exported here.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .figures.common import (finish_figure, intensity_label, new_axes, new_figure, plain_log_ticks,  # noqa: F401
                             save_figure, shade_outside, value_pm, variable_label)
from .figures.peaks import plot_peak_intensity  # noqa: F401  (re-exported)
from .figures.steps import plot_stacked_distributions  # noqa: F401  (re-exported: the series figure)

# the names this module's drawing functions were written with
_axes = new_axes
_plain_minor_ticks = plain_log_ticks


def plot_curve_fit(q_nm, intensity, sigma, *, fit_q_nm=None, fit_intensity=None, intensity_unit: str = "1/cm",
                   label: str | None = None, ax=None, residual_ax=None, residuals=None,
                   residual_label: str = "(I - fit) / sigma (1)"):
    """Draw I(q) with error bars and, when given, the fitted curve (log-log).

    Parameters
    ----------
    q_nm, intensity, sigma : ndarray, shape (n,)
        The data, q in 1/nm. Points with I <= 0 are not drawn on the log axis.
    fit_q_nm, fit_intensity : ndarray, shape (m,), optional
        The fitted curve.
    intensity_unit : str
        Unit of ``intensity`` for the axis label.
    label : str, optional
        Legend entry of the data.
    ax : matplotlib Axes, optional
        Where to draw the curve (new axes when ``None``).
    residual_ax : matplotlib Axes, optional
        Where to draw the normalised residuals (I - fit) / sigma at the fitted q (needs the fit).
    residuals : (q_nm, intensity, sigma), optional
        The points and the sigma the residuals are computed with (e.g. the data as fitted and its
        own sigma, when the fit ran against a floored one); default the drawn data over the fitted q.
    residual_label : str
        y label of the residual panel: say which sigma it divides by.

    Returns
    -------
    Axes
        The axes of the curve.
    """
    ax = _axes(ax)
    q, i, s = (np.asarray(a, dtype=float) for a in (q_nm, intensity, sigma))
    good = (i > 0) & np.isfinite(i) & np.isfinite(s)
    ax.errorbar(q[good], i[good], yerr=np.minimum(s[good], 0.999 * i[good]), fmt=".", ms=3, lw=0.6,
                label=label or "data", zorder=1)
    if fit_q_nm is not None and fit_intensity is not None:
        ax.plot(fit_q_nm, fit_intensity, "-", lw=1.2, label="fit", zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_minor_ticks(ax)
    ax.set_xlabel("q (1/nm)")
    ax.set_ylabel(intensity_label(intensity_unit))
    ax.legend(loc="best", fontsize="small")
    if residual_ax is not None and fit_q_nm is not None and fit_intensity is not None:
        fq = np.asarray(fit_q_nm, dtype=float)
        rq, ri, rs = (q, i, s) if residuals is None else (np.asarray(a, dtype=float) for a in residuals)
        model = np.interp(rq, fq, np.asarray(fit_intensity, dtype=float))
        inside = (rq >= fq.min()) & (rq <= fq.max()) & (rs > 0)
        residual_ax.plot(rq[inside], (ri[inside] - model[inside]) / rs[inside], ".", ms=3)
        residual_ax.axhline(0.0, color="k", lw=0.6)
        residual_ax.set_xscale("log")
        _plain_minor_ticks(residual_ax)
        residual_ax.set_xlabel("q (1/nm)")
        residual_ax.set_ylabel(residual_label)
    return ax


def plot_size_distribution(edges_nm, values, std, *, observability=None, weighting: str = "volume",
                           unit: str = "absolute", log_radius: bool = False, label: str | None = None,
                           mean_nm: float | None = None, mean_nm_std: float | None = None, mean_label: str = "mean",
                           ax=None):
    """Draw a size histogram with error bars, its observability limit and its mean.

    Parameters
    ----------
    edges_nm : ndarray, shape (n_bins + 1,)
        Bin edges, nm.
    values, std : ndarray, shape (n_bins,)
        Weight per bin (volume fraction, or number density for ``weighting="number"``) and its
        standard deviation over repetitions. Empty bins (or bins whose value + std is below 1 % of
        the tallest) get no error bar; a lower error bar stops at zero.
    observability : ndarray, shape (n_bins,), optional
        Smallest weight per bin the data could show; drawn as a dashed step line.
    weighting : str
        ``"volume"`` or ``"number"`` (axis label).
    unit : str
        ``"absolute"`` (volume fraction, number density in 1/nm^3) or ``"relative"``.
    log_radius : bool
        Logarithmic radius axis (for logarithmically spaced bins).
    label : str, optional
        Legend entry.
    mean_nm, mean_nm_std : float, optional
        Mean radius (and its uncertainty), nm: a vertical line, its value in the legend.
    mean_label : str
        What the mean is ("volume-weighted mean, 0.3-4 nm").
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    e = np.asarray(edges_nm, dtype=float)
    v = np.asarray(values, dtype=float)
    s = np.asarray(std, dtype=float)
    centers = np.sqrt(e[:-1] * e[1:]) if log_radius else 0.5 * (e[:-1] + e[1:])
    ax.bar(e[:-1], v, width=np.diff(e), align="edge", alpha=0.6, label=label or "histogram")
    tallest = float(np.nanmax(v + np.where(np.isfinite(s), s, 0.0))) if v.size else 0.0
    # no error bar where the bin is empty or too small to see (their caps would draw a dashed row at zero)
    shown = (s > 0) & np.isfinite(s) & np.isfinite(v) & (v + s > 0.01 * tallest)
    lower = np.clip(np.minimum(s, v), 0.0, None)
    ax.errorbar(centers[shown], v[shown], yerr=np.vstack([lower[shown], s[shown]]), fmt="none", ecolor="k",
                lw=0.7, capsize=1.5, label="std over repetitions")
    if observability is not None:
        obs = np.asarray(observability, dtype=float)
        ax.step(e, np.append(obs, obs[-1]), where="post", ls="--", color="C3", lw=1.0, label="observability limit")
    if mean_nm is not None and np.isfinite(mean_nm):  # up to the bars' height: the legend sits above
        text = value_pm(mean_nm, mean_nm_std if mean_nm_std is not None else math.nan, "nm")
        ax.plot([mean_nm, mean_nm], [0.0, 1.08 * tallest if tallest > 0 else 1.0], color="C2", lw=1.2, ls="-.",
                label=f"{mean_label} {text}")
    if log_radius:
        ax.set_xscale("log")
        _plain_minor_ticks(ax)
    ax.set_xlabel("radius r (nm)")
    if weighting == "number":
        ax.set_ylabel("number density per bin (1/nm^3)" if unit == "absolute" else "number weight per bin (relative)")
    else:
        ax.set_ylabel("volume fraction per bin (1)" if unit == "absolute" else "volume weight per bin (relative)")
    if tallest > 0:  # headroom for the legend above the bars
        ax.set_ylim(0.0, 1.55 * tallest)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_waterfall(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], *, intensity_unit: str = "1/cm",
                   factor: float = 3.0, marks=None, ax=None):
    """Draw I(q) of every member, multiplied by ``factor**k`` so the curves do not overlap (log-log).

    Parameters
    ----------
    curves : sequence of (label, q_nm (n,), intensity (n,))
        In series order; the first is drawn unscaled.
    intensity_unit : str
    factor : float
        Ratio between neighbouring curves.
    marks : sequence of (kind, q_nm (m,)), one per curve, optional
        Positions to mark on each curve: ``kind`` "peaks" (Bragg peaks, a triangle above the
        curve) or "broad" (broad correlation maxima, an open circle on the curve); a member may
        have several entries (pass a list of such pairs per curve).
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    style = {"peaks": dict(marker="v", ms=6, color="k", label="Bragg peak"),
             "broad": dict(marker="o", ms=7, mfc="none", color="k", label="broad maximum (correlation peak)")}
    seen = set()
    lines, mark_lines = [], []
    for k, (label, q, i) in enumerate(curves):
        q = np.asarray(q, dtype=float)
        i = np.asarray(i, dtype=float)
        good = i > 0
        lines += ax.plot(q[good], i[good] * factor**k, "-", lw=1.0, label=f"{label} (x{factor**k:g})")
        for kind, where in (marks[k] if marks is not None else ()):
            where = np.asarray(where, dtype=float)
            if not where.size or not good.any():
                continue
            y = np.exp(np.interp(np.log(where), np.log(q[good]), np.log(i[good]))) * factor**k
            opts = dict(style[kind])
            if kind in seen:
                opts.pop("label")
            seen.add(kind)
            mark_lines += ax.plot(where, y * (1.8 if kind == "peaks" else 1.0), ls="none", zorder=3, **opts)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_minor_ticks(ax)
    ax.set_xlabel("q (1/nm)")
    ax.set_ylabel(intensity_label(intensity_unit) + ", offset")
    if curves:  # the members in series order, then what the marks mean
        ax.legend(handles=lines + [m for m in mark_lines if not m.get_label().startswith("_")], loc="best",
                  fontsize="x-small")
    return ax


# --------------------------------------------------------------------------- whole figures
def figure_curve_fit(q_nm, intensity, sigma, *, fit_q_nm=None, fit_intensity=None, intensity_unit="1/cm",
                     title: str = "", residuals=None, residual_label: str = "(I - fit) / sigma (1)"):
    """Figure: I(q) with the fit (top) and normalised residuals (bottom, shared q axis).

    ``residuals`` and ``residual_label`` as in :func:`plot_curve_fit`. The q range outside the
    fitted one (the span of ``fit_q_nm``) is shaded grey on both panels.
    """
    fig = new_figure(figsize=(6.0, 5.5))
    fig.get_layout_engine().set(h_pad=0.02, hspace=0.0)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    plot_curve_fit(q_nm, intensity, sigma, fit_q_nm=fit_q_nm, fit_intensity=fit_intensity,
                   intensity_unit=intensity_unit, ax=top, residual_ax=bottom if fit_q_nm is not None else None,
                   residuals=residuals, residual_label=residual_label)
    i = np.asarray(intensity, dtype=float)
    shown = i[(i > 0) & np.isfinite(i)]
    if shown.size:  # the points, not the lower error bars of the noisiest ones, set the intensity range
        low, high = top.get_ylim()
        top.set_ylim(max(low, 0.3 * float(shown.min())), high)
    if fit_q_nm is None:
        bottom.set_visible(False)
    else:  # the shared q axis is labelled once, under the residuals
        top.set_xlabel("")
        top.tick_params(labelbottom=False)
        fq = np.asarray(fit_q_nm, dtype=float)
        shade_outside(top, float(fq.min()), float(fq.max()), label="not fitted")
        shade_outside(bottom, float(fq.min()), float(fq.max()))
        top.legend(loc="best", fontsize="small")
    top.set_title(title, fontsize="medium" if "\n" in title else None)
    finish_figure(fig)
    return fig


def figure_single(draw, *args, title: str = "", figsize=(6.0, 4.5), **kwargs):
    """Figure with one axes drawn by ``draw(*args, ax=ax, **kwargs)`` (one of the plot_* functions)."""
    fig = new_figure(figsize=figsize)
    ax = fig.add_subplot()
    draw(*args, ax=ax, **kwargs)
    if title and not ax.get_title():
        ax.set_title(title)
    finish_figure(fig)
    return fig
