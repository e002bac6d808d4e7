"""Sample rules of ``beamtime.toml``: samples found from the raw files rather than listed.

During a beamtime the samples are not all known in advance. A ``[[sample_rules]]`` table says
which raw files are samples and how to read their name, blanks and series metadata from the file
name (a regular expression with named groups) and from the BLISS master file (scan title, sample
name, positioner or temperature-controller values)::

    [[sample_rules]]
    files = "raw/*.h5"                                # glob pattern(s) of candidate files
    pattern = 'cdse_T(?P<nucleation_temperature_C>\\d+)_t(?P<reaction_time_s>[\\d.]+)s\\.h5'
    name = "cdse_T{nucleation_temperature_C}_t{reaction_time_s}"   # default: a group called "name",
                                                      # else the file name without .h5
    solvent = "solvent_ode"                           # as in [[samples]]: solvent, empty,
    empty = "empty_capillary"                         # thickness_mm, volume_fraction, analysis, fit
    thickness_mm = 1.5
    [sample_rules.metadata]                           # fixed metadata of every matched sample
    reaction_time_s = 7.0
    [sample_rules.master]                             # metadata from the master file's first scan:
    nucleation_temperature_C = "instrument/positioners/reactor_T"  # key = path inside <N>.1
    title = "title"

A named group or master value that reads as a number becomes a number (so a series can order by
it); a 1-D master dataset (a counter) gives its mean. ``pattern`` must match the whole file name.
Each matched file becomes a ``[[samples]]`` table; files giving the same name are one sample;
a file already named by a listed sample, a blank or the standard is left to them, and a listed
sample of the same name wins. A master file that cannot be read yet (being written) is skipped
until it can. The tables then go through the same validation as listed samples.

This module only turns rules into sample tables (plain dicts); :mod:`saxs.config` validates them.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path
from typing import Any

from .errors import InputError

RULE_KEYS = ("files", "pattern", "name", "solvent", "empty", "thickness_mm", "volume_fraction", "analysis", "fit",
             "metadata", "master")
_PASSED_ON = ("solvent", "empty", "thickness_mm", "volume_fraction", "analysis", "fit")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _value(text) -> float | str:
    text = text.decode() if isinstance(text, bytes) else str(text)
    return float(text) if _NUMBER.match(text.strip()) else text


def _master_values(path: Path, keys: dict[str, str], file, where: str) -> dict[str, Any] | None:
    """Values of ``keys`` (metadata key -> path in the first scan) of a master file; None if unreadable."""
    import h5py
    import numpy as np

    try:
        with h5py.File(path, "r") as f:
            scans = sorted((k for k in f if re.match(r"^\d+\.1$", k)), key=lambda k: int(k.split(".")[0]))
            if not scans:
                raise InputError(path, f"{where}.master", "a BLISS master file (scans <N>.1)", got="no scan")
            scan = f[scans[0]]
            out = {}
            for key, inside in keys.items():
                item = scan.get(inside)
                if not isinstance(item, h5py.Dataset):
                    raise InputError(path, f"{scans[0]}/{inside}", f"a dataset for {where}.master.{key} "
                                     f"(in {file})", got="missing")
                value = item[()]
                if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size:
                    out[key] = float(np.mean(value))
                elif isinstance(value, (np.integer, np.floating, int, float)):
                    out[key] = float(value)
                else:
                    out[key] = _value(value)
            return out
    except OSError:
        return None  # not readable yet: being written


def _format(template: str, values: dict, file, where: str) -> str:
    def text(v):
        return f"{v:g}" if isinstance(v, float) else str(v)

    try:
        return template.format(**{k: text(v) for k, v in values.items()})
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(file, f"{where}.name", "a template of the pattern's groups and the master keys "
                         f"({', '.join(values) or 'none'})", got=template) from exc


def _claimed(file: Path, listed_tables, taken) -> tuple[set[str], set[str]]:
    """(absolute paths of the files other entries name, names of the listed samples)."""
    patterns = list(taken)
    names = set()
    for s in listed_tables if isinstance(listed_tables, list) else []:
        if isinstance(s, dict):
            names.add(s.get("name"))
            items = s.get("files", [])
            for v in [items] if isinstance(items, str) else items if isinstance(items, list) else []:
                if isinstance(v, str):
                    p = Path(v).expanduser()
                    patterns.append(str(p if p.is_absolute() else file.parent / p))
    claimed = set()
    for pattern in patterns:
        claimed.update(glob.glob(pattern) if glob.has_magic(pattern) else [pattern])
    return claimed, names


def samples_from_rules(rules, file: Path, *, listed_tables=(), taken=()) -> list[dict]:
    """``[[samples]]`` tables made by the ``[[sample_rules]]`` of a beamtime file, from the files there now.

    Parameters
    ----------
    rules : list of dict
        The ``sample_rules`` array of the parsed TOML.
    file : Path
        The beamtime file (relative paths are relative to its folder; errors name it).
    listed_tables : list of dict
        The ``[[samples]]`` tables of the file: their files are left to them, and a rule never makes
        a sample of the same name as one of them.
    taken : sequence of str
        Absolute paths or patterns of the blanks', the standard's, the dark's and the empty beam's files.

    Returns
    -------
    list of dict
        Sample tables with ``files`` as absolute paths (glob-escaped), in name order.
    """
    if not isinstance(rules, list):
        raise InputError(file, "sample_rules", "an array of [[sample_rules]] tables", got=type(rules).__name__)
    claimed, listed = _claimed(file, listed_tables, taken)
    made: dict[str, dict] = {}
    for k, rule in enumerate(rules):
        where = f"sample_rules[{k}]"
        if not isinstance(rule, dict):
            raise InputError(file, where, "a table", got=type(rule).__name__)
        unknown = sorted(set(rule) - set(RULE_KEYS))
        if unknown:
            raise InputError(file, f"{where}.{unknown[0]}", f"one of the keys {', '.join(RULE_KEYS)}", got=unknown[0])
        patterns = rule.get("files")
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise InputError(file, f"{where}.files", "a glob pattern or a list of them (required)", got=rule.get("files"))
        try:
            regex = re.compile(rule.get("pattern", r".*"))
        except (re.error, TypeError) as exc:
            raise InputError(file, f"{where}.pattern", "a regular expression on the file name",
                             got=rule.get("pattern")) from exc
        master = rule.get("master", {})
        if not isinstance(master, dict) or not all(isinstance(v, str) for v in master.values()):
            raise InputError(file, f"{where}.master", "a table of metadata key = path inside the scan group",
                             got=master)
        fixed = rule.get("metadata", {})
        if not isinstance(fixed, dict):
            raise InputError(file, f"{where}.metadata", "a table of numbers or strings", got=fixed)
        template = rule.get("name")
        if template is not None and not isinstance(template, str):
            raise InputError(file, f"{where}.name", "a text template such as \"cdse_T{temperature_C}\"", got=template)
        hits: list[str] = []
        for pattern in patterns:
            p = Path(pattern).expanduser()
            p = p if p.is_absolute() else file.parent / p
            hits += [h for h in sorted(glob.glob(str(p))) if h not in hits]
        for hit in hits:
            path = Path(hit)
            if str(path) in claimed or not path.is_file():
                continue
            match = regex.fullmatch(path.name)
            if match is None:
                continue
            values: dict[str, Any] = {k: _value(v) for k, v in match.groupdict().items() if v is not None}
            if master:
                read = _master_values(path, master, file, where)
                if read is None:
                    continue
                values.update(read)
            if template is not None:
                name = _format(template, values, file, where)
            elif "name" in values:
                name = str(values["name"])
            else:
                name = path.name[:-3] if path.name.endswith(".h5") else path.stem
            name = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
            if name in listed:
                continue
            metadata = {**fixed, **{k: v for k, v in values.items() if k != "name"}}
            table = made.get(name)
            if table is None:
                table = made[name] = {"name": name, "files": [],
                                      **{key: rule[key] for key in _PASSED_ON if key in rule}}
                if metadata:
                    table["metadata"] = metadata
            table["files"].append(glob.escape(str(path)))
    return [made[n] for n in sorted(made)]


__all__ = ["samples_from_rules", "RULE_KEYS"]
