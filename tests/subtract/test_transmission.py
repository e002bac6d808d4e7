"""Transmission from monitors: value, uncertainty and the checks on implausible values."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from saxs.errors import InputError
from saxs.transmission import TransmissionWarning, transmission_from_monitors, transmission_given


def test_transmission_is_ratio_of_monitor_ratios():
    # Analytic: gains cancel. T = (g1 T N0 / g0 N0) / (g1 N0' / g0 N0') = T.
    g0, g1, t_true = 1.7, 0.31, 0.734
    t = transmission_from_monitors(g0 * 1e9, g1 * t_true * 1e9, g0 * 2e9, g1 * 2e9)
    assert t.value == pytest.approx(t_true, rel=1e-12)
    # Poisson monitors: relative variances add (1/N per sum), analytic.
    expected = t_true * math.sqrt(1 / (g1 * t_true * 1e9) + 1 / (g0 * 1e9) + 1 / (g1 * 2e9) + 1 / (g0 * 2e9))
    assert t.sigma == pytest.approx(expected, rel=1e-12)
    assert t.source == "monitors" and t.warning is None


def test_frame_scatter_of_ratios_enlarges_uncertainty():
    # A monitor ratio that jitters by 1 % per frame: sigma must reflect the scatter, not only Poisson.
    rng = np.random.default_rng(7)
    i0 = np.full(20, 1e10)
    i1 = 0.5e10 * (1 + 0.01 * rng.standard_normal(20))
    t = transmission_from_monitors(i0, i1, 1e11, 1e11)
    scatter = np.std(i1 / i0, ddof=1) / math.sqrt(20) / np.mean(i1 / i0)
    assert t.sigma / t.value == pytest.approx(scatter, rel=0.02)  # Poisson part (~1e-5) is negligible


@pytest.mark.parametrize("i1", [0.0, -5.0])
def test_zero_or_negative_transmitted_monitor_is_an_error(i1):
    with pytest.raises(InputError, match="I1"):
        transmission_from_monitors(1e6, i1, 1e6, 5e5, file="s.h5")


@pytest.mark.parametrize("value", [0.0, -0.2, float("nan")])
def test_given_transmission_must_be_positive(value):
    with pytest.raises(InputError, match="transmission"):
        transmission_given(value, file="s.h5")


def test_transmission_above_1p05_warns_but_passes():
    with pytest.warns(TransmissionWarning, match="above 1.05"):
        t = transmission_from_monitors(1e6, 1.1e6, 1e6, 1e6)
    assert t.value == pytest.approx(1.1) and "above" in t.warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert transmission_given(1.04).warning is None  # within the tolerance: silent
