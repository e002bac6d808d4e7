"""Bad raw input: one line naming the file and the key, exit 2, nothing written."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import reduce_synth as synth
from handmade import write_lima_by_hand, write_master_by_hand, write_scalers_by_hand
from saxs.cli import main

NAMES = ["time", "pin41", "pin5", "spare"]


def _frames(n=3):
    return np.full((n, *synth.SHAPE), 100, dtype=np.uint32)


def _header(**keys):
    h = synth.header(HSI0="2", HSI1="3", HSTime="1")
    h.update(keys)
    return h


def _values(n=3):
    v = np.ones((n, len(NAMES)))
    v[:, 0] = 0.1
    return v


def _run(capsys, path, out, *extra):
    code = main(["reduce", str(path), "--npt", "30", "-o", str(out), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert not out.exists() or list(out.iterdir()) == []          # nothing written
    errors = [line for line in err if line.startswith("saxs reduce: error: ")]
    assert len(errors) == 1                                        # one line
    return errors[0]


def test_scalers_file_missing(tmp_path, capsys):
    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(), _header())
    line = _run(capsys, lima, tmp_path / "out")
    # the raw file, the key and the companion file looked for
    assert str(lima) in line and "HSI1" in line and str(tmp_path / "s_scalers_00003_00.h5") in line


def test_scalers_given_but_missing(tmp_path, capsys):
    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(), _header())
    line = _run(capsys, lima, tmp_path / "out", "--scalers", str(tmp_path / "nope.h5"))
    assert str(tmp_path / "nope.h5") in line and "--scalers" in line


def test_hsi1_names_a_counter_that_does_not_exist(tmp_path, capsys):
    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(), _header(HSI1="pin99"))
    write_scalers_by_hand(tmp_path / "s_scalers_00003_00.h5", _values(), NAMES)
    line = _run(capsys, lima, tmp_path / "out")
    assert str(lima) in line and "HSI1" in line and "pin99" in line


def test_hsi1_counter_missing_from_master_measurement(tmp_path, capsys):
    write_lima_by_hand(tmp_path / "m_eiger2_00001_00.h5", _frames(), _header(HSI0="pin41", HSI1="pin6",
                                                                            HSTime="time"))
    master = write_master_by_hand(tmp_path / "m.h5", {1: (
        h5py.ExternalLink("m_eiger2_00001_00.h5", "/entry_0000/measurement/data"),
        {"pin41": np.ones(3), "pin5": np.ones(3), "time": np.full(3, 0.1)})})
    line = _run(capsys, master, tmp_path / "out")
    assert str(master) in line and "HSI1" in line and "1.1/measurement/pin6" in line


def test_pin_number_out_of_range(tmp_path, capsys):
    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(), _header(HSI1="17"))
    write_scalers_by_hand(tmp_path / "s_scalers_00003_00.h5", _values(), NAMES)
    line = _run(capsys, lima, tmp_path / "out")
    assert str(lima) in line and "HSI1" in line and "1..4" in line and "'17'" in line


def test_fewer_scaler_rows_than_frames(tmp_path, capsys):
    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(3), _header())
    scalers = write_scalers_by_hand(tmp_path / "s_scalers_00003_00.h5", _values(2), NAMES)
    line = _run(capsys, lima, tmp_path / "out")
    assert str(scalers) in line and "HS32V" in line and "3 rows" in line and "2 rows" in line


def test_master_external_link_to_a_missing_lima_file(tmp_path, capsys):
    master = write_master_by_hand(tmp_path / "m.h5", {1: (
        h5py.ExternalLink("gone_eiger2_00001_00.h5", "/entry_0000/measurement/data"),
        {"pin41": np.ones(3), "pin5": np.ones(3)})})
    line = _run(capsys, master, tmp_path / "out")
    assert str(master) in line and "1.1/instrument/eiger2/data" in line and "gone_eiger2_00001_00.h5" in line


def test_master_scan_that_does_not_exist(tmp_path, capsys):
    write_lima_by_hand(tmp_path / "m_eiger2_00001_00.h5", _frames(), _header())
    master = write_master_by_hand(tmp_path / "m.h5", {1: (
        h5py.ExternalLink("m_eiger2_00001_00.h5", "/entry_0000/measurement/data"), {})})
    line = _run(capsys, master, tmp_path / "out", "--scan", "4")
    assert str(master) in line and "4.1" in line


def test_explicit_monitor_replaces_a_missing_scalers_file(tmp_path):
    """--i1 given: the LIMA file without its scalers file reduces, divided by the value given."""
    from saxs.reduce import ReductionOptions, reduce_file

    lima = write_lima_by_hand(tmp_path / "s_eiger2_00003_00.h5", _frames(), _header())
    reduced = reduce_file(lima, ReductionOptions(npt=30, i1=4.0e5))
    assert reduced.monitors.source == "explicit (file: none)"
    assert [p.provenance["divisor"] for p in reduced.frames] == [4.0e5] * 3
