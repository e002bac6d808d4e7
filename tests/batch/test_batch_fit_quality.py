"""Fit quality in the batch: both reduced chi2 labelled everywhere, poor fits flagged, no sizes for mesophases.

One run of the small beamtime on a CdSe sample and the precursor (peaks) series, with one precursor
forced to a sphere fit (``fit = true``): the continuous-growth CdSe curve reports chi2 against the
data's own sigma (checked against numpy on the stored curve and fit); the precursors get no sphere fit
and report no populations, saying why; the forced fit is a poor fit whose populations are withheld.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from saxs.cli import main
from saxs.nxcansas import read_nxcansas
from saxs.pipeline import results

from .helpers import copy_beamtime, run_batch

SAMPLES = ("cdse_T250", "precursor_T025", "precursor_T050")


@pytest.fixture(scope="module")
def run(small_beamtime, tmp_path_factory):
    base = tmp_path_factory.mktemp("quality")
    bt = copy_beamtime(small_beamtime, base / "bt")
    toml = bt / "beamtime.toml"
    text = toml.read_text()
    old = 'name = "precursor_T050"\n'
    assert text.count(old) == 1
    toml.write_text(text.replace(old, old + "fit = true\n"))
    out = base / "out"
    code, summary = run_batch(bt, "-o", out, "--only", *SAMPLES)
    assert code == 0, summary["failed"]
    return out, summary, {s["name"]: s for s in summary["samples"]}, bt


def _own_chi2(path):
    """Oracle: reduced chi2 of the stored mean fit against the NXcanSAS curve's own sigma (Idev), dof = n - 2."""
    curve = read_nxcansas(path)  # the default entry: the curve that was fitted
    with h5py.File(path, "r") as f:
        g = f[results.fit_group(path)]
        q_fit, fit = g["fit/q_nm"][()], g["fit/intensity"][()]
    keep = (curve.q_nm >= q_fit[0]) & (curve.q_nm <= q_fit[-1])
    np.testing.assert_array_equal(curve.q_nm[keep], q_fit)  # no re-binning in the batch
    r = (curve.intensity[keep] - fit) / curve.sigma[keep]
    return float(np.sum(r**2) / (q_fit.size - 2)), float(np.sum(np.diff(r) ** 2) / np.sum(r**2))


def test_cdse_reports_chi2_against_its_own_sigma_in_json_and_hdf5(run):
    out, summary, by_name, _ = run
    s = by_name["cdse_T250"]
    path = out / "samples" / "cdse_T250.h5"
    own, dw = _own_chi2(path)
    # rtol 1e-12: the same sums in another order
    assert s["chi2_reduced_data_sigma"] == pytest.approx(own, rel=1e-12)
    assert s["chi2_labels"] == {"chi2_reduced_fit_sigma": "chi2_r (sigma floored at 1 %)",
                                "chi2_reduced_data_sigma": "chi2_r (data's own sigma)"}
    # the floor only raises sigma: against it chi2 is smaller
    assert s["chi2_reduced_fit_sigma"] < s["chi2_reduced_data_sigma"]
    with h5py.File(path, "r") as f:
        g = f["fit/mcfit"]
        assert g.attrs["chi2_reduced_data_sigma"] == pytest.approx(own, rel=1e-12)
        assert g.attrs["chi2_reduced_fit_sigma"] == s["chi2_reduced_fit_sigma"]
        assert g["quality"].attrs["label_data_sigma"] == "chi2_r (data's own sigma)"
        assert g["quality"].attrs["label_fit_sigma"] == "chi2_r (sigma floored at 1 %)"
    # the stated rule decides the flag (thresholds from [fit], defaults 3 and 1)
    assert s["poor_fit"] == (own > 3.0 and dw < 1.0)
    assert (s["name"] in summary["fit_quality"]["poor_fit"]) == s["poor_fit"]
    log = (out / "batch.log").read_text()
    assert f"sample:cdse_T250: chi2_r (data's own sigma) {own:.3g}" in log
    assert ("sample:cdse_T250: POOR FIT" in log) == s["poor_fit"]


def test_precursors_get_no_sphere_fit_and_no_populations(run):
    out, summary, by_name, _ = run
    s = by_name["precursor_T025"]
    assert s["analysis"] == "peaks" and s["fit"] == "skipped"
    assert s["populations"] == [] and s["chi2_reduced"] is None
    assert "no sphere fit" in s["populations_withheld"] and "fit = true" in s["populations_withheld"]
    assert {"name": "precursor_T025", "reason": s["populations_withheld"]} in summary["fit_quality"]["not_fitted"]
    path = out / "samples" / "precursor_T025.h5"
    with h5py.File(path, "r") as f:
        assert "fit" not in f and "fit" not in f["subtracted"] and "no sphere fit" in f.attrs["fit_skipped"]
        assert f["subtracted/peaks/q_nm"].shape[0] >= 2  # the Bragg peaks are still found
    assert results.kinds_for(path) == ("curve", "peaks")  # no fit or distribution; its peaks are drawn
    assert s["figures"] == [str(out / "figures" / f"precursor_T025_{k}.png") for k in ("curve", "peaks")]
    for kind in ("curve", "peaks"):
        assert (out / "figures" / f"precursor_T025_{kind}.png").read_bytes()[:4] == b"\x89PNG"


def test_forced_fit_of_a_mesophase_is_poor_and_withholds_its_populations(run):
    out, summary, by_name, _ = run
    s = by_name["precursor_T050"]
    assert s["analysis"] == "peaks" and s["fit"] == "done"  # fit = true forces it
    own, dw = _own_chi2(out / "samples" / "precursor_T050.h5")
    assert own > 100 and dw < 0.5  # spheres cannot make Bragg peaks
    assert s["poor_fit"] is True and "Durbin-Watson" in s["poor_fit_reason"]
    assert s["populations"] == [] and "spheres do not describe this curve" in s["populations_withheld"]
    assert {"name": "precursor_T050", "reason": s["populations_withheld"]} in summary["fit_quality"]["populations_withheld"]
    fig = results.figure(out / "samples" / "precursor_T050.h5", "fit")
    assert "POOR FIT, no populations" in fig.axes[0].get_title()
    assert "no populations reported: poor fit" in (out / "batch.log").read_text()


def test_series_reports_no_populations_for_its_mesophase_members(run):
    out, summary, _, _ = run
    series = {s["name"]: s for s in summary["series"]}["precursor_mesophase"]
    withheld = {m["sample"]: m["populations_withheld"] for m in series["samples"]}
    assert "no sphere fit" in withheld["precursor_T025"]
    assert "spheres do not describe this curve" in withheld["precursor_T050"]
    path = out / "series" / "precursor_mesophase.h5"
    with h5py.File(path, "r") as f:
        assert f["entry/populations/mean_nm"].shape == (0,) and len(f["entry/histograms"]) == 0
        assert [v.decode() if isinstance(v, bytes) else v for v in f["entry/members/populations_withheld"][()]] == [
            withheld["precursor_T025"], withheld["precursor_T050"]]
        assert json.loads(f.attrs["summary_json"])["samples"][0]["populations_withheld"] == withheld["precursor_T025"]
    # no size distributions to stack; the peaks are still tracked
    assert results.kinds_for(path) == ("waterfall", "peaks")
    assert [t["present"] for t in series["tracks"]][0] == [True, True]


def test_resume_and_plot_keep_the_verdicts(run, tmp_path):
    out, _, by_name, bt = run
    code, again = run_batch(bt, "-o", out, "--only", *SAMPLES, "--resume")
    assert code == 0 and again["counts"]["skipped"] == len(SAMPLES)  # the curve figure counts as the output
    for s in again["samples"]:
        first = by_name[s["name"]]
        for key in ("fit", "chi2_reduced_data_sigma", "chi2_reduced_fit_sigma", "poor_fit", "populations_withheld",
                    "populations", "figures"):
            assert s[key] == first[key], (s["name"], key)
    target = tmp_path / "curve.png"
    assert main(["plot", str(out / "samples" / "precursor_T025.h5"), "-o", str(target)]) == 0
    assert target.read_bytes()[:4] == b"\x89PNG"
