"""Bad input gives errors naming the parameter; preparation (clipping, re-binning, sigma floor)."""

from __future__ import annotations

import numpy as np
import pytest

import mcfit
from mcfit.data import FitInputError, log_rebin, prepare

Q = np.geomspace(0.1, 3.0, 30)
I = 100.0 * np.exp(-(Q * 2.0) ** 2 / 5) + 0.1
S = 0.01 * I


@pytest.mark.parametrize(
    "change, parameter, words",
    [
        (dict(intensity=np.where(np.arange(30) == 3, np.nan, I)), "intensity", "1 NaN or infinite"),
        (dict(sigma=np.where(np.arange(30) < 2, np.inf, S)), "sigma", "2 NaN or infinite"),
        (dict(sigma=np.where(np.arange(30) < 3, 0.0, S)), "sigma", "must be positive; got 3 values <= 0"),
        (dict(q_nm=Q[::-1].copy()), "q_nm", "strictly increasing"),
        (dict(q_nm=np.where(np.arange(30) == 5, Q[4], Q)), "q_nm", "strictly increasing; got 1 steps"),
        (dict(q_nm=Q[:3], intensity=I[:3], sigma=S[:3]), "q_nm", "at least 4 points; got 3"),
        (dict(intensity=I[:-1]), "intensity", "length"),
    ],
)
def test_bad_curve_raises_naming_the_parameter(change, parameter, words):
    args = dict(q_nm=Q, intensity=I, sigma=S) | change
    with pytest.raises(FitInputError) as info:
        mcfit.fit(args["q_nm"], args["intensity"], args["sigma"], seed=1)
    assert info.value.parameter == parameter
    assert f"the parameter `{parameter}`" in str(info.value) and words in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "options, parameter",
    [
        (dict(radius_range_nm=(100.0, 200.0)), "radius_range_nm"),   # beyond pi/q_min = 31 nm
        (dict(radius_range_nm=(0.01, 0.1)), "radius_range_nm"),      # below pi/q_max = 1.05 nm
        (dict(radius_range_nm=(5.0, 2.0)), "radius_range_nm"),
        (dict(contributions=0), "contributions"),
        (dict(repetitions=2.5), "repetitions"),
        (dict(convergence=-1.0), "convergence"),
        (dict(q_range_nm=(5.0, 6.0)), "q_range_nm"),
        (dict(stop="sometime"), "stop"),
        (dict(seed=-3), "seed"),
        (dict(background="none"), "background"),
    ],
)
def test_bad_settings_raise_naming_the_parameter(options, parameter):
    with pytest.raises(FitInputError) as info:
        mcfit.fit(Q, I, S, **({"seed": 1} | options))
    assert info.value.parameter == parameter


def test_radius_range_partly_unobservable_warns_but_runs():
    # A user may insist on a wider range: a FitWarning, recorded in the result too.
    with pytest.warns(mcfit.FitWarning, match="reaches beyond what the q range observes"):
        result = mcfit.fit(Q, I, S, radius_range_nm=(0.2, 20.0), contributions=20, repetitions=2, seed=1,
                           max_steps=200)
    assert any("reaches beyond" in w for w in result.warnings)


def test_not_converged_is_a_warning_and_recorded():
    with pytest.warns(mcfit.FitWarning, match="did not reach"):
        result = mcfit.fit(Q, I, S, contributions=20, repetitions=2, seed=1, max_steps=10)
    assert result.converged_repetitions == 0 and np.all(result.steps == 10)


def test_prepare_clips_floors_sigma_and_rebins():
    # Clipping keeps the closed interval; sigma floor = 1 % of |I|; log re-binning of a constant
    # curve keeps I and gives the propagated sigma (n equal sigmas -> sigma/sqrt(n)).
    data = prepare(Q, I, 0.001 * I, q_range_nm=(Q[2], Q[20]), min_rel_sigma=0.01)
    assert data.q_nm.size == 19 and data.n_input == 30
    np.testing.assert_allclose(data.sigma, 0.01 * data.intensity)
    q = np.linspace(1.0, 2.0, 101)
    qb, ib, sb = log_rebin(q, np.full(101, 5.0), np.full(101, 0.5), 10)
    assert qb.size == 10
    np.testing.assert_allclose(ib, 5.0)
    counts = np.histogram(q, np.geomspace(1.0, 2.0, 11))[0]
    np.testing.assert_allclose(sb, 0.5 / np.sqrt(counts), rtol=1e-12)


def test_nan_policy_omit_drops_points_with_a_warning():
    intensity = np.where(np.arange(30) == 3, np.nan, I)
    with pytest.warns(mcfit.FitWarning, match="omitted 1 points"):
        data = prepare(Q, intensity, S, nan_policy="omit")
    assert data.q_nm.size == 29 and data.n_input == 30 and Q[3] not in data.q_nm


def test_extra_steps_cut_by_max_steps_is_converged_with_a_warning():
    # A narrow population that reaches chi2 <= 1 quickly, with max_steps too small for the extra
    # steps: converged (criterion met), stop_code 2, and a warning that names max_steps.
    from mcfit.models import sphere_intensity_1cm

    q = np.geomspace(0.1, 2.0, 40)
    intensity = sphere_intensity_1cm(q, 5.0, 1e-3, 10.0)
    probe = mcfit.fit(q, intensity, 0.05 * intensity, contributions=30, repetitions=2, seed=1, stop="mcsas")
    assert probe.converged_repetitions == 2
    limit = int(probe.steps.max()) + 1
    with pytest.warns(mcfit.FitWarning, match="max_steps"):
        result = mcfit.fit(q, intensity, 0.05 * intensity, contributions=30, repetitions=2, seed=1, max_steps=limit)
    assert result.converged_repetitions == 2 and np.all(result.stop_code == 2)
