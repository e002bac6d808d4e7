"""Write a geometry calibration: PONI file (version 2.1), text report, figure, JSON summary."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_path, write_text_atomic
from .refine import GeometryCalibration


def _readable(path) -> Path:
    """Give a finished output the usual permissions (the atomic temporary file is created 0600)."""
    os.chmod(path, 0o644)
    return Path(path)


def write_poni(calibration: GeometryCalibration, path) -> Path:
    """Write the geometry as a pyFAI PONI file (version 2.1), atomically.

    Parameters
    ----------
    calibration : GeometryCalibration
    path : str or os.PathLike

    Returns
    -------
    Path
    """
    from pyFAI.io.ponifile import PoniFile

    poni = PoniFile(calibration.integrator())
    with atomic_path(path, suffix=".poni") as tmp:
        with open(tmp, "w") as handle:
            handle.write(f"# saxs calibrate geometry: {calibration.calibrant}, {len(calibration.rings_used)} rings, "
                         f"{calibration.n_points} points, RMS {calibration.residual_px:.3f} px\n")
            handle.write(f"# Fit2D: distance {calibration.distance_mm:.3f} mm, beam centre x "
                         f"{calibration.center_x_px:.3f} px, y {calibration.center_y_px:.3f} px\n")
            poni.write(handle)
    return _readable(path)


#: Keys of the JSON summary renamed since they were first written: old name -> current name.
RENAMED_SUMMARY_KEYS = {"tilt_plan_rotation_deg": "tilt_plane_rotation_deg"}


def read_summary(source) -> dict:
    """A JSON summary of ``saxs calibrate geometry --json`` (a file, its text or the parsed dict).

    Summaries written before a key was renamed are read with the current name
    (:data:`RENAMED_SUMMARY_KEYS`: ``tilt_plan_rotation_deg`` is now ``tilt_plane_rotation_deg``).
    """
    import json

    if isinstance(source, dict):
        summary = dict(source)
    else:
        text = str(source)
        if not text.lstrip().startswith("{"):
            text = Path(source).read_text(encoding="utf-8")
        summary = json.loads(text)
    for old, new in RENAMED_SUMMARY_KEYS.items():
        if old in summary:
            summary.setdefault(new, summary.pop(old))
    return summary


def summary_dict(calibration: GeometryCalibration, *, poni_path=None, report_path=None, figure_path=None) -> dict:
    """The ``--json`` summary (Fit2D-style centre and distance, pyFAI rotations)."""
    return {
        "poni": None if poni_path is None else os.fspath(poni_path),
        "report": None if report_path is None else os.fspath(report_path),
        "figure": None if figure_path is None else os.fspath(figure_path),
        "distance_mm": calibration.distance_mm,
        "distance_sigma_mm": calibration.distance_sigma_mm,
        "center_px": [calibration.center_x_px, calibration.center_y_px],
        "center_sigma_px": [calibration.center_x_sigma_px, calibration.center_y_sigma_px],
        "rotations_rad": list(calibration.rotations_rad),
        "rotations_sigma_rad": [calibration.poni_sigma["rot1"], calibration.poni_sigma["rot2"], 0.0],
        "tilt_deg": calibration.tilt_deg,
        "tilt_plane_rotation_deg": calibration.tilt_plane_rotation_deg,
        "tilt_refined": calibration.tilt_refined,
        "wavelength_nm": calibration.wavelength_nm,
        "pixel_um": [calibration.pixel_x_um, calibration.pixel_y_um],
        "detector": calibration.detector,
        "calibrant": calibration.calibrant,
        "rings_used": len(calibration.rings_used),
        "ring_orders": [r + 1 for r in calibration.rings_used],
        "points": calibration.n_points,
        "residual": calibration.residual_px,
        "residual_unit": "px (RMS distance of control points from their fitted rings)",
        "residual_tth_rad": calibration.residual_tth_rad,
        "start": {k: getattr(calibration.start, k) for k in ("distance_mm", "center_x_px", "center_y_px")},
        "coarse_search": dict(calibration.coarse),
        "warnings": list(calibration.warnings),
        "notes": list(calibration.notes),
    }


def format_report(calibration: GeometryCalibration, *, frame_path=None) -> str:
    """A short human-readable report: rings used, residual, refined values with uncertainties."""
    c = calibration
    p, s = c.poni, c.poni_sigma
    lines = [
        "Geometry calibration (saxs calibrate geometry)",
        f"frame: {frame_path}" if frame_path else None,
        f"calibrant: {c.calibrant}; wavelength {c.wavelength_nm:.6g} nm (fixed); pixel {c.pixel_x_um:g} x "
        f"{c.pixel_y_um:g} um; detector {c.detector}",
        f"start: distance {c.start.distance_mm:.2f} mm, centre ({_fmt(c.start.center_x_px)}, "
        f"{_fmt(c.start.center_y_px)}) px  [{', '.join(f'{k}={v}' for k, v in c.start.source.items())}]",
        f"coarse search: distance {c.coarse['distance_mm']:.2f} mm, centre ({c.coarse['center_px'][0]:.2f}, "
        f"{c.coarse['center_px'][1]:.2f}) px, {c.coarse['rings_seen']} rings seen",
        "",
        "Fit2D convention (beam centre = where the direct beam meets the detector; first pixel centre 0.5):",
        f"  distance (sample to beam centre)  {c.distance_mm:10.3f} +- {c.distance_sigma_mm:.3f} mm",
        f"  beam centre x (column)            {c.center_x_px:10.3f} +- {c.center_x_sigma_px:.3f} px",
        f"  beam centre y (row)               {c.center_y_px:10.3f} +- {c.center_y_sigma_px:.3f} px",
        f"  tilt                              {c.tilt_deg:10.3f} +- {c.tilt_sigma_deg:.3f} deg "
        f"(plane rotation {c.tilt_plane_rotation_deg:.1f} deg){'' if c.tilt_refined else ' (fixed)'}",
        "pyFAI PONI parameters:",
        f"  dist  {p['dist']:.6f} +- {s['dist']:.6f} m",
        f"  poni1 {p['poni1']:.6f} +- {s['poni1']:.6f} m",
        f"  poni2 {p['poni2']:.6f} +- {s['poni2']:.6f} m",
        f"  rot1  {p['rot1']:.6f} +- {s['rot1']:.6f} rad",
        f"  rot2  {p['rot2']:.6f} +- {s['rot2']:.6f} rad",
        f"  rot3  {p['rot3']:.6f} (fixed: degenerate for rings)",
        "",
        f"rings used: {len(c.rings_used)} (orders {', '.join(str(r + 1) for r in c.rings_used)}), "
        f"{c.n_points} points",
        f"RMS residual: {c.residual_px:.3f} px ({c.residual_tth_rad:.3e} rad in 2theta)",
        "per ring: order, points, q_observed / q_calibrant",
    ]
    for ring in c.rings_used:
        lines.append(f"  {ring + 1:3d} {c.points_per_ring[ring]:5d} {c.ring_q_ratio[ring]:.5f}")
    lines.append("Uncertainties are from the fit's Jacobian; points along a ring are correlated, so they "
                 "are lower bounds.")
    for note in c.notes:
        lines.append(f"note: {note}")
    for warning in c.warnings:
        lines.append(f"WARNING: {warning}")
    return "\n".join(line for line in lines if line is not None) + "\n"


def _fmt(value):
    return "none" if value is None else f"{value:.2f}"


def plot_calibration(calibration: GeometryCalibration, image, mask=None, *, ax=None, max_rings=40):
    """Draw the frame (log scale) with the fitted rings and the control points.

    Parameters
    ----------
    calibration : GeometryCalibration
    image : ndarray, shape (ny, nx)
    mask : ndarray, shape (ny, nx), bool, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from pyFAI.calibrant import get_calibrant

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 10 * image.shape[0] / image.shape[1] + 1.5))
    shown = np.array(image, dtype=float)
    if mask is not None:
        shown[np.asarray(mask)] = np.nan
    positive = shown[np.isfinite(shown) & (shown > 0)]
    floor = np.percentile(positive, 1) if positive.size else 1.0
    top = np.percentile(positive, 99.8) if positive.size else 10.0
    ax.imshow(np.log10(np.clip(shown, floor, None)), origin="lower", cmap="viridis", vmin=np.log10(floor),
              vmax=np.log10(max(top, floor * 1.01)), interpolation="nearest",
              extent=(0, image.shape[1], 0, image.shape[0]))
    ai = calibration.integrator()
    tth = ai.center_array(image.shape, unit="2th_rad", scale=False)
    cal = get_calibrant(calibration.calibrant)
    cal.wavelength = calibration.wavelength_nm * 1e-9
    ring_tth = [t for t in cal.get_2th()[:max_rings] if t is not None]
    used = set(calibration.rings_used)
    x = np.arange(image.shape[1]) + 0.5
    y = np.arange(image.shape[0]) + 0.5
    for index, value in enumerate(ring_tth):
        if tth.min() < value < tth.max():
            ax.contour(x, y, tth, levels=[value], colors=["red" if index in used else "white"],
                       linewidths=0.7 if index in used else 0.4, linestyles="-" if index in used else ":")
    points = calibration.control_points
    ax.plot(points.col + 0.5, points.row + 0.5, "+", color="orange", markersize=3, linewidth=0.5)
    ax.set_xlim(0, image.shape[1])
    ax.set_ylim(0, image.shape[0])
    ax.set_xlabel("x (column), px")
    ax.set_ylabel("y (row), px")
    ax.set_title(f"{calibration.calibrant}: D = {calibration.distance_mm:.2f} mm, centre "
                 f"({calibration.center_x_px:.2f}, {calibration.center_y_px:.2f}) px, "
                 f"{len(calibration.rings_used)} rings (red), RMS {calibration.residual_px:.3f} px",
                 fontsize=9)
    return ax


def save_figure(calibration: GeometryCalibration, image, mask, path) -> Path:
    """Save :func:`plot_calibration` as a PNG (Agg backend), atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, max(3.5, 11 * image.shape[0] / image.shape[1] + 1.2)))
    plot_calibration(calibration, image, mask, ax=ax)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return _readable(path)


def write_report(calibration: GeometryCalibration, path, *, frame_path=None) -> Path:
    """Write :func:`format_report` to ``path`` atomically."""
    return _readable(write_text_atomic(path, format_report(calibration, frame_path=frame_path)))
