"""One batch per output folder (issue 13, item 4): a second run is refused with the holder's PID
and start time, and never touches the temporary files of the live run; the lock dies with its
holder (SIGKILL included), so a later run goes ahead and removes what the dead run left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from saxs.pipeline.lock import LOCK_NAME

from .helpers import copy_beamtime, run_batch

HOLD = ("import sys, time; from saxs.pipeline.lock import batch_lock\n"
        "with batch_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(600)\n")


def _env():
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _wait_for_lock(out: Path, proc, timeout_s: float = 120.0) -> dict:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        assert proc.poll() is None, "the first run ended before it was seen holding the lock"
        try:
            info = json.loads((out / LOCK_NAME).read_text() or "{}")
        except (OSError, ValueError):
            info = {}
        if info.get("pid") == proc.pid:
            return info
        time.sleep(0.1)
    raise AssertionError("no lock taken")


def test_second_run_refused_live_temporaries_untouched(small_beamtime, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "samples").mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        info = _wait_for_lock(out, holder)
        in_flight = out / "samples" / ".cdse_T200.x1y2.h5.tmp"  # a result the live run is writing
        in_flight.write_bytes(b"half written")
        code, summary = run_batch(small_beamtime, "-o", out, "--resume", "--only", "cdse_T200")
        assert code == 2 and summary is None
        err = capsys.readouterr().err.strip()
        assert err == (f"saxs batch: error: {out}: OUTDIR: expected a folder no other batch is writing to (wait for "
                       f"it to finish or choose another -o), got 'saxs batch PID {holder.pid} on {info['host']}, "
                       f"started {info['started']} holds {out / LOCK_NAME}'")
        assert in_flight.read_bytes() == b"half written"
        assert not (out / "batch.log").exists()  # the refused run wrote nothing
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the kernel released the lock with its (killed) holder: the next run goes ahead, and now the
    # temporary file is one of a dead run, removed
    code, summary = run_batch(small_beamtime, "-o", out, "--resume", "--only", "cdse_T200")
    assert code == 0, summary["failed"]
    assert not in_flight.exists()
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == os.getpid()


@pytest.mark.slow
def test_two_real_batches_one_folder(small_beamtime, tmp_path, capsys):
    bt = copy_beamtime(small_beamtime, tmp_path / "bt")
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-m", "saxs", "batch", str(bt), "-o", str(out), "--only", "cdse_T200",
                              "cdse_T210", "--workers", "1", "--no-progress"], stderr=subprocess.PIPE, text=True,
                             env=_env())
    _wait_for_lock(out, first)
    code, _ = run_batch(bt, "-o", out, "--resume", "--only", "cdse_T200", "cdse_T210")
    assert code == 2
    assert f"PID {first.pid}" in capsys.readouterr().err
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err  # undisturbed: no sample lost its temporary file
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["done"] == 2 and not summary["failed"]
