"""Ground truth of a simulated measurement: every parameter, the exact counting model, and JSON I/O.

Counting model (exact; downstream tests rely on it)
---------------------------------------------------
Expected counts in pixel p of frame k::

    E[c_pk] = dark_rate * t + eta * flat_p * P_p * dOmega_p * N0_k * T_k * S_k(q_p) * (1 - shadow_p)

- ``t`` exposure time (s), ``dark_rate`` counts/s/pixel (uniform), ``eta`` detector efficiency;
- ``flat_p`` the flat field as stored in ``calibrations/flat.edf`` (float32), ``P_p`` the
  polarisation factor and ``dOmega_p`` the exact pixel solid angle (sr) of
  :mod:`saxs.simulate.detector`; ``shadow_p`` = 1 behind the beamstop;
- ``N0_k`` incident photons of frame k; ``T_k = prod_j exp(-mu_j d_j)`` the transmission of
  all layers (times ``bubble.transmission_factor`` in a bubble frame);
- ``S_k(q) = sum_j d_j[cm] * I_j(q)[1/cm]`` over the layers (Kapton walls, liquid, glassy carbon
  ...), plus ``d_liquid * K / (q**2 + qc**2)**2`` in a bubble frame (interface scattering).

Counts are Poisson draws of ``E``; gap and dead pixels then read ``2**32 - 1``.
Monitors (noise-free, then rounded to integer scaler counts)::

    i0_k = g0 * N0_k,      i1_k = g1 * T_k * N0_k
    HS32C[k, pin - 1] = round(i_x / HS32F + HS32Z * t)      (pin = HSI0 or HSI1, 1-based)

so that the calibrated ``HS32V = (HS32C - HS32Z t) HS32F`` (the scalers file, or the master file's
``measurement/<counter>``) gives them back within half a count times HS32F; ``HSIxFactor`` is in the
header but not applied (the ID02 / ewoksid02 convention, :mod:`saxs.id02.base`).
The empty-beam file has no layers (``T = 1``), so ``T = (i1/i0)_sample / (i1/i0)_empty``.

What a reduction must give: dividing dark-subtracted counts by ``dOmega * P * flat * i1`` and
multiplying by ``NormalizationFactor`` gives, in expectation,
``eta / g1 * S_k(q) * NormalizationFactor`` = :meth:`GroundTruth.total_reduced_intensity`
(the ``N0_k T_k`` of the counts cancels the one in ``i1``).

The liquid's intensity is ``particles + (1 - phi_total) * solvent + Bragg peaks + correlation peaks``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..atomic import write_text_atomic
from ..errors import InputError
from . import physics
from .detector import Geometry

TRUTH_VERSION = 1


@dataclass(frozen=True)
class Layer:
    """One layer in the beam.

    Attributes
    ----------
    name : str
        ``"capillary_walls"``, ``"liquid"``, ``"glassy_carbon"``...
    material : str
        ``"liquid"`` or a key of :data:`saxs.simulate.physics.MATERIALS`.
    thickness_mm : float
        Total path length through the layer, mm.
    mu_per_cm : float
        Linear attenuation coefficient, 1/cm.
    solvent : str or None
        For a liquid: ``"solvent_ode"``, ``"water"`` or None.
    contrast_1e6_per_A2 : float
        For a liquid with particles: their contrast against the solvent.
    populations : tuple of physics.Population
    bragg_peaks, correlation_peaks : tuple of physics.BraggPeak
    """

    name: str
    material: str
    thickness_mm: float
    mu_per_cm: float
    solvent: str | None = None
    contrast_1e6_per_A2: float = 0.0
    populations: tuple = ()
    bragg_peaks: tuple = ()
    correlation_peaks: tuple = ()

    @property
    def thickness_cm(self) -> float:
        return self.thickness_mm * 0.1

    @property
    def volume_fraction(self) -> float:
        """Total volume fraction of particles."""
        return float(sum(p.volume_fraction for p in self.populations))

    def particles_1cm(self, q_nm) -> np.ndarray:
        return physics.particles_1cm(q_nm, self.populations, self.contrast_1e6_per_A2)

    def solvent_1cm(self, q_nm) -> np.ndarray:
        if self.solvent is None:
            return np.zeros(np.shape(q_nm))
        return physics.MATERIALS[self.solvent](q_nm)

    def intensity_1cm(self, q_nm) -> np.ndarray:
        """The layer's dSigma/dOmega, 1/cm."""
        if self.material != "liquid":
            return physics.MATERIALS[self.material](q_nm)
        return (self.particles_1cm(q_nm) + (1.0 - self.volume_fraction) * self.solvent_1cm(q_nm)
                + physics.bragg_1cm(q_nm, self.bragg_peaks) + physics.bragg_1cm(q_nm, self.correlation_peaks))

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("name", "material", "thickness_mm", "mu_per_cm", "solvent",
                                            "contrast_1e6_per_A2")}
        d["populations"] = [asdict(p) for p in self.populations]
        d["bragg_peaks"] = [asdict(p) for p in self.bragg_peaks]
        d["correlation_peaks"] = [asdict(p) for p in self.correlation_peaks]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Layer":
        return cls(
            name=d["name"], material=d["material"], thickness_mm=float(d["thickness_mm"]),
            mu_per_cm=float(d["mu_per_cm"]), solvent=d.get("solvent"),
            contrast_1e6_per_A2=float(d.get("contrast_1e6_per_A2", 0.0)),
            populations=tuple(physics.Population(**p) for p in d.get("populations", ())),
            bragg_peaks=tuple(physics.BraggPeak(**p) for p in d.get("bragg_peaks", ())),
            correlation_peaks=tuple(physics.BraggPeak(**p) for p in d.get("correlation_peaks", ())),
        )


@dataclass(frozen=True)
class Bubble:
    """An outlier frame: a gas bubble in the liquid.

    Its curved interfaces refract part of the beam away from the transmitted-beam monitor
    (measured transmission multiplied by ``transmission_factor`` < 1) and scatter strongly at
    low q (``porod_1cm_nm4 / (q**2 + qc_nm**2)**2`` 1/cm over the liquid path).
    """

    frame: int
    transmission_factor: float
    porod_1cm_nm4: float
    qc_nm: float = 0.05


@dataclass(frozen=True)
class GroundTruth:
    """Everything the simulator used for one raw file (see the module docstring for the model)."""

    name: str
    kind: str  # "sample", "blank", "standard", "dark", "empty_beam"
    raw_file: str
    seed: int
    geometry: Geometry
    exposure_time_s: float
    dark_rate_per_s: float
    eta: float
    g0: float
    g1: float
    hsi0: int
    hsi1: int
    hsi0_factor: float
    hsi1_factor: float
    scaler_dark_per_s: tuple
    scaler_names: tuple
    normalization_factor: float
    n0_per_frame: tuple
    layers: tuple = ()
    bubble: Bubble | None = None
    metadata: dict = field(default_factory=dict)

    # --- parameters -------------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return len(self.n0_per_frame)

    @property
    def transmission(self) -> float:
        """Transmission of all layers, ``prod exp(-mu d)`` (without any bubble)."""
        return float(np.exp(-sum(l.mu_per_cm * l.thickness_cm for l in self.layers)))

    def frame_transmission(self, frame: int) -> float:
        """Transmission seen by the monitors in ``frame`` (bubble frames are lower)."""
        t = self.transmission
        if self.bubble is not None and frame == self.bubble.frame:
            t *= self.bubble.transmission_factor
        return t

    def layer(self, name: str) -> Layer | None:
        for l in self.layers:
            if l.name == name:
                return l
        return None

    @property
    def thickness_mm(self) -> float | None:
        """Thickness of the sample proper: the liquid path, or the standard plate; None otherwise."""
        for name in ("liquid", "glassy_carbon"):
            l = self.layer(name)
            if l is not None:
                return l.thickness_mm
        return None

    @property
    def contrast_1e6_per_A2(self) -> float:
        l = self.layer("liquid")
        return 0.0 if l is None else l.contrast_1e6_per_A2

    @property
    def populations(self) -> tuple:
        l = self.layer("liquid")
        return () if l is None else l.populations

    def monitors(self, frame: int) -> tuple[float, float]:
        """Noise-free monitor values ``(i0, i1)`` of ``frame`` (before rounding to scaler counts)."""
        n0 = self.n0_per_frame[frame]
        return self.g0 * n0, self.g1 * self.frame_transmission(frame) * n0

    # --- curves -----------------------------------------------------------------------------
    def particle_intensity_1cm(self, q_nm) -> np.ndarray:
        """The particles' own scattering, 1/cm (what subtraction + absolute scaling must give)."""
        l = self.layer("liquid")
        return np.zeros(np.shape(q_nm)) if l is None else l.particles_1cm(q_nm)

    def solvent_intensity_1cm(self, q_nm) -> np.ndarray:
        """The pure solvent's scattering, 1/cm (the liquid holds ``1 - phi`` of it)."""
        l = self.layer("liquid")
        return np.zeros(np.shape(q_nm)) if l is None else l.solvent_1cm(q_nm)

    def liquid_intensity_1cm(self, q_nm) -> np.ndarray:
        """Scattering of the liquid (particles + (1-phi) solvent + peaks), 1/cm."""
        l = self.layer("liquid")
        return np.zeros(np.shape(q_nm)) if l is None else l.intensity_1cm(q_nm)

    def bragg_intensity_1cm(self, q_nm) -> np.ndarray:
        """Bragg + correlation peaks of the liquid, 1/cm."""
        l = self.layer("liquid")
        if l is None:
            return np.zeros(np.shape(q_nm))
        return physics.bragg_1cm(q_nm, l.bragg_peaks) + physics.bragg_1cm(q_nm, l.correlation_peaks)

    def scattering_sum(self, q_nm, *, frame: int | None = None) -> np.ndarray:
        """``S(q) = sum_j d_j[cm] I_j(q)[1/cm]`` (per sr, dimensionless); ``frame`` adds a bubble."""
        q = np.asarray(q_nm, dtype=np.float64)
        s = np.zeros(q.shape)
        for l in self.layers:
            s += l.thickness_cm * l.intensity_1cm(q)
        if self.bubble is not None and frame == self.bubble.frame:
            liquid = self.layer("liquid")
            s += liquid.thickness_cm * physics.porod_1cm(q, self.bubble.porod_1cm_nm4, self.bubble.qc_nm)
        return s

    @property
    def reduced_scale(self) -> float:
        """``eta / g1 * NormalizationFactor``: reduced intensity per unit ``S(q)``."""
        return self.eta / self.g1 * self.normalization_factor

    def total_reduced_intensity(self, q_nm, *, frame: int | None = None) -> np.ndarray:
        """What the reduction must give: ``eta / g1 * S(q) * NormalizationFactor``.

        The reduction divides dark-subtracted counts by (absolute solid angle x polarisation x
        flat x i1 monitor) and multiplies by ``NormalizationFactor``. ``frame=None`` (or any
        frame but the bubble one) is a clean frame.
        """
        return self.reduced_scale * self.scattering_sum(q_nm, frame=frame)

    def expected_counts(self, q_nm, solid_angle_sr, polarisation, flat, *, frame: int,
                        shadow=None) -> np.ndarray:
        """Expected counts of ``frame`` (same shape as the inputs), per the module docstring."""
        n0 = self.n0_per_frame[frame]
        signal = (self.eta * np.asarray(flat, dtype=np.float64) * polarisation * solid_angle_sr * n0
                  * self.frame_transmission(frame) * self.scattering_sum(q_nm, frame=frame))
        if shadow is not None:
            signal = np.where(shadow, 0.0, signal)
        return self.dark_rate_per_s * self.exposure_time_s + signal

    # --- I/O --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": TRUTH_VERSION, "name": self.name, "kind": self.kind, "raw_file": self.raw_file,
            "seed": self.seed, "geometry": self.geometry.to_dict(),
            "exposure_time_s": self.exposure_time_s, "dark_rate_per_s": self.dark_rate_per_s,
            "eta": self.eta, "g0": self.g0, "g1": self.g1, "hsi0": self.hsi0, "hsi1": self.hsi1,
            "hsi0_factor": self.hsi0_factor, "hsi1_factor": self.hsi1_factor,
            "scaler_dark_per_s": list(self.scaler_dark_per_s), "scaler_names": list(self.scaler_names),
            "normalization_factor": self.normalization_factor,
            "n0_per_frame": list(self.n0_per_frame),
            "layers": [l.to_dict() for l in self.layers],
            "bubble": None if self.bubble is None else asdict(self.bubble),
            "metadata": dict(self.metadata),
            # derived, for readers without this module:
            "transmission": self.transmission,
            "thickness_mm": self.thickness_mm,
            "contrast_1e6_per_A2": self.contrast_1e6_per_A2,
            "reduced_scale": self.reduced_scale,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "GroundTruth":
        return cls(
            name=d["name"], kind=d["kind"], raw_file=d["raw_file"], seed=int(d["seed"]),
            geometry=Geometry.from_dict(d["geometry"]),
            exposure_time_s=float(d["exposure_time_s"]), dark_rate_per_s=float(d["dark_rate_per_s"]),
            eta=float(d["eta"]), g0=float(d["g0"]), g1=float(d["g1"]), hsi0=int(d["hsi0"]),
            hsi1=int(d["hsi1"]), hsi0_factor=float(d["hsi0_factor"]), hsi1_factor=float(d["hsi1_factor"]),
            scaler_dark_per_s=tuple(float(v) for v in d["scaler_dark_per_s"]),
            scaler_names=tuple(d["scaler_names"]),
            normalization_factor=float(d["normalization_factor"]),
            n0_per_frame=tuple(float(v) for v in d["n0_per_frame"]),
            layers=tuple(Layer.from_dict(l) for l in d["layers"]),
            bubble=None if d.get("bubble") is None else Bubble(**d["bubble"]),
            metadata=dict(d.get("metadata", {})),
        )


def save_truth(path, truth: GroundTruth) -> Path:
    """Write ``truth`` as JSON (atomically) and return the path."""
    return write_text_atomic(path, json.dumps(truth.to_dict(), indent=1) + "\n")


def load_truth(path) -> GroundTruth:
    """Read a ground-truth JSON file written by :func:`save_truth`.

    Raises
    ------
    InputError
        If the file is not a version-1 truth file.
    """
    path = Path(path)
    try:
        d = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, "file", "a JSON ground-truth file", got=str(exc)) from None
    if d.get("version") != TRUTH_VERSION:
        raise InputError(path, "version", f"{TRUTH_VERSION}", got=d.get("version"))
    try:
        return GroundTruth.from_dict(d)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, "content", "a complete ground-truth record", got=str(exc)) from None
