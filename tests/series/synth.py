"""Synthetic member curves for the series tests: particles only, absolute units, fixed seeds.

Each curve is ``sum_k phi_k * I_gauss(q; R_k, w_k)`` (volume-weighted gaussian radius
distributions, :func:`mcfit.steps.sphere_gaussian_intensity_1cm`) on ``N_Q`` log-spaced q from
0.3 to 6 1/nm, with gaussian noise of ``noise_rel`` times the intensity.
"""

from __future__ import annotations

import numpy as np

from mcfit.steps import MemberPopulation, SeriesMember, sphere_gaussian_intensity_1cm

CONTRAST = 35.0  # CdSe in 1-octadecene, 1e-6 1/A^2 (DESIGN.md)
PHI = 1e-3
N_Q = 180
Q_NM = np.geomspace(0.3, 6.0, N_Q)

#: The published CdSe series (DESIGN.md / issue 6): (temperature C, [(radius nm, rel width, share)]).
PUBLISHED = (
    (190.0, [(0.87, 0.035, 1.0)]),
    (200.0, [(0.94, 0.035, 1.0)]),
    (210.0, [(0.94, 0.035, 1.0)]),
    (220.0, [(0.94, 0.035, 1.0)]),
    (230.0, [(0.94, 0.035, 0.65), (1.02, 0.035, 0.35)]),
    (240.0, [(1.02, 0.035, 1.0)]),
    (250.0, [(1.20, 0.09, 1.0)]),
    (260.0, [(1.45, 0.11, 1.0)]),
)


def curve(components, *, seed, noise_rel=0.015, q_nm=Q_NM):
    """Noisy absolute curve of a mixture: components = [(radius_nm, rel_width, share)]."""
    clean = sum(PHI * share * sphere_gaussian_intensity_1cm(q_nm, r, r * w, 1.0, CONTRAST)
                for r, w, share in components)
    sigma = noise_rel * clean
    rng = np.random.default_rng(seed)
    return q_nm, clean + sigma * rng.standard_normal(q_nm.size), sigma
