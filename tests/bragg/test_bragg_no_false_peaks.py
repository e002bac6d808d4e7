"""No Bragg peaks where there are none: noise, smooth polydisperse spheres, measured round-robin data."""

from __future__ import annotations

import numpy as np
import pytest
from synth_bragg import counts_profile, polydisperse_spheres

from saxs.bragg import find_peaks
from saxs.nxcansas import load_profile
from saxs.profile import Profile1D


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_pure_noise_around_a_power_law(seed):
    # white Gaussian noise of known sigma (2 % of the mean) around I = 5 q^-3 + 0.2 on 1000 points:
    # with a 5 sigma threshold a false peak would be a > 5 sigma fluctuation over a few points,
    # expected far less than once in these six seeds (look-elsewhere: ~10^3 trials x 3e-7)
    rng = np.random.default_rng(seed)
    q = np.linspace(0.2, 6.0, 1000)
    mean = 5.0 * q**-3.0 + 0.2
    sigma = 0.02 * mean
    profile = Profile1D(q_nm=q, intensity=mean + rng.normal(0.0, 1.0, q.size) * sigma, sigma=sigma)
    found = find_peaks(profile)
    assert found.peaks == (), found.summary()


@pytest.mark.parametrize("seed", [10, 11])
def test_pure_poisson_noise_on_flat_counts(seed):
    q = np.linspace(0.5, 5.0, 800)
    found = find_peaks(counts_profile(q, np.full(q.size, 50.0), seed=seed))
    assert found.peaks == (), found.summary()


@pytest.mark.parametrize("radius_nm,rel_width,seed", [
    (0.9, 0.05, 21),   # CdSe magic-size cluster: smooth to q = 5 1/nm (first minimum near 5)
    (3.0, 0.10, 22),   # a few oscillations, 10 % polydisperse
    (24.5, 0.05, 23),  # large, narrow (like round-robin dataset 2): lobes at high order, dq/q ~ 0.1
    (8.0, 0.20, 24),   # broad distribution
])
def test_polydisperse_spheres_with_noise(radius_nm, rel_width, seed):
    q = np.linspace(0.05, 5.0, 1000) if radius_nm < 20 else np.linspace(0.03, 1.16, 737)
    intensity = polydisperse_spheres(q, radius_nm, rel_width) + 1e-3
    rng = np.random.default_rng(seed)
    sigma = 0.01 * intensity  # 1 % relative noise, like good synchrotron data
    profile = Profile1D(q_nm=q, intensity=intensity + rng.normal(0.0, 1.0, q.size) * sigma, sigma=sigma)
    found = find_peaks(profile)
    assert found.peaks == (), found.summary()


@pytest.mark.parametrize("dataset", [1, 2])
def test_round_robin_dilute_spheres_have_no_peaks(data_dir, dataset):
    # measured dilute spheres (gold): only form-factor oscillations, no Bragg peak, no correlation maximum
    profile = load_profile(data_dir / "roundrobin" / f"round_robin_dataset_{dataset}.dat")
    found = find_peaks(profile)
    assert found.peaks == (), found.summary()
    assert found.broad_maxima == (), found.summary()


def test_round_robin_dense_silica_broad_maximum_at_most(data_dir):
    # dense silica powder: the structure-factor maximum is broad (rejected as a Bragg peak for its
    # width); we expect no Bragg peak and at most one broad maximum. Measured: one, at q = 15.5 1/nm,
    # the amorphous-silica halo (Si-O-Si correlations, d ~ 0.4 nm) at the end of the q range.
    profile = load_profile(data_dir / "roundrobin" / "round_robin_dataset_3.dat")
    found = find_peaks(profile)
    assert found.peaks == (), found.summary()
    assert len(found.broad_maxima) <= 1
    for b in found.broad_maxima:
        assert 14.0 < b.q_nm < 17.0
