"""Bad input: one-line errors naming the file and key, exit code 2, nothing partial, batches carry on."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import reduce_synth as synth
from reduce_synth import make_lima
from saxs.cli import main
from saxs.errors import InputError
from saxs.reduce import ReductionOptions, reduce_file


def test_missing_header_key_names_raw_file_and_key(tmp_path):
    header = synth.header()
    del header["Center_2"]
    path = make_lima(tmp_path / "nocentre.h5", seed=1, header=header)
    with pytest.raises(InputError) as err:
        reduce_file(path, ReductionOptions(npt=50))
    assert str(path) in str(err.value) and "Center_2" in str(err.value)


def test_mask_of_wrong_shape_names_mask_file(tmp_path, lima_file):
    mask = tmp_path / "mask.npy"
    np.save(mask, np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(InputError) as err:
        reduce_file(lima_file, ReductionOptions(npt=50, mask=mask))
    assert str(err.value).startswith(str(mask)) and "(120, 128)" in str(err.value)


def test_mask_file_masks_pixels(tmp_path, lima_file):
    import fabio.edfimage

    mask = np.zeros(synth.SHAPE, dtype=np.uint8)
    mask[:, :20] = 1
    path = tmp_path / "mask.edf"
    fabio.edfimage.EdfImage(data=mask).write(str(path))
    reduced = reduce_file(lima_file, ReductionOptions(npt=50, mask=path))
    assert reduced.frames[0].provenance["masked_pixels"] == mask.sum()
    assert reduced.average.provenance["mask_file"] == str(path)


def test_poni_of_wrong_shape_names_poni(tmp_path, lima_file):
    poni = tmp_path / "other.poni"
    poni.write_text('poni_version: 2.1\nDetector: Detector\nDetector_config: {"pixel1": 0.0006, "pixel2": 0.0006, '
                    '"max_shape": [100, 100], "orientation": 3}\nDistance: 1.0\nPoni1: 0.03\nPoni2: 0.03\n'
                    'Rot1: 0\nRot2: 0\nRot3: 0\nWavelength: 1e-10\n')
    with pytest.raises(InputError) as err:
        reduce_file(lima_file, ReductionOptions(npt=50, poni=poni))
    assert str(err.value).startswith(str(poni))


def test_bad_options():
    with pytest.raises(InputError, match="npt"):
        ReductionOptions(npt=1)
    with pytest.raises(InputError, match="normalize"):
        ReductionOptions(normalize="i2")
    with pytest.raises(InputError, match="i1"):
        ReductionOptions(i1=-5.0)


def test_explicit_monitor_values_replace_scalers(lima_file):
    scaled = reduce_file(lima_file, ReductionOptions(npt=50, i1=2.0e6))
    plain = reduce_file(lima_file, ReductionOptions(npt=50))
    # frame 0 has I1 = 1e6 in the file: an explicit 2e6 halves it exactly
    np.testing.assert_allclose(scaled.frames[0].intensity * 2, plain.frames[0].intensity, rtol=1e-12)
    assert scaled.monitors.source.startswith("explicit")


def test_cli_bad_mask_exit_2_and_nothing_written(tmp_path, lima_file, capsys):
    mask = tmp_path / "mask.npy"
    np.save(mask, np.zeros((5, 5)))
    out = tmp_path / "out"
    code = main(["reduce", str(lima_file), "--mask", str(mask), "--npt", "50", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(mask) in err
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_batch_with_a_corrupt_file_carries_on(tmp_path, lima_file, capsys):
    corrupt = tmp_path / "corrupt.h5"
    with h5py.File(corrupt, "w") as f:        # a valid HDF5 file that is not a LIMA file
        f["something"] = 1
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(lima_file.read_bytes()[:4000])
    second = make_lima(tmp_path / "second.h5", seed=2)
    out = tmp_path / "out"
    code = main(["reduce", str(lima_file), str(corrupt), str(truncated), str(second), "--npt", "50",
                 "-o", str(out), "--json"])
    assert code == 2
    summary = json.loads(capsys.readouterr().out)
    assert [o["input"] for o in summary["outputs"]] == [str(lima_file), str(second)]
    assert summary["outputs"][0] == {"input": str(lima_file), "output": str(out / "guinier_pilatus_00001_00_reduced.h5"),
                                     "frames": 3, "frames_used": 3, "warnings": []}
    assert {f["input"] for f in summary["failures"]} == {str(corrupt), str(truncated)}
    assert sorted(p.name for p in out.iterdir()) == ["guinier_pilatus_00001_00_reduced.h5", "second_pilatus_00001_00_reduced.h5"]


def test_cli_success(tmp_path, lima_file, capsys):
    out = tmp_path / "out"
    code = main(["reduce", str(lima_file), "--npt", "40", "-o", str(out), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["outputs"][0]["frames_used"] == 3 and summary["failures"] == []


def test_cli_missing_file_exit_2(tmp_path, capsys):
    code = main(["reduce", str(tmp_path / "nope.h5"), "-o", str(tmp_path / "out")])
    assert code == 2
    assert "nope.h5" in capsys.readouterr().err


def test_bad_scaler_channel_names_key(tmp_path):
    path = make_lima(tmp_path / "badch.h5", seed=1, header=synth.header(HSI1=9))
    with pytest.raises(InputError) as err:
        reduce_file(path, ReductionOptions(npt=30))
    assert str(path) in str(err.value) and "HSI1" in str(err.value)


def test_frame_with_zero_monitor_is_skipped_and_reported(tmp_path):
    path = make_lima(tmp_path / "beamloss.h5", seed=1, i1=np.array([1e6, 0.0, 1e6]))
    reduced = reduce_file(path, ReductionOptions(npt=30))
    assert reduced.n_frames == 3 and reduced.frames_used == 2
    assert [p.provenance["frame_index"] for p in reduced.frames] == [0, 2]
    assert any("skipped" in w for w in reduced.warnings)
    assert reduced.average.provenance["skipped_frames"] == [1]


def test_lima_file_without_header_group(tmp_path):
    path = tmp_path / "noheader.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("entry_0000/instrument/det/data", data=np.zeros((1, 4, 5), np.uint32))
        f["entry_0000/measurement/data"] = h5py.SoftLink("/entry_0000/instrument/det/data")
    with pytest.raises(InputError, match="header"):
        reduce_file(path, ReductionOptions(npt=30))


def test_mask_that_masks_everything_names_mask_file(tmp_path, lima_file):
    mask = tmp_path / "all.npy"
    np.save(mask, np.ones(synth.SHAPE, dtype=np.uint8))
    with pytest.raises(InputError) as err:
        reduce_file(lima_file, ReductionOptions(npt=30, mask=mask))
    assert str(err.value).startswith(str(mask))
