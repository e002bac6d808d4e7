"""Figures of the batch: free functions taking plain arrays and ``ax=None``.

Every function draws on the given Matplotlib axes (or on new ones) and returns the axes it drew
on; none of them reads files, so the same function draws during a batch and in ``saxs plot``
(which reads the arrays back from the output files, see :mod:`saxs.pipeline.results`). Labels
carry units: q in 1/nm, radius in nm, intensity in its unit.

Functions
---------
plot_curve_fit          I(q) with error bars and the fitted curve, log-log, with a residual panel
plot_size_distribution  volume- (or number-) weighted histogram with error bars and the
                        observability limit
plot_stacked_distributions  one histogram per series member, offset vertically
plot_peak_intensity     Bragg peak intensity against the series variable, one line per peak
plot_waterfall          I(q) of every series member, offset by constant factors, log-log
plot_step_radii         population radii against the series variable (quantized steps)
figure_*                whole figures (with their own Figure, Agg canvas) built from the above
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def _figure(**kwargs):
    """A Figure with an Agg canvas, not registered with pyplot (no GUI, no leak in loops)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _plain_minor_ticks(ax) -> None:
    """Log x axis labelled 0.1, 0.2, 0.5, 1, 2, 5... in plain numbers; minor ticks unlabelled."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())


#: Unit suffixes of metadata keys (``reaction_time_s``) and how an axis label writes them.
_KEY_UNITS = {"C": "C", "K": "K", "s": "s", "ms": "ms", "min": "min", "h": "h", "nm": "nm", "mm": "mm",
              "uL_per_min": "uL/min", "mL_per_min": "mL/min", "M": "M", "mM": "mM", "bar": "bar"}


def variable_label(key: str) -> str:
    """Axis label of a series variable named with its unit: ``"reaction_time_s"`` -> ``"reaction time (s)"``.

    Examples
    --------
    >>> variable_label("nucleation_temperature_C")
    'nucleation temperature (C)'
    >>> variable_label("index")
    'index'
    """
    for suffix in sorted(_KEY_UNITS, key=len, reverse=True):
        if key.endswith("_" + suffix) and len(key) > len(suffix) + 1:
            return f"{key[:-len(suffix) - 1].replace('_', ' ')} ({_KEY_UNITS[suffix]})"
    return key.replace("_", " ")


def intensity_label(unit: str) -> str:
    """Axis label of an intensity in ``unit`` ("1/cm" or "arbitrary")."""
    return "I(q) (1/cm)" if unit == "1/cm" else "I(q) (arbitrary units)"


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
                           unit: str = "absolute", log_radius: bool = False, label: str | None = None, ax=None):
    """Draw a size histogram with error bars and its observability limit.

    Parameters
    ----------
    edges_nm : ndarray, shape (n_bins + 1,)
        Bin edges, nm.
    values, std : ndarray, shape (n_bins,)
        Weight per bin (volume fraction, or number density for ``weighting="number"``) and its
        standard deviation over repetitions.
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
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    e = np.asarray(edges_nm, dtype=float)
    v = np.asarray(values, dtype=float)
    centers = np.sqrt(e[:-1] * e[1:]) if log_radius else 0.5 * (e[:-1] + e[1:])
    ax.bar(e[:-1], v, width=np.diff(e), align="edge", alpha=0.6, label=label or "histogram")
    ax.errorbar(centers, v, yerr=np.asarray(std, dtype=float), fmt="none", ecolor="k", lw=0.7, capsize=1.5)
    if observability is not None:
        obs = np.asarray(observability, dtype=float)
        ax.step(e, np.append(obs, obs[-1]), where="post", ls="--", color="C3", lw=1.0, label="observability limit")
    if log_radius:
        ax.set_xscale("log")
        _plain_minor_ticks(ax)
    ax.set_xlabel("radius r (nm)")
    if weighting == "number":
        ax.set_ylabel("number density per bin (1/nm^3)" if unit == "absolute" else "number weight per bin (relative)")
    else:
        ax.set_ylabel("volume fraction per bin (1)" if unit == "absolute" else "volume weight per bin (relative)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_stacked_distributions(histograms: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]], *,
                               variable_label: str = "", unit: str = "absolute", families_nm=(),
                               log_radius: bool = False, ax=None):
    """Draw one volume-weighted histogram per series member, stacked upwards in series order.

    Parameters
    ----------
    histograms : sequence of (label, edges_nm (n_bins+1,), values (n_bins,), std (n_bins,))
        In series order (bottom first). Each is normalised to its maximum and drawn with an
        offset of 1.1 per member, so shapes and peak positions compare at a glance.
    variable_label : str
        Title naming the series variable.
    unit : str
        ``"absolute"`` or ``"relative"`` (y label).
    families_nm : sequence of float
        Radii of the quantized families, marked by vertical dotted lines.
    log_radius : bool
        Logarithmic radius axis (for logarithmically spaced bins).
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    ticks, labels = [], []
    for k, r in enumerate(families_nm):
        ax.axvline(r, ls=":", lw=0.9, color="k", label="families" if k == 0 else None)
    for k, (label, edges, values, std) in enumerate(histograms):
        e = np.asarray(edges, dtype=float)
        v = np.asarray(values, dtype=float)
        s = np.asarray(std, dtype=float)
        peak = np.nanmax(v) if np.nanmax(v) > 0 else 1.0
        offset = 1.1 * k
        centers = np.sqrt(e[:-1] * e[1:]) if log_radius else 0.5 * (e[:-1] + e[1:])
        ax.fill_between(centers, offset, offset + v / peak, alpha=0.35, step="mid")
        ax.errorbar(centers, offset + v / peak, yerr=s / peak, fmt="-", lw=1.0, elinewidth=0.5, label=label,
                    drawstyle="steps-mid")
        ticks.append(offset)
        labels.append(label)
    ax.set_yticks(ticks, labels)
    if log_radius:
        ax.set_xscale("log")
        _plain_minor_ticks(ax)
    ax.set_xlabel("radius r (nm)")
    ax.set_ylabel("volume-weighted distribution, normalised, offset (1)" if unit == "absolute"
                  else "volume weight, normalised, offset (relative)")
    if variable_label:
        ax.set_title(variable_label)
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
    ax = _axes(ax)
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


def plot_waterfall(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], *, intensity_unit: str = "1/cm",
                   factor: float = 3.0, ax=None):
    """Draw I(q) of every member, multiplied by ``factor**k`` so the curves do not overlap (log-log).

    Parameters
    ----------
    curves : sequence of (label, q_nm (n,), intensity (n,))
        In series order; the first is drawn unscaled.
    intensity_unit : str
    factor : float
        Ratio between neighbouring curves.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    for k, (label, q, i) in enumerate(curves):
        q = np.asarray(q, dtype=float)
        i = np.asarray(i, dtype=float)
        good = i > 0
        ax.plot(q[good], i[good] * factor**k, "-", lw=1.0, label=f"{label} (x{factor**k:g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("q (1/nm)")
    ax.set_ylabel(intensity_label(intensity_unit) + ", offset")
    if curves:
        ax.legend(loc="best", fontsize="x-small")
    return ax


def plot_step_radii(variable, radii_nm, radii_std_nm, *, variable_label: str, families_nm=(), states=None,
                    ax=None):
    """Draw the population radii of each member against the series variable.

    Parameters
    ----------
    variable : ndarray, shape (n,)
        Series variable of each point.
    radii_nm, radii_std_nm : ndarray, shape (n,)
        A population's mean radius and its uncertainty (several points may share a variable).
    variable_label : str
        x label with unit.
    families_nm : sequence of float
        Radii of the quantized families, drawn as horizontal lines.
    states : sequence of str, shape (n,), optional
        A label per point (e.g. the member's state: family, mixture, continuous); one marker
        series per distinct label, in order of first appearance.
    ax : matplotlib Axes, optional

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    x = np.asarray(variable, dtype=float)
    r = np.asarray(radii_nm, dtype=float)
    dr = np.asarray(radii_std_nm, dtype=float)
    labels = ["populations"] * x.size if states is None else [str(v) for v in states]
    markers = "osD^vP*X"
    for k, label in enumerate(dict.fromkeys(labels)):
        sel = np.array([lab == label for lab in labels], dtype=bool)
        ax.errorbar(x[sel], r[sel], yerr=dr[sel], fmt=markers[k % len(markers)], ms=5, capsize=2, label=label)
    for k, r in enumerate(families_nm):
        ax.axhline(r, ls=":", lw=0.8, color="C3", label="families" if k == 0 else None)
    ax.set_xlabel(variable_label)
    ax.set_ylabel("population mean radius (nm)")
    ax.legend(loc="best", fontsize="small")
    return ax


# --------------------------------------------------------------------------- whole figures
def figure_curve_fit(q_nm, intensity, sigma, *, fit_q_nm=None, fit_intensity=None, intensity_unit="1/cm",
                     title: str = "", residuals=None, residual_label: str = "(I - fit) / sigma (1)"):
    """Figure: I(q) with the fit (top) and normalised residuals (bottom, shared q axis).

    ``residuals`` and ``residual_label`` as in :func:`plot_curve_fit`; a title of two lines gets room.
    """
    # fixed margins: constrained layout costs about a second per figure (tick extents), for nothing here
    fig = _figure(figsize=(6.0, 5.5))
    fig.subplots_adjust(left=0.14, right=0.97, top=0.94 - 0.03 * title.count("\n"), bottom=0.09, hspace=0.08)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    plot_curve_fit(q_nm, intensity, sigma, fit_q_nm=fit_q_nm, fit_intensity=fit_intensity,
                   intensity_unit=intensity_unit, ax=top, residual_ax=bottom if fit_q_nm is not None else None,
                   residuals=residuals, residual_label=residual_label)
    if fit_q_nm is None:
        bottom.set_visible(False)
    else:  # the shared q axis is labelled once, under the residuals
        top.set_xlabel("")
        top.tick_params(labelbottom=False)
    top.set_title(title, fontsize="medium" if "\n" in title else None)
    return fig


def figure_single(draw, *args, title: str = "", figsize=(6.0, 4.5), **kwargs):
    """Figure with one axes drawn by ``draw(*args, ax=ax, **kwargs)`` (one of the plot_* functions)."""
    fig = _figure(figsize=figsize)
    fig.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.1)
    ax = fig.add_subplot()
    draw(*args, ax=ax, **kwargs)
    if title and not ax.get_title():
        ax.set_title(title)
    return fig


def save_figure(fig, path, *, dpi: int = 110):
    """Write a figure as PNG atomically (temporary name, then rename) and return the path."""
    from .atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path
