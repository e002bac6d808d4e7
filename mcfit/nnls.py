"""Non-negative least squares by the active-set method of Lawson and Hanson (1974, ch. 23).

Why not ``scipy.optimize.nnls``: importing ``scipy.optimize`` costs 0.2-0.4 s (it pulls in
``scipy.linalg``, ``scipy.fft`` and the linear-programming code), which every fresh ``saxs fit``
paid once for the chi-square bound of :mod:`mcfit.bound`: a third of the process. The bound's
problems are small (up to ~1000 rows, 400 columns, a few dozen active columns at the solution):
the method works on the normal equations (the Gram matrix once, then a k x k solve per step, as in
Bro and de Jong's "fast NNLS", J. Chemometrics 11, 393 (1997)) and refines the final passive set
once against the rows themselves. ``scipy.optimize.nnls``
stays the test oracle (``tests/mcfit/test_mcfit_nnls.py``).
"""

from __future__ import annotations

import numpy as np


class NNLSDidNotConverge(RuntimeError):
    """The active-set iterations hit their limit (the problem is badly scaled or degenerate)."""


def nnls(a, b, *, max_iter: int | None = None) -> tuple[np.ndarray, float]:
    """Minimise ``|a x - b|_2`` over ``x >= 0``.

    Parameters
    ----------
    a : ndarray, shape (m, n)
        Design matrix (columns of comparable norm give the best conditioning).
    b : ndarray, shape (m,)
        Right-hand side.
    max_iter : int, optional
        Limit on least-squares solves (default ``30 * n``).

    Returns
    -------
    x : ndarray, shape (n,)
        The solution, ``x >= 0`` (exact zeros off the passive set).
    residual_norm : float
        ``|a x - b|_2``.

    Raises
    ------
    NNLSDidNotConverge
        When ``max_iter`` solves did not reach the optimality conditions.

    Notes
    -----
    Optimality (Karush-Kuhn-Tucker): with the gradient ``g = a.T (b - a x)``, ``g_j <= tol`` where
    ``x_j = 0`` and ``x_j > 0`` only where ``g_j ~ 0``. ``tol`` is ``10 * eps * max(m, n)`` times the
    largest column norm times ``|b|``. A column whose least-squares coefficient comes out
    non-positive the moment it enters (round-off on a nearly dependent column) is set aside until
    the next accepted solution, so the loop cannot cycle on it.

    Examples
    --------
    >>> x, r = nnls(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([2.0, -1.0]))
    >>> x.tolist(), round(r, 12)
    ([2.0, 0.0], 1.0)
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    m, n = a.shape
    if b.shape != (m,):
        raise ValueError(f"b has shape {b.shape}; expected ({m},)")
    limit = 30 * n if max_iter is None else int(max_iter)
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    set_aside = np.zeros(n, dtype=bool)
    column_norm = float(np.sqrt((a * a).sum(axis=0)).max(initial=0.0))
    tol = 10.0 * np.finfo(np.float64).eps * max(m, n) * column_norm * max(float(np.linalg.norm(b)), 1.0)
    solves = 0
    gram = a.T @ a
    a_t_b = a.T @ b
    gradient = a_t_b.copy()
    while True:
        candidates = ~passive & ~set_aside & (gradient > tol)
        if not candidates.any():
            break
        j = int(np.argmax(np.where(candidates, gradient, -np.inf)))
        passive[j] = True
        while True:
            solves += 1
            if solves > limit:
                raise NNLSDidNotConverge(f"NNLS did not converge within {limit} least-squares solves")
            index = np.flatnonzero(passive)
            z = _solve(gram, a_t_b[index], index)
            if np.all(z > 0.0):
                x[:] = 0.0
                x[index] = z
                set_aside[:] = False
                break
            if j >= 0 and z[np.searchsorted(index, j)] <= 0.0:
                # The entering column itself came out non-positive: round-off, not progress.
                passive[j] = False
                set_aside[j] = True
                break
            j = -1
            x_p = x[index]
            ratio = np.full(index.size, np.inf)
            leaving = z <= 0.0
            ratio[leaving] = x_p[leaving] / (x_p[leaving] - z[leaving])
            k = int(np.argmin(ratio))
            x[index] = x_p + ratio[k] * (z - x_p)
            x[index[k]] = 0.0
            passive[index] = x[index] > 0.0
            x[~passive] = 0.0
        gradient = a_t_b - gram @ x
    index = np.flatnonzero(passive)
    if index.size:
        # One step of iterative refinement from the rows themselves (the normal equations square the
        # condition number); kept only where it stays positive.
        columns = a[:, index]
        z = x[index] + _solve(gram, columns.T @ (b - columns @ x[index]), index)
        if np.all(z > 0.0):
            x[index] = z
    return x, float(np.linalg.norm(a @ x - b))


def _solve(gram, rhs, index) -> np.ndarray:
    """Solve the normal equations of the columns ``index``: ``gram[index, index] z = rhs`` (shape (k,))."""
    sub = gram[np.ix_(index, index)]
    try:
        return np.linalg.solve(sub, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(sub, rhs, rcond=None)[0]
