"""The fit result (frozen dataclasses) and its HDF5 input/output.

HDF5 layout written by :meth:`FitResult.to_hdf5` into a given group ``G`` (all lengths in nm,
q in 1/nm, intensities in the unit of the input data)::

    G                         @NX_class=NXprocess, @program="mcfit", @layout_version=1,
                              @seed, @elapsed_s, @chi2_reduced (mean over repetitions of each
                              one's reduced chi2 against data/sigma, the convergence measure),
                              @chi2_reduced_fit_sigma, @chi2_reduced_data_sigma (of the mean
                              fitted curve against data/sigma and data/sigma_data; absent in
                              files written before layout 2), @stop_criterion,
                              @volume_fraction_unit ("absolute" or "relative"),
                              @radius_range_nm (2,), @warnings (strings), @settings (JSON text)
      settings/               one attribute per FitSettings field (None stored as the string "none")
      data/                   q_nm (n_q,), intensity (n_q,), sigma (n_q,): the curve as fitted
                              (after clipping, re-binning, minimum uncertainty); @n_input;
                              sigma_data (n_q,): the data's own sigma, before the floor
                              (layout 2; each sigma dataset has a @description)
      quality/                attributes of :class:`mcfit.quality.FitQuality` (both reduced chi2 with
                              their labels, Durbin-Watson, runs test, thresholds, poor_fit and its
                              reason, populations_withheld: "" when the populations stand) and @rule
                              (layout 2; absent in older files: read as None)
      fit/                    q_nm (n_q,), intensity (n_q,), intensity_std (n_q,): mean and standard
                              deviation over repetitions of scale*model + background
      repetitions/            radii_nm (n_rep, n_contributions), and per repetition (n_rep,):
                              scale, background, chi2_reduced, steps, accepted, crossing_step (-1 =
                              never reached its target: the criterion, or 1.05 x the NNLS bound
                              when that is higher, see bound/@margin), converged (bool: met the
                              criterion), stop_code (0 target met and extra steps done, 1 max_steps
                              before the target, 2 target met but max_steps cut the extra steps),
                              volume_fraction_per_contribution
      histogram/              edges_nm (n_bins+1,), centers_nm, volume, volume_std,
                              volume_observability, number, number_std, number_observability
                              (n_bins,); @scale ("linear" or "log")
      ranges/<i>/             @range_nm, @volume_fraction, @volume_fraction_std;
                              volume_weighted/ and number_weighted/ with attributes mean_nm,
                              mean_nm_std, variance_nm2, variance_nm2_std, skewness, skewness_std,
                              kurtosis (excess), kurtosis_std
      bound/                  the NNLS lower bound of chi2 for spheres (:mod:`mcfit.bound`; absent in
                              older files): @chi2, @chi2_reduced (against data/sigma, the fit's dof),
                              @dof, @background, @description, @margin (bound-relative stop, "none" if
                              off), @message ("" when the bound is below the criterion); also
                              G@chi2_reduced_bound beside G@chi2_reduced;
                              radii_nm (m,) the log grid, weights (m,) the NNLS coefficients of
                              V(R) F(qR)**2 (nm^3 columns)
      populations/<i>/        attributes of :class:`mcfit.populations.Population` (every population
                              found, even when quality/@populations_withheld says why they are not
                              reported)

NeXus: ``data/``, ``fit/`` and ``histogram/`` are NXdata (signal ``intensity`` on ``q_nm``, or
``volume`` on ``centers_nm``; ``<signal>_errors`` hard links to ``sigma``, ``intensity_std``,
``volume_std``; ``@SILX_style`` log-axis hints), ``repetitions/``, ``ranges/`` and ``populations/``
(and their subgroups) NXcollection, ``settings/`` NXparameters, ``quality/`` and ``bound/``
NXcollection (their attributes are the fields); every dataset has ``@units`` (``1``: dimensionless;
``bound/weights``: intensity per nm^3); ``G@default = "histogram"``.

``<i>`` counts from 0. Volume-weighted histogram entries are volume fractions per bin; number-weighted
ones are number densities (volume fraction / V in nm^3) per bin.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass

import numpy as np

from .bound import ChiSquareBound, bound_message
from .histogram import Histogram, Moments, RangeStatistics
from .populations import Population
from .quality import FitQuality, quality_from_hdf5, quality_to_hdf5

LAYOUT_VERSION = 2


@dataclass(frozen=True)
class FitSettings:
    """Every option the fit ran with (see :func:`mcfit.fit` for their meaning)."""

    contributions: int
    repetitions: int
    seed: int
    convergence: float
    max_steps: int
    stop: str
    extra_steps: int
    extra_factor: float
    radius_range_nm: tuple[float, float] | None
    log_radius: bool
    background: str | float
    q_range_nm: tuple[float, float] | None
    q_bins: int
    min_rel_sigma: float
    bins: int
    bin_scale: str
    ranges_nm: tuple[tuple[float, float], ...] | None
    contrast_1e6_per_A2: float | None
    nan_policy: str
    engine: str
    poor_fit_chi2_reduced: float = 3.0
    poor_fit_durbin_watson: float = 1.0
    bound_margin: float | None = None


@dataclass(frozen=True)
class FitResult:
    """Result of :func:`mcfit.fit`: data as fitted, fitted curve, repetitions, histograms, statistics.

    Arrays are read-only. ``chi2_reduced`` is the mean over repetitions of each one's final reduced
    chi-square against ``sigma`` (the floored uncertainty the fit ran with: the convergence measure);
    ``quality`` holds the reduced chi-square of the mean fitted curve against ``sigma`` and against
    ``sigma_data`` (the data's own), the residual structure and the poor-fit verdict (see
    :mod:`mcfit.quality`; ``sigma_data`` and ``quality`` are None for files written before they
    existed); ``reported_populations`` is ``populations`` unless the quality withholds them;
    ``converged`` says per repetition whether it met the convergence criterion;
    ``stop_code`` why it stopped (see :mod:`mcfit.kernels`: 0 done, 1 max_steps before the criterion,
    2 criterion met but max_steps cut the extra steps short).
    """

    settings: FitSettings
    q_nm: np.ndarray
    intensity: np.ndarray
    sigma: np.ndarray
    n_input: int
    fit_intensity: np.ndarray
    fit_intensity_std: np.ndarray
    radius_range_nm: tuple[float, float]
    radii_nm: np.ndarray
    scale: np.ndarray
    background: np.ndarray
    chi2_reduced_per_repetition: np.ndarray
    steps: np.ndarray
    accepted: np.ndarray
    crossing_step: np.ndarray
    converged: np.ndarray
    stop_code: np.ndarray
    volume_fraction_per_contribution: np.ndarray
    volume_fraction_unit: str
    histogram: Histogram
    ranges: tuple[RangeStatistics, ...]
    populations: tuple[Population, ...]
    chi2_reduced: float
    elapsed_s: float
    warnings: tuple[str, ...]
    sigma_data: np.ndarray | None = None
    quality: FitQuality | None = None
    bound: ChiSquareBound | None = None

    @property
    def chi2_reduced_bound(self) -> float | None:
        """The NNLS lower bound of reduced chi2 for spheres on these points (None in older files)."""
        return None if self.bound is None else self.bound.chi2_reduced

    @property
    def bound_message(self) -> str | None:
        """The one-line verdict when no distribution of spheres reaches the criterion, else None."""
        if self.bound is None or self.bound.chi2_reduced <= self.settings.convergence:
            return None
        return bound_message(self.bound.chi2_reduced, self.settings.convergence)

    @property
    def seed(self) -> int:
        return self.settings.seed

    @property
    def populations_withheld(self) -> str | None:
        """Why the populations are not reported (None: they are, or the quality is unknown)."""
        return None if self.quality is None else self.quality.populations_withheld

    @property
    def reported_populations(self) -> tuple[Population, ...]:
        """The populations, or none when the fit is rejected for sizes (see :mod:`mcfit.quality`)."""
        return () if self.populations_withheld else self.populations

    @property
    def converged_repetitions(self) -> int:
        return int(np.count_nonzero(self.converged))

    @property
    def stop_criterion(self) -> str:
        """The stopping rule in words."""
        s = self.settings
        goal = f"reduced chi2 <= {s.convergence:g}"
        if s.bound_margin is not None:
            goal = (f"reduced chi2 <= max({s.convergence:g}, {1 + s.bound_margin:g} x NNLS bound for spheres; "
                    "at least 10 further steps per contribution when the bound sets it)")
        if s.stop == "mcsas":
            return f"mcsas: {goal} (max {s.max_steps} steps)"
        return (f"extra: {goal} at step c, then {s.extra_steps} + "
                f"{s.extra_factor:g} x c further steps (max {s.max_steps} steps)")

    def summary(self) -> dict:
        """The JSON summary (names as in the ``saxs fit --json`` contract)."""
        def moments(m: Moments, full: bool) -> dict:
            d = {"mean_nm": m.mean_nm, "mean_nm_std": m.mean_nm_std, "variance_nm2": m.variance_nm2}
            if full:
                d.update(skewness=m.skewness, kurtosis=m.kurtosis)
            return d
        q = self.quality
        return {
            "chi2_reduced": self.chi2_reduced,
            "chi2_reduced_meaning": "mean over repetitions, against the sigma the fit used (floored at "
                                    f"min_rel_sigma = {self.settings.min_rel_sigma:g} of I)",
            "chi2_reduced_fit_sigma": None if q is None else q.chi2_reduced_fit_sigma,
            "chi2_reduced_data_sigma": None if q is None else q.chi2_reduced_data_sigma,
            "chi2_reduced_bound": self.chi2_reduced_bound,
            "chi2_reduced_bound_meaning": None if self.bound is None else
            "lowest reduced chi2 of any distribution of spheres, against the sigma the fit used: "
            + self.bound.description,
            "bound_message": self.bound_message,
            "poor_fit": None if q is None else q.poor_fit,
            "populations_withheld": self.populations_withheld,
            "quality": None if q is None else q.as_dict(),
            "repetitions": int(self.settings.repetitions),
            "converged_repetitions": self.converged_repetitions,
            "seed": int(self.seed),
            "elapsed_s": self.elapsed_s,
            "stop_criterion": self.stop_criterion,
            "volume_fraction_unit": self.volume_fraction_unit,
            "radius_range_nm": list(self.radius_range_nm),
            "ranges": [
                {"range_nm": list(r.range_nm), "volume_fraction": r.volume_fraction,
                 "volume_fraction_std": r.volume_fraction_std,
                 "volume_weighted": moments(r.volume_weighted, True),
                 "number_weighted": moments(r.number_weighted, False)}
                for r in self.ranges
            ],
            "populations": [
                {"mean_nm": p.mean_nm, "mean_nm_std": p.mean_nm_std, "width_nm": p.width_nm,
                 "width_nm_std": p.width_nm_std, "volume_fraction": p.volume_fraction,
                 "volume_fraction_std": p.volume_fraction_std, "window_nm": list(p.window_nm),
                 "number_mean_nm": p.number_mean_nm}
                for p in self.reported_populations
            ],
            "warnings": list(self.warnings),
        }

    def report(self) -> str:
        """A plain-text report of the fit."""
        s = self.settings
        lines = [
            "mcfit: Monte Carlo sphere size distribution",
            f"  data: {self.q_nm.size} points ({self.n_input} given), q {self.q_nm[0]:.4g} to {self.q_nm[-1]:.4g} 1/nm",
            f"  radii: {self.radius_range_nm[0]:.4g} to {self.radius_range_nm[1]:.4g} nm "
            f"({'log-uniform' if s.log_radius else 'uniform'}"
            f"{'; default: pi/q_max to pi/q_min of the whole curve' if s.radius_range_nm is None else ''}), "
            f"{s.contributions} contributions, "
            f"{s.repetitions} repetitions, seed {s.seed}",
            f"  stop: {self.stop_criterion}",
            f"  reduced chi2: {self.chi2_reduced:.4g} (mean over repetitions, against the sigma the fit used); "
            f"converged {self.converged_repetitions}/{s.repetitions}; "
            f"steps {int(np.mean(self.steps))} mean; {self.elapsed_s:.3g} s",
        ]
        if self.bound is not None:
            lines.append(f"  bound: reduced chi2 >= {self.bound.chi2_reduced:.4g} for any distribution of spheres "
                         f"({self.bound.description})")
            if self.bound_message:
                lines.append(f"  SPHERES CANNOT DESCRIBE THESE DATA: {self.bound_message}")
        lines += [
            f"  volume fractions: {self.volume_fraction_unit}",
        ]
        q = self.quality
        if q is not None:
            lines.append(f"  mean fitted curve: {q.label_data_sigma} {q.chi2_reduced_data_sigma:.4g}; "
                         f"{q.label_fit_sigma} {q.chi2_reduced_fit_sigma:.4g} ({q.n_floored} of {self.q_nm.size} "
                         f"sigma raised by the floor); residuals: Durbin-Watson {q.durbin_watson:.3g}, runs z "
                         f"{q.runs_z:.3g}")
            lines.append(f"  POOR FIT: {q.poor_fit_reason}" if q.poor_fit else
                         f"  fit quality: not poor (poor: {q.label_data_sigma} > {q.max_chi2_reduced:g} and "
                         f"Durbin-Watson < {q.max_durbin_watson:g})")
            if q.populations_withheld:
                lines.append(f"  populations withheld: {q.populations_withheld}")
        for r in self.ranges:
            v, n = r.volume_weighted, r.number_weighted
            lines.append(f"  range {r.range_nm[0]:.4g}-{r.range_nm[1]:.4g} nm: volume fraction "
                         f"{r.volume_fraction:.4g} +- {r.volume_fraction_std:.2g}")
            lines.append(f"    volume-weighted: mean {v.mean_nm:.4g} +- {v.mean_nm_std:.2g} nm, variance "
                         f"{v.variance_nm2:.4g} nm^2, skewness {v.skewness:.3g}, kurtosis {v.kurtosis:.3g}")
            lines.append(f"    number-weighted: mean {n.mean_nm:.4g} +- {n.mean_nm_std:.2g} nm, variance "
                         f"{n.variance_nm2:.4g} nm^2")
        for i, p in enumerate(self.reported_populations):
            lines.append(f"  population {i}: {p.window_nm[0]:.4g}-{p.window_nm[1]:.4g} nm, mean "
                         f"{p.mean_nm:.4g} +- {p.mean_nm_std:.2g} nm, width {p.width_nm:.3g} nm, "
                         f"volume fraction {p.volume_fraction:.4g} +- {p.volume_fraction_std:.2g}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)

    def to_hdf5(self, group) -> None:
        """Write the result into an open h5py group (layout in the module docstring)."""
        g = group
        g.attrs["NX_class"] = "NXprocess"
        g.attrs["program"] = "mcfit"
        g.attrs["layout_version"] = LAYOUT_VERSION
        g.attrs["seed"] = int(self.seed)
        g.attrs["elapsed_s"] = float(self.elapsed_s)
        g.attrs["chi2_reduced"] = float(self.chi2_reduced)
        if self.quality is not None:
            g.attrs["chi2_reduced_fit_sigma"] = self.quality.chi2_reduced_fit_sigma
            g.attrs["chi2_reduced_data_sigma"] = self.quality.chi2_reduced_data_sigma
            quality_to_hdf5(self.quality, g.create_group("quality"))
        g.attrs["stop_criterion"] = self.stop_criterion
        g.attrs["volume_fraction_unit"] = self.volume_fraction_unit
        g.attrs["radius_range_nm"] = np.asarray(self.radius_range_nm, dtype=np.float64)
        g.attrs["warnings"] = json.dumps(list(self.warnings))
        g.attrs["settings"] = json.dumps(dataclasses.asdict(self.settings))
        st = g.create_group("settings")
        for key, value in dataclasses.asdict(self.settings).items():
            st.attrs[key] = "none" if value is None else (json.dumps(value) if isinstance(value, (list, tuple)) else value)
        d = g.create_group("data")
        d.attrs["n_input"] = int(self.n_input)
        for name in ("q_nm", "intensity", "sigma"):
            d.create_dataset(name, data=getattr(self, name))
        d["sigma"].attrs["description"] = ("the sigma the fit used: the data's own, floored at "
                                           f"min_rel_sigma = {self.settings.min_rel_sigma:g} of |I|")
        if self.sigma_data is not None:
            d.create_dataset("sigma_data", data=self.sigma_data)
            d["sigma_data"].attrs["description"] = "the data's own sigma (before the min_rel_sigma floor)"
        f = g.create_group("fit")
        f.create_dataset("q_nm", data=self.q_nm)
        f.create_dataset("intensity", data=self.fit_intensity)
        f.create_dataset("intensity_std", data=self.fit_intensity_std)
        r = g.create_group("repetitions")
        r.create_dataset("radii_nm", data=self.radii_nm, compression="gzip")
        for name in ("scale", "background", "steps", "accepted", "crossing_step", "converged", "stop_code",
                     "volume_fraction_per_contribution"):
            r.create_dataset(name, data=getattr(self, name))
        r.create_dataset("chi2_reduced", data=self.chi2_reduced_per_repetition)
        h = g.create_group("histogram")
        h.attrs["scale"] = self.histogram.scale
        h.create_dataset("centers_nm", data=self.histogram.centers_nm)
        for field in dataclasses.fields(Histogram):
            if field.name != "scale":
                h.create_dataset(field.name, data=getattr(self.histogram, field.name))
        rg = g.create_group("ranges")
        for i, rs in enumerate(self.ranges):
            sub = rg.create_group(str(i))
            sub.attrs["range_nm"] = np.asarray(rs.range_nm)
            sub.attrs["volume_fraction"] = rs.volume_fraction
            sub.attrs["volume_fraction_std"] = rs.volume_fraction_std
            for kind in ("volume_weighted", "number_weighted"):
                m = sub.create_group(kind)
                for key, value in dataclasses.asdict(getattr(rs, kind)).items():
                    m.attrs[key] = value
        if self.bound is not None:
            g.attrs["chi2_reduced_bound"] = self.bound.chi2_reduced
            bg = g.create_group("bound")
            for key in ("chi2", "chi2_reduced", "dof", "background"):
                bg.attrs[key] = getattr(self.bound, key)
            bg.attrs["description"] = self.bound.description
            bg.attrs["margin"] = "none" if self.settings.bound_margin is None else self.settings.bound_margin
            bg.attrs["message"] = self.bound_message or ""
            bg.create_dataset("radii_nm", data=self.bound.radii_nm)
            bg.create_dataset("weights", data=self.bound.weights)
        pg = g.create_group("populations")
        for i, p in enumerate(self.populations):
            sub = pg.create_group(str(i))
            for key, value in dataclasses.asdict(p).items():
                sub.attrs[key] = np.asarray(value) if isinstance(value, tuple) else value
        _nexus_classes(g, "1/cm" if self.volume_fraction_unit == "absolute" else "arbitrary")


def _nexus_classes(g, intensity_units: str) -> None:
    """NeXus base classes and ``@units`` for a result group (generic viewers plot ``data``, ``fit``
    and ``histogram`` as NXdata with error bars; ``@default`` shows the volume-weighted histogram).

    The ``<signal>_errors`` fields are hard links to the uncertainties (the NeXus convention silx
    and h5web read).
    """
    def nxdata(name, signal, axis, errors, units, axis_units="1/nm", style=None):
        d = g[name]
        d.attrs["NX_class"] = "NXdata"
        d.attrs["signal"], d.attrs["axes"] = signal, axis
        d.attrs[f"{axis}_indices"] = np.int32(0)
        d[f"{signal}_errors"] = d[errors]
        for key, ds in d.items():
            if key not in (axis,) and "units" not in ds.attrs:
                ds.attrs["units"] = units
        d[axis].attrs["units"] = axis_units
        if style:
            d.attrs["SILX_style"] = style

    loglog = json.dumps({"axes_scale_types": ["log"], "signal_scale_type": "log"})
    nxdata("data", "intensity", "q_nm", "sigma", intensity_units, style=loglog)
    nxdata("fit", "intensity", "q_nm", "intensity_std", intensity_units, style=loglog)
    # the data with the fitted curve over them: a viewer opening data/ draws both on log axes
    g["data/fit_intensity"] = g["fit/intensity"]
    g["data"].attrs["auxiliary_signals"] = ["fit_intensity"]
    h = g["histogram"]
    log_r = json.dumps({"axes_scale_types": ["log"]}) if h.attrs.get("scale") == "log" else None
    nxdata("histogram", "volume", "centers_nm", "volume_std", "1", axis_units="nm", style=log_r)
    h["edges_nm"].attrs["units"] = "nm"
    for key in ("number", "number_std", "number_observability"):
        if key in h:
            h[key].attrs["units"] = "1/nm^3"  # number density per bin: volume fraction / V (nm^3)
    g.attrs["default"] = "histogram"
    r = g["repetitions"]
    r["radii_nm"].attrs["units"] = "nm"
    for key, ds in r.items():
        if "units" not in ds.attrs:
            ds.attrs["units"] = "1"
    if "bound" in g:
        b = g["bound"]
        b["radii_nm"].attrs["units"] = "nm"
        # c_j of the columns V(R_j) F(qR_j)^2 with V in nm^3: the intensity per nm^3
        b["weights"].attrs["units"] = "arbitrary" if intensity_units == "arbitrary" else f"{intensity_units}/nm^3"
    # one attribute per field, read back by name: the classes add one attribute that no reader asks for
    for name, nx_class in (("settings", "NXparameters"), ("quality", "NXcollection"), ("bound", "NXcollection")):
        if name in g:
            g[name].attrs["NX_class"] = nx_class
    for name in ("repetitions", "ranges", "populations"):
        if name in g:
            g[name].attrs["NX_class"] = "NXcollection"
            g[name].visititems(lambda _, o: o.attrs.__setitem__("NX_class", "NXcollection")
                               if hasattr(o, "keys") else None)


def _find_group(h5):
    if h5.attrs.get("program") == "mcfit":
        return h5
    found = []

    def visit(name, obj):
        if hasattr(obj, "attrs") and obj.attrs.get("program") == "mcfit":
            found.append(name)
            return True
        return None

    h5.visititems(visit)
    if not found:
        raise ValueError(f"no mcfit result group (attribute program='mcfit') in {h5.file.filename}:{h5.name}")
    return h5[found[0]]


def _settings_from_json(text: str) -> FitSettings:
    raw = json.loads(text)
    for key in ("radius_range_nm", "q_range_nm"):
        if raw[key] is not None:
            raw[key] = tuple(raw[key])
    if raw["ranges_nm"] is not None:
        raw["ranges_nm"] = tuple(tuple(r) for r in raw["ranges_nm"])
    return FitSettings(**raw)


def _ro(array):
    a = np.array(array)
    a.setflags(write=False)
    return a


def read_result(source, *, group: str | None = None) -> FitResult:
    """Read a :class:`FitResult` written by :meth:`FitResult.to_hdf5`.

    Parameters
    ----------
    source : str, os.PathLike or h5py.Group
        A file (the first group with ``@program = "mcfit"`` is read, or ``group``) or an open group.
    group : str, optional
        Path of the result group inside the file.
    """
    import h5py

    if isinstance(source, (str, os.PathLike)):
        with h5py.File(source, "r") as h5:
            return read_result(h5[group] if group else h5)
    g = source[group] if group else _find_group(source)
    h = g["histogram"]
    hist = Histogram(**{f.name: (h.attrs["scale"] if f.name == "scale" else _ro(h[f.name]))
                        for f in dataclasses.fields(Histogram)})
    ranges = []
    for key in sorted(g["ranges"], key=int):
        sub = g["ranges"][key]
        vw = Moments(**{k: float(v) for k, v in sub["volume_weighted"].attrs.items() if k != "NX_class"})
        nw = Moments(**{k: float(v) for k, v in sub["number_weighted"].attrs.items() if k != "NX_class"})
        ranges.append(RangeStatistics(tuple(float(v) for v in sub.attrs["range_nm"]), float(sub.attrs["volume_fraction"]),
                                      float(sub.attrs["volume_fraction_std"]), vw, nw))
    pops = []
    for key in sorted(g["populations"], key=int):
        a = g["populations"][key].attrs
        pops.append(Population(**{f.name: (tuple(float(v) for v in a[f.name]) if f.name == "window_nm" else float(a[f.name]))
                                  for f in dataclasses.fields(Population)}))
    r = g["repetitions"]
    return FitResult(
        settings=_settings_from_json(g.attrs["settings"]),
        q_nm=_ro(g["data/q_nm"]), intensity=_ro(g["data/intensity"]), sigma=_ro(g["data/sigma"]),
        n_input=int(g["data"].attrs["n_input"]),
        fit_intensity=_ro(g["fit/intensity"]), fit_intensity_std=_ro(g["fit/intensity_std"]),
        radius_range_nm=tuple(float(v) for v in g.attrs["radius_range_nm"]),
        radii_nm=_ro(r["radii_nm"]), scale=_ro(r["scale"]), background=_ro(r["background"]),
        chi2_reduced_per_repetition=_ro(r["chi2_reduced"]), steps=_ro(r["steps"]), accepted=_ro(r["accepted"]),
        crossing_step=_ro(r["crossing_step"]), converged=_ro(r["converged"]), stop_code=_ro(r["stop_code"]),
        volume_fraction_per_contribution=_ro(r["volume_fraction_per_contribution"]),
        volume_fraction_unit=str(g.attrs["volume_fraction_unit"]),
        histogram=hist, ranges=tuple(ranges), populations=tuple(pops),
        chi2_reduced=float(g.attrs["chi2_reduced"]), elapsed_s=float(g.attrs["elapsed_s"]),
        warnings=tuple(json.loads(g.attrs["warnings"])),
        sigma_data=_ro(g["data/sigma_data"]) if "sigma_data" in g["data"] else None,
        quality=quality_from_hdf5(g["quality"]) if "quality" in g else None,
        bound=_bound_from_hdf5(g["bound"]) if "bound" in g else None,
    )


def _bound_from_hdf5(group) -> ChiSquareBound:
    a = group.attrs
    return ChiSquareBound(chi2=float(a["chi2"]), chi2_reduced=float(a["chi2_reduced"]), dof=int(a["dof"]),
                          radii_nm=_ro(group["radii_nm"]), weights=_ro(group["weights"]),
                          background=float(a["background"]))
