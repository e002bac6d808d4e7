"""Frames integrated as stored (uint32, pyFAI's dummy at the integer maximum) give the same curves,
bit for bit, as the general path (float64 frame, invalid pixels set to -1) (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from saxs.id02 import open_raw
from saxs.integrate import _invalid_only_at_stored_maximum, integrate_frame
from saxs.normalization import frame_divisors, frame_monitors
from saxs.reduce import ReductionOptions, _corrections, _geometry, reduce_file

import reduce_synth as synth


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """One CdSe sample (3 frames) and its dark from the cdse-demo preset (Eiger2 4M binned 8 x 8:
    module gaps and dead pixels at 2**32 - 1), with the preset's flat, mask and PONI."""
    paths, _ = synth.simulated_demo(tmp_path_factory.mktemp("stored"), ("dark", "cdse_T240"), frames=3, seed=5)
    options = ReductionOptions(poni=paths["poni"], dark=paths["dark"], flat=paths["flat"], mask=paths["mask"])
    return paths["cdse_T240"], options


def _setup(path, options):
    with open_raw(path) as raw:
        geometry = _geometry(raw, options)
        divisors, _ = frame_divisors(raw.path, frame_monitors(raw, options), options, [])
        corrections = _corrections(raw, geometry, options, {}, [])
        frames = [raw.stored_frame(i) for i in range(raw.n_frames)]
    return corrections, frames, np.asarray(divisors, dtype=np.float64)


def _same(a, b):
    assert np.array_equal(a.q_nm, b.q_nm)
    assert np.array_equal(a.intensity, b.intensity)
    assert np.array_equal(a.sigma, b.sigma)
    assert np.array_equal(a.valid, b.valid)
    assert a.n_masked == b.n_masked


def test_stored_uint32_frames_integrate_bit_for_bit_as_the_general_path(simulated):
    path, options = simulated
    corrections, frames, divisors = _setup(path, options)
    for frame, divisor in zip(frames, divisors):
        assert frame.dtype == np.uint32
        top = np.iinfo(np.uint32).max
        assert np.count_nonzero(frame == top) > 1000  # gaps and dead pixels: the case that matters
        assert _invalid_only_at_stored_maximum(frame, corrections) is not None  # the stored path runs
        _same(integrate_frame(frame, corrections, normalization=divisor),
              integrate_frame(frame.astype(np.float64), corrections, normalization=divisor))


def test_values_just_below_the_maximum_take_the_general_path(simulated):
    # pyFAI's float32 would round 2**32 - 6 onto the dummy 2**32 - 1: such a frame must not take the
    # stored path, and its curve stays that of the general path (the pixel is counted, not masked).
    path, options = simulated
    corrections, frames, divisors = _setup(path, options)
    frame = frames[0].copy()
    row, col = np.argwhere(~corrections.mask & (frame < np.iinfo(np.uint32).max))[0]
    frame[row, col] = np.iinfo(np.uint32).max - 5
    assert _invalid_only_at_stored_maximum(frame, corrections) is None
    _same(integrate_frame(frame, corrections, normalization=divisors[0]),
          integrate_frame(frame.astype(np.float64), corrections, normalization=divisors[0]))


def test_reduce_file_uses_the_stored_frames_and_matches_the_float_path(simulated):
    # The whole reduction (stored frames) against integrate_frame on float64 copies (the general
    # path) with the same divisors: the same curves bit for bit, on the bins valid in every frame.
    path, options = simulated
    reduced = reduce_file(path, options)
    corrections, frames, divisors = _setup(path, options)
    nf = float(reduced.provenance["normalization_factor"])
    general = [integrate_frame(f.astype(np.float64), corrections, normalization=float(d) / nf)
               for f, d in zip(frames, divisors)]
    valid = np.logical_and.reduce([g.valid for g in general])
    for profile, g in zip(reduced.frames, general):
        assert np.array_equal(profile.intensity, g.intensity[valid])
        assert np.array_equal(profile.sigma, g.sigma[valid])
        assert profile.provenance["masked_pixels"] == g.n_masked
