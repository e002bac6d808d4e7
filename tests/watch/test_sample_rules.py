"""Sample rules in beamtime.toml: samples named and described from file names and master files."""

from __future__ import annotations

import shutil

import h5py
import pytest

from saxs.config import load_beamtime
from saxs.errors import InputError

RULE_BY_NAME = '''
[[sample_rules]]
files = "raw/cdse_T*.h5"
pattern = 'cdse_T(?P<nucleation_temperature_C>\\d+)\\.h5'
name = "cdse_T{nucleation_temperature_C}"
solvent = "solvent_ode"
empty = "empty_capillary"
thickness_mm = 1.5
[sample_rules.metadata]
reaction_time_s = 7.0
'''

RULE_BY_MASTER = '''
[[sample_rules]]
files = ["raw/*.h5"]
pattern = 'cdse_T(?P<nucleation_temperature_C>\\d+)\\.h5'
solvent = "solvent_ode"
[sample_rules.master]
name = "sample/name"
monitor_mean = "measurement/pin5"
'''


def _with_rule(beamtime, tmp_path, rule: str, *, drop_listed=()):
    folder = tmp_path / "bt"
    shutil.copytree(beamtime, folder)
    toml = folder / "beamtime.toml"
    from watch_samples import keep_samples

    keep_samples(toml, [n for n in ("cdse_T190", "cdse_T200", "precursor_T025") if n not in drop_listed])
    text = toml.read_text()
    toml.write_text(text.replace("[fit]", rule + "\n[fit]", 1))
    return folder


def test_rule_from_file_name_adds_samples_and_listed_ones_win(finished_beamtime, tmp_path):
    folder = _with_rule(finished_beamtime, tmp_path, RULE_BY_NAME, drop_listed=("cdse_T200",))
    config = load_beamtime(folder / "beamtime.toml")
    by_name = {s.name: s for s in config.samples}
    # listed cdse_T190 keeps its own table (volume_fraction 0.0025 is only there); the rule makes cdse_T200
    assert by_name["cdse_T190"].volume_fraction == 0.0025
    made = by_name["cdse_T200"]
    assert made.files == (str(folder / "raw" / "cdse_T200.h5"),)  # the master only, not its LIMA file
    assert dict(made.metadata) == {"nucleation_temperature_C": 200.0, "reaction_time_s": 7.0}
    assert (made.solvent, made.empty, made.thickness_mm, made.analysis) == ("solvent_ode", "empty_capillary", 1.5,
                                                                              "sizes")
    steps = {s.name: s for s in config.series}["nucleation_temperature"]
    cdse = tuple(f"cdse_T{t}" for t in range(190, 261, 10))  # every CdSe master file of the folder
    assert steps.samples == cdse

    # a file that lands later is a sample the next time the file is read (the watch reads it every cycle)
    shutil.copyfile(folder / "raw" / "cdse_T200.h5", folder / "raw" / "cdse_T215.h5")
    again = load_beamtime(folder / "beamtime.toml")
    assert again.has_rules and dict(again.sample("cdse_T215").metadata)["nucleation_temperature_C"] == 215.0
    assert {s.name: s for s in again.series}["nucleation_temperature"].samples == (*cdse[:3], "cdse_T215", *cdse[3:])


def test_rule_from_master_keys(finished_beamtime, tmp_path):
    folder = _with_rule(finished_beamtime, tmp_path, RULE_BY_MASTER, drop_listed=("cdse_T200",))
    with h5py.File(folder / "raw" / "cdse_T200.h5", "a") as f:  # the master names the sample, not the file
        del f["1.1/sample/name"]
        f["1.1/sample/name"] = "cdse_T200_second_try"
        pin5 = f["1.1/measurement/pin5"][()]
    config = load_beamtime(folder / "beamtime.toml")
    made = config.sample("cdse_T200_second_try")
    assert made.files == (str(folder / "raw" / "cdse_T200.h5"),) and made.solvent == "solvent_ode"
    assert made.metadata["monitor_mean"] == pytest.approx(float(pin5.mean()), rel=1e-12)  # a counter: its mean
    assert "precursor_T025" in {s.name for s in config.samples}
    # the listed cdse_T190's file is left to it, not made a second sample
    assert [s.name for s in config.samples].count("cdse_T190") == 1


def test_series_may_wait_for_rule_samples(finished_beamtime, tmp_path):
    folder = _with_rule(finished_beamtime, tmp_path, RULE_BY_NAME.replace("cdse_T*", "later_T*"),
                        drop_listed=("cdse_T190", "cdse_T200"))
    config = load_beamtime(folder / "beamtime.toml")  # no cdse sample yet: the series is empty, not an error
    assert {s.name: s.samples for s in config.series}["nucleation_temperature"] == ()


@pytest.mark.parametrize("bad, key", [
    ("pattern = '(unclosed'", "sample_rules[0].pattern"),
    ("colour = 'red'", "sample_rules[0].colour"),
    ("name = 'x_{missing}'", "sample_rules[0].name"),
])
def test_bad_rule_names_file_and_key(finished_beamtime, tmp_path, bad, key):
    rule = RULE_BY_NAME.replace('name = "cdse_T{nucleation_temperature_C}"\n', "") .replace(
        "thickness_mm = 1.5\n", f"thickness_mm = 1.5\n{bad}\n")
    if bad.startswith("pattern"):
        rule = rule.replace("pattern = 'cdse_T(?P<nucleation_temperature_C>\\d+)\\.h5'\n", "")
    folder = _with_rule(finished_beamtime, tmp_path, rule, drop_listed=("cdse_T200",))
    with pytest.raises(InputError) as err:
        load_beamtime(folder / "beamtime.toml")
    assert key in str(err.value) and "beamtime.toml" in str(err.value)
