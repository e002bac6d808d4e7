"""Ground truth: JSON round trip and the reduced-intensity convention derived from the counting model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from saxs.errors import InputError
from saxs.simulate import detector as det
from saxs.simulate.beamtime import make_plan, make_truth
from saxs.simulate.truth import load_truth, save_truth


@pytest.fixture(scope="module")
def plan():
    return make_plan("cdse-demo", frames=3)


def _by_name(plan, name):
    return next(m for m in plan.measurements if m.name == name)


@pytest.mark.parametrize("name", ["cdse_T230", "cdse_T220", "precursor_T025", "glassy_carbon", "dark", "empty_beam"])
def test_truth_round_trip(tmp_path, plan, name):
    truth = make_truth(plan, _by_name(plan, name), seed=11)
    path = save_truth(tmp_path / f"{name}.json", truth)
    back = load_truth(path)
    assert back == truth  # frozen dataclasses: field-by-field equality, floats exact through JSON
    q = np.linspace(0.05, 7.0, 40)
    np.testing.assert_array_equal(back.total_reduced_intensity(q), truth.total_reduced_intensity(q))


def test_truth_parameters(plan):
    t = make_truth(plan, _by_name(plan, "cdse_T230"), seed=11)
    assert t.thickness_mm == 1.5
    assert t.contrast_1e6_per_A2 == pytest.approx(34.4)
    radii = sorted(p.mean_radius_nm for p in t.populations)
    assert radii == [0.94, 1.02]
    phis = [p.volume_fraction for p in t.populations]
    assert phis[0] / sum(phis) == pytest.approx(0.65)
    # T = exp(-(mu_walls d_walls + mu_liquid d_liquid)), written out by hand from the preset.
    phi = sum(phis)
    mu_liq = (1 - phi) * 1.0 + phi * 280.0
    assert t.transmission == pytest.approx(np.exp(-(2.3 * 0.01 + mu_liq * 0.15)), rel=1e-14)
    n0 = np.array(t.n0_per_frame)
    assert np.all(np.abs(n0 / 5e10 - 1) < 0.15) and n0.std() > 0  # a few % frame to frame


def test_particles_are_what_subtraction_and_scaling_leave(plan):
    # liquid = particles + (1 - phi) solvent: the particle curve is the liquid minus that solvent part.
    t = make_truth(plan, _by_name(plan, "cdse_T200"), seed=11)
    q = np.linspace(0.1, 6.0, 30)
    phi = t.layer("liquid").volume_fraction
    np.testing.assert_allclose(t.particle_intensity_1cm(q),
                               t.liquid_intensity_1cm(q) - (1 - phi) * t.solvent_intensity_1cm(q), rtol=1e-12)
    # The reduced sample minus the reduced solvent blank (same capillary) divided by
    # reduced_scale * path is particles - phi * solvent.
    blank = make_truth(plan, _by_name(plan, "solvent_ode"), seed=11)
    diff = (t.total_reduced_intensity(q) - blank.total_reduced_intensity(q)) / (t.reduced_scale * 0.15)
    np.testing.assert_allclose(diff, t.particle_intensity_1cm(q) - phi * t.solvent_intensity_1cm(q),
                               rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("frame", [0, 2])
def test_reduction_convention_from_the_counting_model(plan, frame):
    # Expected counts -> (c - dark) / (dOmega P flat i1) * NormalizationFactor must equal
    # total_reduced_intensity, frame by frame (frame 2 of cdse_T220 holds the bubble).
    t = make_truth(plan, _by_name(plan, "cdse_T220"), seed=11)
    assert t.bubble is not None and t.bubble.frame == 2
    g = plan.geometry
    every = (slice(None, None, 5), slice(None, None, 3))  # 4.6k pixels are plenty for an identity
    q, sa, pol = det.q_nm(g)[every], det.solid_angle_sr(g)[every], det.polarisation(g)[every]
    flat = np.random.default_rng(5).uniform(0.95, 1.05, q.shape)
    counts = t.expected_counts(q, sa, pol, flat, frame=frame)
    i0, i1 = t.monitors(frame)
    reduced = (counts - t.dark_rate_per_s * t.exposure_time_s) / (sa * pol * flat * i1) * t.normalization_factor
    np.testing.assert_allclose(reduced, t.total_reduced_intensity(q, frame=frame), rtol=1e-12)
    np.testing.assert_allclose(reduced, t.eta / t.g1 * t.normalization_factor * t.scattering_sum(q, frame=frame),
                               rtol=1e-12)
    assert i0 == pytest.approx(t.g0 * t.n0_per_frame[frame])
    if frame == 2:  # the bubble lowers the measured transmission and adds low-q scattering
        assert t.frame_transmission(2) == pytest.approx(0.8 * t.transmission)
        assert t.total_reduced_intensity([0.15], frame=2)[0] > 2 * t.total_reduced_intensity([0.15])[0]
        assert t.total_reduced_intensity([5.0], frame=2)[0] == pytest.approx(t.total_reduced_intensity([5.0])[0], rel=1e-3)


def test_bad_truth_file_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": 99}))
    with pytest.raises(InputError, match="bad.json: version"):
        load_truth(bad)
    bad.write_text("{not json")
    with pytest.raises(InputError, match="bad.json"):
        load_truth(bad)
    bad.write_text(json.dumps({"version": 1, "name": "x"}))
    with pytest.raises(InputError, match="content"):
        load_truth(bad)
