"""Fixtures for the mcfit tests: the bundled reference curves."""

from __future__ import annotations

import pytest

from mcfit_synth import DATA, read_columns


@pytest.fixture(scope="session")
def quickstart():
    return read_columns(DATA / "quickstart" / "quickstartdemo1.csv")


@pytest.fixture(scope="session")
def round_robin_1():
    return read_columns(DATA / "roundrobin" / "round_robin_dataset_1.dat")

