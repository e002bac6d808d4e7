"""Peak tracking across a series: matching by position, order by series value, vanishing point."""

from __future__ import annotations

import numpy as np
import pytest
from synth_bragg import counts_profile, gaussian

from saxs.bragg import find_peaks, track_peaks


def _member(q_peak, height, seed):
    q = np.linspace(0.5, 4.0, 900)
    mean = 10.0 * q**-2 + 40.0 + height * gaussian(q, q_peak, 0.04)
    return counts_profile(q, mean, seed=seed)


def test_thermal_shift_is_one_track_and_unsorted_values_are_sorted():
    # the peak moves by 1 % between members (thermal expansion): still one track; members given
    # out of order are reported by increasing series value
    members = [(70.0, 1.98, 0.0, 61), (20.0, 2.00, 300.0, 62), (45.0, 1.99, 150.0, 63)]
    profiles = [_member(qp, h, s) for _, qp, h, s in members]
    searches = [find_peaks(p) for p in profiles]
    tracks = track_peaks(profiles, searches, [v for v, _, _, _ in members])
    assert len(tracks) == 1
    t = tracks[0]
    assert t.values == (20.0, 45.0, 70.0)
    assert t.present == (True, True, False)
    assert t.vanishes_at == 70.0
    assert t.q_nm == pytest.approx(1.995, abs=0.003)  # mean of the two present positions
    # areas: truth height x FWHM x 1.0645 (Gaussian area) = 300 x 0.04 x 1.0645 = 12.8 and 6.4;
    # within 4 standard errors (Poisson counts)
    truth = [300.0 * 0.04 * 1.0645, 150.0 * 0.04 * 1.0645]
    for a, s, tr in zip(t.area[:2], t.area_std[:2], truth):
        assert abs(a - tr) < 4 * s
    assert abs(t.area[2]) < 3 * t.area_std[2]  # gone: zero within 3 sigma (fixed-shape fit)


def test_reappearing_peak_does_not_vanish_and_new_peak_gets_its_own_track():
    # peak A present, absent, present -> not vanished; peak B appears only in the last member
    profiles = [
        counts_profile(np.linspace(0.5, 4.0, 900),
                       10.0 * np.linspace(0.5, 4.0, 900) ** -2 + 40.0
                       + ha * gaussian(np.linspace(0.5, 4.0, 900), 1.5, 0.04)
                       + hb * gaussian(np.linspace(0.5, 4.0, 900), 3.0, 0.06), seed=seed)
        for ha, hb, seed in [(300.0, 0.0, 71), (0.0, 0.0, 72), (300.0, 200.0, 73)]
    ]
    searches = [find_peaks(p) for p in profiles]
    tracks = track_peaks(profiles, searches, [1.0, 2.0, 3.0])
    assert [round(t.q_nm, 1) for t in tracks] == [1.5, 3.0]
    a, b = tracks
    assert a.present == (True, False, True) and a.vanishes_at is None
    assert b.present == (False, False, True) and b.vanishes_at is None


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        track_peaks([], [], [1.0])
