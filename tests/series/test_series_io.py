"""Series values from fit-file metadata, and the figure."""

from __future__ import annotations

import h5py
import matplotlib
import numpy as np
import pytest

from mcfit.steps import MemberHistogram, MemberPopulation, SeriesMember, analyse_series
from saxs.errors import InputError
from saxs.nxcansas import write_nxcansas
from saxs.profile import Profile1D, SampleInfo
from saxs.series import figure_series, plot_series, series_value

matplotlib.use("Agg")


@pytest.fixture()
def reduced_file(tmp_path):
    path = tmp_path / "sample.h5"
    profile = Profile1D([0.5, 1.0, 2.0], [3.0, 2.0, 1.0], [0.1, 0.1, 0.1], intensity_unit="1/cm",
                        sample=SampleInfo(name="s", temperature_C=215.0),
                        provenance={"nucleation_temperature_C": 200, "reaction": {"time_s": 3.5}, "note": "hot"})
    write_nxcansas(path, [("sasentry01", profile)])
    with h5py.File(path, "a") as f:
        f["sasentry01"].attrs["flow_rate_ul_min"] = "120"
    return path


def test_series_value_lookup(reduced_file):
    assert series_value(reduced_file, "temperature") == 215.0          # sassample first
    assert series_value(reduced_file, "nucleation_temperature_C") == 200.0  # provenance
    assert series_value(reduced_file, "time_s") == 3.5                  # nested provenance
    assert series_value(reduced_file, "flow_rate_ul_min") == 120.0      # an attribute, byte/str number
    assert series_value(reduced_file, "/sasentry01/sassample/temperature") == 215.0
    with pytest.raises(InputError, match="sample.h5: note.*a single finite number"):
        series_value(reduced_file, "note")
    with pytest.raises(InputError, match="sample.h5: --by missing: expected a series key this file has: .*time_s"):
        series_value(reduced_file, "missing")
    with pytest.raises(InputError, match="nothing.h5"):
        series_value(reduced_file.parent / "nothing.h5", "temperature")


def _hist(center):
    edges = np.linspace(0.5, 2.0, 61)
    c = 0.5 * (edges[1:] + edges[:-1])
    v = np.exp(-0.5 * ((c - center) / 0.04) ** 2)
    return MemberHistogram(edges, v, 0.05 * v + 0.01, np.full(60, 0.02))


def test_plot_series_marks_families(tmp_path):
    members = [SeriesMember(v, str(v), (MemberPopulation(r, 0.002, 0.035 * r, 1.0),), _hist(r))
               for v, r in ((1, 0.87), (2, 0.94), (3, 0.94), (4, 1.02))]
    result = analyse_series(members)
    ax = plot_series(result)  # ax=None: new pyplot axes
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert sorted(round(line.get_xdata()[0], 2) for line in dashed) == [0.87, 0.94, 1.02]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3", "4"]
    fig = figure_series(result, title="test")
    fig.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 5000
    import matplotlib.pyplot as plt
    plt.close("all")
