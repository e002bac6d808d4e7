"""Live processing during a beamtime: find new raw files, wait until complete, process once.

* :mod:`saxs.watch.complete` - is a raw file complete (frame count, scan ended, size stable)?
* :mod:`saxs.watch.view` - the beamtime restricted to its complete files;
* :mod:`saxs.watch.loop` - the watch loop (``saxs batch --watch``, ``saxs watch``);
* :mod:`saxs.watch.report_adapter` - refreshes report.html when :mod:`saxs.report` exists.
"""

from .complete import CompletenessTracker, Verdict
from .loop import WatchOptions, watch
from .view import ReadyView, ready_view

__all__ = ["CompletenessTracker", "Verdict", "ReadyView", "ready_view", "WatchOptions", "watch"]
