"""The published CdSe series simulated in 1/cm, fitted by mcfit (through ``saxs fit``), analysed.

Truth (issue 6, DESIGN.md): 0.87 nm at 190 C; 0.94 nm at 200-220 C; 230 C a 65/35 volume mixture
of 0.94 and 1.02 nm; 1.02 nm at 240 C; continuous growth from 250 C (1.20 nm, 9 %; 1.45 nm, 11 %);
clusters 3.5 % gaussian width; 1.5 % noise, fixed seeds. Fits: 120 contributions x 6 repetitions,
enough for radii to 0.5 % (mcfit's own tests), seeds fixed.
"""

from __future__ import annotations

import json
import warnings

import h5py
import numpy as np
import pytest

import mcfit
from mcfit.steps import analyse_series, member_from_fit
from saxs.cli import main
from saxs.nxcansas import write_nxcansas
from saxs.profile import Profile1D, SampleInfo
from saxs.series import load_members, series_value

from .synth import CONTRAST, PUBLISHED, curve

FIT_OPTIONS = dict(contributions=120, repetitions=6, max_steps=40_000, radius_range_nm=(0.3, 3.0),
                   contrast_1e6_per_A2=CONTRAST)


def _fit(components, *, seed):
    q, i, s = curve(components, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mcfit.FitWarning)  # a few repetitions stop at chi2 ~1.1: noted, harmless
        return mcfit.fit(q, i, s, seed=seed, **FIT_OPTIONS)


@pytest.fixture(scope="module")
def published_fits(tmp_path_factory):
    """Fit files written by the real ``saxs fit`` command, one per temperature, with the temperature
    stored as the sample temperature."""
    folder = tmp_path_factory.mktemp("published")
    paths = []
    for k, (t, comps) in enumerate(PUBLISHED):
        q, i, s = curve(comps, seed=100 + k)
        data = folder / f"cdse_{t:.0f}C.h5"
        write_nxcansas(data, [("sasentry01", Profile1D(q, i, s, intensity_unit="1/cm",
                                                       sample=SampleInfo(name=f"CdSe {t:g} C", temperature_C=t)))])
        out = folder / f"fit_{t:.0f}C.h5"
        rc = main(["fit", str(data), "-o", str(out), "--contributions", "120", "--repetitions", "6",
                   "--max-steps", "40000", "--radius-range", "0.3", "3.0", "--contrast", str(CONTRAST),
                   "--seed", str(7 + k), "--json"])
        assert rc == 0
        paths.append(out)
    return paths


def test_published_series_end_to_end(published_fits, capsys):
    capsys.readouterr()
    # Files given out of order: the analysis orders them by the temperature read from each file.
    members = load_members(list(reversed(published_fits)), by="temperature")
    result = analyse_series(members, series_key="temperature")
    radii = [f.radius_nm for f in result.families]
    # Required: each family within 0.02 nm of the truth (measured: within 0.001 nm).
    assert radii == pytest.approx([0.87, 0.94, 1.02], abs=0.02)
    assert [list(f.members) for f in result.families] == [[190.0], [200.0, 210.0, 220.0, 230.0], [240.0]]
    assert all(0 < f.radius_nm_std < 0.01 for f in result.families)
    assert [(s.between, round(s.from_nm, 2), round(s.to_nm, 2)) for s in result.steps] == [
        ((190.0, 200.0), 0.87, 0.94), ((230.0, 240.0), 0.94, 1.02)]
    assert [(s.at, round(s.radius_nm, 2), s.evidence) for s in result.shoulders] == [(230.0, 1.02, "mixture_fit")]
    # Truth 0.35 of the volume; mixture fit with the families' fitted radii/widths (measured 0.350).
    assert result.shoulders[0].fraction == pytest.approx(0.35, abs=0.05)
    assert result.continuous_growth_onset == 250.0
    single = next(t for t in result.mixture_tests if t.at == 230.0)
    # The single-population alternative that the model rules out: between the two families.
    assert 0.94 < single.single_radius_nm < 1.02


def test_series_command_json_hdf5_figure(published_fits, tmp_path, capsys):
    out, fig = tmp_path / "steps.h5", tmp_path / "steps.png"
    capsys.readouterr()
    rc = main(["series", *map(str, published_fits), "--by", "temperature", "-o", str(out), "--figure", str(fig),
               "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert [round(f["radius_nm"], 2) for f in summary["families"]] == [0.87, 0.94, 1.02]
    assert [s["between"] for s in summary["steps"]] == [[190.0, 200.0], [230.0, 240.0]]
    assert [(s["at"], round(s["radius_nm"], 2)) for s in summary["shoulders"]] == [(230.0, 1.02)]
    assert summary["continuous_growth_onset"] == 250.0
    assert any("quantized-growth model" in a for a in summary["model_assumptions"])
    with h5py.File(out, "r") as f:
        assert f.attrs["default"] == "series"
        g = f["series/steps"]
        assert np.allclose(g["families/radius_nm"][()], [x["radius_nm"] for x in summary["families"]])
        assert len(g["histograms"]) == len(published_fits)
        assert json.loads(g["summary_json"][()])["continuous_growth_onset"] == 250.0
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.stat().st_size > 10_000
    # --values gives the same answer.
    rc = main(["series", *map(str, published_fits), "--values", *[str(t) for t, _ in PUBLISHED], "--json"])
    assert rc == 0
    again = json.loads(capsys.readouterr().out)
    assert again["families"] == summary["families"] and again["steps"] == summary["steps"]


def test_series_command_bad_input(published_fits, tmp_path, capsys):
    two = [str(p) for p in published_fits[:2]]
    assert main(["series", *two, "--values", "1"]) == 2
    assert "--values" in capsys.readouterr().err
    assert main(["series", *two, "--by", "no_such_key"]) == 2
    err = capsys.readouterr().err
    assert published_fits[0].name in err and "no_such_key" in err
    not_fit = tmp_path / "plain.h5"
    with h5py.File(not_fit, "w") as f:
        f["x"] = 1.0
    assert main(["series", str(not_fit), "--values", "1"]) == 2
    assert "plain.h5" in capsys.readouterr().err
    assert main(["series", *two, "--values", "1", "2", "--min-shoulder-fraction", "0.7"]) == 2
    assert "--min-shoulder-fraction" in capsys.readouterr().err
    assert not (tmp_path / "out.h5").exists()
    assert series_value(published_fits[0], "sasentry01/sassample/temperature") == 190.0


def test_constant_series_fitted():
    members = [member_from_fit(_fit([(0.94, 0.035, 1.0)], seed=500 + k), 10.0 * k) for k in range(4)]
    result = analyse_series(members)
    assert len(result.families) == 1
    assert result.families[0].radius_nm == pytest.approx(0.94, abs=0.02)  # measured within 0.001
    assert result.steps == () and result.shoulders == () and result.continuous_growth_onset is None


def test_continuous_series_fitted():
    truth = ((1.0, 0.09), (1.15, 0.10), (1.3, 0.10), (1.5, 0.11), (1.7, 0.12))
    members = [member_from_fit(_fit([(r, w, 1.0)], seed=600 + k), 10.0 * k) for k, (r, w) in enumerate(truth)]
    result = analyse_series(members)
    assert result.families == () and result.steps == () and result.shoulders == ()
    assert list(result.continuous_members) == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert result.continuous_growth_onset == 0.0
