"""saxs: in situ SAXS reduction and analysis for ID02 nanocrystal beamtimes.

Data flow (one module per stage): frames -> geometry -> integrate -> average/screen ->
subtract -> absolute -> bragg / series -> nxcansas -> pipeline / cli.
The Monte Carlo size-distribution fitter lives in the separate, pure package ``mcfit``.
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("saxs-insitu")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from ._pyfai import quiet_opencl_notice as _quiet_opencl_notice

_quiet_opencl_notice()  # before any saxs module imports pyFAI (see saxs/_pyfai.py)

__all__ = ["__version__"]
