"""Quantized steps across a series on hand-made members (populations given, curves simulated).

The populations stand for what a size-distribution fit reports; the curves behind them are
simulated with known truth and fixed seeds (tests/series/synth.py), so every expected family,
step, shoulder and onset is known independently of the code under test.
"""

from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pytest
from scipy import integrate

from mcfit.models import sphere_intensity_1cm, sphere_volume_nm3
from mcfit.steps import (MemberHistogram, MemberPopulation, SeriesMember, SeriesSettings, analyse_series,
                         sphere_gaussian_intensity_1cm)

from .synth import CONTRAST, PHI, PUBLISHED, curve


def _member(value, components, *, seed, reported=None, with_data=True, noise_rel=0.015):
    """A member whose curve is ``components`` and whose fit reported ``reported`` populations.

    ``reported`` = [(mean_nm, rel_width, share)]; default: the true components.
    """
    reported = components if reported is None else reported
    pops = tuple(MemberPopulation(mean_nm=r, mean_nm_std=0.002, width_nm=w * r, volume_fraction=PHI * share,
                                  volume_fraction_std=0.02 * PHI) for r, w, share in reported)
    q, i, s = curve(components, seed=seed, noise_rel=noise_rel)
    if not with_data:
        return SeriesMember(value, f"m{value:g}", pops)
    return SeriesMember(value, f"m{value:g}", pops, q_nm=q, intensity=i, sigma=s, contrast_1e6_per_A2=CONTRAST)


def _published(with_data=True):
    """The published series; 230 C reported as one population, as a single curve cannot resolve it.

    0.963 nm with 4.4 % width is the single population that reproduces the 65/35 mixture of 0.94 and
    1.02 nm to 0.26 % (measured while planning, issue 6). Reported radii are offset by up to
    +-0.003 nm (fixed pattern) to stand for fit scatter.
    """
    jitter = (0.002, -0.001, 0.003, -0.002, 0.0, 0.001, -0.003, 0.002)
    out = []
    for k, (t, comps) in enumerate(PUBLISHED):
        reported = [(0.963, 0.044, 1.0)] if len(comps) == 2 else [(comps[0][0] + jitter[k], comps[0][1], 1.0)]
        out.append(_member(t, comps, seed=100 + k, reported=reported, with_data=with_data))
    return out


@pytest.mark.parametrize("radius_nm, width_nm, rel", [(1.2, 0.12, 1e-6), (1.45, 0.16, 1e-6), (0.94, 0.033, 1e-6),
                                                       (1.0, 0.25, 1e-4)])
def test_gaussian_intensity_matches_quadrature(radius_nm, width_nm, rel):
    # Oracle: adaptive quadrature of the volume-weighted gaussian over R > 0 (normalised there).
    # Tolerance: 1e-6 relative (measured 4e-8, also at the form-factor minima where relative errors
    # are largest); 1e-4 for the 25 % width, whose distribution is cut at R = 0, a kink the
    # trapezoid rule integrates to first order only (measured 1.5e-5).
    q = np.array([0.3, 2.0, 4.8, 6.0, 8.0, 10.0])
    got = sphere_gaussian_intensity_1cm(q, radius_nm, width_nm, PHI, CONTRAST)

    def density(r):
        return math.exp(-0.5 * ((r - radius_nm) / width_nm) ** 2)

    lo, hi = max(1e-6, radius_nm - 8 * width_nm), radius_nm + 8 * width_nm
    norm = integrate.quad(density, lo, hi, epsabs=0, epsrel=1e-12)[0]
    for qk, gk in zip(q, got):
        value = integrate.quad(lambda r: density(r) * float(sphere_intensity_1cm([qk], r, PHI, CONTRAST)[0]),
                               lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0] / norm
        assert gk == pytest.approx(value, rel=rel)


def test_gaussian_intensity_without_width_is_the_sphere():
    # Oracle: the monodisperse sphere (exact identity).
    q = np.geomspace(0.3, 6, 50)
    assert np.allclose(sphere_gaussian_intensity_1cm(q, 0.9, 0.0, PHI, CONTRAST),
                       sphere_intensity_1cm(q, 0.9, PHI, CONTRAST), rtol=1e-14, atol=0)
    # and its forward scattering is phi * drho^2 * <V> with the volume-weighted mean volume.
    i0 = sphere_gaussian_intensity_1cm([0.0], 1.0, 0.1, PHI, CONTRAST)[0]
    t = np.linspace(-6, 6, 61)
    w = np.exp(-0.5 * t**2)
    mean_v = np.sum(w * sphere_volume_nm3(1.0 + 0.1 * t)) / w.sum()
    assert i0 == pytest.approx(PHI * (CONTRAST * 1e10) ** 2 * mean_v * 1e-21, rel=1e-12)


def test_published_series_families_steps_shoulder_onset():
    result = analyse_series(_published())
    radii = [f.radius_nm for f in result.families]
    # The reported radii are the truth +-0.003 nm; family means must sit within 0.005 nm of it.
    assert radii == pytest.approx([0.87, 0.94, 1.02], abs=0.005)
    assert [list(f.members) for f in result.families] == [[190.0], [200.0, 210.0, 220.0, 230.0], [240.0]]
    assert [list(f.standalone_members) for f in result.families] == [[190.0], [200.0, 210.0, 220.0], [240.0]]
    assert [tuple(s.between) for s in result.steps] == [(190.0, 200.0), (230.0, 240.0)]
    assert [s.rests_on_quantized_model for s in result.steps] == [False, True]
    assert len(result.shoulders) == 1
    shoulder = result.shoulders[0]
    assert shoulder.at == 230.0 and shoulder.radius_nm == pytest.approx(1.02, abs=0.005)
    assert shoulder.evidence == "mixture_fit" and shoulder.rests_on_quantized_model
    # Truth 0.35; the families' model curves are built from the reported (jittered) radii, which
    # shifts the fraction by a few per cent; 0.05 absolute covers that and the 1.5 % noise.
    assert shoulder.fraction == pytest.approx(0.35, abs=0.05)
    assert 0 < shoulder.fraction_std < 0.05
    assert result.continuous_growth_onset == 250.0
    assert list(result.continuous_members) == [250.0, 260.0]
    assert [m.state for m in result.members] == ["family"] * 4 + ["mixture", "family", "continuous", "continuous"]
    assert any("shoulder at 230" in a and "quantized-growth model" in a for a in result.model_assumptions)


def test_true_single_population_between_families_is_not_a_mixture():
    # A narrow (3 %) population at 0.98 nm between the 0.94 and 1.02 nm families is a magic size of
    # its own: the best mixture of the two neighbours is too broad (effective width ~5 %) and
    # misses the depth of the form-factor minimum near q = 4.6 1/nm, far beyond 1.5 % noise.
    members = [_member(t, [(0.94, 0.03, 1.0)], seed=10 + t) for t in (1, 2, 3)]
    members.append(_member(4, [(0.98, 0.03, 1.0)], seed=14))
    members += [_member(t, [(1.02, 0.03, 1.0)], seed=10 + t) for t in (5, 6)]
    result = analyse_series(members)
    assert [f.radius_nm for f in result.families] == pytest.approx([0.94, 0.98, 1.02], abs=1e-9)
    assert result.shoulders == ()
    test4 = next(t for t in result.mixture_tests if t.at == 4)
    assert not test4.accepted and "exceeds" in test4.reason
    assert [tuple(s.between) for s in result.steps] == [(3.0, 4.0), (4.0, 5.0)]


def test_constant_series_one_family_no_steps():
    jitter = (0.0, 0.002, -0.002, 0.001, -0.001)
    members = [_member(t, [(0.94, 0.035, 1.0)], seed=200 + k, reported=[(0.94 + jitter[k], 0.035, 1.0)])
               for k, t in enumerate((200.0, 210.0, 220.0, 230.0, 240.0))]
    result = analyse_series(members)
    assert len(result.families) == 1
    assert result.families[0].radius_nm == pytest.approx(0.94, abs=0.002)
    # Five members scattering by 0.0016 nm (rms): the uncertainty of their mean is ~0.001 nm.
    assert 0.0005 < result.families[0].radius_nm_std < 0.003
    assert result.steps == () and result.shoulders == ()
    assert result.continuous_growth_onset is None
    assert all(not t.accepted for t in result.mixture_tests)


def test_purely_continuous_series_has_no_families():
    radii = (1.0, 1.15, 1.3, 1.5, 1.7)
    widths = (0.09, 0.10, 0.10, 0.11, 0.12)
    members = [_member(10.0 * k, [(r, w, 1.0)], seed=300 + k) for k, (r, w) in enumerate(zip(radii, widths))]
    result = analyse_series(members)
    assert result.families == () and result.steps == () and result.shoulders == ()
    assert list(result.continuous_members) == [0.0, 10.0, 20.0, 30.0, 40.0]
    assert result.continuous_growth_onset == 0.0


def test_shoulder_seen_as_a_second_population_needs_no_model():
    members = [_member(t, [(0.94, 0.035, 1.0)], seed=400 + t) for t in (1, 2)]
    members.append(_member(3, [(0.94, 0.035, 0.7), (1.02, 0.035, 0.3)], seed=403))
    members += [_member(t, [(1.02, 0.035, 1.0)], seed=400 + t) for t in (4, 5)]
    result = analyse_series(members)
    assert [f.radius_nm for f in result.families] == pytest.approx([0.94, 1.02], abs=1e-9)
    assert len(result.shoulders) == 1
    s = result.shoulders[0]
    assert (s.at, s.evidence, s.rests_on_quantized_model) == (3.0, "population", False)
    assert s.fraction == pytest.approx(0.3, abs=1e-9)  # the reported share, passed through
    assert [tuple(st.between) for st in result.steps] == [(3.0, 4.0)]


def test_without_data_the_unresolved_member_stands_as_its_own_family():
    # Without the curves no mixture can be tested: the 0.963 nm single population is then a family
    # of its own, and the output says why.
    result = analyse_series(_published(with_data=False))
    assert [f.radius_nm for f in result.families] == pytest.approx([0.87, 0.94, 0.963, 1.02], abs=0.005)
    assert result.shoulders == () and result.mixture_tests == ()
    assert any("No fitted data" in a for a in result.model_assumptions)


def test_series_order_and_empty_members():
    members = list(reversed(_published()))
    empty = SeriesMember(235.0, "nothing", ())
    result = analyse_series(members + [empty])
    assert [m.value for m in result.members] == sorted([t for t, _ in PUBLISHED] + [235.0])
    assert next(m for m in result.members if m.value == 235.0).state == "empty"
    # The empty member is skipped: the step stays between 230 and 240.
    assert [tuple(s.between) for s in result.steps] == [(190.0, 200.0), (230.0, 240.0)]


def test_json_and_hdf5_outputs(tmp_path):
    edges = np.linspace(0.3, 3.0, 11)
    hist = MemberHistogram(edges, np.arange(10.0), np.full(10, 0.1), np.full(10, 0.05))
    members = _published()
    members[0] = SeriesMember(members[0].value, members[0].label, members[0].populations, hist,
                              members[0].q_nm, members[0].intensity, members[0].sigma, CONTRAST)
    result = analyse_series(members, series_key="temperature")
    d = json.loads(result.to_json())
    assert set(d) >= {"families", "steps", "shoulders", "continuous_growth_onset", "members", "model_assumptions"}
    assert set(d["families"][0]) >= {"radius_nm", "radius_nm_std", "members"}
    assert set(d["steps"][0]) >= {"from_nm", "to_nm", "between"}
    assert set(d["shoulders"][0]) >= {"radius_nm", "at"}
    assert d["continuous_growth_onset"] == 250.0
    with h5py.File(tmp_path / "s.h5", "w") as f:
        result.to_hdf5(f.create_group("series"))
    with h5py.File(tmp_path / "s.h5", "r") as f:
        g = f["series"]
        assert g.attrs["NX_class"] == "NXprocess"
        assert np.allclose(g["families/radius_nm"][()], [x.radius_nm for x in result.families])
        assert g["steps/between"][()].tolist() == [[190.0, 200.0], [230.0, 240.0]]
        assert g["continuous_growth_onset"][()] == 250.0
        assert np.array_equal(g["histograms/member_0/volume_fraction"][()], np.arange(10.0))
        assert json.loads(g["summary_json"][()]) == d
        assert [s.decode() for s in g["members/state"][()]][4] == "mixture"


def test_bad_input():
    with pytest.raises(ValueError, match="members"):
        analyse_series([])
    with pytest.raises(ValueError, match="min_shoulder_fraction"):
        SeriesSettings(min_shoulder_fraction=0.6)
    with pytest.raises(ValueError, match="radius_tolerance_rel"):
        SeriesSettings(radius_tolerance_rel=-1)
    with pytest.raises(ValueError, match="go together"):
        SeriesMember(1.0, "x", (), q_nm=[1.0, 2.0])


def test_mixture_found_even_when_grouped_with_a_family():
    # With a 4 % tolerance the unresolved 0.963 nm member first joins the 0.94 nm family; testing
    # each member against the families formed by the others still finds it is a mixture.
    result = analyse_series(_published(), settings=SeriesSettings(radius_tolerance_rel=0.04))
    assert [round(f.radius_nm, 2) for f in result.families] == [0.87, 0.94, 1.02]
    assert [(s.at, round(s.radius_nm, 2)) for s in result.shoulders] == [(230.0, 1.02)]
    assert result.families[1].standalone_members == (200.0, 210.0, 220.0)


def test_family_left_behind_during_continuous_growth():
    members = [_member(t, [(0.94, 0.035, 1.0)], seed=500 + t) for t in (1, 2)]
    # Growing population (1.3 nm, 10 %) with 25 % of the volume still in 0.94 nm clusters.
    members.append(_member(3, [(1.3, 0.10, 0.75), (0.94, 0.035, 0.25)], seed=503))
    result = analyse_series(members)
    assert result.continuous_growth_onset == 3.0
    assert [(s.at, round(s.radius_nm, 2), s.beside_nm, s.evidence) for s in result.shoulders] == [
        (3.0, 0.94, 1.3, "population")]
