"""Shared test fixtures: the bundled reference data (copied from ../shared/data with licences)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Folder of the bundled reference files (see tests/data/README.md for sources and licences)."""
    return DATA_DIR
