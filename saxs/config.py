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
``[samples.NAME]`` tables, ``fit.q_min_nm`` / ``fit.q_max_nm``); :func:`_migrate_v0_to_v1`
turns it into version 1. A file newer than :data:`CURRENT_VERSION` is refused.

Every problem raises :class:`saxs.errors.InputError` naming the file, the key (as a TOML path,
e.g. ``samples[2].thickness_mm``) and what was expected.
"""

from __future__ import annotations

import difflib
import fnmatch
import glob
import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from . import defaults
from .errors import InputError
from .limits import LIMITS

#: The beamtime file version this code writes and reads natively.
CURRENT_VERSION = 1

#: Names of samples, blanks and series become file names: keep them simple.
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")

ANALYSES = ("steps", "peaks")
#: What a sample's own analysis is: a sphere fit (size distribution) or Bragg peaks only.
SAMPLE_ANALYSES = ("sizes", "peaks")
STANDARDS = ("srm3600", "water")


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class InstrumentConfig:
    """Calibration files shared by every measurement (paths absolute, patterns absolute).

    Attributes
    ----------
    poni : Path or None
        pyFAI PONI file; ``None``: geometry from each raw file's header.
    mask, flat : Path or None
        Mask and flat-field images.
    dark : tuple of str
        Absolute glob patterns of the dark frames (median of the stack); empty: no dark.
    empty_beam : str or None
        Absolute glob pattern of the empty-beam measurement used for transmissions.
    npt : int
        Number of integration points (default :data:`saxs.defaults.NPT`, as ``saxs reduce``).
    dark_statistic : str
        ``"median"`` or ``"clipped_mean"`` of the dark stack (default
        :data:`saxs.defaults.DARK_STATISTIC`, as ``saxs reduce``); the median of a few
        low-count Poisson darks is biased low (see :func:`saxs.integrate.read_dark`).
    monitor : str
        ``"counters"`` (default: the monitor counters of the master file or the scalers file; a
        file without them is an error) or ``"none"`` (reduce unnormalised, like ``--no-monitor``).
    """

    poni: Path | None = None
    mask: Path | None = None
    dark: tuple[str, ...] = ()
    flat: Path | None = None
    empty_beam: str | None = None
    npt: int = defaults.NPT
    dark_statistic: str = defaults.DARK_STATISTIC
    monitor: str = "counters"


@dataclass(frozen=True)
class AbsoluteConfig:
    """How intensities are put on the absolute scale (1/cm).

    Exactly one of ``calibration`` (a stored calibration file) or ``standard_file`` (a standard
    measured in this beamtime) is set; both ``None`` means the intensities stay arbitrary.
    """

    calibration: Path | None = None
    standard_file: str | None = None
    standard: str | None = None
    standard_thickness_mm: float | None = None
    standard_empty: str | None = None

    @property
    def enabled(self) -> bool:
        """True when the intensities are put on the absolute scale."""
        return self.calibration is not None or self.standard_file is not None


@dataclass(frozen=True)
class BlankConfig:
    """A blank measurement (solvent in the capillary, empty capillary).

    Attributes
    ----------
    name : str
        Name the samples refer to.
    files : tuple of str
        Absolute glob patterns of its raw files.
    empty : str or None
        Name of the blank subtracted from this one (e.g. the empty capillary under the solvent).
    thickness_mm : float or None
        Thickness of the blank's contents, mm.
    """

    name: str
    files: tuple[str, ...]
    empty: str | None = None
    thickness_mm: float | None = None


@dataclass(frozen=True)
class SampleConfig:
    """One sample: raw files, blanks, thickness and the metadata that orders series.

    Attributes
    ----------
    name : str
        Unique sample name (used for output file names).
    files : tuple of str
        Absolute glob patterns of its raw files.
    solvent, empty : str or None
        Names of the blanks subtracted from it.
    thickness_mm : float or None
        Sample thickness, mm (needed for the absolute scale).
    volume_fraction : float or None
        Particle volume fraction, when known from the synthesis: the solvent blank is then scaled
        by ``1 - volume_fraction`` (solvent displacement) before it is subtracted.
    metadata : Mapping[str, float | str]
        E.g. ``nucleation_temperature_C``, ``reaction_time_s``.
    analysis : str
        ``"sizes"`` (a sphere fit gives the size distribution) or ``"peaks"`` (Bragg peaks only: a
        mesophase has no particles to size). Default: ``"peaks"`` for a sample that belongs to
        ``peaks`` series only, else ``"sizes"``.
    fit : bool
        Whether the batch fits spheres to this sample: ``analysis == "sizes"`` unless the file says
        ``fit = true`` (force a fit of a peaks sample) or ``fit = false``.
    """

    name: str
    files: tuple[str, ...]
    solvent: str | None = None
    empty: str | None = None
    thickness_mm: float | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    volume_fraction: float | None = None
    analysis: str = "sizes"
    fit: bool = True

    def __post_init__(self):
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def blanks(self) -> tuple[str, ...]:
        """Names of the blanks this sample needs (solvent first)."""
        return tuple(b for b in (self.solvent, self.empty) if b is not None)


@dataclass(frozen=True)
class FitConfig:
    """Monte Carlo sphere-fit settings (see :mod:`mcfit`).

    Attributes
    ----------
    q_range_nm : (float, float) or None
        Fitted q range, 1/nm; None (the default, as ``saxs fit``): the whole curve.
    radius_range_nm : (float, float) or None
        Radius range of the contributions, nm; None (the default, as ``saxs fit``): pi / q_max to
        pi / q_min of the fitted range.
    contributions, repetitions, bins : int
        Number of spheres per repetition, of independent repetitions, of histogram bins.
    seed : int
        Base seed; each sample's seed is derived from it and the sample name.
    contrast_sld : float
        Scattering length density contrast, 1e-6 1/A^2.
    max_steps : int
        Most Monte Carlo proposals per repetition (a curve spheres cannot describe, such as a
        mesophase with Bragg peaks, runs to this limit).
    poor_fit_chi2_reduced, poor_fit_durbin_watson : float
        Thresholds of the poor-fit rule (:mod:`mcfit.quality`): reduced chi2 against the data's
        own sigma above the first and residuals' Durbin-Watson statistic below the second.
    """

    q_range_nm: tuple[float, float] | None = defaults.FIT_Q_RANGE_NM
    radius_range_nm: tuple[float, float] | None = defaults.FIT_RADIUS_RANGE_NM
    contributions: int = defaults.FIT_CONTRIBUTIONS
    repetitions: int = defaults.FIT_REPETITIONS
    seed: int = 20261124
    contrast_sld: float = 34.4
    bins: int = defaults.FIT_BINS
    max_steps: int = defaults.FIT_MAX_STEPS
    poor_fit_chi2_reduced: float = defaults.POOR_FIT_CHI2_REDUCED
    poor_fit_durbin_watson: float = defaults.POOR_FIT_DURBIN_WATSON


@dataclass(frozen=True)
class SeriesConfig:
    """A series of samples analysed together, ordered by one metadata key.

    Attributes
    ----------
    name : str
        Series name (output file names).
    by : str
        Metadata key giving the series variable.
    samples : tuple of str
        Names of the member samples, resolved from the patterns, ordered by ``by``.
    analysis : str
        ``"steps"`` (quantized radii) or ``"peaks"`` (mesophase tracking).
    """

    name: str
    by: str
    samples: tuple[str, ...]
    analysis: str = "steps"


@dataclass(frozen=True)
class BeamtimeConfig:
    """A validated beamtime file (always the current version).

    Attributes
    ----------
    path : Path
        The TOML file (absolute).
    version : int
        Version the file was written in (before migration).
    title : str
    instrument, absolute, fit : see their classes
    blanks : Mapping[str, BlankConfig]
    samples : tuple of SampleConfig, in file order
    series : tuple of SeriesConfig
    has_rules : bool
        The file has ``[[sample_rules]]`` (:mod:`saxs.sample_rules`): its samples depend on the files
        there when it was read (a watch reads it again every cycle).
    """

    path: Path
    version: int
    title: str
    instrument: InstrumentConfig
    absolute: AbsoluteConfig
    blanks: Mapping[str, BlankConfig]
    samples: tuple[SampleConfig, ...]
    fit: FitConfig
    series: tuple[SeriesConfig, ...]
    has_rules: bool = False

    def __post_init__(self):
        object.__setattr__(self, "blanks", MappingProxyType(dict(self.blanks)))

    @property
    def base_dir(self) -> Path:
        """Folder relative paths in the file are resolved against."""
        return self.path.parent

    def sample(self, name: str) -> SampleConfig:
        """The sample called ``name`` (KeyError if none)."""
        for s in self.samples:
            if s.name == name:
                return s
        raise KeyError(name)

    @staticmethod
    def resolve(patterns) -> tuple[Path, ...]:
        """Expand absolute glob patterns into the sorted, de-duplicated files that exist now."""
        if isinstance(patterns, str):
            patterns = (patterns,)
        found: dict[str, None] = {}
        for pattern in patterns:
            if glob.has_magic(pattern):
                for hit in sorted(glob.glob(pattern)):
                    found.setdefault(hit, None)
            elif Path(pattern).exists():
                found.setdefault(pattern, None)
        return tuple(Path(p) for p in found)


# --------------------------------------------------------------------------- migrations
def _migrate_v0_to_v1(doc: dict) -> dict:
    """Version 0 (no ``version`` key) -> 1.

    Version 0 wrote samples as tables keyed by name (``[samples.cdse_T190]``) and the fitted q
    range as ``fit.q_min_nm`` / ``fit.q_max_nm``. Version 1 uses an array of tables with a
    ``name`` key and ``fit.q_range_nm = [min, max]``.
    """
    doc = dict(doc)
    samples = doc.get("samples")
    if isinstance(samples, dict):
        doc["samples"] = [{"name": name, **dict(body)} if isinstance(body, dict) else body
                          for name, body in samples.items()]
    fit = doc.get("fit")
    if isinstance(fit, dict) and ("q_min_nm" in fit or "q_max_nm" in fit):
        fit = dict(fit)
        # a missing bound is open (the data's end), as the whole curve is the default range
        q_min = fit.pop("q_min_nm", 1e-9)
        q_max = fit.pop("q_max_nm", 1e9)
        fit["q_range_nm"] = [q_min, q_max]
        doc["fit"] = fit
    doc["version"] = 1
    return doc


#: ``version -> function`` turning a document of that version into the next one.
_MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _migrate_v0_to_v1}


def migrate(doc: Mapping[str, Any], *, file=None) -> dict:
    """Bring a parsed beamtime document to :data:`CURRENT_VERSION`, one explicit step at a time.

    Parameters
    ----------
    doc : mapping
        The parsed TOML document; no ``version`` key means version 0.
    file : path, optional
        Named in error messages.

    Returns
    -------
    dict
        The document in the current version (``doc["version"] == CURRENT_VERSION``).
    """
    doc = dict(doc)
    version = doc.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise InputError(file, "version", f"an integer from 0 to {CURRENT_VERSION}", got=version)
    if version > CURRENT_VERSION:
        raise InputError(file, "version", f"at most {CURRENT_VERSION} (this saxs-insitu reads beamtime files "
                         f"up to version {CURRENT_VERSION}; upgrade saxs-insitu)", got=version)
    while version < CURRENT_VERSION:
        doc = _MIGRATIONS[version](doc)
        version += 1
        doc["version"] = version
    return doc


# --------------------------------------------------------------------------- validation helpers
class _Table:
    """A TOML table being validated: knows its file and key path, rejects unknown keys."""

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
        if value is not None and not _NAME_RE.match(value):
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


# --------------------------------------------------------------------------- sections
def _instrument(doc, file) -> InstrumentConfig:
    t = _Table(doc.get("instrument", {}), file, "instrument", ("poni", "mask", "dark", "flat", "empty_beam", "npt",
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
    t = _Table(doc.get("absolute", {}), file, "absolute",
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
        if not _NAME_RE.match(name):
            raise InputError(file, f"blanks.{name}", "a name of letters, digits, '_', '.', '+' or '-'")
        t = _Table(body, file, f"blanks.{name}", ("files", "empty", "thickness_mm"))
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
        t = _Table(body, file, f"samples[{k}]", ("name", "files", "solvent", "empty", "thickness_mm", "volume_fraction",
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
    t = _Table(doc.get("fit", {}), file, "fit", ("q_range_nm", "radius_range_nm", "contributions", "repetitions",
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
        t = _Table(body, file, f"series[{k}]", ("name", "by", "samples", "analysis"))
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
    _Table(doc, file, "", ("version", "title", "instrument", "absolute", "blanks", "samples", "fit", "series",
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
