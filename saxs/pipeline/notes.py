"""The warnings of a batch, counted and grouped by kind (shown at the end of ``saxs batch``).

Each task's result carries its warnings (the fit's, the screening's...) as sentences. Two warnings
are of one kind when they differ only in their numbers ("10 of 10 repetitions did not reach
reduced chi2 <= 1 within 200000 steps (best 973)" and "... (best 57)"), so a kind is a warning
with every number replaced by ``#``.
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def warning_kind(message: str) -> str:
    """The kind of a warning: its text with every number replaced by ``#``."""
    return _NUMBER.sub("#", " ".join(str(message).split()))


def group_warnings(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Warnings of every task of a batch summary, grouped by kind, most frequent first.

    Returns
    -------
    list of dict
        ``{"kind": str, "count": int, "tasks": [names], "example": first message}`` per kind.
    """
    groups: dict[str, dict[str, Any]] = {}
    tasks = [("sample", s) for s in summary.get("samples", ())] + [("blank", b) for b in summary.get("blanks", ())]
    tasks += [("series", s) for s in summary.get("series", ())]
    if summary.get("calibration"):
        tasks.append(("standard", {"name": "standard", **summary["calibration"]}))
    for kind, task in tasks:
        for message in task.get("warnings") or ():
            key = warning_kind(message)
            group = groups.setdefault(key, {"kind": key, "count": 0, "tasks": [], "example": str(message)})
            group["count"] += 1
            name = f"{kind} {task.get('name', '?')}" if kind != "sample" else str(task.get("name", "?"))
            if name not in group["tasks"]:
                group["tasks"].append(name)
    return sorted(groups.values(), key=lambda g: -g["count"])


def format_warnings(groups: list[dict[str, Any]], *, width: int = 100) -> list[str]:
    """Lines for the end of a batch: the total, then one line per kind with its count and tasks."""
    if not groups:
        return []
    total = sum(g["count"] for g in groups)
    lines = [f"{total} warning(s) of {len(groups)} kind(s) (details in summary.json and batch.log):"]
    for g in groups:
        names = ", ".join(g["tasks"])
        if len(names) > width:
            names = names[: width - 3] + "..."
        lines.append(f"  {g['count']} x {g['example']}  [{names}]")
    return lines
