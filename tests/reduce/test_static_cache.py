"""The static corrections (mask, dark, flat, per-pixel arrays) are built once per process for files of
one geometry and set of calibration files, shared read-only, and rebuilt when a calibration file
changes on disk (issue 12: a batch worker reduces many files of one geometry).

The oracle of every comparison is the same reduction with every cache emptied first (the static
corrections, the dark and the flat built afresh from the files): the results must be the same bit for
bit, since the cache may only skip work, never change it.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from saxs import calibration
from saxs import integrate
from saxs.id02 import open_raw
from saxs.reduce import ReductionOptions, _corrections, _geometry, reduce_file
from saxs.simulate import beamtime as bt

import reduce_synth as synth

SAMPLES = ("cdse_T230", "cdse_T240")


@pytest.fixture(scope="module")
def two_files(tmp_path_factory):
    """Two CdSe samples (2 frames each) of one geometry (cdse-demo preset: Eiger2 4M binned 8 x 8, gaps
    and dead pixels at 2**32 - 1), their dark, and the preset's flat, mask and PONI (fixed seed 7)."""
    paths, img = synth.simulated_demo(tmp_path_factory.mktemp("static_cache"), ("dark",) + SAMPLES, frames=2,
                                      seed=7)
    options = ReductionOptions(poni=paths["poni"], dark=paths["dark"], flat=paths["flat"], mask=paths["mask"])
    return [paths[s] for s in SAMPLES], options, img.mask


def _empty_caches():
    integrate._cached_static.cache_clear()
    calibration._cached_dark.cache_clear()
    calibration._cached_flat.cache_clear()


def _uncached(path, options):
    _empty_caches()
    return reduce_file(path, options)


def _static(path, options):
    with open_raw(path) as raw:
        return _corrections(raw, _geometry(raw, options), options, {}, []).static


def _assert_same(a, b):
    for fa, fb in zip(a.frames + (a.average,), b.frames + (b.average,), strict=True):
        assert np.array_equal(fa.q_nm, fb.q_nm)
        assert np.array_equal(fa.intensity, fb.intensity)
        assert np.array_equal(fa.sigma, fb.sigma)
    # the provenance too (masked pixel counts, dark statistics...); JSON so that NaN equals NaN
    assert json.dumps(a.provenance, sort_keys=True, default=str) == json.dumps(b.provenance, sort_keys=True,
                                                                               default=str)
    assert [f.provenance["masked_pixels"] for f in a.frames] == [f.provenance["masked_pixels"] for f in b.frames]


def test_second_file_of_one_geometry_reuses_the_static_corrections_and_equals_an_uncached_reduction(two_files):
    (first, second), options, _ = two_files
    _empty_caches()
    reduce_file(first, options)
    shared = _static(first, options)
    cached = reduce_file(second, options)
    assert _static(second, options) is shared  # the cache was used: one object for both files
    assert integrate._cached_static.cache_info().hits >= 2
    _assert_same(cached, _uncached(second, options))
    assert _static(second, options) is not shared  # the oracle really rebuilt it


def test_static_arrays_are_read_only_and_pyfai_gets_the_same_mask_object(two_files):
    (first, second), options, _ = two_files
    _empty_caches()
    a, b = _static(first, options), _static(second, options)
    assert a is b
    for array in (a.mask, a.flat, a.dark, a.dark_variance, a.normalization_array, a.unmasked):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 1
    # pyFAI's mask checksum needs a writable buffer: one private writable copy, the same for every file
    assert a.pyfai_mask is b.pyfai_mask
    assert a.pyfai_mask.flags.writeable
    assert np.array_equal(a.pyfai_mask, a.mask)


def test_a_mask_file_changed_on_disk_is_read_again(two_files, tmp_path):
    (first, second), options, mask_image = two_files
    mask_path = tmp_path / "mask.edf"
    bt._write_edf(mask_path, mask_image, {"Title": "mask"})
    options = ReductionOptions(poni=options.poni, dark=options.dark, flat=options.flat, mask=mask_path)
    _empty_caches()
    before = reduce_file(first, options)
    old_static = _static(first, options)
    # mask a block of 20 x 30 binned pixels more; same header, so the same file size: only the
    # modification time tells the new file from the old (set 1 s later, whatever the clock's grain)
    changed = mask_image.copy()
    changed[150:170, 40:70] = 1
    newly_masked = int(np.count_nonzero(~old_static.mask[150:170, 40:70]))
    assert newly_masked > 300  # the block is mostly unmasked before: the change is visible
    old_stat = os.stat(mask_path)
    bt._write_edf(mask_path, changed, {"Title": "mask"})
    os.utime(mask_path, ns=(old_stat.st_atime_ns, old_stat.st_mtime_ns + 1_000_000_000))
    assert os.stat(mask_path).st_size == old_stat.st_size

    after = reduce_file(first, options)
    new_static = _static(first, options)
    assert new_static is not old_static
    assert new_static.static_masked_count == old_static.static_masked_count + newly_masked
    assert after.provenance["static_masked_pixels"] == before.provenance["static_masked_pixels"] + newly_masked
    assert not np.array_equal(after.average.intensity, before.average.intensity)
    _assert_same(after, _uncached(first, options))
