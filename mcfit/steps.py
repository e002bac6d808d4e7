"""Quantized radius steps across a series of fits: magic-size families, steps, shoulders, continuous growth.

Pure analysis (arrays in, frozen results out). Input: one :class:`SeriesMember` per fitted curve,
each with the populations of its size distribution and, for the mixture test, the fitted data.

The model (the "quantized-growth model", named in every conclusion that rests on it):

1. Each member's *dominant* population (largest volume fraction) has a mean radius and a width.
   It is **narrow** when its relative width (width / mean) is at most ``max_family_rel_width``.
2. **Families** are groups of narrow dominant radii that agree within ``radius_tolerance_rel``
   (single linkage on the sorted radii). A family may have one member: a narrow population
   standing apart from all others. Its radius is the inverse-variance weighted mean of its
   members' radii; its uncertainty is that of the mean, inflated by the Birge ratio when the
   members scatter more than their own uncertainties say.
3. **Mixture test.** One curve cannot tell a 65/35 mixture of two narrow families at 0.94 and
   1.02 nm from a single population at 0.963 nm with 4.4 % width (they agree to 0.26 % from
   q = 0.3 to 6 1/nm). The series can: a member whose dominant radius lies strictly between two
   families (known from the other members) is fitted as a linear weighted least-squares mixture of
   the two families' fixed model curves (gaussian radius distributions of each family's radius
   and mean width) plus a flat background. It is a **mixture** (the lesser family a *shoulder*)
   when both fractions are positive, significant (``significance`` standard deviations) and at
   least ``min_shoulder_fraction``, and its reduced chi-square is at most
   ``chi2_ratio_max`` times that of the best single gaussian population (radius and width
   fitted, scale and background linear). The member then leaves the family it was grouped with,
   and the families are recomputed; this repeats until nothing changes.
4. A secondary population of a member (volume share >= ``min_shoulder_fraction``, significant)
   whose radius lies in another family's band is a shoulder seen directly in the distribution
   (no model needed beyond the fit itself); beside a continuously growing population it is a
   family left behind.
5. A member whose dominant population is not narrow and whose radius lies outside every family's
   band (``|R - R_F| > max(band_widths * width_F, radius_tolerance_rel * R_F)``) grows
   **continuously**. The onset of continuous growth is the first member of the final run of
   continuous members (``None`` when the last member is not continuous).
6. **Steps**: consecutive members (in series order, members without populations skipped) whose
   dominant families differ.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize

from .models import NM3_TO_CM3, SLD_UNIT_PER_CM2, sphere_amplitude, sphere_volume_nm3

__all__ = ["sphere_gaussian_intensity_1cm", "MemberPopulation", "MemberHistogram", "SeriesMember", "SeriesSettings",
           "Family", "MixtureTest", "Shoulder", "Step", "MemberSummary", "SeriesResult", "fit_single_population",
           "analyse_series", "member_from_fit"]

#: Member states.
STATE_FAMILY = "family"          #: dominant population belongs to a family
STATE_MIXTURE = "mixture"        #: explained as a mixture of two families (a shoulder)
STATE_CONTINUOUS = "continuous"  #: broad and outside every family's band
STATE_EMPTY = "empty"            #: no population (nothing stood above the observability limit)

#: Quadrature of the radius distribution: N_NODES equally spaced nodes over +-NODES_SPAN standard
#: deviations (trapezoid rule, spectrally accurate for a smooth gaussian integrand; the weight beyond
#: 6 sigma is 2e-9). Against scipy.integrate.quad (tests/series): better than 1e-7 relative for
#: width/R <= 0.12 and q <= 10 1/nm; a few 1e-5 where the distribution is cut at R = 0 (width/R > 1/6).
N_NODES = 61
NODES_SPAN = 6.0


def sphere_gaussian_intensity_1cm(q_nm, radius_nm, width_nm, volume_fraction, contrast_1e6_per_A2,
                                  *, n_nodes: int = N_NODES):
    """Absolute intensity of spheres whose *volume fraction* is gaussian-distributed in radius, 1/cm.

    ``I(q) = phi * drho**2 * sum_k w_k V(R_k) F(q R_k)**2`` with ``R_k = R + width * t_k``,
    ``t_k`` equally spaced over +-6, ``w_k`` proportional to ``exp(-t_k**2 / 2)`` (nodes at R <= 0
    dropped) and normalised to 1. This is the volume-weighted distribution that Monte Carlo
    histograms (volume fraction per radius bin) show.

    Parameters
    ----------
    q_nm : array_like, shape (n,)
        Scattering vector, 1/nm.
    radius_nm : float
        Mean radius of the volume-weighted distribution, nm.
    width_nm : float
        Gaussian standard deviation of the radius, nm (0: monodisperse).
    volume_fraction : float
        Total volume fraction.
    contrast_1e6_per_A2 : float
        Scattering-length-density difference, 1e-6 1/A^2.

    Returns
    -------
    ndarray, shape (n,)
        Intensity in 1/cm.

    Examples
    --------
    >>> from mcfit.models import sphere_intensity_1cm
    >>> q = np.array([0.5, 2.0])
    >>> bool(np.allclose(sphere_gaussian_intensity_1cm(q, 1.0, 0.0, 1e-3, 35.0),
    ...                  sphere_intensity_1cm(q, 1.0, 1e-3, 35.0)))
    True
    """
    q_nm = np.asarray(q_nm, dtype=np.float64)
    if width_nm <= 0:
        radii = np.array([float(radius_nm)])
        weights = np.array([1.0])
    else:
        t = np.linspace(-NODES_SPAN, NODES_SPAN, int(n_nodes))
        radii = radius_nm + width_nm * t
        weights = np.exp(-0.5 * t**2)
        keep = radii > 0
        radii, weights = radii[keep], weights[keep]
        weights = weights / weights.sum()
    volume_cm3 = sphere_volume_nm3(radii) * NM3_TO_CM3
    drho2 = (contrast_1e6_per_A2 * SLD_UNIT_PER_CM2) ** 2
    form = sphere_amplitude(np.outer(q_nm, radii)) ** 2
    return volume_fraction * drho2 * (form @ (weights * volume_cm3))


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
    """Everything :func:`analyse_series` found; ``to_dict()`` is the JSON summary.

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
        return {
            "series_key": self.series_key,
            "families": [{"radius_nm": f.radius_nm, "radius_nm_std": f.radius_nm_std, "members": list(f.members),
                          "width_nm": f.width_nm, "standalone_members": list(f.standalone_members),
                          "shoulder_at": list(f.shoulder_at)} for f in self.families],
            "steps": [{"from_nm": s.from_nm, "to_nm": s.to_nm, "between": list(s.between),
                       "rests_on_quantized_model": s.rests_on_quantized_model} for s in self.steps],
            "shoulders": [{"radius_nm": s.radius_nm, "at": s.at, "beside_nm": s.beside_nm, "fraction": s.fraction,
                           "fraction_std": s.fraction_std, "evidence": s.evidence,
                           "rests_on_quantized_model": s.rests_on_quantized_model} for s in self.shoulders],
            "continuous_growth_onset": self.continuous_growth_onset,
            "continuous_members": list(self.continuous_members),
            "members": [{"value": m.value, "label": m.label, "state": m.state, "family": m.family,
                         "dominant_radius_nm": m.dominant_radius_nm, "dominant_radius_nm_std": m.dominant_radius_nm_std,
                         "dominant_width_nm": m.dominant_width_nm, "dominant_rel_width": m.dominant_rel_width,
                         "narrow": m.narrow} for m in self.members],
            "mixture_tests": [{"at": t.at, "radii_nm": list(t.radii_nm), "fractions": list(t.fractions),
                               "fraction_stds": list(t.fraction_stds), "chi2_red_mixture": t.chi2_red_mixture,
                               "chi2_red_single": t.chi2_red_single, "chi2_ratio_max": t.chi2_ratio_max,
                               "single_radius_nm": t.single_radius_nm, "single_rel_width": t.single_rel_width,
                               "accepted": t.accepted, "reason": t.reason} for t in self.mixture_tests],
            "model_assumptions": list(self.model_assumptions),
            "settings": asdict(self.settings),
        }

    def to_json(self) -> str:
        """``to_dict()`` as JSON text (NaN/inf as null)."""
        return json.dumps(_json_clean(self.to_dict()))

    def to_hdf5(self, group) -> None:
        """Write the result into an h5py group (an ``NXprocess``); layout in the module docs of saxs.series.

        ``group``: ``members/`` (value, label, state, family (-1 none), dominant radius/std/width),
        ``families/`` (radius_nm, radius_nm_std, width_nm; ``family_<i>/members`` etc.), ``steps/``
        (from_nm, to_nm, between (s, 2)), ``shoulders/``, ``mixture_tests/``, ``histograms/<i>/``,
        ``continuous_growth_onset`` (NaN: none), ``model_assumptions``, ``settings/``, and the
        JSON summary as ``summary_json``.
        """
        import h5py

        strings = h5py.string_dtype()
        group.attrs["NX_class"] = "NXprocess"
        group.attrs["program"] = "mcfit.steps.analyse_series"
        if self.series_key is not None:
            group.attrs["series_key"] = self.series_key
        g = group.create_group("members")
        g.attrs["NX_class"] = "NXcollection"
        ms = self.members
        g["value"] = np.array([m.value for m in ms], dtype=float)
        g["label"] = np.array([m.label for m in ms], dtype=strings)
        g["state"] = np.array([m.state for m in ms], dtype=strings)
        g["family"] = np.array([-1 if m.family is None else m.family for m in ms], dtype=np.int64)
        g["dominant_radius_nm"] = np.array([m.dominant_radius_nm for m in ms], dtype=float)
        g["dominant_radius_nm"].attrs["units"] = "nm"
        g["dominant_radius_nm_std"] = np.array([m.dominant_radius_nm_std for m in ms], dtype=float)
        g["dominant_width_nm"] = np.array([m.dominant_width_nm for m in ms], dtype=float)
        g = group.create_group("families")
        g.attrs["NX_class"] = "NXcollection"
        g["radius_nm"] = np.array([f.radius_nm for f in self.families], dtype=float)
        g["radius_nm"].attrs["units"] = "nm"
        g["radius_nm_std"] = np.array([f.radius_nm_std for f in self.families], dtype=float)
        g["width_nm"] = np.array([f.width_nm for f in self.families], dtype=float)
        for f in self.families:
            sub = g.create_group(f"family_{f.index}")
            sub.attrs["NX_class"] = "NXcollection"  # every group of a NeXus file has a base class
            sub["members"] = np.array(f.members, dtype=float)
            sub["standalone_members"] = np.array(f.standalone_members, dtype=float)
            sub["shoulder_at"] = np.array(f.shoulder_at, dtype=float)
        g = group.create_group("steps")
        g.attrs["NX_class"] = "NXcollection"
        g["from_nm"] = np.array([s.from_nm for s in self.steps], dtype=float)
        g["to_nm"] = np.array([s.to_nm for s in self.steps], dtype=float)
        g["between"] = np.array([s.between for s in self.steps], dtype=float).reshape(-1, 2)
        g["rests_on_quantized_model"] = np.array([s.rests_on_quantized_model for s in self.steps], dtype=bool)
        g = group.create_group("shoulders")
        g.attrs["NX_class"] = "NXcollection"
        for name in ("radius_nm", "at", "beside_nm", "fraction", "fraction_std"):
            g[name] = np.array([getattr(s, name) for s in self.shoulders], dtype=float)
        g["evidence"] = np.array([s.evidence for s in self.shoulders], dtype=strings)
        g["rests_on_quantized_model"] = np.array([s.rests_on_quantized_model for s in self.shoulders], dtype=bool)
        g = group.create_group("mixture_tests")
        g.attrs["NX_class"] = "NXcollection"
        ts = self.mixture_tests
        g["at"] = np.array([t.at for t in ts], dtype=float)
        g["radii_nm"] = np.array([t.radii_nm for t in ts], dtype=float).reshape(-1, 2)
        g["fractions"] = np.array([t.fractions for t in ts], dtype=float).reshape(-1, 2)
        g["fraction_stds"] = np.array([t.fraction_stds for t in ts], dtype=float).reshape(-1, 2)
        g["chi2_red_mixture"] = np.array([t.chi2_red_mixture for t in ts], dtype=float)
        g["chi2_red_single"] = np.array([t.chi2_red_single for t in ts], dtype=float)
        g["accepted"] = np.array([t.accepted for t in ts], dtype=bool)
        g["reason"] = np.array([t.reason for t in ts], dtype=strings)
        g = group.create_group("histograms")
        g.attrs["NX_class"] = "NXcollection"
        for i, h in enumerate(self.histograms):
            if h is None:
                continue
            sub = g.create_group(f"member_{i}")
            sub.attrs["NX_class"] = "NXcollection"
            sub.attrs["value"] = ms[i].value
            sub["radius_edges_nm"] = h.radius_edges_nm
            sub["volume_fraction"] = h.volume_fraction
            sub["volume_fraction_std"] = h.volume_fraction_std
            if h.observability is not None:
                sub["observability"] = h.observability
        group["continuous_growth_onset"] = np.nan if self.continuous_growth_onset is None else self.continuous_growth_onset
        group["continuous_members"] = np.array(self.continuous_members, dtype=float)
        group["model_assumptions"] = np.array(self.model_assumptions, dtype=strings)
        g = group.create_group("settings")
        g.attrs["NX_class"] = "NXcollection"
        for k, v in asdict(self.settings).items():
            g[k] = np.nan if v is None else v
        group["summary_json"] = self.to_json()

    def report(self) -> str:
        """A short text report."""
        lines = []
        for f in self.families:
            lines.append(f"family {f.radius_nm:.4f} +- {f.radius_nm_std:.4f} nm (width {100 * f.rel_width:.1f} %): "
                         f"members {_fmt(f.members)}" + (f", shoulder at {_fmt(f.shoulder_at)}" if f.shoulder_at else ""))
        if not self.families:
            lines.append("no families (no narrow populations recurring or standing apart)")
        for s in self.steps:
            lines.append(f"step {s.from_nm:.3f} -> {s.to_nm:.3f} nm between {_fmt(s.between)}")
        for s in self.shoulders:
            lines.append(f"shoulder {s.radius_nm:.3f} nm at {s.at:g} beside {s.beside_nm:.3f} nm "
                         f"({100 * s.fraction:.1f} +- {100 * s.fraction_std:.1f} %, {s.evidence})")
        onset = "none" if self.continuous_growth_onset is None else f"{self.continuous_growth_onset:g}"
        lines.append(f"continuous growth onset: {onset}")
        return "\n".join(lines)


def _fmt(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _json_clean(obj):
    if isinstance(obj, dict):
        return {str(k): _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return _json_clean(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Candidate:
    """Internal: the provisional family made of the narrow members with these indices."""

    indices: tuple
    radius_nm: float
    radius_nm_std: float
    width_nm: float


def _family_stats(members, indices) -> _Candidate:
    pops = [members[i].dominant for i in indices]
    r = np.array([p.mean_nm for p in pops])
    s = np.array([p.mean_nm_std for p in pops])
    floor = 1e-4 * r.mean()  # an uncertainty of 0 (one repetition) must not take all the weight
    w = 1.0 / np.maximum(s, floor) ** 2
    mean = float(np.sum(w * r) / np.sum(w))
    std = float(1.0 / math.sqrt(np.sum(w)))
    if r.size > 1:
        birge2 = float(np.sum(w * (r - mean) ** 2) / (r.size - 1))
        std *= math.sqrt(max(1.0, birge2))
    width = float(np.mean([p.width_nm for p in pops]))
    return _Candidate(tuple(indices), mean, std, width)


def _cluster(members, indices, tolerance_rel) -> list:
    """Single-linkage groups of the dominant radii of ``indices`` (gap > tolerance * radius splits)."""
    if not indices:
        return []
    order = sorted(indices, key=lambda i: members[i].dominant.mean_nm)
    groups = [[order[0]]]
    for prev, cur in zip(order, order[1:]):
        r0, r1 = members[prev].dominant.mean_nm, members[cur].dominant.mean_nm
        if r1 - r0 > tolerance_rel * 0.5 * (r0 + r1):
            groups.append([cur])
        else:
            groups[-1].append(cur)
    return [_family_stats(members, g) for g in groups]


def _model_columns(q, candidates, contrast):
    return [sphere_gaussian_intensity_1cm(q, c.radius_nm, c.width_nm, 1.0, contrast) for c in candidates]


def _linear_fit(columns, y, sigma):
    """Weighted least squares ``y ~ sum a_k col_k + b``; returns coef, cov (scaled if chi2_red > 1), chi2."""
    a = np.column_stack(list(columns) + [np.ones_like(y)]) / sigma[:, None]
    b = y / sigma
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    chi2 = float(np.sum((a @ coef - b) ** 2))
    dof = max(y.size - a.shape[1], 1)
    cov = np.linalg.pinv(a.T @ a) * max(1.0, chi2 / dof)
    return coef, cov, chi2


def fit_single_population(q_nm, intensity, sigma, *, radius_nm, rel_width, contrast_1e6_per_A2=1.0):
    """Best single gaussian population (radius, width) + linear scale and flat background.

    Variable projection: the scale and background are solved linearly for each (radius, width)
    tried by :func:`scipy.optimize.least_squares`; three starting widths guard against local minima.

    Returns
    -------
    radius_nm : float
    rel_width : float
    chi2 : float
        Weighted chi-square of the best fit (``n - 4`` degrees of freedom).
    """
    q, y, s = (np.asarray(v, dtype=np.float64) for v in (q_nm, intensity, sigma))

    def residuals(p):
        col = sphere_gaussian_intensity_1cm(q, p[0], p[0] * p[1], 1.0, contrast_1e6_per_A2)
        a = np.column_stack([col, np.ones_like(q)]) / s[:, None]
        coef, *_ = np.linalg.lstsq(a, y / s, rcond=None)
        return a @ coef - y / s

    best = None
    for w0 in sorted({float(np.clip(rel_width, 0.005, 0.3)), 0.03, 0.08}):
        res = optimize.least_squares(residuals, [radius_nm, w0], bounds=([0.5 * radius_nm, 0.001], [2 * radius_nm, 0.4]),
                                     x_scale=[0.01 * radius_nm, 0.01])
        chi2 = float(np.sum(res.fun ** 2))
        if best is None or chi2 < best[2]:
            best = (float(res.x[0]), float(res.x[1]), chi2)
    return best


def _mixture_test(member: SeriesMember, lower: _Candidate, upper: _Candidate, settings: SeriesSettings) -> MixtureTest:
    """Fit ``member``'s data as a mixture of two families' fixed curves + flat background.

    See the module docstring (step 3) for the acceptance rule.
    """
    q, y, s = member.q_nm, member.intensity, member.sigma
    contrast = member.contrast_1e6_per_A2
    coef, cov, chi2_mix = _linear_fit(_model_columns(q, (lower, upper), contrast), y, s)
    a, b = float(coef[0]), float(coef[1])
    sa, sb = math.sqrt(max(cov[0, 0], 0.0)), math.sqrt(max(cov[1, 1], 0.0))
    total = a + b
    if total > 0:
        f_hi = b / total
        var = (a**2 * cov[1, 1] + b**2 * cov[0, 0] - 2 * a * b * cov[0, 1]) / total**4
        # Systematic part: the family radii are known to +-radius_nm_std only; refit with each
        # shifted by one standard deviation (either way) and add the largest changes in quadrature.
        for k in (0, 1):
            worst = 0.0
            for sign in (-1.0, 1.0):
                shifted = [lower, upper]
                c = shifted[k]
                shifted[k] = _Candidate(c.indices, c.radius_nm + sign * c.radius_nm_std, c.radius_nm_std, c.width_nm)
                coef_k, _, _ = _linear_fit(_model_columns(q, shifted, contrast), y, s)
                t_k = coef_k[0] + coef_k[1]
                if t_k > 0:
                    worst = max(worst, abs(coef_k[1] / t_k - f_hi))
            var += worst**2
        f_std = math.sqrt(max(var, 0.0))
    else:
        f_hi, f_std = math.nan, math.nan
    dom = member.dominant
    r1, w1, chi2_single = fit_single_population(q, y, s, radius_nm=dom.mean_nm, rel_width=dom.rel_width,
                                                contrast_1e6_per_A2=contrast)
    n = y.size
    red_mix = chi2_mix / max(n - 3, 1)
    red_single = chi2_single / max(n - 4, 1)
    ratio_max = settings.chi2_ratio_max if settings.chi2_ratio_max is not None else 1 + 2 * math.sqrt(2 / max(n - 3, 1))
    reasons = []
    if not (a > 0 and b > 0):
        reasons.append("a fraction is negative")
    else:
        if a < settings.significance * sa or b < settings.significance * sb:
            reasons.append(f"a fraction is below {settings.significance:g} standard deviations")
        if min(f_hi, 1 - f_hi) < settings.min_shoulder_fraction:
            reasons.append(f"the lesser fraction {min(f_hi, 1 - f_hi):.3f} is below {settings.min_shoulder_fraction:g}")
    if red_mix > ratio_max * red_single:
        reasons.append(f"chi2_red {red_mix:.3g} exceeds {ratio_max:.3g} x the single population's {red_single:.3g}")
    accepted = not reasons
    return MixtureTest(
        at=member.value, label=member.label,
        radii_nm=(lower.radius_nm, upper.radius_nm), fractions=(1 - f_hi, f_hi), fraction_stds=(f_std, f_std),
        volume_fractions=(a, b), background=float(coef[2]), chi2_red_mixture=red_mix, chi2_red_single=red_single,
        chi2_ratio_max=ratio_max, single_radius_nm=r1, single_rel_width=w1, accepted=accepted,
        reason="mixture explains the member" if accepted else "; ".join(reasons))


def _bracketing(candidates, radius):
    """The adjacent pair (lower, upper) of candidates with lower.radius < radius < upper.radius."""
    below = [c for c in candidates if c.radius_nm < radius]
    above = [c for c in candidates if c.radius_nm > radius]
    if not below or not above:
        return None
    return max(below, key=lambda c: c.radius_nm), min(above, key=lambda c: c.radius_nm)


def analyse_series(members, *, settings: SeriesSettings | None = None, series_key: str | None = None) -> SeriesResult:
    """Find magic-size families, steps, shoulders and the onset of continuous growth across a series.

    Parameters
    ----------
    members : sequence of SeriesMember
        One per fitted curve, any order (sorted by ``value`` here, stable for ties).
    settings : SeriesSettings, optional
        Thresholds (defaults documented in :class:`SeriesSettings`).
    series_key : str, optional
        Name of the series variable (recorded).

    Returns
    -------
    SeriesResult
    """
    settings = SeriesSettings() if settings is None else settings
    members = sorted(members, key=lambda m: m.value)
    if not members:
        raise ValueError("the parameter `members` must hold at least one member; got none")
    occupied = [i for i, m in enumerate(members) if m.dominant is not None]
    narrow = {i for i in occupied if members[i].dominant.rel_width <= settings.max_family_rel_width}

    # Steps 2-3: families from narrow members; members between two families tested as mixtures.
    mixtures: dict[int, MixtureTest] = {}
    memo: dict[tuple, MixtureTest] = {}  # (member, lower family's members, upper family's members) -> test
    while True:
        pool = sorted(narrow - set(mixtures))
        tests: dict[int, MixtureTest] = dict(mixtures)
        changed = False
        for i in occupied:
            if i in mixtures or not members[i].has_data:
                continue
            others = _cluster(members, [j for j in pool if j != i], settings.radius_tolerance_rel)
            pair = _bracketing(others, members[i].dominant.mean_nm)
            if pair is None:
                continue
            key = (i, pair[0].indices, pair[1].indices)
            if key not in memo:
                memo[key] = _mixture_test(members[i], *pair, settings)
            tests[i] = memo[key]
            if tests[i].accepted:
                mixtures[i] = tests[i]
                changed = True
                break  # the families change: test again from the start
        if not changed:
            break
    candidates = _cluster(members, sorted(narrow - set(mixtures)), settings.radius_tolerance_rel)
    candidates.sort(key=lambda c: c.radius_nm)

    def family_of(radius):
        best = None
        for k, c in enumerate(candidates):
            d = abs(radius - c.radius_nm)
            band = max(settings.band_widths * c.width_nm, settings.radius_tolerance_rel * c.radius_nm)
            if d <= band and (best is None or d < best[1]):
                best = (k, d)
        return None if best is None else best[0]

    def nearest(radius):
        return min(range(len(candidates)), key=lambda k: abs(candidates[k].radius_nm - radius))

    # Member states and shoulders.
    states, fam, shoulders = {}, {}, []
    for i, m in enumerate(members):
        dom = m.dominant
        if dom is None:
            states[i], fam[i] = STATE_EMPTY, None
            continue
        if i in mixtures:
            t = mixtures[i]
            k_lo, k_hi = nearest(t.radii_nm[0]), nearest(t.radii_nm[1])
            major, minor = (k_lo, k_hi) if t.fractions[0] >= t.fractions[1] else (k_hi, k_lo)
            states[i], fam[i] = STATE_MIXTURE, major
            shoulders.append(Shoulder(radius_nm=candidates[minor].radius_nm, at=m.value, family=minor,
                                      beside_nm=candidates[major].radius_nm,
                                      fraction=min(t.fractions), fraction_std=t.fraction_stds[0],
                                      evidence="mixture_fit", rests_on_quantized_model=True))
            continue
        k = family_of(dom.mean_nm)
        if k is None and i in narrow:
            k = nearest(dom.mean_nm)  # cannot happen by construction; keeps the state consistent
        states[i], fam[i] = (STATE_CONTINUOUS, None) if k is None else (STATE_FAMILY, k)
        # Step 4: a secondary population sitting on another family is a shoulder seen directly
        # (beside a family, or beside a continuously growing population: a family left behind).
        total = sum(p.volume_fraction for p in m.populations)
        for p in m.populations:
            if p is dom or total <= 0:
                continue
            share = p.volume_fraction / total
            kk = family_of(p.mean_nm)
            significant = p.volume_fraction_std <= 0 or p.volume_fraction >= settings.significance * p.volume_fraction_std
            if kk is not None and kk != k and share >= settings.min_shoulder_fraction and significant:
                shoulders.append(Shoulder(radius_nm=candidates[kk].radius_nm, at=m.value, family=kk,
                                          beside_nm=dom.mean_nm if k is None else candidates[k].radius_nm,
                                          fraction=share, fraction_std=p.volume_fraction_std / total,
                                          evidence="population", rests_on_quantized_model=False))

    families = []
    for k, c in enumerate(candidates):
        families.append(Family(
            index=k, radius_nm=c.radius_nm, radius_nm_std=c.radius_nm_std, width_nm=c.width_nm,
            members=tuple(members[i].value for i in sorted(fam) if fam[i] == k),
            standalone_members=tuple(members[i].value for i in sorted(c.indices)),
            shoulder_at=tuple(s.at for s in shoulders if s.family == k)))

    # Step 6: steps between consecutive occupied members.
    steps = []
    for i, j in zip(occupied, occupied[1:]):
        if fam[i] is not None and fam[j] is not None and fam[i] != fam[j]:
            steps.append(Step(from_nm=candidates[fam[i]].radius_nm, to_nm=candidates[fam[j]].radius_nm,
                              between=(members[i].value, members[j].value), from_family=fam[i], to_family=fam[j],
                              rests_on_quantized_model=(i in mixtures or j in mixtures)))

    # Step 5: onset of continuous growth.
    continuous = [i for i in occupied if states[i] == STATE_CONTINUOUS]
    onset = None
    if occupied and states[occupied[-1]] == STATE_CONTINUOUS:
        run_start = occupied[-1]
        for i in reversed(occupied):
            if states[i] != STATE_CONTINUOUS:
                break
            run_start = i
        onset = members[run_start].value

    summaries = []
    for i, m in enumerate(members):
        dom = m.dominant
        summaries.append(MemberSummary(
            value=m.value, label=m.label, state=states[i], family=fam[i],
            dominant_radius_nm=math.nan if dom is None else dom.mean_nm,
            dominant_radius_nm_std=math.nan if dom is None else dom.mean_nm_std,
            dominant_width_nm=math.nan if dom is None else dom.width_nm,
            dominant_rel_width=math.nan if dom is None else dom.rel_width,
            narrow=i in narrow, n_populations=len(m.populations)))

    assumptions = _assumptions(settings, families, shoulders, steps, mixtures, tests, members)
    return SeriesResult(
        members=tuple(summaries), families=tuple(families), steps=tuple(steps), shoulders=tuple(shoulders),
        mixture_tests=tuple(tests[i] for i in sorted(tests)), continuous_growth_onset=onset,
        continuous_members=tuple(members[i].value for i in continuous), model_assumptions=tuple(assumptions),
        settings=settings, histograms=tuple(m.histogram for m in members), series_key=series_key)


def _assumptions(settings, families, shoulders, steps, mixtures, tests, members) -> list:
    out = [
        f"Quantized-growth model: a family (magic size) is a set of narrow dominant populations "
        f"(width/radius <= {settings.max_family_rel_width:g}) whose radii agree within "
        f"{100 * settings.radius_tolerance_rel:g} %; a narrow population standing apart is a family of one.",
        f"Continuous growth: a dominant population broader than {settings.max_family_rel_width:g} and outside "
        f"every family's band (max({settings.band_widths:g} x family width, {100 * settings.radius_tolerance_rel:g} % "
        f"of its radius)).",
    ]
    if tests:
        out.append("Mixture test: a member whose dominant radius lies between two families (known from the other "
                   "members) is fitted as a weighted linear combination of the two families' fixed curves "
                   "(gaussian radius distributions with each family's radius and mean width) + flat background, "
                   "and compared with the best single gaussian population.")
    for f in families:
        if len(f.standalone_members) == 1:
            out.append(f"The {f.radius_nm:.3f} nm family rests on one member ({f.standalone_members[0]:g}): a narrow "
                       "population standing apart from all others.")
    for s in shoulders:
        if s.rests_on_quantized_model:
            t = mixtures[next(i for i in mixtures if mixtures[i].at == s.at)]
            out.append(
                f"The shoulder at {s.at:g} ({s.radius_nm:.3f} nm beside {s.beside_nm:.3f} nm, "
                f"{100 * s.fraction:.1f} +- {100 * s.fraction_std:.1f} %) rests on the quantized-growth model: "
                f"the curve alone is equally well explained by a single population of {t.single_radius_nm:.3f} nm "
                f"with {100 * t.single_rel_width:.1f} % width (reduced chi2 {t.chi2_red_single:.3g}; mixture "
                f"{t.chi2_red_mixture:.3g}).")
    for st in steps:
        if st.rests_on_quantized_model:
            out.append(f"The step {st.from_nm:.3f} -> {st.to_nm:.3f} nm between {_fmt(st.between)} is placed by "
                       "the dominant share of a mixture member (quantized-growth model).")
    if not any(m.has_data for m in members):
        out.append("No fitted data were given: no member could be tested as a mixture of families.")
    return out


# --------------------------------------------------------------------------------------------
# Adapter from mcfit results
# --------------------------------------------------------------------------------------------

def member_from_fit(fit_result, value, *, label: str | None = None) -> SeriesMember:
    """A :class:`SeriesMember` from a :class:`mcfit.FitResult` (or a file / h5py group holding one).

    Parameters
    ----------
    fit_result : mcfit.FitResult, str, os.PathLike or h5py.Group
        The fit; paths and groups are read with :func:`mcfit.read_result`.
    value : float
        The member's series value.
    label : str, optional
        Default: the file name when a path is given, else ``f"{value:g}"``.

    Returns
    -------
    SeriesMember
        Populations (the reported ones: none when the fit's quality withholds them, see
        :mod:`mcfit.quality`), the averaged volume histogram (with its observability limit), the data as
        fitted and the contrast (1 when the fit ran in relative units: only fraction ratios matter).
    """
    import os

    from .results import FitResult, read_result

    if not isinstance(fit_result, FitResult):
        if label is None and isinstance(fit_result, (str, os.PathLike)):
            label = os.path.basename(os.fspath(fit_result))
        fit_result = read_result(fit_result)
    if label is None:
        label = f"{float(value):g}"
    pops = tuple(MemberPopulation(mean_nm=p.mean_nm, mean_nm_std=p.mean_nm_std, width_nm=p.width_nm,
                                  volume_fraction=p.volume_fraction, volume_fraction_std=p.volume_fraction_std)
                 for p in fit_result.reported_populations
                 if math.isfinite(p.mean_nm) and p.mean_nm > 0 and math.isfinite(p.volume_fraction))
    h = fit_result.histogram
    hist = MemberHistogram(radius_edges_nm=h.edges_nm, volume_fraction=h.volume, volume_fraction_std=h.volume_std,
                           observability=h.volume_observability)
    contrast = fit_result.settings.contrast_1e6_per_A2
    return SeriesMember(value=value, label=label, populations=pops, histogram=hist, q_nm=fit_result.q_nm,
                        intensity=fit_result.intensity, sigma=fit_result.sigma,
                        contrast_1e6_per_A2=1.0 if contrast is None else float(contrast))
