"""Fixtures of the ID02 layout tests: the synthetic geometry and oracles of tests/reduce."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "reduce"))

import pytest  # noqa: E402

import reduce_synth as synth  # noqa: E402


@pytest.fixture(scope="session")
def pixels():
    """Analytic q, solid angle and polarisation of the synthetic detector's pixels (numpy, no pyFAI)."""
    return synth.analytic_pixels()
