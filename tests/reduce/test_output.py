"""(c) NXcanSAS output: SasView's loader reads it, @default leads to the average, read back intact."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from saxs.reduce import ReductionOptions, read_reduced, reduce_file, write_reduced


@pytest.fixture(scope="module")
def reduced_file(lima_file, tmp_path_factory):
    reduced = reduce_file(lima_file, ReductionOptions(npt=80))
    out = write_reduced(reduced, tmp_path_factory.mktemp("out") / "guinier_reduced.h5")
    return reduced, out


def test_sasview_loader_reads_every_entry(reduced_file):
    from sasdata.dataloader.loader import Loader

    reduced, path = reduced_file
    loaded = Loader().load(str(path))
    by_run = {d.run[0]: d for d in loaded}
    assert set(by_run) == {"average", "frame0000", "frame0001", "frame0002"}
    avg = by_run["average"]
    # sasdata converts q to 1/A (factor 10 from 1/nm): same numbers, its unit
    assert avg._xunit in ("A^{-1}", "1/A")
    np.testing.assert_allclose(avg.x, reduced.average.q_nm / 10, rtol=1e-12)
    np.testing.assert_allclose(avg.y, reduced.average.intensity, rtol=1e-12)
    np.testing.assert_allclose(avg.dy, reduced.average.sigma, rtol=1e-12)
    assert avg._yunit == "arbitrary"
    np.testing.assert_allclose(by_run["frame0001"].y, reduced.frames[1].intensity, rtol=1e-12)
    assert by_run["frame0002"].title == "synthetic guinier"   # the series group does not leak into it


def test_default_chain_leads_a_viewer_to_the_average(reduced_file):
    reduced, path = reduced_file
    with h5py.File(path, "r") as f:
        entry = f[f.attrs["default"]]
        assert entry.name == "/average" and entry.attrs["NX_class"] == "NXentry"
        data = entry[entry.attrs["default"]]
        assert data.attrs["NX_class"] == "NXdata"
        signal = data[data.attrs["signal"]]
        axis = data[data.attrs["axes"] if isinstance(data.attrs["axes"], str) else data.attrs["axes"][0]]
        np.testing.assert_allclose(signal[()], reduced.average.intensity)
        np.testing.assert_allclose(axis[()], reduced.average.q_nm)
        assert axis.attrs["units"] == "1/nm" and signal.attrs["units"] == "arbitrary"
        np.testing.assert_allclose(data["I_errors"][()], reduced.average.sigma)
        series = f["series"][f["series"].attrs["default"]]
        assert series[series.attrs["signal"]].shape == (3, reduced.average.n_points)
        assert list(series.attrs["axes"]) == ["t", "Q"]
        np.testing.assert_allclose(series["t"][()], [0.0, 0.1, 0.2])


def test_read_reduced_round_trip(reduced_file, lima_file):
    reduced, path = reduced_file
    back = read_reduced(path)
    assert back.n_frames == 3 and back.frames_used == 3 and len(back.frames) == 3
    assert back.geometry == reduced.geometry
    np.testing.assert_allclose(back.monitors.i1, reduced.monitors.i1)
    for a, b in zip(back.frames, reduced.frames):
        np.testing.assert_array_equal(a.q_nm, b.q_nm)
        np.testing.assert_array_equal(a.intensity, b.intensity)
        np.testing.assert_array_equal(a.sigma, b.sigma)
    prov = back.frames[1].provenance
    # what the subtraction stage needs from each profile
    assert prov["input_file"] == str(lima_file)
    assert prov["frame_index"] == 1
    assert prov["i1"] == pytest.approx(1.1e6) and prov["i0"] == pytest.approx(2.2e6)
    assert prov["exposure_s"] == pytest.approx(0.1)
    assert prov["normalization"] == "monitor I1" and prov["normalization_factor"] == 1.0
    assert "solid angle" in prov["intensity_meaning"]
    geometry = prov["geometry"]
    for key in ("distance_mm", "center_x_px", "center_y_px", "wavelength_nm", "pixel_x_um", "pixel_y_um", "detector"):
        assert key in geometry
    avg = back.average.provenance
    assert avg["i1"] == pytest.approx(1.0e6) and avg["frame_index"] == "average"
    assert avg["software_version"] and avg["pyfai_version"]
    assert back.average.provenance["reduced_file"] == str(path)


def test_frame_provenance_read_back_equals_what_was_written(reduced_file, tmp_path):
    """Each frame entry holds only its own values and links to the file's provenance; read back, a
    frame's provenance equals its whole provenance written and read as one collection (the older
    layout, where every frame entry repeated the file's)."""
    from saxs.nxcansas import read_collection, write_value
    from saxs.reduce import FILE_PROVENANCE_LINK, FRAME_KEYS

    reduced, path = reduced_file
    back = read_reduced(path)
    with h5py.File(tmp_path / "whole.h5", "w") as scratch, h5py.File(path, "r") as f:
        for k, (written, profile) in enumerate(zip(reduced.frames, back.frames)):
            whole = scratch.create_group(f"frame{k}")
            for key, value in written.provenance.items():
                write_value(whole, key, value)
            fast = {key: v for key, v in profile.provenance.items() if key not in ("reduced_file", "reduced_entry")}
            assert fast == read_collection(whole)
            process = f[f"frame{k:04d}/sasprocess"]
            assert set(process["provenance"]) == set(FRAME_KEYS)
            assert process[FILE_PROVENANCE_LINK] == f["series/provenance"]  # the same HDF5 object


def _count_datasets(path) -> int:
    """HDF5 datasets of a file, each object once (a hard link is not a second dataset)."""
    seen = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: seen.append(name) if isinstance(obj, h5py.Dataset) else None)
    return len(seen)


def test_frame_entries_cost_a_few_datasets_each(reduced_file, tmp_path):
    """Writing is cheap because each frame entry adds a fixed, small number of datasets, whatever the
    size of the file's provenance: title, run, I, Idev and its own values (the 6 FRAME_KEYS); the rest
    (definition, Q, sample, instrument, process name/version/date) are hard links to the average's
    and the file's provenance is linked once. Before, each frame entry wrote 14 NXcanSAS datasets
    plus the whole provenance (57 datasets in this file)."""
    import dataclasses

    from saxs.reduce import FRAME_KEYS

    reduced, path = reduced_file
    one = write_reduced(dataclasses.replace(reduced, frames=reduced.frames[:1]), tmp_path / "one.h5")
    per_frame = (_count_datasets(path) - _count_datasets(one)) / (len(reduced.frames) - 1)
    assert per_frame == 4 + len(FRAME_KEYS)
    with h5py.File(path, "r") as f:
        n_provenance = sum(1 for _ in _datasets_under(f["series/provenance"]))
        assert n_provenance > 4 * per_frame  # the saving is real: the provenance is the bulk of an entry
        frame, average = f["frame0002"], f["average"]
        for shared in ("definition", "sasdata/Q", "sassample", "sasinstrument", "sasprocess/date"):
            assert frame[shared] == average[shared]  # the same HDF5 object
        np.testing.assert_array_equal(frame["sasdata/Q"][()], reduced.frames[2].q_nm)
        assert frame["sassample/name"][()].decode() == reduced.frames[2].sample.name
        assert frame["sasinstrument/sassource/incident_wavelength"][()] == reduced.frames[2].provenance["wavelength_nm"]


def _datasets_under(group):
    for item in group.values():
        if isinstance(item, h5py.Group):
            yield from _datasets_under(item)
        else:
            yield item


def test_rewriting_a_read_back_reduction(reduced_file, tmp_path):
    reduced, path = reduced_file
    again = write_reduced(read_reduced(path), tmp_path / "again.h5")
    back = read_reduced(again)
    np.testing.assert_array_equal(back.average.intensity, reduced.average.intensity)
    assert len(back.frames) == 3 and back.frames[2].provenance["frame_index"] == 2
