"""The beamtime report: one self-contained HTML page (OUTDIR/report.html) from a batch's outputs.

:func:`write_report` reads OUTDIR/summary.json, the sample and series files and the figures, and
renders ``templates/report.html.j2`` with Jinja2 (autoescaped). Figures are embedded as base64
PNG, the style sheet is inline, nothing is fetched from the network; only the sample table's
sorting uses JavaScript (without it the table keeps the summary's order).
"""

from __future__ import annotations

from .render import REPORT_NAME, render_report, write_report

__all__ = ["REPORT_NAME", "render_report", "write_report"]
