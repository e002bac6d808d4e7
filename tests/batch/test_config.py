"""The beamtime file reader: validation messages, defaults, globs, migration from version 0."""

from __future__ import annotations

import textwrap

import pytest

from saxs import defaults
from saxs.config import CURRENT_VERSION, load_beamtime, migrate
from saxs.config_migrate import _migrate_v0_to_v1
from saxs.errors import InputError

GOOD = """
version = 1
title = "t"
[instrument]
dark = "raw/dark_*.h5"
npt = 300
[blanks.solvent]
files = ["raw/solvent_*.h5"]
empty = "cap"
[blanks.cap]
files = "raw/cap_*.h5"
[[samples]]
name = "s200"
files = ["raw/s200_*.h5"]
solvent = "solvent"
thickness_mm = 1.5
metadata = { T_C = 200.0 }
[[samples]]
name = "s190"
files = ["raw/s190_*.h5"]
solvent = "solvent"
thickness_mm = 1.5
metadata = { T_C = 190 }
[[samples]]
name = "other"
files = ["raw/o.h5"]
[fit]
q_range_nm = [0.3, 5]
seed = 7
[[series]]
name = "temperature"
by = "T_C"
samples = ["s*"]
"""


def _write(tmp_path, text, name="beamtime.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_good_file_is_resolved_and_ordered(tmp_path):
    (tmp_path / "raw").mkdir()
    for n in ("s190_0001.h5", "s190_0000.h5", "dark_0000.h5"):
        (tmp_path / "raw" / n).write_bytes(b"x")
    cfg = load_beamtime(_write(tmp_path, GOOD))
    assert cfg.version == 1 and cfg.title == "t"
    assert cfg.instrument.npt == 300
    assert cfg.blanks["cap"].files == (str(tmp_path / "raw" / "cap_*.h5"),)
    # the series is ordered by its variable, not by file order; ints become floats
    assert cfg.series[0].samples == ("s190", "s200")
    assert cfg.sample("s190").metadata["T_C"] == 190.0
    # defaults for unset fit keys, given ones kept
    assert cfg.fit.q_range_nm == (0.3, 5.0) and cfg.fit.seed == 7 and cfg.fit.bins == defaults.FIT_BINS
    # globs expand sorted, only existing files
    files = cfg.resolve(cfg.sample("s190").files)
    assert [f.name for f in files] == ["s190_0000.h5", "s190_0001.h5"]
    assert cfg.resolve(cfg.instrument.dark)[0].name == "dark_0000.h5"
    assert cfg.resolve(cfg.sample("other").files) == ()


@pytest.mark.parametrize("old,new,pattern", [
    ('npt = 300', 'npt = "300"', r"instrument\.npt: expected an integer"),
    ('thickness_mm = 1.5\nmetadata = { T_C = 200.0 }', 'thickness_mm = -1\nmetadata = { T_C = 200.0 }',
     r"samples\[0\]\.thickness_mm: expected a positive number"),
    ('q_range_nm = [0.3, 5]', 'q_range_nm = [5, 0.3]', r"fit\.q_range_nm: expected \[min, max\]"),
    ('seed = 7', 'sed = 7', r"fit\.sed: expected one of the keys .*did you mean 'seed'"),
    ('solvent = "solvent"\nthickness_mm = 1.5\nmetadata = { T_C = 190 }',
     'solvent = "solvnt"\nthickness_mm = 1.5\nmetadata = { T_C = 190 }',
     r"samples\[1\]\.solvent: expected the name of a \[blanks.NAME\] table"),
    ('by = "T_C"', 'by = "time_s"', r"series\[0\]\.by: expected a metadata key of every member"),
    ('samples = ["s*"]', 'samples = ["x*"]', r"series\[0\]\.samples: expected patterns matching"),
    ('name = "other"', 'name = "s190"', r"samples\[2\]\.name: expected a name not used"),
    ('name = "other"', 'name = "a/b"', r"samples\[2\]\.name: expected a name of letters"),
    ('version = 1', 'version = 9', r"version: expected at most 1"),
])
def test_errors_name_file_key_and_expectation(tmp_path, old, new, pattern):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError, match=pattern) as info:
        load_beamtime(path)
    assert str(info.value).startswith(str(path))


def test_syntax_error_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="beamtime.toml: TOML syntax"):
        load_beamtime(_write(tmp_path, "version = [1"))
    with pytest.raises(InputError, match="nope.toml: file: expected a readable"):
        load_beamtime(tmp_path / "nope.toml")


def test_version_0_is_migrated(tmp_path):
    v0 = """
    title = "old"
    [samples.a]
    files = ["a.h5"]
    metadata = { t = 1.0 }
    [fit]
    q_min_nm = 0.5
    q_max_nm = 4.0
    """
    cfg = load_beamtime(_write(tmp_path, v0))
    assert cfg.version == 0  # as written; the content is the current version
    assert [s.name for s in cfg.samples] == ["a"]
    assert cfg.fit.q_range_nm == (0.5, 4.0)
    # the migration is one explicit, pure step
    doc = {"samples": {"b": {"files": ["b.h5"]}}}
    assert _migrate_v0_to_v1(doc) == {"samples": [{"name": "b", "files": ["b.h5"]}], "version": 1}
    assert doc == {"samples": {"b": {"files": ["b.h5"]}}}
    assert migrate({"version": CURRENT_VERSION, "x": 1}) == {"version": CURRENT_VERSION, "x": 1}


def test_absolute_section_either_or(tmp_path):
    text = GOOD + '\n[absolute]\ncalibration = "c.toml"\nstandard_file = "raw/gc.h5"\n'
    with pytest.raises(InputError, match="absolute.calibration: expected either"):
        load_beamtime(_write(tmp_path, text))
    text = GOOD + '\n[absolute]\nstandard_file = "raw/gc.h5"\nstandard = "srm3600"\n'
    with pytest.raises(InputError, match="absolute.standard_thickness_mm"):
        load_beamtime(_write(tmp_path, text))
    text = GOOD + '\n[absolute]\nstandard_file = "raw/gc.h5"\nstandard = "srm3600"\nstandard_thickness_mm = 1.055\n'
    cfg = load_beamtime(_write(tmp_path, text))
    assert cfg.absolute.enabled and cfg.absolute.standard_file == str(tmp_path / "raw" / "gc.h5")


def test_volume_fraction_is_read_and_validated(tmp_path):
    # The solvent-displacement factor 1 - phi needs phi in [0, 1); anything else names the key.
    good = GOOD.replace('name = "s200"\n', 'name = "s200"\nvolume_fraction = 0.003\n')
    cfg = load_beamtime(_write(tmp_path, good))
    assert {s.name: s.volume_fraction for s in cfg.samples} == {"s200": 0.003, "s190": None, "other": None}
    bad = GOOD.replace('name = "s200"\n', 'name = "s200"\nvolume_fraction = 1.5\n')
    with pytest.raises(InputError, match=r"samples\[0\]\.volume_fraction.*\[0, 1\)"):
        load_beamtime(_write(tmp_path, bad, "bad.toml"))


def test_dark_statistic_is_read_and_validated(tmp_path):
    cfg = load_beamtime(_write(tmp_path, GOOD))
    assert cfg.instrument.dark_statistic == "median"  # the default
    clipped = GOOD.replace("npt = 300\n", 'npt = 300\ndark_statistic = "clipped_mean"\n')
    assert load_beamtime(_write(tmp_path, clipped, "c.toml")).instrument.dark_statistic == "clipped_mean"
    bad = GOOD.replace("npt = 300\n", 'npt = 300\ndark_statistic = "mean"\n')
    with pytest.raises(InputError, match=r"instrument\.dark_statistic"):
        load_beamtime(_write(tmp_path, bad, "b.toml"))


def test_sample_analysis_follows_its_series_and_fit_can_be_forced(tmp_path):
    # the s* series becomes a peaks series: its members get no sphere fit unless a sample forces one;
    # "other" (in no series) keeps the default sphere fit
    peaks = GOOD.replace('samples = ["s*"]', 'samples = ["s*"]\nanalysis = "peaks"')
    cfg = load_beamtime(_write(tmp_path, peaks))
    assert {s.name: (s.analysis, s.fit) for s in cfg.samples} == {
        "s200": ("peaks", False), "s190": ("peaks", False), "other": ("sizes", True)}
    forced = peaks.replace('name = "s200"\n', 'name = "s200"\nfit = true\n').replace(
        'name = "other"\n', 'name = "other"\nanalysis = "peaks"\n')
    cfg = load_beamtime(_write(tmp_path, forced, "forced.toml"))
    assert {s.name: (s.analysis, s.fit) for s in cfg.samples} == {
        "s200": ("peaks", True), "s190": ("peaks", False), "other": ("peaks", False)}
    # a steps series (the default) fits its members
    assert all(s.fit for s in load_beamtime(_write(tmp_path, GOOD, "steps.toml")).samples)


@pytest.mark.parametrize("line,pattern", [
    ('analysis = "bragg"', r"samples\[0\]\.analysis: expected one of 'sizes', 'peaks'"),
    ('fit = "yes"', r"samples\[0\]\.fit: expected true or false"),
])
def test_sample_analysis_errors_name_the_key(tmp_path, line, pattern):
    path = _write(tmp_path, GOOD.replace('name = "s200"\n', f'name = "s200"\n{line}\n'))
    with pytest.raises(InputError, match=pattern):
        load_beamtime(path)


def test_poor_fit_thresholds_are_fit_settings(tmp_path):
    cfg = load_beamtime(_write(tmp_path, GOOD))
    assert (cfg.fit.poor_fit_chi2_reduced, cfg.fit.poor_fit_durbin_watson) == (3.0, 1.0)
    custom = GOOD.replace("seed = 7\n", "seed = 7\npoor_fit_chi2_reduced = 5\npoor_fit_durbin_watson = 0.5\n")
    cfg = load_beamtime(_write(tmp_path, custom, "c.toml"))
    assert (cfg.fit.poor_fit_chi2_reduced, cfg.fit.poor_fit_durbin_watson) == (5.0, 0.5)
    with pytest.raises(InputError, match=r"fit\.poor_fit_chi2_reduced: expected a positive number"):
        load_beamtime(_write(tmp_path, GOOD.replace("seed = 7\n", "seed = 7\npoor_fit_chi2_reduced = 0\n"), "b.toml"))
