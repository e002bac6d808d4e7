"""Bragg peaks and mesophase indexing on 1D curves I(q), and peak tracking across a series.

Modules, in data-flow order:

- :mod:`saxs.bragg.peaks`: find sharp peaks above a smooth background, fit each with lmfit
  (Gaussian + a smooth baseline), keep the significant, sharp ones; broad maxima of the
  background (correlation peaks) are reported apart, never as Bragg peaks. Its steps live in
  :mod:`saxs.bragg.background` (smooth reference, broad maxima), :mod:`saxs.bragg.candidates`
  (matched filter), :mod:`saxs.bragg.peak_fit` (lmfit fits, acceptance) and
  :mod:`saxs.bragg.lobes` (form-factor lobes); its settings and results in
  :mod:`saxs.bragg.peak_types`.
- :mod:`saxs.bragg.indexing`: index a set of peaks as lamellar, 2D hexagonal or a cubic phase
  by their q ratios, with the lattice parameter from a weighted fit of all indexed orders.
- :mod:`saxs.bragg.tracking`: follow each peak across a series (temperatures, times): its area
  with uncertainty vs the series variable and the value where it vanishes (melting).

The HDF5 layout written by ``saxs peaks -o`` is in :mod:`saxs.bragg.store`.
"""

from .indexing import PHASES, Phase, PhaseSpec, index_peaks
from .peak_types import BroadMaximum, Peak, PeakSearch, PeakSettings, RejectedPeak
from .peaks import find_peaks
from .tracking import Track, track_peaks

__all__ = [
    "BroadMaximum", "Peak", "PeakSearch", "PeakSettings", "RejectedPeak", "find_peaks",
    "PHASES", "Phase", "PhaseSpec", "index_peaks",
    "Track", "track_peaks",
]
