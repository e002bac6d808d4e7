"""Simulated silver behenate frames with a known geometry, made by pyFAI itself.

``Calibrant("AgBh").fake_calibration_image(ai)`` draws Gaussian rings (FWHM in 2 theta) at the
calibrant's d-spacings for a given ``AzimuthalIntegrator``; we scale it to counts, add a flat
background and draw Poisson noise with a fixed seed. The integrator is the truth.
"""

from __future__ import annotations

import numpy as np
import pyFAI.detectors
from pyFAI.calibrant import get_calibrant
from pyFAI.integrator.azimuthal import AzimuthalIntegrator


def simulate_agbh(*, shape=(256, 320), pixel_um=172.0, distance_mm=600.0, center_px=(-10.0, 120.0), tilt_deg=0.0,
                  tilt_plane_deg=0.0, wavelength_nm=0.1, fwhm_deg=0.03, peak_counts=500.0, background_counts=50.0,
                  seed=1):
    """Return (truth integrator, counts image of shape ``shape``) for a Fit2D-style geometry."""
    detector = pyFAI.detectors.Detector(pixel1=pixel_um * 1e-6, pixel2=pixel_um * 1e-6, max_shape=shape)
    ai = AzimuthalIntegrator(detector=detector, wavelength=wavelength_nm * 1e-9)
    ai.setFit2D(distance_mm, center_px[0], center_px[1], tilt=tilt_deg, tiltPlanRotation=tilt_plane_deg)
    calibrant = get_calibrant("AgBh")
    calibrant.wavelength = wavelength_nm * 1e-9
    rings = calibrant.fake_calibration_image(ai, shape=shape, Imax=1.0, Imin=0.0, resolution=fwhm_deg)
    rng = np.random.default_rng(seed)
    counts = rng.poisson(peak_counts * rings + background_counts).astype(np.int32)
    return ai, counts
