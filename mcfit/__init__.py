"""mcfit: McSAS-style Monte Carlo size-distribution fitting of small-angle scattering curves.

A pure library (arrays in, results out); it never imports ``saxs``.
"""

__all__: list[str] = []
