"""The sphere model against sasmodels (an independent implementation), on both engines."""

from __future__ import annotations

import numpy as np
import pytest

from mcfit import kernels, reference
from mcfit.models import sphere_amplitude, sphere_intensity_1cm, sphere_volume_nm3

ENGINES = [pytest.param(kernels, id="numba"), pytest.param(reference, id="numpy")]


def sasmodels_sphere_1cm(q_nm, radius_nm, volume_fraction, contrast):
    """sasmodels `sphere` (double precision, no polydispersity) in our units.

    sasmodels: I = scale/V * (sld - sld_solvent)**2 * V**2 F**2 * 1e-4 + background with q in 1/A,
    radius in A, V in A^3, SLD in 1e-6/A^2, I in 1/cm; so scale = volume fraction, radius_A = 10 R_nm,
    q_A = q_nm / 10, background = 0 give our I = phi drho**2 V F**2 exactly.
    """
    from sasmodels.core import load_model
    from sasmodels.direct_model import call_kernel

    model = load_model("sphere", dtype="double")
    kernel = model.make_kernel([np.asarray(q_nm) / 10.0])
    return call_kernel(kernel, dict(scale=volume_fraction, background=0.0, sld=contrast, sld_solvent=0.0,
                                    radius=10.0 * radius_nm, radius_pd=0.0))


def test_sphere_intensity_matches_sasmodels_over_qr_1e_6_to_50():
    # Oracle: sasmodels' C kernel (its own small-x series). Tolerance 1e-10 relative from the issue;
    # both are double precision, so agreement should be ~1e-14 except near the zeros of F where the
    # relative error of a tiny number is meaningless -- we compare relative to the local envelope there.
    radius_nm = 2.5
    qr = np.geomspace(1e-6, 50.0, 2000)
    q_nm = qr / radius_nm
    ours = sphere_intensity_1cm(q_nm, radius_nm, 1e-3, 35.0)
    theirs = sasmodels_sphere_1cm(q_nm, radius_nm, 1e-3, 35.0)
    envelope = 1e-3 * (35e10) ** 2 * sphere_volume_nm3(radius_nm) * 1e-21 * np.minimum(1.0, 9.0 / qr**4)
    assert np.max(np.abs(ours - theirs) / envelope) < 1e-10
    away_from_zeros = theirs > 1e-6 * envelope
    assert np.max(np.abs(ours[away_from_zeros] / theirs[away_from_zeros] - 1)) < 1e-10


@pytest.mark.parametrize("engine", ENGINES)
def test_sphere_column_equals_volume_times_amplitude_squared(engine):
    # Oracle: the public models.sphere_amplitude (already checked against sasmodels above); the
    # kernels must agree to rounding (1e-13 relative) on both sides of the Taylor cut-off.
    q = np.concatenate([[0.0], np.geomspace(1e-5, 20.0, 500)])
    out = np.empty_like(q)
    engine.sphere_column(q, 1.7, out)
    expected = sphere_volume_nm3(1.7) * sphere_amplitude(q * 1.7) ** 2
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13 * expected.max() * 1e-6)
    assert out[0] == pytest.approx(sphere_volume_nm3(1.7), rel=1e-15)


def test_taylor_branch_is_continuous_at_the_cutoff():
    # Both branches at the cut-off agree to 1e-14 (the Taylor error bound is 8e-15 there).
    x = np.array([np.nextafter(0.5, 0.0), 0.5])
    f = sphere_amplitude(x)
    assert abs(f[0] - f[1]) < 1e-14
