"""Reading raw files: LIMA headers (byte strings or numbers), multi-frame EDF, monitors, lazy frames."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import reduce_synth as synth
from reduce_synth import I1_VALUES, make_lima
from reduce_oracle import binned_model, pull_check
from saxs.id02 import open_raw
from saxs.id02.lima import write_lima
from saxs.reduce import ReductionOptions, reduce_file

NO_SPLIT = ("no", "histogram", "cython")


@pytest.mark.parametrize("numeric", [False, True])
def test_lima_header_bytes_or_numbers_and_scaler_monitors(tmp_path, numeric):
    path = make_lima(tmp_path / "h.h5", seed=3, numeric_header=numeric)
    with open_raw(path) as raw:
        assert raw.n_frames == 3 and raw.shape == synth.SHAPE and raw.dtype == np.uint32
        assert raw.saturation_value == 2**32 - 1
        assert raw.detector_hint == "pilatus"
        assert all(isinstance(v, str) for v in raw.header.values())
        assert float(raw.header["Center_1"]) == pytest.approx(synth.CENTER_X_PX)
        assert float(raw.header["PSize_2"]) == pytest.approx(synth.PIXEL_M)
        assert raw.header["Title"] == "synthetic guinier"
        monitors = raw.monitors()
        # the scalers file's HS32V columns of pins 2 and 3 (already calibrated) are the monitors written
        np.testing.assert_allclose(monitors.i1, I1_VALUES, rtol=1e-12)
        np.testing.assert_allclose(monitors.i0, 2 * I1_VALUES, rtol=1e-12)
        np.testing.assert_allclose(monitors.exposure_s, 0.1, rtol=1e-12)   # HSTime = pin 1, microseconds x 1e-6
        assert monitors.source == "scalers h_scalers_00001_00.h5: I0/I1"
        assert raw.companions == (path.with_name("h_scalers_00001_00.h5"),)
        frame = raw.frame(1)
        assert frame.dtype == np.float64 and frame.shape == synth.SHAPE
    reduced = reduce_file(path, ReductionOptions(npt=60, method=NO_SPLIT))
    assert reduced.geometry.center_x_px == pytest.approx(synth.CENTER_X_PX)


def _write_edf(path, frames, headers):
    import fabio.edfimage

    image = fabio.edfimage.EdfImage(data=frames[0], header=headers[0])
    for data, header in zip(frames[1:], headers[1:]):
        image.append_frame(data=data, header=header)
    image.write(str(path))
    return path


def test_multiframe_edf_reduces_to_model(tmp_path, pixels):
    rng = np.random.default_rng(21)
    frames, headers = [], []
    for k, monitor in enumerate(I1_VALUES):
        counts = rng.poisson(synth.expected_counts(synth.guinier, monitor, pixels=pixels)).astype(np.uint32)
        frames.append(counts)
        header = {key: str(value) for key, value in synth.header(HSI0=1, HSI1=2, HSTime=None).items()}
        # HS32Vnn are already calibrated (dark-corrected, scaled): taken as they are
        header.update({"HS32V01": str(2 * monitor), "HS32Z01": "5", "HS32V02": str(monitor), "HS32Z02": "3"})
        headers.append(header)
    path = _write_edf(tmp_path / "series.edf", frames, headers)
    with open_raw(path) as raw:
        assert raw.n_frames == 3 and raw.shape == synth.SHAPE
        np.testing.assert_array_equal(raw.frame(2), frames[2])
        assert [f.sum() for f in raw.iter_frames()] == [float(f.sum()) for f in frames]
        monitors = raw.monitors()
        np.testing.assert_allclose(monitors.i1, I1_VALUES, rtol=1e-12)    # HS32V02 as written
        assert monitors.source == "EDF header: HS32V01/HS32V02"
    reduced = reduce_file(path, ReductionOptions(npt=100, method=NO_SPLIT))
    expected = binned_model(reduced.average.q_nm, pixels, synth.guinier)
    ok, info = pull_check(np.stack([p.intensity for p in reduced.frames]),
                          np.stack([p.sigma for p in reduced.frames]), expected[np.newaxis, :])
    assert ok, info
    assert reduced.average.provenance["input_format"] == "edf"


def test_edf_counter_names_are_monitors(tmp_path):
    """BLISS-era EDF header: HSI0/HSI1 name counters, matched against HS32Nnn."""
    header = {key: str(value) for key, value in synth.header(HSI0="pin41", HSI1="pin5", HSTime="time").items()}
    header.update(HS32Len="3", HS32N01="time", HS32N02="pin5", HS32N03="pin41",
                  HS32V01="0.25", HS32V02="1000", HS32V03="2000")
    path = _write_edf(tmp_path / "one.edf", [np.ones(synth.SHAPE, np.uint32)], [header])
    with open_raw(path) as raw:
        monitors = raw.monitors()
    assert monitors.i1.tolist() == [1000.0] and monitors.i0.tolist() == [2000.0]
    assert monitors.exposure_s.tolist() == [0.25]


def test_frames_are_read_one_at_a_time(tmp_path):
    """Iterating a 200-frame file never holds more than a few frames (peak traced memory)."""
    n_frames = 200
    frame = np.arange(np.prod(synth.SHAPE), dtype=np.uint32).reshape(synth.SHAPE) % 1000

    def frames():
        for _ in range(n_frames):
            yield frame

    path = write_lima(tmp_path / "long.h5", frames(), synth.header(), detector="pilatus")
    frame_bytes = frame.size * 8
    with open_raw(path) as raw:
        assert raw.n_frames == n_frames
        tracemalloc.start()
        total = sum(float(f[0, 1]) for f in raw.iter_frames())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert total == n_frames * 1.0
    # the whole file as float64 would be 200 frames (~25 MB); allow 10 frames of working memory
    assert peak < 10 * frame_bytes, peak / frame_bytes


def test_edf_frames_are_read_one_at_a_time(tmp_path):
    n_frames = 60
    frame = (np.arange(np.prod(synth.SHAPE), dtype=np.uint32).reshape(synth.SHAPE) % 1000)
    header = {"ExposureTime": "0.1"}
    path = _write_edf(tmp_path / "long.edf", [frame + k for k in range(n_frames)], [header] * n_frames)
    with open_raw(path) as raw:
        assert raw.n_frames == n_frames
        tracemalloc.start()
        firsts = [float(f[0, 0]) for f in raw.iter_frames()]
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert firsts == [float(k) for k in range(n_frames)]
    # the whole file as float64 would be 60 frames; allow 10 frames of working memory
    assert peak < 10 * frame.size * 8, peak / (frame.size * 8)
