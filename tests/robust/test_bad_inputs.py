"""Bad numbers and bad files get one line naming the file and what is wrong, exit 2 (issue 13,
items 1, 7 and 8): NaN, all-zero and complex data; a corrupted compressed frame; a folder or a
symbolic link loop given as a file; truncated and empty calibrant frames; an unknown calibrant."""

from __future__ import annotations

import shutil

import h5py
import hdf5plugin  # noqa: F401 - the bitshuffle-LZ4 filter the LIMA frames need
import numpy as np
import pytest
from robust_helpers import listing, run_saxs

LIMA_DATA = "/entry_0000/ESRF-ID02/eiger2_4m_bin8/data"


def _with_intensities(src, dst, change):
    """A copy of a reduced file with every I dataset (average and frames) changed by ``change``."""
    shutil.copy2(src, dst)
    with h5py.File(dst, "r+") as f:
        def visit(name, obj):
            if name.split("/")[-1] == "I" and isinstance(obj, h5py.Dataset):
                obj[...] = change(obj[()])
        f.visititems(visit)
    return dst


def _nan_at_40(values):
    values = np.array(values, dtype=float)
    values[..., 40] = np.nan
    return values


@pytest.fixture
def bad_curves(reduced, tmp_path):
    return {"nan": _with_intensities(reduced["sample"], tmp_path / "nan.h5", _nan_at_40),
            "gc_nan": _with_intensities(reduced["standard"], tmp_path / "gc_nan.h5", _nan_at_40),
            "zero": _with_intensities(reduced["sample"], tmp_path / "zero.h5", np.zeros_like)}


def _q40(path):
    with h5py.File(path, "r") as f:
        return f["average/sasdata/Q"][40]


def test_nan_and_zero_curves_refused(reduced, bad_curves, tmp_path):
    q = _q40(bad_curves["nan"])
    n = 200  # the reduction's --npt
    nan_got = f"got '1 of {n} bins NaN or inf, the first at q = {q:.4g} 1/nm'"
    cases = [
        (["subtract", bad_curves["nan"], "--solvent", reduced["solvent"], "--thickness-mm", 1, "-o", tmp_path / "s.h5"],
         f"saxs subtract: error: {bad_curves['nan']}: I: expected finite intensities of the sample curve, {nan_got}"),
        (["subtract", reduced["sample"], "--solvent", bad_curves["nan"], "--thickness-mm", 1, "-o", tmp_path / "s.h5"],
         f"saxs subtract: error: {bad_curves['nan']}: I: expected finite intensities of the solvent curve, {nan_got}"),
        (["calibrate", "absolute", bad_curves["gc_nan"], "--standard", "srm3600", "--thickness-mm", 1.055,
          "-o", tmp_path / "c.toml"],
         f"saxs calibrate: error: {bad_curves['gc_nan']}: I: expected finite intensities of the standard's curve, "
         f"{nan_got}"),
        (["fit", bad_curves["nan"], "-o", tmp_path / "f.h5"],
         f"saxs fit: error: {bad_curves['nan']}: I: expected finite intensities of the curve to fit, {nan_got}"),
        (["fit", bad_curves["zero"], "-o", tmp_path / "f.h5"],
         f"saxs fit: error: {bad_curves['zero']}: I: expected a curve to fit with some scattering, "
         f"got 'all {n} intensities zero'"),
    ]
    for argv, message in cases:
        code, out, err = run_saxs(*argv)
        assert (code, err) == (2, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gc_nan.h5", "nan.h5", "zero.h5"]  # nothing written


def _lima_copy(demo, tmp_path, name, change):
    """A LIMA file (with its scalers file) whose frames dataset is replaced by ``change(frames)``."""
    raw = demo / "raw"
    lima = tmp_path / f"{name}_eiger2_4m_bin8_00001_00.h5"
    shutil.copy2(raw / "solvent_ode_eiger2_4m_bin8_00001_00.h5", lima)
    shutil.copy2(raw / "solvent_ode_scalers_00001_00.h5", tmp_path / f"{name}_scalers_00001_00.h5")
    with h5py.File(lima, "r+") as f:
        frames = f[LIMA_DATA][()]
        del f[LIMA_DATA]
        f[LIMA_DATA] = change(frames)
    return lima


def test_bad_frames_named(demo, tmp_path):
    def all_nan_frame_1(frames):
        frames = frames.astype(np.float32)
        frames[1] = np.nan
        return frames

    complex_lima = _lima_copy(demo, tmp_path, "cplx", lambda a: a.astype(np.complex64))
    nan_lima = _lima_copy(demo, tmp_path, "nanf", all_nan_frame_1)
    flat_lima = _lima_copy(demo, tmp_path, "flat", lambda a: a[0])
    ny, nx = 270, 258  # the demo's binned Eiger2 4M frames
    cases = [
        (complex_lima, f"{complex_lima}: {LIMA_DATA}: expected detector counts (integer or float numbers), "
                       "got 'complex64 values'"),
        (nan_lima, f"{nan_lima}: {LIMA_DATA}[1]: expected a frame with finite pixel values, "
                   f"got 'all {ny * nx} pixels NaN or inf'"),
        (flat_lima, f"{tmp_path / 'flat_scalers_00001_00.h5'}: HS32V: expected 1 rows, one per frame of {flat_lima} "
                    f"(its frames dataset {LIMA_DATA} is 2-D, shape ({ny}, {nx}): one frame), got '2 rows'"),
    ]
    for path, message in cases:
        code, _, err = run_saxs("reduce", path, "-o", tmp_path / "out", "--poni", demo / "calibrations" / "geometry.poni")
        assert (code, err) == (2, f"saxs reduce: error: {message}")
    assert not (tmp_path / "out").exists() or listing(tmp_path / "out") == []


@pytest.mark.parametrize("pattern", ["random", "zeros"])
def test_reduce_corrupted_chunk_exit_2_names_file_and_frame(demo, tmp_path, pattern):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "batch"))
    from corrupt import corrupt_chunk  # the batch tests' corruption patterns

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in (demo / "raw").glob("cdse_T230*"):
        shutil.copy2(p, raw / p.name)
    lima = raw / "cdse_T230_eiger2_4m_bin8_00001_00.h5"
    corrupt_chunk(lima, frame=1, pattern=pattern)
    code, out, err = run_saxs("reduce", raw / "cdse_T230.h5", "-o", tmp_path / "out", "--poni",
                              demo / "calibrations" / "geometry.poni")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"saxs reduce: error: {lima}: ")
    if pattern == "random":  # the bitshuffle-LZ4 filter dies in native code (exit 139 before): found in a child
        assert err == (f"saxs reduce: error: {lima}: frame 1: expected compressed data the HDF5 filter can decode "
                       f"(reading it crashed the reader with signal 11 (SIGSEGV); read through {raw / 'cdse_T230.h5'}), "
                       "got 'a corrupted chunk'")
    else:  # the filter returns an error: the reader names the frame itself
        assert f"{LIMA_DATA}[1]: expected a readable frame" in err
    assert not (tmp_path / "out").exists() or listing(tmp_path / "out") == []


def test_reduce_goes_on_after_a_reader_crash(demo, tmp_path):
    # Two master files, the first with a chunk that crashes the LZ4 filter (SIGSEGV in native code):
    # its file fails with the frame named, the worker is replaced and the second file is written,
    # equal to a reduction of that file alone (independent answer: the same command on it alone).
    import sys
    from pathlib import Path

    import h5py

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "batch"))
    from corrupt import corrupt_chunk

    raw = tmp_path / "raw"
    raw.mkdir()
    for p in [*(demo / "raw").glob("cdse_T230*"), *(demo / "raw").glob("cdse_T220*")]:
        shutil.copy2(p, raw / p.name)
    lima = raw / "cdse_T230_eiger2_4m_bin8_00001_00.h5"
    corrupt_chunk(lima, frame=1, pattern="random")
    poni = demo / "calibrations" / "geometry.poni"
    code, out, err = run_saxs("reduce", raw / "cdse_T230.h5", raw / "cdse_T220.h5", "-o", tmp_path / "out",
                              "--poni", poni)
    assert code == 2
    assert f"saxs reduce: error: {lima}: frame 1: expected compressed data the HDF5 filter can decode" in err
    assert "signal 11 (SIGSEGV)" in err
    assert listing(tmp_path / "out") == ["cdse_T220_scan1_reduced.h5"]
    assert run_saxs("reduce", raw / "cdse_T220.h5", "-o", tmp_path / "alone", "--poni", poni)[0] == 0
    with h5py.File(tmp_path / "out" / "cdse_T220_scan1_reduced.h5") as a, \
            h5py.File(tmp_path / "alone" / "cdse_T220_scan1_reduced.h5") as b:
        assert (a["average/sasdata/I"][()] == b["average/sasdata/I"][()]).all()


def test_files_that_are_not_files(demo, tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    truncated = tmp_path / "trunc.h5"
    truncated.write_bytes((demo / "raw" / "glassy_carbon_eiger2_4m_bin8_00001_00.h5").read_bytes()[:5000])
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    loop = tmp_path / "loop1"
    geometry = ["--calibrant", "AgBh", "--wavelength-nm", 0.1, "-o", tmp_path / "g.poni"]
    cases = [
        (["reduce", folder, "-o", tmp_path / "o"], f"saxs reduce: error: {folder}: file: expected an existing raw data "
                                                   "file, got 'a folder'"),
        (["reduce", loop, "-o", tmp_path / "o"], f"saxs reduce: error: {loop}: file: expected an existing raw data "
                                                 "file, got 'a symbolic link loop'"),
        (["fit", loop, "-o", tmp_path / "f.h5"], f"saxs fit: error: {loop}: file: expected an existing data file, "
                                                 "got 'a symbolic link loop'"),
        (["subtract", folder, "--solvent", loop, "--thickness-mm", 1, "-o", tmp_path / "s.h5"],
         f"saxs subtract: error: {folder}: file: expected an existing reduced file, got 'a folder'"),
        (["calibrate", "geometry", empty, *geometry], f"saxs calibrate: error: {empty}: file: expected a calibrant "
                                                      "frame, got 'an empty file'"),
        (["calibrate", "geometry", demo / "raw" / "cdse_T220.h5", "--calibrant", "Unobtainium", "--wavelength-nm", 0.1,
          "-o", tmp_path / "g.poni"], None),
    ]
    for argv, message in cases:
        code, _, err = run_saxs(*argv)
        assert code == 2, err
        if message is not None:
            assert err == message
    code, _, err = run_saxs("calibrate", "geometry", truncated, *geometry)
    assert code == 2 and err.startswith(f"saxs calibrate: error: {truncated}: file: expected a readable HDF5 file, "
                                        "got 'Unable to synchronously open file (truncated file")
    code, _, err = run_saxs("calibrate", "geometry", demo / "raw" / "cdse_T220.h5", "--calibrant", "Unobtainium",
                            *geometry[2:])
    assert err.startswith("saxs calibrate: error: --calibrant: expected a pyFAI calibrant name (AgBh, ")
    assert err.endswith("got 'Unobtainium'")
    assert not (tmp_path / "o").exists() and not (tmp_path / "g.poni").exists()
