"""Fixtures of the watch tests: a small finished beamtime (the source the writer copies from)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "batch"))

from helpers import set_fit, simulate  # noqa: E402

#: The samples of the watch tests (two of the CdSe steps series, one of the mesophase series).
SAMPLES = ("cdse_T190", "cdse_T200", "precursor_T025")


def keep_samples(toml: Path, names) -> None:
    """Drop the [[samples]] tables of ``toml`` whose name is not in ``names``."""
    text = toml.read_text()
    block = re.compile(r'\[\[samples\]\]\nname = "([^"]+)"\n(?:(?!\[\[|\[fit\]).*\n)*')
    text = block.sub(lambda m: m.group(0) if m.group(1) in names else "", text)
    toml.write_text(text)


@pytest.fixture(scope="session")
def finished_beamtime(tmp_path_factory):
    """The cdse-demo beamtime cut to :data:`SAMPLES`, 2 frames per file, test-sized fits."""
    folder = simulate(tmp_path_factory.mktemp("watch-source") / "demo", frames=2)
    set_fit(folder, contributions=100, repetitions=3, max_steps=20000)
    keep_samples(folder / "beamtime.toml", SAMPLES)
    return folder
