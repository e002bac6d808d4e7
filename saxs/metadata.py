"""Series keys of a curve file: the numeric metadata a ``--by KEY`` option can order files by.

A file written by ``saxs batch`` keeps the sample's beamtime metadata in ``<entry>/metadata``
(``temperature_C``, ``nucleation_temperature_C``, ``time_s``...); any NXcanSAS file may carry a
sample temperature (``<entry>/sassample/temperature``, in C); files written by ``saxs reduce`` or
``saxs subtract`` carry their provenance (``<entry>/sasprocess/provenance``: monitors, exposure,
geometry...). :func:`series_keys` lists every numeric one under the name ``--by`` accepts:

- a metadata key under its own name;
- the sample temperature as ``temperature_C`` (unless the metadata has that key);
- a provenance value under its path (``geometry/distance_mm``) and, when no other key has it,
  its last part (``distance_mm``).

:func:`resolve_series_key` takes the key as written when the file has it, and otherwise one
documented alias: a key without its unit suffix names the one key that adds it
(``temperature`` -> ``temperature_C``, ``time`` -> ``time_s``). Anything else is an error that
lists the keys the file has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from .errors import InputError

#: How many keys an error message lists before it says "... and N more".
_LISTED = 25


@dataclass(frozen=True)
class SeriesKey:
    """One series value found in a file.

    Attributes
    ----------
    key : str
        The name ``--by`` accepts.
    value : float
        The value (finite).
    location : str
        Where it was read: an HDF5 path inside the file.
    """

    key: str
    value: float
    location: str


@dataclass(frozen=True)
class ResolvedKey:
    """The series value of one file for a requested key, and how the key was matched."""

    requested: str
    key: str
    value: float
    location: str

    @property
    def alias(self) -> bool:
        """True when the requested key is an alias of the key read."""
        return self.requested != self.key


def _number(raw) -> float | None:
    if isinstance(raw, bytes):
        raw = raw.decode(errors="replace")
    if isinstance(raw, np.ndarray):
        if raw.size != 1 or raw.dtype.kind not in "biuf":
            return None
        raw = raw.reshape(-1)[0]
    if isinstance(raw, (bool, np.bool_)) or not isinstance(raw, (int, float, np.integer, np.floating)):
        return None  # strings are not series values, even "25"
    value = float(raw)
    return value if math.isfinite(value) else None


def _default_entry(f: h5py.File):
    from .nxcansas import curve_entry

    name = curve_entry(f)
    if isinstance(name, str) and isinstance(f.get(name), h5py.Group):
        return f[name]
    for group in f.values():
        if isinstance(group, h5py.Group) and "sasdata" in group:
            return group
    return None


def series_keys(path) -> dict[str, SeriesKey]:
    """Every numeric series key of an NXcanSAS file's default entry, by name (see the module doc).

    A text file (or an HDF5 file without an entry) has none.
    """
    path = Path(path)
    if not h5py.is_hdf5(path):
        return {}
    keys: dict[str, SeriesKey] = {}
    with h5py.File(path, "r") as f:
        entry = _default_entry(f)
        if entry is None:
            return {}
        metadata = entry.get("metadata")
        if isinstance(metadata, h5py.Group):
            for name, item in metadata.items():
                if isinstance(item, h5py.Dataset) and (value := _number(item[()])) is not None:
                    keys[name] = SeriesKey(name, value, item.name)
        temperature = entry.get("sassample/temperature")
        if isinstance(temperature, h5py.Dataset) and (value := _number(temperature[()])) is not None:
            keys.setdefault("temperature_C", SeriesKey("temperature_C", value, temperature.name))
        provenance = entry.get("sasprocess/provenance")
        if isinstance(provenance, h5py.Group):
            found: list[SeriesKey] = []

            def visit(name, item):
                if isinstance(item, h5py.Dataset) and (value := _number(item[()])) is not None:
                    found.append(SeriesKey(name, value, item.name))

            provenance.visititems(visit)
            for item in found:
                keys.setdefault(item.key, item)
            leaves: dict[str, list[SeriesKey]] = {}
            for item in found:
                leaves.setdefault(item.key.rsplit("/", 1)[-1], []).append(item)
            for leaf, items in leaves.items():
                if len(items) == 1 and leaf not in keys:
                    keys[leaf] = SeriesKey(leaf, items[0].value, items[0].location)
    return keys


def _listing(keys: dict[str, SeriesKey]) -> str:
    """The keys in file order (metadata first), a provenance path left out when its last part is listed."""
    short = {(k.value, k.location) for name, k in keys.items() if "/" not in name}
    names = [name for name, k in keys.items() if "/" not in name or (k.value, k.location) not in short]
    if not names:
        return "none (the file carries no numeric metadata: give --values)"
    shown = ", ".join(names[:_LISTED])
    return shown + (f" ... and {len(names) - _LISTED} more" if len(names) > _LISTED else "")


def resolve_series_key(path, key: str) -> ResolvedKey:
    """The series value ``key`` of one file (the key as written, else its documented alias).

    Raises
    ------
    InputError
        The file has neither ``key`` nor a unique ``key_<unit>``; the message lists its keys.
    """
    keys = series_keys(path)
    if key in keys:
        found = keys[key]
    else:
        candidates = [k for k in keys if k.startswith(key + "_") and "_" not in k[len(key) + 1:]
                      and "/" not in k]
        if len(candidates) != 1:
            raise InputError(path, f"--by {key}", f"a series key this file has: {_listing(keys)}",
                             got="missing" if not candidates else f"ambiguous ({', '.join(sorted(candidates))})")
        found = keys[candidates[0]]
    return ResolvedKey(requested=key, key=found.key, value=found.value, location=found.location)
