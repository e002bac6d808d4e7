"""Simulator of ID02 beamtimes: LIMA raw files with Poisson counts from a physical model, plus
calibrations, a ``beamtime.toml`` and the ground truth of every file.

Modules: :mod:`.physics` (curves in 1/cm), :mod:`.detector` (analytic pixel geometry),
:mod:`.truth` (counting model, :class:`~.truth.GroundTruth`, :func:`~.truth.load_truth`),
:mod:`.beamtime` (presets, :func:`~.beamtime.simulate_beamtime`); the SRM 3600 curve is shipped in ``saxs/data/srm3600/`` and read by :func:`saxs.absolute.load_srm3600`.
"""

from .truth import GroundTruth, load_truth

__all__ = ["GroundTruth", "load_truth"]
