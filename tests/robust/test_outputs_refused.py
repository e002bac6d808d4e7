"""An output that is an input is refused before any work, exit 2, the input unchanged (issue 13, item 3):
the same name, a symbolic link and a hard link to it; an output that is a folder; batch -o a file."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest

from robust_helpers import run_saxs


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def copies(reduced, tmp_path):
    """Private copies of the reduced files, plus a symbolic and a hard link to the sample."""
    files = {k: shutil.copy2(v, tmp_path / v.name) for k, v in reduced.items()}
    files = {k: tmp_path / os.path.basename(v) for k, v in files.items()}
    (tmp_path / "symlink.h5").symlink_to(files["sample"].name)
    os.link(files["sample"], tmp_path / "hardlink.h5")
    files["symlink"], files["hardlink"] = tmp_path / "symlink.h5", tmp_path / "hardlink.h5"
    return files


CASES = [
    # (command with {placeholders}, the option and the input named in the message)
    ("subtract {sample} --solvent {solvent} --thickness-mm 1 -o {sample}", "the SAMPLE file"),
    ("subtract {sample} --solvent {solvent} --thickness-mm 1 -o {solvent}", "the --solvent file"),
    ("subtract {sample} --solvent {solvent} --thickness-mm 1 -o {symlink}", "the SAMPLE file"),
    ("subtract {sample} --solvent {solvent} --thickness-mm 1 -o {hardlink}", "the SAMPLE file"),
    ("fit {sample} -o {sample}", "the DATA file"),
    ("fit {symlink} -o {hardlink}", "the DATA file"),
    ("calibrate absolute {standard} --standard srm3600 --thickness-mm 1.055 -o {standard}", "the STANDARD file"),
    ("peaks {sample} -o {hardlink}", "the DATA file"),
    ("series {sample} --values 1 -o {symlink}", "the FIT.h5 file"),
    ("plot {sample} -o {sample}", "the RESULT.h5 file"),
]


@pytest.mark.parametrize(("command", "named"), CASES)
def test_output_that_is_an_input_is_refused(copies, command, named):
    before = {k: _digest(v) for k, v in copies.items()}
    args = command.format(**{k: str(v) for k, v in copies.items()}).split()
    code, out, err = run_saxs(*args)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert "-o/--output: expected a file that is not an input (it is " + named in err
    assert {k: _digest(v) for k, v in copies.items()} == before  # nothing replaced
    assert not list(copies["sample"].parent.glob(".*.tmp"))


def test_output_folder_and_batch_outdir_checks(copies, demo, tmp_path):
    code, _, err = run_saxs("subtract", copies["sample"], "--solvent", copies["solvent"], "--thickness-mm", 1,
                            "-o", tmp_path)
    assert code == 2 and err == (f"saxs subtract: error: {tmp_path}: -o/--output: expected a file name to write, "
                                 "got 'an existing folder'")
    toml = demo / "beamtime.toml"
    code, _, err = run_saxs("batch", demo, "-o", toml)
    assert code == 2 and err == f"saxs batch: error: {toml}: -o/--outdir: expected an output folder (it is the beamtime file)"
    code, _, err = run_saxs("batch", demo, "-o", copies["sample"])
    assert code == 2 and err.endswith("-o/--outdir: expected an output folder, got 'an existing file'")
    raw = demo / "raw" / "cdse_T220.h5"
    code, _, err = run_saxs("reduce", raw, "-o", raw)
    assert code == 2 and err.endswith("-o/--output: expected an output folder (it is the FILES file)")
