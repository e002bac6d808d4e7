"""The part of a beamtime whose raw files are complete now: what a watch cycle may process.

:func:`ready_view` turns a :class:`~saxs.config.BeamtimeConfig` into the same configuration
restricted to complete files (each ``files`` pattern replaced by the complete files it matches):

* a sample is ready when its patterns match at least one file and every matched file is complete;
  a sample that is not ready is left out (and out of its series) until it is;
* a blank is ready the same way; a ready sample whose blank is not ready yet is processed without
  it (a provisional result; without its solvent, also without its solvent-displacement
  ``volume_fraction``) and redone when the blank arrives, because the blank's fingerprint is part
  of the sample's (``--resume`` sees other inputs);
* the absolute standard likewise: until it (and its empty blank) is complete, samples stay in
  arbitrary units and are redone when it arrives;
* the instrument's dark and empty-beam files must be complete before anything runs.

The batch plans and runs the view exactly as it would the whole beamtime, so once every file
is complete the view is the beamtime itself and the outputs are those of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..config import BeamtimeConfig
from .complete import CompletenessTracker


@dataclass(frozen=True)
class ReadyView:
    """A beamtime restricted to its complete files.

    Attributes
    ----------
    config : BeamtimeConfig or None
        The restricted configuration (None while the instrument's dark or empty beam is incomplete).
    waiting : dict
        ``"sample:NAME"``, ``"blank:NAME"``, ``"standard"``, ``"instrument.dark"``... -> why it waits.
    complete_since : dict
        ``"sample:NAME"`` / ``"blank:NAME"`` / ``"standard"`` -> wall-clock time (s) when the last of
        its files was written (for latencies).
    """

    config: BeamtimeConfig | None
    waiting: dict = field(default_factory=dict)
    complete_since: dict = field(default_factory=dict)


def _ready_files(config, patterns, tracker: CompletenessTracker):
    """(complete files, reason) for glob patterns: the files when all matched ones are complete."""
    files = config.resolve(patterns)
    if not files:
        return None, "no file matches yet"
    for f in files:
        verdict = tracker.check(f)
        if not verdict.complete:
            return None, f"{f.name}: {verdict.reason}"
    return tuple(str(f) for f in files), ""


def ready_view(config: BeamtimeConfig, tracker: CompletenessTracker) -> ReadyView:
    """Restrict ``config`` to its complete files (rules in the module docstring).

    Parameters
    ----------
    config : BeamtimeConfig
    tracker : CompletenessTracker
        Keeps the files' sizes and times between calls (a file must settle before it counts).

    Returns
    -------
    ReadyView
    """
    waiting: dict[str, str] = {}
    since: dict[str, float] = {}
    inst = config.instrument
    for key in ("dark", "empty_beam"):
        patterns = getattr(inst, key)
        if patterns:
            files, why = _ready_files(config, patterns, tracker)
            if files is None:
                waiting[f"instrument.{key}"] = why
    if waiting:
        return ReadyView(None, waiting)

    blanks = {}
    for name, blank in config.blanks.items():
        files, why = _ready_files(config, blank.files, tracker)
        if files is None:
            waiting[f"blank:{name}"] = why
            continue
        blanks[name] = replace(blank, files=files, empty=blank.empty if blank.empty in config.blanks else None)
        since[f"blank:{name}"] = tracker.complete_since(files) or 0.0

    absolute = config.absolute
    if absolute.standard_file is not None:
        files, why = _ready_files(config, absolute.standard_file, tracker)
        if files is None or (absolute.standard_empty and absolute.standard_empty not in blanks):
            waiting["standard"] = why or f"its empty blank '{absolute.standard_empty}' is not complete yet"
            absolute = replace(absolute, standard_file=None, standard=None, standard_thickness_mm=None,
                               standard_empty=None)
        else:
            # one pattern matching exactly these files (resolve() keeps a pattern without magic as is)
            absolute = replace(absolute, standard_file=files)
            since["standard"] = tracker.complete_since(files) or 0.0

    samples = []
    for s in config.samples:
        files, why = _ready_files(config, s.files, tracker)
        if files is None:
            waiting[f"sample:{s.name}"] = why
            continue
        solvent = s.solvent if s.solvent in blanks else None
        # without its solvent (yet) a sample is subtracted by its empty alone: the solvent-displacement
        # factor (volume_fraction) belongs to the solvent subtraction
        samples.append(replace(s, files=files, solvent=solvent, empty=s.empty if s.empty in blanks else None,
                               volume_fraction=s.volume_fraction if solvent else None))
        since[f"sample:{s.name}"] = tracker.complete_since(files) or 0.0
    ready = {s.name for s in samples}
    series = tuple(replace(x, samples=tuple(m for m in x.samples if m in ready)) for x in config.series)
    series = tuple(x for x in series if x.samples)
    view = replace(config, blanks=blanks, absolute=absolute, samples=tuple(samples), series=series)
    return ReadyView(view, waiting, since)


__all__ = ["ReadyView", "ready_view"]
