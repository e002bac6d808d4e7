"""Model curves of the simulator against independent answers."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy import integrate

from mcfit.models import sphere_intensity_1cm
from saxs.simulate import physics


def _certified(data_dir):
    with open(data_dir / "srm3600" / "SRM3600_certified_curve.csv") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))][1:]
    return np.array(rows, dtype=float).T  # q (1/A), I, sigma


def test_glassy_carbon_reproduces_the_certified_points(data_dir):
    q_a, i, _ = _certified(data_dir)
    # Log-log interpolation through the nodes: exact at the nodes up to exp(log()) rounding.
    np.testing.assert_allclose(physics.glassy_carbon_1cm(q_a * 10.0), i, rtol=1e-12)


def test_glassy_carbon_between_points_and_extrapolated_smoothly(data_dir):
    q_a, i, _ = _certified(data_dir)
    q = q_a * 10.0
    mid = np.sqrt(q[:-1] * q[1:])  # geometric midpoints: value = geometric mean of neighbours
    np.testing.assert_allclose(physics.glassy_carbon_1cm(mid), np.sqrt(i[:-1] * i[1:]), rtol=1e-12)
    # Continuous at both ends (1e-9: a jump would be of order the slope change, percents), and
    # monotone decreasing out to 8 1/nm.
    eps = 1e-9
    for q_end in (q[0], q[-1]):
        lo, hi = physics.glassy_carbon_1cm([q_end * (1 - eps), q_end * (1 + eps)])
        assert lo == pytest.approx(hi, rel=1e-7)
    grid = np.geomspace(0.01, 8.0, 500)
    assert np.all(np.diff(physics.glassy_carbon_1cm(grid)) < 0)
    assert 0.1 < physics.glassy_carbon_1cm([6.0])[0] < 1.0  # power law ~ q^-3.07 beyond 2.47 1/nm


def test_monodisperse_population_is_the_sphere_model():
    q = np.linspace(0.0, 8.0, 50)
    pop = physics.Population(mean_radius_nm=0.94, rel_width=0.0, volume_fraction=3e-3)
    np.testing.assert_allclose(physics.particles_1cm(q, [pop], 34.4),
                               sphere_intensity_1cm(q, 0.94, 3e-3, 34.4), rtol=1e-14)


def test_polydisperse_population_against_quadrature_and_forward_limit():
    mu, rel, phi, drho = 1.2, 0.08, 4e-3, 34.4
    pop = physics.Population(mean_radius_nm=mu, rel_width=rel, volume_fraction=phi)
    sigma = rel * mu

    def reference(q):  # volume-weighted Gaussian: I = phi drho^2 <V F^2>_w, by adaptive quadrature
        w = lambda r: np.exp(-0.5 * ((r - mu) / sigma) ** 2)  # noqa: E731
        num = integrate.quad(lambda r: w(r) * sphere_intensity_1cm([q], r, phi, drho)[0], mu - 6 * sigma,
                             mu + 6 * sigma, epsabs=0, epsrel=1e-11)[0]
        return num / integrate.quad(w, mu - 6 * sigma, mu + 6 * sigma, epsrel=1e-12)[0]

    q = np.array([0.0, 1.0, 3.0, 3.7, 5.0])
    ours = physics.particles_1cm(q, [pop], drho)
    # 201-node sum over +-5 sigma of a smooth Gaussian: the error is the truncated tail mass
    # (6e-7) times at most max(V F^2), i.e. 1e-6 of I(0) in absolute terms (it is relatively
    # larger only near the form-factor minimum), far below anything a fit resolves.
    np.testing.assert_allclose(ours, [reference(x) for x in q], rtol=2e-6, atol=1e-6 * ours[0])
    # Forward limit: <R^3>_w = mu^3 + 3 mu sigma^2 for a Gaussian.
    i0 = phi * (drho * 1e10) ** 2 * 4 / 3 * np.pi * (mu**3 + 3 * mu * sigma**2) * 1e-21
    assert ours[0] == pytest.approx(i0, rel=2e-6)


def test_simple_materials():
    q = np.array([0.1, 1.0, 6.0])
    np.testing.assert_array_equal(physics.water_1cm(q), 0.01632)
    np.testing.assert_allclose(physics.solvent_ode_1cm(q), 0.045 * (1 + 0.02 * q**2))
    k = physics.kapton_1cm(q)
    assert np.all(k > 0) and k[0] > k[2]
    peaks = [physics.BraggPeak(q_nm=1.8426, height_1cm=2.0, width_nm=0.04),
             physics.BraggPeak(q_nm=0.25, height_1cm=0.4, width_nm=0.15, shape="lorentzian")]
    np.testing.assert_allclose(physics.bragg_1cm([1.8426, 0.25], peaks)[0], 2.0 + 0.4 / (1 + (1.5926 / 0.15) ** 2))
    with pytest.raises(ValueError):
        physics.BraggPeak(q_nm=1.0, height_1cm=1.0, width_nm=0.1, shape="voigt")
