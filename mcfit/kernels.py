"""Numba kernels of the Monte Carlo fit; the one place that sets the numba policy.

Policy: ``nopython``, ``cache=True`` (compile once per machine, not per process), no ``fastmath``
(the accept/reject decisions compare chi-square values and must be reproducible bit for bit), the
default Python error model. Every kernel has a plain NumPy twin in :mod:`mcfit.reference`; the tests
run the same assertions on both.

The step (issue 12): per candidate radius the column V F(qR)**2 is filled in three branch-free loops
(the Taylor/closed-form switch found once by bisection on the increasing q), then one pass sums
w m, w m**2 and w m y' in eight fixed lanes. About 4x faster than the per-point-branch kernel it
replaced (kept as :mod:`mcfit.kernels_v1` for the benchmark), with the same columns bit for bit.

Random numbers come from a per-repetition SplitMix64 generator whose 64-bit state lives in an array
owned by that repetition, so the result does not depend on how repetitions are spread over threads.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def _load_cython_blas_alone() -> None:
    """Load ``scipy.linalg.cython_blas`` without the rest of ``scipy.linalg``.

    numba's target set-up (on the first call of any kernel, cached or not) runs
    ``import scipy.linalg.cython_blas`` only to learn whether BLAS is there; that statement executes
    all of ``scipy.linalg`` first (0.15 s on an idle core, up to 0.9 s on a loaded machine, measured
    as 0.3-0.7 s of a fresh ``saxs fit``). Our kernels use no BLAS. Loading that one extension module
    from its file, under its own name, gives numba the same answer; a later ``import scipy.linalg``
    finds it in ``sys.modules`` and works as usual. Any surprise (another scipy layout) leaves the
    ordinary import to happen.
    """
    name = "scipy.linalg.cython_blas"
    if name in sys.modules or "scipy.linalg" in sys.modules:
        return
    try:
        scipy_spec = importlib.util.find_spec("scipy")
        if scipy_spec is None or not scipy_spec.submodule_search_locations:
            return
        for folder in scipy_spec.submodule_search_locations:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = f"{folder}/linalg/cython_blas{suffix}"
                spec = importlib.util.spec_from_file_location(name, path)
                if spec is None or spec.loader is None or not os.path.exists(path):
                    continue
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                return
    except Exception:  # noqa: BLE001 - an optimisation only: fall back to numba's own import
        sys.modules.pop(name, None)


_load_cython_blas_alone()

import numba  # noqa: E402
import numpy as np  # noqa: E402

from .models import _TAYLOR, TAYLOR_CUTOFF  # noqa: E402

_JIT = dict(cache=True, fastmath=False, nogil=True)

# Stop codes recorded per repetition.
STOP_CONVERGED = 0  #: reached the criterion (after the extra steps, where the mode asks for them)
STOP_MAX_STEPS = 1  #: ran out of steps before meeting the criterion
STOP_EXTRA_CUT = 2  #: met the criterion, but max_steps cut the extra steps short

# Stop modes.
MODE_MCSAS = 0  #: stop the moment reduced chi-square <= convergence (McSAS)
MODE_EXTRA = 1  #: after crossing at step c, run ``extra_steps + int(extra_factor * c)`` further proposals

# Background modes.
BG_FIT = 0
BG_FIXED = 1

_C0, _C1, _C2, _C3, _C4, _C5 = _TAYLOR
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)

# pi/2 split for Cody-Waite range reduction (k * _PIO2_HI is exact for k < 2**20).
_PIO2_HI = 1.57079632673412561417e+00
_PIO2_LO = 6.07710050650619224932e-11
_TWO_OVER_PI = 0.63661977236758134308
#: Above this argument sincos falls back to the library sin and cos (reduction no longer exact).
SINCOS_MAX = 1.0e5


@numba.njit(**_JIT)
def splitmix64_next(state):
    """Advance ``state[0]`` (uint64) by the SplitMix64 recurrence and return the next output.

    z = state + 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;
    z = (z ^ z>>27) * 0x94D049BB133111EB; return z ^ z>>31 (all modulo 2**64).
    """
    z = state[0] + np.uint64(0x9E3779B97F4A7C15)
    state[0] = z
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(**_JIT)
def uniform01(state):
    """Uniform float in [0, 1): the top 53 bits of the next output times 2**-53."""
    return float(splitmix64_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(**_JIT)
def draw_radius(state, r_min, r_max, log_radius):
    """Radius uniform in [r_min, r_max), or log-uniform when ``log_radius``."""
    u = uniform01(state)
    if log_radius:
        return np.exp(np.log(r_min) + u * (np.log(r_max) - np.log(r_min)))
    return r_min + u * (r_max - r_min)


@numba.njit(**_JIT)
def sincos(x):
    """(sin x, cos x) with one range reduction: k = round(2x/pi), r = x - k pi/2 (two-part pi/2),
    Taylor series of sin r (to r**15) and cos r (to r**16) on |r| <= pi/4 (truncation < 5e-17),
    then the quadrant k mod 4 picks the signs. Library sin and cos above SINCOS_MAX."""
    if x > SINCOS_MAX or x < -SINCOS_MAX:
        return np.sin(x), np.cos(x)
    k = np.floor(x * _TWO_OVER_PI + 0.5)
    r = (x - k * _PIO2_HI) - k * _PIO2_LO
    r2 = r * r
    sr = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (
        1.0 / 362880.0 + r2 * (-1.0 / 39916800.0 + r2 * (1.0 / 6227020800.0 + r2 * (-1.0 / 1307674368000.0))))))))
    cr = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (
        -1.0 / 3628800.0 + r2 * (1.0 / 479001600.0 + r2 * (-1.0 / 87178291200.0 + r2 * (1.0 / 20922789888000.0))))))))
    quadrant = int(k) & 3
    if quadrant == 0:
        return sr, cr
    if quadrant == 1:
        return cr, -sr
    if quadrant == 2:
        return -sr, -cr
    return -cr, sr


@numba.njit(**_JIT)
def sphere_amplitude_scalar(x):
    """F(x) = 3 (sin x - x cos x) / x**3, Taylor series in x**2 below TAYLOR_CUTOFF."""
    if x < TAYLOR_CUTOFF:
        x2 = x * x
        return ((((_C5 * x2 + _C4) * x2 + _C3) * x2 + _C2) * x2 + _C1) * x2 + _C0
    return 3.0 * (np.sin(x) - x * np.cos(x)) / (x * x * x)


@numba.njit(**_JIT)
def sphere_column(q_nm, radius_nm, out):
    """out[k] = V(R) F(q_k R)**2 with V = 4/3 pi R**3 (nm^3)."""
    volume = 4.0 / 3.0 * np.pi * radius_nm * radius_nm * radius_nm
    for k in range(q_nm.shape[0]):
        f = sphere_amplitude_scalar(q_nm[k] * radius_nm)
        out[k] = volume * f * f


@numba.njit(**_JIT)
def linear_scale_background(model, y, w, bg_mode, bg_value):
    """Weighted least squares of y ~ s*model + b with s >= 0; returns (s, b, chi2).

    Fit: minimise sum w (y - s m - b)**2. Free b: centred normal equations
    s = sum w (m - mbar)(y - ybar) / sum w (m - mbar)**2, b = ybar - s mbar; s < 0 -> s = 0, b = ybar.
    Fixed b: s = sum w m (y - b) / sum w m**2, clipped at 0. chi2 is summed in a second pass.
    """
    n = y.shape[0]
    if bg_mode == BG_FIT:
        sw = 0.0
        swm = 0.0
        swy = 0.0
        for k in range(n):
            sw += w[k]
            swm += w[k] * model[k]
            swy += w[k] * y[k]
        mbar = swm / sw
        ybar = swy / sw
        smm = 0.0
        smy = 0.0
        for k in range(n):
            dm = model[k] - mbar
            smm += w[k] * dm * dm
            smy += w[k] * dm * (y[k] - ybar)
        s = smy / smm if smm > 0.0 else 0.0
        if s < 0.0:
            s = 0.0
        b = ybar - s * mbar
    else:
        b = bg_value
        smm = 0.0
        smy = 0.0
        for k in range(n):
            smm += w[k] * model[k] * model[k]
            smy += w[k] * model[k] * (y[k] - b)
        s = smy / smm if smm > 0.0 else 0.0
        if s < 0.0:
            s = 0.0
    chi2 = 0.0
    for k in range(n):
        r = y[k] - s * model[k] - b
        chi2 += w[k] * r * r
    return s, b, chi2


@numba.njit(**_JIT)
def _constants(y, w, bg_mode, bg_value):
    """Data sums used at every step: sum w, sum w y' and sum w (y' - ybar)**2 (free background; y' = y)
    or sum w (y - b)**2 (fixed background b; then y' = y - b and ybar = 0)."""
    n = y.shape[0]
    sw = 0.0
    swy = 0.0
    for k in range(n):
        yk = y[k] - bg_value if bg_mode == BG_FIXED else y[k]
        sw += w[k]
        swy += w[k] * yk
    ybar = swy / sw if bg_mode == BG_FIT else 0.0
    syy = 0.0
    for k in range(n):
        yk = y[k] - bg_value if bg_mode == BG_FIXED else y[k]
        d = yk - ybar
        syy += w[k] * d * d
    return sw, swy, syy


@numba.njit(**_JIT)
def inverse_q6(q_nm):
    """1/q**6 per point (0 where q = 0: those points always take the Taylor branch)."""
    out = np.empty_like(q_nm)
    for k in range(q_nm.shape[0]):
        q = q_nm[k]
        out[k] = 1.0 / (q * q * q * q * q * q) if q > 0.0 else 0.0
    return out


@numba.njit(inline="always", **_JIT)
def sphere_vf2(x, volume, prefactor, inv_q6_k):
    """V F(x)**2 for x = qR: V times the squared Taylor series below TAYLOR_CUTOFF, above it
    12 pi (sin x - x cos x)**2 / (R**3 q**6) = prefactor (sin x - x cos x)**2 inv_q6_k (no division)."""
    if x < TAYLOR_CUTOFF:
        f = sphere_amplitude_scalar(x)
        return volume * f * f
    sx, cx = sincos(x)
    t = sx - x * cx
    return prefactor * t * t * inv_q6_k


@numba.njit(**_JIT)
def first_index(q_nm, radius_nm, x_limit, strict):
    """Smallest k with q_k R >= x_limit (> x_limit when ``strict``), or n if none; q_nm increasing.

    Bisection on the products q_k R themselves (monotone in k for R > 0), so the split agrees exactly
    with a per-point test of x = q_k R.
    """
    lo = 0
    hi = q_nm.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        x = q_nm[mid] * radius_nm
        if x > x_limit or (x == x_limit and not strict):
            hi = mid
        else:
            lo = mid + 1
    return lo


@numba.njit(**_JIT)
def sphere_column_sorted(q_nm, inv_q6, radius_nm, out):
    """out[k] = V(R) F(q_k R)**2 for increasing q_nm, in three branch-free loops.

    The Taylor/closed-form switch and the library fall-back (x > SINCOS_MAX) are found once per radius
    by bisection (:func:`first_index`). In the middle loop, V F**2 = prefactor (sin x - x cos x)**2 /q**6
    with prefactor = 12 pi / R**3 (:func:`sphere_vf2`); the reduction of :func:`sincos` gives r and the
    quadrant k, and since the value is squared only the parity of k matters: even k,
    sin x - x cos x = +-(sin r - x cos r); odd k, +-(cos r + x sin r). Same operations in the same
    order as :func:`sphere_vf2`, so the values are equal bit for bit; the loop has no branch and
    the compiler vectorises it.
    """
    n = q_nm.shape[0]
    volume = 4.0 / 3.0 * np.pi * radius_nm * radius_nm * radius_nm
    prefactor = 12.0 * np.pi / (radius_nm * radius_nm * radius_nm)
    k_series = first_index(q_nm, radius_nm, TAYLOR_CUTOFF, False)
    k_library = first_index(q_nm, radius_nm, SINCOS_MAX, True)
    if k_library < k_series:
        k_library = k_series
    for k in range(k_series):
        x = q_nm[k] * radius_nm
        x2 = x * x
        f = ((((_C5 * x2 + _C4) * x2 + _C3) * x2 + _C2) * x2 + _C1) * x2 + _C0
        out[k] = volume * f * f
    # Loops over views that start at 0: the index is then known to be >= 0 and the compiler drops
    # numba's negative-index wrap-around, which otherwise turns the loads into gathers.
    q_mid = q_nm[k_series:k_library]
    inv_q6_mid = inv_q6[k_series:k_library]
    out_mid = out[k_series:k_library]
    for k in range(q_mid.shape[0]):
        x = q_mid[k] * radius_nm
        quadrant = np.floor(x * _TWO_OVER_PI + 0.5)
        r = (x - quadrant * _PIO2_HI) - quadrant * _PIO2_LO
        r2 = r * r
        sr = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (
            1.0 / 362880.0 + r2 * (-1.0 / 39916800.0 + r2 * (1.0 / 6227020800.0 + r2 * (-1.0 / 1307674368000.0))))))))
        cr = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (
            -1.0 / 3628800.0 + r2 * (1.0 / 479001600.0 + r2 * (-1.0 / 87178291200.0 + r2 * (1.0 / 20922789888000.0))))))))
        odd = quadrant - 2.0 * np.floor(0.5 * quadrant) != 0.0
        a = cr if odd else sr
        c = -sr if odd else cr
        t = a - x * c
        out_mid[k] = prefactor * t * t * inv_q6_mid[k]
    for k in range(k_library, n):
        out[k] = sphere_vf2(q_nm[k] * radius_nm, volume, prefactor, inv_q6[k])


@numba.njit(**_JIT)
def candidate_sums(model, basis_row, column, w, y_shifted):
    """(S_m, S_mm, S_my) = sums over k of w m, (w m) m and (w m) y' for m = model - basis_row + column.

    Eight partial sums per quantity (lane j takes k = 8 i + j), combined pairwise in a fixed order,
    then the n mod 8 remaining points: the order depends only on n, never on threads or hardware, so
    the result is reproducible bit for bit, and the compiler packs the lanes into vector registers.
    """
    n = column.shape[0]
    n8 = n - n % 8
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = 0.0
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = 0.0
    y0 = y1 = y2 = y3 = y4 = y5 = y6 = y7 = 0.0
    for k in range(0, n8, 8):
        m = model[k] - basis_row[k] + column[k]
        wm = w[k] * m
        m0 += wm
        q0 += wm * m
        y0 += wm * y_shifted[k]
        m = model[k + 1] - basis_row[k + 1] + column[k + 1]
        wm = w[k + 1] * m
        m1 += wm
        q1 += wm * m
        y1 += wm * y_shifted[k + 1]
        m = model[k + 2] - basis_row[k + 2] + column[k + 2]
        wm = w[k + 2] * m
        m2 += wm
        q2 += wm * m
        y2 += wm * y_shifted[k + 2]
        m = model[k + 3] - basis_row[k + 3] + column[k + 3]
        wm = w[k + 3] * m
        m3 += wm
        q3 += wm * m
        y3 += wm * y_shifted[k + 3]
        m = model[k + 4] - basis_row[k + 4] + column[k + 4]
        wm = w[k + 4] * m
        m4 += wm
        q4 += wm * m
        y4 += wm * y_shifted[k + 4]
        m = model[k + 5] - basis_row[k + 5] + column[k + 5]
        wm = w[k + 5] * m
        m5 += wm
        q5 += wm * m
        y5 += wm * y_shifted[k + 5]
        m = model[k + 6] - basis_row[k + 6] + column[k + 6]
        wm = w[k + 6] * m
        m6 += wm
        q6 += wm * m
        y6 += wm * y_shifted[k + 6]
        m = model[k + 7] - basis_row[k + 7] + column[k + 7]
        wm = w[k + 7] * m
        m7 += wm
        q7 += wm * m
        y7 += wm * y_shifted[k + 7]
    sm = ((m0 + m1) + (m2 + m3)) + ((m4 + m5) + (m6 + m7))
    smm = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    smy = ((y0 + y1) + (y2 + y3)) + ((y4 + y5) + (y6 + y7))
    for k in range(n8, n):
        m = model[k] - basis_row[k] + column[k]
        wm = w[k] * m
        sm += wm
        smm += wm * m
        smy += wm * y_shifted[k]
    return sm, smm, smy


@numba.njit(**_JIT)
def scale_background_chi2(sm, smm, smy, sw, swy, syy, bg_mode, bg_value):
    """(s, b, chi2) of the candidate from its sums (see :func:`candidate_chi2`)."""
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
def shifted_data(y, bg_mode, bg_value):
    """y' = y - b for a fixed background b, else y (a copy)."""
    out = np.empty_like(y)
    for k in range(y.shape[0]):
        out[k] = y[k] - bg_value if bg_mode == BG_FIXED else y[k]
    return out


@numba.njit(**_JIT)
def candidate_chi2(q_nm, inv_q6, y, w, model, basis_row, radius_nm, column, sw, swy, syy, bg_mode, bg_value):
    """Fill column = V(R) F(qR)**2 and return (s, b, chi2) for the candidate model - basis_row + column.

    q_nm increasing. Column: :func:`sphere_column_sorted`. Sums S_m = sum w m, S_mm = sum w m**2,
    S_my = sum w m y' of the candidate m (:func:`candidate_sums`); then free background:
    s = (S_my - S_m S_y/S_w) / (S_mm - S_m**2/S_w), b = (S_y - s S_m)/S_w,
    chi2 = S_yy,c - s (S_my - S_m S_y/S_w) (s < 0 -> s = 0, b = ybar, chi2 = S_yy,c);
    fixed background b: s = S_my/S_mm, chi2 = S_yy,b - s S_my (s clipped at 0 likewise).
    """
    sphere_column_sorted(q_nm, inv_q6, radius_nm, column)
    sm, smm, smy = candidate_sums(model, basis_row, column, w, shifted_data(y, bg_mode, bg_value))
    return scale_background_chi2(sm, smm, smy, sw, swy, syy, bg_mode, bg_value)


@numba.njit(**_JIT)
def run_one(q_nm, y, w, radii, state, r_min, r_max, log_radius, chi2_target, mode, extra_steps,
            extra_factor, max_steps, bg_mode, bg_value, basis, model, column):
    """One Monte Carlo repetition, in place.

    q_nm (n_q,) increasing; radii (n_c,) initial radii, replaced by the final ones; state (1,) uint64
    generator state; basis (n_c, n_q) work array: basis[i] = V(R_i) F(q R_i)**2; model (n_q,) =
    sum_i basis[i]; column (n_q,) work array. chi2_target is the total (not reduced) chi-square at
    the convergence criterion. Step t tries contribution i = t mod n_c (each in turn, as McSAS) with a
    radius r drawn from the generator; the candidate model - basis[i] + column(r) is refitted (s, b)
    in closed form (:func:`candidate_chi2`) and kept if chi2 decreases. Returns (scale, background,
    chi2, steps, accepted, crossing_step, stop_code); crossing_step = -1 when chi2 never reached
    chi2_target. The returned (s, b, chi2) are recomputed from the final contributions by the
    two-pass :func:`linear_scale_background` (no running-sum drift).
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
    y_shifted = shifted_data(y, bg_mode, bg_value)
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
        sphere_column_sorted(q_nm, inv_q6, r, column)
        sm, smm, smy = candidate_sums(model, basis[i], column, w, y_shifted)
        s_new, b_new, chi2_new = scale_background_chi2(sm, smm, smy, sw, swy, syy, bg_mode, bg_value)
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
    # Contiguous copies where the caller passed strided views (columns of a table): the step loops
    # vectorise only on unit-stride arrays.
    q_nm = np.ascontiguousarray(q_nm)
    y = np.ascontiguousarray(y)
    w = np.ascontiguousarray(w)
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


@numba.njit(parallel=True, **_JIT)
def observability(q_nm, sigma, radii_nm, factor):
    """out[j] = min_k sigma_k / (factor V(R_j) F(q_k R_j)**2) for a flat array of radii (inf if never > 0)."""
    n = radii_nm.shape[0]
    inv_q6 = inverse_q6(q_nm)
    out = np.empty(n)
    for j in numba.prange(n):
        r = radii_nm[j]
        volume = 4.0 / 3.0 * np.pi * r * r * r
        prefactor = 12.0 * np.pi / (r * r * r)
        best = np.inf
        for k in range(q_nm.shape[0]):
            c = factor * sphere_vf2(q_nm[k] * r, volume, prefactor, inv_q6[k])
            if c > 0.0:
                ratio = sigma[k] / c
                if ratio < best:
                    best = ratio
        out[j] = best
    return out


def kernels_cached() -> bool:
    """Whether numba's on-disk cache already holds the compiled fit kernel for this source.

    True: a fresh process loads it (well under a second). False: the first call compiles every
    kernel, 10-30 s on one core (after an install or an edit of this module); callers say so before
    they start. Reads numba's cache index only; an unexpected numba layout answers True (say nothing).
    """
    try:
        return bool(run_repetitions._cache._cache_file._load_index())
    except Exception:  # noqa: BLE001 - private numba API: never let a hint break a fit
        return True
