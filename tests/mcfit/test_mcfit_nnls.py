"""mcfit's own NNLS (used by the chi-square bound) against scipy.optimize.nnls and the KKT conditions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import nnls as scipy_nnls

from mcfit.nnls import nnls


def _problems(seed: int = 20261130, count: int = 200):
    """Seeded random problems: plain Gaussian, non-negative (many active columns), and nearly
    dependent column pairs (relative difference 1e-12, where round-off decides which one enters)."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        m, n = int(rng.integers(3, 90)), int(rng.integers(1, 150))
        a = rng.normal(size=(m, n))
        if k % 3 == 0:
            a = np.abs(a)
        if k % 5 == 0 and n > 1:
            a[:, 1] = a[:, 0] * (1.0 + 1e-12)
        yield a, rng.normal(size=m)


def test_minimum_equals_scipy_on_random_problems():
    # Oracle: scipy.optimize.nnls (Lawson-Hanson in compiled code). Both are exact minima of the same
    # convex problem, so the squared residuals agree to round-off: 1e-10 of |b|^2 (the observed
    # worst case is ~1e-15; the minimiser itself need not be unique when columns are dependent).
    for a, b in _problems():
        x, residual = nnls(a, b)
        _, reference = scipy_nnls(a, b, maxiter=100 * a.shape[1])
        assert np.all(x >= 0.0)
        assert residual**2 == pytest.approx(reference**2, abs=1e-10 * float(b @ b))
        assert residual == pytest.approx(np.linalg.norm(a @ x - b), rel=1e-12)


def test_solution_meets_kkt_conditions():
    # Independent of any solver: at the minimum the gradient g = A^T (b - A x) is ~0 where x > 0 and
    # <= 0 where x = 0 (tolerance 1e-8 of |A| |b|, far above round-off, far below a real violation).
    for a, b in _problems(seed=7, count=100):
        x, _ = nnls(a, b)
        g = a.T @ (b - a @ x)
        scale = 1e-8 * np.linalg.norm(a) * max(np.linalg.norm(b), 1.0)
        assert np.all(np.abs(g[x > 0]) <= scale)
        assert np.all(g[x == 0] <= scale)


def test_known_answers():
    # Analytic cases: an unconstrained optimum that is already non-negative, and one clipped at zero.
    a = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    x, r = nnls(a, np.array([3.0, 4.0, 5.0]))
    assert x.tolist() == pytest.approx([3.0, 2.0]) and r == pytest.approx(5.0)
    x, r = nnls(a, np.array([3.0, -4.0, 0.0]))
    assert x.tolist() == pytest.approx([3.0, 0.0]) and r == pytest.approx(4.0)
    x, r = nnls(np.ones((4, 3)), -np.ones(4))  # every gradient negative: x = 0, residual |b|
    assert x.tolist() == [0.0, 0.0, 0.0] and r == pytest.approx(2.0)


def test_bad_shape_is_refused():
    with pytest.raises(ValueError, match=r"b has shape \(3,\); expected \(2,\)"):
        nnls(np.ones((2, 2)), np.ones(3))
