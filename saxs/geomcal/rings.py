"""Find calibrant rings: a coarse search for centre and distance, then control points along rings.

Coarse search (no tilt): for a trial beam centre, the frame is averaged in annuli of half a pixel
around it; the ring contrast ``c(r)`` is that profile over its running median, minus one. A trial
distance predicts where each calibrant ring lies, ``r_i = D tan(2 theta_i)``; the score is the sum
over the predicted rings on the detector of ``sign(c) sqrt(|c|)`` at ``r_i`` (the square root keeps
one very bright ring, or a second calibrant, from outweighing the agreement of many). The right
centre makes the rings sharp (high contrast), the right distance puts every predicted ring on one.
For a lamellar calibrant twice the distance also lands on rings (the even orders only) but scores
about half as much, because the odd orders then count for nothing. A ring counts as seen when its
contrast is 3 robust standard deviations of the contrast profile.

Control points: for each predicted ring, the pixels whose 2 theta (from the current, possibly
tilted, geometry) lie within a window around it are cut into short azimuthal sectors; in each
sector the ring's radius from the beam centre is the centre of a Gaussian fitted (as a weighted
parabola in log intensity) to the background-subtracted pixels above a quarter of the peak height,
each at its own radius - so the result does not snap to the pixel grid. The point is put back on the detector along the
sector's mean direction, so it needs no inverse geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

@dataclass(frozen=True)
class CoarseMatch:
    """Best centre and distance of the coarse search.

    Attributes
    ----------
    center_x_px, center_y_px : float
        Beam centre (Fit2D pixels of the stored frame).
    distance_mm : float
        Sample to beam-centre distance.
    score : float
        Sum of capped ring contrasts at the predicted ring radii (in robust sigmas).
    rings_on_detector : int
        How many calibrant rings the match predicts on the detector.
    rings_seen : int
        How many of them have a contrast above 3 sigma.
    at_edge : tuple of str
        Search dimensions whose best value lies on the edge of the searched range.
    """

    center_x_px: float
    center_y_px: float
    distance_mm: float
    score: float
    rings_on_detector: int
    rings_seen: int
    at_edge: tuple


@dataclass(frozen=True)
class ControlPoints:
    """Points on calibrant rings, in pyFAI pixel indices (pixel centre at the integer index).

    Attributes
    ----------
    row, col : ndarray, shape (n,)
        Position along the slow (row, pyFAI dim1) and fast (column, dim2) axes.
    ring : ndarray, shape (n,), int
        Index of the ring in the calibrant's d-spacing list (0 = first order).
    """

    row: np.ndarray
    col: np.ndarray
    ring: np.ndarray

    def __post_init__(self):
        for name, dtype in (("row", float), ("col", float), ("ring", int)):
            array = np.array(getattr(self, name), dtype=dtype)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def __len__(self) -> int:
        return int(self.ring.size)

    def select(self, keep: np.ndarray) -> "ControlPoints":
        """The points where ``keep`` is true."""
        return ControlPoints(self.row[keep], self.col[keep], self.ring[keep])

    def as_pyfai(self) -> np.ndarray:
        """Array of shape (n, 3): row, column, ring, as ``GeometryRefinement(data=...)`` takes it."""
        return np.column_stack([self.row, self.col, self.ring.astype(float)])


def _pixel_offsets_mm(shape, center_x_px, center_y_px, pixel_x_mm, pixel_y_mm):
    """Detector-plane offsets (mm) of every pixel centre from the beam centre, shape (ny, nx) each."""
    ny, nx = shape
    dx = (np.arange(nx) + 0.5 - center_x_px) * pixel_x_mm
    dy = (np.arange(ny) + 0.5 - center_y_px) * pixel_y_mm
    return np.broadcast_to(dx[None, :], shape), np.broadcast_to(dy[:, None], shape)


def _contrast_profile(values, r_bin, n_bins, min_count):
    """Annular mean, its running-median baseline and the contrast in robust sigmas.

    Returns z (shape (n_bins,), NaN where too few pixels) and the valid-bin flags.
    """
    counts = np.bincount(r_bin, minlength=n_bins)[:n_bins]
    sums = np.bincount(r_bin, weights=values, minlength=n_bins)[:n_bins]
    valid = counts >= min_count
    profile = np.where(valid, sums / np.maximum(counts, 1), np.nan)
    if valid.sum() < 40:
        return np.full(n_bins, np.nan), np.full(n_bins, np.nan), valid
    # Fill gaps by interpolation so the running median sees a continuous curve.
    index = np.arange(n_bins)
    filled = np.interp(index, index[valid], profile[valid])
    baseline = ndimage.median_filter(filled, size=41, mode="nearest")
    contrast = (filled - baseline) / np.maximum(np.abs(baseline), 1e-12)
    # The scatter of the contrast between rings, estimated robustly (rings are a minority of bins).
    scatter = 1.4826 * np.median(np.abs(contrast[valid] - np.median(contrast[valid])))
    z = contrast / max(scatter, 1e-12)
    z[~valid] = np.nan
    contrast[~valid] = np.nan
    return z, contrast, valid


def _score_distances(z, contrast, bin_mm, tan_tth, distances_mm):
    """Score each trial distance: sum of signed square roots of the contrast at the predicted radii.

    Returns scores (shape (n_d,)), and per distance the number of predicted rings on the
    detector and of those with z > 3.
    """
    n_bins = z.size
    radii_bins = distances_mm[:, None] * tan_tth[None, :] / bin_mm  # (n_d, n_rings)
    lo = np.floor(radii_bins).astype(int)
    inside = (lo >= 1) & (lo + 2 < n_bins)
    lo_c = np.clip(lo, 1, n_bins - 3)
    # Best contrast within +-1 bin of the prediction (the distance grid is coarser than a bin at the
    # largest radii).
    def best_near(values):
        window = np.stack([values[lo_c - 1], values[lo_c], values[lo_c + 1], values[lo_c + 2]], axis=0)
        return np.max(np.where(np.isnan(window), -np.inf, window), axis=0)

    best_c = best_near(contrast)
    best_z = best_near(z)
    on = inside & np.isfinite(best_c)
    contribution = np.where(on, np.sign(best_c) * np.sqrt(np.abs(np.where(on, best_c, 0.0))), 0.0)
    return contribution.sum(axis=1), on.sum(axis=1), (on & (best_z > 3.0)).sum(axis=1)


def coarse_search(image, mask, *, tth_rad, center_x_px, center_y_px, distance_mm, pixel_x_mm, pixel_y_mm,
                  search_px=20.0, distance_range=(0.7, 1.45), step_px=1.0, max_pixels=400_000):
    """Search beam centre and distance (no tilt) that make the calibrant rings sharpest.

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Frame; invalid pixels may hold anything.
    mask : ndarray, shape (ny, nx), bool
        True where invalid.
    tth_rad : ndarray, shape (n_rings,)
        Scattering angles 2 theta of the calibrant rings, rad.
    center_x_px, center_y_px : float
        Centre of the searched square (Fit2D pixels).
    distance_mm : float
        Starting distance; the search covers ``distance_range`` times it.
    pixel_x_mm, pixel_y_mm : float
        Pixel size.
    search_px : float
        Half-width of the searched square of centres, pixels.
    distance_range : (float, float)
        Smallest and largest distance searched, as factors of ``distance_mm``.
    step_px : float
        Grid step of the first, coarse pass over centres.
    max_pixels : int
        Larger frames are subsampled (every k-th valid pixel) for the search.

    Returns
    -------
    CoarseMatch
    """
    valid = ~mask
    values = image[valid].astype(np.float64)
    # Clip speckles and hot pixels so that they do not dominate the annular means.
    values = np.minimum(values, np.percentile(values, 99.5))
    ys, xs = np.nonzero(valid)
    if values.size > max_pixels:
        stride = int(np.ceil(values.size / max_pixels))
        values, ys, xs = values[::stride], ys[::stride], xs[::stride]
    xs_mm_0 = (xs + 0.5) * pixel_x_mm
    ys_mm_0 = (ys + 0.5) * pixel_y_mm
    bin_mm = 0.5 * min(pixel_x_mm, pixel_y_mm)
    ny, nx = image.shape
    n_bins = int(np.hypot((nx + 2 * search_px + 2 * abs(center_x_px)) * pixel_x_mm,
                          (ny + 2 * search_px + 2 * abs(center_y_px)) * pixel_y_mm) / bin_mm) + 8
    min_count = 4
    tan_tth = np.tan(np.asarray(tth_rad, dtype=float))
    ratio_step = 0.5 * bin_mm / max(np.hypot(nx * pixel_x_mm, ny * pixel_y_mm), bin_mm)
    lo_f, hi_f = distance_range
    distances = distance_mm * np.exp(np.arange(np.log(lo_f), np.log(hi_f) + ratio_step, ratio_step))
    # Rings beyond the detector even at the shortest distance never count.
    tan_tth = tan_tth[tan_tth * distances[0] / bin_mm < n_bins]

    def evaluate(cx, cy):
        r = np.hypot(xs_mm_0 - cx * pixel_x_mm, ys_mm_0 - cy * pixel_y_mm)
        r_bin = np.minimum((r / bin_mm).astype(np.int64), n_bins - 1)
        z, contrast, _ = _contrast_profile(values, r_bin, n_bins, min_count)
        if not np.isfinite(z).any():
            return -np.inf, None
        scores, n_on, n_seen = _score_distances(z, contrast, bin_mm, tan_tth, distances)
        # The sum over rings favours the right distance over its multiples, where a lamellar
        # calibrant's odd orders count for nothing (see module docstring).
        best = np.argmax(scores)
        return scores[best], (best, int(n_on[best]), int(n_seen[best]))

    def grid_search(cx0, cy0, half, step):
        best = (-np.inf, None, None, None)
        offsets = np.arange(-half, half + 0.5 * step, step)
        for dy in offsets:
            for dx in offsets:
                score, info = evaluate(cx0 + dx, cy0 + dy)
                if score > best[0]:
                    best = (score, cx0 + dx, cy0 + dy, info)
        return best

    score, cx, cy, info = grid_search(center_x_px, center_y_px, search_px, step_px)
    if info is None:
        return CoarseMatch(center_x_px, center_y_px, distance_mm, -np.inf, 0, 0, ("centre", "distance"))
    at_edge = []
    if abs(cx - center_x_px) > search_px - step_px or abs(cy - center_y_px) > search_px - step_px:
        at_edge.append("centre")
    if step_px > 0.5:
        score, cx, cy, info = grid_search(cx, cy, step_px, 0.5)
    score, cx, cy, info = grid_search(cx, cy, 0.5, 0.25)
    best_index, n_on, n_seen = info
    if best_index == 0 or best_index == distances.size - 1:
        at_edge.append("distance")
    return CoarseMatch(float(cx), float(cy), float(distances[best_index]), float(score), n_on, n_seen,
                       tuple(at_edge))


def _gaussian_centre(r, height, pixel_mm):
    """Centre of a Gaussian through scattered (r, height > 0) samples, by a weighted parabola in log.

    Each pixel's own radius is used, so the result does not snap to the pixel grid the way an
    intensity-weighted mean does (which, on rings ~2 px wide, leaves ~0.1 px errors that vary
    slowly around the ring and bias the tilt). Falls back to the weighted mean when the samples
    do not span a peak; returns None when they do not define one at all.
    """
    mean = float(np.average(r, weights=height))
    if r.size < 4 or np.ptp(r) < 0.5 * pixel_mm:
        return mean
    x = (r - mean) / pixel_mm
    design = np.column_stack([np.ones_like(x), x, x * x])
    w = height  # sqrt of the weight (height^2) of log(height), whose error is ~ sigma / height
    coef, *_ = np.linalg.lstsq(design * w[:, None], np.log(height) * w, rcond=None)
    if not coef[2] < 0:
        return mean
    centre = -coef[1] / (2 * coef[2])
    if not x.min() <= centre <= x.max():
        return mean
    return mean + centre * pixel_mm


def extract_control_points(image, mask, *, tth_pixel, tth_rings, ring_ids, center_x_px, center_y_px,
                           pixel_x_mm, pixel_y_mm, sector_px=4.0, window_px=8.0, min_snr=4.0,
                           min_points=6):
    """Pick points along each predicted ring.

    Parameters
    ----------
    image, mask : ndarray, shape (ny, nx)
        Frame and invalid-pixel mask (True = invalid).
    tth_pixel : ndarray, shape (ny, nx)
        2 theta (rad) of every pixel centre in the current geometry.
    tth_rings : ndarray, shape (n,)
        2 theta of the rings to look for, rad.
    ring_ids : ndarray, shape (n,), int
        Their indices in the calibrant list.
    center_x_px, center_y_px : float
        Beam centre of the current geometry (Fit2D pixels).
    pixel_x_mm, pixel_y_mm : float
        Pixel size.
    sector_px : float
        Arc length of one sector, pixels.
    window_px : float
        Largest half-width of the radial window around a predicted ring, pixels (it also stays
        below 45 % of the distance to the neighbouring rings).
    min_snr : float
        A sector counts when its peak stands this many robust sigmas above its background.
    min_points : int
        Rings with fewer accepted sectors are dropped.

    Returns
    -------
    ControlPoints
    """
    dx_mm, dy_mm = _pixel_offsets_mm(image.shape, center_x_px, center_y_px, pixel_x_mm, pixel_y_mm)
    r_mm = np.hypot(dx_mm, dy_mm)
    phi = np.arctan2(dy_mm, dx_mm)
    pixel_mm = min(pixel_x_mm, pixel_y_mm)
    valid = ~mask
    # Local scale d(2theta)/d(r) from the geometry, to turn pixel windows into 2theta windows.
    order = np.argsort(tth_rings)
    tth_sorted = np.asarray(tth_rings, dtype=float)[order]
    ids_sorted = np.asarray(ring_ids)[order]
    rows, cols, rings = [], [], []
    flat_valid = valid.ravel()
    flat_tth = tth_pixel.ravel()
    flat_r = r_mm.ravel()
    flat_phi = phi.ravel()
    flat_img = image.ravel()
    tth_ok = flat_tth[flat_valid]
    for k, (tth_ring, ring_id) in enumerate(zip(tth_sorted, ids_sorted)):
        # 2theta per mm on the detector near this ring (small-angle, beam-centre radial direction).
        near = np.abs(tth_ok - tth_ring) < 0.02 * tth_ring + 1e-6
        r_near = flat_r[flat_valid][near]
        if r_near.size < 10:
            continue
        r_ring = np.median(r_near)
        dtth_dr = tth_ring / max(r_ring, pixel_mm)  # rad per mm, good to a few % at small angles
        gaps = []
        if k > 0:
            gaps.append(tth_ring - tth_sorted[k - 1])
        if k + 1 < tth_sorted.size:
            gaps.append(tth_sorted[k + 1] - tth_ring)
        half = window_px * pixel_mm * dtth_dr
        if gaps:
            half = min(half, 0.45 * min(gaps))
        if half < 1.5 * pixel_mm * dtth_dr:
            continue  # rings closer than ~3 pixels cannot be told apart
        sel = flat_valid & (np.abs(flat_tth - tth_ring) < half)
        idx = np.nonzero(sel)[0]
        if idx.size < 20:
            continue
        n_sectors = max(int(2 * np.pi * r_ring / (sector_px * pixel_mm)), 8)
        sector = np.minimum(((flat_phi[idx] + np.pi) / (2 * np.pi) * n_sectors).astype(int), n_sectors - 1)
        sort = np.argsort(sector, kind="stable")
        idx, sector = idx[sort], sector[sort]
        bounds = np.flatnonzero(np.diff(sector)) + 1
        ring_rows, ring_cols = [], []
        for chunk in np.split(idx, bounds):
            if chunk.size < 8:
                continue
            values = flat_img[chunk]
            background = np.percentile(values, 25)
            top = np.sort(values)[-3:].mean() if values.size >= 3 else values.max()
            amplitude = top - background
            if amplitude <= 0:
                continue
            above = values - background > 0.5 * amplitude
            rest = values[~above]
            if above.sum() < 2 or rest.size < 5:
                continue
            noise = 1.4826 * np.median(np.abs(rest - np.median(rest)))
            noise = max(noise, np.sqrt(max(background, 0.0)) * 0.1, 1e-12)
            if amplitude < min_snr * noise:
                continue
            # The peak must not sit on the window edge (that is a slope, not a ring).
            tth_chunk = flat_tth[chunk]
            peak_tth = tth_chunk[np.argmax(values)]
            if abs(peak_tth - tth_ring) > 0.8 * half:
                continue
            fit_sel = values - background > 0.25 * amplitude
            r_mean = _gaussian_centre(flat_r[chunk][fit_sel], (values - background)[fit_sel], pixel_mm)
            weights = (values - background)[above]
            if r_mean is None:
                continue
            phi_sel = flat_phi[chunk][above]
            phi_mean = np.arctan2(np.sum(weights * np.sin(phi_sel)), np.sum(weights * np.cos(phi_sel)))
            x_f = center_x_px + r_mean * np.cos(phi_mean) / pixel_x_mm
            y_f = center_y_px + r_mean * np.sin(phi_mean) / pixel_y_mm
            ring_rows.append(y_f - 0.5)  # Fit2D (pixel centre at 0.5) -> pyFAI index
            ring_cols.append(x_f - 0.5)
        if len(ring_rows) >= min_points:
            rows.extend(ring_rows)
            cols.extend(ring_cols)
            rings.extend([int(ring_id)] * len(ring_rows))
    return ControlPoints(np.array(rows), np.array(cols), np.array(rings, dtype=int))
