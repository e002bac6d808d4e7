"""``[instrument] monitor = "none"`` in beamtime.toml: the batch reduces without monitors (--no-monitor)."""

from __future__ import annotations

import numpy as np
import pytest

import reduce_synth as synth
from saxs.config import load_beamtime
from saxs.errors import InputError
from saxs.pipeline.sample import ReductionSettings, reduce_measurement

TOML = """
version = 1
[instrument]
npt = 40
{monitor}
[[samples]]
name = "s"
files = ["raw/s_pilatus_00001_00.h5"]
"""


def test_monitor_none_key_reduces_a_file_without_scalers(tmp_path):
    (tmp_path / "raw").mkdir()
    lima = synth.make_lima(tmp_path / "raw" / "s.h5", seed=4, scalers=False)
    path = tmp_path / "beamtime.toml"
    path.write_text(TOML.format(monitor='monitor = "none"'))
    config = load_beamtime(path)
    assert config.instrument.monitor == "none"
    from saxs.pipeline.batch import _reduction

    assert _reduction(config)[0].no_monitor is True       # what the batch hands to every reduction
    average, _, reduced = reduce_measurement([lima], ReductionSettings(npt=40, no_monitor=True))
    assert reduced[0].monitors.source == "none (--no-monitor)"
    assert np.all(np.isfinite(average.intensity))
    path.write_text(TOML.format(monitor=""))
    assert load_beamtime(path).instrument.monitor == "counters"
    with pytest.raises(InputError) as err:          # without the key: the missing scalers file is an error
        reduce_measurement([lima], ReductionSettings(npt=40))
    assert str(lima) in str(err.value) and "s_scalers_00001_00.h5" in str(err.value)


def test_bad_monitor_value_names_file_and_key(tmp_path):
    path = tmp_path / "beamtime.toml"
    path.write_text(TOML.format(monitor='monitor = "off"'))
    with pytest.raises(InputError) as err:
        load_beamtime(path)
    assert str(path) in str(err.value) and "instrument.monitor" in str(err.value)
