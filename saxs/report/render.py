"""Render the beamtime report with Jinja2 and write it atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..atomic import atomic_path
from .context import build_context

REPORT_NAME = "report.html"
TEMPLATE = "report.html.j2"


def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("saxs.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_report(outdir, *, summary: dict[str, Any] | None = None, refresh_seconds: int | None = None) -> str:
    """The report page of a batch output folder, as HTML text.

    Parameters
    ----------
    outdir : str or os.PathLike
        A batch output folder (summary.json, samples/, series/, figures/).
    summary : dict, optional
        The batch summary already in memory (default: read OUTDIR/summary.json).
    refresh_seconds : int, optional
        Add ``<meta http-equiv="refresh">`` so a browser reloads the page (``saxs batch --watch``).
    """
    if refresh_seconds is not None and refresh_seconds <= 0:
        raise ValueError(f"`refresh_seconds` must be positive; got {refresh_seconds}")
    context = build_context(outdir, summary=summary)
    return _environment().get_template(TEMPLATE).render(**context, refresh_seconds=refresh_seconds)


def write_report(outdir, *, summary: dict[str, Any] | None = None, refresh_seconds: int | None = None) -> Path:
    """Write OUTDIR/report.html (atomically) and return its path; see :func:`render_report`.

    Examples
    --------
    >>> from saxs.report import write_report
    >>> write_report("demo-out")                      # doctest: +SKIP
    PosixPath('demo-out/report.html')
    """
    html = render_report(outdir, summary=summary, refresh_seconds=refresh_seconds)
    final = Path(outdir) / REPORT_NAME
    with atomic_path(final) as tmp:
        tmp.write_bytes(html.encode("utf-8"))  # the page says charset=utf-8, whatever the locale
    return final
