"""Text and NXcanSAS input/output: formats users feed us and a real reader (SasView's sasdata)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from saxs.errors import InputError
from saxs.nxcansas import load_profile, read_nxcansas, write_nxcansas
from saxs.profile import Profile1D, SampleInfo


@pytest.mark.parametrize("sep,eol", [(";", "\r"), (",", "\n"), ("\t", "\r\n"), ("  ", "\n")])
def test_text_separators_and_line_endings(tmp_path, sep, eol):
    rows = [(0.1, 10.0, 0.5), (0.2, 5.0, 0.25), (0.3, 2.5, 0.1)]
    text = "# q I sigma" + eol + eol.join(sep.join(repr(v) for v in r) for r in rows) + eol
    path = tmp_path / "curve.dat"
    path.write_bytes(text.encode())
    p = load_profile(path)
    np.testing.assert_array_equal(p.q_nm, [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(p.sigma, [0.5, 0.25, 0.1])


def test_text_q_in_inverse_angstrom_is_converted(tmp_path):
    path = tmp_path / "a.dat"
    path.write_text("0.01 1 0.1\n0.02 2 0.1\n")
    p = load_profile(path, q_unit="A^-1")
    np.testing.assert_allclose(p.q_nm, [0.1, 0.2], rtol=1e-15)


def test_quickstart_csv_reads_all_points(data_dir):
    # CR-only line endings and ';' separators (see tests/data/README.md): 101 points.
    p = load_profile(data_dir / "quickstart" / "quickstartdemo1.csv")
    assert p.n_points == 101
    assert p.q_nm[0] == pytest.approx(0.01)


def test_text_errors_name_the_file(tmp_path):
    path = tmp_path / "two.dat"
    path.write_text("0.1 1\n0.2 2\n")
    with pytest.raises(InputError, match="two.dat.*three columns"):
        load_profile(path)
    with pytest.raises(InputError, match="missing.dat"):
        load_profile(tmp_path / "missing.dat")


def _profile():
    q = np.linspace(0.1, 5.0, 50)
    return Profile1D(q_nm=q, intensity=100.0 / (1 + q**2), sigma=0.01 * 100.0 / (1 + q**2) + 0.01,
                     intensity_unit="1/cm", sample=SampleInfo(name="cdse", thickness_mm=1.5, transmission=0.8),
                     provenance={"input_files": ["a.h5", "b.h5"], "geometry": {"distance_mm": 1000.0}})


def test_nxcansas_roundtrip_and_default_chain(tmp_path):
    p = _profile()
    path = write_nxcansas(tmp_path / "out.h5", [("frame0", p), ("average", p)], default="average")
    with h5py.File(path, "r") as f:
        entry = f[f.attrs["default"]]
        assert entry.name == "/average"
        data = entry[entry.attrs["default"]]
        assert data.attrs["signal"] == "I" and data.attrs["canSAS_class"] == "SASdata"
        assert data["I_errors"].id == data["Idev"].id  # a hard link, not a copy
        assert data["Q"].attrs["units"] == "1/nm"
    back = read_nxcansas(path)
    np.testing.assert_array_equal(back.q_nm, p.q_nm)
    np.testing.assert_array_equal(back.sigma, p.sigma)
    assert back.sample.thickness_mm == 1.5 and back.intensity_unit == "1/cm"


def test_nxcansas_loads_with_sasview_loader(tmp_path):
    loader = pytest.importorskip("sasdata.dataloader.loader")
    p = _profile()
    path = write_nxcansas(tmp_path / "out.h5", [("sasentry01", p)])
    data = loader.Loader().load(str(path))
    assert len(data) == 1
    d = data[0]
    # sasdata converts to its own internal unit; compare in whatever unit it reports.
    unit = str(d._xunit).replace(" ", "").replace("{", "").replace("}", "")
    q_factor = {"1/nm": 1.0, "nm^-1": 1.0, "1/A": 10.0, "A^-1": 10.0}.get(unit)  # 1 1/A = 10 1/nm
    assert q_factor is not None, d._xunit
    np.testing.assert_allclose(np.asarray(d.x) * q_factor, p.q_nm, rtol=1e-12)
    np.testing.assert_allclose(d.y, p.intensity, rtol=1e-12)
    np.testing.assert_allclose(d.dy, p.sigma, rtol=1e-12)
    assert "cm" in str(d._yunit)


SASVIEW_OLD = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "sasview" / "33837rear_1D_1.75_16.5_NXcanSAS.h5"


def test_sasview_example_in_the_older_nxcansas_layout_loads_as_sasview_reads_it():
    # SasView's own example file (sasdata example_data): the entry's canSAS class is in @NX_class
    # ("SASentry", "SASdata"; no @canSAS_class), units in @unit, I@uncertainty. It was refused before.
    # Oracle: SasView's loader (sasdata) on the same file: q (1/A there, x 10 here), I and dI equal to
    # the last bit (same float64 values read from the same datasets).
    with h5py.File(SASVIEW_OLD, "r") as f:  # the layout really is the older one
        assert "canSAS_class" not in f["sasentry01"].attrs and f["sasentry01"].attrs["NX_class"] == "SASentry"
        assert f["sasentry01/sasdata/Q"].attrs["unit"] == "1/A"
    profile = load_profile(SASVIEW_OLD)
    loader = pytest.importorskip("sasdata.dataloader.loader")
    (peer,) = loader.Loader().load(str(SASVIEW_OLD))
    assert "A" in peer.x_unit
    assert profile.n_points == peer.x.size == 66
    np.testing.assert_allclose(profile.q_nm, 10 * np.asarray(peer.x), rtol=1e-15)
    np.testing.assert_array_equal(profile.intensity, peer.y)
    np.testing.assert_array_equal(profile.sigma, peer.dy)
    assert profile.intensity_unit == "arbitrary"  # I@unit "Counts"


_SCALARS = ["NXcanSAS", "é unicode", "", True, False, 3, -7, 2.5, float("nan"), np.int32(0), np.int64(5),
            np.float32(1.25), np.uint32(4294967295), np.bool_(True)]


@pytest.mark.parametrize("value", _SCALARS, ids=[repr(v) for v in _SCALARS])
def test_fast_scalar_writes_equal_h5py_high_level_ones(tmp_path, value):
    """The low-level scalar datasets and attributes of saxs.nxcansas (hundreds per reduced file) are
    the objects h5py's own ``create_dataset(name, data=value)`` and ``attrs[name] = value`` make: same
    HDF5 type (H5Tequal, string character set), scalar dataspace, value, no time stamps."""
    from h5py import h5s

    from saxs.nxcansas import _new_scalar, _set_attr

    with h5py.File(tmp_path / "s.h5", "w") as f:
        ours, ref = f.create_group("ours"), f.create_group("ref")
        _new_scalar(ours, "x", value, units="mm")
        ref.create_dataset("x", data=value).attrs["units"] = "mm"
        _set_attr(ours, "a", value)
        ref.attrs["a"] = value
        for a, b in ((ours["x"].id, ref["x"].id), (ours["x"].attrs.get_id("units"), ref["x"].attrs.get_id("units")),
                     (ours.attrs.get_id("a"), ref.attrs.get_id("a"))):
            assert a.get_type() == b.get_type()  # H5Tequal
            if a.get_type().get_class() == h5py.h5t.STRING:
                assert a.get_type().get_cset() == b.get_type().get_cset() == h5py.h5t.CSET_UTF8
            assert a.get_space().get_simple_extent_type() == b.get_space().get_simple_extent_type() == h5s.SCALAR
        assert h5py.h5o.get_info(ours["x"].id).ctime == h5py.h5o.get_info(ref["x"].id).ctime == 0  # no time stamp
        for a, b in ((ours["x"][()], ref["x"][()]), (ours.attrs["a"], ref.attrs["a"])):
            assert type(a) is type(b)
            np.testing.assert_array_equal(a, b)
