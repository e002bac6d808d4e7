"""Scattering models in absolute units: the sphere.

Convention (as McSAS): a population of spheres with volume fraction ``phi`` and radius ``R``
scatters ``I(q) = phi * drho**2 * V(R) * F(qR)**2`` with ``F(x) = 3 (sin x - x cos x) / x**3``
and ``F(0) = 1``. With ``drho`` in 1e-6 1/A^2 (= 1e10 1/cm^2) and ``V`` in cm^3, I is in 1/cm.
"""

from __future__ import annotations

import numpy as np

#: Below this qR the sphere amplitude is evaluated from its Taylor series. The direct formula
#: loses about 3*eps/x**2 relative precision to cancellation (sin x - x cos x ~ x**3/3 out of
#: terms of size x), i.e. 3e-15 at x = 0.5; the series truncated after x**10 errs by less than
#: (x**12 / 3.1e10) = 8e-15 there. Both are far below the 1e-10 we test against sasmodels.
TAYLOR_CUTOFF = 0.5

#: Coefficients of F(x) = sum_k c_k x**(2k), k = 0..5: 3 * (-1)**k / (2**k k! (2k+3)!!).
_TAYLOR = (1.0, -1.0 / 10.0, 1.0 / 280.0, -1.0 / 15120.0, 1.0 / 1330560.0, -1.0 / 172972800.0)

#: 1e-6 1/A^2 expressed in 1/cm^2.
SLD_UNIT_PER_CM2 = 1.0e10
#: 1 nm^3 in cm^3.
NM3_TO_CM3 = 1.0e-21


def sphere_amplitude(x):
    """Normalised sphere form-factor amplitude ``F(x) = 3 (sin x - x cos x) / x**3``.

    Parameters
    ----------
    x : array_like
        ``q * R`` (dimensionless), any shape, ``x >= 0``.

    Returns
    -------
    ndarray
        ``F(x)``, same shape as ``x``; ``F(0) = 1`` exactly.

    Examples
    --------
    >>> float(sphere_amplitude(0.0))
    1.0
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    small = x < TAYLOR_CUTOFF
    xs2 = x[small] ** 2
    series = np.zeros_like(xs2)
    for coefficient in reversed(_TAYLOR):  # Horner in x**2
        series = series * xs2 + coefficient
    out[small] = series
    xl = x[~small]
    out[~small] = 3.0 * (np.sin(xl) - xl * np.cos(xl)) / xl**3
    return out


def sphere_volume_nm3(radius_nm):
    """Sphere volume ``4/3 pi R**3`` in nm^3 for radius in nm (any shape)."""
    radius_nm = np.asarray(radius_nm, dtype=np.float64)
    return 4.0 / 3.0 * np.pi * radius_nm**3


def sphere_intensity_1cm(q_nm, radius_nm, volume_fraction, contrast_1e6_per_A2):
    """Absolute intensity of monodisperse spheres, 1/cm.

    Parameters
    ----------
    q_nm : array_like, shape (n,)
        Scattering vector, 1/nm.
    radius_nm : float
        Sphere radius, nm.
    volume_fraction : float
        Volume fraction of the spheres (dimensionless).
    contrast_1e6_per_A2 : float
        Scattering-length-density difference, 1e-6 1/A^2.

    Returns
    -------
    ndarray, shape (n,)
        ``phi * drho**2 * V * F(qR)**2`` in 1/cm.

    Examples
    --------
    >>> i0 = sphere_intensity_1cm([0.0], 1.0, 1e-3, 35.0)[0]
    >>> round(float(i0), 4)   # 1e-3 * (35e10 /cm^2)**2 * 4.18879e-21 cm^3
    0.5131
    """
    q_nm = np.asarray(q_nm, dtype=np.float64)
    volume_cm3 = sphere_volume_nm3(radius_nm) * NM3_TO_CM3
    drho_per_cm2 = contrast_1e6_per_A2 * SLD_UNIT_PER_CM2
    return volume_fraction * drho_per_cm2**2 * volume_cm3 * sphere_amplitude(q_nm * radius_nm) ** 2
