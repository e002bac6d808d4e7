"""The beamtime file (``beamtime.toml``): read, migrate to the current version, validate.

A beamtime file describes one experiment folder: the instrument calibration files, how to put the
intensity on the absolute scale, the blanks, the samples (raw files by glob, their blanks,
thickness and series metadata such as nucleation temperature or reaction time), the fit settings
and the series to analyse. Paths are relative to the TOML file's folder; ``files`` entries may be
glob patterns (expanded by :meth:`BeamtimeConfig.resolve`, sorted, so every run sees the same
order).

Layout (version 1)::

    version = 1
    title = "Simulated CdSe beamtime"

    [instrument]                       # every key optional (npt, dark_statistic: saxs/defaults.py)
    poni = "calibrations/geometry.poni"
    mask = "calibrations/mask.edf"
    dark = "raw/dark_eiger2_*.h5"      # a pattern or a list of patterns
    flat = "calibrations/flat.edf"
    empty_beam = "raw/empty_beam_eiger2_4m_bin8_00001_00.h5"  # LIMA file, scalers file beside it
    npt = 400
    monitor = "counters"               # or "none": reduce without monitors (divide by the exposure time)

    [absolute]                         # optional: either a stored calibration ...
    calibration = "calibrations/absolute.toml"
    # ... or a standard measured in this beamtime
    standard_file = "raw/glassy_carbon.h5"     # a BLISS master file
    standard = "srm3600"               # or "water"
    standard_thickness_mm = 1.055
    standard_empty = "empty_capillary" # a blank name (optional)

    [blanks.solvent_ode]
    files = ["raw/solvent_ode_eiger2_*.h5"]
    empty = "empty_capillary"          # optional: a blank name (the capillary under this blank)
    thickness_mm = 1.5                 # optional
    # (a blank's empty and thickness describe it; the batch subtracts each sample's own
    #  solvent/empty and does not need the solvent's net scattering)

    [[samples]]
    name = "cdse_T190"
    files = ["raw/cdse_T190.h5"]       # a BLISS master file (or LIMA files with scalers files), or reduced curves: ID02's own "*_ave.h5"
                                       # (dahu, ewoksid02) or a 1-D NXdata, screened and averaged
                                       # like ours (blanks' files alike; see saxs.id02.processed)
    solvent = "solvent_ode"            # optional: a blank name
    empty = "empty_capillary"          # optional: a blank name
    thickness_mm = 1.5
    analysis = "sizes"                 # optional: "sizes" (sphere fit) or "peaks" (Bragg peaks only);
                                       # default "peaks" for a sample only in peaks series, else "sizes"
    fit = true                         # optional: force (true) or skip (false) the sphere fit
    [samples.metadata]                 # numbers or strings; series are ordered by one of them
    nucleation_temperature_C = 190.0

    [fit]                              # optional; unset keys take saxs/defaults.py (as saxs fit)
    q_range_nm = [0.3, 6.0]
    radius_range_nm = [0.3, 4.0]
    contributions = 300
    repetitions = 10
    seed = 20261124
    contrast_sld = 34.4                # 1e-6 1/A^2
    bins = 60
    max_steps = 200000                 # optional: proposals per repetition at most
    poor_fit_chi2_reduced = 3.0        # poor fit: chi2_r against the data's own sigma above this ...
    poor_fit_durbin_watson = 1.0       # ... and residuals' Durbin-Watson below this (mcfit.quality)

    [[sample_rules]]                   # optional: samples found from the raw files (saxs/sample_rules.py)
    files = "raw/*.h5"
    pattern = 'cdse_T(?P<nucleation_temperature_C>\\d+)\\.h5'   # named groups: name and metadata
    solvent = "solvent_ode"            # (and master keys: [sample_rules.master] key = "path/in/scan")

    [[series]]
    name = "nucleation_temperature"
    by = "nucleation_temperature_C"    # a metadata key every matched sample has
    samples = ["cdse_T*"]              # sample names or fnmatch patterns
    analysis = "steps"                 # or "peaks"

Versions: version 0 is the layout written before the ``version`` key existed (samples as
``[samples.NAME]`` tables, ``fit.q_min_nm`` / ``fit.q_max_nm``); :mod:`saxs.config_migrate`
turns it into version 1. A file newer than :data:`CURRENT_VERSION` is refused.

Every problem raises :class:`saxs.errors.InputError` naming the file, the key (as a TOML path,
e.g. ``samples[2].thickness_mm``) and what was expected.

This module reads and validates the file, section by section (:func:`load_beamtime`,
:func:`parse_beamtime`); the dataclasses it builds are defined in :mod:`saxs.config_schema`, the
per-table checks in :mod:`saxs.config_table`, the version migrations in :mod:`saxs.config_migrate`.
Every name of ``__all__`` is importable from here.
"""

from __future__ import annotations

import fnmatch
import math
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from . import defaults
from .config_migrate import CURRENT_VERSION, migrate
from .config_schema import (ANALYSES, SAMPLE_ANALYSES, STANDARDS, AbsoluteConfig, BeamtimeConfig, BlankConfig,
                            FitConfig, InstrumentConfig, SampleConfig, SeriesConfig)
from .config_table import NAME_RE, TomlTable
from .errors import InputError

__all__ = ["load_beamtime", "parse_beamtime", "migrate", "CURRENT_VERSION", "ANALYSES", "SAMPLE_ANALYSES",
           "STANDARDS", "BeamtimeConfig", "InstrumentConfig", "AbsoluteConfig", "BlankConfig", "SampleConfig",
           "FitConfig", "SeriesConfig"]


# --------------------------------------------------------------------------- sections
def _instrument(doc, file) -> InstrumentConfig:
    t = TomlTable(doc.get("instrument", {}), file, "instrument", ("poni", "mask", "dark", "flat", "empty_beam", "npt",
                                                                  "dark_statistic", "monitor"))
    empty = t.patterns("empty_beam", required=False)
    if len(empty) > 1:
        raise t.error("empty_beam", "one path or glob pattern", got=t.data["empty_beam"])
    return InstrumentConfig(
        poni=t.path("poni"), mask=t.path("mask"), dark=t.patterns("dark", required=False), flat=t.path("flat"),
        empty_beam=empty[0] if empty else None, npt=t.integer("npt", defaults.NPT, minimum=10),
        dark_statistic=t.string("dark_statistic", choices=defaults.DARK_STATISTICS) or defaults.DARK_STATISTIC,
        monitor=t.string("monitor", choices=("counters", "none")) or "counters",
    )


def _absolute_section(doc, file) -> AbsoluteConfig:
    t = TomlTable(doc.get("absolute", {}), file, "absolute",
               ("calibration", "standard_file", "standard", "standard_thickness_mm", "standard_empty"))
    calibration = t.path("calibration")
    standard_file = t.patterns("standard_file", required=False)
    if len(standard_file) > 1:
        raise t.error("standard_file", "one path or glob pattern", got=t.data["standard_file"])
    if calibration is not None and standard_file:
        raise t.error("calibration", "either 'calibration' or 'standard_file', not both")
    standard = t.string("standard", choices=STANDARDS)
    thickness = t.number("standard_thickness_mm", None, positive=True)
    if standard_file and standard is None:
        raise t.error("standard", f"one of {', '.join(STANDARDS)} (required with standard_file)")
    if standard_file and thickness is None:
        raise t.error("standard_thickness_mm", "a positive number in mm (required with standard_file)")
    return AbsoluteConfig(calibration=calibration, standard_file=standard_file[0] if standard_file else None,
                          standard=standard, standard_thickness_mm=thickness,
                          standard_empty=t.name("standard_empty", required=False))


def _blanks(doc, file) -> dict[str, BlankConfig]:
    section = doc.get("blanks", {})
    if not isinstance(section, dict):
        raise InputError(file, "blanks", "a table of blank tables ([blanks.NAME])", got=type(section).__name__)
    blanks = {}
    for name, body in section.items():
        if not NAME_RE.match(name):
            raise InputError(file, f"blanks.{name}", "a name of letters, digits, '_', '.', '+' or '-'")
        t = TomlTable(body, file, f"blanks.{name}", ("files", "empty", "thickness_mm"))
        blanks[name] = BlankConfig(name=name, files=t.patterns("files", required=True),
                                   empty=t.name("empty", required=False),
                                   thickness_mm=t.number("thickness_mm", None, positive=True))
    return blanks


def _metadata(body, file, where) -> dict:
    if not isinstance(body, dict):
        raise InputError(file, where, "a table of numbers or strings", got=type(body).__name__)
    out = {}
    for key, value in body.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InputError(file, f"{where}.{key}", "a number or a string", got=value)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(file, f"{where}.{key}", "a finite number", got=value)
        out[key] = float(value) if isinstance(value, int) else value
    return out


def _samples(doc, file, *, allow_none: bool = False) -> tuple[SampleConfig, ...]:
    section = doc.get("samples", [] if allow_none else None)
    if not isinstance(section, list) or not (section or allow_none):
        raise InputError(file, "samples", "at least one [[samples]] table", got=None if section is None else section)
    samples, seen = [], set()
    for k, body in enumerate(section):
        t = TomlTable(body, file, f"samples[{k}]", ("name", "files", "solvent", "empty", "thickness_mm", "volume_fraction",
                                                           "metadata", "analysis", "fit"))
        name = t.name("name")
        if name in seen:
            raise t.error("name", "a name not used by another sample", got=name)
        seen.add(name)
        samples.append(SampleConfig(
            name=name, files=t.patterns("files", required=True), solvent=t.name("solvent", required=False),
            empty=t.name("empty", required=False), thickness_mm=t.number("thickness_mm", None, positive=True),
            metadata=_metadata(t.data.get("metadata", {}), file, f"samples[{k}].metadata"),
            volume_fraction=_volume_fraction(t),
            # resolved against the series in _sample_analyses (None: not given in the file)
            analysis=t.string("analysis", choices=SAMPLE_ANALYSES), fit=_boolean(t, "fit"),
        ))
    return tuple(samples)


def _boolean(t, name: str) -> bool | None:
    if name not in t.data:
        return None
    value = t.data[name]
    if not isinstance(value, bool):
        raise t.error(name, "true or false", got=value)
    return value


def _sample_analyses(samples, series) -> tuple[SampleConfig, ...]:
    """Resolve each sample's ``analysis`` (default from its series' kinds) and ``fit``."""
    out = []
    for s in samples:
        analysis = s.analysis
        if analysis is None:
            kinds = {x.analysis for x in series if s.name in x.samples}
            analysis = "peaks" if kinds == {"peaks"} else "sizes"
        fit = s.fit if s.fit is not None else analysis == "sizes"
        out.append(replace(s, analysis=analysis, fit=fit))
    return tuple(out)


def _volume_fraction(t) -> float | None:
    value = t.number("volume_fraction", None)
    if value is not None and not 0.0 <= value < 1.0:
        raise t.error("volume_fraction", "a volume fraction in [0, 1)", got=value)
    return value


def _fit(doc, file) -> FitConfig:
    t = TomlTable(doc.get("fit", {}), file, "fit", ("q_range_nm", "radius_range_nm", "contributions", "repetitions",
                                                 "seed", "contrast_sld", "bins", "max_steps",
                                                 "poor_fit_chi2_reduced", "poor_fit_durbin_watson"))
    d = FitConfig()
    return FitConfig(
        q_range_nm=t.number_range("q_range_nm", d.q_range_nm),
        radius_range_nm=t.number_range("radius_range_nm", d.radius_range_nm),
        contributions=t.integer("contributions", d.contributions, minimum=1),
        repetitions=t.integer("repetitions", d.repetitions, minimum=1),
        seed=t.integer("seed", d.seed, minimum=0),
        contrast_sld=t.number("contrast_sld", d.contrast_sld, positive=True),
        bins=t.integer("bins", d.bins, minimum=2),
        max_steps=t.integer("max_steps", d.max_steps, minimum=1),
        poor_fit_chi2_reduced=t.number("poor_fit_chi2_reduced", d.poor_fit_chi2_reduced, positive=True),
        poor_fit_durbin_watson=t.number("poor_fit_durbin_watson", d.poor_fit_durbin_watson, positive=True),
    )


def _series(doc, file, samples: tuple[SampleConfig, ...], *, allow_empty: bool = False) -> tuple[SeriesConfig, ...]:
    section = doc.get("series", [])
    if not isinstance(section, list):
        raise InputError(file, "series", "an array of [[series]] tables", got=type(section).__name__)
    out, seen = [], set()
    for k, body in enumerate(section):
        t = TomlTable(body, file, f"series[{k}]", ("name", "by", "samples", "analysis"))
        name = t.name("name")
        if name in seen:
            raise t.error("name", "a name not used by another series", got=name)
        seen.add(name)
        by = t.string("by", required=True)
        patterns = t.data.get("samples")
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
            raise t.error("samples", "a list of sample names or patterns", got=t.data.get("samples"))
        members = [s for s in samples if any(fnmatch.fnmatchcase(s.name, p) for p in patterns)]
        if not members and not allow_empty:  # with sample rules, members may not have been measured yet
            raise t.error("samples", "patterns matching at least one sample name", got=patterns)
        for s in members:
            if by not in s.metadata:
                raise t.error("by", f"a metadata key of every member sample (sample '{s.name}' has "
                              f"{', '.join(s.metadata) or 'no metadata'})", got=by)
        kinds = {type(s.metadata[by]) for s in members}
        if len(kinds) > 1:
            raise t.error("by", f"a key whose value has the same type (number or string) for every member", got=by)
        members.sort(key=lambda s: (s.metadata[by], s.name))
        out.append(SeriesConfig(name=name, by=by, samples=tuple(s.name for s in members),
                                analysis=t.string("analysis", choices=ANALYSES) or "steps"))
    return tuple(out)


def _check_blank_references(file, blanks, samples, absolute) -> None:
    def check(where, ref):
        if ref is not None and ref not in blanks:
            expected = f"the name of a [blanks.NAME] table ({', '.join(blanks) or 'none defined'})"
            raise InputError(file, where, expected, got=ref)

    for name, blank in blanks.items():
        check(f"blanks.{name}.empty", blank.empty)
        if blank.empty == name:
            raise InputError(file, f"blanks.{name}.empty", "another blank than itself", got=name)
    for k, s in enumerate(samples):
        check(f"samples[{k}].solvent", s.solvent)
        check(f"samples[{k}].empty", s.empty)
    check("absolute.standard_empty", absolute.standard_empty)


# --------------------------------------------------------------------------- entry points
def parse_beamtime(doc: Mapping[str, Any], path) -> BeamtimeConfig:
    """Validate a parsed document (any supported version) read from ``path``.

    Parameters
    ----------
    doc : mapping
        Parsed TOML.
    path : str or os.PathLike
        The file it came from: relative paths are resolved against its folder.

    Returns
    -------
    BeamtimeConfig
    """
    file = Path(path).absolute()
    version = doc.get("version", 0)
    doc = migrate(doc, file=file)
    TomlTable(doc, file, "", ("version", "title", "instrument", "absolute", "blanks", "samples", "fit", "series",
                           "sample_rules"))
    title = doc.get("title", "")
    if not isinstance(title, str):
        raise InputError(file, "title", "a string", got=title)
    instrument = _instrument(doc, file)
    absolute = _absolute_section(doc, file)
    blanks = _blanks(doc, file)
    rules = doc.get("sample_rules")
    if rules is not None:  # samples found from the files there now (saxs.sample_rules)
        doc = {**doc, "samples": list(doc.get("samples", [])) + _ruled_samples(doc, file, instrument, absolute,
                                                                                blanks)}
    samples = _samples(doc, file, allow_none=rules is not None)
    _check_blank_references(file, blanks, samples, absolute)
    series = _series(doc, file, samples, allow_empty=rules is not None)
    return BeamtimeConfig(path=file, version=version, title=title, instrument=instrument, absolute=absolute,
                          blanks=blanks, samples=_sample_analyses(samples, series), fit=_fit(doc, file),
                          series=series, has_rules=rules is not None)


def _ruled_samples(doc, file, instrument, absolute, blanks) -> list[dict]:
    from .sample_rules import samples_from_rules

    taken = [p for b in blanks.values() for p in b.files] + list(absolute.standard_file or ())
    taken += list(instrument.dark or ()) + ([instrument.empty_beam] if instrument.empty_beam else [])
    return samples_from_rules(doc["sample_rules"], file, listed_tables=doc.get("samples", []), taken=taken)


def load_beamtime(path) -> BeamtimeConfig:
    """Read, migrate and validate a beamtime TOML file.

    Parameters
    ----------
    path : str or os.PathLike
        The ``beamtime.toml``.

    Returns
    -------
    BeamtimeConfig
        Frozen, validated, current-version configuration; paths absolute.

    Raises
    ------
    InputError
        Naming the file, the key and what was expected.

    Examples
    --------
    >>> cfg = load_beamtime("demo/beamtime.toml")        # doctest: +SKIP
    >>> [s.name for s in cfg.samples][:2]                  # doctest: +SKIP
    ['cdse_T190', 'cdse_T200']
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, "file", "a readable beamtime TOML file", got=exc.strerror) from exc
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, "file", "UTF-8 text", got=f"byte {exc.start}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "TOML syntax", "valid TOML", got=str(exc)) from exc
    return parse_beamtime(doc, path)

