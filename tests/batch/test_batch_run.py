"""`saxs batch` on a small simulated beamtime with a corrupt raw file and a missing blank.

One batch run (module fixture) is checked from many sides: exit code and summary, what was
written (NXcanSAS read by SasView's loader, fit and peaks groups, figures), the log, --resume,
--dry-run, and the refusals with exit code 2.
"""

from __future__ import annotations

import json
import os

import h5py
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from saxs.cli import main
from saxs.pipeline import results
from saxs.pipeline.fingerprint import FINGERPRINT_ATTR, derive_seed

from .helpers import copy_beamtime, run_batch

SAMPLES = ("cdse_T200", "cdse_T210", "cdse_T220")


@pytest.fixture(scope="module")
def broken(small_beamtime, tmp_path_factory):
    """A copy with cdse_T210's raw file truncated and cdse_T220 pointing at a blank without files; one run."""
    base = tmp_path_factory.mktemp("broken")
    bt = copy_beamtime(small_beamtime, base / "bt")
    raw = bt / "raw" / "cdse_T210.h5"
    raw.write_bytes(raw.read_bytes()[: raw.stat().st_size // 3])
    text = (bt / "beamtime.toml").read_text()
    text = text.replace('name = "cdse_T220"\nfiles = ["raw/cdse_T220.h5"]\nsolvent = "solvent_ode"',
                        'name = "cdse_T220"\nfiles = ["raw/cdse_T220.h5"]\nsolvent = "solvent_lost"')
    text += '\n[blanks.solvent_lost]\nfiles = ["raw/solvent_lost_*.h5"]\n'
    (bt / "beamtime.toml").write_text(text)
    out = base / "out"
    code, summary = run_batch(bt, "-o", out, "--only", *SAMPLES)
    return bt, out, code, summary


def test_failures_reported_others_processed(broken):
    bt, out, code, summary = broken
    assert code == 1 and summary["exit_code"] == 1
    assert summary["counts"] == {"samples": 3, "done": 1, "skipped": 0, "failed": 2, "series": 1,
                                 "series_done": 1, "failed_tasks": 3}
    status = {s["name"]: s for s in summary["samples"]}
    assert status["cdse_T200"]["status"] == "done"
    # the corrupt file is named in the reason; the missing blank says which blank and why
    assert status["cdse_T210"]["status"] == "failed" and "cdse_T210.h5" in status["cdse_T210"]["reason"]
    assert status["cdse_T220"]["reason"].startswith("blank 'solvent_lost' failed: no raw file matches")
    failed = {(f["kind"], f["name"]) for f in summary["failed"]}
    assert failed == {("blank", "solvent_lost"), ("sample", "cdse_T210"), ("sample", "cdse_T220")}
    # only complete results: no file for the failed samples, no temporary left behind
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["cdse_T200.h5"]
    assert not list(out.rglob(".*.tmp"))
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["counts"] == summary["counts"]
    log = (out / "batch.log").read_text()
    assert "FAILED sample cdse_T210" in log and "FAILED sample cdse_T220" in log
    # the series went on with its one good member and records the others
    series = summary["series"][0]
    assert series["status"] == "done"
    assert [m["status"] for m in series["samples"]] == ["ok", "failed", "failed"]


def _find(doc, key):
    """First value of ``key`` anywhere in a nested JSON document."""
    if isinstance(doc, dict):
        if key in doc and isinstance(doc[key], (int, float)):
            return doc[key]
        for value in doc.values():
            found = _find(value, key)
            if found is not None:
                return found
    if isinstance(doc, list):
        for value in doc:
            found = _find(value, key)
            if found is not None:
                return found
    return None


def test_sample_file_is_nxcansas_with_fit_and_peaks(broken, small_beamtime):
    _, out, _, summary = broken
    path = out / "samples" / "cdse_T200.h5"
    from sasdata.dataloader.loader import Loader

    from saxs.nxcansas import list_entries, read_nxcansas

    assert sorted(list_entries(path)) == ["fit", "reduced", "subtracted"]  # fit: the model curve (saxs/fit_entry.py)
    loaded = Loader().load(str(path))  # SasView's reader finds the three curves with their values
    assert len(loaded) == 3
    for name in ("subtracted", "reduced"):
        curve = read_nxcansas(path, entry=name)
        match = [d for d in loaded if d.y.shape == curve.intensity.shape and np.allclose(d.y, curve.intensity, rtol=1e-12)]
        assert len(match) == 1, name
        np.testing.assert_allclose(match[0].dy, curve.sigma, rtol=1e-12)
    with h5py.File(path, "r") as f:
        # a viewer opens I(q) with the fit (issue 14); the measured curve's entry is still found
        assert f.attrs["default"] == "fit" and f["fit"].attrs["default"] == "mcfit"
        assert f["fit/mcfit"].attrs["default"] == "data"
        from saxs.nxcansas import curve_entry

        assert curve_entry(f) == "subtracted"
        assert f["subtracted/sasdata/I"].attrs["units"] == "1/cm"
        assert f["reduced/sasdata/I"].attrs["units"] == "arbitrary"
        assert f["subtracted/sassample/thickness"][()] == 1.5
        # transmission from the monitors and the empty beam: the simulator's truth file has it
        truth = json.loads((small_beamtime / "truth" / "cdse_T200.json").read_text())
        t_true = _find(truth, "transmission")
        t, dt = f["reduced/sassample/transmission"][()], f["reduced/sassample/transmission_uncertainty"][()]
        assert abs(t - t_true) <= max(4 * dt, 1e-3), (t, dt, t_true)
        assert len(f.attrs[FINGERPRINT_ATTR]) == 64
        inputs = json.loads(f.attrs["saxs_batch_inputs"])
        assert [s["name"] for s in inputs["files"]] == ["raw/cdse_T200.h5", "raw/cdse_T200_eiger2_4m_bin8_00001_00.h5"]
        assert f["subtracted/metadata/nucleation_temperature_C"][()] == 200.0
        assert f["subtracted/peaks/q_nm"].shape == (0,)  # spheres only: no Bragg peak
        assert f["subtracted/screen/frames_used"][()].tolist() == [0, 1]
    import mcfit

    fit = mcfit.read_result(path, group="fit/mcfit")
    # the recorded seed is the one derived from the beamtime's seed and the name (20261124 in the file)
    assert fit.seed == derive_seed(20261124, "cdse_T200") == summary["samples"][0]["seed"]
    # truth: r = 0.94 nm; a 100 x 3 fit of 2 frames still puts the dominant population within 3 %
    dominant = max(fit.populations, key=lambda p: p.volume_fraction)
    assert dominant.mean_nm == pytest.approx(0.94, rel=0.03)


def test_figures_redrawn_from_files(broken, tmp_path):
    _, out, _, _ = broken
    sample = out / "samples" / "cdse_T200.h5"
    assert sorted(p.name for p in (out / "figures").glob("cdse_T200_*.png")) == [
        "cdse_T200_distribution.png", "cdse_T200_fit.png"]
    fig = results.figure(sample, "fit")
    top, bottom = fig.axes
    assert (top.get_xscale(), top.get_yscale()) == ("log", "log")
    assert (bottom.get_xlabel(), top.get_ylabel()) == ("q (1/nm)", "I(q) (1/cm)")  # shared q axis
    assert len(top.containers) == 1  # one data series with error bars ...
    assert [l.get_label() for l in top.get_lines() if not l.get_label().startswith("_")] == ["fit"]  # ... one fit
    # the residual panel divides by the data's own sigma, and the title says so beside both chi2
    assert bottom.get_ylabel() == "(I - fit) / own sigma"
    title = top.get_title()
    assert "chi2_r (data's own sigma)" in title and "(residuals below)" in title
    assert "chi2_r (sigma floored at 1 %)" in title
    with h5py.File(sample, "r") as f:  # oracle: numpy on the stored curve and fit
        g = f["fit/mcfit"]
        expected = (g["data/intensity"][()] - g["fit/intensity"][()]) / g["data/sigma_data"][()]
    np.testing.assert_allclose(bottom.get_lines()[0].get_ydata(), expected, rtol=1e-12)
    fig = results.figure(sample, "distribution")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "radius r (nm)"
    assert "observability limit" in [l.get_label() for l in ax.get_lines()]
    assert len(ax.patches) == 60  # one bar per histogram bin of the [fit] settings
    series = out / "series" / "nucleation_temperature.h5"
    assert results.kinds_for(series) == ("stacked", "waterfall", "steps")
    stacked = results.figure(series, "stacked").axes[0]
    assert [t.get_text() for t in stacked.get_yticklabels()] == ["200"]  # the one member that succeeded
    assert stacked.get_ylabel().startswith("nucleation temperature (C)")
    waterfall = results.figure(series, "waterfall").axes[0]
    assert len(waterfall.get_lines()) == 1 and waterfall.get_yscale() == "log"
    # the command line writes a PNG and refuses a kind the file does not have
    target = tmp_path / "f.png"
    assert main(["plot", str(series), "-o", str(target), "--kind", "steps"]) == 0
    assert target.read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", str(series), "-o", str(tmp_path / "g.png"), "--kind", "fit"]) == 2
    assert not (tmp_path / "g.png").exists()


def test_resume_skips_done_and_refusals(broken):
    bt, out, _, _ = broken
    sample = out / "samples" / "cdse_T200.h5"
    before = sample.stat().st_mtime_ns
    # results present: neither --resume nor --overwrite -> exit 2, nothing touched
    assert main(["batch", str(bt), "-o", str(out), "--only", *SAMPLES, "--no-progress"]) == 2
    code, summary = run_batch(bt, "-o", out, "--only", *SAMPLES, "--resume")
    assert code == 1  # the two failures are still failures
    assert summary["counts"]["skipped"] == 1 and summary["counts"]["done"] == 0
    assert sample.stat().st_mtime_ns == before
    assert summary["samples"][0]["populations"]  # key results read back from the skipped sample's file
    # dry run: a plan, nothing written
    code, plan = run_batch(bt, "-o", out, "--only", *SAMPLES, "--resume", "--dry-run")
    assert code == 0 and plan["dry_run"]
    states = {(t["kind"], t["name"]): t["status"] for t in plan["tasks"]}
    assert states[("sample", "cdse_T200")] == "up-to-date"
    assert states[("sample", "cdse_T210")] == "todo"
    assert states[("sample", "cdse_T220")] == "failed"
    # other settings or a changed raw file: the sample is redone
    (bt / "other.toml").write_text((bt / "beamtime.toml").read_text().replace("contributions = 100",
                                                                              "contributions = 101"))
    code, plan = run_batch(bt, "-c", "other.toml", "-o", out, "--only", "cdse_T200", "--resume", "--dry-run")
    assert [t["status"] for t in plan["tasks"] if t["kind"] == "sample"] == ["todo"]
    raw = bt / "raw" / "cdse_T200.h5"
    stat = raw.stat()
    os.utime(raw, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    code, plan = run_batch(bt, "-o", out, "--only", "cdse_T200", "--resume", "--dry-run")
    assert [t["status"] for t in plan["tasks"] if t["kind"] == "sample"] == ["todo"]


def test_bad_beamtime_file_exit_2(small_beamtime, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text((small_beamtime / "beamtime.toml").read_text().replace("contributions = 100",
                                                                           "contributions = -1"))
    assert main(["batch", str(small_beamtime), "-c", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml: fit.contributions: expected an integer >= 1" in err
    assert not (tmp_path / "out").exists()
    assert main(["batch", str(small_beamtime), "-o", str(tmp_path / "out"), "--only", "nope*"]) == 2
    assert main(["batch", str(small_beamtime), "-o", str(tmp_path / "out"), "--scheduler", "dask"]) == 2
    assert not (tmp_path / "out").exists()


def test_sample_without_blanks(small_beamtime, tmp_path):
    """No blank: the calibrated curve per cm is the 'absolute' entry; without calibration the reduced one."""
    import re

    bt = copy_beamtime(small_beamtime, tmp_path / "bt")
    text = (bt / "beamtime.toml").read_text()
    text += '\n[[samples]]\nname = "bare"\nfiles = ["raw/cdse_T200.h5"]\nthickness_mm = 1.5\n'
    (bt / "beamtime.toml").write_text(text)
    (bt / "plain.toml").write_text(re.sub(r"(?ms)^\[absolute\].*?(?=^\[blanks)", "", text))
    expected = {"beamtime.toml": ("absolute", "1/cm", "absolute"), "plain.toml": ("reduced", "arbitrary", "relative")}
    for name, (entry, unit, fraction_unit) in expected.items():
        out = tmp_path / name
        code, summary = run_batch(bt, "-c", name, "-o", out, "--only", "bare")
        assert code == 0, summary["failed"]
        with h5py.File(out / "samples" / "bare.h5", "r") as f:
            from saxs.nxcansas import curve_entry

            assert f.attrs["default"] == "fit" and curve_entry(f) == entry  # opens at the fit; the curve is found
            assert f[f"{entry}/sasdata/I"].attrs["units"] == unit
            assert f["fit/mcfit"].attrs["volume_fraction_unit"] == fraction_unit
        assert results.kinds_for(out / "samples" / "bare.h5") == ("fit", "distribution")
