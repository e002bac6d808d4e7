"""Synthetic reduced curves with known truth (fixed seeds), built like the reduction builds them.

Counting model (the simulator's): counts in a q bin = eta * n_pix * dOmega * N0 * T * sum_j d_j I_j(q);
monitors i1 = g1 * T * N0, i0 = g0 * N0; reduced I = counts / (n_pix * dOmega * i1) * NF, with a Poisson
sigma. So reduced I = eta / g1 * NF * sum_j d_j[cm] I_j, and the calibration factor is C = g1 / (eta * NF).
"""

from __future__ import annotations

import numpy as np

from mcfit.models import sphere_intensity_1cm
from saxs.absolute import load_srm3600
from saxs.profile import Profile1D, SampleInfo

Q_NM = np.geomspace(0.1, 6.0, 250)
#: Pixels per q bin (grows with q like an annulus) times the pixel solid angle, sr.
N_PIX = 20.0 + 400.0 * Q_NM
D_OMEGA = 3.0e-8
ETA, G1, G0, NF = 0.83, 0.37, 1.9, 2.0
C_TRUE = G1 / (ETA * NF)
N0 = 1.0e13  # photons per exposure
GEOMETRY = {"distance_mm": 1500.0, "center_x_px": 1000.5, "center_y_px": 1100.5, "wavelength_nm": 0.1,
            "detector": "Eiger2 4M"}

#: Differential cross-sections per unit volume of the components, 1/cm.
KAPTON_CM = 2 * 0.0125 / 10  # two 12.5 um walls, cm


def kapton_1cm(q):
    return 0.5 + 3.0 * np.exp(-q / 0.3)


def solvent_1cm(q):
    return 0.02 + 0.005 * q**2  # an organic solvent: flat plus a slow rise


def particles_1cm(q):
    return sphere_intensity_1cm(q, 2.0, 0.002, 35.0)


def water_1cm(q):
    return np.full_like(q, 0.01632)


def gc_1cm(q):
    q_ref, i_ref, _ = load_srm3600()
    return np.exp(np.interp(np.log(q), np.log(q_ref), np.log(i_ref)))


def measure(rng, layers, *, transmission, normalize="i1", name="x", exposure=1.0, n_frames=1,
            geometry=GEOMETRY, q=Q_NM):
    """Frames of one measurement. layers: list of (thickness_cm, function(q) -> 1/cm)."""
    mean_counts = ETA * N_PIX * D_OMEGA * N0 * exposure * transmission * sum(d * f(q) for d, f in layers)
    i1 = G1 * transmission * N0 * exposure
    i0 = G0 * N0 * exposure
    monitor = i1 if normalize == "i1" else i0
    frames = []
    for k in range(n_frames):
        counts = rng.poisson(mean_counts)
        scale = NF / (N_PIX * D_OMEGA * monitor)
        frames.append(Profile1D(
            q, counts * scale, np.sqrt(np.maximum(counts, 1)) * scale,
            sample=SampleInfo(name=name),
            provenance={"input_file": f"{name}.h5", "frame": k, "normalization": normalize,
                        "monitors": {"i0": [i0], "i1": [i1]}, **geometry},
        ))
    return frames


def truth_reduced(layers, *, transmission=1.0, normalize="i1"):
    """Noise-free reduced intensity of a measurement."""
    per = ETA / G1 * NF if normalize == "i1" else ETA / G0 * NF * transmission
    return per * sum(d * f(Q_NM) for d, f in layers)
