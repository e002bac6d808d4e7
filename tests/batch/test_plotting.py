"""Figures drawn headless and checked by structure (scales, labels with units, number of series)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from saxs import plotting


def _curve():
    q = np.geomspace(0.1, 6.0, 80)
    i = 10.0 / (1 + (q * 2.0) ** 2) + 0.01
    return q, i, 0.02 * i


def test_curve_fit_figure_has_log_axes_units_and_residuals(tmp_path):
    q, i, s = _curve()
    fig = plotting.figure_curve_fit(q, i, s, fit_q_nm=q[5:70], fit_intensity=i[5:70] * 1.01, title="x")
    top, bottom = fig.axes
    assert (top.get_xscale(), top.get_yscale()) == ("log", "log")
    assert bottom.get_xlabel() == "q (1/nm)" and top.get_ylabel() == "I(q) (1/cm)"
    assert len(top.get_lines()) >= 1 and [l.get_label() for l in top.get_lines()][-1] == "fit"
    # residuals: 1 % model offset over 2 % sigma -> all residuals equal -0.5 (independent arithmetic)
    res = bottom.get_lines()[0].get_ydata()
    assert len(res) == 65
    np.testing.assert_allclose(res, (1 - 1.01) / 0.02, rtol=1e-9)
    assert bottom.get_ylabel() == "(I - fit) / sigma (1)"
    path = plotting.save_figure(fig, tmp_path / "fit.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curve_fit_residuals_use_the_sigma_given():
    # drawn with a 2 % sigma; residuals asked against a 0.5 % "own" sigma at the fitted points only:
    # a 1 % offset gives -2 everywhere (independent arithmetic), labelled as asked
    q, i, s = _curve()
    fig = plotting.figure_curve_fit(q, i, s, fit_q_nm=q[5:70], fit_intensity=i[5:70] * 1.01, title="a\nb",
                                    residuals=(q[5:70], i[5:70], 0.005 * i[5:70]), residual_label="(I - fit) / own sigma")
    bottom = fig.axes[1]
    np.testing.assert_allclose(bottom.get_lines()[0].get_ydata(), (1 - 1.01) / 0.005, rtol=1e-9)
    assert bottom.get_ylabel() == "(I - fit) / own sigma"
    assert fig.axes[0].get_title() == "a\nb"


def test_size_distribution_has_errorbars_and_observability():
    edges = np.linspace(0.5, 2.0, 11)
    ax = plotting.plot_size_distribution(edges, np.arange(10.0), np.ones(10), observability=np.full(10, 0.5))
    assert ax.get_xlabel() == "radius r (nm)" and ax.get_ylabel() == "volume fraction per bin (1)"
    assert len(ax.patches) == 10  # one bar per bin
    labels = [l.get_label() for l in ax.get_lines()]
    assert "observability limit" in labels
    assert len(ax.collections) == 1  # the error bars
    ax2 = plotting.plot_size_distribution(edges, np.arange(10.0), np.ones(10), weighting="number")
    assert ax2.get_ylabel() == "number density per bin (1/nm^3)"


def test_series_figures_count_members():
    edges = np.linspace(0.5, 2.0, 11)
    hists = [(f"T = {t} C", edges, np.random.default_rng(t).random(10), np.full(10, 0.01)) for t in (190, 200, 230)]
    fig = plotting.figure_single(plotting.plot_stacked_distributions, hists, variable_label="temperature (C)")
    ax = fig.axes[0]
    assert len(ax.get_yticks()) == 3 and [t.get_text() for t in ax.get_yticklabels()] == [h[0] for h in hists]
    assert ax.get_xlabel() == "radius r (nm)"

    q, i, _ = _curve()
    ax = plotting.plot_waterfall([("a", q, i), ("b", q, i), ("c", q, i), ("d", q, i)], factor=2.0)
    assert len(ax.get_lines()) == 4 and ax.get_yscale() == "log"
    # the k-th curve is the first times 2**k
    np.testing.assert_allclose(ax.get_lines()[3].get_ydata(), ax.get_lines()[0].get_ydata() * 8.0)

    ax = plotting.plot_peak_intensity([25.0, 50.0, 100.0], [[3.0, 1.0, np.nan], [1.0, 0.3, np.nan]],
                                      [[0.1] * 3, [0.1] * 3], peak_labels=["q = 1.84 1/nm", "q = 3.69 1/nm"],
                                      variable_label="temperature (C)")
    assert len(ax.containers) == 2 and ax.get_xlabel() == "temperature (C)"  # one errorbar series per peak
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["q = 1.84 1/nm", "q = 3.69 1/nm"]
    assert ax.get_ylabel() == "integrated peak intensity (1/cm 1/nm)"
