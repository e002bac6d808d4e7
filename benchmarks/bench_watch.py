"""Watch benchmark: latency from a complete raw file to its sample in summary.json / report.html,
and whether the watch keeps up with a realistic arrival rate.

The beamtime is the simulator's ``cdse-demo`` preset (binned Eiger2 frames, ``--frames`` per file,
default 10) with the fit settings it writes (the batch's defaults). Calibrations, dark, empty beam,
standard and both blanks are there from the start; the watch (``saxs watch``, default workers: one
per core) starts and processes the standard (the blanks run with the first shot that needs them, as
in a batch, so the first shot's latency includes them). Then a new shot lands every ``--interval`` seconds: a copy of
one of the CdSe LIMA files under a new name, then its BLISS master file pointing at it
(``raw/shot_<k>_T<temperature>.h5``), found by a ``[[sample_rules]]`` table (name and nucleation
temperature from the file name) and analysed in a steps series with the earlier shots.

Reported, from OUTDIR/watch_events.jsonl (per sample: ``complete_since`` = the master file's last
write, ``summary_at`` = summary.json written with it, ``report_at`` = report.html refreshed, when
:mod:`saxs.report` exists): the latency per shot (median, max), the arrival rate and the rate the
watch processed them (shots / time from the first landing to the last summary), the backlog trend
(latency of the last shots against the first), and ``uptime`` before and after.

Run: ``python benchmarks/bench_watch.py [--shots 12] [--interval 5] [--frames 10] [--workers N]``.
Writes benchmarks/results/bench_watch.json. The development machine is shared: figures are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LIMA = "eiger2_4m_bin8_00001_00"
TEMPERATURES = (190, 200, 210, 220, 230, 240, 250, 260)

RULE = '''
[[sample_rules]]
files = "raw/shot_*.h5"
pattern = 'shot_(?P<shot>\\d+)_T(?P<nucleation_temperature_C>\\d+)\\.h5'
solvent = "solvent_ode"
empty = "empty_capillary"
thickness_mm = 1.5
[sample_rules.metadata]
reaction_time_s = 7.0

[[series]]
name = "shots"
by = "nucleation_temperature_C"
samples = ["shot_*"]
analysis = "steps"
'''


def make_source(folder: Path, frames: int) -> Path:
    from saxs.simulate.beamtime import simulate_beamtime

    marker = folder / f".simulated_{frames}"
    if not marker.exists():
        simulate_beamtime(folder, preset="cdse-demo", frames=frames)
        marker.write_text("ok\n")
    return folder


def prepare(source: Path, target: Path) -> None:
    """Target with everything but the samples; beamtime.toml: no listed samples, the shot rule."""
    target.mkdir(parents=True)
    shutil.copytree(source / "calibrations", target / "calibrations")
    (target / "raw").mkdir()
    for pattern in ("dark_*", "empty_beam_*", "glassy_carbon*", "empty_capillary_*", "solvent_ode_*"):
        for p in (source / "raw").glob(pattern):
            shutil.copyfile(p, target / "raw" / p.name)
    text = (source / "beamtime.toml").read_text()
    text = re.sub(r"(?ms)^\[\[samples\]\]\n.*?(?=^\[\[|^\[fit\]|\Z)", "", text)
    text = re.sub(r"(?ms)^\[\[series\]\].*", "", text)
    (target / "beamtime.toml").write_text(text + RULE)


def land_shot(source: Path, target: Path, k: int, temperature: int) -> str:
    """Copy one CdSe LIMA file under a new name, then its master file pointing at it."""
    import h5py

    name = f"shot_{k:04d}_T{temperature}"
    lima = f"{name}_{LIMA}.h5"
    shutil.copyfile(source / "raw" / f"cdse_T{temperature}_{LIMA}.h5", target / "raw" / lima)
    tmp = target / "raw" / f".{name}.h5.tmp"
    shutil.copyfile(source / "raw" / f"cdse_T{temperature}.h5", tmp)
    with h5py.File(tmp, "a") as f:
        for scan in f:
            for det in f[f"{scan}/instrument"].values():
                link = det.get("data", getlink=True)
                if isinstance(link, h5py.ExternalLink):
                    del det["data"]
                    det["data"] = h5py.ExternalLink(lima, link.path)
    tmp.rename(target / "raw" / f"{name}.h5")
    return name


def events(outdir: Path) -> list[dict]:
    path = outdir / "watch_events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--shots", type=int, default=12)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--settle", type=float, default=2.0)
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_watch_"))
    source = make_source(work / "source", args.frames)
    run_dir = work / f"run_{int(time.time())}"
    target, outdir = run_dir / "beamtime", run_dir / "live"
    prepare(source, target)
    load_before = uptime()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "saxs", "watch", str(target), "-o", str(outdir), "--poll", str(args.poll),
           "--settle", str(args.settle)] + (["--workers", str(args.workers)] if args.workers else [])
    watch = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(run_dir / "watch.stderr", "w"))
    try:
        t0 = time.time()
        while "standard" not in {e["key"] for e in events(outdir)}:  # blanks run with the first sample needing them
            if watch.poll() is not None or time.time() - t0 > 900:
                raise RuntimeError(f"the watch did not process the standard (see {run_dir / 'watch.stderr'})")
            time.sleep(0.5)
        setup_s = time.time() - t0
        print(f"standard done {setup_s:.0f} s after the start; landing {args.shots} shots every "
              f"{args.interval:g} s", flush=True)
        landed = {}
        for k in range(args.shots):
            landed[land_shot(source, target, k, TEMPERATURES[k % len(TEMPERATURES)])] = time.time()
            time.sleep(args.interval)
        deadline = time.time() + 1800
        while time.time() < deadline:
            done = {e["key"].split(":", 1)[1] for e in events(outdir) if e["key"].startswith("sample:")}
            if set(landed) <= done:
                break
            time.sleep(1.0)
    finally:
        watch.terminate()  # SIGTERM: stops as Ctrl-C does
        watch.wait(timeout=120)
    load_after = uptime()
    firsts = {}
    for e in events(outdir):
        name = e["key"].split(":", 1)[-1]
        if e["key"].startswith("sample:") and name in landed and name not in firsts:
            firsts[name] = e
    rows = [{"sample": n, "latency_summary_s": e["summary_at"] - e["complete_since"],
             "latency_report_s": (e["report_at"] - e["complete_since"]) if e["report_at"] else None,
             "result_after_landing_s": e["result_at"] - e["complete_since"], "status": e["event"]}
            for n, e in sorted(firsts.items())]
    lat = [r["latency_summary_s"] for r in rows]
    span = max(e["summary_at"] for e in firsts.values()) - min(e["complete_since"] for e in firsts.values())
    half = max(1, len(lat) // 3)
    result = {
        "shots": args.shots, "processed": len(rows), "interval_s": args.interval, "frames_per_file": args.frames,
        "workers": args.workers or os.cpu_count(), "poll_s": args.poll, "settle_s": args.settle,
        "arrival_per_min": 60.0 / args.interval, "processed_per_min": 60.0 * len(rows) / span if span else None,
        "latency_summary_s": {"median": statistics.median(lat), "min": min(lat), "max": max(lat),
                              "first_third_mean": statistics.mean(lat[:half]),
                              "last_third_mean": statistics.mean(lat[-half:])},
        "report": "written" if any(r["latency_report_s"] for r in rows) else "no saxs.report module in this tree",
        "setup_s": setup_s, "uptime_before": load_before, "uptime_after": load_after, "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_watch.json").write_text(json.dumps(result, indent=2) + "\n")
    for r in rows:
        print(f"{r['sample']:18s} latency to summary {r['latency_summary_s']:6.1f} s  ({r['status']})")
    ls = result["latency_summary_s"]
    print(f"latency median {ls['median']:.1f} s, max {ls['max']:.1f} s (first third {ls['first_third_mean']:.1f} s, "
          f"last third {ls['last_third_mean']:.1f} s); arrivals {result['arrival_per_min']:.1f}/min, processed "
          f"{result['processed_per_min']:.1f}/min")
    print(f"load before: {load_before}\nload after:  {load_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
