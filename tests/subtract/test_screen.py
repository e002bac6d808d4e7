"""Frame screening: bubbles are dropped with a reason, clean series keep every frame."""

from __future__ import annotations

import math

import numpy as np
import pytest

from saxs.errors import InputError
from saxs.profile import Profile1D
from saxs.screen import average_frames, screen_frames

Q = np.geomspace(0.1, 6.0, 250)
TRUTH = 50.0 * np.exp(-((Q / 0.8) ** 2)) + 2.0 + 0.3 / Q


def _series(seed, n=10, counts_scale=200.0, bubble_at=None, bubble_drop=0.03, spike=0.5):
    """Poisson frames of TRUTH; a bubble removes liquid (uniform drop) and adds low-q scattering."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        mean = TRUTH.copy()
        if k == bubble_at:
            mean = mean * (1 - bubble_drop) + spike * (Q[0] / Q) ** 4 * TRUTH[0]
        counts = rng.poisson(mean * counts_scale)
        frames.append(Profile1D(Q, counts / counts_scale, np.sqrt(np.maximum(counts, 1)) / counts_scale,
                                provenance={"input_file": "s.h5"}))
    return frames


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_series_drops_nothing(seed):
    res = screen_frames(_series(seed))
    assert res.n_used == 10 and not res.reasons
    # Under the null hypothesis each chi2/dof ~ 1 +- sqrt(2/250) = 0.09: the statistic is calibrated.
    assert np.median(res.chi2_red) == pytest.approx(1.0, abs=0.15)


def test_false_alarm_rate_is_small():
    # alpha = 1e-3 per series: over 100 clean series (fixed seeds) expect ~0.1 drops; allow 2
    # (P(>= 3) ~ 2e-4 for a Poisson mean of 0.1, so this fails only for a mis-calibrated test).
    drops = sum(screen_frames(_series(100 + s, n=6)).n_frames - screen_frames(_series(100 + s, n=6)).n_used
                for s in range(100))
    assert drops <= 2


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_bubble_frame_is_dropped_with_a_reason(seed):
    res = screen_frames(_series(seed, bubble_at=4))
    assert res.dropped == (4,)
    assert "chi2/dof" in res.reasons[4]
    assert res.average.provenance["screening"]["frames_used"] == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert res.average.provenance["averaged_frames"] == 9


def test_bubble_with_only_lower_intensity_is_dropped_and_transmission_criterion_works():
    # 3 % less liquid, no spike: chi2 alone catches it at these counts (sigma ~ 1 % per point at low q).
    frames = _series(21, bubble_at=2, spike=0.0)
    assert screen_frames(frames).dropped == (2,)
    # The transmission test by itself (curves identical) flags a frame with a 5 % higher T.
    clean = _series(22)
    t = [0.80] * 10
    t[7] = 0.84
    res = screen_frames(clean, transmissions=t)
    assert res.dropped == (7,) and "transmission" in res.reasons[7]


def test_underestimated_sigmas_do_not_empty_the_series():
    # All sigmas 30 % too small: chi2/dof ~ 1.7 for every frame; the scale absorbs it.
    frames = [f.replace(sigma=f.sigma * 0.77) for f in _series(5)]
    res = screen_frames(frames)
    assert res.n_used == 10 and res.scale > 1.4


def test_average_uncertainty_is_poisson_propagated():
    # Analytic: mean of n frames with sigma_i -> sqrt(sum sigma_i^2)/n.
    q = np.array([0.1, 0.2, 0.3])
    f1 = Profile1D(q, [1.0, 2.0, 3.0], [0.3, 0.4, 0.5])
    f2 = Profile1D(q, [3.0, 2.0, 1.0], [0.4, 0.3, 0.0])
    avg = average_frames([f1, f2])
    np.testing.assert_allclose(avg.intensity, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(avg.sigma, [0.25, 0.25, 0.25])
    # "max": the scatter's standard error std/sqrt(2) = |a-b|/2 where larger.
    mx = average_frames([f1, f2], error_model="max")
    np.testing.assert_allclose(mx.sigma, [1.0, 0.25, 1.0])


def test_average_matches_truth_within_its_uncertainty():
    res = screen_frames(_series(31))
    pulls = (res.average.intensity - TRUTH) / res.average.sigma
    # 250 pulls ~ N(0,1): mean within 4/sqrt(250), std within 15 % (chi2 with 250 dof: 4.5 sigma).
    assert abs(pulls.mean()) < 4 / math.sqrt(250)
    assert pulls.std() == pytest.approx(1.0, abs=0.15)


def test_frames_on_different_q_grids_are_an_error():
    frames = _series(3, n=3)
    frames[1] = Profile1D(Q * 1.01, frames[1].intensity, frames[1].sigma, provenance={"input_file": "b.h5"})
    with pytest.raises(InputError, match="b.h5.*q grid of frame 0"):
        screen_frames(frames)


def test_drifting_series_is_reported():
    # A drifting series (radiation damage, 5 % per frame): every frame differs; the median chi2/dof is
    # far above the test's limit, so a warning says so and the extremes of the drift are dropped.
    frames = [f.replace(intensity=f.intensity * (1 + 0.05 * k)) for k, f in enumerate(_series(4, n=6))]
    res = screen_frames(frames)
    assert res.warnings and "differ more" in res.warnings[0]
    assert set(res.dropped) <= {0, 5} and res.n_used >= 4


def test_majority_flagged_keeps_the_most_consistent_half():
    # Four of six frames have outlying monitor ratios: dropping them all would leave a minority, so
    # the three frames most consistent by chi2 are kept and a warning says why.
    frames = _series(8, n=6)
    res = screen_frames(frames, transmissions=[0.8, 0.8, 0.9, 1.0, 0.7, 0.6])
    assert res.n_used == 3 and {0, 1} <= set(res.used)
    assert any("more than half" in w for w in res.warnings)
    assert set(res.reasons) == set(res.dropped)
