"""Raw ID02 sets written by hand (h5py + hdf5plugin, not our simulator) in both header conventions:
the monitors, exposure times and normalisation read are the ones written, checked by hand.

Convention 1 (SPEC era): LIMA file (two entries: LIMA split the acquisition) + its scalers file;
HSI0/HSI1/HSTime are 1-based pin numbers into HS32N. Convention 2 (BLISS era): master file with
counters in ``measurement/``, scan 1 an external link into one LIMA file, scan 2 a virtual
dataset over two LIMA files; HSI0/HSI1/HSTime are counter names.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import reduce_synth as synth
from handmade import write_lima_by_hand, write_master_by_hand, write_scalers_by_hand
from reduce_oracle import binned_model, pull_check
from saxs.cli import main
from saxs.id02 import list_scans, open_raw
from saxs.reduce import ReductionOptions, reduce_file

NO_SPLIT = ("no", "histogram", "cython")
NF = 2.5                       # NormalizationFactor in every header
T_S = 0.5                      # exposure time, s
I1 = np.array([4.0e5, 5.0e5, 6.0e5, 4.5e5])       # transmitted monitor per frame
I0 = np.array([9.0e5, 1.1e6, 1.3e6, 1.0e6])
NAMES = ["time", "aux1", "pin41", "pin42", "pin5"]  # HS32N01..05: I0 on pin 3, I1 on pin 5, time on pin 1


def _frames(seed, monitors):
    """Poisson counts whose expectation is guinier(q) x solid angle x polarisation x M / NF."""
    rng = np.random.default_rng(seed)
    pix = synth.analytic_pixels()
    return np.array([rng.poisson(synth.expected_counts(synth.guinier, m, pixels=pix, normalization_factor=NF))
                     for m in monitors])


def _header(**keys):
    h = {k: v for k, v in synth.header(NormalizationFactor=NF, HSI1Factor=0.8, HSI0Factor=1.25,
                                       ExposureTime=None).items()}
    h.update(ShutterOpeningTime=0.01, ShutterClosingTime=0.002, HS32Len=len(NAMES),
             **{f"HS32N{k + 1:02d}": n for k, n in enumerate(NAMES)})
    h.update(keys)
    return h


def _hs32v(i0, i1):
    """Calibrated scaler values per frame: time (s), aux, I0, spare, I1."""
    v = np.zeros((len(i1), len(NAMES)))
    v[:, 0] = T_S
    v[:, 1] = 17.0
    v[:, 2] = i0
    v[:, 3] = 3.0
    v[:, 4] = i1
    return v


@pytest.fixture(scope="module")
def pin_set(tmp_path_factory):
    """LIMA (2 entries of 2 frames, instrument group "ESRF-ID02") + scalers file; pin numbers."""
    folder = tmp_path_factory.mktemp("pins")
    lima = write_lima_by_hand(folder / "water_eiger2_00007_00.h5", _frames(1, I1),
                              _header(HSI0="3", HSI1="5", HSTime="1"), split=2)
    write_scalers_by_hand(folder / "water_scalers_00007_00.h5", _hs32v(I0, I1), NAMES)
    return lima


@pytest.fixture(scope="module")
def name_set(tmp_path_factory):
    """Master file: scan 1 external link (4 frames), scan 2 virtual dataset over 2 LIMA files (2 + 1)."""
    folder = tmp_path_factory.mktemp("names")
    header = _header(HSI0="pin41", HSI1="pin5", HSTime="time")
    write_lima_by_hand(folder / "water_eiger2_00001_00.h5", _frames(2, I1), header, instrument="instrument")
    i1_b = np.array([3.0e5, 3.5e5, 2.5e5])
    frames_b = _frames(3, i1_b)
    write_lima_by_hand(folder / "water_eiger2_00002_00.h5", frames_b[:2], header)
    write_lima_by_hand(folder / "water_eiger2_00002_01.h5", frames_b[2:], header)
    counters_a = {"pin41": I0, "pin5": I1, "time": np.full(4, T_S), "elapsed_time": np.arange(4) * T_S}
    counters_b = {"pin41": 2 * i1_b, "pin5": i1_b, "time": np.full(3, 0.25)}
    master = write_master_by_hand(folder / "water_0001.h5", {
        1: (h5py.ExternalLink("water_eiger2_00001_00.h5", "/entry_0000/measurement/data"), counters_a),
        2: ([("water_eiger2_00002_00.h5", 2, synth.SHAPE), ("water_eiger2_00002_01.h5", 1, synth.SHAPE)],
            counters_b),
    })
    return master, i1_b


def test_pin_numbers_lima_and_scalers_file(pin_set):
    with open_raw(pin_set) as raw:
        assert raw.format == "lima" and raw.n_frames == 4 and raw.shape == synth.SHAPE
        assert raw.detector_hint == "eiger2"
        m = raw.monitors()
        # HSI1 = "5" -> 5th channel (pin5), HSI0 = "3" -> pin41, HSTime = "1" -> time: the HS32V columns written
        assert m.i1.tolist() == [4.0e5, 5.0e5, 6.0e5, 4.5e5]
        assert m.i0.tolist() == [9.0e5, 1.1e6, 1.3e6, 1.0e6]
        assert m.exposure_s.tolist() == [0.5] * 4
        assert raw.companions[0].name == "water_scalers_00007_00.h5"
        assert raw.frame(3).shape == synth.SHAPE      # frame 3 is in entry_0001


def test_counter_names_master_file(name_set):
    master, i1_b = name_set
    assert list_scans(master) == [1, 2]
    with open_raw(master, scan=1) as raw:
        assert raw.format == "bliss" and raw.n_frames == 4 and raw.scan == 1
        m = raw.monitors()
        assert m.i1.tolist() == I1.tolist() and m.i0.tolist() == I0.tolist()     # measurement/pin5, pin41
        assert m.exposure_s.tolist() == [0.5] * 4                                # measurement/time
    with open_raw(master, scan=2) as raw:
        assert raw.n_frames == 3
        assert [p.name for p in raw.companions] == ["water_eiger2_00002_00.h5", "water_eiger2_00002_01.h5"]
        m = raw.monitors()
        assert m.i1.tolist() == i1_b.tolist() and m.exposure_s.tolist() == [0.25] * 3


@pytest.mark.parametrize("which", ["pins", "names"])
def test_normalisation_is_id02s(pin_set, name_set, pixels, which):
    """I = (raw - dark) NF / (M Omega P flat): the divisor of frame k is M_k / NF with M_k the counter
    HSI1 names, HSI1Factor (0.8) and the shutter correction (SOT 0.01 s, SCT 0.002 s) NOT applied; the
    curves follow the model the counts were drawn from (pulls N(0, 1) against an analytic numpy oracle)."""
    path, scan = (pin_set, None) if which == "pins" else (name_set[0], 1)
    reduced = reduce_file(path, ReductionOptions(npt=80, method=NO_SPLIT), scan=scan)
    assert [p.provenance["divisor"] for p in reduced.frames] == pytest.approx((I1 / NF).tolist(), rel=1e-15)
    prov = reduced.average.provenance
    assert prov["normalization_factor"] == NF
    assert prov["header_HSI1Factor"] == "0.8" and prov["header_ShutterOpeningTime"] == "0.01"
    assert "not applied" in prov["monitor_definition"]
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier)
    ok, info = pull_check(np.stack([p.intensity for p in reduced.frames]),
                          np.stack([p.sigma for p in reduced.frames]), expected[np.newaxis, :])
    assert ok, info


def test_cli_reduces_every_scan_of_a_master_file(name_set, tmp_path, capsys):
    master, _ = name_set
    out = tmp_path / "out"
    assert main(["reduce", str(master), "--npt", "40", "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(o["scan"], o["frames"]) for o in summary["outputs"]] == [(1, 4), (2, 3)]
    assert sorted(p.name for p in out.iterdir()) == ["water_0001_scan1_reduced.h5", "water_0001_scan2_reduced.h5"]
    assert main(["reduce", str(master), "--scan", "2", "--npt", "40", "-o", str(tmp_path / "two"), "--json"]) == 0
    assert [o["scan"] for o in json.loads(capsys.readouterr().out)["outputs"]] == [2]


def test_explicit_scalers_file_and_no_monitor(pin_set, tmp_path, capsys):
    """--scalers FILE replaces the companion found by name; --no-monitor reads none and divides by t."""
    other = write_scalers_by_hand(tmp_path / "elsewhere.h5", _hs32v(I0, 2 * I1), NAMES)
    a = reduce_file(pin_set, ReductionOptions(npt=40, scalers=other))
    assert a.monitors.i1.tolist() == (2 * I1).tolist()
    lone = tmp_path / "lone_eiger2_00001_00.h5"
    lone.write_bytes(pin_set.read_bytes())
    out = tmp_path / "out"
    assert main(["reduce", str(lone), "--no-monitor", "--npt", "40", "-o", str(out), "--json"]) == 0
    reduced = reduce_file(lone, ReductionOptions(npt=40, no_monitor=True))
    assert reduced.monitors.i1 is None and reduced.monitors.source == "none (--no-monitor)"
    assert [p.provenance["divisor"] for p in reduced.frames] == pytest.approx([T_S / NF] * 4, rel=1e-15)


def test_data_files_list_what_a_measurement_is_made_of(pin_set, name_set):
    """What the batch fingerprints: a master file's LIMA files, a LIMA file's scalers file."""
    from saxs.id02 import data_files

    assert [p.name for p in data_files(pin_set)] == ["water_eiger2_00007_00.h5", "water_scalers_00007_00.h5"]
    assert [p.name for p in data_files(name_set[0])] == ["water_0001.h5", "water_eiger2_00001_00.h5",
                                                         "water_eiger2_00002_00.h5", "water_eiger2_00002_01.h5"]
