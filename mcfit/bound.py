"""The lowest chi-square any distribution of spheres can reach on a curve: a non-negative least squares bound.

The Monte Carlo model is ``I(q) = s * sum_i V(R_i) F(q R_i)**2 + b`` with ``s >= 0`` and the radii
in ``[r_min, r_max]``; whatever the radii, it is a non-negative combination of sphere columns plus
a background. On a fine logarithmic grid of radii the best such combination is a non-negative least
squares (NNLS) problem::

    minimise  sum_k w_k (y_k - sum_j c_j A_kj - b)**2   over c_j >= 0 (and b free, or b fixed)

with ``A_kj = V(R_j) F(q_k R_j)**2`` and the fit's own weights ``w = 1/sigma**2``. Its minimum is
the bound: no distribution of spheres on that radius range does better, so a fit whose chi-square
sits at the bound has done all spheres can do, and a bound above the convergence criterion says
the data hold something spheres cannot describe (or sigma is too small).

Conditioning: a free background is eliminated exactly by weighted centring (``b = ybar - c . Abar``,
the same closed form as the fit); the rows are multiplied by ``sqrt(w)`` and each column is scaled
to unit Euclidean norm (the columns span ``V ~ R**3``, many decades) before
the active-set solver of :mod:`mcfit.nnls` (``scipy.optimize.nnls`` is its test oracle); the scaling changes neither the feasible set (c >= 0) nor the minimum.
The grid makes the bound a slight over-estimate of the continuum infimum: at
:data:`BOUND_RADII` radii over the range the radius step is well below a form-factor period
(tested: halving the step moves the bound by < 0.1 % on the round robin curves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import sphere_amplitude, sphere_volume_nm3
from .nnls import nnls

#: Radii of the logarithmic grid over the fit's radius range.
BOUND_RADII = 400


@dataclass(frozen=True, eq=False)
class ChiSquareBound:
    """The NNLS lower bound of chi-square for spheres on the fitted points.

    ``chi2`` is the total chi-square of the best non-negative combination of sphere columns (plus
    the background) against the sigma the fit used; ``chi2_reduced`` divides it by the fit's degrees
    of freedom (points minus the linear parameters, as the fit's own reduced chi-square).
    ``radii_nm`` (shape (m,)) is the grid and ``weights`` (shape (m,)) the coefficients ``c_j`` of
    the columns ``V(R_j) F(q R_j)**2`` (V in nm^3), ``background`` the background of the best
    combination (intensity unit).
    """

    chi2: float
    chi2_reduced: float
    dof: int
    radii_nm: np.ndarray
    weights: np.ndarray
    background: float

    def __eq__(self, other) -> bool:
        if not isinstance(other, ChiSquareBound):
            return NotImplemented
        return (self.chi2 == other.chi2 and self.chi2_reduced == other.chi2_reduced and self.dof == other.dof
                and self.background == other.background and np.array_equal(self.radii_nm, other.radii_nm)
                and np.array_equal(self.weights, other.weights))

    __hash__ = None

    @property
    def description(self) -> str:
        return (f"NNLS over {self.radii_nm.size} log-spaced radii {self.radii_nm[0]:.4g}-{self.radii_nm[-1]:.4g} nm, "
                "same weights and scale/background model as the fit")


def design_matrix(q_nm, radii_nm) -> np.ndarray:
    """Sphere columns ``A[k, j] = V(R_j) F(q_k R_j)**2`` (nm^3), shape (n_q, n_r)."""
    q_nm = np.asarray(q_nm, dtype=np.float64)
    radii_nm = np.asarray(radii_nm, dtype=np.float64)
    return sphere_volume_nm3(radii_nm)[None, :] * sphere_amplitude(q_nm[:, None] * radii_nm[None, :]) ** 2


def weighted_system(q_nm, intensity, sigma, radii_nm, *, background="fit"):
    """The weighted NNLS system ``(M, v)`` of the bound, before column scaling.

    ``M = sqrt(w) (A - Abar)`` and ``v = sqrt(w) (y - ybar)`` for a free background (weighted means
    ``Abar``, ``ybar``), or ``M = sqrt(w) A`` and ``v = sqrt(w) (y - b)`` for a fixed one; the
    minimum of ``|M c - v|**2`` over ``c >= 0`` is the bound's chi-square. Shapes (n, m) and (n,).
    """
    y = np.asarray(intensity, dtype=np.float64)
    w = 1.0 / np.asarray(sigma, dtype=np.float64) ** 2
    a = design_matrix(q_nm, radii_nm)
    root_w = np.sqrt(w)
    if isinstance(background, str):
        a_bar = (w @ a) / w.sum()
        y_bar = float(w @ y / w.sum())
        return root_w[:, None] * (a - a_bar[None, :]), root_w * (y - y_bar)
    return root_w[:, None] * a, root_w * (y - float(background))


def chi2_bound(q_nm, intensity, sigma, radius_range_nm, *, background="fit", n_radii: int = BOUND_RADII,
               n_linear: int | None = None) -> ChiSquareBound:
    """The lowest chi-square of any distribution of spheres with radii in ``radius_range_nm``.

    Parameters
    ----------
    q_nm, intensity, sigma : ndarray, shape (n,)
        The curve as the fit sees it (q in 1/nm; sigma the one the fit uses, > 0).
    radius_range_nm : (float, float)
        Radius range, nm (the fit's).
    background : "fit" or float
        A free flat background or a fixed value (the fit's setting).
    n_radii : int
        Points of the logarithmic radius grid.
    n_linear : int, optional
        Linear parameters of the fit (2 with a free background, 1 with a fixed one; default from
        ``background``): the degrees of freedom are ``n - n_linear``.

    Returns
    -------
    ChiSquareBound

    Examples
    --------
    >>> q = np.geomspace(0.1, 3.0, 50)
    >>> i = design_matrix(q, [4.0])[:, 0] + 1.0   # one sphere size plus a background: the bound is 0
    >>> round(chi2_bound(q, i, 0.01 * i, (1.0, 10.0)).chi2_reduced, 6)
    0.0
    """
    lo, hi = (float(v) for v in radius_range_nm)
    radii = np.geomspace(lo, hi, int(n_radii))
    m, v = weighted_system(q_nm, intensity, sigma, radii, background=background)
    norm = np.sqrt(np.sum(m * m, axis=0))
    norm[norm == 0] = 1.0
    c_scaled, residual_norm = nnls(m / norm[None, :], v, max_iter=50 * radii.size)
    coefficients = c_scaled / norm
    chi2 = float(residual_norm**2)
    if n_linear is None:
        n_linear = 2 if isinstance(background, str) else 1
    dof = int(np.size(q_nm)) - int(n_linear)
    y = np.asarray(intensity, dtype=np.float64)
    w = 1.0 / np.asarray(sigma, dtype=np.float64) ** 2
    model = design_matrix(q_nm, radii) @ coefficients
    b = float(w @ (y - model) / w.sum()) if isinstance(background, str) else float(background)
    coefficients.setflags(write=False)
    radii.setflags(write=False)
    return ChiSquareBound(chi2=chi2, chi2_reduced=chi2 / dof, dof=dof, radii_nm=radii, weights=coefficients,
                          background=b)


def bound_message(bound_reduced: float, convergence: float) -> str:
    """The one line a fit says when no distribution of spheres reaches its criterion."""
    return (f"no distribution of spheres reaches chi2_r {convergence:g} on these data: the best is "
            f"{bound_reduced:.3g}; the data hold something spheres cannot describe, or the uncertainties are "
            f"too small by about a factor of sqrt({bound_reduced / convergence:.3g}) = "
            f"{np.sqrt(bound_reduced / convergence):.2g}")
