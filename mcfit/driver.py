"""The fit driver: validate and prepare, run the repetitions, build histograms, statistics, populations."""

from __future__ import annotations

import time
import warnings

import numpy as np

from . import kernels
from .bound import bound_message, chi2_bound
from .data import FitInputError, FitWarning, prepare, radius_limits
from .histogram import bin_edges, histogram, range_statistics
from .models import NM3_TO_CM3, SLD_UNIT_PER_CM2
from .populations import find_populations
from .quality import MAX_CHI2_REDUCED, MAX_DURBIN_WATSON, assess
from .results import FitResult, FitSettings

#: Further proposals after the first crossing of the convergence criterion, per contribution, in the
#: default stop mode "extra" (see :func:`fit`).
EXTRA_STEPS_PER_CONTRIBUTION = 0
#: ... plus this many times the number of steps it took to cross.
EXTRA_FACTOR = 1.0

STOP_MODES = ("extra", "mcsas")

#: Bound-relative stop: a repetition's chi-square target is ``max(convergence * dof, (1 + BOUND_MARGIN)
#: * chi2_bound)``, with ``chi2_bound`` the NNLS lower bound for spheres (:mod:`mcfit.bound`). Where
#: the bound is below ``convergence / (1 + BOUND_MARGIN)`` nothing changes; where spheres cannot
#: reach the criterion a repetition stops (after its extra steps, in mode "extra") once it is within
#: 5 % of the best any distribution of spheres can do, instead of running to ``max_steps``.
#: Measured on round robin 2 (bound 19.53): 1 % takes ~200 000 steps, 2 % ~95 000, 5 % ~40 000.
BOUND_MARGIN = 0.05
#: ... and in mode "extra" runs at least this many further proposals per contribution after coming
#: within the margin (a curve far from any sphere distribution can start within 5 % of the bound: the
#: walk must still move away from its random start).
BOUND_MIN_EXTRA_PER_CONTRIBUTION = 10


def _positive_int(name, value, minimum=1):
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise FitInputError(name, f"must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _engine(name):
    if name == "numba":
        return kernels.run_repetitions
    if name == "reference":
        from . import reference
        return reference.run_repetitions
    raise FitInputError("engine", f"must be 'numba' or 'reference'; got {name!r}")


def repetition_seeds(seed: int, repetitions: int) -> np.ndarray:
    """One uint64 generator seed per repetition, spawned from ``numpy.random.SeedSequence(seed)``."""
    children = np.random.SeedSequence(seed).spawn(repetitions)
    return np.array([c.generate_state(1, dtype=np.uint64)[0] for c in children], dtype=np.uint64)


def fit(q_nm, intensity, sigma, *, radius_range_nm=None, log_radius: bool = False, contributions: int = 300,
        repetitions: int = 10, seed: int | None = None, convergence: float = 1.0, max_steps: int = 200_000,
        stop: str = "extra", extra_steps: int | None = None, extra_factor: float | None = None, background="fit", q_range_nm=None,
        q_bins: int = 0, min_rel_sigma: float = 0.01, bins: int = 100, bin_scale: str = "log",
        ranges_nm=None, contrast_1e6_per_A2: float | None = None, nan_policy: str = "raise",
        engine: str = "numba", poor_fit_chi2_reduced: float = MAX_CHI2_REDUCED,
        poor_fit_durbin_watson: float = MAX_DURBIN_WATSON, bound_margin: float | None = BOUND_MARGIN) -> FitResult:
    """Fit a size distribution of spheres to a SAXS curve by the Monte Carlo method (McSAS).

    Each repetition holds ``contributions`` spheres, each standing for an equal share of the volume
    fraction, so the model is ``I(q) = s * sum_i V(R_i) F(q R_i)**2 + b``. A step replaces one random
    contribution by a random radius and keeps the change if chi-square decreases; ``s >= 0`` and
    ``b`` are refitted in closed form (weighted linear least squares) at every step.

    Parameters
    ----------
    q_nm, intensity, sigma : array_like, shape (n,)
        The curve: q in 1/nm (strictly increasing), intensity and its uncertainty (> 0), in 1/cm
        for absolute volume fractions.
    radius_range_nm : (float, float), optional
        Radius range of the contributions, nm; default ``pi/q_max .. pi/q_min`` of the whole curve
        (before ``q_range_nm`` clips it: a q range does not move the default radius range).
    log_radius : bool
        Draw radii log-uniformly instead of uniformly.
    contributions, repetitions : int
        Contributions per repetition; independent repetitions (run in parallel).
    seed : int, optional
        Master seed (recorded); ``None`` draws one from the operating system.
    convergence : float
        Reduced chi-square criterion.
    max_steps : int
        Maximum number of proposals per repetition.
    stop : {"extra", "mcsas"}
        ``"mcsas"``: stop the moment reduced chi-square <= ``convergence`` (McSAS; biases narrow
        small populations low by a few per cent because the walk stops before it settles).
        ``"extra"`` (default): after the crossing at step c, run ``extra_steps + extra_factor * c``
        further proposals (default: as many again). On a 0.9 nm cluster population measured to
        q = 6 1/nm this takes the volume-weighted mean from 1.3 % low to 0.3 % low.
    extra_steps : int, optional
        Fixed further proposals in mode "extra"; default ``EXTRA_STEPS_PER_CONTRIBUTION * contributions`` (0).
    extra_factor : float, optional
        Further proposals per step taken to reach the criterion; default ``EXTRA_FACTOR`` (1).
    background : "fit" or float
        Fit a flat background, or hold it at the given value.
    q_range_nm : (float, float), optional
        Clip the data to this q range (1/nm).
    q_bins : int
        Logarithmic re-binning of the data to this many bins (0: none).
    min_rel_sigma : float
        Minimum relative uncertainty (default 1 %): the fit runs against
        ``max(sigma, min_rel_sigma * |I|)``; the result reports chi-square against both that and the
        data's own sigma (``result.quality``).
    bins : int
        Number of histogram bins.
    bin_scale : {"log", "linear"}
        Histogram bin spacing.
    ranges_nm : sequence of (float, float), optional
        Radius ranges for the statistics; default one range over the whole radius range.
    contrast_1e6_per_A2 : float, optional
        Scattering length density contrast; with data in 1/cm it makes volume fractions absolute.
    nan_policy : {"raise", "omit"}
        Refuse non-finite data points (default) or drop them with a warning.
    engine : {"numba", "reference"}
        The numba kernels, or their plain NumPy twins (slow; for tests).
    poor_fit_chi2_reduced, poor_fit_durbin_watson : float
        Thresholds of the poor-fit rule (:mod:`mcfit.quality`): a poor fit has reduced chi-square
        against the data's own sigma above the first (default 3) and residuals whose Durbin-Watson
        statistic is below the second (default 1). A poor fit that missed its own criterion, or a
        dominant population at the edge of the radius range, withholds the populations
        (``result.reported_populations`` is empty; ``result.quality.populations_withheld`` says why).
    bound_margin : float or None
        Bound-relative stop (default :data:`BOUND_MARGIN`, 5 %): every fit computes the NNLS lower bound
        of chi-square for spheres on its points and radius range (``result.bound``, :mod:`mcfit.bound`),
        and each repetition's target is ``max(convergence, (1 + bound_margin) * bound)`` in reduced
        chi-square. When the bound is above ``convergence`` the result says so
        (``result.bound_message``). None: the bound is computed and reported but the target stays
        ``convergence``.

    Returns
    -------
    FitResult

    Raises
    ------
    FitInputError
        Bad input or settings (the message names the parameter).

    Examples
    --------
    >>> import numpy as np
    >>> from mcfit.models import sphere_intensity_1cm
    >>> q = np.geomspace(0.1, 3.0, 60)
    >>> i = sphere_intensity_1cm(q, 5.0, 1e-3, 10.0)
    >>> result = fit(q, i, 0.01 * i, contributions=50, repetitions=2, seed=1, max_steps=20_000)
    >>> abs(result.populations[0].mean_nm / 5.0 - 1) < 0.03
    True
    """
    t0 = time.perf_counter()
    contributions = _positive_int("contributions", contributions)
    repetitions = _positive_int("repetitions", repetitions)
    max_steps = _positive_int("max_steps", max_steps, 0)
    bins = _positive_int("bins", bins)
    if stop not in STOP_MODES:
        raise FitInputError("stop", f"must be one of {STOP_MODES}; got {stop!r}")
    if extra_steps is None:
        extra_steps = EXTRA_STEPS_PER_CONTRIBUTION * contributions
    extra_steps = _positive_int("extra_steps", extra_steps, 0)
    if extra_factor is None:
        extra_factor = EXTRA_FACTOR
    if not (np.isfinite(extra_factor) and extra_factor >= 0):
        raise FitInputError("extra_factor", f"must be a number >= 0; got {extra_factor!r}")
    if not (np.isfinite(convergence) and convergence > 0):
        raise FitInputError("convergence", f"must be a number > 0; got {convergence!r}")
    if bin_scale not in ("log", "linear"):
        raise FitInputError("bin_scale", f"must be 'log' or 'linear'; got {bin_scale!r}")
    if isinstance(background, str):
        if background != "fit":
            raise FitInputError("background", f"must be 'fit' or a number; got {background!r}")
        bg_mode, bg_value = kernels.BG_FIT, 0.0
    else:
        bg_value = float(background)
        if not np.isfinite(bg_value):
            raise FitInputError("background", f"must be 'fit' or a finite number; got {background!r}")
        bg_mode = kernels.BG_FIXED
    if contrast_1e6_per_A2 is not None:
        contrast_1e6_per_A2 = float(contrast_1e6_per_A2)
        if not (np.isfinite(contrast_1e6_per_A2) and contrast_1e6_per_A2 != 0):
            raise FitInputError("contrast_1e6_per_A2", f"must be a finite non-zero number; got {contrast_1e6_per_A2!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    elif isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise FitInputError("seed", f"must be an integer >= 0; got {seed!r}")
    seed = int(seed)
    for name, value in (("poor_fit_chi2_reduced", poor_fit_chi2_reduced),
                        ("poor_fit_durbin_watson", poor_fit_durbin_watson)):
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            raise FitInputError(name, f"must be a number > 0; got {value!r}")
    if bound_margin is not None and not (isinstance(bound_margin, (int, float)) and not isinstance(bound_margin, bool)
                                         and np.isfinite(bound_margin) and bound_margin >= 0):
        raise FitInputError("bound_margin", f"must be a number >= 0 or None; got {bound_margin!r}")
    run = _engine(engine)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        data = prepare(q_nm, intensity, sigma, q_range_nm=q_range_nm, q_bins=q_bins, min_rel_sigma=min_rel_sigma,
                       nan_policy=nan_policy)
        r_min, r_max = radius_limits(data.q_nm, radius_range_nm, q_span_nm=data.q_span_nm)
        if ranges_nm is None:
            ranges = ((r_min, r_max),)
        else:
            ranges = tuple((float(lo), float(hi)) for lo, hi in ranges_nm)
            for lo, hi in ranges:
                if not hi > lo:
                    raise FitInputError("ranges_nm", f"each range must be (min, max) with max > min; got ({lo}, {hi})")
        n_linear = 2 if bg_mode == kernels.BG_FIT else 1
        dof = data.q_nm.size - n_linear
        weight = 1.0 / data.sigma**2
        seeds = repetition_seeds(seed, repetitions)
        mode = kernels.MODE_MCSAS if stop == "mcsas" else kernels.MODE_EXTRA
        bound = chi2_bound(data.q_nm, data.intensity, data.sigma, (r_min, r_max), background=background,
                           n_linear=n_linear)
        target = convergence * dof
        if bound_margin is not None:
            target = max(target, (1.0 + float(bound_margin)) * bound.chi2)
        run_extra = extra_steps
        if target > convergence * dof:
            run_extra = max(extra_steps, BOUND_MIN_EXTRA_PER_CONTRIBUTION * contributions)
        radii, models, records = run(data.q_nm, data.intensity, weight, seeds, contributions, r_min, r_max,
                                     bool(log_radius), target, mode, run_extra, float(extra_factor), max_steps,
                                     bg_mode, bg_value)
        scale, bg, chi2 = records[:, 0], records[:, 1], records[:, 2]
        stop_code = records[:, 6].astype(np.int64)
        # Met the criterion (the extra steps may have been cut short); with a bound-relative target the
        # crossing says "within the margin of the bound", so the criterion is checked on the final chi2.
        converged = records[:, 5] >= 0 if target == convergence * dof else chi2 <= convergence * dof
        if bound.chi2_reduced > convergence:
            warnings.warn(bound_message(bound.chi2_reduced, convergence), FitWarning, stacklevel=2)
        n_cut = int(np.count_nonzero(stop_code == kernels.STOP_EXTRA_CUT))
        if n_cut:
            warnings.warn(f"{n_cut} of {repetitions} repetitions met the criterion but reached max_steps "
                          f"({max_steps}) before their extra steps were done; raise `max_steps` or use "
                          "log_radius=True for wide radius ranges", FitWarning, stacklevel=2)
        missed = records[:, 5] < 0
        if missed.any():
            goal = (f"reduced chi2 <= {convergence:g}" if target == convergence * dof else
                    f"reduced chi2 <= {target / dof:.4g} ({1 + float(bound_margin):g} x the bound for spheres)")
            warnings.warn(f"{np.count_nonzero(missed)} of {repetitions} repetitions did not reach {goal} "
                          f"within {max_steps} steps (best {np.min(chi2) / dof:.4g}); "
                          "their histograms are still reported", FitWarning, stacklevel=2)
        if contrast_1e6_per_A2 is None:
            factor, unit = 1.0, "relative"
        else:
            factor, unit = (contrast_1e6_per_A2 * SLD_UNIT_PER_CM2) ** 2 * NM3_TO_CM3, "absolute"
        phi = scale / factor
        curves = scale[:, None] * models + bg[:, None]
        edges = bin_edges((r_min, r_max), bins, bin_scale)
        hist = histogram(radii, phi, edges, bin_scale, data.q_nm, data.sigma, factor)
        stats = tuple(range_statistics(radii, phi, rng) for rng in ranges)
        for lo, hi in ranges:
            _warn_empty_range(radii, phi, lo, hi, r_min, r_max)
        pops = find_populations(hist, radii, phi)
    for w in caught:
        if not issubclass(w.category, FitWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for w in caught:
        if issubclass(w.category, FitWarning):
            warnings.warn(str(w.message), FitWarning, stacklevel=2)
    settings = FitSettings(
        contributions=contributions, repetitions=repetitions, seed=seed, convergence=float(convergence),
        max_steps=max_steps, stop=stop, extra_steps=extra_steps, extra_factor=float(extra_factor),
        radius_range_nm=None if radius_range_nm is None else tuple(float(v) for v in radius_range_nm),
        log_radius=bool(log_radius), background=background if isinstance(background, str) else bg_value,
        q_range_nm=None if q_range_nm is None else tuple(float(v) for v in q_range_nm), q_bins=int(q_bins),
        min_rel_sigma=float(min_rel_sigma), bins=bins, bin_scale=bin_scale,
        ranges_nm=None if ranges_nm is None else ranges, contrast_1e6_per_A2=contrast_1e6_per_A2, nan_policy=nan_policy,
        engine=engine, poor_fit_chi2_reduced=float(poor_fit_chi2_reduced),
        poor_fit_durbin_watson=float(poor_fit_durbin_watson),
        bound_margin=None if bound_margin is None else float(bound_margin))
    mean_curve = curves.mean(axis=0)
    quality = assess(data.intensity, mean_curve, data.sigma, data.sigma_data, n_linear=n_linear,
                     min_rel_sigma=float(min_rel_sigma), convergence=float(convergence), populations=pops,
                     bin_edges_nm=hist.edges_nm, max_chi2_reduced=float(poor_fit_chi2_reduced),
                     max_durbin_watson=float(poor_fit_durbin_watson))
    arrays = dict(
        fit_intensity=mean_curve,
        fit_intensity_std=curves.std(axis=0, ddof=1) if repetitions > 1 else np.zeros(data.q_nm.size),
        radii_nm=radii, scale=scale.copy(), background=bg.copy(), chi2_reduced_per_repetition=chi2 / dof,
        steps=records[:, 3].astype(np.int64), accepted=records[:, 4].astype(np.int64),
        crossing_step=records[:, 5].astype(np.int64), converged=converged, stop_code=stop_code, volume_fraction_per_contribution=phi,
    )
    for a in arrays.values():
        a.setflags(write=False)
    return FitResult(
        settings=settings, q_nm=data.q_nm, intensity=data.intensity, sigma=data.sigma, n_input=data.n_input,
        radius_range_nm=(r_min, r_max), volume_fraction_unit=unit, histogram=hist, ranges=stats,
        populations=pops, chi2_reduced=float(np.mean(chi2 / dof)), elapsed_s=time.perf_counter() - t0,
        warnings=tuple(str(w.message) for w in caught if issubclass(w.category, FitWarning)),
        sigma_data=data.sigma_data, quality=quality, bound=bound, **arrays)



def _warn_empty_range(radii, phi, lo, hi, r_min, r_max):
    """A statistics range that holds no volume gets a FitWarning instead of a bare NaN (null in JSON)."""
    if hi <= r_min or lo >= r_max:
        warnings.warn(f"range ({lo:g}, {hi:g}) nm lies outside the radius range of the contributions "
                      f"({r_min:.4g} to {r_max:.4g} nm): it holds no volume and its means are undefined",
                      FitWarning, stacklevel=3)
        return
    holds = np.any((radii >= lo) & (radii < hi) & (phi[:, None] > 0), axis=1)
    if not holds.any():
        warnings.warn(f"range ({lo:g}, {hi:g}) nm holds no volume in any of the {radii.shape[0]} repetitions "
                      "(volume fraction 0): its means are undefined", FitWarning, stacklevel=3)
    elif not holds.all():
        warnings.warn(f"range ({lo:g}, {hi:g}) nm holds volume in {np.count_nonzero(holds)} of {radii.shape[0]} "
                      "repetitions only: its means and their spread are over those", FitWarning, stacklevel=3)
