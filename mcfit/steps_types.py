"""Types of the series step analysis (:func:`mcfit.steps.analyse_series`): its inputs and results.

Frozen dataclasses only: :class:`SeriesMember` (one fitted curve: populations, histogram, data),
:class:`SeriesSettings` (the thresholds), and the results (:class:`Family`, :class:`MixtureTest`,
:class:`Shoulder`, :class:`Step`, :class:`MemberSummary`, :class:`SeriesResult`). How a result is
written (JSON, HDF5, text) is in :mod:`mcfit.steps_store`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import steps_store

#: Member states.
STATE_FAMILY = "family"          #: dominant population belongs to a family
STATE_MIXTURE = "mixture"        #: explained as a mixture of two families (a shoulder)
STATE_CONTINUOUS = "continuous"  #: broad and outside every family's band
STATE_EMPTY = "empty"            #: no population (nothing stood above the observability limit)


# --------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------

def _readonly(values, name):
    if values is None:
        return None
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"the parameter `{name}` must be one-dimensional; got shape {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class MemberPopulation:
    """One population (mode) of a fitted size distribution.

    Attributes
    ----------
    mean_nm, mean_nm_std : float
        Volume-weighted mean radius and its uncertainty over repetitions, nm.
    width_nm : float
        Standard deviation of the radius within the population, nm.
    volume_fraction, volume_fraction_std : float
        Volume fraction (absolute or relative; only ratios between populations are used).
    """

    mean_nm: float
    mean_nm_std: float
    width_nm: float
    volume_fraction: float
    volume_fraction_std: float = 0.0

    @property
    def rel_width(self) -> float:
        """Width over mean radius (dimensionless)."""
        return self.width_nm / self.mean_nm if self.mean_nm > 0 else math.inf


@dataclass(frozen=True)
class MemberHistogram:
    """A volume-weighted size histogram: radius bin edges (m+1,), nm; volume fraction mean/std (m,).

    ``observability`` (m,) is the minimum volume fraction each bin could show (optional).
    """

    radius_edges_nm: np.ndarray
    volume_fraction: np.ndarray
    volume_fraction_std: np.ndarray
    observability: np.ndarray | None = None

    def __post_init__(self):
        for name in ("radius_edges_nm", "volume_fraction", "volume_fraction_std", "observability"):
            object.__setattr__(self, name, _readonly(getattr(self, name), name))
        m = self.volume_fraction.size
        if self.radius_edges_nm.size != m + 1 or self.volume_fraction_std.size != m or (
                self.observability is not None and self.observability.size != m):
            raise ValueError(f"the parameter `radius_edges_nm` must have one more value ({m + 1}) than "
                             f"`volume_fraction` and `volume_fraction_std`/`observability` {m}; got "
                             f"{self.radius_edges_nm.size}, {self.volume_fraction_std.size}")


@dataclass(frozen=True)
class SeriesMember:
    """One fitted curve of a series, as the step analysis needs it.

    Attributes
    ----------
    value : float
        Series variable (temperature in C, time in s, ...).
    label : str
        Name shown in reports (e.g. the fit file).
    populations : tuple of MemberPopulation
        Populations of the fitted distribution (may be empty).
    histogram : MemberHistogram or None
        The averaged histogram (for the figure).
    q_nm, intensity, sigma : ndarray, shape (n,), or None
        The data as fitted (1/nm; intensity and sigma in the same unit). Needed for the mixture test.
    contrast_1e6_per_A2 : float
        Contrast used for the model curves (only scales the fitted fractions; ratios do not depend on it).
    """

    value: float
    label: str
    populations: tuple = ()
    histogram: MemberHistogram | None = None
    q_nm: np.ndarray | None = None
    intensity: np.ndarray | None = None
    sigma: np.ndarray | None = None
    contrast_1e6_per_A2: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "populations", tuple(self.populations))
        for name in ("q_nm", "intensity", "sigma"):
            object.__setattr__(self, name, _readonly(getattr(self, name), name))
        given = [getattr(self, n) is not None for n in ("q_nm", "intensity", "sigma")]
        if any(given) and not all(given):
            raise ValueError(f"member {self.label!r}: `q_nm`, `intensity` and `sigma` go together")
        if all(given) and not (self.q_nm.size == self.intensity.size == self.sigma.size):
            raise ValueError(f"member {self.label!r}: `q_nm`, `intensity`, `sigma` differ in length")

    @property
    def has_data(self) -> bool:
        """Whether the fitted data are available (the mixture test needs them)."""
        return self.q_nm is not None

    @property
    def dominant(self) -> MemberPopulation | None:
        """The population with the largest volume fraction (None if there is none)."""
        if not self.populations:
            return None
        return max(self.populations, key=lambda p: p.volume_fraction)


@dataclass(frozen=True)
class SeriesSettings:
    """Thresholds of the analysis (recorded with every result).

    Attributes
    ----------
    radius_tolerance_rel : float
        Narrow radii closer than this fraction of the radius belong to one family (0.02 = 2 %).
    max_family_rel_width : float
        A population is narrow (a candidate magic size) when width/mean <= this.
    band_widths : float
        Half-width of a family's band in units of the family's population width.
    min_shoulder_fraction : float
        Smallest volume share of the lesser family for a shoulder.
    significance : float
        Both mixture fractions must exceed this many standard deviations.
    chi2_ratio_max : float or None
        Mixture accepted when reduced chi2(mixture) <= this * reduced chi2(single population);
        None: ``1 + 2 sqrt(2 / dof)`` (two standard deviations of a reduced chi-square).
    """

    radius_tolerance_rel: float = 0.02
    max_family_rel_width: float = 0.06
    band_widths: float = 1.0
    min_shoulder_fraction: float = 0.15
    significance: float = 3.0
    chi2_ratio_max: float | None = None

    def __post_init__(self):
        for name in ("radius_tolerance_rel", "max_family_rel_width", "band_widths", "min_shoulder_fraction",
                     "significance"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"the parameter `{name}` must be a positive number; got {v!r}")
        if self.min_shoulder_fraction >= 0.5:
            raise ValueError(f"the parameter `min_shoulder_fraction` must be < 0.5; got {self.min_shoulder_fraction}")
        if self.chi2_ratio_max is not None and not (math.isfinite(self.chi2_ratio_max) and self.chi2_ratio_max >= 1):
            raise ValueError(f"the parameter `chi2_ratio_max` must be >= 1 or None; got {self.chi2_ratio_max!r}")


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """A magic size: narrow populations recurring at one radius.

    ``members``: series values where this family dominates (including mixtures where it is the
    larger share); ``standalone_members``: values whose narrow dominant population defines the
    radius; ``shoulder_at``: values where it appears as the lesser share.
    """

    index: int
    radius_nm: float
    radius_nm_std: float
    width_nm: float
    members: tuple
    standalone_members: tuple
    shoulder_at: tuple = ()

    @property
    def rel_width(self) -> float:
        return self.width_nm / self.radius_nm

    def band_nm(self, settings: SeriesSettings) -> float:
        """Half-width of the band around the radius within which a population belongs here, nm."""
        return max(settings.band_widths * self.width_nm, settings.radius_tolerance_rel * self.radius_nm)


@dataclass(frozen=True)
class MixtureTest:
    """Outcome of testing one member as a mixture of two neighbouring families.

    ``fractions``/``fraction_stds``: relative volume shares of (lower, upper) family; the standard
    deviation combines the least-squares covariance (scaled by the reduced chi-square when above 1)
    with the change of the share when either family radius moves by its standard deviation;
    ``volume_fractions``: the fitted absolute amplitudes (volume fraction if the contrast is right);
    ``chi2_red_mixture`` (3 linear parameters) vs ``chi2_red_single`` (a gaussian population with
    fitted radius and width, scale and background: 4 parameters).
    """

    at: float
    label: str
    radii_nm: tuple
    fractions: tuple
    fraction_stds: tuple
    volume_fractions: tuple
    background: float
    chi2_red_mixture: float
    chi2_red_single: float
    chi2_ratio_max: float
    single_radius_nm: float
    single_rel_width: float
    accepted: bool
    reason: str


@dataclass(frozen=True)
class Shoulder:
    """A family appearing as the lesser share beside the dominant one."""

    radius_nm: float
    at: float
    family: int
    beside_nm: float
    fraction: float
    fraction_std: float
    evidence: str  # "mixture_fit" (rests on the quantized-growth model) or "population"
    rests_on_quantized_model: bool


@dataclass(frozen=True)
class Step:
    """The dominant family changes between two consecutive members."""

    from_nm: float
    to_nm: float
    between: tuple
    from_family: int
    to_family: int
    rests_on_quantized_model: bool


@dataclass(frozen=True)
class MemberSummary:
    """What the analysis concluded about one member."""

    value: float
    label: str
    state: str
    family: int | None
    dominant_radius_nm: float
    dominant_radius_nm_std: float
    dominant_width_nm: float
    dominant_rel_width: float
    narrow: bool
    n_populations: int


@dataclass(frozen=True)
class SeriesResult:
    """Everything :func:`~mcfit.steps.analyse_series` found; ``to_dict()`` is the JSON summary.

    Members are in series order; ``histograms`` parallels ``members`` (None where absent).
    """

    members: tuple
    families: tuple
    steps: tuple
    shoulders: tuple
    mixture_tests: tuple
    continuous_growth_onset: float | None
    continuous_members: tuple
    model_assumptions: tuple
    settings: SeriesSettings
    histograms: tuple = field(default=(), repr=False)
    series_key: str | None = None

    def to_dict(self) -> dict:
        """The JSON summary (``families``, ``steps``, ``shoulders``, ``continuous_growth_onset`` + details)."""
        return steps_store.result_to_dict(self)

    def to_json(self) -> str:
        """``to_dict()`` as JSON text (NaN/inf as null)."""
        return steps_store.result_to_json(self)

    def to_hdf5(self, group) -> None:
        """Write the result into an h5py group (an ``NXprocess``); layout: :func:`mcfit.steps_store.write_result_hdf5`."""
        steps_store.write_result_hdf5(self, group)

    def report(self) -> str:
        """A short text report."""
        return steps_store.result_report(self)
