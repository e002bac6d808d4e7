"""The vectorised fit step (issue 12): its parts against independent sums, and the whole kernel against
the previous kernel (mcfit.kernels_v1), which it must reproduce step for step."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from mcfit import kernels, kernels_v1, reference
from mcfit.data import prepare, radius_limits
from mcfit.driver import repetition_seeds
from mcfit.models import TAYLOR_CUTOFF, sphere_amplitude, sphere_volume_nm3

ENGINES = [pytest.param(kernels, id="numba"), pytest.param(reference, id="numpy")]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("strict", [False, True])
def test_first_index_is_the_first_point_at_or_past_the_limit(engine, strict):
    # Oracle: a direct scan of x = q R. q = 0.25, R = 2 gives x = 0.5 = TAYLOR_CUTOFF exactly (the tie
    # that `strict` decides); limits below the first and above the last point give 0 and n.
    q = np.concatenate([[0.0], np.geomspace(0.01, 0.25, 40), np.geomspace(0.26, 5.0, 30)])
    for radius in (2.0, 0.3, 17.0, 1e-4, 1e6):
        for limit in (TAYLOR_CUTOFF, kernels.SINCOS_MAX, -1.0, 1e12):
            x = q * radius
            expected = int(np.argmax(x > limit if strict else x >= limit)) if np.any(
                x > limit if strict else x >= limit) else q.size
            assert engine.first_index(q, radius, limit, strict) == expected


def test_sorted_column_equals_the_point_by_point_column_bit_for_bit():
    # The three-loop column (Taylor / parity sincos / library) must give exactly the values of the
    # per-point branch of the previous kernel (kernels_v1.candidate_chi2 fills the column with
    # kernels.sphere_vf2): the accept/reject decisions depend on them. x spans 0 .. 2.4e5, so all three
    # loops run, including the library fall-back above SINCOS_MAX = 1e5.
    q = np.concatenate([[0.0], np.geomspace(1e-3, 2e3, 3001)])
    inv_q6 = kernels.inverse_q6(q)
    n = q.size
    zeros = np.zeros(n)
    for radius in (0.3, 2.0, 7.0, 120.0, TAYLOR_CUTOFF / q[1500]):
        new = np.empty(n)
        old = np.empty(n)
        kernels.sphere_column_sorted(q, inv_q6, radius, new)
        kernels_v1.candidate_chi2(q, inv_q6, zeros + 1.0, zeros + 1.0, zeros, zeros, radius, old, 1.0, 1.0, 1.0,
                                  kernels.BG_FIT, 0.0)
        assert np.array_equal(new, old)


@pytest.mark.parametrize("engine", ENGINES)
def test_sorted_column_against_the_sphere_form_factor(engine):
    # Oracle: models.sphere_amplitude (NumPy's sin/cos). Error relative to the envelope of V F**2
    # (V min(1, 9/x**4)) below 1e-13: a few ulps of cancellation in sin x - x cos x at x up to 2e3.
    q = np.geomspace(1e-3, 20.0, 997)
    out = np.empty(q.size)
    for radius in (0.5, 5.0, 100.0):
        engine.sphere_column_sorted(q, engine.inverse_q6(q), radius, out)
        expected = sphere_volume_nm3(radius) * sphere_amplitude(q * radius) ** 2
        envelope = sphere_volume_nm3(radius) * np.minimum(1.0, 9.0 / (q * radius) ** 4)
        assert np.max(np.abs(out - expected) / envelope) < 1e-13


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("n", [1, 7, 8, 9, 76, 737])
def test_candidate_sums_against_exact_sums(engine, n):
    # Oracle: math.fsum (exactly rounded sums) of the same per-point terms. The eight-lane sums may
    # differ by rounding only: |error| <= n * eps * sum |terms| (a loose bound on any summation order).
    rng = np.random.default_rng(n)
    model, basis_row, column = rng.random(n) * 1e3, rng.random(n) * 1e2, rng.random(n) * 1e2
    w, y = 1.0 / (0.01 + rng.random(n)) ** 2, rng.normal(1.0, 0.5, n)
    m = model - basis_row + column
    got = engine.candidate_sums(model, basis_row, column, w, y)
    for value, terms in zip(got, (w * m, w * m * m, w * m * y)):
        assert abs(value - math.fsum(terms)) <= n * np.finfo(float).eps * np.sum(np.abs(terms))


def _problem(quickstart, round_robin_1, name):
    q, i, s = quickstart if name == "quickstart" else round_robin_1
    data = prepare(q, i, s, min_rel_sigma=0.01, q_bins=100 if name == "quickstart" else 0)
    return data, radius_limits(data.q_nm)


@pytest.mark.parametrize("name", ["quickstart", "round_robin_1"])
@pytest.mark.parametrize("bg", ["fit", 0.0])
def test_new_kernel_takes_the_same_steps_as_the_previous_kernel(quickstart, round_robin_1, name, bg):
    # The new step only reorders the sums (eight lanes instead of one running sum), so chi2 differs by
    # rounding and, on these curves (n_q = 76 and 737), every accept/reject decision is the same:
    # same radii bit for bit, same step/accept/crossing counts; model and chi2 to 1e-12 relative.
    # 6000 steps never reach the criterion -1, so the walk runs its full length.
    (data, (r_min, r_max)) = _problem(quickstart, round_robin_1, name)
    bg_mode = kernels.BG_FIT if bg == "fit" else kernels.BG_FIXED
    args = (data.q_nm, data.intensity, 1.0 / data.sigma**2, repetition_seeds(5, 2), 300, r_min, r_max,
            name == "quickstart", -1.0, kernels.MODE_MCSAS, 0, 0.0, 6000, bg_mode, 0.0 if bg == "fit" else float(bg))
    r_new, m_new, rec_new = kernels.run_repetitions(*args)
    r_old, m_old, rec_old = kernels_v1.run_repetitions(*args)
    assert np.array_equal(r_new, r_old)
    np.testing.assert_array_equal(rec_new[:, 3:], rec_old[:, 3:])
    assert np.all(rec_new[:, 4] > 100)  # the walk did move
    np.testing.assert_allclose(m_new, m_old, rtol=1e-12)
    np.testing.assert_allclose(rec_new[:, :3], rec_old[:, :3], rtol=1e-12, atol=1e-300)


def test_strided_input_gives_the_same_bits_on_one_and_two_threads(round_robin_1):
    # prepare() returns columns of a table (strided views); the kernel copies them contiguous. Same
    # seeds, 1 and 2 numba threads, 4 repetitions to the criterion with the extra steps: the same bits.
    data = prepare(*round_robin_1, min_rel_sigma=0.01)
    assert not data.q_nm.flags["C_CONTIGUOUS"]  # the case this test is about
    r_min, r_max = radius_limits(data.q_nm)
    args = (data.q_nm, data.intensity, 1.0 / data.sigma**2, repetition_seeds(11, 4), 100, r_min, r_max, False,
            1.0 * (data.q_nm.size - 2), kernels.MODE_EXTRA, 0, 1.0, 50_000, kernels.BG_FIT, 0.0)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kernels.run_repetitions(*args)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = kernels.run_repetitions(*args)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, two):
        assert np.array_equal(a, b)
    assert np.all(one[2][:, 5] >= 0)  # every repetition met the criterion
