"""Fixtures of the reduction tests: small synthetic LIMA / EDF files with a known I(q)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import reduce_synth as synth  # noqa: E402


@pytest.fixture(scope="session")
def pixels():
    """Analytic q, solid angle and polarisation of the synthetic detector's pixels."""
    return synth.analytic_pixels()


@pytest.fixture(scope="session")
def lima_file(tmp_path_factory):
    """Three frames, scalers, byte-string header (fixed seed 12)."""
    return synth.make_lima(tmp_path_factory.mktemp("raw") / "guinier.h5", seed=12)
