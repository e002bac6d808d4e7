"""Fit quality: chi-square against the floored and the data's own sigma, the poor-fit rule, withheld populations."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import mcfit
from mcfit.models import sphere_intensity_1cm
from mcfit.quality import assess, chi2_labels, durbin_watson, runs_z

pytestmark = pytest.mark.filterwarnings("ignore::mcfit.FitWarning")  # test-sized fits stop early

Q = np.geomspace(0.3, 6.0, 200)
#: Small test-sized fits: 100 contributions x 4 repetitions (well under a second each).
FIT = dict(contributions=100, repetitions=4, max_steps=40_000, radius_range_nm=(0.3, 4.0))


def _spheres(seed: int, *, rel_noise=0.005, modulation=0.0):
    """1.5 nm spheres (+ flat background) with Gaussian noise of ``rel_noise`` x I (the stated sigma),
    times ``1 + modulation * sin(2 pi log10 q / 0.6)`` (a smooth misfit spheres cannot follow)."""
    rng = np.random.default_rng(seed)
    truth = (sphere_intensity_1cm(Q, 1.5, 1e-3, 35.0) + 1e-3) * (1 + modulation * np.sin(2 * np.pi * np.log10(Q) / 0.6))
    sigma = rel_noise * truth
    return truth + rng.normal(0.0, sigma), sigma


def _bragg_on_power_law(seed: int):
    """A mesophase-like curve: power law q^-3 + a Bragg peak at 1.84 1/nm (width 0.04) + background."""
    rng = np.random.default_rng(seed)
    truth = 0.01 * Q**-3 + 0.5 * np.exp(-0.5 * ((Q - 1.84) / 0.04) ** 2) + 1e-3
    sigma = 0.005 * truth
    return truth + rng.normal(0.0, sigma), sigma


@pytest.fixture(scope="module")
def good():
    i, s = _spheres(7)
    return i, s, mcfit.fit(Q, i, s, seed=3, **FIT)


@pytest.fixture(scope="module")
def bragg():
    i, s = _bragg_on_power_law(7)
    return i, s, mcfit.fit(Q, i, s, seed=3, **FIT)


def test_both_chi2_equal_an_independent_numpy_computation(good, tmp_path):
    # Oracle: numpy on the INPUT arrays (not the result's copies): the data's own sigma is the sigma
    # given; the fit's is max(sigma, 0.01 |I|); dof = n - 2 (scale and background). Read back from
    # the HDF5 file the same numbers must come from the stored curve and fit. rtol 1e-12: float sums.
    i, s, result = good
    fit_curve = result.fit_intensity
    dof = Q.size - 2
    own = np.sum(((i - fit_curve) / s) ** 2) / dof
    floored = np.sum(((i - fit_curve) / np.maximum(s, 0.01 * np.abs(i))) ** 2) / dof
    assert result.quality.chi2_reduced_data_sigma == pytest.approx(own, rel=1e-12)
    assert result.quality.chi2_reduced_fit_sigma == pytest.approx(floored, rel=1e-12)
    # the 0.5 % noise lies under the 1 % floor: the floored chi2 understates the misfit about 4 x
    assert result.quality.chi2_reduced_fit_sigma < 0.5 * result.quality.chi2_reduced_data_sigma
    assert result.quality.n_floored == Q.size

    path = tmp_path / "fit.h5"
    with h5py.File(path, "w") as f:
        result.to_hdf5(f.create_group("fit"))
    with h5py.File(path, "r") as f:
        g = f["fit"]
        stored = np.sum(((g["data/intensity"][()] - g["fit/intensity"][()]) / g["data/sigma_data"][()]) ** 2) / dof
        assert stored == pytest.approx(own, rel=1e-12)
        assert g.attrs["chi2_reduced_data_sigma"] == pytest.approx(own, rel=1e-12)
        assert g.attrs["chi2_reduced_fit_sigma"] == pytest.approx(floored, rel=1e-12)
        # the attributes say which is which
        assert g["quality"].attrs["label_fit_sigma"] == "chi2_r (sigma floored at 1 %)"
        assert g["quality"].attrs["label_data_sigma"] == "chi2_r (data's own sigma)"
        assert "floored at min_rel_sigma = 0.01" in g["data/sigma"].attrs["description"]
        assert "own sigma" in g["data/sigma_data"].attrs["description"]
    back = mcfit.read_result(path)
    assert back.quality == result.quality
    np.testing.assert_array_equal(back.sigma_data, s)


def test_json_and_report_label_both_chi2(good):
    _, _, result = good
    summary = result.summary()
    q = summary["quality"]
    assert summary["chi2_reduced_data_sigma"] == q["chi2_reduced_data_sigma"] == result.quality.chi2_reduced_data_sigma
    assert summary["chi2_reduced_fit_sigma"] == q["chi2_reduced_fit_sigma"]
    assert (q["label_fit_sigma"], q["label_data_sigma"]) == chi2_labels(0.01)
    assert "floored" in summary["chi2_reduced_meaning"]
    assert summary["poor_fit"] is False and summary["populations_withheld"] is None
    report = result.report()
    assert f"chi2_r (data's own sigma) {result.quality.chi2_reduced_data_sigma:.4g}" in report
    assert f"chi2_r (sigma floored at 1 %) {result.quality.chi2_reduced_fit_sigma:.4g}" in report


def test_good_sphere_fit_is_not_poor_and_keeps_its_population(good):
    # Known truth: one population of 1.5 nm spheres, independent noise (Durbin-Watson near 2).
    _, _, result = good
    q = result.quality
    assert not q.poor_fit and q.poor_fit_reason is None and q.populations_withheld is None
    assert q.durbin_watson > 1.0
    assert len(result.reported_populations) == 1
    assert abs(result.reported_populations[0].mean_nm / 1.5 - 1) < 0.03


def test_spheres_on_a_bragg_peak_are_a_poor_fit_and_report_no_populations(bragg):
    # Known misfit: spheres cannot make a power law with a Bragg peak. Measured with seed 3:
    # chi2_r (data's own sigma) ~3e3, Durbin-Watson ~0.04, runs z ~ -12.
    _, _, result = bragg
    q = result.quality
    assert q.poor_fit and q.chi2_reduced_data_sigma > 100 and q.durbin_watson < 0.2
    assert "chi2_r (data's own sigma)" in q.poor_fit_reason and "Durbin-Watson" in q.poor_fit_reason
    assert q.runs_z < -5
    assert result.populations  # found, stored ...
    assert result.reported_populations == ()  # ... but not reported
    assert "spheres do not describe this curve" in q.populations_withheld
    summary = result.summary()
    assert summary["populations"] == [] and summary["poor_fit"] is True
    assert summary["populations_withheld"] == q.populations_withheld
    assert "POOR FIT" in result.report() and "population 0" not in result.report()


def test_poor_fit_within_the_floor_is_flagged_but_keeps_its_populations():
    # A 0.8 % smooth modulation under 0.2 % noise: within the 1 % floor (the fit meets its criterion)
    # but 4 of the data's own sigmas: chi2_r(data) ~ 8, residuals smooth (Durbin-Watson << 1).
    i, s = _spheres(11, rel_noise=0.002, modulation=0.008)
    result = mcfit.fit(Q, i, s, seed=5, **FIT)
    q = result.quality
    assert q.chi2_reduced_fit_sigma <= 1.0 and q.chi2_reduced_data_sigma > 3.0
    assert q.poor_fit and q.durbin_watson < 1.0
    assert q.populations_withheld is None and len(result.reported_populations) >= 1


def test_thresholds_are_settings(good):
    i, s, result = good
    strict = mcfit.fit(Q, i, s, seed=3, poor_fit_chi2_reduced=1.0, poor_fit_durbin_watson=1.9, **FIT)
    assert strict.quality.poor_fit  # the same curve fails a stricter rule
    assert strict.settings.poor_fit_chi2_reduced == 1.0 and strict.quality.max_durbin_watson == 1.9
    with pytest.raises(mcfit.FitInputError, match="poor_fit_chi2_reduced"):
        mcfit.fit(Q, i, s, seed=3, poor_fit_chi2_reduced=-1, **FIT)


def test_dominant_population_at_the_edge_is_withheld():
    # 5 nm spheres fitted with radii up to 2 nm: the volume piles up in the last bin. The walk runs to
    # max_steps (bound_margin=None): the NNLS bound (7293) is within 1 % of the random start here, so
    # the bound-relative stop would end the walk before the pile-up this test is about.
    rng = np.random.default_rng(2)
    truth = sphere_intensity_1cm(Q, 5.0, 1e-3, 35.0) + 1e-3
    s = 0.01 * truth
    result = mcfit.fit(Q, truth + rng.normal(0, s), s, seed=1, contributions=100, repetitions=3,
                       max_steps=20_000, radius_range_nm=(0.3, 2.0), bound_margin=None)
    assert result.quality.dominant_at_edge
    assert "at the edge of the radius range 0.3-2 nm" in result.quality.populations_withheld
    assert result.reported_populations == ()


def test_older_files_without_quality_read_as_none(good, tmp_path):
    _, _, result = good
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        result.to_hdf5(f.create_group("fit"))
        g = f["fit"]
        del g["quality"], g["data/sigma_data"]
        for key in ("chi2_reduced_fit_sigma", "chi2_reduced_data_sigma"):
            del g.attrs[key]
        g.attrs["layout_version"] = 1
    old = mcfit.read_result(path)
    assert old.quality is None and old.sigma_data is None
    assert old.reported_populations == old.populations == result.populations
    summary = old.summary()
    assert summary["chi2_reduced_data_sigma"] is None and summary["poor_fit"] is None
    assert summary["chi2_reduced"] == result.chi2_reduced


def test_statistics_against_hand_values():
    # Alternating signs, n = 10: Durbin-Watson = 4 (n - 1) / n = 3.6; runs = 10 with n1 = n2 = 5:
    # mean 6, variance 2*25*40/(100*9) = 2.222, z = 4 / 1.4907 = 2.6833.
    alternating = np.array([1.0, -1.0] * 5)
    assert durbin_watson(alternating) == pytest.approx(3.6, rel=1e-12)
    assert runs_z(alternating) == pytest.approx(4 / np.sqrt(2000 / 900), rel=1e-12)
    # Independent normal residuals: Durbin-Watson ~ 2 (sd about 2/sqrt(n) = 0.06 for n = 1000)
    assert abs(durbin_watson(np.random.default_rng(0).normal(size=1000)) - 2) < 0.2
    assert np.isnan(runs_z(np.ones(5)))
    one = np.ones(10)
    q = assess(one, one, one, one, n_linear=2, min_rel_sigma=0.0, convergence=1.0)
    assert q.label_fit_sigma == "chi2_r (data's own sigma, no floor)" and q.chi2_reduced_data_sigma == 0.0
