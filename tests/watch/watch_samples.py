"""Names the watch tests share (a module of its own: ``from conftest import`` picks whichever
``conftest`` module Python imported first when several test folders run in one session)."""

from __future__ import annotations

import re
from pathlib import Path

#: The samples of the watch tests (two of the CdSe steps series, one of the mesophase series).
SAMPLES = ("cdse_T190", "cdse_T200", "precursor_T025")


def keep_samples(toml: Path, names) -> None:
    """Drop the [[samples]] tables of ``toml`` whose name is not in ``names``."""
    text = toml.read_text()
    block = re.compile(r'\[\[samples\]\]\nname = "([^"]+)"\n(?:(?!\[\[|\[fit\]).*\n)*')
    text = block.sub(lambda m: m.group(0) if m.group(1) in names else "", text)
    toml.write_text(text)
