"""The real silver behenate + LaB6 frame (APS 12-ID-E, Pilatus 100K, tests/data/agbh/SAXS.hdf).

Independent answers: silver behenate's lamellar orders at q = n x 1.0763 1/nm (d = 5.8380 nm,
tests/data/README.md), and the LaB6 (100) and (110) rings of the same frame, which the AgBh
calibration never uses (pyFAI's LaB6 calibrant, a = 0.41569 nm, NIST SRM 660). Peak positions are
fitted on the 1D integration (pyFAI integrate1d) with a Gaussian + linear baseline (lmfit).
Tolerances: AgBh orders 1-5 within 0.3 % (the requirement); LaB6 within 0.1 % - at q = 15-21 1/nm
the LaB6 rings pin the distance (a tilt or distance error shows there first), and they land
within 0.03 %.
"""

from __future__ import annotations

from pathlib import Path

import lmfit
import numpy as np
import pyFAI
import pytest
from pyFAI.calibrant import get_calibrant

from saxs.geomcal import calibrate_geometry, read_calibrant_frame

ROOT = Path(__file__).resolve().parents[2]
AGBH_Q1_NM = 1.0763
WAVELENGTH_NM = 0.044280


@pytest.fixture(scope="module")
def frame(data_dir):
    return read_calibrant_frame(data_dir / "agbh" / "SAXS.hdf", dataset="entry/data/data")


@pytest.fixture(scope="module")
def calibration(frame):
    return calibrate_geometry(frame, calibrant="AgBh", wavelength_nm=WAVELENGTH_NM, detector="Pilatus100k")


def _peak_q(ai, frame, q0, half_width):
    curve = ai.integrate1d(np.array(frame.image), 3000, unit="q_nm^-1", mask=np.array(frame.mask),
                           method=("no", "histogram", "cython"), correctSolidAngle=True)
    q, intensity = curve.radial, curve.intensity
    sel = (np.abs(q - q0) < half_width) & (intensity > 0)
    model = lmfit.models.GaussianModel() + lmfit.models.LinearModel()
    params = model.make_params(center=q0, sigma=half_width / 5, slope=0.0, intercept=intensity[sel].min(),
                               amplitude=np.ptp(intensity[sel]) * half_width / 3)
    fit = model.fit(intensity[sel], params, x=q[sel])
    return fit.params["center"].value


def _check_orders(ai, frame):
    for order in range(1, 6):
        q0 = order * AGBH_Q1_NM
        assert _peak_q(ai, frame, q0, 0.35) == pytest.approx(q0, rel=3e-3), f"AgBh order {order}"
    lab6 = get_calibrant("LaB6")
    for d_angstrom in lab6.dspacing[:2]:
        q0 = 2 * np.pi / (d_angstrom * 0.1)
        assert _peak_q(ai, frame, q0, 0.3) == pytest.approx(q0, rel=1e-3), f"LaB6 d={d_angstrom}"


def test_header_start_is_read(frame):
    # Nika metadata: pin_ccd_center_x_pixel (93.45) counts rows, _y_pixel (-7.48) columns, from 0.
    start = frame.header_geometry
    assert start.center_x_px == pytest.approx(-7.48 + 0.5, abs=0.01)
    assert start.center_y_px == pytest.approx(93.45 + 0.5, abs=0.01)
    assert start.distance_mm == pytest.approx(532.715, abs=0.01)
    assert start.pixel_x_um == pytest.approx(172.0)


def test_real_frame_orders_land_on_agbh_and_lab6(frame, calibration):
    # The beam centre is just off the left edge; the calibrated distance is near 511 mm
    # (data README), well away from the nominal 532.7 mm.
    assert calibration.center_x_px < 0.5
    assert 0 < calibration.center_y_px < 195
    assert calibration.distance_mm == pytest.approx(511, rel=0.01)
    assert len(calibration.rings_used) >= 5
    assert calibration.residual_px < 0.3
    _check_orders(calibration.integrator(), frame)


def test_committed_poni_is_this_calibration(frame, calibration):
    path = ROOT / "calibrations" / "agbh_pilatus100k.poni"
    text = path.read_text()
    assert "poni_version: 2.1" in text and "Detector: Pilatus100k" in text
    ai = pyFAI.load(str(path))
    f2d = ai.getFit2D()
    assert f2d["directDist"] == pytest.approx(calibration.distance_mm, abs=0.05)
    assert f2d["centerX"] == pytest.approx(calibration.center_x_px, abs=0.02)
    assert f2d["centerY"] == pytest.approx(calibration.center_y_px, abs=0.02)
    assert ai.wavelength == pytest.approx(WAVELENGTH_NM * 1e-9)
    _check_orders(ai, frame)
