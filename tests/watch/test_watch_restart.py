"""Kill the watch at random moments (SIGKILL or SIGINT) while the beamtime lands, start it again:
the same final outputs as a batch over the finished folder (several trials)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from landing import land
from test_watch_live import SETTLE_S, check_against_batch, landing_steps, prepare_target, read_events

REPO = Path(__file__).resolve().parents[2]


def _start(target: Path, outdir: Path, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    return subprocess.Popen([sys.executable, "-m", "saxs", "watch", str(target), "-o", str(outdir), "--workers", "1",
                             "--poll", "0.2", "--settle", str(SETTLE_S), *extra], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
@pytest.mark.parametrize("trial", [0, 1, 2])
def test_killed_and_restarted_watch_ends_with_batch_outputs(finished_beamtime, tmp_path, trial):
    rng = np.random.default_rng(1000 + trial)
    target = prepare_target(finished_beamtime, tmp_path / "beamtime")
    outdir = tmp_path / "live"
    steps = [s.__class__(s.rel, s.how, s.pause_s) for s in landing_steps()]  # no waiting on events
    writer = multiprocessing.get_context("spawn").Process(
        target=land, args=(str(finished_beamtime), str(target), str(outdir), steps, str(tmp_path / "landed.jsonl")))
    writer.start()
    kills = 0
    try:
        while writer.is_alive() or kills < 2:
            watch = _start(target, outdir)
            time.sleep(rng.uniform(3.0, 15.0))
            how = signal.SIGKILL if rng.random() < 0.5 else signal.SIGINT
            watch.send_signal(how)
            code = watch.wait(timeout=120)
            if how == signal.SIGINT:
                assert code in (0, 1), code  # a clean stop (1 only if a task failed, which the end rules out)
            kills += 1
    finally:
        writer.join(timeout=120)
    assert writer.exitcode == 0
    final = _start(target, outdir, "--stop-after-idle", "5")
    assert final.wait(timeout=400) == 0
    events = read_events(outdir)
    assert all(e["event"] == "done" for e in events)
    check_against_batch(target, outdir, tmp_path / "reference")
