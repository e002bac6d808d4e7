"""The one-line error for a raw-file reader that crashed in native code.

A corrupted compressed chunk can crash the HDF5 decompression filter (SIGSEGV in native code, no
Python exception). ``saxs reduce`` reads its raw files in a worker process
(:mod:`saxs.pipeline.isolate`), whose last breadcrumb (:mod:`saxs.crumbs`: "reading frame 2 of
X_eiger2_...h5", written by :mod:`saxs.id02.lima`) says which file and frame it was; this module
turns that into the :class:`~saxs.errors.InputError` the command prints (the batch words its own
failure reason in :mod:`saxs.pipeline.scheduler`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InputError


def crash_error(path, doing: str, how: str) -> InputError:
    """The error for a reader that crashed on ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file the command was reading (a master file, a LIMA file).
    doing : str
        The reader's last breadcrumb ("reading frame 2 of X_eiger2_...h5"; "" when none).
    how : str
        How it ended ("signal 11 (SIGSEGV)").

    Returns
    -------
    InputError
        ``"<LIMA file>: frame 2: expected compressed data the HDF5 filter can decode (reading it
        crashed the reader with signal 11 (SIGSEGV); read through <master file>), got 'a
        corrupted chunk'"``.

    Examples
    --------
    >>> str(crash_error("s.h5", "reading frame 2 of s_eiger.h5", "signal 11 (SIGSEGV)"))[:60]
    's_eiger.h5: frame 2: expected compressed data the HDF5 filte'
    """
    path = Path(path)
    match = re.fullmatch(r"reading frame (\d+) of (.+)", doing)
    file, field = (match.group(2), f"frame {match.group(1)}") if match else (os.fspath(path), "frames")
    via = f"; read through {path}" if match and Path(match.group(2)) != path else ""
    return InputError(file, field, f"compressed data the HDF5 filter can decode (reading it crashed the reader "
                      f"with {how}{via})", got="a corrupted chunk")
