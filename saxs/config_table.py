"""Validation of one TOML table of a beamtime file: typed getters whose errors name the key.

:class:`TomlTable` wraps a parsed table with its file and key path (``samples[2]``), rejects unknown
keys (suggesting the closest allowed one) and reads strings, names, integers (capped by
:data:`saxs.limits.LIMITS`), numbers, ``[min, max]`` ranges and path patterns (made absolute
against the file's folder). Every problem is an :class:`saxs.errors.InputError`.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path

from .errors import InputError
from .limits import LIMITS

#: Names of samples, blanks and series become file names: keep them simple.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class TomlTable:
    """A TOML table being validated: knows its file and key path, rejects unknown keys.

    Parameters
    ----------
    data : object
        The parsed table (anything else than a dict is an error).
    file : Path
        The TOML file, named in errors; relative paths are resolved against its folder.
    where : str
        Key path of the table (``"samples[2]"``; ``""`` for the document itself).
    allowed : tuple of str
        The keys the table may have.

    Each getter (``string``, ``name``, ``integer``, ``number``, ``number_range``, ``patterns``,
    ``path``) returns the value of one key, its default when the key is absent, or raises an
    :class:`~saxs.errors.InputError` naming ``where.key`` and what was expected.
    """

    def __init__(self, data, file: Path, where: str, allowed: tuple[str, ...]):
        if not isinstance(data, dict):
            raise InputError(file, where or "(document)", "a table", got=type(data).__name__)
        self.data = data
        self.file = file
        self.where = where
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputError(file, self.key(key), f"one of the keys {', '.join(allowed)}{hint}",
                                 got=key)

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def error(self, name: str, expected: str, got=None) -> InputError:
        return InputError(self.file, self.key(name), expected, got=got)

    def has(self, name: str) -> bool:
        return name in self.data

    def string(self, name: str, *, required: bool = False, choices=None) -> str | None:
        if name not in self.data:
            if required:
                raise self.error(name, "a string (this key is required)")
            return None
        value = self.data[name]
        if not isinstance(value, str) or not value:
            raise self.error(name, "a non-empty string", got=value)
        if choices is not None and value not in choices:
            raise self.error(name, f"one of {', '.join(repr(c) for c in choices)}", got=value)
        return value

    def name(self, name: str, *, required: bool = True) -> str | None:
        value = self.string(name, required=required)
        if value is not None and not NAME_RE.match(value):
            raise self.error(name, "a name of letters, digits, '_', '.', '+' or '-' (it becomes a file name)",
                             got=value)
        return value

    def integer(self, name: str, default: int | None, *, minimum: int | None = None) -> int | None:
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, "an integer", got=value)
        if minimum is not None and value < minimum:
            raise self.error(name, f"an integer >= {minimum}", got=value)
        if name in LIMITS and value > LIMITS[name][0]:
            raise self.error(name, f"an integer <= {LIMITS[name][0]:,} ({LIMITS[name][1]})", got=value)
        return value

    def number(self, name: str, default: float | None, *, positive: bool = False) -> float | None:
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(name, "a finite number", got=value)
        if positive and value <= 0:
            raise self.error(name, "a positive number", got=value)
        return float(value)

    def number_range(self, name: str, default: tuple[float, float] | None, *, positive: bool = True):
        if name not in self.data:
            return default
        value = self.data[name]
        ok = (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value))
        if not ok:
            raise self.error(name, "a list of two numbers [min, max]", got=value)
        low, high = float(value[0]), float(value[1])
        if (positive and low <= 0) or not low < high:
            raise self.error(name, "[min, max] with 0 < min < max" if positive else "[min, max] with min < max",
                             got=value)
        return (low, high)

    def patterns(self, name: str, *, required: bool) -> tuple[str, ...]:
        if name not in self.data:
            if required:
                raise self.error(name, "a path or glob pattern, or a list of them (this key is required)")
            return ()
        value = self.data[name]
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
            raise self.error(name, "a path or glob pattern, or a non-empty list of them", got=value)
        return tuple(_absolute(self.file, v) for v in items)

    def path(self, name: str) -> Path | None:
        value = self.string(name)
        return None if value is None else Path(_absolute(self.file, value))


def _absolute(file: Path, relative: str) -> str:
    p = Path(relative).expanduser()
    return str(p if p.is_absolute() else file.parent / p)

