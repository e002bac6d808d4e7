"""One test body, both engines: the numba kernels and their NumPy twins."""

from __future__ import annotations

import numpy as np
import pytest

from mcfit import kernels, reference
from mcfit.models import sphere_amplitude, sphere_volume_nm3

ENGINES = [pytest.param(kernels, id="numba"), pytest.param(reference, id="numpy")]


@pytest.mark.parametrize("engine", ENGINES)
def test_splitmix64_known_values(engine):
    # Oracle: SplitMix64 reference outputs for seed 1234567 (Vigna's splitmix64.c; values from the
    # published test vector used by several RNG libraries).
    state = np.array([1234567], dtype=np.uint64)
    got = [int(engine.splitmix64_next(state)) for _ in range(3)]
    assert got == [6457827717110365317, 3203168211198807973, 9817491932198370423]


@pytest.mark.parametrize("engine", ENGINES)
def test_uniform_draws_cover_unit_interval(engine):
    # 20000 draws: mean 1/2 +- 3 standard errors (0.0061); log-uniform radii stay inside the range.
    state = np.array([42], dtype=np.uint64)
    u = np.array([engine.uniform01(state) for _ in range(20000)])
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 3 * np.sqrt(1 / 12 / u.size)
    r = np.array([engine.draw_radius(state, 0.5, 50.0, True) for _ in range(2000)])
    assert r.min() >= 0.5 and r.max() < 50.0
    assert abs(np.mean(np.log(r)) - 0.5 * (np.log(0.5) + np.log(50.0))) < 4 * np.log(100) / np.sqrt(12 * r.size)


@pytest.mark.parametrize("engine", ENGINES)
def test_sincos_matches_library_to_one_ulp(engine):
    # Oracle: numpy's sin and cos (correctly rounded to < 1 ulp). The kernel's own range reduction
    # plus series must agree to 2.3e-16 absolute from x = 0 to 1e4 and beyond the fall-back limit.
    x = np.concatenate([np.linspace(0.0, 10.0, 20001), np.geomspace(10.0, 1e4, 20000), [2e5, 3.3e6]])
    got = np.array([engine.sincos(v) for v in x])
    assert np.max(np.abs(got[:, 0] - np.sin(x))) <= 2.3e-16 * 1.01
    assert np.max(np.abs(got[:, 1] - np.cos(x))) <= 2.3e-16 * 1.01


def _lstsq_oracle(model, y, w, bg_fixed=None):
    sw = np.sqrt(w)
    if bg_fixed is None:
        a = np.column_stack([model, np.ones_like(model)]) * sw[:, None]
        (s, b), *_ = np.linalg.lstsq(a, (y) * sw, rcond=None)
        if s < 0:
            s, b = 0.0, np.sum(w * y) / np.sum(w)
    else:
        b = bg_fixed
        (s,), *_ = np.linalg.lstsq((model * sw)[:, None], (y - b) * sw, rcond=None)
        s = max(s, 0.0)
    return s, b, np.sum(w * (y - s * model - b) ** 2)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("bg", [None, 0.3])
def test_closed_form_scale_background_matches_lstsq(engine, sign, bg):
    # Oracle: numpy.linalg.lstsq on the weighted design matrix (with the s >= 0 clip applied the same
    # way). sign=-1 makes the unconstrained scale negative to exercise the clip. Tolerance 1e-9
    # relative: different algorithms (normal equations vs SVD) on a well-conditioned problem.
    rng = np.random.default_rng(7)
    model = np.exp(-np.linspace(0, 3, 80))
    sigma = 0.02 + 0.01 * rng.random(80)
    y = sign * 2.5 * model + 0.4 + rng.normal(0, 1, 80) * sigma
    w = 1.0 / sigma**2
    mode = kernels.BG_FIT if bg is None else kernels.BG_FIXED
    s, b, chi2 = engine.linear_scale_background(model, y, w, mode, 0.0 if bg is None else bg)
    s0, b0, chi0 = _lstsq_oracle(model, y, w, bg)
    assert s == pytest.approx(s0, rel=1e-9, abs=1e-12)
    assert b == pytest.approx(b0, rel=1e-9)
    assert chi2 == pytest.approx(chi0, rel=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("bg", [None, 0.3])
def test_one_pass_candidate_chi2_matches_lstsq(engine, bg):
    # The per-step closed form (sums accumulated in one pass over the candidate model) against
    # numpy.linalg.lstsq on the candidate built explicitly. Tolerance 1e-8 relative on chi2: the
    # one-pass form subtracts sums about 1e4 times larger than chi2 here (1-3 % sigma).
    rng = np.random.default_rng(3)
    q = np.geomspace(0.05, 2.0, 60)
    basis = np.array([sphere_volume_nm3(r) * sphere_amplitude(q * r) ** 2 for r in (2.0, 4.0, 7.0)])
    model = basis.sum(0)
    y = 2e-3 * (basis[0] + basis[1] + sphere_volume_nm3(5.0) * sphere_amplitude(q * 5.0) ** 2) + 0.05
    sigma = y * (0.01 + 0.02 * rng.random(q.size))
    y = y + rng.normal(0, 1, q.size) * sigma
    w = 1.0 / sigma**2
    mode = kernels.BG_FIT if bg is None else kernels.BG_FIXED
    bg_value = 0.0 if bg is None else bg
    sw, swy, syy = engine._constants(y, w, mode, bg_value)
    column = np.empty(q.size)
    s, b, chi2 = engine.candidate_chi2(q, engine.inverse_q6(q), y, w, model, basis[2], 5.0, column, sw, swy, syy,
                                       mode, bg_value)
    expected = sphere_volume_nm3(5.0) * sphere_amplitude(q * 5.0) ** 2
    envelope = sphere_volume_nm3(5.0) * np.minimum(1.0, 9.0 / (q * 5.0) ** 4)  # bound of V F**2
    assert np.max(np.abs(column - expected) / envelope) < 1e-13
    s0, b0, chi0 = _lstsq_oracle(basis[0] + basis[1] + column, y, w, bg)
    assert s == pytest.approx(s0, rel=1e-9)
    assert b == pytest.approx(b0, rel=1e-9, abs=1e-12)
    assert chi2 == pytest.approx(chi0, rel=1e-8)


def _small_problem():
    q = np.geomspace(0.05, 2.0, 40)
    y = 1e-3 * sphere_volume_nm3(5.0) * sphere_amplitude(q * 5.0) ** 2 + 0.01
    sigma = 0.02 * y
    return q, y, 1.0 / sigma**2


@pytest.mark.parametrize("engine", ENGINES)
def test_run_one_decreases_chi2_and_keeps_model_consistent(engine):
    # Invariants: chi2 never increases, so the final chi2 is <= the initial one; the final model is
    # exactly the sum of the final contributions' columns; the record counts are consistent.
    q, y, w = _small_problem()
    n_c = 20
    state = np.array([99], dtype=np.uint64)
    radii = np.array([engine.draw_radius(state, 1.0, 20.0, False) for _ in range(n_c)])
    basis = np.empty((n_c, q.size))
    model = np.empty(q.size)
    for i in range(n_c):
        engine.sphere_column(q, radii[i], basis[i])
    _, _, chi2_start = engine.linear_scale_background(basis.sum(0), y, w, kernels.BG_FIT, 0.0)
    s, b, chi2, steps, accepted, crossing, stop = engine.run_one(
        q, y, w, radii, state, 1.0, 20.0, False, -1.0, kernels.MODE_MCSAS, 0, 0.0, 300, kernels.BG_FIT, 0.0,
        basis, model, np.empty(q.size))
    assert chi2 < chi2_start
    assert steps == 300 and 0 < accepted <= 300 and crossing == -1 and stop == kernels.STOP_MAX_STEPS
    check = np.empty(q.size)
    total = np.zeros(q.size)
    for r in radii:
        engine.sphere_column(q, r, check)
        total += check
    np.testing.assert_allclose(model, total, rtol=1e-12)
    assert engine.linear_scale_background(total, y, w, kernels.BG_FIT, 0.0)[2] == pytest.approx(chi2, rel=1e-10)


def test_numba_and_numpy_engines_agree_on_whole_repetitions():
    # The same seeds give the same walk on both engines: identical random streams and, to rounding,
    # the same chi2 values, hence the same accept/reject decisions (radii equal to 1e-12).
    q, y, w = _small_problem()
    seeds = np.array([3, 4], dtype=np.uint64)
    args = (q, y, w, seeds, 15, 1.0, 20.0, True, 1.0 * (q.size - 2), kernels.MODE_EXTRA, 50, 0.5, 400,
            kernels.BG_FIT, 0.0)
    r1, m1, rec1 = kernels.run_repetitions(*args)
    r2, m2, rec2 = reference.run_repetitions(*args)
    np.testing.assert_allclose(r1, r2, rtol=1e-12)
    np.testing.assert_allclose(m1, m2, rtol=1e-12)
    np.testing.assert_array_equal(rec1[:, 3:], rec2[:, 3:])
    np.testing.assert_allclose(rec1[:, :3], rec2[:, :3], rtol=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_observability_is_the_volume_fraction_that_just_reaches_sigma(engine):
    # Oracle: by definition, at phi_obs the sphere's intensity phi K V F**2 touches sigma at one q and
    # stays below it elsewhere. Checked directly with models.sphere_amplitude (1e-12 relative).
    q = np.geomspace(0.05, 3.0, 70)
    sigma = 0.01 * (1.0 + 50.0 * np.exp(-q * 4))
    radii = np.array([0.5, 2.0, 7.5, 30.0])
    obs = engine.observability(q, sigma, radii, 3.5)
    for r, phi in zip(radii, obs):
        intensity = phi * 3.5 * sphere_volume_nm3(r) * sphere_amplitude(q * r) ** 2
        assert np.max(intensity / sigma) == pytest.approx(1.0, rel=1e-12)
