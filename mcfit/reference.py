"""Plain NumPy twins of the numba kernels in :mod:`mcfit.kernels` (same maths, same arguments).

They exist so that every kernel is tested against a second, readable implementation: the tests run
the same assertions on both engines. Sums here use NumPy's pairwise summation, so results agree with
the kernels to rounding (about 1e-13 relative), not bit for bit; the random streams agree exactly.
"""

from __future__ import annotations

import numpy as np

from .kernels import BG_FIT, BG_FIXED, MODE_MCSAS, STOP_CONVERGED, STOP_EXTRA_CUT, STOP_MAX_STEPS
from .models import sphere_amplitude, sphere_volume_nm3

_MASK = (1 << 64) - 1


def splitmix64_next(state):
    """Twin of :func:`mcfit.kernels.splitmix64_next` on a uint64 array of length 1 (Python ints inside)."""
    z = (int(state[0]) + 0x9E3779B97F4A7C15) & _MASK
    state[0] = np.uint64(z)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniform01(state):
    """Twin of :func:`mcfit.kernels.uniform01`."""
    return float(splitmix64_next(state) >> 11) * (1.0 / 9007199254740992.0)


def draw_radius(state, r_min, r_max, log_radius):
    """Twin of :func:`mcfit.kernels.draw_radius`."""
    u = uniform01(state)
    if log_radius:
        return float(np.exp(np.log(r_min) + u * (np.log(r_max) - np.log(r_min))))
    return r_min + u * (r_max - r_min)


def sphere_column(q_nm, radius_nm, out):
    """Twin of :func:`mcfit.kernels.sphere_column`."""
    volume = 4.0 / 3.0 * np.pi * radius_nm * radius_nm * radius_nm
    out[:] = volume * sphere_amplitude(np.asarray(q_nm) * radius_nm) ** 2


def linear_scale_background(model, y, w, bg_mode, bg_value):
    """Twin of :func:`mcfit.kernels.linear_scale_background`."""
    if bg_mode == BG_FIT:
        sw = np.sum(w)
        mbar = np.sum(w * model) / sw
        ybar = np.sum(w * y) / sw
        dm = model - mbar
        smm = np.sum(w * dm * dm)
        smy = np.sum(w * dm * (y - ybar))
        s = smy / smm if smm > 0.0 else 0.0
        s = max(s, 0.0)
        b = ybar - s * mbar
    else:
        b = bg_value
        smm = np.sum(w * model * model)
        smy = np.sum(w * model * (y - b))
        s = smy / smm if smm > 0.0 else 0.0
        s = max(s, 0.0)
    r = y - s * model - b
    return float(s), float(b), float(np.sum(w * r * r))


def _constants(y, w, bg_mode, bg_value):
    """Twin of :func:`mcfit.kernels._constants`."""
    yp = y - bg_value if bg_mode == BG_FIXED else y
    sw = np.sum(w)
    swy = np.sum(w * yp)
    ybar = swy / sw if bg_mode == BG_FIT else 0.0
    return float(sw), float(swy), float(np.sum(w * (yp - ybar) ** 2))


def sincos(x):
    """Twin of :func:`mcfit.kernels.sincos` (the library functions)."""
    return float(np.sin(x)), float(np.cos(x))


def inverse_q6(q_nm):
    """Twin of :func:`mcfit.kernels.inverse_q6`."""
    q = np.asarray(q_nm, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(q > 0, 1.0 / np.where(q > 0, q, 1.0) ** 6, 0.0)


def first_index(q_nm, radius_nm, x_limit, strict):
    """Twin of :func:`mcfit.kernels.first_index` (a per-point test instead of bisection)."""
    x = np.asarray(q_nm) * radius_nm
    hit = np.flatnonzero(x > x_limit if strict else x >= x_limit)
    return int(hit[0]) if hit.size else int(x.size)


def sphere_column_sorted(q_nm, inv_q6, radius_nm, out):
    """Twin of :func:`mcfit.kernels.sphere_column_sorted` (column from models.sphere_amplitude)."""
    sphere_column(q_nm, radius_nm, out)


def candidate_sums(model, basis_row, column, w, y_shifted):
    """Twin of :func:`mcfit.kernels.candidate_sums` (NumPy's pairwise sums)."""
    m = model - basis_row + column
    return float(np.sum(w * m)), float(np.sum(w * m * m)), float(np.sum(w * m * y_shifted))


def candidate_chi2(q_nm, inv_q6, y, w, model, basis_row, radius_nm, column, sw, swy, syy, bg_mode, bg_value):
    """Twin of :func:`mcfit.kernels.candidate_chi2` (column from models.sphere_amplitude)."""
    sphere_column(q_nm, radius_nm, column)
    m = model - basis_row + column
    yp = y - bg_value if bg_mode == BG_FIXED else y
    sm, smm, smy = np.sum(w * m), np.sum(w * m * m), np.sum(w * m * yp)
    if bg_mode == BG_FIT:
        cov = smy - sm * swy / sw
        var = smm - sm * sm / sw
        s = max(cov / var if var > 0.0 else 0.0, 0.0)
        return float(s), float((swy - s * sm) / sw), float(syy - s * cov)
    s = max(smy / smm if smm > 0.0 else 0.0, 0.0)
    return float(s), bg_value, float(syy - s * smy)


def run_one(q_nm, y, w, radii, state, r_min, r_max, log_radius, chi2_target, mode, extra_steps,
            extra_factor, max_steps, bg_mode, bg_value, basis, model, column):
    """Twin of :func:`mcfit.kernels.run_one`."""
    n_c = radii.shape[0]
    for i in range(n_c):
        sphere_column(q_nm, radii[i], basis[i])
    model[:] = basis.sum(axis=0)
    sw, swy, syy = _constants(y, w, bg_mode, bg_value)
    inv_q6 = inverse_q6(q_nm)
    s, b, chi2 = linear_scale_background(model, y, w, bg_mode, bg_value)
    steps = accepted = 0
    crossing = 0 if chi2 <= chi2_target else -1
    stop = STOP_MAX_STEPS
    while True:
        if crossing >= 0 and (mode == MODE_MCSAS or steps - crossing >= extra_steps + int(extra_factor * crossing)):
            stop = STOP_CONVERGED
            break
        if steps >= max_steps:
            break
        i = steps % n_c
        r = draw_radius(state, r_min, r_max, log_radius)
        _, _, chi2_new = candidate_chi2(q_nm, inv_q6, y, w, model, basis[i], r, column, sw, swy, syy,
                                        bg_mode, bg_value)
        steps += 1
        if chi2_new < chi2:
            accepted += 1
            radii[i] = r
            model += column - basis[i]
            basis[i] = column
            chi2 = chi2_new
            if crossing < 0 and chi2 <= chi2_target:
                crossing = steps
    if stop == STOP_MAX_STEPS and crossing >= 0:
        stop = STOP_EXTRA_CUT
    model[:] = basis.sum(axis=0)
    s, b, chi2 = linear_scale_background(model, y, w, bg_mode, bg_value)
    return s, b, chi2, steps, accepted, crossing, stop


def run_repetitions(q_nm, y, w, seeds, n_contributions, r_min, r_max, log_radius, chi2_target, mode,
                    extra_steps, extra_factor, max_steps, bg_mode, bg_value):
    """Twin of :func:`mcfit.kernels.run_repetitions` (sequential)."""
    n_rep = seeds.shape[0]
    n_q = q_nm.shape[0]
    radii = np.empty((n_rep, n_contributions))
    models = np.empty((n_rep, n_q))
    records = np.empty((n_rep, 7))
    for j in range(n_rep):
        state = np.array([seeds[j]], dtype=np.uint64)
        for i in range(n_contributions):
            radii[j, i] = draw_radius(state, r_min, r_max, log_radius)
        basis = np.empty((n_contributions, n_q))
        model = np.empty(n_q)
        out = run_one(q_nm, y, w, radii[j], state, r_min, r_max, log_radius, chi2_target, mode,
                      extra_steps, extra_factor, max_steps, bg_mode, bg_value, basis, model, np.empty(n_q))
        models[j] = model
        records[j] = out
    return radii, models, records


def observability(q_nm, sigma, radii_nm, factor):
    """Twin of :func:`mcfit.kernels.observability`."""
    radii = np.asarray(radii_nm, dtype=np.float64)
    out = np.empty(radii.size)
    for j, r in enumerate(radii):
        intensity = factor * sphere_volume_nm3(r) * sphere_amplitude(q_nm * r) ** 2
        positive = intensity > 0
        out[j] = np.min(sigma[positive] / intensity[positive]) if positive.any() else np.inf
    return out


__all__ = [
    "splitmix64_next", "uniform01", "draw_radius", "sphere_column", "linear_scale_background",
    "sincos", "inverse_q6", "first_index", "sphere_column_sorted", "candidate_sums", "observability",
    "candidate_chi2", "run_one", "run_repetitions", "STOP_CONVERGED",
]
