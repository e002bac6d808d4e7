"""The watch over a beamtime that lands while it runs: each sample once (again only when its blank
arrives), never a partial file, and the outputs of a batch over the finished folder."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from pathlib import Path

from watch_samples import SAMPLES
from helpers import assert_same_results, run_batch
from landing import Step, land

from saxs.watch import WatchOptions, watch

#: Files there before the watch starts: calibrations, dark, empty beam, standard, empty capillary.
BEFORE = ("beamtime.toml", "calibrations", "raw/dark_*", "raw/empty_beam_*", "raw/glassy_carbon*",
          "raw/empty_capillary_*")
SETTLE_S = 0.3
PAUSE_S = 0.8   # > SETTLE_S: a half-written file sits unchanged long enough to be looked at


def landing_steps(lima: str = "eiger2_4m_bin8_00001_00") -> list[Step]:
    """cdse_T190: LIMA written frame by frame, then its master; cdse_T200: master with an open scan,
    LIMA copied in chunks, scan ended; precursor_T025 at once; the solvent blank after all three
    samples were processed."""
    return [
        Step(f"raw/cdse_T190_{lima}.h5", "lima-frames", PAUSE_S),
        Step("raw/cdse_T190.h5"),
        Step("raw/cdse_T200.h5", "master-open", PAUSE_S),
        Step(f"raw/cdse_T200_{lima}.h5", "chunks", PAUSE_S),
        Step("raw/cdse_T200.h5", "master-end"),
        Step(f"raw/precursor_T025_{lima}.h5"),
        Step("raw/precursor_T025.h5"),
        Step("raw/solvent_ode_scalers_00001_00.h5", after_events=tuple(f"sample:{s}" for s in SAMPLES)),
        Step(f"raw/solvent_ode_{lima}.h5"),
    ]


def prepare_target(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for pattern in BEFORE:
        for path in source.glob(pattern):
            dst = target / path.relative_to(source)
            dst.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if path.is_dir() else shutil.copyfile)(path, dst)
    return target


def read_events(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "watch_events.jsonl").read_text().splitlines()]


def check_against_batch(target: Path, outdir: Path, reference: Path) -> None:
    """The watch's outputs equal a batch's over the finished folder (the events log aside)."""
    code, summary = run_batch(target, "-o", reference)
    assert code == 0, summary["failed"]
    (outdir / "watch_events.jsonl").unlink()
    for extra in ("report.html",):  # written by saxs.report when it exists, by the watch only
        (outdir / extra).unlink(missing_ok=True)
        (reference / extra).unlink(missing_ok=True)
    assert assert_same_results(outdir, reference) >= len(SAMPLES) + 2


def test_watch_processes_each_sample_once_and_matches_batch(finished_beamtime, tmp_path):
    target = prepare_target(finished_beamtime, tmp_path / "beamtime")
    outdir = tmp_path / "live"
    log = tmp_path / "landed.jsonl"
    writer = multiprocessing.get_context("spawn").Process(
        target=land, args=(str(finished_beamtime), str(target), str(outdir), landing_steps(), str(log)))
    writer.start()
    try:
        outcome = watch(target / "beamtime.toml", WatchOptions(outdir=outdir, workers=1, poll_s=0.2,
                                                              settle_s=SETTLE_S, stop_after_idle_s=8.0))
    finally:
        writer.join(timeout=60)
    assert writer.exitcode == 0, "the writer did not finish before the watch stopped"
    assert outcome["stopped_by"] == "idle" and outcome["exit_code"] == 0

    events = read_events(outdir)
    assert all(e["event"] == "done" for e in events), [e for e in events if e["event"] != "done"]
    by_key: dict[str, list[dict]] = {}
    for e in events:
        by_key.setdefault(e["key"], []).append(e)
    # each sample: once on arrival (no solvent blank yet), once more when the solvent arrived
    for name in SAMPLES:
        whys = [e["why"] for e in by_key[f"sample:{name}"]]
        assert whys == ["new", "blank 'solvent_ode' arrived"], (name, whys)
    assert [len(by_key[k]) for k in ("blank:empty_capillary", "blank:solvent_ode", "standard")] == [1, 1, 1]
    assert set(by_key) == {f"sample:{s}" for s in SAMPLES} | {"blank:empty_capillary", "blank:solvent_ode",
                                                              "standard"}
    # nothing read a partial file: every file a task was planned with has its final size and time
    for e in events:
        for stamp in e["files"]:
            st = (target / stamp["name"]).stat()
            assert (stamp["size"], stamp["mtime_ns"]) == (st.st_size, st.st_mtime_ns), (e["key"], stamp)
        assert e["summary_at"] >= e["result_at"] >= e["complete_since"]
    summary = json.loads((outdir / "summary.json").read_text())
    assert summary["watch"]["running"] is False and summary["counts"]["samples"] == len(SAMPLES)
    assert [s["status"] for s in summary["samples"]] == ["done"] * len(SAMPLES)  # as they came back, not re-read
    assert [s["status"] for s in summary["series"]] == ["done", "done"]

    check_against_batch(target, outdir, tmp_path / "reference")
