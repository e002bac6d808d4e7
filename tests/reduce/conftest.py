"""Fixtures of the reduction tests: small synthetic LIMA / EDF files with a known I(q)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import synth  # noqa: E402

from saxs.lima import write_lima  # noqa: E402

#: Monitor values (transmitted flux I1) of the three frames; I0 = 2 x I1.
I1_VALUES = np.array([1.0e6, 1.1e6, 0.9e6])


@pytest.fixture(scope="session")
def pixels():
    """Analytic q, solid angle and polarisation of the synthetic detector's pixels."""
    return synth.analytic_pixels()


def make_lima(path, *, seed, i1=I1_VALUES, model=synth.guinier, header=None, scalers=True, dark=None,
              flat=None, gaps=None, numeric_header=False, detector="pilatus"):
    """Write a synthetic LIMA file: Poisson counts of the model (fixed seed); returns the path."""
    rng = np.random.default_rng(seed)
    pix = synth.analytic_pixels()
    frames = []
    for monitor in i1:
        counts = rng.poisson(synth.expected_counts(model, monitor, dark=dark, flat=flat, pixels=pix)).astype(np.float64)
        if gaps is not None:
            counts[gaps] = 2**32 - 1
        frames.append(counts)
    head = synth.header() if header is None else header
    sc = synth.scalers(2 * np.asarray(i1), i1) if scalers else None
    return write_lima(path, np.array(frames), head, detector=detector, scalers=sc, numeric_header=numeric_header)


@pytest.fixture(scope="session")
def lima_file(tmp_path_factory):
    """Three frames, scalers, byte-string header (fixed seed 12)."""
    return make_lima(tmp_path_factory.mktemp("raw") / "guinier.h5", seed=12)
