"""Figures checked by what the reader sees: drawn data against independent arithmetic, and the
renderer's text bounding boxes (tick labels that do not overlap, labels inside the figure, the
axis offset text away from the title)."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from mcfit.steps import MemberHistogram, MemberPopulation, SeriesMember, analyse_series
from saxs import plotting
from saxs.figures.peaks import figure_peak_series, order_label, peak_orders, plot_peaks_on_curve
from saxs.figures.steps import (StepsFigureData, figure_series_distributions, figure_steps_summary,
                                plot_stacked_distributions)


def _shown_ticklabels(axis, minor=False):
    """The tick labels Matplotlib draws: those of ticks inside the view interval."""
    lo, hi = sorted(axis.get_view_interval())
    locs = axis.get_minorticklocs() if minor else axis.get_majorticklocs()
    labels = axis.get_minorticklabels() if minor else axis.get_majorticklabels()
    return [t for x, t in zip(locs, labels) if lo <= x <= hi]


def _text_boxes(fig, texts):
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts if t.get_visible() and t.get_text()]


def _overlapping(boxes):
    return [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def _curve(q):
    return 10.0 / (1 + (q * 2.0) ** 2) + 0.01


# --------------------------------------------------------------------------- tick labels, layout
@pytest.mark.parametrize("q_range", [(0.17, 7.5), (0.3, 2.0), (0.05, 6.0)])
def test_waterfall_q_tick_labels_do_not_overlap(q_range):
    # the demo's q range (0.17-7.5 1/nm, under two decades) made Matplotlib label every minor tick
    # ("2x10^-1, 3x10^-1, ...") on top of each other
    q = np.geomspace(*q_range, 300)
    curves = [(f"member {k}", q, _curve(q)) for k in range(4)]
    fig = plotting.figure_single(plotting.plot_waterfall, curves, title="w", figsize=(6.0, 6.0))
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = _shown_ticklabels(ax.xaxis) + _shown_ticklabels(ax.xaxis, minor=True)
    boxes = _text_boxes(fig, labels)
    assert len(boxes) >= 2  # the axis is labelled at all ...
    assert _overlapping(boxes) == []  # ... and no two q labels touch


def _inside(fig, box, tol=0.5):
    f = fig.bbox
    return box.x0 >= f.x0 - tol and box.y0 >= f.y0 - tol and box.x1 <= f.x1 + tol and box.y1 <= f.y1 + tol


def _small_figures():
    q = np.geomspace(0.1, 6.0, 120)
    i = _curve(q)
    edges = np.geomspace(0.3, 4.0, 41)
    v = 1e-5 * np.exp(-0.5 * ((np.sqrt(edges[1:] * edges[:-1]) - 1.0) / 0.1) ** 2)
    yield "fit", plotting.figure_curve_fit(q, i, 0.02 * i, fit_q_nm=q[10:100], fit_intensity=i[10:100], title="fit")
    yield "distribution", plotting.figure_single(plotting.plot_size_distribution, edges, v, 0.1 * v,
                                                 observability=np.full(40, 1e-7), log_radius=True,
                                                 title="a long title of a small distribution figure",
                                                 figsize=(3.5, 2.8))
    yield "waterfall", plotting.figure_single(plotting.plot_waterfall, [("a", q, i), ("b", q, i)],
                                              title="waterfall", figsize=(3.5, 3.0))


@pytest.mark.parametrize("name", ["fit", "distribution", "waterfall"])
def test_no_axis_label_outside_the_figure(name):
    fig = dict(_small_figures())[name]
    fig.canvas.draw()
    texts = []
    for ax in fig.axes:
        texts += [ax.xaxis.label, ax.yaxis.label, ax.title] + _shown_ticklabels(ax.xaxis) + _shown_ticklabels(ax.yaxis)
    texts = [t for t in texts if t.get_visible() and t.get_text()]
    outside = [t.get_text() for t, b in zip(texts, _text_boxes(fig, texts)) if not _inside(fig, b)]
    assert outside == []


def test_offset_text_is_folded_into_the_label_not_over_the_title():
    # volume fractions of 1e-5 per bin: Matplotlib writes "1e-5" above the axes, where the title is
    fig = dict(_small_figures())["distribution"]
    fig.canvas.draw()
    ax = fig.axes[0]
    offset = ax.yaxis.get_offset_text()
    title_box = _text_boxes(fig, [ax.title])[0]
    if offset.get_visible() and offset.get_text():
        assert not _text_boxes(fig, [offset])[0].overlaps(title_box)
    assert ax.get_ylabel().endswith("1e\u22125")  # the scale is still written, in the label


# --------------------------------------------------------------------------- sample figures
def test_fitted_q_range_is_shaded_outside():
    q = np.geomspace(0.1, 6.0, 80)
    i = _curve(q)
    fig = plotting.figure_curve_fit(q, i, 0.02 * i, fit_q_nm=q[5:70], fit_intensity=i[5:70])
    for ax in fig.axes:
        spans = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
        left, right = ax.get_xlim()
        # grey from the axis' left end to the first fitted q, and from the last fitted q to the right end
        assert spans == [pytest.approx((left, q[5])), pytest.approx((q[69], right))]
    assert "not fitted" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_distribution_error_bars_skip_empty_bins_and_the_mean_is_marked():
    edges = np.linspace(0.5, 2.0, 11)
    # bins 0 and 5 hold only noise (value + std below 1 % of the tallest bar): no error bar either
    v = np.array([1e-4, 0, 1.0, 3.0, 0.5, 0, 0, 0, 0, 0])
    s = np.array([1e-3, 0, 0.2, 0.4, 0.6, 1e-3, 0, 0, 0, 0])
    ax = plotting.plot_size_distribution(edges, v, s, mean_nm=1.05, mean_nm_std=0.01, mean_label="mean:")
    bars = ax.collections[0].get_segments()
    assert len(bars) == 3  # one per bin with a spread, none (no dashed row of caps) on the 7 empty ones
    lows = sorted(min(seg[:, 1]) for seg in bars)
    # lower ends: 1 - 0.2, 3 - 0.4, and max(0.5 - 0.6, 0) = 0 (a volume fraction is not negative)
    np.testing.assert_allclose(lows, [0.0, 0.8, 2.6])
    mean = [l for l in ax.get_lines() if l.get_label().startswith("mean:")]
    assert len(mean) == 1 and mean[0].get_xdata()[0] == 1.05 and "1.050 \u00b1 0.010 nm" in mean[0].get_label()


def test_peak_figure_marks_the_stored_peaks_with_their_order():
    q = np.geomspace(0.15, 6.0, 400)
    i = _curve(q) + 2.0 * np.exp(-0.5 * ((q - 1.84) / 0.03) ** 2) + 0.5 * np.exp(-0.5 * ((q - 3.69) / 0.04) ** 2)
    phase = {"type": "lamellar", "d_nm": 3.41, "d_nm_std": 0.001, "orders": [1, 2], "indexed_q_nm": [1.84, 3.69]}
    orders = peak_orders([1.84, 3.69], phase)
    assert orders == [1, 2] and peak_orders([1.84], None) == [None]
    ax = plot_peaks_on_curve(q, i, 0.02 * i, peaks_q_nm=[1.84, 3.69], orders=orders, phase_type="lamellar",
                             broad_q_nm=[0.25])
    marks = [l for l in ax.get_lines() if l.get_marker() == "v"]
    assert [l.get_xdata()[0] for l in marks] == [1.84, 3.69]
    for line in marks:  # above the peak's top, not on its flank
        x = line.get_xdata()[0]
        assert line.get_ydata()[0] > i[np.abs(q - x) < 0.05].max()
    texts = [t.get_text() for t in ax.texts]
    assert "n=1\n1.84" in texts and "n=2\n3.69" in texts and "0.25" in texts
    assert [l.get_xdata()[0] for l in ax.get_lines() if l.get_marker() == "o"] == [0.25]
    assert order_label("cubic", 3) == "\u221a3" and order_label(None, 2) == "?"


# --------------------------------------------------------------------------- steps series
def _hist(center, width, total):
    edges = np.linspace(0.5, 2.0, 61)
    c = 0.5 * (edges[1:] + edges[:-1])
    v = np.exp(-0.5 * ((c - center) / width) ** 2)
    v *= total / v.sum()
    return MemberHistogram(edges, v, 0.05 * v, np.full(60, 1e-4 * total))


#: (value, radius nm, relative width, volume fraction): two families, then continuous growth.
TRUTH = [(190, 0.87, 0.035, 0.002), (200, 0.94, 0.035, 0.003), (210, 0.94, 0.035, 0.003), (220, 1.02, 0.035, 0.0035),
         (250, 1.20, 0.09, 0.004), (260, 1.45, 0.11, 0.004)]


@pytest.fixture(scope="module")
def steps_result():
    members = [SeriesMember(v, f"s{v}", (MemberPopulation(r, 0.002, w * r, vf, 0.1 * vf),), _hist(r, w * r, vf))
               for v, r, w, vf in TRUTH]
    return analyse_series(members, series_key="nucleation_temperature_C")


def test_stacked_rows_are_relative_volume_fractions_with_one_offset(steps_result):
    data = StepsFigureData.from_result(steps_result)
    fig = figure_series_distributions(data)
    ax = fig.axes[0]
    # each row is its histogram over its own total (share of the member's volume per bin), not over its
    # maximum: a broad member stands lower than a narrow one
    rel = [h[1] / h[1].sum() for h in data.histograms]
    step = 1.05 * max(r.max() for r in rel)
    np.testing.assert_allclose(ax.offsets, step * np.arange(len(TRUTH)))
    tops = [p.get_data().values for p in ax.patches if hasattr(p, "get_data") and p.get_fill()]
    for k, top in enumerate(tops):
        np.testing.assert_allclose(top, ax.offsets[k] + rel[k], rtol=1e-12)
    peaks = np.array([t.max() - o for t, o in zip(tops, ax.offsets)])
    assert peaks.max() / peaks.min() > 2  # not each normalised to 1
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:4] == ["190", "200", "210", "220"] and all(l.endswith("(continuous)") for l in labels[4:])
    assert ax.get_xscale() == "linear"
    lo, hi = ax.get_xlim()
    assert 0.5 < lo < 0.87 and 1.45 < hi < 2.0  # over the clusters' range, not the whole 0.5-2 nm fit range
    dashed = sorted(l.get_xdata()[0] for l in ax.get_lines() if l.get_linestyle() == "--")
    np.testing.assert_allclose(dashed, [f.radius_nm for f in steps_result.families])


def test_shoulder_marked_on_its_row():
    ax = plot_stacked_distributions([("a", np.linspace(0.5, 2, 16), np.ones(15), np.zeros(15)),
                                     ("b", np.linspace(0.5, 2, 16), np.ones(15), np.zeros(15))],
                                    shoulders=[(1, 1.02)])
    (mark,) = [l for l in ax.get_lines() if l.get_marker() == "v"]
    assert mark.get_xdata()[0] == 1.02 and mark.get_ydata()[0] > ax.offsets[1] + 1 / 15


def test_steps_summary_one_point_per_member_with_width_error_bars(steps_result):
    fig = figure_steps_summary(StepsFigureData.from_result(
        steps_result, dominant_volume_fractions={f"s{v}": (vf, 0.1 * vf) for v, _, _, vf in TRUTH}))
    top, bottom = fig.axes
    xs, ys, half = [], [], []
    for container in top.containers:
        line, _, (bars,) = container
        xs += list(line.get_xdata())
        ys += list(line.get_ydata())
        half += [0.5 * (seg[1, 1] - seg[0, 1]) for seg in bars.get_segments()]
    order = np.argsort(xs)
    assert np.array(xs)[order].tolist() == [float(v) for v, *_ in TRUTH]  # one point per member
    # error bars: the population widths put into the members (w * r), not the radius uncertainty
    np.testing.assert_allclose(np.array(half)[order], [w * r for _, r, w, _ in TRUTH], rtol=1e-9)
    np.testing.assert_allclose(np.array(ys)[order], [r for _, r, _, _ in TRUTH], rtol=1e-9)
    # steps: one arrow per step, from the lower family to the upper one
    arrows = [t for t in top.texts if t.arrow_patch is not None]
    assert len(arrows) == len(steps_result.steps) >= 1
    # continuous growth shaded on both panels from between 220 and 250
    assert steps_result.continuous_growth_onset == 250
    for ax in (top, bottom):
        (span,) = [p for p in ax.patches]
        assert span.get_x() == pytest.approx(235.0)
    # volume fraction panel: the dominant population's volume fraction of each member
    points = sorted((x, y) for c in bottom.containers for x, y in zip(*c[0].get_data()))
    np.testing.assert_allclose([y for _, y in points], [vf for *_, vf in TRUTH])


def test_peak_series_figure_has_d_spacing_phase_and_broad_maximum():
    fig = figure_peak_series([25.0, 50.0, 100.0], intensities=[[0.2, 0.09, 0.0]], sigmas=[[0.001] * 3],
                             present=[[True, True, False]], peak_labels=["q = 1.84 1/nm"],
                             phase_types=["lamellar", "lamellar", None], d_nm=[3.41, 3.409, np.nan],
                             d_nm_std=[0.001, 0.002, np.nan], broad_q_nm=[[0.25], [0.249], [0.248]],
                             variable_label="temperature (C)", title="precursor")
    areas, lattice, broad = fig.axes
    line = lattice.containers[0][0]
    assert line.get_xdata().tolist() == [25.0, 50.0] and line.get_ydata().tolist() == [3.41, 3.409]
    assert [t.get_text() for t in lattice.texts] == ["lamellar", "lamellar", "none"]  # "none" beside the cross
    (gone,) = [l for l in lattice.get_lines() if l.get_label() == "no phase indexed"]
    assert gone.get_xdata().tolist() == [100.0]
    assert broad.get_lines()[0].get_ydata().tolist() == [0.25, 0.249, 0.248]
    assert broad.get_xlabel() == "temperature (C)" and lattice.get_ylabel() == "d-spacing d (nm)"
