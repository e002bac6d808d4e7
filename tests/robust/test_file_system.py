"""A full disk and a read-only folder, on real tmpfs mounts (issue 13, items 5 and 8).

Full disk (ENOSPC at the write): one line naming the output file, exit 1, nothing left behind (no
temporary file, no partial output). Read-only folder: refused before any work, exit 2.
"""

from __future__ import annotations

import pytest
from robust_helpers import listing, run_saxs, tmpfs


def _commands(reduced, demo, where):
    """(name, argv) of every command that writes, with its output under ``where``."""
    return [
        ("reduce", ["reduce", demo / "raw" / "cdse_T220.h5", "-o", where / "red", "--poni",
                    demo / "calibrations" / "geometry.poni", "--npt", "200"], where / "red" / "cdse_T220_scan1_reduced.h5"),
        ("subtract", ["subtract", reduced["sample"], "--solvent", reduced["solvent"], "--thickness-mm", 1,
                      "-o", where / "s.h5"], where / "s.h5"),
        ("fit", ["fit", reduced["sample"], "-o", where / "f.h5", "--contributions", 50, "--repetitions", 1,
                 "--max-steps", 2000, "--seed", 1], where / "f.h5"),
        ("calibrate", ["calibrate", "absolute", reduced["standard"], "--standard", "srm3600", "--thickness-mm", 1.055,
                       "-o", where / "c.toml"], where / "c.toml"),
        ("peaks", ["peaks", reduced["sample"], "-o", where / "p.h5"], where / "p.h5"),
    ]


@pytest.mark.parametrize("name", ["reduce", "subtract", "fit", "calibrate", "peaks"])
def test_disk_full_one_line_exit_1_nothing_left(reduced, demo, tmp_path, name):
    mount = tmp_path / "full"
    # filled to the last byte: the temporary file is created (an inode), its first write fails
    with tmpfs(mount, size_kb=320, fill_to_kb=320):
        (argv, output), = [(a, o) for n, a, o in _commands(reduced, demo, mount) if n == name]
        code, _, err = run_saxs(*argv)
        left = listing(mount)
    assert code == 1, err
    assert err == f"saxs {argv[0]}: error: {output}: no space left on device (the disk is full; nothing was written)"
    assert left == ["filler"]  # no temporary file, no partial output


def test_disk_full_batch(demo, tmp_path):
    mount = tmp_path / "full"
    with tmpfs(mount, size_kb=320, fill_to_kb=272):
        code, _, err = run_saxs("batch", demo, "-o", mount / "out", "--only", "cdse_T220", "--workers", 1,
                                "--no-progress", "--json")
        left = listing(mount)
    assert code == 1
    assert not [p for p in left if p.endswith(".tmp")]
    assert "No space left on device" in err and "FAILED sample cdse_T220" in err


@pytest.mark.parametrize("name", ["reduce", "subtract", "fit", "calibrate", "peaks"])
def test_read_only_folder_refused_before_work(reduced, demo, tmp_path, name):
    mount = tmp_path / "ro"
    with tmpfs(mount, size_kb=64, read_only=True):
        (argv, output), = [(a, o) for n, a, o in _commands(reduced, demo, mount) if n == name]
        code, out, err = run_saxs(*argv)
    assert code == 2 and out == ""
    named = output.parent if name == "reduce" else output  # reduce: its -o folder
    assert err.startswith(f"saxs {argv[0]}: error: {named}: -o/--output: "
                          "expected a writable folder, got '")
    assert err.endswith(": read-only file system'")


def test_read_only_batch_and_series(demo, reduced, tmp_path):
    mount = tmp_path / "ro"
    with tmpfs(mount, size_kb=64, read_only=True):
        code, _, err = run_saxs("batch", demo, "-o", mount / "out")
        assert code == 2 and err == (f"saxs batch: error: {mount / 'out'}: -o/--outdir: expected a writable folder, "
                                     f"got '{mount}: read-only file system'")
        code, _, err = run_saxs("series", reduced["sample"], "--values", 1, "-o", mount / "s.h5")
        assert code == 2 and "read-only file system" in err
