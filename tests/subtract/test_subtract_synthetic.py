"""Subtraction, thickness and absolute scale on synthetic measurements with known truth (fixed seeds).

The curves are built with the simulator's counting model (see synthetic.py), so the subtracted,
calibrated sample must equal the particles' dSigma/dOmega in 1/cm within its uncertainties.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from saxs.absolute import AbsoluteCalibration, apply_calibration
from saxs.errors import InputError
from saxs.profile import Profile1D
from saxs.subtract import subtract_blank
from saxs.transmission import transmission_from_monitors

from . import synthetic as syn

D_SAMPLE_CM = 0.15
T_SAMPLE, T_SOLVENT, T_EMPTY = 0.62, 0.65, 0.97
PHI = 0.002


def _cal(factor=syn.C_TRUE, normalization="transmitted"):
    return AbsoluteCalibration(factor=factor, factor_std=0.0, factor_std_statistical=0.0, reference_rel_std=0.0,
                               standard="srm3600", thickness_mm=1.055, temperature_C=None, q_range_nm=(0.1, 2.0),
                               n_points=10, chi2_red=1.0, normalization=normalization)


def _beamtime(seed, normalize="i1", n_frames=1):
    rng = np.random.default_rng(seed)
    cap = (syn.KAPTON_CM, syn.kapton_1cm)
    sample = syn.measure(rng, [cap, (D_SAMPLE_CM * (1 - PHI), syn.solvent_1cm), (D_SAMPLE_CM, syn.particles_1cm)],
                         transmission=T_SAMPLE, normalize=normalize, name="sample", n_frames=n_frames)
    solvent = syn.measure(rng, [cap, (D_SAMPLE_CM, syn.solvent_1cm)], transmission=T_SOLVENT,
                          normalize=normalize, name="solvent", exposure=4.0, n_frames=n_frames)
    empty = syn.measure(rng, [cap], transmission=T_EMPTY, normalize=normalize, name="empty", exposure=4.0,
                        n_frames=n_frames)
    return sample[0], solvent[0], empty[0]


def _pull_stats(profile, truth):
    pulls = (profile.intensity - truth) / profile.sigma
    return float(pulls.mean()), float(pulls.std())


def test_analytic_quadrature_and_thickness():
    q = [0.1, 0.2, 0.3]
    s = Profile1D(q, [5.0, 4.0, 1.0], [0.3, 0.4, 0.1])
    b = Profile1D(q, [1.0, 1.0, 2.0], [0.4, 0.3, 0.1])
    out = subtract_blank(s, b, thickness_mm=2.0)  # /0.2 cm
    np.testing.assert_allclose(out.intensity, [20.0, 15.0, -5.0])
    np.testing.assert_allclose(out.sigma, [2.5, 2.5, math.sqrt(0.02) / 0.2])
    assert out.sample.thickness_mm == 2.0
    assert out.provenance["negative_points"] == 1 and out.provenance["negative_points_2sigma"] == 1


def test_displacement_uses_empty_capillary_once():
    # Analytic: I = s - (1-phi) b - phi e ; var = ss^2 + (1-phi)^2 sb^2 + phi^2 se^2.
    q = [0.1, 0.2]
    s = Profile1D(q, [5.0, 4.0], [0.3, 0.4])
    b = Profile1D(q, [1.0, 2.0], [0.4, 0.3])
    e = Profile1D(q, [0.5, 0.5], [0.1, 0.2])
    out = subtract_blank(s, b, empty=e, displacement=0.1, thickness_mm=10.0)
    np.testing.assert_allclose(out.intensity, [5 - 0.9 - 0.05, 4 - 1.8 - 0.05])
    np.testing.assert_allclose(out.sigma, np.sqrt([0.09 + 0.81 * 0.16 + 0.01 * 0.01, 0.16 + 0.81 * 0.09 + 0.01 * 0.04]))
    with pytest.raises(InputError, match="empty capillary"):
        subtract_blank(s, b, displacement=0.1, thickness_mm=10.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_subtracted_calibrated_sample_equals_truth(seed):
    sample, solvent, empty = _beamtime(seed)
    out = subtract_blank(sample, solvent, empty=empty, displacement=PHI, thickness_mm=10 * D_SAMPLE_CM,
                         calibration=_cal())
    assert out.intensity_unit == "1/cm"
    mean, std = _pull_stats(out, syn.particles_1cm(syn.Q_NM))
    # 250 pulls ~ N(0,1): |mean| < 4/sqrt(250) = 0.25, std within 0.15 (4.5 sigma of a 250-dof chi2).
    assert abs(mean) < 0.25 and std == pytest.approx(1.0, abs=0.15)


def test_wrong_thickness_fails_the_same_check():
    sample, solvent, empty = _beamtime(1)
    out = subtract_blank(sample, solvent, empty=empty, displacement=PHI, thickness_mm=10 * D_SAMPLE_CM * 1.1,
                         calibration=_cal())
    mean, std = _pull_stats(out, syn.particles_1cm(syn.Q_NM))
    assert abs(mean) > 1.0 or std > 2.0  # 10 % off at high counts: pulls far from N(0,1)


def test_incident_normalised_curves_need_and_use_transmission():
    sample, solvent, empty = _beamtime(3, normalize="i0")
    truth = syn.particles_1cm(syn.Q_NM)
    # Transmissions from the monitors (empty beam: T = 1), as the batch runner computes them.
    def t_of(p, t_true):
        return transmission_from_monitors(syn.G0 * syn.N0, syn.G1 * t_true * syn.N0, syn.G0 * syn.N0, syn.G1 * syn.N0)
    with pytest.raises(InputError, match="sample transmission"):
        subtract_blank(sample, solvent, thickness_mm=1.5)
    # i0-normalised data are calibrated with an i0 standard: C_i0 = G0/(eta NF).
    cal = _cal(factor=syn.G0 / (syn.ETA * syn.NF), normalization="incident")
    out = subtract_blank(sample, solvent, empty=empty, displacement=PHI, thickness_mm=1.5, calibration=cal,
                         sample_transmission=t_of(sample, T_SAMPLE), solvent_transmission=t_of(solvent, T_SOLVENT),
                         empty_transmission=t_of(empty, T_EMPTY))
    mean, std = _pull_stats(out, truth)
    assert abs(mean) < 0.25 and std == pytest.approx(1.0, abs=0.15)
    # Forgotten transmission: the same curves treated as if T were already inside -> visibly wrong.
    forgot = [p.replace(provenance={"normalization": "i1"}) for p in (sample, solvent, empty)]
    bad = subtract_blank(*forgot[:2], empty=forgot[2], displacement=PHI, thickness_mm=1.5,
                         calibration=_cal(factor=cal.factor, normalization=None))
    mean, std = _pull_stats(bad, truth)
    assert abs(mean) > 1.0 or std > 2.0


def test_calibration_from_other_monitor_is_refused():
    sample, solvent, _ = _beamtime(4)
    with pytest.raises(InputError, match="normalis"):
        subtract_blank(sample, solvent, thickness_mm=1.5, calibration=_cal(normalization="incident"))


def test_bad_inputs_are_clear_errors():
    sample, solvent, empty = _beamtime(5)
    with pytest.raises(InputError, match="sample.h5: thickness_mm"):
        subtract_blank(sample, solvent, thickness_mm=None)
    with pytest.raises(InputError, match="thickness > 0"):
        subtract_blank(sample, solvent, thickness_mm=0.0)
    other_q = solvent.replace(q_nm=solvent.q_nm * 1.001)
    with pytest.raises(InputError, match="solvent.h5: solvent q grid"):
        subtract_blank(sample, other_q, thickness_mm=1.5)
    shorter = solvent.select(np.arange(solvent.n_points) < 200)
    with pytest.raises(InputError, match="200 points"):
        subtract_blank(sample, shorter, thickness_mm=1.5)
    moved = solvent.replace(provenance={"distance_mm": 3000.0})
    with pytest.raises(InputError, match="solvent.h5: solvent geometry: distance_mm"):
        subtract_blank(sample, moved, thickness_mm=1.5)
    zero_t = sample.replace(provenance={"normalization": "i0"})
    with pytest.raises(InputError, match="transmission > 0"):
        subtract_blank(zero_t, solvent.replace(provenance={"normalization": "i0"}), thickness_mm=1.5,
                       sample_transmission=0.0, solvent_transmission=0.5)
    with pytest.raises(InputError, match="unit"):
        subtract_blank(sample, solvent.replace(intensity_unit="1/cm"), thickness_mm=1.5)


def test_apply_calibration_refuses_absolute_input():
    p = Profile1D([0.1, 0.2], [1.0, 2.0], [0.1, 0.1], intensity_unit="1/cm")
    with pytest.raises(InputError, match="absolute"):
        apply_calibration(p, _cal())
