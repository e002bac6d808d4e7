"""`saxs fit` end to end: text and NXcanSAS input, JSON summary, result file, bad input -> exit 2."""

from __future__ import annotations

import json
import shutil

import numpy as np

import mcfit
from saxs.cli import main


def test_fit_quickstart_text_file_json(tmp_path, capsys):
    # quickstartdemo1.csv: ';' separated, CR line endings (read by saxs.nxcansas.load_profile).
    src = tmp_path / "quick.csv"
    shutil.copy(__file__.rsplit("/", 2)[0] + "/data/quickstart/quickstartdemo1.csv", src)
    out = tmp_path / "fit.h5"
    code = main(["fit", str(src), "-o", str(out), "--json", "--seed", "5", "--repetitions", "4",
                 "--range", "3", "20", "--range", "20", "70", "--range", "70", "320", "--bins", "60"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("chi2_reduced", "repetitions", "converged_repetitions", "seed", "elapsed_s", "ranges",
                "populations", "output", "stop_criterion"):
        assert key in summary
    assert summary["seed"] == 5 and summary["repetitions"] == 4 and summary["output"] == str(out)
    assert [r["range_nm"] for r in summary["ranges"]] == [[3, 20], [20, 70], [70, 320]]
    for r in summary["ranges"]:
        assert set(r["volume_weighted"]) >= {"mean_nm", "mean_nm_std", "variance_nm2", "skewness", "kurtosis"}
        assert set(r["number_weighted"]) >= {"mean_nm", "mean_nm_std", "variance_nm2"}
    # The 40 +- 10 nm number distribution: volume-weighted mean 46.71 nm (<R^4>/<R^3>), within 5 %.
    assert abs(summary["ranges"][1]["volume_weighted"]["mean_nm"] / 46.71 - 1) < 0.05
    assert len(summary["populations"]) == 3
    result = mcfit.read_result(out)
    assert result.seed == 5 and result.histogram.volume.size == 60
    assert np.isclose(result.chi2_reduced, summary["chi2_reduced"])


def test_fit_bad_sigma_exits_2_naming_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.dat"
    q = np.geomspace(0.1, 2.0, 20)
    sigma = np.full(20, 0.1)
    sigma[:3] = 0.0
    np.savetxt(bad, np.column_stack([q, np.exp(-q), sigma]))
    out = tmp_path / "out.h5"
    assert main(["fit", str(bad), "-o", str(out), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "sigma" in err and "3 values <= 0" in err
    assert not out.exists()


def test_fit_radius_range_outside_q_range_exits_2(tmp_path, capsys):
    src = tmp_path / "rr1.dat"
    shutil.copy(__file__.rsplit("/", 2)[0] + "/data/roundrobin/round_robin_dataset_1.dat", src)
    assert main(["fit", str(src), "-o", str(tmp_path / "o.h5"), "--radius-range", "500", "900", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "--radius-range" in err and str(src) in err


def test_fit_nxcansas_input_with_contrast_gives_absolute_volume_fraction(tmp_path, capsys):
    # Oracle: spheres 4 +- 0.2 nm (Gaussian number distribution) at total volume fraction 1e-3,
    # contrast 35e-6 1/A^2, intensity in 1/cm from mcfit.models.sphere_intensity_1cm (checked against
    # sasmodels); the fit must return the volume fraction within 3 % and the mean radius within 1 %.
    from mcfit.models import sphere_intensity_1cm, sphere_volume_nm3
    from saxs.nxcansas import write_nxcansas
    from saxs.profile import Profile1D

    q = np.geomspace(0.1, 3.0, 90)
    radius = np.linspace(3.0, 5.0, 201)
    phi = np.exp(-0.5 * ((radius - 4.0) / 0.2) ** 2) * sphere_volume_nm3(radius)
    phi *= 1e-3 / phi.sum()
    intensity = sum(sphere_intensity_1cm(q, r, f, 35.0) for r, f in zip(radius, phi)) + 0.01
    src = tmp_path / "sample.h5"
    write_nxcansas(src, [("sasentry01", Profile1D(q, intensity, 0.01 * intensity, intensity_unit="1/cm"))])
    out = tmp_path / "fit.h5"
    assert main(["fit", str(src), "-o", str(out), "--json", "--seed", "3", "--repetitions", "4",
                 "--contrast", "35"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert abs(summary["ranges"][0]["volume_fraction"] / 1e-3 - 1) < 0.03
    truth = float(np.sum(phi * radius) / phi.sum())
    assert abs(summary["populations"][0]["mean_nm"] / truth - 1) < 0.01
    assert mcfit.read_result(out).volume_fraction_unit == "absolute"


def test_fit_json_and_file_label_both_chi2_and_flag_a_bragg_curve(tmp_path, capsys, caplog):
    # Known misfit: a power law with a Bragg peak (no spheres), 0.5 % noise (below the 1 % floor),
    # seed 7. Oracle for chi2 against the data's own sigma: numpy on the curve and fit stored in
    # OUT.h5 (sasentry01 I and Idev, clipped to the fitted q; the mcfit group's fitted curve), dof = n - 2.
    import h5py

    rng = np.random.default_rng(7)
    q = np.geomspace(0.3, 6.0, 150)
    truth = 0.01 * q**-3 + 0.5 * np.exp(-0.5 * ((q - 1.84) / 0.04) ** 2) + 1e-3
    sigma = 0.005 * truth
    src = tmp_path / "bragg.dat"
    np.savetxt(src, np.column_stack([q, truth + rng.normal(0, sigma), sigma]))
    out = tmp_path / "fit.h5"
    code = main(["fit", str(src), "-o", str(out), "--json", "--seed", "3", "--repetitions", "3",
                 "--contributions", "60", "--max-steps", "20000", "--radius-range", "0.3", "4"])
    assert code == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    quality = summary["quality"]
    assert quality["label_data_sigma"] == "chi2_r (data's own sigma)"
    assert quality["label_fit_sigma"] == "chi2_r (sigma floored at 1 %)"
    assert summary["poor_fit"] is True and summary["populations"] == []
    assert "spheres do not describe this curve" in summary["populations_withheld"]
    assert "POOR FIT" in caplog.text
    with h5py.File(out, "r") as f:
        d = f["sasentry01/sasdata"]
        fit_q, fit_i = f["fit/mcfit/fit/q_nm"][()], f["fit/mcfit/fit/intensity"][()]  # the batch's layout
        keep = np.isin(d["Q"][()], fit_q)
        own = np.sum(((d["I"][()][keep] - fit_i) / d["Idev"][()][keep]) ** 2) / (fit_q.size - 2)
    assert summary["chi2_reduced_data_sigma"] == quality["chi2_reduced_data_sigma"]
    assert abs(summary["chi2_reduced_data_sigma"] / own - 1) < 1e-9  # rounding of the stored floats only
    assert summary["chi2_reduced_data_sigma"] > 4 * summary["chi2_reduced_fit_sigma"]  # 0.5 % vs 1 % sigma


def test_fit_of_several_curves_in_one_process_records_a_bad_one_and_goes_on(tmp_path, capsys):
    # Independent answer: each curve fitted alone with the same seed (the multi-file run must give the
    # same bits: the fit does not depend on what ran before it in the process).
    quick = __file__.rsplit("/", 2)[0] + "/data/quickstart/quickstartdemo1.csv"
    rr1 = __file__.rsplit("/", 2)[0] + "/data/roundrobin/round_robin_dataset_1.dat"
    a, b, bad = tmp_path / "quick.csv", tmp_path / "rr1.dat", tmp_path / "bad.dat"
    shutil.copy(quick, a)
    shutil.copy(rr1, b)
    bad.write_text("0.1 1.0\n0.2 0.5\n")  # two columns: not a curve
    options = ["--seed", "11", "--repetitions", "3", "--contributions", "100", "--q-bins", "60"]
    out = tmp_path / "fits"
    code = main(["fit", str(a), str(bad), str(b), "-o", str(out), "--json", *options])
    assert code == 2  # one bad input among them
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line.get("data") for line in lines[:3]] == [str(a), str(bad), str(b)]
    assert lines[1]["output"] is None and str(bad) in lines[1]["error"] and "three columns" in lines[1]["error"]
    assert lines[3] == {"fitted": 2, "failed": 1, "output_folder": str(out),
                        "failures": {str(bad): lines[1]["error"]}}
    assert sorted(p.name for p in out.iterdir()) == ["quick_fit.h5", "rr1_fit.h5"]
    for src, name in ((a, "quick_fit.h5"), (b, "rr1_fit.h5")):
        alone = tmp_path / f"alone_{name}"
        assert main(["fit", str(src), "-o", str(alone), *options]) == 0
        together, single = mcfit.read_result(out / name), mcfit.read_result(alone)
        assert np.array_equal(together.histogram.volume, single.histogram.volume)
        assert together.chi2_reduced == single.chi2_reduced and together.seed == 11


def test_fit_of_several_curves_refuses_clashing_names_and_an_input_as_folder(tmp_path, capsys):
    quick = __file__.rsplit("/", 2)[0] + "/data/quickstart/quickstartdemo1.csv"
    (tmp_path / "x").mkdir()
    first, second = tmp_path / "q.csv", tmp_path / "x" / "q.csv"
    shutil.copy(quick, first)
    shutil.copy(quick, second)
    assert main(["fit", str(first), str(second), "-o", str(tmp_path / "out"), "--seed", "1"]) == 2
    assert "q_fit.h5" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main(["fit", str(first), str(second), "-o", str(first), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "-o/--output" in err and "DATA" in err and first.read_bytes() == second.read_bytes()
