"""mcfit: McSAS-style Monte Carlo size-distribution fitting of small-angle scattering curves.

A pure library (arrays in, results out); it never imports ``saxs``. Reading the modules in order
tells the data flow: models -> kernels (numba) + reference (NumPy twins) -> data (validation,
preparation) -> driver (``fit``) -> histogram -> populations -> quality (chi-square against both
uncertainties, poor-fit verdict) -> results (FitResult, HDF5 layout).

The names below are loaded on first use (PEP 562): ``import mcfit.quality`` or reading a default
from it does not import numba and the kernels (0.3-0.5 s of a fresh process); ``mcfit.fit``
(in :mod:`mcfit.driver`) does.
"""

from importlib import import_module

_HOME = {
    "fit": "driver", "repetition_seeds": "driver", "read_result": "results", "FitResult": "results",
    "FitSettings": "results", "Histogram": "histogram", "Moments": "histogram", "RangeStatistics": "histogram",
    "Population": "populations", "FitQuality": "quality", "FitInputError": "data", "FitWarning": "data",
}

__all__ = list(_HOME)


def __getattr__(name):
    try:
        module = _HOME[name]
    except KeyError:
        raise AttributeError(f"module 'mcfit' has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
