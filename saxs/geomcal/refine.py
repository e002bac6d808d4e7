"""Refine distance, beam centre and tilts from calibrant control points (pyFAI GeometryRefinement).

Pipeline (:func:`calibrate_geometry`): rough geometry (options over header) -> coarse search of
centre and distance (:func:`saxs.geomcal.rings.coarse_search`) -> control points along the
predicted rings -> ``GeometryRefinement.refine3`` with the tilts fixed, then free -> points picked
again with the refined geometry, outliers dropped, refined again -> quality checks.

Uncertainties come from the Jacobian of the 2 theta residuals at the solution,
``cov = s^2 (J^T J)^-1`` with ``s^2`` the residual variance; they are propagated to the Fit2D
quantities with a numerical Jacobian of pyFAI's ``getFit2D``. Points along one ring are not
independent (a ring's width or a texture shifts many of them together), so these are lower bounds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ..errors import InputError
from .reader import CalibrantFrame, RoughGeometry
from .rings import ControlPoints, coarse_search, extract_control_points

logger = logging.getLogger(__name__)

#: Refined parameters, in pyFAI's order and units (m, m, m, rad, rad).
FREE_PARAMS = ("dist", "poni1", "poni2", "rot1", "rot2")


@dataclass(frozen=True)
class QualityLimits:
    """Limits a calibration must meet; failing one is an error, nearing one a warning.

    Attributes
    ----------
    min_rings : int
        Fewest rings with control points.
    min_points : int
        Fewest control points in all.
    max_residual_px : float
        Largest RMS distance of the points from their fitted rings, pixels. Good ring picking
        gives 0.1-0.3 px; above 1 px rings are misassigned or the frame is not the calibrant.
    max_ring_q_deviation : float
        Largest relative deviation of one ring's median q from the calibrant's, after the fit
        (0.003 = 0.3 %): catches a ring set that fits on average but with the wrong spacing ratio.
    warn_distance_change : float
        Relative change of the distance from the starting value above which a warning says to
        check the wavelength and the starting distance (in SAXS both scale 2 theta alike).
    """

    min_rings: int = 3
    min_points: int = 30
    max_residual_px: float = 1.0
    max_ring_q_deviation: float = 0.003
    warn_distance_change: float = 0.10


@dataclass(frozen=True)
class GeometryCalibration:
    """A refined detector geometry and how well it fits.

    Attributes
    ----------
    poni : mapping
        pyFAI parameters: dist, poni1, poni2 (m), rot1, rot2, rot3 (rad), wavelength (m).
    poni_sigma : mapping
        One-sigma uncertainties of the refined pyFAI parameters (fixed ones are 0).
    distance_mm, center_x_px, center_y_px : float
        Fit2D-style: sample to beam-centre distance and where the direct beam meets the
        detector (pixels of the stored frame, first pixel centre 0.5).
    tilt_deg, tilt_plane_rotation_deg : float
        Fit2D tilt and tilt-plane rotation.
    distance_sigma_mm, center_x_sigma_px, center_y_sigma_px, tilt_sigma_deg : float
        One-sigma uncertainties propagated from the fit.
    pixel_x_um, pixel_y_um, wavelength_nm : float
        Fixed inputs.
    detector : str
        pyFAI detector name (or "Detector" for a generic one).
    calibrant : str
        Calibrant name.
    rings_used : tuple of int
        Calibrant ring indices (0 = first) with control points in the final fit.
    points_per_ring : mapping
        Ring index -> number of points.
    ring_q_ratio : mapping
        Ring index -> median q of its points / calibrant q, after the fit.
    n_points : int
        Control points in the final fit.
    residual_px : float
        RMS distance of the points from their fitted rings, pixels.
    residual_tth_rad : float
        RMS 2 theta residual, rad.
    start : RoughGeometry
        The starting geometry (options over header).
    coarse : mapping
        Result of the coarse search (centre, distance, score, rings seen).
    control_points : ControlPoints
        The points of the final fit.
    warnings : tuple of str
        Things a user should look at (the PONI was still written).
    notes : tuple of str
        Decisions taken on the way (e.g. tilts kept at 0).
    tilt_refined : bool
        Whether rot1 and rot2 were refined.
    """

    poni: Mapping[str, float]
    poni_sigma: Mapping[str, float]
    distance_mm: float
    center_x_px: float
    center_y_px: float
    tilt_deg: float
    tilt_plane_rotation_deg: float
    distance_sigma_mm: float
    center_x_sigma_px: float
    center_y_sigma_px: float
    tilt_sigma_deg: float
    pixel_x_um: float
    pixel_y_um: float
    wavelength_nm: float
    detector: str
    calibrant: str
    rings_used: tuple
    points_per_ring: Mapping[int, int]
    ring_q_ratio: Mapping[int, float]
    n_points: int
    residual_px: float
    residual_tth_rad: float
    start: RoughGeometry
    coarse: Mapping[str, object]
    control_points: ControlPoints
    warnings: tuple = field(default=())
    notes: tuple = field(default=())
    tilt_refined: bool = False

    def __post_init__(self):
        for name in ("poni", "poni_sigma", "points_per_ring", "ring_q_ratio", "coarse"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    @property
    def tilt_plan_rotation_deg(self) -> float:
        """The old, misspelled name of :attr:`tilt_plane_rotation_deg` (kept for code written against it)."""
        return self.tilt_plane_rotation_deg

    @property
    def rotations_rad(self) -> tuple:
        """pyFAI rotations (rot1, rot2, rot3), rad."""
        return (self.poni["rot1"], self.poni["rot2"], self.poni["rot3"])

    def integrator(self, detector=None):
        """A pyFAI ``AzimuthalIntegrator`` with this geometry (``detector`` overrides the stored one)."""
        return make_integrator(self.poni, detector if detector is not None else self._detector_object())

    def _detector_object(self):
        return make_detector(self.detector, self.pixel_x_um, self.pixel_y_um, None)


def make_detector(name, pixel_x_um, pixel_y_um, shape):
    """A pyFAI detector: the named one, or a generic one with the given pixel size and shape."""
    import pyFAI.detectors

    if name and name != "Detector":
        try:
            return pyFAI.detector_factory(name)
        except Exception as exc:
            raise InputError(None, "--detector", "a pyFAI detector name (e.g. Pilatus100k, Eiger2_4M)",
                             got=name) from exc
    return pyFAI.detectors.Detector(pixel1=pixel_y_um * 1e-6, pixel2=pixel_x_um * 1e-6, max_shape=shape)


def make_integrator(poni: Mapping[str, float], detector):
    """``AzimuthalIntegrator`` from pyFAI parameters (m, rad) and a detector."""
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    return AzimuthalIntegrator(dist=poni["dist"], poni1=poni["poni1"], poni2=poni["poni2"], rot1=poni["rot1"],
                               rot2=poni["rot2"], rot3=poni["rot3"], detector=detector,
                               wavelength=poni["wavelength"])


def _fit2d_of(params, detector, wavelength_m):
    """Fit2D (distance mm, centre x px, centre y px, tilt deg, tilt-plane rotation deg) of parameters."""
    values = dict(zip(FREE_PARAMS, params))
    ai = make_integrator({**values, "rot3": 0.0, "wavelength": wavelength_m}, detector)
    f2d = ai.getFit2D()
    return np.array([f2d["directDist"], f2d["centerX"], f2d["centerY"], f2d["tilt"], f2d["tiltPlanRotation"]])


def _residuals(gr, params, points: ControlPoints):
    """2 theta residuals (rad) of the points for the given free parameters."""
    param6 = list(params) + [0.0]
    return gr.tth(points.row, points.col, param6) - gr.calc_2th(points.ring, gr.wavelength)


def _jacobian(gr, params, points, free_index):
    steps = {"dist": 1e-6, "poni1": 1e-7, "poni2": 1e-7, "rot1": 1e-6, "rot2": 1e-6}
    columns = []
    for i in free_index:
        step = steps[FREE_PARAMS[i]]
        up, down = np.array(params, float), np.array(params, float)
        up[i] += step
        down[i] -= step
        columns.append((_residuals(gr, up, points) - _residuals(gr, down, points)) / (2 * step))
    return np.column_stack(columns)


def _refine(gr, points: ControlPoints, *, fit_tilt: bool, params=None):
    """Refine the geometry on the points. Returns params (5,): dist, poni1, poni2, rot1, rot2.

    Without a start ``params``, ``GeometryRefinement.refine3`` (SLSQP on the summed squared
    2 theta residuals, tilts fixed) gives one from the refinement object's state. SLSQP stops
    short of the minimum when the parameters are strongly correlated (tilts against centre and
    distance with arcs only: residuals 3x those at the true geometry on simulated frames), so a Gauss-Newton polish (``scipy.optimize.least_squares`` on the same
    pyFAI residuals, ``GeometryRefinement.tth`` with explicit parameters, scaled to their
    natural sizes) finishes the job. Parameters are passed explicitly rather than set on the
    object: every pyFAI geometry setter runs the garbage collector (~0.1 s each).
    """
    from scipy.optimize import least_squares

    if params is None:
        gr.data = points.as_pyfai()
        gr.refine3(fix=["wavelength", "rot1", "rot2", "rot3"])
        params = np.array([gr.dist, gr.poni1, gr.poni2, gr.rot1, gr.rot2])
    params = np.array(params, dtype=float)
    free = [0, 1, 2, 3, 4] if fit_tilt else [0, 1, 2]
    scale = np.array([1e-2, 1e-3, 1e-3, 1e-2, 1e-2])[free]
    lower = np.array([1e-3, -np.inf, -np.inf, -0.35, -0.35])[free]
    upper = np.array([np.inf, np.inf, np.inf, 0.35, 0.35])[free]

    def residuals(values):
        trial = params.copy()
        trial[free] = values
        return _residuals(gr, trial, points)

    start = np.clip(params[free], lower + 1e-12, upper - 1e-12)
    fit = least_squares(residuals, start, x_scale=scale, bounds=(lower, upper), method="trf",
                        xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=200)
    if fit.cost * 2 <= float(residuals(params[free]) @ residuals(params[free])):
        params[free] = fit.x
    return params


def _drop_outliers(gr, params, points, *, n_sigma=4.0, min_points=6):
    """Remove points further than n_sigma robust sigmas from their ring, then thin rings."""
    res = _residuals(gr, params, points)
    scale = 1.4826 * np.median(np.abs(res - np.median(res)))
    keep = np.abs(res - np.median(res)) <= n_sigma * max(scale, 1e-9)
    points = points.select(keep)
    counts = {ring: int((points.ring == ring).sum()) for ring in np.unique(points.ring)}
    return points.select(np.isin(points.ring, [r for r, n in counts.items() if n >= min_points]))


def _drop_inconsistent_rings(gr, params, points, *, max_shift):
    """Drop rings whose median residual is off by more than ``max_shift`` (rad) - e.g. a ring of
    another phase lying close to a calibrant ring - one at a time, worst first."""
    res = _residuals(gr, params, points)
    rings = np.unique(points.ring)
    medians = np.array([np.median(res[points.ring == r]) for r in rings])
    worst = int(np.argmax(np.abs(medians)))
    if rings.size > 3 and abs(medians[worst]) > max_shift:
        return points.select(points.ring != rings[worst]), True
    return points, False


def _ring_statistics(gr, params, points, pixel_um):
    """RMS residual in pixels and in 2 theta (rad), and per ring the median q_observed / q_calibrant.

    A point's distance from its ring is its 2 theta residual times dr/d(2 theta) = D / cos^2(2 theta).
    """
    res = _residuals(gr, params, points)
    tth_ring = gr.calc_2th(points.ring, gr.wavelength)
    dr_dtth_px = params[0] * 1e6 / np.cos(tth_ring) ** 2 / pixel_um
    ratios = {}
    for ring in np.unique(points.ring):
        sel = points.ring == ring
        ratios[int(ring)] = float(np.median(np.sin((tth_ring[sel] + res[sel]) / 2) / np.sin(tth_ring[sel] / 2)))
    return float(np.sqrt(np.mean((res * dr_dtth_px) ** 2))), float(np.sqrt(np.mean(res ** 2))), ratios


def _uncertainties(gr, params, points, free_index, detector, wavelength_m):
    """One-sigma errors of the pyFAI parameters and the Fit2D values, from the fit's Jacobian.

    Returns sigma (5,) of dist, poni1, poni2, rot1, rot2 (0 where fixed), the Fit2D values (5,) and
    their sigmas (5,): distance mm, centre x px, centre y px, tilt deg, tilt-plane rotation deg.
    """
    res = _residuals(gr, params, points)
    jac = _jacobian(gr, params, points, free_index)
    s2 = float(res @ res) / max(len(points) - len(free_index), 1)
    try:
        cov_free = s2 * np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        cov_free = np.full((len(free_index),) * 2, np.nan)
    cov = np.zeros((5, 5))
    cov[np.ix_(free_index, free_index)] = cov_free
    sigma = np.sqrt(np.clip(np.diag(cov), 0, None))
    f2d_values = _fit2d_of(params, detector, wavelength_m)
    jf = np.zeros((5, 5))
    for i in free_index:
        step = 1e-7 if i in (1, 2) else 1e-6
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        jf[:, i] = (_fit2d_of(up, detector, wavelength_m) - _fit2d_of(down, detector, wavelength_m)) / (2 * step)
    f2d_sigma = np.sqrt(np.clip(np.diag(jf @ cov @ jf.T), 0, None))
    return sigma, f2d_values, f2d_sigma


def _check_ring_pattern(path, points, dspacing, calibrant, wavelength_nm, *, min_fraction=0.6):
    """Fail when the rings found skip calibrant rings in a pattern that means a wrong scale.

    With a wavelength (or distance) off by a factor k, a lamellar calibrant's rings still fall on
    predicted rings - every k-th order - and fit perfectly; only the missing orders in between
    tell. So: for harmonic d-spacings (d_n = d_1 / n) the found orders must not share a common
    divisor - counted on points, so that one stray ring (8 points on noise) cannot hide the pattern:
    no divisor k in 2..5 may hold 85 % of the points - and for any calibrant most rings between
    the first and the last found must be found.
    """
    rings_found = np.unique(points.ring)
    orders = rings_found + 1
    span = int(rings_found.max() - rings_found.min() + 1)
    n = min(dspacing.size, 8)
    harmonic = n >= 3 and np.allclose(dspacing[:n] * np.arange(1, n + 1), dspacing[0], rtol=1e-3)
    point_orders = points.ring + 1
    divisor = next((k for k in range(2, 6) if np.mean(point_orders % k == 0) >= 0.85), 1)
    if harmonic and divisor > 1:
        raise InputError(path, "calibrant rings", f"consecutive {calibrant} orders",
                         got=f"mostly multiples of {divisor} (orders {', '.join(map(str, orders))}): the "
                         f"wavelength ({wavelength_nm:g} nm) or the distance is off by a factor {divisor}")
    if rings_found.size / span < min_fraction:
        raise InputError(path, "calibrant rings", f"most {calibrant} rings between the first and last found",
                         got=f"{rings_found.size} of {span}: wrong calibrant, wavelength or distance")


def calibrate_geometry(frame: CalibrantFrame, *, calibrant: str = "AgBh", wavelength_nm: float,
                       distance_mm: float | None = None, center_px=None, pixel_um: float | None = None,
                       detector: str | None = None, search_px: float = 20.0, tilt: str = "auto",
                       max_rings: int | None = None, limits: QualityLimits = QualityLimits()) -> GeometryCalibration:
    """Calibrate the detector geometry from a calibrant frame.

    Parameters
    ----------
    frame : CalibrantFrame
        From :func:`saxs.geomcal.reader.read_calibrant_frame`.
    calibrant : str
        pyFAI calibrant name (``AgBh``, ``LaB6``, ...).
    wavelength_nm : float
        Wavelength, nm (fixed in the fit).
    distance_mm, center_px, pixel_um : optional
        Starting distance (mm), beam centre ``(x, y)`` in Fit2D pixels, pixel size (um); each
        overrides the header's value.
    detector : str, optional
        pyFAI detector name; its pixel size is used when neither option nor header gives one.
    search_px : float
        Half-width of the square of beam centres searched around the start, pixels.
    tilt : {"auto", "fit", "fix"}
        Refine rot1 and rot2 (rot3 is degenerate for rings and stays 0): ``fix`` keeps them 0,
        ``fit`` always refines them, ``auto`` keeps them only when they lower the RMS residual
        by at least 20 % and every ring still sits at its calibrant q.
    max_rings : int, optional
        Use at most the first ``max_rings`` calibrant rings.
    limits : QualityLimits
        When to fail or warn.

    Returns
    -------
    GeometryCalibration

    Raises
    ------
    InputError
        No usable start, no rings found, the best match on the edge of the search, or a fit
        that fails the quality limits.
    """
    from pyFAI.calibrant import get_calibrant
    from pyFAI.geometryRefinement import GeometryRefinement

    path = frame.path
    if not (isinstance(wavelength_nm, (int, float)) and 1e-4 < wavelength_nm < 10):
        raise InputError(None, "--wavelength-nm", "a wavelength between 1e-4 and 10 nm", got=wavelength_nm)
    options = RoughGeometry(
        distance_mm=distance_mm,
        center_x_px=None if center_px is None else float(center_px[0]),
        center_y_px=None if center_px is None else float(center_px[1]),
        pixel_x_um=pixel_um, pixel_y_um=pixel_um, wavelength_nm=wavelength_nm,
        source={"wavelength_nm": "option"},
    )
    start = frame.header_geometry.merged(options)
    warnings = []
    notes = []
    if tilt not in ("auto", "fit", "fix"):
        raise InputError(None, "--tilt", "auto, fit or fix", got=tilt)
    header_wl = frame.header_geometry.wavelength_nm
    if header_wl is not None and abs(header_wl / wavelength_nm - 1) > 0.01:
        warnings.append(f"--wavelength-nm {wavelength_nm:g} differs from the header's {header_wl:.6g} nm")

    shape = frame.image.shape
    det = None
    if detector:
        det = make_detector(detector, None, None, None)
        if tuple(det.shape) != tuple(shape):
            raise InputError(path, "--detector", f"a detector of shape {shape}", got=f"{detector} {det.shape}")
        if start.pixel_x_um is None:
            start = start.merged(RoughGeometry(pixel_x_um=det.pixel2 * 1e6, pixel_y_um=det.pixel1 * 1e6,
                                               source={"pixel_x_um": "detector", "pixel_y_um": "detector"}))
    if start.pixel_x_um is None or start.pixel_y_um is None:
        raise InputError(path, "--pixel-um", "a pixel size (option, header PSize_1/PSize_2 or --detector)")
    if start.distance_mm is None:
        raise InputError(path, "--distance-mm", "a starting distance (option or header SampleDistance)")
    if not start.distance_mm > 0:
        raise InputError(path, "--distance-mm", "a positive distance", got=start.distance_mm)
    ny, nx = shape
    center_x = start.center_x_px if start.center_x_px is not None else nx / 2
    center_y = start.center_y_px if start.center_y_px is not None else ny / 2
    if start.center_x_px is None or start.center_y_px is None:
        # No centre anywhere: search the whole detector (coarser grid).
        search_px = max(search_px, 0.75 * max(nx, ny))  # the beam may be off the detector
        warnings.append("no beam centre in options or header: searched the whole detector")
    detector_name = detector if detector else "Detector"
    if det is None:
        det = make_detector(None, start.pixel_x_um, start.pixel_y_um, shape)
    elif abs(det.pixel1 * 1e6 - start.pixel_y_um) > 1e-3 or abs(det.pixel2 * 1e6 - start.pixel_x_um) > 1e-3:
        # The stored (possibly binned) pixel size wins over the detector's.
        det = make_detector(None, start.pixel_x_um, start.pixel_y_um, shape)
        detector_name = "Detector"
        notes.append(f"pixel size {start.pixel_x_um:g} um from {start.source.get('pixel_x_um')} overrides {detector}")
    pixel_x_mm, pixel_y_mm = start.pixel_x_um * 1e-3, start.pixel_y_um * 1e-3
    mask = np.asarray(frame.mask)
    if getattr(det, "mask", None) is not None and np.shape(det.mask) == shape:
        mask = mask | det.mask.astype(bool)

    cal = get_calibrant(calibrant)
    wavelength_m = wavelength_nm * 1e-9
    cal.wavelength = wavelength_m
    tth_all = np.array([t for t in cal.get_2th() if t is not None and np.isfinite(t)], dtype=float)
    if max_rings is not None:
        tth_all = tth_all[:max_rings]
    if tth_all.size == 0:
        raise InputError(None, "--calibrant", f"a calibrant with rings at {wavelength_nm} nm", got=calibrant)

    step = 2.0 if search_px <= 40 else min(8.0, search_px / 20)
    coarse = coarse_search(frame.image, mask, tth_rad=tth_all, center_x_px=center_x, center_y_px=center_y,
                           distance_mm=start.distance_mm, pixel_x_mm=pixel_x_mm, pixel_y_mm=pixel_y_mm,
                           search_px=search_px, step_px=step)
    logger.info("coarse search: %s", coarse)
    if coarse.rings_seen < limits.min_rings:
        raise InputError(path, "calibrant rings", f"at least {limits.min_rings} {calibrant} rings near the "
                         f"starting geometry (distance {start.distance_mm:.1f} mm, centre "
                         f"{center_x:.1f}, {center_y:.1f} px, wavelength {wavelength_nm:g} nm)",
                         got=f"{coarse.rings_seen} found; wrong calibrant, wavelength or start, or no rings")
    if coarse.at_edge:
        raise InputError(path, "starting geometry", "the best ring match inside the searched range "
                         f"(centre +-{search_px:g} px, distance 0.7-1.45 x {start.distance_mm:.1f} mm)",
                         got=f"best match on the edge in {', '.join(coarse.at_edge)} (centre "
                         f"{coarse.center_x_px:.1f}, {coarse.center_y_px:.1f} px, distance "
                         f"{coarse.distance_mm:.1f} mm); give a better --distance-mm/--center-px or check "
                         "--wavelength-nm")

    # Initial integrator from the coarse match (no tilt).
    from pyFAI.integrator.azimuthal import AzimuthalIntegrator

    ai = AzimuthalIntegrator(detector=det, wavelength=wavelength_m)
    ai.setFit2D(coarse.distance_mm, coarse.center_x_px, coarse.center_y_px)
    gr = GeometryRefinement(calibrant=cal, detector=det, wavelength=wavelength_m, dist=ai.dist,
                            poni1=ai.poni1, poni2=ai.poni2, rot1=0.0, rot2=0.0, rot3=0.0)
    for name, bound in (("rot1", 0.35), ("rot2", 0.35)):  # 20 degrees: beyond that it is not SAXS
        setattr(gr, f"_{name}_min", -bound)
        setattr(gr, f"_{name}_max", bound)
    ring_ids = np.arange(tth_all.size)

    def run_loop(ai, f2d, with_tilt, first_params):
        """Pick points and refine, three rounds; returns (params, points, integrator, fit2d)."""
        params = first_params
        points = ControlPoints([], [], [])
        for iteration in range(3):
            tth_pixel = ai.center_array(shape, unit="2th_rad", scale=False)
            points = extract_control_points(frame.image, mask, tth_pixel=tth_pixel, tth_rings=tth_all,
                                            ring_ids=ring_ids, center_x_px=f2d["centerX"],
                                            center_y_px=f2d["centerY"], pixel_x_mm=pixel_x_mm,
                                            pixel_y_mm=pixel_y_mm)
            if len(points) < limits.min_points or np.unique(points.ring).size < limits.min_rings:
                break
            tilt_now = with_tilt and iteration > 0
            params = _refine(gr, points, fit_tilt=tilt_now, params=params)
            for _ in range(8):
                points = _drop_outliers(gr, params, points)
                shift = 0.5 * limits.max_ring_q_deviation * float(np.median(gr.calc_2th(points.ring, wavelength_m)))
                points, dropped = _drop_inconsistent_rings(gr, params, points, max_shift=shift)
                if len(points) < limits.min_points:
                    break
                params = _refine(gr, points, fit_tilt=tilt_now, params=params)
                if not dropped:
                    break
            ai = make_integrator({**dict(zip(FREE_PARAMS, params)), "rot3": 0.0, "wavelength": wavelength_m}, det)
            f2d = ai.getFit2D()
        return params, points, ai, f2d

    def quality(params, points):
        """RMS residual (px) and worst ring q deviation of a solution."""
        if len(points) < limits.min_points:
            return np.inf, np.inf
        rms_px, _, ratios = _ring_statistics(gr, params, points, min(start.pixel_x_um, start.pixel_y_um))
        return rms_px, max(abs(v - 1) for v in ratios.values())

    f2d0 = {"centerX": coarse.center_x_px, "centerY": coarse.center_y_px}
    params, points, ai_flat, f2d_flat = run_loop(ai, f2d0, False, None)  # None: start with refine3
    fit_tilt = False
    if tilt in ("auto", "fit") and len(points) >= limits.min_points:
        flat = (params, points)
        flat_quality = quality(params, points)
        params_t, points_t, _, _ = run_loop(ai_flat, f2d_flat, True, params)
        tilt_quality = quality(params_t, points_t)
        # Keep the tilts when asked to, or when they clearly improve the fit without breaking the
        # ring spacing: with arcs on a small detector tilts trade off against distance and centre
        # and a free tilt can chase a stray ring.
        better = (tilt_quality[1] <= limits.max_ring_q_deviation
                  and tilt_quality[0] < 0.8 * flat_quality[0]
                  and len(points_t) >= 0.8 * len(flat[1]))
        if tilt == "fit" or better:
            params, points, fit_tilt = params_t, points_t, True
        else:
            params, points = flat
            notes.append(f"tilts kept at 0: fitting them gave RMS {tilt_quality[0]:.3f} px vs "
                         f"{flat_quality[0]:.3f} px untilted")

    rings_found = np.unique(points.ring)
    if len(points) < limits.min_points or rings_found.size < limits.min_rings:
        raise InputError(path, "calibrant rings", f"at least {limits.min_rings} rings and {limits.min_points} "
                         "control points", got=f"{rings_found.size} rings, {len(points)} points")
    _check_ring_pattern(path, points, np.asarray(cal.dspacing, dtype=float), calibrant, wavelength_nm)

    free_index = [0, 1, 2, 3, 4] if fit_tilt else [0, 1, 2]
    sigma, f2d_values, f2d_sigma = _uncertainties(gr, params, points, free_index, det, wavelength_m)
    residual_px, residual_tth, q_ratio = _ring_statistics(gr, params, points, min(start.pixel_x_um, start.pixel_y_um))
    worst_q = max(abs(v - 1) for v in q_ratio.values())

    if residual_px > limits.max_residual_px:
        raise InputError(path, "calibration residual", f"an RMS ring residual below {limits.max_residual_px} px",
                         got=f"{residual_px:.2f} px over {len(points)} points; the rings do not fit "
                         f"{calibrant} at {wavelength_nm:g} nm")
    if worst_q > limits.max_ring_q_deviation:
        raise InputError(path, "ring q ratios", f"every ring within {100 * limits.max_ring_q_deviation:.2g} % "
                         f"of its {calibrant} q after the fit", got=f"{100 * worst_q:.2f} %")
    if residual_px > 0.5 * limits.max_residual_px:
        warnings.append(f"RMS residual {residual_px:.2f} px is high")
    change = f2d_values[0] / start.distance_mm - 1
    if abs(change) > limits.warn_distance_change:
        warnings.append(f"refined distance {f2d_values[0]:.1f} mm is {100 * change:+.0f} % from the start "
                        f"({start.distance_mm:.1f} mm): check --wavelength-nm and the distance")
    if fit_tilt and (not np.all(np.isfinite(sigma)) or sigma[3] > 0.05 or sigma[4] > 0.05):
        warnings.append("tilts are poorly determined by these rings; consider --tilt fix")
    for text in warnings:
        logger.warning(text)

    poni = {**dict(zip(FREE_PARAMS, (float(v) for v in params))), "rot3": 0.0, "wavelength": wavelength_m}
    poni_sigma = {**dict(zip(FREE_PARAMS, (float(v) for v in sigma))), "rot3": 0.0, "wavelength": 0.0}
    return GeometryCalibration(
        poni=poni, poni_sigma=poni_sigma,
        distance_mm=float(f2d_values[0]), center_x_px=float(f2d_values[1]), center_y_px=float(f2d_values[2]),
        tilt_deg=float(f2d_values[3]), tilt_plane_rotation_deg=float(f2d_values[4]),
        distance_sigma_mm=float(f2d_sigma[0]), center_x_sigma_px=float(f2d_sigma[1]),
        center_y_sigma_px=float(f2d_sigma[2]), tilt_sigma_deg=float(f2d_sigma[3]),
        pixel_x_um=float(start.pixel_x_um), pixel_y_um=float(start.pixel_y_um), wavelength_nm=float(wavelength_nm),
        detector=detector_name, calibrant=calibrant,
        rings_used=tuple(int(r) for r in rings_found),
        points_per_ring={int(r): int((points.ring == r).sum()) for r in rings_found},
        ring_q_ratio=q_ratio, n_points=len(points), residual_px=residual_px, residual_tth_rad=residual_tth,
        start=start,
        coarse={"center_px": [coarse.center_x_px, coarse.center_y_px], "distance_mm": coarse.distance_mm,
                "score": coarse.score, "rings_seen": coarse.rings_seen, "search_px": search_px},
        control_points=points, warnings=tuple(warnings), notes=tuple(notes), tilt_refined=fit_tilt,
    )
