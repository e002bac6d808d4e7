"""Full-resolution masks, flats and darks on binned frames give what the pre-binned ones give.

The pre-binned images are built here by definition with ``np.add.at`` / ``np.logical_or.at`` over
each full-resolution pixel's binned index ``(row // b, col // b)`` (not the code's reshape), and
trailing rows/columns that do not fill a binned pixel are dropped (LIMA drops them too).
"""

from __future__ import annotations

import fabio.edfimage
import numpy as np
import pytest

import reduce_synth as synth
from saxs.id02.binning import rebin
from saxs.id02.lima import write_lima
from saxs.reduce import ReductionOptions, reduce_file


def _by_definition(full, b, how, shape=synth.SHAPE):
    ny, nx = shape
    rows, cols = np.indices(full.shape)
    keep = (rows < ny * b) & (cols < nx * b)
    index = (rows[keep] // b, cols[keep] // b)
    if how == "any":
        out = np.zeros(shape, dtype=bool)
        np.logical_or.at(out, index, full[keep] != 0)
        return out
    out = np.zeros(shape)
    np.add.at(out, index, full[keep].astype(np.float64))
    return out / (b * b) if how == "mean" else out


def _edf(path, data):
    fabio.edfimage.EdfImage(data=data).write(str(path))
    return path


@pytest.mark.parametrize("b, extra", [(2, 0), (8, 0), (8, 5)])
def test_full_resolution_mask_flat_dark_on_binned_frames(tmp_path, b, extra):
    rng = np.random.default_rng(40 + b + extra)
    ny, nx = synth.SHAPE
    full_shape = (ny * b + extra, nx * b + extra)       # extra: rows/columns LIMA's binning drops
    mask = np.zeros(full_shape, dtype=np.uint8)
    mask[10 * b + 1: 14 * b - 3, 3 * b: 40 * b + 1] = 1                   # a beamstop arm, off the block edges
    mask.flat[rng.choice(mask.size, 40, replace=False)] = 1               # dead pixels
    flat = (1 + 0.05 * rng.standard_normal(full_shape)).astype(np.float32)
    dark_frames = rng.poisson(0.4, size=(3, *full_shape)).astype(np.uint32)
    dark_frames[:, 5 * b + b - 1, 7 * b + 1] = 2**32 - 1                     # a hot pixel in the dark
    cal = tmp_path / f"b{b}"
    cal.mkdir()
    binned_mask = _by_definition(mask, b, "any")
    binned_flat = _by_definition(flat, b, "mean")
    binned_dark = np.stack([_by_definition(f, b, "sum") for f in dark_frames])
    binned_dark[:, 5, 7] = 2**32 - 1                                        # any sub-pixel at the maximum
    assert binned_mask.sum() > 40 and 0.9 < binned_flat.mean() < 1.1

    head = synth.header(BSize_1=b, BSize_2=b)
    sample = synth.write_lima_set(cal / "s.h5", rng.poisson(300, size=(2, ny, nx)), head, i0=[2e6, 2e6], i1=[1e6, 1e6])
    full = dict(mask=_edf(cal / "mask_full.edf", mask), flat=_edf(cal / "flat_full.edf", flat),
                dark=write_lima(cal / "dark_full.h5", dark_frames, head, detector="pilatus"))
    pre = dict(mask=_edf(cal / "mask_binned.edf", binned_mask.astype(np.uint8)),
               flat=_edf(cal / "flat_binned.edf", binned_flat.astype(np.float64)),
               dark=write_lima(cal / "dark_binned.h5", binned_dark, head, detector="pilatus"))
    a = reduce_file(sample, ReductionOptions(npt=60, **full))
    c = reduce_file(sample, ReductionOptions(npt=60, **pre))
    assert a.average.provenance["static_masked_pixels"] == c.average.provenance["static_masked_pixels"]
    assert a.average.provenance["binning"] == [b, b]
    # float32 flat averaged in float64 both ways: equal to rounding
    np.testing.assert_allclose(a.average.intensity, c.average.intensity, rtol=1e-6)
    np.testing.assert_allclose(a.average.sigma, c.average.sigma, rtol=1e-6)


def test_rebin_rules_by_hand():
    full = np.arange(24.0).reshape(4, 6)
    assert rebin(full, (2, 3), "sum").tolist() == [[0 + 1 + 2 + 6 + 7 + 8, 3 + 4 + 5 + 9 + 10 + 11],
                                                  [12 + 13 + 14 + 18 + 19 + 20, 15 + 16 + 17 + 21 + 22 + 23]]
    assert rebin(full, (2, 3), "mean")[0, 0] == 24 / 6
    m = np.zeros((5, 7), dtype=np.uint8)
    m[3, 5] = 1                                                   # row 3 -> 1, column 5 -> 1 (last row dropped)
    assert rebin(m, (2, 3), "any").tolist() == [[False, False], [False, True]]


def test_mask_of_neither_shape_names_the_mask_file(tmp_path):
    from saxs.errors import InputError

    sample = synth.write_lima_set(tmp_path / "s.h5", np.ones((1, *synth.SHAPE)), synth.header(BSize_1=2, BSize_2=2),
                                  i0=[2e6], i1=[1e6])
    bad = _edf(tmp_path / "mask.edf", np.zeros((100, 100), np.uint8))
    with pytest.raises(InputError) as err:
        reduce_file(sample, ReductionOptions(npt=30, mask=bad))
    assert str(err.value).startswith(str(bad)) and "(240, 256)" in str(err.value)
