"""`saxs watch` / `saxs batch --watch` refuse bad options with exit 2 and write nothing."""

from __future__ import annotations

import pytest

from saxs.cli import main


@pytest.mark.parametrize("argv, word", [
    (["batch", "{bt}", "-o", "{out}", "--watch", "--overwrite"], "--overwrite"),
    (["batch", "{bt}", "-o", "{out}", "--watch", "--only", "cdse_T190"], "--only"),
    (["watch", "{bt}", "-o", "{out}", "--poll", "0"], "--poll"),
    (["watch", "{bt}", "-o", "{out}", "-c", "missing.toml"], "missing.toml"),
])
def test_bad_watch_options_exit_2(finished_beamtime, tmp_path, capsys, argv, word):
    out = tmp_path / "out"
    argv = [a.format(bt=finished_beamtime, out=out) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]
    assert not out.exists()
