"""Model scattering curves of the simulated beamtime, all in absolute units (1/cm, q in 1/nm).

Every curve here is a differential scattering cross-section per unit volume per steradian,
``dSigma/dOmega(q)`` in 1/cm. A layer of thickness ``d`` (cm) in the beam scatters
``d * I(q)`` per steradian and per incident (transmitted) photon; see :mod:`saxs.simulate.counting`.

Materials
---------
- **Particles** (:func:`particles_1cm`): spheres, ``I = sum_pop phi * drho**2 * <V F(qR)**2>_w``
  where ``<.>_w`` averages over a **volume-weighted** Gaussian distribution of radii (what a
  McSAS-style Monte Carlo fit recovers), truncated at ``R > 0`` and renormalised. Sphere
  amplitude and volume come from :mod:`mcfit.models` (never re-implemented here).
- **Solvent 1-octadecene** (:func:`solvent_ode_1cm`): ``0.045 * (1 + 0.02 q**2)`` 1/cm, i.e.
  0.045 1/cm (compressibility plateau) rising slowly toward the liquid peak (0.077 at q = 6).
- **Water** (:func:`water_1cm`): flat 0.01632 1/cm (20 C, isothermal compressibility).
- **Kapton** (:func:`kapton_1cm`): ``0.02 / (q**2 + 0.05**2)**1.6 + 0.5 + 1.2 exp(-(q-1.0)**2/(2*0.35**2))``
  1/cm: a softened ``q**-3.2`` power law (voids) below 0.5 1/nm, a flat part and a broad
  feature near 1 1/nm. A plausible, smooth curve, not a measured one.
- **Glassy carbon SRM 3600** (:func:`glassy_carbon_1cm`): the certified curve interpolated
  linearly in log-log; outside the certified range (0.083 .. 2.47 1/nm) a power law anchored at
  the end point with the log-log slope of the 6 end points (about -0.15 at low q, -3.07 at high q).
- **Lamellar Bragg peaks** (:func:`bragg_1cm`): Gaussian (or Lorentzian) peaks of given height
  and width (sigma, or half width) in 1/cm at ``q_n = n * 2 pi / d``.
- **Broad correlation maximum** (:func:`broad_peak_1cm`): a Lorentzian ``h / (1 + ((q-q0)/w)**2)``.
- **Bubble interface** (:func:`porod_1cm`): ``K / (q**2 + qc**2)**2`` (Porod q**-4, softened).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcfit.models import NM3_TO_CM3, SLD_UNIT_PER_CM2, sphere_amplitude, sphere_volume_nm3

from ..absolute import load_srm3600

#: Water at 20 C, 1/cm (isothermal compressibility).
WATER_1CM = 0.01632
#: Contrast CdSe (42.0) vs 1-octadecene (7.6), 1e-6 1/A^2.
CDSE_ODE_CONTRAST = 34.4
#: Number of radius nodes used to average over a size distribution (+- 5 sigma).
_N_RADII = 201


@dataclass(frozen=True)
class Population:
    """One population of spheres.

    Attributes
    ----------
    mean_radius_nm : float
        Mean of the volume-weighted Gaussian radius distribution, nm.
    rel_width : float
        Standard deviation / mean (e.g. 0.03); 0 means monodisperse.
    volume_fraction : float
        Volume fraction of this population in the liquid.
    distribution : str
        ``"gaussian_volume"`` (the only one implemented: Gaussian in radius, volume-weighted).
    """

    mean_radius_nm: float
    rel_width: float
    volume_fraction: float
    distribution: str = "gaussian_volume"

    def __post_init__(self):
        if self.distribution != "gaussian_volume":
            raise ValueError(f"distribution must be 'gaussian_volume', got {self.distribution!r}")
        if not (self.mean_radius_nm > 0 and self.rel_width >= 0 and self.volume_fraction >= 0):
            raise ValueError(f"invalid population {self}")

    def radii_and_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Radius nodes (nm) and volume weights (sum 1) of the distribution."""
        if self.rel_width == 0:
            return np.array([self.mean_radius_nm]), np.array([1.0])
        sigma = self.rel_width * self.mean_radius_nm
        r = np.linspace(self.mean_radius_nm - 5 * sigma, self.mean_radius_nm + 5 * sigma, _N_RADII)
        w = np.exp(-0.5 * ((r - self.mean_radius_nm) / sigma) ** 2) * (r > 0)
        return r, w / w.sum()


@dataclass(frozen=True)
class BraggPeak:
    """A diffraction peak: centre ``q_nm``, ``height_1cm`` and ``width_nm`` (Gaussian sigma or Lorentzian HWHM)."""

    q_nm: float
    height_1cm: float
    width_nm: float
    shape: str = "gaussian"

    def __post_init__(self):
        if self.shape not in ("gaussian", "lorentzian"):
            raise ValueError(f"peak shape must be 'gaussian' or 'lorentzian', got {self.shape!r}")


def particles_1cm(q_nm, populations, contrast_1e6_per_A2: float) -> np.ndarray:
    """Absolute intensity of polydisperse spheres (sum over populations), 1/cm.

    Parameters
    ----------
    q_nm : array_like, shape (n,)
    populations : sequence of Population
    contrast_1e6_per_A2 : float

    Returns
    -------
    ndarray, shape (n,)
        ``sum phi * drho**2 * sum_i w_i V(R_i) F(q R_i)**2`` in 1/cm.
    """
    q = np.asarray(q_nm, dtype=np.float64)
    out = np.zeros(q.shape)
    drho2 = (contrast_1e6_per_A2 * SLD_UNIT_PER_CM2) ** 2
    for pop in populations:
        r, w = pop.radii_and_weights()
        v_cm3 = sphere_volume_nm3(r) * NM3_TO_CM3
        f2 = sphere_amplitude(np.multiply.outer(q.ravel(), r)) ** 2
        out += (pop.volume_fraction * drho2 * (f2 @ (w * v_cm3))).reshape(q.shape)
    return out


def solvent_ode_1cm(q_nm) -> np.ndarray:
    """1-octadecene: ``0.045 (1 + 0.02 q**2)`` 1/cm."""
    q = np.asarray(q_nm, dtype=np.float64)
    return 0.045 * (1.0 + 0.02 * q**2)


def water_1cm(q_nm) -> np.ndarray:
    """Water at 20 C: flat 0.01632 1/cm."""
    return np.full(np.shape(q_nm), WATER_1CM)


def kapton_1cm(q_nm) -> np.ndarray:
    """Kapton (polyimide) film: softened power law + plateau + broad feature near 1 1/nm, 1/cm."""
    q = np.asarray(q_nm, dtype=np.float64)
    return 0.02 / (q**2 + 0.05**2) ** 1.6 + 0.5 + 1.2 * np.exp(-0.5 * ((q - 1.0) / 0.35) ** 2)


def _powerlaw_tail(q_nodes, i_nodes):
    slope = np.polyfit(np.log(q_nodes), np.log(i_nodes), 1)[0]
    return float(slope)


# The certified curve, read through the one module that reads calibrations (q already in 1/nm).
_GC_Q_NM, _GC_I, _ = load_srm3600()
_GC_SLOPE_LOW = _powerlaw_tail(_GC_Q_NM[:6], _GC_I[:6])
_GC_SLOPE_HIGH = _powerlaw_tail(_GC_Q_NM[-6:], _GC_I[-6:])


def glassy_carbon_1cm(q_nm) -> np.ndarray:
    """NIST SRM 3600 certified curve, log-log interpolated, power-law extrapolated, 1/cm.

    Examples
    --------
    >>> round(float(glassy_carbon_1cm([0.0827568])[0]), 5)
    34.93338
    """
    q = np.asarray(q_nm, dtype=np.float64)
    qs = np.maximum(q, 1e-6)
    logi = np.interp(np.log(qs), np.log(_GC_Q_NM), np.log(_GC_I))
    low = qs < _GC_Q_NM[0]
    high = qs > _GC_Q_NM[-1]
    logi[low] = np.log(_GC_I[0]) + _GC_SLOPE_LOW * np.log(np.maximum(qs[low], 1e-3) / _GC_Q_NM[0])
    logi[high] = np.log(_GC_I[-1]) + _GC_SLOPE_HIGH * np.log(qs[high] / _GC_Q_NM[-1])
    return np.exp(logi)


def bragg_1cm(q_nm, peaks) -> np.ndarray:
    """Sum of diffraction peaks (see :class:`BraggPeak`), 1/cm."""
    q = np.asarray(q_nm, dtype=np.float64)
    out = np.zeros(q.shape)
    for p in peaks:
        x = (q - p.q_nm) / p.width_nm
        out += p.height_1cm * (np.exp(-0.5 * x**2) if p.shape == "gaussian" else 1.0 / (1.0 + x**2))
    return out


def broad_peak_1cm(q_nm, q0_nm: float, height_1cm: float, hwhm_nm: float) -> np.ndarray:
    """Lorentzian correlation maximum ``h / (1 + ((q - q0)/w)**2)``, 1/cm."""
    q = np.asarray(q_nm, dtype=np.float64)
    return height_1cm / (1.0 + ((q - q0_nm) / hwhm_nm) ** 2)


def porod_1cm(q_nm, porod_1cm_nm4: float, qc_nm: float = 0.05) -> np.ndarray:
    """Interface (Porod) scattering ``K / (q**2 + qc**2)**2``, 1/cm (K in 1/cm 1/nm^4)."""
    q = np.asarray(q_nm, dtype=np.float64)
    return porod_1cm_nm4 / (q**2 + qc_nm**2) ** 2


#: Materials of simple (parameter-free) layers, by name.
MATERIALS = {
    "kapton": kapton_1cm,
    "solvent_ode": solvent_ode_1cm,
    "water": water_1cm,
    "glassy_carbon": glassy_carbon_1cm,
}
