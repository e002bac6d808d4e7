"""`saxs calibrate geometry` end to end: EDF with an ID02 header, HDF5 stack with --dataset, exit codes.

Truth: the simulated frames' geometry (geomcal_synth.py). The EDF header's Center_1/Center_2 are
Fit2D pixels (x = column, y = row, first pixel centre 0.5) and seed the search; the result must
come back in the same convention within 0.1 px (see test_geomcal_simulated.py for why 0.1).
"""

from __future__ import annotations

import json

import fabio
import h5py
import numpy as np
import pyFAI
import pytest

from geomcal_synth import simulate_agbh
from saxs.cli import main
from saxs.geomcal import read_calibrant_frame, read_summary

CENTER = (-10.0, 120.0)
DISTANCE_MM = 600.0


@pytest.fixture(scope="module")
def simulated():
    return simulate_agbh(distance_mm=DISTANCE_MM, center_px=CENTER, tilt_deg=1.5, tilt_plane_deg=20.0, seed=31)


def _edf(path, counts, *, center=(-7.0, 118.0), distance_m=0.62):
    header = {"Center_1": f"{center[0]}", "Center_2": f"{center[1]}", "PSize_1": "0.000172",
              "PSize_2": "0.000172", "SampleDistance": f"{distance_m}", "WaveLength": "1e-10",
              "Dummy": "-10", "DDummy": "0.1"}
    fabio.edfimage.EdfImage(data=counts.astype(np.int32), header=header).write(str(path))
    return path


def test_edf_header_is_read_in_fit2d_convention(tmp_path, simulated):
    counts = simulated[1].copy()
    counts[5, 7] = -10  # the header's dummy value marks an invalid pixel
    frame = read_calibrant_frame(_edf(tmp_path / "agbh.edf", counts))
    start = frame.header_geometry
    assert (start.center_x_px, start.center_y_px) == (-7.0, 118.0)
    assert start.distance_mm == pytest.approx(620.0)
    assert start.pixel_x_um == pytest.approx(172.0) and start.wavelength_nm == pytest.approx(0.1)
    assert frame.mask[5, 7] and frame.mask.sum() == 1


def test_cli_edf_writes_poni_report_figure_and_json(tmp_path, simulated, capsys):
    truth, counts = simulated
    frame = _edf(tmp_path / "agbh.edf", counts)
    poni = tmp_path / "calibrations" / "sim.poni"
    code = main(["calibrate", "geometry", str(frame), "--calibrant", "AgBh", "--wavelength-nm", "0.1",
                 "-o", str(poni), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("poni", "distance_mm", "center_px", "rotations_rad", "rings_used", "residual",
                "tilt_plane_rotation_deg"):
        assert key in summary
    assert "tilt_plan_rotation_deg" not in summary  # the misspelled key of older versions
    # a summary written by an older version (misspelled key) still reads with the current name
    old = {k: v for k, v in summary.items() if k != "tilt_plane_rotation_deg"}
    old["tilt_plan_rotation_deg"] = summary["tilt_plane_rotation_deg"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    for source in (old, tmp_path / "old.json"):
        upgraded = read_summary(source)
        assert upgraded["tilt_plane_rotation_deg"] == summary["tilt_plane_rotation_deg"]
        assert "tilt_plan_rotation_deg" not in upgraded
    assert summary["poni"] == str(poni)
    f2d = truth.getFit2D()
    assert summary["center_px"][0] == pytest.approx(f2d["centerX"], abs=0.1)
    assert summary["center_px"][1] == pytest.approx(f2d["centerY"], abs=0.1)
    assert summary["distance_mm"] == pytest.approx(f2d["directDist"], rel=1e-3)
    assert summary["rings_used"] >= 4 and summary["residual"] < 0.2
    # The PONI is version 2.1 and pyFAI reads back the same geometry.
    assert "poni_version: 2.1" in poni.read_text()
    ai = pyFAI.load(str(poni))
    assert [ai.rot1, ai.rot2, ai.rot3] == pytest.approx(summary["rotations_rad"], abs=1e-12)
    assert ai.getFit2D()["centerX"] == pytest.approx(summary["center_px"][0], abs=1e-6)
    report = (tmp_path / "calibrations" / "sim.report.txt").read_text()
    assert "rings used" in report and "+-" in report
    png = (tmp_path / "calibrations" / "sim.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_hdf5_stack_with_dataset_and_options(tmp_path, simulated, capsys):
    truth, counts = simulated
    path = tmp_path / "stack.h5"
    with h5py.File(path, "w") as h5:
        h5["entry/measurement/data"] = np.stack([np.zeros_like(counts), counts])
    poni = tmp_path / "h5.poni"
    code = main(["calibrate", "geometry", str(path), "--dataset", "entry/measurement/data", "--frame-index", "1",
                 "--wavelength-nm", "0.1", "--distance-mm", "640", "--center-px", "-6", "116", "--pixel-um", "172",
                 "-o", str(poni), "--no-figure", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["center_px"][0] == pytest.approx(truth.getFit2D()["centerX"], abs=0.1)
    assert not (tmp_path / "h5.png").exists()


def test_cli_no_rings_exits_2_and_writes_nothing(tmp_path, capsys):
    flat = np.random.default_rng(32).poisson(100.0, (256, 320))
    frame = _edf(tmp_path / "flat.edf", flat)
    poni = tmp_path / "flat.poni"
    code = main(["calibrate", "geometry", str(frame), "--wavelength-nm", "0.1", "-o", str(poni)])
    assert code == 2
    err = capsys.readouterr().err
    assert "flat.edf" in err and "calibrant rings" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [frame]


def test_cli_missing_dataset_and_file_exit_2(tmp_path, capsys):
    path = tmp_path / "empty.h5"
    with h5py.File(path, "w") as h5:
        h5["other"] = np.zeros((4, 4))
    assert main(["calibrate", "geometry", str(path), "--dataset", "entry/data/data", "--wavelength-nm", "0.1",
                 "-o", str(tmp_path / "x.poni")]) == 2
    assert main(["calibrate", "geometry", str(tmp_path / "missing.edf"), "--wavelength-nm", "0.1",
                 "-o", str(tmp_path / "x.poni")]) == 2
    assert "missing.edf" in capsys.readouterr().err


def test_id02_lima_file_header_seeds_the_search(tmp_path, simulated, capsys):
    """A raw ID02 LIMA file (saxs.lima layout, bitshuffle-LZ4, header as byte strings): the frame is
    found at entry_0000/measurement/data without --dataset and Center_1/2, PSize, SampleDistance
    come from the detector's header group. Gap pixels (uint32 maximum) are masked."""
    from saxs.id02.lima import write_lima

    truth, counts = simulated
    frames = np.stack([counts, counts]).astype(np.uint32)
    frames[:, :, 100] = np.iinfo(np.uint32).max  # a module gap
    header = {"Center_1": "-7.0", "Center_2": "118.0", "PSize_1": "0.000172", "PSize_2": "0.000172",
              "SampleDistance": "0.62", "WaveLength": "1e-10", "Dummy": "0", "DDummy": "0"}
    path = write_lima(tmp_path / "agbh_0000.h5", frames, header)
    frame = read_calibrant_frame(path)
    assert frame.dataset == "entry_0000/measurement/data"
    assert (frame.header_geometry.center_x_px, frame.header_geometry.center_y_px) == (-7.0, 118.0)
    assert frame.mask[:, 100].all() and frame.mask.sum() == counts.shape[0]
    poni = tmp_path / "lima.poni"
    assert main(["calibrate", "geometry", str(path), "--wavelength-nm", "0.1", "-o", str(poni), "--no-figure",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["center_px"][1] == pytest.approx(truth.getFit2D()["centerY"], abs=0.1)
