"""ID02's reduced ``*_ave.h5`` files (and plain NXdata) read wherever a reduced curve is accepted.

Every file is written here in the layout dahu/ewoksid02 write (``ave_synth``), from Poisson
counts of a known curve, so each assertion has an independent answer.
"""

from __future__ import annotations

import json
import warnings

import h5py
import numpy as np
import pytest

from saxs.cli import main
from saxs.id02.processed import (DEFAULT_RELATIVE_ERROR, ProcessedFileWarning, is_processed_file,
                                 load_processed_average, read_processed)
from saxs.nxcansas import load_profile

from ave_synth import poisson_frames, sphere_intensity, write_ave, write_plain_nxdata

Q_NM = np.linspace(0.05, 5.0, 400)


def _frames(n_frames=6, seed=1, radius_nm=2.0, background=0.5):
    truth = sphere_intensity(Q_NM, radius_nm, scale=1000.0, background=background)
    data, sigma, true_sigma = poisson_frames(Q_NM, truth, n_frames=n_frames, counts_scale=200.0, seed=seed)
    return truth, data, sigma, true_sigma


def test_ave_layout_read_masked_bins_dropped_errors_used(tmp_path):
    truth, data, sigma, _ = _frames()
    path = write_ave(tmp_path / "s_ave.h5", Q_NM, data, sigma, t=np.arange(6) * 0.1, masked_bins=(0, 1, 2, 200))
    assert is_processed_file(path)
    curves = read_processed(path)
    # the four Dummy bins are gone from every frame, the rest is the file's (float32) data
    assert curves.masked_bins == 4 and curves.q_nm.size == 396
    assert curves.error_model == "data_errors" and curves.dummy == -10.0
    keep = np.setdiff1d(np.arange(400), [0, 1, 2, 200])
    np.testing.assert_allclose(curves.q_nm, Q_NM[keep].astype(np.float32), rtol=0)
    np.testing.assert_allclose(curves.intensity, data[:, keep].astype(np.float32), rtol=0)
    np.testing.assert_allclose(curves.sigma, sigma[:, keep].astype(np.float32), rtol=0)
    np.testing.assert_allclose(curves.t_s, np.arange(6) * 0.1)
    frames = curves.frames()
    assert len(frames) == 6 and frames[3].provenance["frame_index"] == 3
    assert frames[0].provenance["input_format"] == "id02_ave" and frames[0].sample.name == "s"
    # average of all frames (screening keeps them: pure Poisson): the mean and sqrt(sum s^2)/n
    avg, screen = load_processed_average(path)
    assert screen is not None and screen.n_used == 6
    np.testing.assert_allclose(avg.intensity, data[:, keep].astype(np.float32).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(avg.sigma, np.sqrt((sigma[:, keep].astype(np.float32) ** 2).sum(axis=0)) / 6,
                               rtol=1e-6)


def test_nan_bins_and_1d_data_and_q_in_inverse_angstrom(tmp_path):
    truth, data, sigma, _ = _frames(n_frames=1)
    d, s = data[0].copy(), sigma[0].copy()
    d[10] = np.nan  # ewoksid02's average leaves NaN where no pixel contributed
    path = write_ave(tmp_path / "one_ave.h5", Q_NM / 10.0, d, s, q_unit="q_A^-1")
    curves = read_processed(path)
    assert curves.n_frames == 1 and curves.masked_bins == 1
    # q stored in 1/A (float32) comes back in 1/nm: x10
    np.testing.assert_allclose(curves.q_nm, np.delete((Q_NM / 10.0).astype(np.float32) * 10.0, 10), rtol=1e-7)


def test_plain_nxdata_from_another_program(tmp_path):
    truth, data, sigma, _ = _frames(n_frames=1)
    path = write_plain_nxdata(tmp_path / "other.h5", Q_NM / 10.0, data[0], sigma[0], q_units="1/angstrom")
    p = load_profile(path)
    np.testing.assert_allclose(p.q_nm, Q_NM, rtol=1e-12)
    np.testing.assert_allclose(p.intensity, data[0])
    np.testing.assert_allclose(p.sigma, sigma[0])


def test_no_data_errors_frame_scatter_model_matches_poisson_truth(tmp_path):
    # 10 frames without data_errors: the smoothed frame-to-frame scatter must estimate the true
    # Poisson sigma. Tolerance: the median ratio within 10 % (a 10-frame std scatters by ~24 % per
    # bin; the 9-bin running median and the median over 400 bins bring that to a few %), and 90 %
    # of the bins within 35 %.
    truth, data, _, true_sigma = _frames(n_frames=10, seed=3)
    path = write_ave(tmp_path / "noerr_ave.h5", Q_NM, data, None)
    with pytest.warns(ProcessedFileWarning, match="frame-to-frame scatter"):
        curves = read_processed(path)
    assert curves.error_model == "frame_scatter"
    ratio = curves.sigma[0] / true_sigma
    assert abs(np.median(ratio) - 1) < 0.10
    assert np.mean(np.abs(ratio - 1) < 0.35) > 0.9
    assert curves.frames()[0].provenance["error_model_input"] == "frame_scatter"


def test_no_data_errors_two_frames_gets_stated_relative_error(tmp_path):
    truth, data, _, _ = _frames(n_frames=2)
    path = write_ave(tmp_path / "two_ave.h5", Q_NM, data, None)
    with pytest.warns(ProcessedFileWarning, match="a stated guess"):
        curves = read_processed(path)
    assert curves.error_model == "relative" and curves.relative_error == DEFAULT_RELATIVE_ERROR
    np.testing.assert_allclose(curves.sigma, 0.01 * np.abs(data.astype(np.float32)), rtol=1e-6)
    assert np.all(curves.sigma > 0)  # never silent zeros


def test_wrong_q_unit_exits_2_one_line_naming_file_and_key(tmp_path, capsys):
    truth, data, sigma, _ = _frames(n_frames=3)
    path = write_ave(tmp_path / "deg_ave.h5", Q_NM, data, sigma, q_unit="2th_deg")
    for argv, out in ((["fit", str(path), "-o", str(tmp_path / "f.h5"), "--seed", "1"], tmp_path / "f.h5"),
                      (["peaks", str(path), "--json"], None),
                      (["subtract", str(path), "--solvent", str(path), "--thickness-mm", "1", "-o",
                        str(tmp_path / "s.h5")], tmp_path / "s.h5")):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert str(path) in err and "/entry_0000/PyFAI/result_ave/q@unit" in err and "2th_deg" in err
        if out is not None:
            assert not out.exists()


def test_missing_q_unit_is_refused(tmp_path):
    truth, data, sigma, _ = _frames(n_frames=3)
    path = write_ave(tmp_path / "nounit_ave.h5", Q_NM, data, sigma, q_unit=None)
    from saxs.errors import InputError

    with pytest.raises(InputError, match="q@unit"):
        read_processed(path)


def test_subtract_two_ave_files_screens_a_bubble_frame(tmp_path, capsys):
    # sample = spheres + solvent, solvent alone; one sample frame has a bubble (10 % less liquid
    # in the beam): it must be dropped, and the result equals (mean of the 7 good sample frames -
    # mean of the solvent frames) / 0.1 cm, with sqrt(s_s^2 + s_b^2) / 0.1 as uncertainty.
    solvent_truth = np.full_like(Q_NM, 20.0)
    sample_truth = sphere_intensity(Q_NM, 2.0, scale=1000.0) + solvent_truth
    s_data, s_sigma, _ = poisson_frames(Q_NM, sample_truth, n_frames=8, counts_scale=400.0, seed=5)
    b_data, b_sigma, _ = poisson_frames(Q_NM, solvent_truth, n_frames=8, counts_scale=400.0, seed=6)
    s_data[4] *= 0.9
    sample = write_ave(tmp_path / "sample_ave.h5", Q_NM, s_data, s_sigma)
    solvent = write_ave(tmp_path / "solvent_ave.h5", Q_NM, b_data, b_sigma)
    out = tmp_path / "sub.h5"
    assert main(["subtract", str(sample), "--solvent", str(solvent), "--thickness-mm", "1.0", "-o", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames_dropped"] == {"4": summary["frames_dropped"]["4"]}
    good = [k for k in range(8) if k != 4]
    f32 = np.float32
    expected = (s_data[good].astype(f32).astype(float).mean(0) - b_data.astype(f32).astype(float).mean(0)) / 0.1
    sig = np.sqrt((s_sigma[good].astype(f32).astype(float) ** 2).sum(0) / 49
                  + (b_sigma.astype(f32).astype(float) ** 2).sum(0) / 64) / 0.1
    p = load_profile(out)
    np.testing.assert_allclose(p.intensity, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())
    np.testing.assert_allclose(p.sigma, sig, rtol=1e-5)
    # and the result is the truth within its Poisson scatter: pulls of mean ~0, std ~1
    pulls = (p.intensity - (sample_truth - solvent_truth) / 0.1) / p.sigma
    assert abs(pulls.mean()) < 0.2 and abs(pulls.std() - 1) < 0.15


def test_peaks_finds_a_bragg_peak_in_an_ave_file(tmp_path, capsys):
    # a lamellar first order at q = 1.84 1/nm on a power-law background: the peak search on the
    # _ave.h5 finds it within 0.5 % (its width is 0.04 1/nm, the bin 0.0124 1/nm)
    q = np.linspace(0.3, 4.0, 300)
    truth = 50.0 * q**-2 + 5.0 + 400.0 * np.exp(-0.5 * ((q - 1.84) / 0.017) ** 2)
    data, sigma, _ = poisson_frames(q, truth, n_frames=4, counts_scale=300.0, seed=7)
    path = write_ave(tmp_path / "precursor_ave.h5", q, data, sigma)
    assert main(["peaks", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    text = json.dumps(summary)
    found = [float(v) for v in _find_key(summary, "q_nm")]
    assert any(abs(v / 1.84 - 1) < 0.005 for v in found), text[:500]


def _find_key(obj, key):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, (int, float)):
                yield v
            elif k == key and isinstance(v, list):
                yield from (x for x in v if isinstance(x, (int, float)))
            else:
                yield from _find_key(v, key)
    elif isinstance(obj, list):
        for v in obj:
            yield from _find_key(v, key)


def test_fit_on_ave_file_finds_the_sphere_radius(tmp_path, capsys):
    # monodisperse spheres of r = 2.0 nm, 6 frames: the volume-weighted mean of the 1-3 nm range
    # within 3 % of 2.0 nm (the Monte Carlo histogram of a monodisperse sample is narrow; 3 % is
    # several times its spread over 4 repetitions)
    truth, data, sigma, _ = _frames(n_frames=6, seed=11)
    path = write_ave(tmp_path / "spheres_ave.h5", Q_NM, data, sigma, masked_bins=(0, 1))
    out = tmp_path / "fit.h5"
    assert main(["fit", str(path), "-o", str(out), "--json", "--seed", "3", "--repetitions", "4",
                 "--radius-range", "0.5", "4", "--range", "1", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    mean = summary["ranges"][0]["volume_weighted"]["mean_nm"]
    assert abs(mean / 2.0 - 1) < 0.03, mean
    with h5py.File(out, "r") as f:
        assert f.attrs.get("default") is not None


def test_raw_lima_and_bliss_master_files_are_not_taken_for_reduced_curves(tmp_path):
    # a BLISS master file has an NXdata of counters (1-D, against time) behind its @default chain,
    # a LIMA file an image stack: neither is a reduced curve
    from bliss_synth import build_dataset

    ds = build_dataset(tmp_path / "raw", n_frames=2)
    with h5py.File(ds.master, "a") as f:
        plot = f["1.1"].create_group("plotselect")
        plot.attrs["NX_class"] = "NXdata"
        plot.attrs["signal"] = "pin5"
        plot.attrs["axes"] = ["elapsed_time"]
        plot["pin5"] = h5py.SoftLink("/1.1/measurement/pin5")
        plot["elapsed_time"] = h5py.SoftLink("/1.1/measurement/elapsed_time")
        f["1.1"].attrs["default"] = "plotselect"
    assert not is_processed_file(ds.master) and not is_processed_file(ds.lima)
    # the same counter plot in a file without a creator is still not a q curve
    with h5py.File(tmp_path / "counters.h5", "w") as f:
        f.attrs["default"] = "scan"
        e = f.create_group("scan")
        e.attrs["NX_class"] = "NXentry"
        e.attrs["default"] = "plot"
        d = e.create_group("plot")
        d.attrs["NX_class"] = "NXdata"
        d.attrs["signal"] = "pin5"
        d.attrs["axes"] = ["elapsed_time"]
        d["pin5"] = np.ones(3)
        d["elapsed_time"] = np.arange(3.0)
    assert not is_processed_file(tmp_path / "counters.h5")


def test_data_variance_when_data_errors_is_missing(tmp_path):
    # ewoksid02 writes data_variance beside data_errors; a file with only the variance gets its root
    truth, data, sigma, _ = _frames(n_frames=3)
    path = write_ave(tmp_path / "var_ave.h5", Q_NM, data, None)
    with h5py.File(path, "a") as f:
        f["entry_0000/PyFAI/result_ave/data_variance"] = (sigma**2).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProcessedFileWarning)  # no assumed error model: no warning
        curves = read_processed(path)
    assert curves.error_model == "data_errors"
    np.testing.assert_allclose(curves.sigma, np.sqrt((sigma**2).astype(np.float32).astype(float)), rtol=1e-6)
