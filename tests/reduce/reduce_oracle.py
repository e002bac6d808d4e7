"""Independent expectations for the reduction tests (numpy only, no pyFAI)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def binned_model(q_bins, pixels, model, *, mask=None, flat=None):
    """Expected reduced I per bin, no pixel splitting: sum(model x w) / sum(w), w = solid angle x pol x flat.

    This is exactly what the reduction convention gives for the expected counts, with each pixel
    put in the uniform q bin (centres ``q_bins``, some possibly dropped) that holds its analytic q.
    """
    w = pixels.solid_angle_sr * pixels.polarization
    if flat is not None:
        w = w * flat
    q = pixels.q_nm
    if mask is not None:
        w, q = w[~mask], q[~mask]
    return binned_sums(q_bins, q, model(q) * w) / binned_sums(q_bins, q, w)


def subpixel_binned_model(q_bins, model, *, subdivisions=8):
    """Expected reduced I per bin with exact pixel splitting: each pixel cut into s x s sub-pixels.

    Every sub-pixel's q, solid angle and polarisation are analytic (:func:`synth.analytic_pixels`
    with the beam centre shifted by the sub-pixel offset); it goes whole into the bin of its q.
    """
    import reduce_synth as synth

    s = subdivisions
    num = den = 0.0
    for a in range(s):
        for b in range(s):
            sub = synth.analytic_pixels(center_x_px=synth.CENTER_X_PX + 0.5 - (b + 0.5) / s,
                                        center_y_px=synth.CENTER_Y_PX + 0.5 - (a + 0.5) / s)
            w = sub.solid_angle_sr * sub.polarization
            num = num + binned_sums(q_bins, sub.q_nm, model(sub.q_nm) * w, clip=True)
            den = den + binned_sums(q_bins, sub.q_nm, w, clip=True)
    return num / den


def binned_sums(q_bins, q_pixels, values, *, clip=False):
    """Sum of ``values`` per uniform bin of centres ``q_bins`` (pixels outside any listed bin dropped).

    ``clip=True`` drops values beyond the outer bin edges (sub-pixels outside the radial range).
    """
    q_bins = np.asarray(q_bins)
    q_pixels = np.ravel(q_pixels)
    values = np.ravel(values)
    dq = np.min(np.diff(q_bins))
    index = np.floor((q_pixels - q_bins[0]) / dq + 0.5).astype(int)
    full = np.rint((q_bins - q_bins[0]) / dq).astype(int)
    keep = (index >= 0) & (index <= full[-1]) if clip else index >= 0
    sums = np.bincount(index[keep], weights=values[keep], minlength=full[-1] + 2)
    return sums[full]


def pull_check(intensity, sigma, expected, *, std_range=(0.85, 1.15)):
    """Pull statistics and whether they are consistent with unit-normal noise.

    Tolerances: the mean of n unit-normal pulls is within 3/sqrt(n) of 0 (3 sigma); their
    standard deviation within [0.85, 1.15] (for n >= 150 the sampling spread of the std is
    <= 0.06, so this is > 2.5 sigma); the chi-square p-value within [1e-4, 1 - 1e-4].

    Returns
    -------
    ok : bool
    info : dict
        n, mean, std, chi2, p.
    """
    pulls = (np.asarray(intensity) - np.asarray(expected)) / np.asarray(sigma)
    pulls = pulls.ravel()
    n = pulls.size
    chi2 = float(np.sum(pulls**2))
    p = float(stats.chi2.sf(chi2, n))
    info = {"n": n, "mean": float(pulls.mean()), "std": float(pulls.std()), "chi2": chi2, "p": p}
    ok = (abs(info["mean"]) < 3 / np.sqrt(n) and std_range[0] <= info["std"] <= std_range[1]
          and 1e-4 < p < 1 - 1e-4)
    return ok, info
