"""Plot helpers for a :class:`mcfit.FitResult` (free functions taking ``ax=None``; matplotlib imported lazily)."""

from __future__ import annotations

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def plot_fit(result, ax=None):
    """Data with error bars and the fitted curve (mean over repetitions), log-log. Returns the axes."""
    ax = _axes(ax)
    ax.errorbar(result.q_nm, result.intensity, yerr=result.sigma, fmt=".", ms=3, lw=0.5, label="data")
    ax.plot(result.q_nm, result.fit_intensity, "-", lw=1.2, label=f"fit (reduced chi2 {result.chi2_reduced:.3g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("q (1/nm)")
    ax.set_ylabel("I")
    ax.legend()
    return ax


def plot_histogram(result, ax=None, *, weighting: str = "volume"):
    """Averaged size histogram (bars with +- std over repetitions), the observability limit per bin
    (red line) and the populations' windows (shaded). ``weighting``: "volume" or "number"."""
    ax = _axes(ax)
    h = result.histogram
    values = h.volume if weighting == "volume" else h.number
    std = h.volume_std if weighting == "volume" else h.number_std
    obs = h.volume_observability if weighting == "volume" else h.number_observability
    widths = np.diff(h.edges_nm)
    ax.bar(h.edges_nm[:-1], values, width=widths, align="edge", alpha=0.6, yerr=std, error_kw=dict(lw=0.5))
    ax.step(h.edges_nm[:-1], obs, where="post", color="red", lw=0.8, label="observability limit")
    for p in result.populations:
        ax.axvspan(*p.window_nm, color="grey", alpha=0.15)
    if h.scale == "log":
        ax.set_xscale("log")
    ax.set_ylim(0, 1.15 * max(float(np.max(values + std)), 1e-300))
    ax.set_xlabel("radius (nm)")
    ax.set_ylabel(f"{weighting} fraction per bin ({result.volume_fraction_unit})")
    ax.legend()
    return ax
