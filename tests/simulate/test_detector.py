"""Analytic detector geometry of the simulator against pyFAI (the independent oracle)."""

from __future__ import annotations

import numpy as np
import pyFAI.detectors
import pytest
from pyFAI.integrator.azimuthal import AzimuthalIntegrator

from saxs.simulate import detector as det


def _pyfai(geom: det.Geometry) -> AzimuthalIntegrator:
    ny, nx = geom.shape
    p = geom.pixel_size_m
    detector = pyFAI.detectors.Detector(pixel1=p, pixel2=p, max_shape=(ny, nx))
    ai = AzimuthalIntegrator(detector=detector)
    ai.setFit2D(geom.distance_m * 1e3, geom.center_1_px, geom.center_2_px, pixelX=p * 1e6, pixelY=p * 1e6)
    ai.wavelength = geom.wavelength_m
    return ai


# An off-centre beam, a short distance (large angles make the solid-angle and polarisation
# corrections large enough to see a half-pixel or axis-swap error).
GEOMS = [
    det.Geometry(binning=8, distance_m=1.0, wavelength_m=1.013e-10, center_1_px=112.4, center_2_px=168.7),
    det.Geometry(binning=8, distance_m=0.15, wavelength_m=0.8e-10, center_1_px=20.3, center_2_px=250.2,
                 polarization_factor=0.9),
]


@pytest.mark.parametrize("geom", GEOMS)
def test_q_solid_angle_polarisation_match_pyfai(geom):
    ai = _pyfai(geom)
    shape = geom.shape
    q_ref = ai.center_array(shape, unit="q_nm^-1")
    # pyFAI's trigonometry loses ~1e-12 absolute in 2theta near the beam (5e-7 1/nm); elsewhere
    # both are exact to ~1e-9 relative.
    np.testing.assert_allclose(det.q_nm(geom), q_ref, rtol=1e-8, atol=2e-6)
    # pyFAI uses the pixel-centre approximation A cos^3(2theta) / D^2; ours is the exact rectangle.
    # They differ by O((pixel / D)^2) ~ 1e-5 at 15 cm with 0.6 mm pixels.
    sa_ref = ai.solidAngleArray(shape, absolute=True)
    np.testing.assert_allclose(det.solid_angle_sr(geom), sa_ref, rtol=3e-5)
    p_ref = ai.polarization(shape, factor=geom.polarization_factor)
    np.testing.assert_allclose(det.polarisation(geom), p_ref, rtol=1e-7)


def test_solid_angle_sums_to_the_analytic_total():
    # A detector centred on the beam: the sum of pixel solid angles equals the exact solid angle
    # of the whole rectangle, 4 atan(a b / (D sqrt(D^2 + a^2 + b^2))) with a, b the half sides.
    geom = det.Geometry(binning=8, distance_m=0.2, wavelength_m=1e-10, center_1_px=129.0, center_2_px=135.0)
    ny, nx = geom.shape
    a, b, d = nx / 2 * geom.pixel_size_m, ny / 2 * geom.pixel_size_m, geom.distance_m
    total = 4 * np.arctan(a * b / (d * np.sqrt(d * d + a * a + b * b)))
    assert det.solid_angle_sr(geom).sum() == pytest.approx(total, rel=1e-12)


def test_full_gaps_match_pyfai_eiger2_4m():
    ref = pyFAI.detectors.detector_factory("Eiger2_4M").calc_mask().astype(bool)
    np.testing.assert_array_equal(det.full_gap_mask(), ref)


def test_binned_gaps():
    geom = GEOMS[0]
    gaps = det.gap_mask(geom)
    assert gaps.shape == (270, 258)
    # Column gap 1028..1039 -> binned columns 128, 129; row gaps 512..549, 1062..1099 and
    # 1612..1649 (modules of 512 rows, gaps of 38) -> any binned row touching them.
    assert set(np.flatnonzero(gaps.all(axis=0))) == {128, 129}
    gap_rows = [*range(512, 550), *range(1062, 1100), *range(1612, 1650)]
    assert set(np.flatnonzero(gaps.all(axis=1))) == {r // 8 for r in gap_rows}
    assert gaps.sum() == 270 * 2 + 258 * 17 - 2 * 17


def test_poni_text_is_read_back_by_pyfai(tmp_path):
    import pyFAI

    geom = GEOMS[0]
    path = tmp_path / "g.poni"
    path.write_text(det.poni_text(geom))
    ai = pyFAI.load(str(path))
    f2d = ai.getFit2D()
    assert f2d["centerX"] == pytest.approx(geom.center_1_px, abs=1e-9)
    assert f2d["centerY"] == pytest.approx(geom.center_2_px, abs=1e-9)
    assert f2d["directDist"] == pytest.approx(geom.distance_m * 1e3, rel=1e-12)
    assert ai.wavelength == pytest.approx(geom.wavelength_m, rel=1e-12)
    assert ai.detector.shape == geom.shape
