"""The fit kernel as it was before the vectorised step (kept as the baseline of the benchmark and of the
tests that check the new kernel gives the same fits): one loop over q per step with a branch per point
(Taylor series or closed form, then the quadrant of sin/cos) and one running sum per quantity.

Not used by :func:`mcfit.fit`; remove it once the benchmark no longer needs the comparison.
"""

from __future__ import annotations

import numba
import numpy as np

from .kernels import (_JIT, BG_FIT, BG_FIXED, MODE_MCSAS, STOP_CONVERGED, STOP_EXTRA_CUT, STOP_MAX_STEPS,
                      _constants, draw_radius, inverse_q6, linear_scale_background, sphere_column, sphere_vf2)


@numba.njit(**_JIT)
def candidate_chi2(q_nm, inv_q6, y, w, model, basis_row, radius_nm, column, sw, swy, syy, bg_mode, bg_value):
    """Fill column = V(R) F(qR)**2 and return (s, b, chi2) for the candidate model - basis_row + column.

    Column: for x = qR >= TAYLOR_CUTOFF, V F**2 = 12 pi (sin x - x cos x)**2 / (R**3 q**6) (no division
    per point); below, V times the squared Taylor series. One pass accumulates S_m = sum w m,
    S_mm = sum w m**2, S_my = sum w m y' of the candidate m; then free background:
    s = (S_my - S_m S_y/S_w) / (S_mm - S_m**2/S_w), b = (S_y - s S_m)/S_w,
    chi2 = S_yy,c - s (S_my - S_m S_y/S_w) (s < 0 -> s = 0, b = ybar, chi2 = S_yy,c);
    fixed background b: s = S_my/S_mm, chi2 = S_yy,b - s S_my (s clipped at 0 likewise).
    """
    volume = 4.0 / 3.0 * np.pi * radius_nm * radius_nm * radius_nm
    prefactor = 12.0 * np.pi / (radius_nm * radius_nm * radius_nm)
    sm = 0.0
    smm = 0.0
    smy = 0.0
    for k in range(q_nm.shape[0]):
        c = sphere_vf2(q_nm[k] * radius_nm, volume, prefactor, inv_q6[k])
        column[k] = c
        m = model[k] - basis_row[k] + c
        wm = w[k] * m
        yk = y[k] - bg_value if bg_mode == BG_FIXED else y[k]
        sm += wm
        smm += wm * m
        smy += wm * yk
    if bg_mode == BG_FIT:
        cov = smy - sm * swy / sw
        var = smm - sm * sm / sw
        s = cov / var if var > 0.0 else 0.0
        if s < 0.0:
            s = 0.0
        b = (swy - s * sm) / sw
        return s, b, syy - s * cov
    s = smy / smm if smm > 0.0 else 0.0
    if s < 0.0:
        s = 0.0
    return s, bg_value, syy - s * smy


@numba.njit(**_JIT)
def run_one(q_nm, y, w, radii, state, r_min, r_max, log_radius, chi2_target, mode, extra_steps,
            extra_factor, max_steps, bg_mode, bg_value, basis, model, column):
    """One Monte Carlo repetition, in place.

    radii (n_c,) initial radii, replaced by the final ones; state (1,) uint64 generator state;
    basis (n_c, n_q) work array: basis[i] = V(R_i) F(q R_i)**2; model (n_q,) = sum_i basis[i];
    column (n_q,) work array. chi2_target is the total (not reduced) chi-square at the convergence
    criterion. Step t tries contribution i = t mod n_c (each in turn, as McSAS) with a radius r drawn
    from the generator; the candidate model - basis[i] + column(r) is refitted (s, b) in closed form
    (:func:`candidate_chi2`) and kept if chi2 decreases. Returns (scale, background, chi2, steps,
    accepted, crossing_step, stop_code); crossing_step = -1 when chi2 never reached chi2_target. The
    returned (s, b, chi2) are recomputed from the final contributions by the two-pass
    :func:`linear_scale_background` (no running-sum drift).
    """
    n_c = radii.shape[0]
    n_q = q_nm.shape[0]
    for k in range(n_q):
        model[k] = 0.0
    for i in range(n_c):
        sphere_column(q_nm, radii[i], basis[i])
        for k in range(n_q):
            model[k] += basis[i, k]
    sw, swy, syy = _constants(y, w, bg_mode, bg_value)
    inv_q6 = inverse_q6(q_nm)
    s, b, chi2 = linear_scale_background(model, y, w, bg_mode, bg_value)
    steps = 0
    accepted = 0
    crossing = -1
    if chi2 <= chi2_target:
        crossing = 0
    stop = STOP_MAX_STEPS
    while True:
        if crossing >= 0:
            if mode == MODE_MCSAS or steps - crossing >= extra_steps + int(extra_factor * crossing):
                stop = STOP_CONVERGED
                break
        if steps >= max_steps:
            break
        i = steps % n_c
        r = draw_radius(state, r_min, r_max, log_radius)
        s_new, b_new, chi2_new = candidate_chi2(q_nm, inv_q6, y, w, model, basis[i], r, column, sw, swy,
                                                syy, bg_mode, bg_value)
        steps += 1
        if chi2_new < chi2:
            accepted += 1
            radii[i] = r
            for k in range(n_q):
                model[k] += column[k] - basis[i, k]
                basis[i, k] = column[k]
            chi2 = chi2_new
            if crossing < 0 and chi2 <= chi2_target:
                crossing = steps
    if stop == STOP_MAX_STEPS and crossing >= 0:
        stop = STOP_EXTRA_CUT
    # Remove the drift of the running sum: recompute the model from the basis once at the end.
    for k in range(n_q):
        model[k] = 0.0
    for i in range(n_c):
        for k in range(n_q):
            model[k] += basis[i, k]
    s, b, chi2 = linear_scale_background(model, y, w, bg_mode, bg_value)
    return s, b, chi2, steps, accepted, crossing, stop


@numba.njit(parallel=True, **_JIT)
def run_repetitions(q_nm, y, w, seeds, n_contributions, r_min, r_max, log_radius, chi2_target, mode,
                    extra_steps, extra_factor, max_steps, bg_mode, bg_value):
    """All repetitions, one per ``prange`` iteration, each with its own generator and work arrays.

    seeds (n_rep,) uint64. Returns radii (n_rep, n_c), model (n_rep, n_q) = sum of basis columns,
    and records (n_rep, 7) float64: scale, background, chi2, steps, accepted, crossing_step, stop_code.
    Initial radii are drawn from the repetition's own generator.
    """
    n_rep = seeds.shape[0]
    n_q = q_nm.shape[0]
    radii = np.empty((n_rep, n_contributions))
    models = np.empty((n_rep, n_q))
    records = np.empty((n_rep, 7))
    for j in numba.prange(n_rep):
        state = np.empty(1, dtype=np.uint64)
        state[0] = seeds[j]
        for i in range(n_contributions):
            radii[j, i] = draw_radius(state, r_min, r_max, log_radius)
        basis = np.empty((n_contributions, n_q))
        column = np.empty(n_q)
        model = np.empty(n_q)
        s, b, chi2, steps, accepted, crossing, stop = run_one(
            q_nm, y, w, radii[j], state, r_min, r_max, log_radius, chi2_target, mode, extra_steps,
            extra_factor, max_steps, bg_mode, bg_value, basis, model, column)
        for k in range(n_q):
            models[j, k] = model[k]
        records[j, 0] = s
        records[j, 1] = b
        records[j, 2] = chi2
        records[j, 3] = steps
        records[j, 4] = accepted
        records[j, 5] = crossing
        records[j, 6] = stop
    return radii, models, records
