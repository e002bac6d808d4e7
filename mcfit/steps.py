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

This module holds the algorithm (family clustering and :func:`analyse_series`) and the adapter
:func:`member_from_fit`; the types are in :mod:`mcfit.steps_types`, the mixture test of step 3 in
:mod:`mcfit.steps_mixture`, the JSON/HDF5/text outputs in :mod:`mcfit.steps_store`. Every name of
``__all__`` is importable from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .steps_mixture import fit_single_population, mixture_test, sphere_gaussian_intensity_1cm
from .steps_store import format_values
from .steps_types import (STATE_CONTINUOUS, STATE_EMPTY, STATE_FAMILY, STATE_MIXTURE, Family, MemberHistogram,
                          MemberPopulation, MemberSummary, MixtureTest, SeriesMember, SeriesResult, SeriesSettings,
                          Shoulder, Step)

__all__ = ["sphere_gaussian_intensity_1cm", "MemberPopulation", "MemberHistogram", "SeriesMember", "SeriesSettings",
           "Family", "MixtureTest", "Shoulder", "Step", "MemberSummary", "SeriesResult", "fit_single_population",
           "analyse_series", "member_from_fit"]


# --------------------------------------------------------------------------------------------
# Family clustering
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


def _bracketing(candidates, radius):
    """The adjacent pair (lower, upper) of candidates with lower.radius < radius < upper.radius."""
    below = [c for c in candidates if c.radius_nm < radius]
    above = [c for c in candidates if c.radius_nm > radius]
    if not below or not above:
        return None
    return max(below, key=lambda c: c.radius_nm), min(above, key=lambda c: c.radius_nm)


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------

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
                memo[key] = mixture_test(members[i], *pair, settings)
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
            out.append(f"The step {st.from_nm:.3f} -> {st.to_nm:.3f} nm between {format_values(st.between)} is placed by "
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
