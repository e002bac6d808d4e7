"""The beamtime configuration as the code uses it: frozen dataclasses, one per section of the file.

:class:`BeamtimeConfig` holds an :class:`InstrumentConfig`, an :class:`AbsoluteConfig`, the
:class:`BlankConfig` and :class:`SampleConfig` tables, a :class:`FitConfig` and the
:class:`SeriesConfig` list. They are built, validated and with absolute paths, by
:func:`saxs.config.load_beamtime` (the file layout is described there); this module only defines them.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from . import defaults

#: Analyses of a series: quantized radius steps or Bragg peaks.
ANALYSES = ("steps", "peaks")
#: What a sample's own analysis is: a sphere fit (size distribution) or Bragg peaks only.
SAMPLE_ANALYSES = ("sizes", "peaks")
#: Absolute-intensity standards a beamtime may measure (``[absolute] standard``).
STANDARDS = ("srm3600", "water")


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

