"""Detector geometry of the simulator, computed analytically with NumPy (no pyFAI: pyFAI is the
independent oracle the reduction is tested against).

Conventions (Fit2D, as ID02 headers and pyFAI's ``setFit2D``): a flat detector perpendicular to
the beam (no tilt); pixel ``(row i, column j)`` has its centre at ``x = (j + 0.5 - Center_1) * PSize_1``
(fast axis, horizontal) and ``y = (i + 0.5 - Center_2) * PSize_2`` (slow axis, vertical) from
the point where the direct beam meets the detector, at ``SampleDistance`` from the sample.

- ``2theta = atan(sqrt(x**2 + y**2) / D)``, ``q = 4 pi / lambda * sin(theta)`` (1/nm);
- solid angle of a pixel: the **exact** solid angle of the rectangle
  ``[x0, x1] x [y0, y1]`` seen from the sample,
  ``Omega = sum_corners +- atan(x y / (D sqrt(D**2 + x**2 + y**2)))`` (sr);
- polarisation (horizontal, i.e. along x, fraction ``f``, pyFAI's convention):
  ``P = (1 + cos**2 2theta - f cos(2 chi) sin**2 2theta) / 2`` with ``chi = atan2(y, x)``.

The Eiger2 4M has 2 x 4 modules of 1028 x 512 pixels (75 um) separated by gaps of 12 columns
and 38 rows: 2068 columns x 2162 rows. Binned detectors (``binning`` b) sum b x b pixels, drop the
incomplete last rows/columns, and a binned pixel is a gap if any of its pixels is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Eiger2 4M: full frame (rows, columns), pixel size (m), module size (rows, columns), gaps.
EIGER2_4M_SHAPE = (2162, 2068)
EIGER2_4M_PIXEL_M = 75e-6
EIGER2_4M_MODULE = (512, 1028)
EIGER2_4M_GAP = (38, 12)
#: ID02's horizontal polarisation factor.
POLARIZATION_FACTOR = 0.99


@dataclass(frozen=True)
class Geometry:
    """Geometry of a simulated (possibly binned) Eiger2 4M, Fit2D style.

    Attributes
    ----------
    binning : int
        1 for full frames, 8 for the small test detector.
    distance_m, wavelength_m : float
        Sample-to-detector distance (to the beam centre) and wavelength, m.
    center_1_px, center_2_px : float
        Beam centre, column (x, fast) and row (y, slow), in (binned) pixels, first pixel centre at 0.5.
    polarization_factor : float
        Horizontal polarisation fraction (pyFAI convention).
    """

    binning: int
    distance_m: float
    wavelength_m: float
    center_1_px: float
    center_2_px: float
    polarization_factor: float = POLARIZATION_FACTOR

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) of the stored frames."""
        return EIGER2_4M_SHAPE[0] // self.binning, EIGER2_4M_SHAPE[1] // self.binning

    @property
    def pixel_size_m(self) -> float:
        """Stored pixel size (square), m."""
        return EIGER2_4M_PIXEL_M * self.binning

    @property
    def detector_name(self) -> str:
        """Name of the detector group in the LIMA file."""
        return "eiger2_4m" if self.binning == 1 else f"eiger2_4m_bin{self.binning}"

    def to_dict(self) -> dict:
        """Plain dict (for the truth file); inverse of ``Geometry(**d)`` after dropping derived keys."""
        return {
            "binning": self.binning, "distance_m": self.distance_m, "wavelength_m": self.wavelength_m,
            "center_1_px": self.center_1_px, "center_2_px": self.center_2_px,
            "polarization_factor": self.polarization_factor,
            "shape": list(self.shape), "pixel_size_m": self.pixel_size_m, "detector": self.detector_name,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Geometry":
        keys = ("binning", "distance_m", "wavelength_m", "center_1_px", "center_2_px", "polarization_factor")
        return cls(**{k: d[k] for k in keys})


def _edges_m(geom: Geometry):
    ny, nx = geom.shape
    p = geom.pixel_size_m
    x_edges = (np.arange(nx + 1) - geom.center_1_px) * p
    y_edges = (np.arange(ny + 1) - geom.center_2_px) * p
    return x_edges, y_edges


def pixel_centres_m(geom: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates from the beam centre: ``x`` shape (1, nx), ``y`` shape (ny, 1), m."""
    ny, nx = geom.shape
    p = geom.pixel_size_m
    x = ((np.arange(nx) + 0.5 - geom.center_1_px) * p)[None, :]
    y = ((np.arange(ny) + 0.5 - geom.center_2_px) * p)[:, None]
    return x, y


def two_theta_rad(geom: Geometry) -> np.ndarray:
    """Scattering angle 2theta at each pixel centre, shape (ny, nx), rad."""
    x, y = pixel_centres_m(geom)
    return np.arctan2(np.hypot(x, y), geom.distance_m)


def q_nm(geom: Geometry) -> np.ndarray:
    """Scattering vector at each pixel centre, shape (ny, nx), 1/nm."""
    wavelength_nm = geom.wavelength_m * 1e9
    return 4.0 * np.pi / wavelength_nm * np.sin(0.5 * two_theta_rad(geom))


def chi_rad(geom: Geometry) -> np.ndarray:
    """Azimuth ``atan2(y, x)`` at each pixel centre, shape (ny, nx), rad."""
    x, y = pixel_centres_m(geom)
    return np.arctan2(np.broadcast_to(y, geom.shape), np.broadcast_to(x, geom.shape))


def solid_angle_sr(geom: Geometry) -> np.ndarray:
    """Exact solid angle of each pixel seen from the sample, shape (ny, nx), sr."""
    x_edges, y_edges = _edges_m(geom)
    d = geom.distance_m
    xx = x_edges[None, :]
    yy = y_edges[:, None]
    corner = np.arctan(xx * yy / (d * np.sqrt(d * d + xx * xx + yy * yy)))  # (ny+1, nx+1)
    return corner[1:, 1:] - corner[1:, :-1] - corner[:-1, 1:] + corner[:-1, :-1]


def polarisation(geom: Geometry) -> np.ndarray:
    """Polarisation factor at each pixel centre, shape (ny, nx) (1 on the beam axis)."""
    tth = two_theta_rad(geom)
    chi = chi_rad(geom)
    return 0.5 * (1.0 + np.cos(tth) ** 2 - geom.polarization_factor * np.cos(2 * chi) * np.sin(tth) ** 2)


def full_gap_mask() -> np.ndarray:
    """Module gaps of the full Eiger2 4M, shape (2162, 2068) bool (True = gap)."""
    gap = np.zeros(EIGER2_4M_SHAPE, dtype=bool)
    (mr, mc), (gr, gc) = EIGER2_4M_MODULE, EIGER2_4M_GAP
    for k in range(1, 4):
        start = k * mr + (k - 1) * gr
        gap[start:start + gr, :] = True
    gap[:, mc:mc + gc] = True
    return gap


def gap_mask(geom: Geometry) -> np.ndarray:
    """Module gaps of the stored (binned) frames, shape ``geom.shape`` bool."""
    full = full_gap_mask()
    b = geom.binning
    if b == 1:
        return full
    ny, nx = geom.shape
    return full[:ny * b, :nx * b].reshape(ny, b, nx, b).any(axis=(1, 3))


def beamstop_mask(geom: Geometry, *, radius_m: float, arm_width_m: float, margin_px: float = 0.0) -> np.ndarray:
    """Pixels whose centre lies behind the beamstop (disc + vertical arm down to the last row), bool (ny, nx).

    ``margin_px`` enlarges the shape (used for the mask file, which is a bit larger than the shadow).
    """
    x, y = pixel_centres_m(geom)
    m = margin_px * geom.pixel_size_m
    disc = np.hypot(x, y) <= radius_m + m
    arm = (np.abs(x) <= arm_width_m / 2 + m) & (y >= 0)
    return disc | arm


def poni_text(geom: Geometry) -> str:
    """The geometry as a pyFAI PONI 2.1 file (no tilt: the PONI is the beam centre)."""
    p = geom.pixel_size_m
    ny, nx = geom.shape
    if geom.binning == 1:
        det = "Detector: Eiger2_4M\nDetector_config: {\"pixel1\": 7.5e-05, \"pixel2\": 7.5e-05, \"orientation\": 3}\n"
    else:
        det = ("Detector: Detector\nDetector_config: {\"pixel1\": %r, \"pixel2\": %r, \"orientation\": 3, "
               "\"max_shape\": [%d, %d]}\n" % (p, p, ny, nx))
    return (
        "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis\n"
        "# Written by saxs simulate: the true geometry of the simulated beamtime\n"
        "poni_version: 2.1\n" + det +
        f"Distance: {geom.distance_m!r}\n"
        f"Poni1: {geom.center_2_px * p!r}\n"
        f"Poni2: {geom.center_1_px * p!r}\n"
        "Rot1: 0.0\nRot2: 0.0\nRot3: 0.0\n"
        f"Wavelength: {geom.wavelength_m!r}\n"
    )
