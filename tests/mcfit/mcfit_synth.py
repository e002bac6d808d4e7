"""Synthetic curves with known truth and helpers to read the bundled text files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcfit.models import sphere_amplitude, sphere_volume_nm3

DATA = Path(__file__).resolve().parents[1] / "data"


def read_columns(path: Path):
    """q, I, sigma from a text file with ';' or whitespace separators and CR/LF line endings."""
    text = path.read_bytes().decode().replace("\r", "\n")
    rows = [line.replace(";", " ").replace(",", " ").split() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    a = np.array(rows, dtype=np.float64)
    return a[:, 0], a[:, 1], a[:, 2]


def gaussian_number_curve(q_nm, components, *, n_grid=4001):
    """I(q) of spheres with a sum of Gaussian NUMBER distributions, each (mean, sd, number_weight).

    I(q) = sum_c w_c int n_c(R) V(R)**2 F(qR)**2 dR (arbitrary units, R > 0 only). Returns the
    intensity and the radius grid with the total number density on it (for the truth).
    """
    lo = max(1e-3, min(m - 6 * s for m, s, _ in components))
    hi = max(m + 6 * s for m, s, _ in components)
    radius = np.linspace(lo, hi, n_grid)
    number = np.zeros_like(radius)
    for mean, sd, weight in components:
        number += weight * np.exp(-0.5 * ((radius - mean) / sd) ** 2) / sd
    volume = sphere_volume_nm3(radius)
    intensity = np.array([np.sum(number * volume**2 * sphere_amplitude(q * radius) ** 2) for q in q_nm])
    return intensity, radius, number


def truth_moments(radius, number, lo, hi):
    """Volume-weighted <R^4>/<R^3> and number-weighted <R> of the distribution within [lo, hi)."""
    inside = (radius >= lo) & (radius < hi)
    r, n = radius[inside], number[inside]
    return float(np.sum(n * r**4) / np.sum(n * r**3)), float(np.sum(n * r) / np.sum(n))
