"""What every figure shares: a headless Figure, axes, tick formats, axis labels, saving.

The figures are Matplotlib ``Figure`` objects with their own Agg canvas (not registered with
pyplot: no GUI, no leak when a batch draws hundreds). Labels carry units: q in 1/nm, radius in nm,
intensity in its unit.
"""

from __future__ import annotations

import math

import numpy as np

#: Unit suffixes of metadata keys (``reaction_time_s``) and how an axis label writes them.
_KEY_UNITS = {"C": "C", "K": "K", "s": "s", "ms": "ms", "min": "min", "h": "h", "nm": "nm", "mm": "mm",
              "uL_per_min": "uL/min", "mL_per_min": "mL/min", "M": "M", "mM": "mM", "bar": "bar"}


def new_axes(ax=None):
    """``ax`` itself, or new pyplot axes when it is ``None`` (interactive use)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def new_figure(**kwargs):
    """A Figure with an Agg canvas, not registered with pyplot; constrained layout unless told otherwise.

    Constrained layout keeps every label inside the figure, whatever its size.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    kwargs.setdefault("layout", "constrained")
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def plain_log_ticks(ax, axis: str = "x") -> None:
    """Log axis labelled 0.1, 0.2, 0.5, 1, 2, 5... in plain numbers; minor ticks unlabelled.

    (Matplotlib labels the minor ticks of a log axis spanning less than about two decades as
    ``2 x 10^-1, 3 x 10^-1...``, which overlap each other.)
    """
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FormatStrFormatter("%g"))
    target.set_minor_formatter(NullFormatter())


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


def value_pm(value: float, std: float, unit: str = "") -> str:
    """``value +- std`` rounded to the two significant digits of ``std``: ``3.40992 \u00b1 0.00005 nm``."""
    if not (math.isfinite(std) and std > 0):
        return f"{value:.4g}{(' ' + unit) if unit else ''}"
    decimals = max(0, 1 - int(math.floor(math.log10(std))))
    return f"{value:.{decimals}f} \u00b1 {std:.{decimals}f}{(' ' + unit) if unit else ''}"


def fold_offset_text(fig) -> None:
    """Move each y axis' offset text ("1e-5", drawn over the title) into its label: "... x 1e-5".

    Draws the figure once (the formatter only knows its offset after a draw).
    """
    fig.canvas.draw()
    for ax in fig.axes:
        text = ax.yaxis.get_offset_text()
        offset = text.get_text()
        if offset and text.get_visible():
            text.set_visible(False)
            ax.set_ylabel(f"{ax.get_ylabel()} \u00d7 {offset}")


def fit_titles(fig) -> None:
    """Wrap each axes title that is wider than the figure onto more lines (after a draw)."""
    import textwrap

    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    for ax in fig.axes:
        title = ax.title
        text = title.get_text()
        if not text or "\n" in text:
            continue
        box = title.get_window_extent(renderer)
        if box.width > 0.96 * width:
            chars = max(12, int(len(text) * 0.96 * width / box.width))
            title.set_text("\n".join(textwrap.wrap(text, chars)))


def finish_figure(fig) -> None:
    """Last touches once everything is drawn: offset texts into the labels, titles that fit."""
    fold_offset_text(fig)
    fit_titles(fig)


def shade_outside(ax, lo: float, hi: float, *, label: str | None = None) -> None:
    """Grey the x ranges of ``ax`` below ``lo`` and above ``hi`` (e.g. outside the fitted q range)."""
    left, right = ax.get_xlim()
    kwargs = dict(color="0.5", alpha=0.15, lw=0, zorder=0)
    first = True
    if np.isfinite(lo) and lo > left:
        ax.axvspan(left, lo, label=label, **kwargs)
        first = False
    if np.isfinite(hi) and hi < right:
        ax.axvspan(hi, right, label=label if first else None, **kwargs)
    ax.set_xlim(left, right)


def save_figure(fig, path, *, dpi: int = 110):
    """Write a figure as PNG atomically (temporary name, then rename) and return the path."""
    from ..atomic import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return path
