"""Fingerprints of a task's inputs and settings (for ``--resume``) and per-sample seeds.

A fingerprint is the SHA-256 of a canonical JSON text holding, for every input file, its name
relative to the beamtime folder, its size and its modification time (ns), plus the settings that
change the result (the relevant beamtime sections, the derived seed, the code version). It is
stored in the output file; ``--resume`` skips a task whose output carries the same fingerprint.
Reading whole raw files to hash their contents would cost as much as reducing them, so size and
mtime stand for the contents (as ``make`` and ``rsync`` do).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

#: HDF5 root attribute holding a task output's fingerprint.
FINGERPRINT_ATTR = "saxs_batch_fingerprint"
#: HDF5 root attribute holding the inputs and settings the fingerprint was made from (JSON).
INPUTS_ATTR = "saxs_batch_inputs"


def derive_seed(base_seed: int, name: str) -> int:
    """Seed for one sample: a stable function of the base seed and the sample name.

    The same sample gets the same seed whichever worker, scheduler or order runs it.

    Parameters
    ----------
    base_seed : int
        The beamtime's ``fit.seed``.
    name : str
        The sample name.

    Returns
    -------
    int
        A seed in [0, 2**63).

    Examples
    --------
    >>> derive_seed(1, "a") == derive_seed(1, "a") != derive_seed(1, "b")
    True
    """
    digest = hashlib.sha256(f"saxs-insitu seed v1:{int(base_seed)}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def file_stamp(path, *, base_dir=None) -> dict[str, Any]:
    """``{"name", "size", "mtime_ns"}`` of a file (name relative to ``base_dir`` when inside it)."""
    path = Path(path)
    st = os.stat(path)
    name = str(path)
    if base_dir is not None:
        try:
            name = str(path.resolve().relative_to(Path(base_dir).resolve()))
        except ValueError:
            pass
    return {"name": name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _canonical(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float):
        return repr(value)  # exact: 0.1 and 0.1000000000000001 differ
    return value


def canonical_json(settings: Any) -> str:
    """Deterministic JSON of nested dataclasses / mappings / sequences (keys sorted)."""
    return json.dumps(_canonical(settings), sort_keys=True, separators=(",", ":"))


def inputs_text(files: Iterable, settings: Any, *, base_dir=None) -> str:
    """Canonical JSON of the input files' stamps and the settings (what :func:`fingerprint` hashes).

    Stored next to the fingerprint in every output, so a user can see what the result was made from.
    """
    stamps = [file_stamp(f, base_dir=base_dir) for f in files]
    return canonical_json({"files": stamps, "settings": settings})


def fingerprint_of(text: str) -> str:
    """SHA-256 hex digest of an :func:`inputs_text`."""
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(files: Iterable, settings: Any, *, base_dir=None) -> str:
    """SHA-256 hex digest of the input files' stamps and the settings.

    Parameters
    ----------
    files : iterable of path
        Every file the task reads (raw frames, blanks' outputs, calibration files).
    settings : object
        Dataclasses, mappings, sequences, numbers, strings: everything that changes the result.
    base_dir : path, optional
        File names are taken relative to it, so moving a whole beamtime folder keeps stamps
        comparable except for the modification times.
    """
    return fingerprint_of(inputs_text(files, settings, base_dir=base_dir))


def stored_fingerprint(path) -> str | None:
    """The fingerprint stored in an HDF5 output, or ``None`` if absent or unreadable."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get(FINGERPRINT_ATTR)
    except (OSError, KeyError):
        return None
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
