"""Helpers (not tests): synthetic curves with known truth for the Bragg-peak tests (analytic models, fixed seeds)."""

from __future__ import annotations

import numpy as np

from mcfit.models import sphere_intensity_1cm

from saxs.profile import Profile1D, SampleInfo


def counts_profile(q_nm, mean_counts, *, seed: int, temperature_C=None, name="synthetic") -> Profile1D:
    """Poisson counts drawn around ``mean_counts`` (fixed seed); sigma = sqrt(max(counts, 1))."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(mean_counts).astype(float)
    return Profile1D(q_nm=q_nm, intensity=counts, sigma=np.sqrt(np.maximum(counts, 1.0)),
                     sample=SampleInfo(name=name, temperature_C=temperature_C),
                     provenance={"seed": seed, "model": "synthetic"})


def gaussian(q, center, fwhm):
    s = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return np.exp(-0.5 * ((q - center) / s) ** 2)


def precursor_background(q):
    """Cd-myristate-like precursor without the mesophase: low-q power law, a broad correlation
    maximum near 0.25 1/nm (log-normal bump, relative width ~0.3), a Guinier term of small
    (Rg = 1 nm) clusters and a flat solvent level; in counts."""
    return (0.5 * q**-2.5 + 2000.0 * np.exp(-0.5 * (np.log(q / 0.25) / 0.3) ** 2)
            + 150.0 * np.exp(-(q * 1.0) ** 2 / 3.0) + 30.0)


#: Lamellar Cd-myristate peaks (DESIGN.md): orders 1 and 2 at 1.84 and 3.69 1/nm.
PRECURSOR_PEAKS_NM = (1.84, 3.69)


def precursor_curve(peak_height_counts: float, *, seed: int, temperature_C: float) -> Profile1D:
    """Precursor curve on q = 0.1..5 1/nm (1200 points) with Gaussian Bragg peaks of FWHM
    0.07 and 0.08 1/nm (dq/q 3.8 % and 2.2 %); the second order has 40 % of the first's height."""
    q = np.linspace(0.1, 5.0, 1200)
    mean = precursor_background(q) + peak_height_counts * (
        gaussian(q, PRECURSOR_PEAKS_NM[0], 0.07) + 0.4 * gaussian(q, PRECURSOR_PEAKS_NM[1], 0.08))
    return counts_profile(q, mean, seed=seed, temperature_C=temperature_C, name=f"CdMyr_{temperature_C:g}C")


#: (temperature C, first-order peak height in counts, seed): strong, weaker, gone.
PRECURSOR_SERIES = ((25.0, 400.0, 11), (50.0, 120.0, 12), (100.0, 0.0, 13))


def mesophase_curve(q_peaks, *, seed: int, q_max: float = 6.0, rel_fwhm: float = 0.02,
                    height_counts: float = 600.0, decay: float = 0.8) -> Profile1D:
    """Power-law + flat background with Gaussian peaks at ``q_peaks`` (heights decaying as
    ``decay**k``), q = 0.3..q_max 1/nm, 1500 points, Poisson counts."""
    q = np.linspace(0.3, q_max, 1500)
    mean = 20.0 * q**-3.0 + 60.0
    for k, qp in enumerate(q_peaks):
        mean = mean + height_counts * decay**k * gaussian(q, qp, rel_fwhm * qp)
    return counts_profile(q, mean, seed=seed)


def precursor_series() -> list[Profile1D]:
    """The three precursor curves (25, 50, 100 C)."""
    return [precursor_curve(h, seed=s, temperature_C=t) for t, h, s in PRECURSOR_SERIES]


def polydisperse_spheres(q, radius_nm, rel_width, n_sizes=None):
    """Gaussian (number-weighted, +-3 sigma) average of sphere intensities, 1/cm (phi = 1e-3,
    contrast 35e-6 1/A^2).

    A sum over sizes spaced dR apart revives at q = pi / dR (the sin(qR) terms come back in
    phase: a sharp, genuine peak of the discretised curve, not of a continuous distribution), so
    by default the grid is fine enough to keep that revival beyond twice the largest q
    (at least 81 sizes).
    """
    span_nm = 6.0 * rel_width * radius_nm
    if n_sizes is None:
        n_sizes = max(81, int(np.ceil(span_nm * 2.0 * float(np.max(q)) / np.pi)) + 1)
    radii = radius_nm * (1.0 + rel_width * np.linspace(-3.0, 3.0, n_sizes))
    weights = np.exp(-0.5 * np.linspace(-3.0, 3.0, n_sizes) ** 2)
    curves = np.array([sphere_intensity_1cm(q, r, 1e-3, 35.0) for r in radii])
    return weights @ curves / weights.sum()
