"""A tilted detector described only by its header's DetectorRotation_1..3 reduces to the right I(q).

ewoksid02 (``ewoksid02/utils/pyfai.py``, ``get_azimuthal_integrator``) builds its integrator with
``rot1 = DetectorRotation_2``, ``rot2 = DetectorRotation_1``, ``rot3 = DetectorRotation_3`` (passed to
pyFAI unchanged: radians), ``poni1 = Center_2 PSize_2``, ``poni2 = Center_1 PSize_1``,
``dist = SampleDistance``. Independent answer: counts drawn from a ring at a known q through a pyFAI
integrator given those rot1..3 directly (its q, absolute solid angle and polarisation per pixel);
the reduction, which sees only the header, must give the model back (pulls N(0, 1)) with the ring
at its q. The swapped mapping (rot1 <-> rot2) must not: the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyFAI.detectors import Detector
from pyFAI.integrator.azimuthal import AzimuthalIntegrator

import reduce_synth as synth
from reduce_oracle import binned_model, pull_check
from saxs.geometry import Geometry
from saxs.reduce import ReductionOptions, reduce_file

ROT = {"DetectorRotation_1": 0.06, "DetectorRotation_2": -0.04, "DetectorRotation_3": 0.3}   # rad
Q0_NM, WIDTH_NM = 2.0, 0.03
MONITOR = 1.0e6
NO_SPLIT = ("no", "histogram", "cython")


def ring(q):
    return 50.0 + 5.0e4 * np.exp(-0.5 * ((q - Q0_NM) / WIDTH_NM) ** 2)


def _pixels(rot1, rot2, rot3):
    ai = AzimuthalIntegrator(dist=synth.DISTANCE_M, poni1=synth.CENTER_Y_PX * synth.PIXEL_M,
                             poni2=synth.CENTER_X_PX * synth.PIXEL_M, rot1=rot1, rot2=rot2, rot3=rot3,
                             detector=Detector(pixel1=synth.PIXEL_M, pixel2=synth.PIXEL_M, max_shape=synth.SHAPE),
                             wavelength=synth.WAVELENGTH_M)
    return synth.PixelGeometry(q_nm=ai.center_array(synth.SHAPE, unit="q_nm^-1"),
                               solid_angle_sr=ai.solidAngleArray(synth.SHAPE, absolute=True),
                               polarization=ai.polarization(synth.SHAPE, factor=synth.POLARIZATION))


@pytest.fixture(scope="module")
def tilted(tmp_path_factory):
    true = _pixels(rot1=ROT["DetectorRotation_2"], rot2=ROT["DetectorRotation_1"], rot3=ROT["DetectorRotation_3"])
    rng = np.random.default_rng(77)
    frames = rng.poisson(synth.expected_counts(ring, MONITOR, pixels=true), size=(2, *synth.SHAPE))
    folder = tmp_path_factory.mktemp("tilt")
    path = synth.write_lima_set(folder / "ring.h5", frames, synth.header(**ROT), i0=[2 * MONITOR] * 2, i1=[MONITOR] * 2)
    return path, true, frames


def test_header_rotations_give_the_true_q(tilted):
    path, true, _ = tilted
    reduced = reduce_file(path, ReductionOptions(npt=300, method=NO_SPLIT))
    geometry = reduced.geometry
    assert geometry.poni == pytest.approx((1.0, 52.7 * 6e-4, 40.3 * 6e-4, -0.04, 0.06, 0.3), abs=1e-15)
    assert geometry.tilt_deg == pytest.approx(np.degrees(np.arccos(np.cos(0.06) * np.cos(-0.04))), abs=1e-6)
    q = reduced.average.q_nm
    expected = binned_model(q, true, ring)
    ok, info = pull_check(np.stack([p.intensity for p in reduced.frames]), np.stack([p.sigma for p in reduced.frames]),
                          expected[np.newaxis, :])
    assert ok, info
    # the ring lands at its q: intensity-weighted centre of the peak within 0.1 bin (bins ~0.012 1/nm)
    near = np.abs(q - Q0_NM) < 3 * WIDTH_NM
    peak = reduced.average.intensity[near] - 50.0
    centre = np.sum(q[near] * peak) / np.sum(peak)
    assert abs(centre - Q0_NM) < 0.1 * np.diff(q).mean(), centre


def test_swapped_rotation_mapping_is_detectably_wrong(tilted):
    """rot1 <-> rot2 (DetectorRotation_1 taken as pyFAI rot1) moves pixels' q by far more than a bin."""
    path, true, frames = tilted
    wrong = _pixels(rot1=ROT["DetectorRotation_1"], rot2=ROT["DetectorRotation_2"], rot3=ROT["DetectorRotation_3"])
    header_geometry = Geometry.from_header({k: str(v) for k, v in synth.header(**ROT).items()}, synth.SHAPE, path)
    from saxs.integrate import pixel_q_nm

    q_header = pixel_q_nm(header_geometry)
    assert np.max(np.abs(q_header - true.q_nm)) < 1e-9
    assert np.max(np.abs(q_header - wrong.q_nm)) > 0.05     # measured 7.2 1/nm; bins are 0.019 1/nm
