"""(a) Reducing a simulated file reproduces the model I(q) that generated it, within Poisson noise.

The oracle (tests/reduce/oracle.py, synth.py) computes every pixel's q, absolute solid angle and
polarisation analytically with numpy from the Fit2D geometry; the expected counts are
model(q) x solid angle x polarisation x flat x monitor (+ dark), drawn with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import pytest

import reduce_synth as synth
from reduce_synth import I1_VALUES, make_lima
from reduce_oracle import binned_model, binned_sums, pull_check, subpixel_binned_model
from saxs.id02.lima import write_lima
from saxs.reduce import EXPOSURE_ONLY, ReductionOptions, reduce_file

NO_SPLIT = ("no", "histogram", "cython")


def _frames(reduced):
    return (np.stack([p.intensity for p in reduced.frames]), np.stack([p.sigma for p in reduced.frames]))


def test_frames_and_average_reproduce_model(lima_file, pixels):
    reduced = reduce_file(lima_file, ReductionOptions(npt=100, method=NO_SPLIT))
    assert reduced.n_frames == reduced.frames_used == 3
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier)
    intensity, sigma = _frames(reduced)
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :])   # 3 x ~100 pulls
    assert ok, info
    # average: ~100 pulls, sampling spread of the std ~0.07 -> +-0.2 is ~3 sigma
    ok, info = pull_check(reduced.average.intensity, reduced.average.sigma, expected, std_range=(0.8, 1.2))
    assert ok, info
    assert reduced.average.intensity_unit == "arbitrary"


def test_default_method_full_splitting(lima_file):
    """pyFAI full pixel splitting (the default) against an 8 x 8 sub-pixel analytic oracle."""
    reduced = reduce_file(lima_file, ReductionOptions(npt=100))
    assert reduced.average.provenance["method"] == ["full", "csr", "cython"]
    expected = subpixel_binned_model(reduced.average.q_nm, synth.guinier)
    intensity, sigma = _frames(reduced)
    # Splitting correlates neighbouring bins and the 8 x 8 sub-pixel oracle is an approximation
    # of exact area sharing: allow a std window of [0.8, 1.2] (same 3-sigma mean criterion).
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :], std_range=(0.8, 1.2))
    assert ok, info


@pytest.mark.parametrize("wrong", ["centre +1 px", "normalise by I0", "distance +2 %"])
def test_pull_check_fails_for_wrong_reduction(tmp_path, pixels, lima_file, wrong):
    """The test above can fail: a wrong geometry or normalisation is detected."""
    if wrong == "normalise by I0":
        reduced = reduce_file(lima_file, ReductionOptions(npt=100, method=NO_SPLIT, normalize="i0"))
    else:
        changes = ({"Center_1": synth.CENTER_X_PX + 1.0} if wrong == "centre +1 px"
                   else {"SampleDistance": synth.DISTANCE_M * 1.02})
        path = make_lima(tmp_path / "wrong.h5", seed=12, header=synth.header(**changes))
        reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT))
        # the wrong header only changes the reduction: the counts are those of the true geometry
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier)
    intensity, sigma = _frames(reduced)
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :])
    assert not ok, info


def test_sigma_is_propagated_poisson(tmp_path, pixels):
    """Noise-free constant counts: sigma of a bin = sqrt(sum counts + sum dark variance) / sum(w) / monitor."""
    counts = np.full(synth.SHAPE, 400.0)
    dark_level = 30.0
    path = synth.write_lima_set(tmp_path / "flat400.h5", counts[np.newaxis], synth.header(), i0=[2e6], i1=[1e6])
    dark_path = write_lima(tmp_path / "dark.h5", np.full((5, *synth.SHAPE), dark_level), synth.header(),
                           detector="pilatus")
    reduced = reduce_file(path, ReductionOptions(npt=80, method=NO_SPLIT, dark=dark_path))
    frame = reduced.frames[0]
    w = pixels.solid_angle_sr * pixels.polarization
    n_pix = binned_sums(frame.q_nm, pixels.q_nm, np.ones(synth.SHAPE))
    norm = binned_sums(frame.q_nm, pixels.q_nm, w) * 1e6
    dark_var = dark_level * np.pi / 2 / 5          # variance of the median of 5 Poisson frames
    expected_sigma = np.sqrt(n_pix * (400.0 + dark_var)) / norm
    expected_i = n_pix * (400.0 - dark_level) / norm
    # pyFAI computes q in float32: a pixel within 1e-4 bin widths of a bin edge may fall on either
    # side, so such bins (a handful: the first one holds the pixel defining the range) are left out.
    ambiguous = ~_unambiguous_bins(frame.q_nm, pixels)
    assert ambiguous.sum() <= 5
    # pyFAI sums in float32: relative agreement 1e-4
    np.testing.assert_allclose(frame.sigma[~ambiguous], expected_sigma[~ambiguous], rtol=1e-4)
    np.testing.assert_allclose(frame.intensity[~ambiguous], expected_i[~ambiguous], rtol=1e-4)
    assert frame.provenance["dark_frames"] == 5


def test_dark_flat_and_normalization_factor(tmp_path, pixels):
    rng = np.random.default_rng(5)
    rows, cols = np.indices(synth.SHAPE)
    dark = 8.0 + 0.05 * cols                                   # counts per frame
    flat = 1.0 + 0.2 * np.sin(rows / 7.0) * np.cos(cols / 11.0)  # relative efficiency
    dark_path = write_lima(tmp_path / "dark.h5", rng.poisson(dark, size=(9, *synth.SHAPE)), synth.header(),
                           detector="pilatus")
    flat_path = tmp_path / "flat.npy"
    np.save(flat_path, flat)
    nf = 2.5
    path = make_lima(tmp_path / "sample.h5", seed=6, dark=dark, flat=flat,
                     header=synth.header(NormalizationFactor=nf))
    reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT, dark=dark_path, flat=flat_path))
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier, flat=flat) * nf
    intensity, sigma = _frames(reduced)
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :])
    assert ok, info
    assert reduced.average.provenance["normalization_factor"] == nf


def test_file_without_monitors_is_divided_by_exposure_with_no_monitor(tmp_path, pixels, caplog):
    """--no-monitor: the scalers file is not looked for, I is divided by the exposure time only."""
    path = make_lima(tmp_path / "noscalers.h5", seed=7, scalers=False)
    with caplog.at_level("WARNING"):
        reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT, no_monitor=True))
    assert any("no monitor values" in r.getMessage() for r in caplog.records)
    assert reduced.warnings and "no monitor values" in reduced.warnings[0]
    assert reduced.average.provenance["normalization"] == EXPOSURE_ONLY
    assert reduced.monitors.i1 is None
    exposure = 0.1
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier)
    intensity, sigma = _frames(reduced)
    expected_frames = expected[np.newaxis, :] * (I1_VALUES[:, np.newaxis] / exposure)
    ok, info = pull_check(intensity, sigma, expected_frames)
    assert ok, info


def test_gap_pixels_at_integer_maximum_are_masked(tmp_path, pixels):
    gaps = np.zeros(synth.SHAPE, dtype=bool)
    gaps[:, 60:63] = True          # a vertical module gap
    gaps[90:92, :] = True          # a horizontal one
    path = make_lima(tmp_path / "gaps.h5", seed=8, gaps=gaps, header=synth.header(Dummy=0))
    reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT))
    assert reduced.frames[0].provenance["masked_pixels"] == gaps.sum()
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier, mask=gaps)
    intensity, sigma = _frames(reduced)
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :])
    assert ok, info


def test_dark_with_another_exposure_time_is_reported(tmp_path, lima_file):
    dark_path = write_lima(tmp_path / "dark.h5", np.zeros((2, *synth.SHAPE)), synth.header(ExposureTime=1.0),
                           detector="pilatus", exposure_s=1.0)
    reduced = reduce_file(lima_file, ReductionOptions(npt=40, dark=dark_path))
    assert any("differs from the dark" in w for w in reduced.warnings)
    assert reduced.average.provenance["dark_exposure_s"] == 1.0


def test_dark_statistics_on_low_count_poisson_stack(tmp_path):
    """Median vs clipped mean of 10 Poisson(2) dark frames, with one zinger per pixel column block."""
    from saxs.integrate import read_dark

    rng = np.random.default_rng(17)
    stack = rng.poisson(2.0, size=(10, *synth.SHAPE)).astype(np.float64)
    stack[3, :, :10] += 5000.0                      # zingers in one frame
    path = write_lima(tmp_path / "dark.h5", stack, synth.header(), detector="pilatus")
    by_median = read_dark(path, synth.SHAPE)
    by_mean = read_dark(path, synth.SHAPE, statistic="clipped_mean")
    median, mean, mean_var = by_median.dark, by_mean.dark, by_mean.variance
    assert by_median.n_frames == 10 and not by_median.invalid.any()
    # 15360 pixels: the spread of the pixel-average of the clipped mean is sqrt(2/10/15360) = 0.004,
    # so +-0.02 is 5 sigma; the median's known low bias (about 1.85 for Poisson(2)) is well outside it
    assert mean.mean() == pytest.approx(2.0, abs=0.02)
    assert median.mean() < 1.95
    assert mean[:, :10].max() < 100                  # the zingers were rejected
    # Poisson variance of a mean of the kept frames: 10 frames, 9 where the zinger was rejected
    np.testing.assert_allclose(mean_var[:, 10:], mean[:, 10:] / 10, rtol=1e-12)
    np.testing.assert_allclose(mean_var[:, :10], mean[:, :10] / 9, rtol=1e-12)


@pytest.mark.parametrize("factor", [0.99, 0.5])
def test_noise_free_wide_angle_frame_matches_solid_angle_and_polarisation(tmp_path, factor):
    """At 0.1 m (2theta up to 35 deg) solid angle and polarisation change I by ~40 % and ~20 %:
    a noise-free frame must reduce to the binned analytic expectation within 1e-4 (float32 sums),
    and a wrong polarisation factor must not."""
    pixels = synth.analytic_pixels(distance_m=0.1, polarization_factor=factor)
    monitor = 1e9        # ~1e5-1e6 counts per pixel: rounding to integers is < 1e-5
    counts = np.rint(synth.guinier(pixels.q_nm) * pixels.solid_angle_sr * pixels.polarization * monitor)
    path = synth.write_lima_set(tmp_path / "wide.h5", counts[np.newaxis], synth.header(SampleDistance=0.1),
                                i0=[2 * monitor], i1=[monitor])
    reduced = reduce_file(path, ReductionOptions(npt=60, method=NO_SPLIT, polarization_factor=factor))
    frame = reduced.frames[0]
    expected = binned_model(frame.q_nm, pixels, synth.guinier)
    good = _unambiguous_bins(frame.q_nm, pixels)
    np.testing.assert_allclose(frame.intensity[good], expected[good], rtol=1e-4)
    wrong = reduce_file(path, ReductionOptions(npt=60, method=NO_SPLIT, polarization_factor=-factor))
    assert not np.allclose(wrong.frames[0].intensity[good], expected[good], rtol=1e-3)


def _unambiguous_bins(q_bins, pixels):
    """Bins with no pixel within 1e-4 bin widths of an edge (float32 q could put it either side)."""
    dq = np.min(np.diff(q_bins))
    position = (pixels.q_nm.ravel() - q_bins[0]) / dq + 0.5
    near = np.rint(position[np.abs(position - np.rint(position)) < 1e-4])
    index = np.rint((q_bins - q_bins[0]) / dq)
    return ~np.isin(index, np.concatenate([near, near - 1]))


def test_gap_pixels_of_the_dark_are_masked(tmp_path, pixels):
    """A pixel at the integer maximum in the dark (but not in the sample) must not be subtracted."""
    dark_frames = np.zeros((3, *synth.SHAPE))
    dark_frames[:, 10, :] = 2**32 - 1                # a dead row in the dark stack only
    dark_path = write_lima(tmp_path / "dark.h5", dark_frames, synth.header(), detector="pilatus")
    path = make_lima(tmp_path / "sample.h5", seed=9)
    reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT, dark=dark_path))
    assert reduced.average.provenance["dark_invalid_pixels"] == synth.SHAPE[1]
    mask = np.zeros(synth.SHAPE, dtype=bool)
    mask[10, :] = True
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier, mask=mask)
    intensity, sigma = _frames(reduced)
    ok, info = pull_check(intensity, sigma, expected[np.newaxis, :])
    assert ok, info
