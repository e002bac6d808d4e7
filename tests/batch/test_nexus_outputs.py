"""The batch's HDF5 outputs as generic NeXus readers see them: silx's NXdata validation on every
``@default`` chain, SasView's loader (sasdata) on the sample files, ``@units`` on the series entry."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest


def _default_chain(f: h5py.File) -> list[str]:
    """The groups the root ``@default`` leads to (NXroot -> NXentry -> NXdata)."""
    chain, node = [], f
    while "default" in node.attrs:
        name = node.attrs["default"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        node = node[name]
        chain.append(node.name)
        if not isinstance(node, h5py.Group):
            break
    return chain


def _batch_files(outdir):
    return sorted((outdir / "samples").glob("*.h5")) + sorted((outdir / "series").glob("*.h5")) + \
        sorted((outdir / "blanks").glob("*.h5"))


def test_every_default_chain_ends_at_valid_nxdata(small_batch_out):
    """silx finds a valid NXdata at the end of every file's @default chain, with no issue."""
    from silx.io.nxdata import NXdata, get_default

    files = _batch_files(small_batch_out)
    assert len(files) == 11 + 2 + 2
    for path in files:
        with h5py.File(path, "r") as f:
            chain = _default_chain(f)
            if "fit" in f:  # a fitted sample opens at I(q) with the fit over it (issue 14)
                assert chain == ["/fit", "/fit/mcfit", "/fit/mcfit/data"], (path.name, chain)
                assert f["fit/mcfit"].attrs["NX_class"] == "NXprocess"
                aux = [a.name for a in NXdata(f[chain[-1]]).auxiliary_signals]
                assert aux == ["/fit/mcfit/data/fit_intensity"], (path.name, aux)
                chain = [chain[0], chain[-1]]
            assert len(chain) == 2, (path.name, chain)
            entry, data = f[chain[0]], f[chain[1]]
            assert entry.attrs["NX_class"] == "NXentry" and data.attrs["NX_class"] == "NXdata", path.name
            nx = NXdata(data)
            assert nx.is_valid and nx.issues == [], (path.name, nx.issues)
            default = get_default(f)
            assert default is not None and default.group.name == data.name
            signal = data[data.attrs["signal"]]
            assert "units" in signal.attrs, path.name


def test_series_entry_layout(small_batch_out):
    """Steps series: the members' histograms as a 2-D image on the series values; peaks series: I(T, q).

    Every dataset of the entry's NXdata has @units; no attribute of the file is called "unit"; the
    image rows are the histograms the members' own fit groups hold (read there independently).
    """
    steps = small_batch_out / "series" / "nucleation_temperature.h5"
    peaks = small_batch_out / "series" / "precursor_mesophase.h5"
    with h5py.File(steps, "r") as f:
        g = f["entry/size_distributions"]
        assert f.attrs["default"] == "entry" and f["entry"].attrs["default"] == "size_distributions"
        assert list(g.attrs["axes"]) == ["series_value", "radius"]
        values = g["series_value"][()]
        # 7 of 8 members: cdse_T220's populations are withheld (a poor fit)
        np.testing.assert_array_equal(values, [190, 200, 210, 230, 240, 250, 260])
        assert g["series_value"].attrs["units"] == "degC" and g["radius"].attrs["units"] == "nm"
        assert json.loads(g.attrs["SILX_style"])["axes_scale_types"] == ["linear", "log"]
        row = list(g["member"].asstr()[()]).index("cdse_T240")
        image = g["volume"][row]
        findings = f["entry/findings/data"].asstr()[()]
        assert "Continuous growth from 250 C" in findings and "model: " in findings
        _check_units(f)
    with h5py.File(small_batch_out / "samples" / "cdse_T240.h5", "r") as s:
        np.testing.assert_array_equal(image, s["fit/mcfit/histogram/volume"][()])
    with h5py.File(peaks, "r") as f:
        g = f["entry/curves"]
        assert f["entry"].attrs["default"] == "curves" and g["I"].shape == (3, g["Q"].size)
        assert g["I"].attrs["units"] == "1/cm" and g["Q"].attrs["units"] == "1/nm"
        assert json.loads(g.attrs["SILX_style"]) == {"axes_scale_types": ["linear", "log"], "signal_scale_type": "log"}
        assert "gone at 100 C" in f["entry/findings/data"].asstr()[()]
        _check_units(f)


def _check_units(f):
    bad = []

    def visit(name, obj):
        if "unit" in obj.attrs:
            bad.append(name)
        if isinstance(obj, h5py.Dataset) and name.startswith("entry/") and "NXdata" == \
                obj.parent.attrs.get("NX_class") and obj.dtype.kind == "f":
            assert "units" in obj.attrs, name

    f.visititems(visit)
    assert bad == [] and "unit" not in f.attrs


#: Upper bound of SasView's metadata keys on a measured curve: ~100 provenance scalars (geometry,
#: monitors, headers), 3 per frame from the screen (2 frames here), 10 per Bragg peak, the
#: beamtime.toml values. The fit's arrays alone gave ~3200 keys when they sat in the curve's entry.
MEASURED_CURVE_KEYS = 300

#: Datasets that exist only in the fit result (mcfit.results): none may name a key of a measured curve.
FIT_ONLY = ("volume_observability", "crossing_step", "volume_fraction_per_contribution", "centers_nm", "edges_nm")


def _fit_keys(meta: dict) -> list[str]:
    return [k for k in meta if k.rstrip("0123456789") in FIT_ONLY]


def test_sample_files_open_in_sasview(small_batch_out):
    """SasView's loader reads every sample file: one data set per SASentry with the arrays we wrote;
    the measured curves carry their own metadata only (at most MEASURED_CURVE_KEYS keys, none from the
    fit), the fit's arrays are on the fit's own data set (the model curve, saxs/fit_entry.py)."""
    from sasdata.dataloader.loader import Loader

    fitted = 0
    for path in sorted((small_batch_out / "samples").glob("*.h5")):
        data = Loader().load(str(path))
        with h5py.File(path, "r") as f:
            curves = {name: (f[f"{name}/sasdata/Q"][()], f[f"{name}/sasdata/I"][()], f[f"{name}/sasdata/Idev"][()])
                      for name in f if f[name].attrs.get("canSAS_class") == "SASentry"}
            fit = {k: f[f"fit/mcfit/fit/{k}"][()] for k in ("q_nm", "intensity", "intensity_std")} if "fit" in f else None
        assert len(data) == len(curves), path.name
        for name, (q, i, di) in curves.items():  # each data set is one entry's arrays (float64 both ways)
            (d,) = [d for d in data if d.y.shape == i.shape and np.array_equal(d.y, i)]
            assert d._xunit == "A^{-1}"  # sasdata converts our 1/nm: 1 ulp from the division by 10
            np.testing.assert_allclose(d.x, q / 10, rtol=1e-15)
            np.testing.assert_array_equal(d.dy, di)
            if name == "fit":
                fitted += 1
                np.testing.assert_allclose(d.x, fit["q_nm"] / 10, rtol=1e-15)
                np.testing.assert_array_equal(d.y, fit["intensity"])
                np.testing.assert_array_equal(d.dy, fit["intensity_std"])
                assert len(d.meta_data) > 1000 and _fit_keys(d.meta_data), path.name  # the check below can fail
            else:
                assert len(d.meta_data) <= MEASURED_CURVE_KEYS and not _fit_keys(d.meta_data), \
                    (path.name, name, len(d.meta_data), _fit_keys(d.meta_data)[:5])
    assert fitted == 8  # the CdSe samples; the precursor's have no sphere fit


def _nxdata_signals(group) -> list[str]:
    out = []
    group.visititems(lambda n, o: out.append(f"{n}/{o.attrs['signal']}") if isinstance(o, h5py.Group)
                     and o.attrs.get("NX_class") == "NXdata" else None)
    return out


def test_reduce_and_fit_files_default_chains(small_beamtime, small_batch_out, tmp_path):
    """saxs reduce (frames + average) and saxs fit files: silx validates their default NXdata and the
    frames' I(t, q) NXdata (it once said "@uncertainties does not define the same number of fields as @axes")."""
    from silx.io.nxdata import NXdata, get_default

    from saxs.cli import main

    assert main(["reduce", str(small_beamtime / "raw" / "cdse_T220.h5"), "-o", str(tmp_path / "red")]) == 0
    assert main(["fit", str(small_batch_out / "samples" / "cdse_T240.h5"), "-o", str(tmp_path / "fit.h5"),
                 "--radius-range", "0.3", "4", "--repetitions", "2", "--contributions", "100",
                 "--max-steps", "20000"]) == 0
    reduced = sorted((tmp_path / "red").glob("*.h5"))
    assert reduced
    for path in [*reduced, tmp_path / "fit.h5"]:
        with h5py.File(path, "r") as f:
            default = get_default(f)
            assert default is not None and default.is_valid and default.issues == [], (path.name, default and default.issues)
            groups = []
            f.visititems(lambda n, o: groups.append(n) if isinstance(o, h5py.Group)
                         and o.attrs.get("NX_class") == "NXdata" else None)
            for name in groups:
                nx = NXdata(f[name])
                assert nx.is_valid and nx.issues == [], (path.name, name, nx.issues)
            if path.name == "fit.h5":  # the fit group: NXdata histogram (its @default), data and fit, all with @units
                g = f["fit/mcfit"]  # one layout with the batch's sample files
                assert g.attrs["default"] == "histogram" and "histogram/volume" in [n for n in _nxdata_signals(g)]
                for name in ("data", "fit", "histogram"):
                    for key, ds in g[name].items():
                        assert "units" in ds.attrs, (name, key)
                np.testing.assert_array_equal(g["histogram/volume_errors"][()], g["histogram/volume_std"][()])
            if path.name == "fit.h5":  # issue 14: a fit opens at the volume-weighted histogram with its errors
                assert _default_chain(f) == ["/fit", "/fit/mcfit", "/fit/mcfit/histogram"]
                assert default.signal.name == "/fit/mcfit/histogram/volume" and default.errors is not None
                # reading the file as a curve still gives the fitted (measured) curve, not the model
                from saxs.nxcansas import read_nxcansas

                assert read_nxcansas(path).provenance["input_entry"] == "sasentry01"
                # I(q) with the fit on log axes, one level down: the data NXdata carries the fit as auxiliary signal
                data = NXdata(f["fit/mcfit/data"])
                assert [a.name for a in data.auxiliary_signals] == ["/fit/mcfit/data/fit_intensity"]
                np.testing.assert_array_equal(f["fit/mcfit/data/fit_intensity"][()], f["fit/mcfit/fit/intensity"][()])
                assert json.loads(f["fit/mcfit/data"].attrs["SILX_style"])["signal_scale_type"] == "log"
            elif "SILX_style" in default.group.attrs:
                assert json.loads(default.group.attrs["SILX_style"])["signal_scale_type"] == "log"


def test_series_and_peaks_command_files_default_chains(small_batch_out, tmp_path):
    """saxs series -o (the members' histograms as an image) and saxs peaks -o (tracked peak areas):
    silx follows each root @default to a valid NXdata whose datasets carry @units."""
    from silx.io.nxdata import get_default

    from saxs.cli import main

    samples = small_batch_out / "samples"
    fits = [str(samples / f"cdse_T{t}.h5") for t in (190, 200, 240)]
    assert main(["series", *fits, "--values", "190", "200", "240", "-o", str(tmp_path / "series.h5")]) == 0
    pre = [str(samples / f"precursor_T{t}.h5") for t in ("025", "050", "100")]
    assert main(["peaks", *pre, "--by", "temperature_C", "-o", str(tmp_path / "peaks.h5")]) == 0
    expected = {"series.h5": ("/series/size_distributions", (3, None)), "peaks.h5": ("/peaks/track_areas", (3,))}
    for name, (group, shape) in expected.items():
        with h5py.File(tmp_path / name, "r") as f:
            default = get_default(f)
            assert default is not None and default.is_valid and default.issues == [], (name, default and default.issues)
            assert default.group.name == group
            assert default.signal.shape[0] == shape[0]
            for key, ds in default.group.items():
                if ds.dtype.kind == "f":
                    assert "units" in ds.attrs, (name, key)
        if name == "peaks.h5":
            with h5py.File(tmp_path / name, "r") as f:
                # the Cd-myristate peaks: present at 25 and 50 C, gone at 100 C (area within 3 sigma of 0)
                g = f["peaks/track_areas"]
                area, err = g[g.attrs["signal"]][()], g[g.attrs["signal"] + "_errors"][()]
                assert area[0] > 10 * err[0] and abs(area[2]) < 3 * max(err[2], 1e-12)


def test_named_quantities_carry_units(small_batch_out):
    """Every numeric dataset whose name ends in a unit (``_nm``, ``_s``, ``_mm``, ``_C``, ...) has @units,
    in every batch file; spot checks against the names' meaning (q and peak widths in 1/nm, radii in nm)."""
    from saxs.units import units_from_name

    missing = []
    for path in _batch_files(small_batch_out):
        with h5py.File(path, "r") as f:
            f.visititems(lambda n, o: missing.append(f"{path.name}:{n}") if isinstance(o, h5py.Dataset)
                         and o.dtype.kind in "fiu" and units_from_name(n.rsplit("/", 1)[-1])
                         and "units" not in o.attrs else None)
    assert missing == []
    with h5py.File(small_batch_out / "samples" / "cdse_T240.h5", "r") as f:
        prov = f["subtracted/sasprocess/provenance"]
        assert prov["exposure_s"].attrs["units"] == "s" and prov["distance_mm"].attrs["units"] == "mm"
        assert f["subtracted/metadata/nucleation_temperature_C"].attrs["units"] == "degC"
        assert f["fit/mcfit/bound/radii_nm"].attrs["units"] == "nm"
    with h5py.File(small_batch_out / "series" / "precursor_mesophase.h5", "r") as f:
        assert f["entry/peaks/q_nm"].attrs["units"] == "1/nm" and f["entry/peaks/fwhm_nm"].attrs["units"] == "1/nm"
        assert f["entry/members/value"].attrs["units"] == "degC"
    with h5py.File(small_batch_out / "series" / "nucleation_temperature.h5", "r") as f:
        assert f["entry/steps_analysis/families/radius_nm"].attrs["units"] == "nm"
        assert f["entry/steps_analysis/steps/between"].attrs["units"] == "degC"
