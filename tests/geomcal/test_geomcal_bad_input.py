"""Frames that must not give a silently wrong PONI: no rings, wrong wavelength, a start far off.

Each case either raises InputError (exit 2 on the command line) or, where the fit is right but the
inputs disagree (a wavelength a few tens of % off is indistinguishable from a distance change in
SAXS), returns a warning that names --wavelength-nm.
"""

from __future__ import annotations

import numpy as np
import pytest

from geomcal_synth import simulate_agbh
from saxs.errors import InputError
from saxs.geomcal import CalibrantFrame, RoughGeometry, calibrate_geometry

TRUE_DISTANCE_MM = 600.0
TRUE_CENTER = (-10.0, 120.0)


@pytest.fixture(scope="module")
def counts():
    return simulate_agbh(distance_mm=TRUE_DISTANCE_MM, center_px=TRUE_CENTER, tilt_deg=1.0, tilt_plane_deg=30.0,
                         seed=21)[1]


def _calibrate(image, **options):
    frame = CalibrantFrame(path="sim.edf", dataset=None, image=image.astype(float), mask=np.zeros(image.shape, bool),
                           header_geometry=RoughGeometry())
    kwargs = dict(wavelength_nm=0.1, distance_mm=620.0, center_px=(-7.0, 118.0), pixel_um=172.0)
    kwargs.update(options)
    return calibrate_geometry(frame, **kwargs)


def test_frame_without_rings_is_an_input_error():
    flat = np.random.default_rng(22).poisson(100.0, (256, 320))
    with pytest.raises(InputError, match="sim.edf: calibrant rings"):
        _calibrate(flat)


@pytest.mark.parametrize("wavelength_nm", [0.05, 0.2])
def test_wavelength_off_by_a_factor_two_is_an_input_error(counts, wavelength_nm):
    # 0.05 nm: predicted orders 2, 4, 6 fall on the real 1, 2, 3 and fit perfectly; only the missing
    # odd orders tell. 0.2 nm: no predicted ring pattern in the distance range matches.
    with pytest.raises(InputError, match="calibrant rings"):
        _calibrate(counts, wavelength_nm=wavelength_nm)


@pytest.mark.parametrize("distance_mm", [300.0, 1200.0])
def test_distance_guess_off_by_a_factor_two_is_an_input_error(counts, distance_mm):
    with pytest.raises(InputError, match="calibrant rings"):
        _calibrate(counts, distance_mm=distance_mm)


def test_centre_guess_far_outside_the_search_is_an_input_error(counts):
    with pytest.raises(InputError):
        _calibrate(counts, center_px=(40.0, 118.0))  # 50 px off, search +-20 px


def test_wavelength_30_percent_off_fits_but_warns(counts):
    result = _calibrate(counts, wavelength_nm=0.13)
    # The rings fit (distance scales with 1/wavelength at small angles) ...
    assert result.distance_mm == pytest.approx(TRUE_DISTANCE_MM / 1.3, rel=0.01)
    # ... and the report says the start and the result disagree.
    assert any("--wavelength-nm" in text for text in result.warnings)


def test_bad_options_are_input_errors(counts):
    with pytest.raises(InputError, match="--wavelength-nm"):
        _calibrate(counts, wavelength_nm=-1.0)
    with pytest.raises(InputError, match="--tilt"):
        _calibrate(counts, tilt="sometimes")
    with pytest.raises(InputError, match="--detector"):
        _calibrate(counts, detector="NoSuchDetector")
    with pytest.raises(InputError, match="--detector"):
        _calibrate(counts, detector="Pilatus100k")  # 195 x 487, not 256 x 320
