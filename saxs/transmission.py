"""X-ray transmission of a sample from the incident and transmitted beam monitors.

The transmission is the fraction of the direct beam that crosses the sample:

    T = (I1 / I0)_sample / (I1 / I0)_empty beam

where I0 is the incident-flux monitor (upstream of the sample) and I1 the transmitted-flux monitor
(downstream, usually a diode in the beamstop). Dividing by the empty-beam ratio removes the
unknown gains of the two monitors. A given value (measured elsewhere) is also accepted.

``T <= 0`` is impossible and is an error; ``T > 1.05`` is physically implausible (a sample cannot
transmit more than the empty beam) and gives a warning, since monitor noise or a beam drift can
push a very thin sample slightly above 1.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .errors import InputError

log = logging.getLogger(__name__)

#: Transmissions above this are implausible and give a warning.
T_WARN_ABOVE = 1.05


class TransmissionWarning(UserWarning):
    """A transmission that is possible but implausible (above 1.05)."""


@dataclass(frozen=True)
class Transmission:
    """A transmission with its standard uncertainty.

    Attributes
    ----------
    value : float
        Transmission, dimensionless, > 0.
    sigma : float
        Standard uncertainty of ``value`` (0 when unknown).
    source : str
        ``"monitors"`` (from I1/I0 ratios) or ``"given"``.
    warning : str or None
        Why the value is implausible (above 1.05), or None.
    """

    value: float
    sigma: float = 0.0
    source: str = "given"
    warning: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for provenance and JSON."""
        return {"value": self.value, "sigma": self.sigma, "source": self.source, "warning": self.warning}


def check_transmission(value: float, *, file=None, field: str = "transmission") -> str | None:
    """Validate a transmission; return a warning text when it is above 1.05, else None.

    Raises
    ------
    InputError
        If ``value`` is not a finite number > 0 (the file, when given, is named).
    """
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError(file, field, "a transmission between 0 and 1", got=value) from None
    if not math.isfinite(t) or t <= 0.0:
        raise InputError(file, field, "a transmission > 0 (a zero or negative transmission means a "
                         "missing beam or wrong monitor channels)", got=t)
    if t > T_WARN_ABOVE:
        where = f"{file}: " if file is not None else ""
        text = f"{where}{field} = {t:.4g} is above {T_WARN_ABOVE}: check the monitors and the empty beam"
        warnings.warn(text, TransmissionWarning, stacklevel=3)
        return text
    return None


def transmission_given(value: float, sigma: float = 0.0, *, file=None) -> Transmission:
    """A transmission measured elsewhere, validated.

    Examples
    --------
    >>> transmission_given(0.8, 0.01).value
    0.8
    """
    warning = check_transmission(value, file=file)
    s = float(sigma)
    if not math.isfinite(s) or s < 0:
        raise InputError(file, "transmission_sigma", "a finite uncertainty >= 0", got=sigma)
    return Transmission(float(value), s, "given", warning)


def _ratio(i0, i1, rel_sigma: float | None, file, label: str) -> tuple[float, float]:
    """Ratio sum(i1)/sum(i0) and its relative variance (Poisson or given, or frame scatter)."""
    a0 = np.atleast_1d(np.asarray(i0, dtype=np.float64))
    a1 = np.atleast_1d(np.asarray(i1, dtype=np.float64))
    if a0.shape != a1.shape or a0.ndim != 1 or a0.size == 0:
        raise InputError(file, f"{label} monitors", "as many I0 as I1 readings (one per frame)",
                         got=f"{a0.shape} and {a1.shape}")
    if not (np.all(np.isfinite(a0)) and np.all(np.isfinite(a1))) or np.any(a0 <= 0):
        raise InputError(file, f"{label} I0 monitor", "finite readings > 0", got=a0.tolist()[:5])
    if np.any(a1 <= 0):
        raise InputError(file, f"{label} I1 monitor", "transmitted-flux readings > 0 (a zero or negative "
                         "I1 gives a zero or negative transmission)", got=a1.tolist()[:5])
    s0, s1 = float(a0.sum()), float(a1.sum())
    ratio = s1 / s0
    if rel_sigma is None:
        # Monitors as counts: Poisson variance of each sum.
        rel_var = 1.0 / s1 + 1.0 / s0
    else:
        rel_var = (rel_sigma**2) * (float(np.sum(a1**2)) / s1**2 + float(np.sum(a0**2)) / s0**2)
    if a0.size >= 2:
        # Frame-to-frame scatter of the per-frame ratios (beam jitter, bubbles): never smaller.
        per_frame = a1 / a0
        scatter = float(np.std(per_frame, ddof=1) / math.sqrt(per_frame.size)) / ratio
        rel_var = max(rel_var, scatter**2)
    return ratio, rel_var


def transmission_from_monitors(i0, i1, i0_empty, i1_empty, *, monitor_rel_sigma: float | None = None,
                               file=None) -> Transmission:
    """Transmission from the monitors of the sample and of the empty beam.

    Parameters
    ----------
    i0, i1 : float or array_like, shape (n_frames,)
        Incident and transmitted monitor readings of the sample (one per frame, summed).
    i0_empty, i1_empty : float or array_like, shape (m_frames,)
        The same for the empty beam (no sample, no capillary).
    monitor_rel_sigma : float, optional
        Relative standard uncertainty of one monitor reading. By default the readings are
        treated as counts (Poisson). With several frames the frame-to-frame scatter of the
        ratios is used where it is larger.
    file : str or os.PathLike, optional
        The sample file, named in errors.

    Returns
    -------
    Transmission
        ``value`` and ``sigma`` (relative uncertainties of the two ratios in quadrature).

    Raises
    ------
    InputError
        For missing, zero or negative monitors, or a transmission <= 0.

    Examples
    --------
    >>> t = transmission_from_monitors(1e6, 4e5, 1e6, 5e5)
    >>> round(t.value, 6)
    0.8
    """
    r_s, v_s = _ratio(i0, i1, monitor_rel_sigma, file, "sample")
    r_e, v_e = _ratio(i0_empty, i1_empty, monitor_rel_sigma, file, "empty-beam")
    t = r_s / r_e
    warning = check_transmission(t, file=file)
    sigma = t * math.sqrt(v_s + v_e)
    if warning:
        log.warning(warning)
    return Transmission(t, sigma, "monitors", warning)


def monitors_from_provenance(provenance: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-frame (i0, i1) recorded by the reduction in a profile's provenance, or None.

    Looks for ``monitors`` = {"i0": [...], "i1": [...]} (or flat ``i0``/``i1`` keys), also under
    ``upstream`` (a profile read back from NXcanSAS).
    """
    layers = [provenance]
    if isinstance(provenance.get("upstream"), Mapping):
        layers.append(provenance["upstream"])
    for prov in layers:
        mon = prov.get("monitors")
        source = mon if isinstance(mon, Mapping) and "i0" in mon and "i1" in mon else prov
        if "i0" not in source or "i1" not in source:
            continue
        try:
            i0 = np.atleast_1d(np.asarray(source["i0"], dtype=np.float64))
            i1 = np.atleast_1d(np.asarray(source["i1"], dtype=np.float64))
        except (TypeError, ValueError):
            return None
        if i0.shape != i1.shape or not (np.all(np.isfinite(i0)) and np.all(np.isfinite(i1))):
            return None  # a file without monitor values
        return i0, i1
    return None


__all__ = [
    "Transmission", "TransmissionWarning", "T_WARN_ABOVE", "check_transmission", "transmission_given",
    "transmission_from_monitors", "monitors_from_provenance",
]
