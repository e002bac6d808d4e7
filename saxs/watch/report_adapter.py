"""Refresh ``OUTDIR/report.html`` through :func:`saxs.report.write_report` when that module exists.

The report page is built by :mod:`saxs.report` (``saxs report OUTDIR``); the watch only asks it to
rewrite the page after each cycle, with a reload interval while the watch runs and none once it
stops. Imported lazily: without :mod:`saxs.report` the watch still runs, with no page.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("saxs.batch")


def refresh_report(outdir, *, refresh_seconds: float | None) -> Path | None:
    """Rewrite the report page of ``outdir``; return its path, or None when there is no report module.

    Parameters
    ----------
    outdir : path
        The batch output folder (with ``summary.json``).
    refresh_seconds : float or None
        The page reloads itself every this many seconds (None: a static page, once the watch stops).

    A failure of the report is logged and does not stop the watch.
    """
    try:
        from ..report import write_report
    except ImportError as exc:
        if getattr(exc, "name", "") in ("saxs.report", "saxs.report.write_report") or "write_report" in str(exc):
            return None
        raise
    try:
        seconds = None if refresh_seconds is None else max(1, int(round(refresh_seconds)))  # whole seconds
        path = write_report(Path(outdir), refresh_seconds=seconds)
    except Exception as exc:  # noqa: BLE001 - the report must never stop the processing
        log.warning("report.html not refreshed: %s: %s", type(exc).__name__, exc)
        return None
    return Path(path) if path is not None else Path(outdir) / "report.html"


__all__ = ["refresh_report"]
