"""End to end: simulate cdse-demo, reduce with saxs.reduce, compare with the ground truth.

The reduction's convention (saxs/reduce.py): ``(counts - dark) / (absolute solid angle x
polarisation x flat x I1) x NormalizationFactor``; the truth's ``total_reduced_intensity(q)`` is
that quantity's expectation. Pulls ``(I - truth) / sigma`` over the bins of 0.3 <= q <= 6 1/nm
(~280 bins of 0.02 1/nm, Poisson sigma propagated by the reduction) must be N(0, 1): mean
within 3 / sqrt(n) (0.18), std within [0.85, 1.15]. Below 0.3 1/nm and beyond 6 1/nm the bins
hold few pixels or the pixel q-width (0.037 1/nm) smears the curve; smooth CdSe samples only
(sharp Bragg peaks and the kinked log-log SRM curve are smeared by full pixel splitting at the
~1e-3 level, which their high counts resolve).
"""

from __future__ import annotations

import h5py
import hdf5plugin  # noqa: F401
import numpy as np
import pytest

from saxs.simulate.truth import load_truth

reduce = pytest.importorskip("saxs.reduce")

Q_RANGE = (0.3, 6.0)


def _pulls(profile, reference):
    q = profile.q_nm
    sel = (q >= Q_RANGE[0]) & (q <= Q_RANGE[1])
    return (profile.intensity[sel] - reference(q[sel])) / profile.sigma[sel]


def _check(pulls):
    n = pulls.size
    assert n > 200
    assert abs(pulls.mean()) < 3 / np.sqrt(n), f"mean pull {pulls.mean():.3f} (n={n})"
    assert 0.85 <= pulls.std() <= 1.15, f"std of pulls {pulls.std():.3f}"


@pytest.fixture(scope="module")
def mean_dark(beamtime, tmp_path_factory):
    """The per-pixel MEAN of the simulated dark stack, as a .npy image."""
    out, _ = beamtime
    with h5py.File(out / load_truth(out / "truth/dark.json").raw_file, "r") as f:
        stack = f["entry_0000/measurement/data"][()].astype(np.float64)
    path = tmp_path_factory.mktemp("dark") / "dark_mean.npy"
    np.save(path, stack.mean(axis=0))
    return path


def _options(out, dark):
    return reduce.ReductionOptions(mask=out / "calibrations/mask.edf", flat=out / "calibrations/flat.edf",
                                   dark=dark, npt=400)


@pytest.mark.parametrize("name", ["cdse_T200", "cdse_T250"])
def test_reduced_sample_matches_truth(beamtime, mean_dark, name):
    out, _ = beamtime
    truth = load_truth(out / "truth" / f"{name}.json")
    reduced = reduce.reduce_file(out / truth.raw_file, _options(out, mean_dark))
    assert reduced.frames_used == truth.n_frames
    _check(_pulls(reduced.average, truth.total_reduced_intensity))
    _check(np.concatenate([_pulls(p, truth.total_reduced_intensity) for p in reduced.frames]))


def test_bubble_frame_is_an_outlier_the_truth_describes(beamtime, mean_dark):
    out, _ = beamtime
    truth = load_truth(out / "truth/cdse_T220.json")
    k = truth.bubble.frame
    reduced = reduce.reduce_file(out / truth.raw_file, _options(out, mean_dark))
    bubble = reduced.frames[k]
    _check(_pulls(bubble, lambda q: truth.total_reduced_intensity(q, frame=k)))
    clean = [p for i, p in enumerate(reduced.frames) if i != k]
    _check(np.concatenate([_pulls(p, truth.total_reduced_intensity) for p in clean]))
    # Against the clean-frame truth the bubble frame is far off at low q.
    low = bubble.q_nm < 0.3
    assert np.all(bubble.intensity[low] > 1.5 * truth.total_reduced_intensity(bubble.q_nm[low]))


@pytest.mark.xfail(strict=True, reason=(
    "saxs.integrate.read_dark takes the per-pixel MEDIAN of the dark stack: for Poisson darks of "
    "~2 counts it is biased low (mean of medians of 10 Poisson(2) frames = 1.85), which shifts the "
    "5-frame average by about +0.3 sigma over 0.3-6 1/nm; the same test passes with the mean dark"))
def test_reduced_sample_with_the_raw_dark_stack(beamtime):
    out, _ = beamtime
    truth = load_truth(out / "truth/cdse_T200.json")
    reduced = reduce.reduce_file(out / truth.raw_file, _options(out, out / load_truth(out / "truth/dark.json").raw_file))
    _check(_pulls(reduced.average, truth.total_reduced_intensity))
