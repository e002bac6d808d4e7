"""Bad input: clear errors naming the file and the field; the CLI exits 2 and writes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from saxs.bragg import PeakSettings, find_peaks
from saxs.cli import main
from saxs.errors import InputError
from saxs.profile import Profile1D


def _good():
    q = np.linspace(0.2, 5.0, 200)
    i = 10.0 * q**-2 + 1.0
    return q, i, 0.01 * i


def _profile(q, i, s):
    return Profile1D(q_nm=q, intensity=i, sigma=s, provenance={"input_file": "bad.dat"})


def test_non_increasing_q():
    q, i, s = _good()
    q = q.copy()
    q[50], q[51] = q[51], q[50]
    with pytest.raises(InputError, match=r"bad.dat: q: expected strictly increasing values.*q\[51\] = .* <= q\[50\]"):
        find_peaks(_profile(q, i, s))


def test_nan_intensity_and_nan_q():
    q, i, s = _good()
    i = i.copy()
    i[10] = np.nan
    with pytest.raises(InputError, match=r"bad.dat: intensity: expected finite values.*1 non-finite"):
        find_peaks(_profile(q, i, s))
    q2 = q.copy()
    q2[3] = np.nan
    with pytest.raises(InputError, match=r"bad.dat: q: expected finite values"):
        find_peaks(_profile(q2, _good()[1], s))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_sigma_not_positive(bad):
    q, i, s = _good()
    s = s.copy()
    s[5:8] = bad
    with pytest.raises(InputError, match=r"bad.dat: sigma: expected positive finite uncertainties.*3 values"):
        find_peaks(_profile(q, i, s))


def test_empty_q_range_and_bad_settings():
    q, i, s = _good()
    with pytest.raises(InputError, match="q range"):
        find_peaks(_profile(q, i, s), q_range=(10.0, 20.0))
    with pytest.raises(InputError, match="--q-range"):
        find_peaks(_profile(q, i, s), q_range=(3.0, 1.0))
    with pytest.raises(InputError, match="min_significance"):
        PeakSettings(min_significance=0.0)


@pytest.mark.parametrize("corrupt,field", [
    ("swap", "strictly increasing"),
    ("nan", "finite values"),
    ("zero_sigma", "positive finite uncertainties"),
])
def test_cli_exit_2_with_one_line_and_no_output(tmp_path, capsys, corrupt, field):
    q, i, s = (a.copy() for a in _good())
    if corrupt == "swap":
        q[20], q[21] = q[21], q[20]
    elif corrupt == "nan":
        i[7] = np.nan
    else:
        s[9] = 0.0
    path = tmp_path / "curve.dat"
    np.savetxt(path, np.column_stack([q, i, s]))
    out = tmp_path / "peaks.h5"
    assert main(["peaks", str(path), "--json", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "curve.dat" in lines[0] and field in lines[0]
    assert not out.exists() and list(tmp_path.glob(".*.tmp")) == []


def test_cli_missing_file_and_bad_option(tmp_path, capsys):
    assert main(["peaks", str(tmp_path / "missing.h5")]) == 2
    assert "missing.h5" in capsys.readouterr().err
    q, i, s = _good()
    path = tmp_path / "ok.dat"
    np.savetxt(path, np.column_stack([q, i, s]))
    assert main(["peaks", str(path), "--min-significance", "-1"]) == 2
    assert "min_significance" in capsys.readouterr().err
    assert main(["peaks", str(path), "--q-unit", "furlong"]) == 2
    assert "--q-unit" in capsys.readouterr().err
