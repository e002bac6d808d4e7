"""Calibration of simulated AgBh frames against the geometry that made them (pyFAI's own fake image).

Truth: the AzimuthalIntegrator given to ``fake_calibration_image`` (geomcal_synth.py); Poisson noise
with fixed seeds. Tolerances: distance 0.1 %, beam centre 0.1 px, tilt 0.1 deg. On these frames
(rings 2 px wide, 500 counts over 50) the method lands within 0.01 %, 0.01 px and 0.02 deg, so the
limits leave room for noise while staying well inside what the reduction needs (q to 0.3 % means
distance to 0.3 %; the tilt's effect on q at the detector edge is ~r^2 tilt / D, 0.1 deg ~ 0.05 px
here). Uncertainties must be positive and the truth within 5 of the reported sigmas (deterministic:
fixed seeds).
"""

from __future__ import annotations

import numpy as np
import pytest

from geomcal_synth import simulate_agbh
from saxs.geomcal import CalibrantFrame, RoughGeometry, calibrate_geometry


def _frame(counts):
    return CalibrantFrame(path="simulated", dataset=None, image=counts.astype(float),
                          mask=np.zeros(counts.shape, bool), header_geometry=RoughGeometry())


CASES = {
    # beam centre off the left edge, only arcs visible, tilted
    "off-detector, tilted": dict(shape=(256, 320), distance_mm=600.0, center_px=(-10.0, 120.0), tilt_deg=2.0,
                                 tilt_plane_deg=30.0, seed=11),
    # beam centre on the detector, full rings, larger tilt, shorter distance
    "centred, tilted": dict(shape=(300, 300), distance_mm=400.0, center_px=(150.0, 140.0), tilt_deg=3.0,
                            tilt_plane_deg=60.0, seed=12),
    # no tilt: 'auto' must keep the tilts at 0
    "off-centre, flat": dict(shape=(256, 320), distance_mm=600.0, center_px=(40.0, -15.0), seed=13),
}


@pytest.mark.parametrize("name", list(CASES))
def test_refined_geometry_matches_truth(name):
    case = CASES[name]
    truth, counts = simulate_agbh(**case)
    # Start off by 5 % in distance and (4, -3) px in centre, as a header would be.
    cx, cy = case["center_px"]
    result = calibrate_geometry(_frame(counts), calibrant="AgBh", wavelength_nm=0.1,
                                distance_mm=case["distance_mm"] * 1.05, center_px=(cx + 4, cy - 3), pixel_um=172.0)
    f2d = truth.getFit2D()
    assert result.distance_mm == pytest.approx(f2d["directDist"], rel=1e-3)
    assert abs(result.center_x_px - f2d["centerX"]) < 0.1
    assert abs(result.center_y_px - f2d["centerY"]) < 0.1
    assert abs(result.tilt_deg - case.get("tilt_deg", 0.0)) < 0.1
    if case.get("tilt_deg", 0.0):
        assert result.tilt_refined
        assert abs(result.tilt_plane_rotation_deg - case["tilt_plane_deg"]) < 5.0  # 0.1 deg tilt x ~5 deg
        assert result.tilt_plan_rotation_deg == result.tilt_plane_rotation_deg  # the old name still reads
    else:
        assert not result.tilt_refined and result.rotations_rad == (0.0, 0.0, 0.0)
    for error, sigma in ((result.distance_mm - f2d["directDist"], result.distance_sigma_mm),
                         (result.center_x_px - f2d["centerX"], result.center_x_sigma_px),
                         (result.center_y_px - f2d["centerY"], result.center_y_sigma_px)):
        assert 0 < sigma < np.inf
        assert abs(error) < 5 * sigma + 1e-3
    assert result.residual_px < 0.2
    assert len(result.rings_used) >= 4
    assert not result.warnings


def test_integrating_with_the_result_puts_rings_at_calibrant_q():
    """End to end: pyFAI integrate1d with the refined geometry; ring q within 0.05 % of n x 2 pi / d."""
    truth, counts = simulate_agbh(**CASES["off-detector, tilted"])
    result = calibrate_geometry(_frame(counts), wavelength_nm=0.1, distance_mm=620.0, center_px=(-7.0, 118.0),
                                pixel_um=172.0)
    ai = result.integrator()
    curve = ai.integrate1d(counts.astype(float), 2000, unit="q_nm^-1", method=("no", "histogram", "cython"),
                           correctSolidAngle=False)
    q, intensity = curve.radial, curve.intensity
    for order in (1, 2, 3, 4):
        q0 = order * 2 * np.pi / 5.8380
        near = np.abs(q - q0) < 0.15
        # Centroid of the top of the peak (symmetric Gaussian ring): good to a fraction of a bin.
        top = near & (intensity > intensity[near].min() + 0.5 * np.ptp(intensity[near]))
        q_peak = np.average(q[top], weights=intensity[top] - intensity[near].min())
        assert q_peak == pytest.approx(q0, rel=5e-4)


@pytest.mark.slow
def test_no_centre_anywhere_searches_the_whole_detector():
    """Without a beam centre (options or header) the search covers the detector and beyond (~10 s)."""
    truth, counts = simulate_agbh(distance_mm=600.0, center_px=(-10.0, 120.0), tilt_deg=1.0, tilt_plane_deg=30.0,
                                  seed=14)
    result = calibrate_geometry(_frame(counts), wavelength_nm=0.1, distance_mm=620.0, pixel_um=172.0)
    f2d = truth.getFit2D()
    assert abs(result.center_x_px - f2d["centerX"]) < 0.1 and abs(result.center_y_px - f2d["centerY"]) < 0.1
    assert any("searched the whole detector" in text for text in result.warnings)
