"""mcfit: McSAS-style Monte Carlo size-distribution fitting of small-angle scattering curves.

A pure library (arrays in, results out); it never imports ``saxs``. Reading the modules in order
tells the data flow: models -> kernels (numba) + reference (NumPy twins) -> data (validation,
preparation) -> fit (driver) -> histogram -> populations -> quality (chi-square against both
uncertainties, poor-fit verdict) -> results (FitResult, HDF5 layout).
"""

from .data import FitInputError, FitWarning
from .fit import fit, repetition_seeds
from .histogram import Histogram, Moments, RangeStatistics
from .populations import Population
from .quality import FitQuality
from .results import FitResult, FitSettings, read_result

__all__ = [
    "fit", "repetition_seeds", "read_result", "FitResult", "FitSettings", "Histogram", "Moments",
    "RangeStatistics", "Population", "FitQuality", "FitInputError", "FitWarning",
]
