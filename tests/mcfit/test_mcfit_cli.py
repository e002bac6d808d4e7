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
