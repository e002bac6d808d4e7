"""Everything that knows how ESRF ID02 writes its files, and nothing else.

Raw data, as the beamline writes them (read by :func:`open_raw`, which gives the rest of the
pipeline frames, header, monitors and exposure times in our own types, :mod:`saxs.id02.base`):

* a BLISS master file ``<dataset>.h5``: scans ``<N>.1`` whose ``instrument/<detector>/data`` is an
  external link or a virtual dataset into the LIMA files, and whose ``measurement/`` holds the
  counters (:mod:`saxs.id02.bliss`);
* LIMA files ``<name>_<detector>_<scan>_<sub>.h5`` (:mod:`saxs.id02.lima`), with their scalers file
  ``<name>_scalers_<scan>_<sub>.h5`` beside them where there is no master file
  (:mod:`saxs.id02.scalers`);
* EDF files (:mod:`saxs.id02.edf`).

Reduced data, as ID02's own software (dahu, ewoksid02) writes them: ``*_ave.h5`` files with
``entry_0000/PyFAI/result_ave`` (:mod:`saxs.id02.processed`), read wherever a reduced curve is.

Header conventions (:mod:`saxs.id02.header`): ``HSI0`` / ``HSI1`` / ``HSTime`` are 1-based pin
numbers in older headers and counter names in BLISS-era ones; both are accepted. Full-resolution
masks, flats and darks are brought to binned frames by :mod:`saxs.id02.binning`.
"""

from .base import Monitors, RawFile
from .header import decode_value, header_float
from .raw import data_files, list_scans, open_raw

__all__ = ["Monitors", "RawFile", "open_raw", "list_scans", "data_files", "decode_value", "header_float"]
