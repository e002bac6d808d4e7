"""The simulated beamtime folder: layout, headers, counts against the formula, monitors, determinism."""

from __future__ import annotations

import glob
import json
import tomllib

from pathlib import Path

import fabio
import h5py
import hdf5plugin  # noqa: F401 - registers the bitshuffle filter for reading
import numpy as np
import pyFAI.detectors
import pytest
from pyFAI.integrator.azimuthal import AzimuthalIntegrator

from saxs.cli import main
from saxs.simulate.beamtime import simulate_beamtime
from saxs.simulate.truth import load_truth

from .conftest import FRAMES, SEED

BAD = 2**32 - 1


def _lima_and_counters(path):
    """The LIMA file behind ``path`` (a master file's external link, or ``path`` itself) and the
    master file's counters (None for a LIMA file), read with h5py alone."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("creator") != "bliss":
            return Path(path), None
        det = next(iter(f["1.1/instrument"]))
        link = f[f"1.1/instrument/{det}"].get("data", getlink=True)
        assert isinstance(link, h5py.ExternalLink) and link.path == "/entry_0000/measurement/data"
        counters = {k: v[()] for k, v in f["1.1/measurement"].items() if isinstance(v, h5py.Dataset) and v.ndim == 1}
        return Path(path).parent / link.filename, counters


def _read(path):
    """Frames, header, counters (name -> values per frame), chunks and filters of a simulated raw file."""
    lima, counters = _lima_and_counters(path)
    with h5py.File(lima, "r") as f:
        assert f.attrs["creator"].startswith("LIMA")
        frames = f["entry_0000/measurement/data"][()]
        det = next(iter(f["entry_0000/ESRF-ID02"]))
        header = {k: v[()] for k, v in f[f"entry_0000/ESRF-ID02/{det}/header"].items()}
        chunks = f[f"entry_0000/ESRF-ID02/{det}/data"].chunks
        plist = f[f"entry_0000/ESRF-ID02/{det}/data"].id.get_create_plist()
        filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    scalers = lima.with_name(lima.name.replace(f"_{det}_", "_scalers_"))
    if counters is None and scalers.is_file():   # the scalers file: calibrated HS32V columns by HS32N name
        with h5py.File(scalers, "r") as f:
            mcs = f["entry_0000/TRUSAXS/MCS"]
            names = [n.decode() if isinstance(n, bytes) else n for n in mcs["HS32N"][()]]
            counters = {name: mcs["HS32V"][:, k] for k, name in enumerate(names)}
    return frames, header, counters, chunks, filters


def _num(header, key):
    v = header[key]
    return float(v.decode() if isinstance(v, bytes) else v)


def _monitors(header, counters):
    """(i0, i1): the counters HSI0 / HSI1 name, by name or by 1-based pin through HS32Nnn."""
    out = []
    for key in ("HSI0", "HSI1"):
        ref = header[key].decode()
        if ref.isdigit():
            ref = header[f"HS32N{int(ref):02d}"].decode()
        out.append(np.asarray(counters[ref], dtype=float))
    return out


def test_layout_and_summary(beamtime):
    out, s = beamtime
    assert s["seed"] == SEED and s["preset"] == "cdse-demo"
    for rel in s["files"]:
        assert (out / rel).is_file(), rel
    assert {"cdse_T190", "cdse_T260", "precursor_T025", "precursor_T100"} <= set(s["samples"])
    assert (out / "README.txt").read_text().startswith("Simulated ID02 beamtime")
    total = sum((out / rel).stat().st_size for rel in s["files"])
    assert total < 15e6  # "a few MB"


def test_lima_file_and_header(beamtime):
    out, _ = beamtime
    frames, header, counters, chunks, filters = _read(out / "raw/cdse_T200.h5")
    assert frames.shape == (FRAMES, 270, 258) and frames.dtype == np.uint32
    assert chunks == (1, 270, 258)
    assert 32008 in filters  # bitshuffle (hdf5plugin)
    for key in ("Center_1", "Center_2", "PSize_1", "PSize_2", "SampleDistance", "WaveLength", "Dummy", "DDummy",
                "HSI0", "HSI1", "HSI0Factor", "HSI1Factor", "NormalizationFactor", "DetectorRotation_1",
                "DetectorRotation_2", "DetectorRotation_3", "ExposureTime", "polarization_factor", "Title"):
        assert key in header, key
    assert _num(header, "Center_1") == 112.4 and _num(header, "Center_2") == 168.7
    assert _num(header, "PSize_1") == pytest.approx(600e-6) and _num(header, "polarization_factor") == 0.99
    assert isinstance(header["Center_1"], bytes)  # ID02 style byte strings
    assert [header[f"HS32N{k:02d}"] for k in (2, 3)] == [b"pin41", b"pin5"]
    assert (header["HSI0"], header["HSI1"], header["HSTime"]) == (b"pin41", b"pin5", b"time")   # BLISS era: names
    np.testing.assert_allclose(counters["time"], 0.1, rtol=1e-12)
    _, lima_header, *_ = _read(out / "raw/solvent_ode_eiger2_4m_bin8_00001_00.h5")
    assert (lima_header["HSI0"], lima_header["HSI1"]) == (b"2", b"3")                          # older: pin numbers


def test_gaps_and_dead_pixels_read_max(beamtime):
    out, _ = beamtime
    frames, *_ = _read(out / "raw/solvent_ode_eiger2_4m_bin8_00001_00.h5")
    gaps = pyFAI.detectors.detector_factory("Eiger2_4M").calc_mask().astype(bool)
    binned = gaps[:2160, :2064].reshape(270, 8, 258, 8).any(axis=(1, 3))  # independent binning of pyFAI's layout
    assert np.all(frames[:, binned] == BAD)
    bad = np.all(frames == BAD, axis=0)
    dead = bad & ~binned
    assert 8 <= dead.sum() <= 40  # a few dead pixels off the gaps
    mask = fabio.open(str(out / "calibrations/mask.edf")).data.astype(bool)
    # Half of the dead pixels are in the mask, the others only show as 2**32-1.
    assert 0 < (dead & mask).sum() < dead.sum()
    # Nothing else saturates.
    assert np.all(frames[:, ~bad] < 1e6)


@pytest.mark.parametrize("name", ["cdse_T200", "glassy_carbon", "precursor_T025", "cdse_T220"])
def test_counts_follow_the_formula(beamtime, name):
    # Independent expectation: q, solid angle and polarisation from pyFAI (not the simulator's
    # detector module), flat from flat.edf, parameters from the truth file. Pulls
    # (c - E) / sqrt(E) over ~60k pixels x 5 frames must be N(0, 1): mean within 5/sqrt(n),
    # std within 1 +- 0.01 (the std of a sample std of 3e5 values is 0.0013).
    out, _ = beamtime
    truth = load_truth(out / "truth" / f"{name}.json")
    frames, header, scalers, *_ = _read(out / truth.raw_file)
    g = truth.geometry
    ny, nx = frames.shape[1:]
    p = _num(header, "PSize_1")
    ai = AzimuthalIntegrator(detector=pyFAI.detectors.Detector(pixel1=p, pixel2=p, max_shape=(ny, nx)))
    ai.setFit2D(_num(header, "SampleDistance") * 1e3, _num(header, "Center_1"), _num(header, "Center_2"),
                pixelX=p * 1e6, pixelY=p * 1e6)
    ai.wavelength = _num(header, "WaveLength")
    q = ai.center_array((ny, nx), unit="q_nm^-1")
    sa = ai.solidAngleArray((ny, nx), absolute=True)
    pol = ai.polarization((ny, nx), factor=_num(header, "polarization_factor"))
    flat = fabio.open(str(out / "calibrations/flat.edf")).data
    mask = fabio.open(str(out / "calibrations/mask.edf")).data.astype(bool)
    valid = ~mask & ~np.any(frames == BAD, axis=0)
    pulls = []
    for k in range(truth.n_frames):
        e = truth.expected_counts(q[valid], sa[valid], pol[valid], flat[valid], frame=k)
        pulls.append((frames[k][valid] - e) / np.sqrt(e))
    pulls = np.concatenate(pulls)
    assert abs(pulls.mean()) < 5 / np.sqrt(pulls.size)
    assert abs(pulls.std() - 1) < 0.01
    assert g.shape == (ny, nx)


def test_dark_frames(beamtime):
    out, _ = beamtime
    truth = load_truth(out / "truth/dark.json")
    frames, header, scalers, *_ = _read(out / truth.raw_file)
    good = frames[:, ~np.any(frames == BAD, axis=0)]
    lam = truth.dark_rate_per_s * truth.exposure_time_s
    # Poisson(2) over ~5e5 values: mean within 5 sigma, variance = mean within 1 %.
    assert good.mean() == pytest.approx(lam, abs=5 * np.sqrt(lam / good.size))
    assert good.var() == pytest.approx(lam, rel=0.01)
    i0, i1 = _monitors(header, scalers)
    np.testing.assert_allclose(i0, 0.0, atol=1e-9)  # beam off: scaler dark only


def test_transmissions_from_monitors(beamtime):
    out, _ = beamtime
    frames, header, scalers, *_ = _read(out / load_truth(out / "truth/empty_beam.json").raw_file)
    e0, e1 = _monitors(header, scalers)
    ratio_empty = np.mean(e1 / e0)
    for name in ("empty_capillary", "solvent_ode", "water", "glassy_carbon", "cdse_T190", "cdse_T260"):
        truth = load_truth(out / "truth" / f"{name}.json")
        _, h, sc, *_ = _read(out / truth.raw_file)
        i0, i1 = _monitors(h, sc)
        # Monitors are noise-free up to integer scaler counts (~1e6): 1e-5 relative.
        np.testing.assert_allclose(i1 / i0 / ratio_empty, truth.transmission, rtol=1e-5)
        np.testing.assert_allclose(i0, truth.g0 * np.array(truth.n0_per_frame), rtol=1e-5)
        assert 0.5 < truth.transmission < 1.0
    truth = load_truth(out / "truth/cdse_T220.json")
    _, h, sc, *_ = _read(out / truth.raw_file)
    i0, i1 = _monitors(h, sc)
    t = i1 / i0 / ratio_empty
    np.testing.assert_allclose(t[2], 0.8 * truth.transmission, rtol=1e-5)  # the bubble frame
    np.testing.assert_allclose(np.delete(t, 2), truth.transmission, rtol=1e-5)


def test_flat_mask_and_poni(beamtime):
    out, _ = beamtime
    flat = fabio.open(str(out / "calibrations/flat.edf")).data
    assert flat.shape == (270, 258) and flat.dtype == np.float32
    assert abs(flat.mean() - 1) < 0.01 and 0.01 < flat.std() < 0.05
    mask = fabio.open(str(out / "calibrations/mask.edf")).data
    ai = pyFAI.load(str(out / "calibrations/geometry.poni"))
    f2d = ai.getFit2D()
    assert (f2d["centerX"], f2d["centerY"]) == pytest.approx((112.4, 168.7), abs=1e-9)
    # The beamstop: the pixel holding the beam centre and its neighbours are masked.
    assert mask[168, 112] == 1 and mask[170, 114] == 1
    assert mask.mean() < 0.05


def test_beamtime_toml(beamtime):
    out, _ = beamtime
    cfg = tomllib.loads((out / "beamtime.toml").read_text())
    assert cfg["version"] == 1
    inst = cfg["instrument"]
    for key in ("poni", "mask", "flat", "empty_beam"):
        assert (out / inst[key]).is_file()
    assert glob.glob(str(out / inst["dark"]))
    assert (out / cfg["absolute"]["standard_file"]).is_file() and cfg["absolute"]["standard"] == "srm3600"
    names = [s["name"] for s in cfg["samples"]]
    assert "cdse_T230" in names and "precursor_T050" in names
    for s in cfg["samples"]:
        assert glob.glob(str(out / s["files"][0]))
        assert s["solvent"] in cfg["blanks"] and s["empty"] in cfg["blanks"]
        truth = load_truth(out / "truth" / f"{s['name']}.json")
        assert s["thickness_mm"] == truth.thickness_mm
        assert s["metadata"] == truth.metadata
    assert {x["analysis"] for x in cfg["series"]} == {"steps", "peaks"}
    assert cfg["fit"]["seed"] == SEED


def test_same_seed_same_files_other_seed_differs(tmp_path):
    a = simulate_beamtime(tmp_path / "a", seed=7, frames=1)
    b = simulate_beamtime(tmp_path / "b", seed=7, frames=1)
    c = simulate_beamtime(tmp_path / "c", seed=8, frames=1)
    assert a["files"] == b["files"] == c["files"]
    for rel in a["files"]:
        if rel.endswith(".h5") and "_scalers_" not in rel:
            fa, fb, fc = (_read(tmp_path / x / rel)[0] for x in "abc")
            np.testing.assert_array_equal(fa, fb)
            assert not np.array_equal(fa, fc)
        elif rel.startswith("truth/"):
            ta = json.loads((tmp_path / "a" / rel).read_text())
            assert ta == json.loads((tmp_path / "b" / rel).read_text())
    np.testing.assert_array_equal(fabio.open(str(tmp_path / "a/calibrations/flat.edf")).data,
                                  fabio.open(str(tmp_path / "b/calibrations/flat.edf")).data)


def test_cli_json_and_bad_input(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "x"), "--frames", "1", "--seed", "3", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["seed"] == 3 and summary["outdir"] == str(tmp_path / "x")
    assert {"raw/cdse_T240.h5", "raw/cdse_T240_eiger2_4m_bin8_00001_00.h5"} <= set(summary["files"])
    assert main(["simulate", str(tmp_path / "y"), "--frames", "0"]) == 2
    assert "--frames" in capsys.readouterr().err
    assert not (tmp_path / "y").exists()  # nothing written on bad input
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(tmp_path / "z"), "--preset", "nope"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_full_preset_frames(tmp_path):
    # Full-size Eiger2 4M frames: gaps where pyFAI's Eiger2_4M puts them, Fit2D centre scaled
    # by the binning (8 x the small detector's), counts following the formula.
    s = simulate_beamtime(tmp_path / "full", preset="full", seed=5, frames=1)
    assert s["shape"] == [2162, 2068] and s["detector"] == "eiger2_4m"
    truth = load_truth(tmp_path / "full/truth/cdse_T200.json")
    frames, header, *_ = _read(tmp_path / "full" / truth.raw_file)
    assert frames.shape == (1, 2162, 2068)
    assert _num(header, "PSize_1") == 75e-6
    assert (_num(header, "Center_1"), _num(header, "Center_2")) == pytest.approx((899.2, 1349.6))
    gaps = pyFAI.detectors.detector_factory("Eiger2_4M").calc_mask().astype(bool)
    assert np.all(frames[0][gaps] == BAD)
    bad = frames[0] == BAD
    assert (bad & ~gaps).sum() > 100  # dead pixels
    ai = pyFAI.load(str(tmp_path / "full/calibrations/geometry.poni"))
    rows = slice(0, None, 7)  # a subset of rows keeps the oracle cheap
    q = ai.center_array(ai.detector.shape, unit="q_nm^-1")[rows]
    sa = ai.solidAngleArray(ai.detector.shape, absolute=True)[rows]
    pol = ai.polarization(ai.detector.shape, factor=0.99)[rows]
    flat = fabio.open(str(tmp_path / "full/calibrations/flat.edf")).data[rows]
    mask = fabio.open(str(tmp_path / "full/calibrations/mask.edf")).data[rows].astype(bool)
    valid = ~mask & ~bad[rows]
    e = truth.expected_counts(q[valid], sa[valid], pol[valid], flat[valid], frame=0)
    c = frames[0][rows][valid]
    pulls = (c - e) / np.sqrt(e)
    # ~6e5 pixels of a few counts: Poisson pulls are skewed but mean 0, std 1 (5 sigma bounds).
    assert abs(pulls.mean()) < 5 / np.sqrt(pulls.size)
    assert abs(pulls.std() - 1) < 0.01
    assert abs(c.sum() / e.sum() - 1) < 5 / np.sqrt(e.sum())


def test_beamtime_toml_is_accepted_by_the_config_loader(beamtime):
    config = pytest.importorskip("saxs.config")
    out, _ = beamtime
    cfg = config.load_beamtime(out / "beamtime.toml")
    assert {s.name for s in cfg.samples} >= {"cdse_T190", "precursor_T100"}
    assert [s.analysis for s in cfg.series] == ["steps", "peaks"]


@pytest.mark.parametrize("name,frame", [("cdse_T230", 0), ("cdse_T220", 2), ("precursor_T025", 1)])
def test_expected_image_is_the_truth_formula(name, frame):
    # The simulator splines S(q) (exact on a 20001-point ln q grid) to the pixels; the truth
    # evaluates it exactly at each pixel. Spline error < 1e-7 relative; 1e-6 leaves a margin.
    from saxs.simulate import detector as det
    from saxs.simulate.beamtime import detector_images, expected_image, make_plan, make_truth

    plan = make_plan("cdse-demo", frames=3)
    img = detector_images(plan, 9)
    truth = make_truth(plan, next(m for m in plan.measurements if m.name == name), 9)
    e = expected_image(plan, truth, img, frame)
    g = plan.geometry
    ref = truth.expected_counts(det.q_nm(g), det.solid_angle_sr(g), det.polarisation(g), img.flat,
                                frame=frame, shadow=img.shadow)
    np.testing.assert_allclose(e, ref, rtol=1e-6)


def test_full_frame_interpolation_of_the_scattering():
    # Full frames: the same spline over the full q range of a 75 um detector; against the exact
    # sum on the sharpest curve (Bragg peaks, sigma 0.04 1/nm) the error stays below 1e-6.
    from saxs.simulate import detector as det
    from saxs.simulate.beamtime import _scattering_image, make_plan, make_truth

    plan = make_plan("cdse-demo", frames=2, detector="eiger2_4m")
    q = det.q_nm(plan.geometry)[::9, :]  # 240 x 2068 pixels
    # The log-log-linear SRM 3600 curve has kinks at its nodes, where the spline errs up to 4e-5.
    for name, rtol in (("precursor_T025", 1e-6), ("cdse_T230", 1e-6), ("glassy_carbon", 1e-4)):
        truth = make_truth(plan, next(m for m in plan.measurements if m.name == name), 9)
        s = _scattering_image(truth, q, None)
        idx = (slice(None, None, 7), slice(None, None, 11))
        np.testing.assert_allclose(s[idx], truth.scattering_sum(q[idx]), rtol=rtol)
