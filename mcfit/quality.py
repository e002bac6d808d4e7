"""How well a fit describes the data: chi-square against two uncertainties, residual structure, verdict.

The fit runs against the data's sigma floored at ``min_rel_sigma * |I|`` (1 % by default: the
reduction's sigma ignores systematic errors of a few per mille). A reduced chi-square against those
floored uncertainties says whether the fit met its own criterion, not whether it describes the data
as well as the data allow; so both are reported, each labelled with the sigma it divides by:

- ``chi2_reduced_fit_sigma``: sum(((I - fit) / sigma_fit)**2) / dof, sigma_fit the floored sigma the
  fit ran with ("chi2_r (sigma floored at 1 %)");
- ``chi2_reduced_data_sigma``: the same with the data's own sigma ("chi2_r (data's own sigma)").

``fit`` is the mean fitted curve over the repetitions (the curve drawn and stored), ``dof = n - 2``
with a fitted background (``n - 1`` with a fixed one).

Rule for a **poor fit** (a fit that does not describe the data): both

1. ``chi2_reduced_data_sigma > max_chi2_reduced`` (default 3): the model misses the data by more
   than the data's own uncertainties allow, and
2. the normalised residuals ``r = (I - fit) / sigma_data`` are structured: their Durbin-Watson
   statistic ``d = sum(diff(r)**2) / sum(r**2) < max_durbin_watson`` (default 1). Independent
   residuals give ``d`` close to 2; a smooth misfit gives ``d`` near 0. Neighbouring bins of an
   azimuthal integration share pixels, so good fits of real reductions give ``d`` of 0.7-1.1, never
   the 0.3 of a misfit or the 0.05 of spheres fitted to Bragg peaks.

Both are needed: a large chi-square with unstructured residuals means underestimated uncertainties,
not a wrong model; structured residuals within the uncertainties are not a misfit the data can see.
The Wald-Wolfowitz runs test of the residuals' signs is reported too (``runs_z``: normal score of
the number of runs, strongly negative for a smooth misfit), for information only: it grows with the
number of points, so it is not part of the rule.

A fit's **populations are withheld** (the fit is rejected for sizes) when

- it is a poor fit and it did not meet its own criterion against the sigma it ran with
  (``chi2_reduced_fit_sigma > convergence``): the sphere model cannot describe the curve even
  within the floored uncertainties (a mesophase with Bragg peaks, a power law); a poor fit that met
  its criterion misfits within the floor and keeps its populations (flagged), or
- its dominant population (largest volume fraction) reaches the first or the last histogram bin: its
  size is set by the radius range, not by the data.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

#: Default thresholds of the poor-fit rule (see the module docstring).
MAX_CHI2_REDUCED = 3.0
MAX_DURBIN_WATSON = 1.0


def chi2_labels(min_rel_sigma: float) -> tuple[str, str]:
    """Labels of (chi2 against the fit's sigma, chi2 against the data's own sigma).

    Examples
    --------
    >>> chi2_labels(0.01)
    ('chi2_r (sigma floored at 1 %)', "chi2_r (data's own sigma)")
    """
    fit = (f"chi2_r (sigma floored at {100 * min_rel_sigma:g} %)" if min_rel_sigma > 0
           else "chi2_r (data's own sigma, no floor)")
    return fit, "chi2_r (data's own sigma)"


@dataclass(frozen=True)
class FitQuality:
    """Figures of merit of a fit, each saying what it was computed against, and the verdict.

    Attributes
    ----------
    chi2_reduced_fit_sigma : float
        Reduced chi-square of the mean fitted curve against the sigma the fit used (floored).
    chi2_reduced_data_sigma : float
        The same against the data's own sigma.
    label_fit_sigma, label_data_sigma : str
        What each of the two says, e.g. "chi2_r (sigma floored at 1 %)".
    min_rel_sigma : float
        The floor: the fit's sigma is ``max(sigma_data, min_rel_sigma * |I|)``.
    n_floored : int
        Points whose sigma the floor raised.
    dof : int
        Degrees of freedom (points minus linear parameters).
    durbin_watson : float
        Durbin-Watson statistic of the residuals normalised by the data's own sigma (2: independent).
    runs_z : float
        Normal score of the number of sign runs of those residuals (information only).
    max_chi2_reduced, max_durbin_watson : float
        Thresholds of the poor-fit rule.
    poor_fit : bool
        True when the fit does not describe the data (rule in the module docstring).
    poor_fit_reason : str or None
        Why, in words.
    dominant_at_edge : bool
        The dominant population reaches the first or last histogram bin.
    populations_withheld : str or None
        Why the populations are not reported (None: they are).
    """

    chi2_reduced_fit_sigma: float
    chi2_reduced_data_sigma: float
    label_fit_sigma: str
    label_data_sigma: str
    min_rel_sigma: float
    n_floored: int
    dof: int
    durbin_watson: float
    runs_z: float
    max_chi2_reduced: float
    max_durbin_watson: float
    poor_fit: bool
    poor_fit_reason: str | None
    dominant_at_edge: bool
    populations_withheld: str | None

    @property
    def rejected(self) -> bool:
        """True when the populations are withheld."""
        return self.populations_withheld is not None

    def as_dict(self) -> dict:
        """JSON-ready dict (field names as keys)."""
        return asdict(self)

    def headline(self) -> str:
        """One line: both chi2 with their labels, and the verdict."""
        text = (f"{self.label_data_sigma} {self.chi2_reduced_data_sigma:.3g}; "
                f"{self.label_fit_sigma} {self.chi2_reduced_fit_sigma:.3g}")
        if self.poor_fit:
            text += "; POOR FIT"
        return text


def durbin_watson(residuals: np.ndarray) -> float:
    """``sum(diff(r)**2) / sum(r**2)`` of residuals in q order (2 for independent ones; nan if all 0)."""
    r = np.asarray(residuals, dtype=float)
    denominator = float(np.sum(r**2))
    return float(np.sum(np.diff(r) ** 2) / denominator) if denominator > 0 else math.nan


def runs_z(residuals: np.ndarray) -> float:
    """Wald-Wolfowitz runs test of the signs of ``residuals``: (runs - mean) / std (nan if one sign only)."""
    positive = np.asarray(residuals, dtype=float) > 0
    n1 = int(np.count_nonzero(positive))
    n2 = positive.size - n1
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return math.nan
    runs = 1 + int(np.count_nonzero(positive[1:] != positive[:-1]))
    mean = 2.0 * n1 * n2 / n + 1.0
    variance = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n * n * (n - 1.0))
    return float((runs - mean) / math.sqrt(variance)) if variance > 0 else math.nan


def assess(intensity, fit_intensity, sigma_fit, sigma_data, *, n_linear: int, min_rel_sigma: float,
           convergence: float, populations=(), bin_edges_nm=None, max_chi2_reduced: float = MAX_CHI2_REDUCED,
           max_durbin_watson: float = MAX_DURBIN_WATSON) -> FitQuality:
    """Both reduced chi-squares, the residual structure and the verdict of a fit.

    Parameters
    ----------
    intensity, fit_intensity : ndarray, shape (n,)
        The data as fitted and the mean fitted curve (same unit).
    sigma_fit, sigma_data : ndarray, shape (n,)
        The sigma the fit ran with (floored) and the data's own sigma (> 0).
    n_linear : int
        Linear parameters of the fit (2: scale and background; 1: scale with a fixed background).
    min_rel_sigma : float
        The floor that made ``sigma_fit`` from ``sigma_data``.
    convergence : float
        The fit's reduced chi-square criterion (against ``sigma_fit``).
    populations : sequence of mcfit.Population
        The populations found (``window_nm`` and ``volume_fraction`` are used).
    bin_edges_nm : ndarray, shape (n_bins + 1,), optional
        Histogram bin edges: a dominant population whose window starts at the first or ends at the
        last edge is "at the edge of the radius range".
    max_chi2_reduced, max_durbin_watson : float
        Thresholds of the poor-fit rule (module docstring).

    Returns
    -------
    FitQuality

    Examples
    --------
    >>> i = np.ones(50); s = np.full(50, 0.1)
    >>> q = assess(i, i + 0.5 * s * np.sin(np.arange(50)), s, s, n_linear=2, min_rel_sigma=0.0, convergence=1.0)
    >>> q.poor_fit, round(q.chi2_reduced_data_sigma, 2)
    (False, 0.13)
    """
    i, model = np.asarray(intensity, dtype=float), np.asarray(fit_intensity, dtype=float)
    s_fit, s_data = np.asarray(sigma_fit, dtype=float), np.asarray(sigma_data, dtype=float)
    dof = max(1, i.size - int(n_linear))
    r_data = (i - model) / s_data
    chi2_fit = float(np.sum(((i - model) / s_fit) ** 2) / dof)
    chi2_data = float(np.sum(r_data**2) / dof)
    dw = durbin_watson(r_data)
    z = runs_z(r_data)
    poor = bool(chi2_data > max_chi2_reduced and dw < max_durbin_watson)
    label_fit, label_data = chi2_labels(min_rel_sigma)
    reason = None
    if poor:
        reason = (f"{label_data} {chi2_data:.3g} > {max_chi2_reduced:g} with structured residuals "
                  f"(Durbin-Watson {dw:.2f} < {max_durbin_watson:g})")
    at_edge, withheld = False, None
    pops = tuple(populations)
    if pops and bin_edges_nm is not None and len(bin_edges_nm) > 1:
        dominant = max(pops, key=lambda p: p.volume_fraction if math.isfinite(p.volume_fraction) else -math.inf)
        lo, hi = float(bin_edges_nm[0]), float(bin_edges_nm[-1])
        tol = 1e-9 * (hi - lo)
        at_edge = bool(dominant.window_nm[0] <= lo + tol or dominant.window_nm[1] >= hi - tol)
        if at_edge:
            withheld = (f"dominant population ({dominant.mean_nm:.3g} nm, window {dominant.window_nm[0]:.3g}-"
                        f"{dominant.window_nm[1]:.3g} nm) at the edge of the radius range {lo:.3g}-{hi:.3g} nm")
    if poor and chi2_fit > convergence:
        text = (f"poor fit that missed its own criterion ({label_fit} {chi2_fit:.3g} > {convergence:g}): "
                "spheres do not describe this curve")
        withheld = text if withheld is None else f"{text}; {withheld}"
    return FitQuality(
        chi2_reduced_fit_sigma=chi2_fit, chi2_reduced_data_sigma=chi2_data, label_fit_sigma=label_fit,
        label_data_sigma=label_data, min_rel_sigma=float(min_rel_sigma),
        n_floored=int(np.count_nonzero(s_fit > s_data)), dof=int(dof), durbin_watson=dw, runs_z=z,
        max_chi2_reduced=float(max_chi2_reduced), max_durbin_watson=float(max_durbin_watson), poor_fit=poor,
        poor_fit_reason=reason, dominant_at_edge=at_edge, populations_withheld=withheld)


def quality_to_hdf5(quality: FitQuality, group) -> None:
    """Write ``quality`` as attributes of an open h5py group (None as the empty string)."""
    for key, value in quality.as_dict().items():
        group.attrs[key] = "" if value is None else value
    group.attrs["rule"] = ("poor fit: chi2_reduced_data_sigma > max_chi2_reduced and durbin_watson < "
                           "max_durbin_watson; populations withheld: poor fit with chi2_reduced_fit_sigma > "
                           "convergence, or dominant population at the first/last histogram bin")


def quality_from_hdf5(group) -> FitQuality:
    """Read what :func:`quality_to_hdf5` wrote."""
    a = group.attrs
    kwargs = {}
    for name in FitQuality.__dataclass_fields__:
        value = a[name]
        if isinstance(value, bytes):
            value = value.decode()
        if isinstance(value, np.generic):
            value = value.item()
        if name in ("poor_fit_reason", "populations_withheld"):
            value = str(value) or None
        elif name in ("poor_fit", "dominant_at_edge"):
            value = bool(value)
        elif name in ("n_floored", "dof"):
            value = int(value)
        elif name.startswith("label"):
            value = str(value)
        else:
            value = float(value)
        kwargs[name] = value
    return FitQuality(**kwargs)


__all__ = ["FitQuality", "assess", "chi2_labels", "durbin_watson", "runs_z", "MAX_CHI2_REDUCED",
           "MAX_DURBIN_WATSON"]
