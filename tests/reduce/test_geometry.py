"""(b) The q (and solid angle) of every pixel matches an analytic calculation from the geometry.

The oracle is numpy only (synth.analytic_pixels); pyFAI is only on the tested side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import reduce_synth as synth
from saxs.errors import InputError
from saxs.geometry import Geometry, get_integrator
from saxs.integrate import detector_mask, pixel_q_nm, solid_angle_sr


def _header_strings(**changes):
    return {k: str(v) for k, v in synth.header(**changes).items()}


def test_pixel_q_and_solid_angle_match_analytic(pixels):
    geometry = Geometry.from_header(_header_strings(), synth.SHAPE, "synthetic.h5")
    # pyFAI computes positions in float32: relative agreement 1e-5 (q ~ 0.01-4 1/nm)
    np.testing.assert_allclose(pixel_q_nm(geometry), pixels.q_nm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(solid_angle_sr(geometry), pixels.solid_angle_sr, rtol=1e-5)
    summary = geometry.summary()
    assert summary["center_x_px"] == pytest.approx(synth.CENTER_X_PX)
    assert summary["center_y_px"] == pytest.approx(synth.CENTER_Y_PX)
    assert summary["distance_mm"] == pytest.approx(1000.0)
    assert summary["wavelength_nm"] == pytest.approx(0.1)
    assert summary["pixel_x_um"] == pytest.approx(600.0)


def test_half_pixel_offset_is_detected(pixels):
    """The comparison above can fail: the first pixel's centre is at 0.5, not 0 or 1."""
    geometry = Geometry.from_header(_header_strings(Center_1=synth.CENTER_X_PX + 0.5), synth.SHAPE, "x.h5")
    assert not np.allclose(pixel_q_nm(geometry), pixels.q_nm, rtol=1e-5, atol=1e-6)


def test_x_is_the_fast_axis(pixels):
    """Center_1 is the column (fast, x) coordinate: swapping the centres breaks the agreement."""
    geometry = Geometry.from_header(
        _header_strings(Center_1=synth.CENTER_Y_PX, Center_2=synth.CENTER_X_PX), synth.SHAPE, "x.h5")
    assert not np.allclose(pixel_q_nm(geometry), pixels.q_nm, rtol=1e-3)


def test_eiger2_4m_keeps_its_gap_mask_and_binned_frames_use_header_pixel():
    full = Geometry.from_header(_header_strings(PSize_1=75e-6, PSize_2=75e-6), (2162, 2068), "e.h5")
    assert full.detector == "Eiger2_4M"
    gaps = detector_mask(full)
    assert gaps.shape == (2162, 2068) and 0.01 < gaps.mean() < 0.2   # module gaps, ~6 % of pixels
    binned = Geometry.from_header(_header_strings(PSize_1=150e-6, PSize_2=150e-6), (1081, 1034), "b.h5")
    assert binned.detector == "Detector"
    ai = get_integrator(binned)
    assert ai.detector.pixel1 == pytest.approx(150e-6) and tuple(ai.detector.shape) == (1081, 1034)


def test_integrator_is_cached_per_geometry():
    a = Geometry.from_header(_header_strings(), synth.SHAPE, "a.h5")
    b = Geometry.from_header(_header_strings(), synth.SHAPE, "a.h5")
    c = Geometry.from_header(_header_strings(SampleDistance=2.0), synth.SHAPE, "a.h5")
    assert get_integrator(a) is get_integrator(b)
    assert get_integrator(a) is not get_integrator(c)


def test_header_detector_rotation_in_degrees_is_refused():
    """Rotations are radians (ewoksid02 passes them to pyFAI unchanged): 5 (degrees?) is refused."""
    with pytest.raises(InputError) as err:
        Geometry.from_header(_header_strings(DetectorRotation_2=5.0), synth.SHAPE, "rotated.h5")
    message = str(err.value)
    assert "rotated.h5" in message and "DetectorRotation_2" in message and "radians" in message


def _write_poni(path, *, dist=1.0, poni1=0.0316, poni2=0.0242, rot1=0.0, rot2=0.0, shape=synth.SHAPE):
    path.write_text(
        "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis\n"
        "poni_version: 2.1\n"
        "Detector: Detector\n"
        f'Detector_config: {{"pixel1": 0.0006, "pixel2": 0.0006, "max_shape": [{shape[0]}, {shape[1]}], '
        '"orientation": 3}\n'
        f"Distance: {dist}\nPoni1: {poni1}\nPoni2: {poni2}\nRot1: {rot1}\nRot2: {rot2}\nRot3: 0.0\n"
        "Wavelength: 1e-10\n")
    return path


def test_poni_without_tilt_matches_analytic(tmp_path):
    poni = _write_poni(tmp_path / "calib.poni")
    geometry = Geometry.from_poni(poni)
    # no tilt: the beam centre is the PONI over the pixel size (first pixel centre at 0.5)
    assert geometry.center_y_px == pytest.approx(0.0316 / 6e-4)
    assert geometry.center_x_px == pytest.approx(0.0242 / 6e-4)
    expected = synth.analytic_pixels(center_x_px=0.0242 / 6e-4, center_y_px=0.0316 / 6e-4)
    np.testing.assert_allclose(pixel_q_nm(geometry), expected.q_nm, rtol=1e-5, atol=1e-6)


def test_poni_tilt_summary_is_direct_beam_centre(tmp_path):
    """With rot1 = 0.05 rad the direct beam meets the detector L tan(rot1) from the PONI, at L / cos(rot1)."""
    rot1, dist = 0.05, 1.0
    geometry = Geometry.from_poni(_write_poni(tmp_path / "tilted.poni", dist=dist, rot1=rot1))
    summary = geometry.summary()
    assert summary["distance_mm"] == pytest.approx(1e3 * dist / math.cos(rot1), rel=1e-6)
    offset_m = abs(summary["center_x_px"] * 6e-4 - 0.0242)
    assert offset_m == pytest.approx(dist * math.tan(rot1), rel=1e-6)   # ~83 pixels away from the PONI
    assert summary["center_y_px"] * 6e-4 == pytest.approx(0.0316, abs=1e-9)
    assert summary["tilt_deg"] == pytest.approx(math.degrees(rot1), rel=1e-6)
    assert summary["poni"]["rot1_rad"] == pytest.approx(rot1)


def test_missing_and_bad_header_values_name_file_and_key():
    header = _header_strings()
    del header["SampleDistance"]
    with pytest.raises(InputError, match=r"run7\.h5: SampleDistance"):
        Geometry.from_header(header, synth.SHAPE, "run7.h5")
    with pytest.raises(InputError, match=r"run7\.h5: WaveLength: expected a number, got 'abc'"):
        Geometry.from_header(_header_strings(WaveLength="abc"), synth.SHAPE, "run7.h5")
    with pytest.raises(InputError, match="PSize_1"):
        Geometry.from_header(_header_strings(PSize_1=0), synth.SHAPE, "run7.h5")


def test_files_with_the_same_geometry_share_one_integrator(tmp_path):
    from reduce_synth import make_lima
    from saxs.reduce import ReductionOptions, reduce_file

    first = reduce_file(make_lima(tmp_path / "a.h5", seed=1, i1=[1e6]), ReductionOptions(npt=30))
    second = reduce_file(make_lima(tmp_path / "b.h5", seed=2, i1=[1e6]), ReductionOptions(npt=30))
    assert first.geometry.source != second.geometry.source        # provenance differs...
    assert first.geometry == second.geometry                      # ...the geometry does not
    assert get_integrator(first.geometry) is get_integrator(second.geometry)


def test_detector_named_by_the_file_is_kept_when_it_matches(tmp_path):
    header = _header_strings(PSize_1=172e-6, PSize_2=172e-6)
    kept = Geometry.from_header(header, (1043, 981), "p.h5", detector_hint="pilatus1m")
    assert kept.detector == "Pilatus1M" and detector_mask(kept).sum() > 0       # its module gaps
    binned = Geometry.from_header(header, (521, 490), "p.h5", detector_hint="pilatus1m")
    assert binned.detector == "Detector"
    unknown = Geometry.from_header(_header_strings(), synth.SHAPE, "p.h5", detector_hint="pilatus")
    assert unknown.detector == "Detector"
    poni = tmp_path / "p1m.poni"
    poni.write_text("poni_version: 2.1\nDetector: Pilatus1M\nDetector_config: {}\nDistance: 2.0\n"
                    "Poni1: 0.09\nPoni2: 0.08\nRot1: 0\nRot2: 0\nRot3: 0\nWavelength: 1e-10\n")
    from_poni = Geometry.from_poni(poni)
    assert from_poni.detector == "Pilatus1M" and from_poni.shape == (1043, 981)
    assert from_poni.pixel_x_um == pytest.approx(172.0)


@pytest.mark.parametrize("orientation", [2, 3])
def test_poni_orientation_is_kept(tmp_path, orientation):
    """The integrator rebuilt from a PONI gives the q of pyFAI's own reading of that file (peer check)."""
    import pyFAI

    poni = tmp_path / "o.poni"
    poni.write_text(
        "poni_version: 2.1\nDetector: Detector\n"
        f'Detector_config: {{"pixel1": 0.0006, "pixel2": 0.0006, "max_shape": [120, 128], "orientation": {orientation}}}\n'
        "Distance: 1.0\nPoni1: 0.0316\nPoni2: 0.0242\nRot1: 0.01\nRot2: 0.02\nRot3: 0\nWavelength: 1e-10\n")
    geometry = Geometry.from_poni(poni)
    assert geometry.orientation == orientation
    reference = pyFAI.load(str(poni)).array_from_unit(synth.SHAPE, "center", "q_nm^-1")
    np.testing.assert_allclose(pixel_q_nm(geometry), reference, rtol=1e-6)
    assert Geometry.from_summary(geometry.summary()) == geometry
