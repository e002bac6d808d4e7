"""Detector geometry from a calibrant frame (silver behenate and other pyFAI calibrants).

Modules in data-flow order: :mod:`.reader` (frame, mask, header geometry) -> :mod:`.rings`
(coarse search, control points) -> :mod:`.refine` (pyFAI GeometryRefinement, uncertainties,
quality checks) -> :mod:`.output` (PONI 2.1, report, figure, JSON summary).
"""

from .output import format_report, plot_calibration, read_summary, save_figure, summary_dict, write_poni, write_report
from .reader import CalibrantFrame, RoughGeometry, read_calibrant_frame
from .refine import GeometryCalibration, QualityLimits, calibrate_geometry
from .rings import CoarseMatch, ControlPoints, coarse_search, extract_control_points

__all__ = [
    "CalibrantFrame", "CoarseMatch", "ControlPoints", "GeometryCalibration", "QualityLimits", "RoughGeometry",
    "calibrate_geometry", "coarse_search", "extract_control_points", "format_report", "plot_calibration",
    "read_calibrant_frame", "read_summary", "save_figure", "summary_dict", "write_poni", "write_report",
]
