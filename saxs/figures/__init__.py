"""Figures: free functions on plain arrays (``ax=None``) and whole Figures built from them.

- :mod:`saxs.figures.common` — headless Figure, tick formats, axis labels, saving;
- :mod:`saxs.plotting` — I(q) with the fit, size distribution, waterfall (one sample or curve set);
- :mod:`saxs.figures.steps` — quantized-growth series: the paper-style offset distributions and
  the dominant-population summary;
- :mod:`saxs.figures.peaks` — Bragg peaks on I(q) with their orders, and the peak series (areas,
  d-spacing and phase, broad correlation maximum).

None of them reads files on its own; :mod:`saxs.pipeline.results` reads the result files and
calls them (the batch and ``saxs plot``).
"""
