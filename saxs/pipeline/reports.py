"""What each finished task reported, kept beside its result so that ``--resume`` can say it again.

A task's report (frames used, peaks, phase, warnings, the calibration factor...) is what the
summary shows of it. A resumed run skips up-to-date tasks; their reports are read back from
``OUTDIR/.reports/<folder>/<name>.json`` (written by the parent process, atomically,
right after the task), so that the summary of a resumed run equals that of an uninterrupted one
apart from what describes the run itself (status, timings, workers). A task whose report file is
missing (a run killed between the two writes, or results of an older version) is redone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic

#: Keys of a report that describe one run, not the result (never stored).
RUN_KEYS = ("status", "reason", "seconds", "worker", "pid", "timings_s")


def report_path(output) -> Path:
    """Where the report of the task writing ``output`` (``OUTDIR/<folder>/<name>.h5``) is kept:
    ``OUTDIR/.reports/<folder>/<name>.json``, out of the result folders' way."""
    output = Path(output)
    return output.parent.parent / ".reports" / output.parent.name / f"{output.stem}.json"


def save_report(output, fingerprint: str, report: dict[str, Any]) -> None:
    """Keep ``report`` (minus :data:`RUN_KEYS`) for the result ``output`` of inputs ``fingerprint``."""
    from ..commands._common import _jsonable

    kept = {k: v for k, v in report.items() if k not in RUN_KEYS}
    write_text_atomic(report_path(output), json.dumps(_jsonable({"fingerprint": fingerprint, "report": kept}),
                                                      sort_keys=True) + "\n")


def load_report(output, fingerprint: str) -> dict[str, Any] | None:
    """The kept report of ``output`` if it was made from inputs ``fingerprint``, else None."""
    try:
        doc = json.loads(report_path(output).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != fingerprint or not isinstance(doc.get("report"), dict):
        return None
    return doc["report"]
