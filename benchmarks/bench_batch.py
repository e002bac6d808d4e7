"""Full-size batch benchmark: `saxs batch` on Eiger2 4M frames with 1 and 2 workers.

The beamtime is the simulator's ``full`` preset (2162 x 2068 frames, module gaps, darks, empty beam,
blanks, glassy-carbon standard, CdSe samples at 200 and 240 C), its sample list repeated ``--copies``
times under new names (the same raw files), so that there are enough sample tasks to share between
workers. Each worker count runs the whole batch into its own OUTDIR (``--overwrite``), timed from
the command's start to summary.json.

Reported per worker count: wall time, samples per minute (sample tasks / wall time), and the split of
the sample tasks' time between reading, integration, fitting, peaks, writing and figures, from the
per-phase timings every sample task records in summary.json (``reduce`` = read + integrate there).
Reading alone is measured separately in this process: every frame of every sample file read and
decompressed through ``saxs.id02.open_raw``; integration = reduce - read. And the scaling 1 -> 2
workers: wall(1) / wall(2).

Run: ``python benchmarks/bench_batch.py [--workdir DIR] [--frames 2] [--copies 2] [--workers 1 2]``.
Writes benchmarks/results/bench_batch.json. The development machine is shared: figures are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def make_beamtime(folder: Path, *, frames: int, copies: int, contributions: int, repetitions: int) -> Path:
    """Simulate the full preset into ``folder`` (once) and write beamtime_bench.toml with repeated samples."""
    from saxs.simulate.beamtime import simulate_beamtime

    marker = folder / f".simulated_{frames}"
    if not marker.exists():
        t = time.perf_counter()
        simulate_beamtime(folder, preset="full", frames=frames)
        marker.write_text("ok\n")
        print(f"simulated the full preset ({frames} frames per file) in {time.perf_counter() - t:.0f} s", flush=True)
    text = (folder / "beamtime.toml").read_text()
    blocks = re.findall(r"(?ms)^\[\[samples\]\]\n.*?(?=^\[\[|^\[fit\]|\Z)", text)
    extra = []
    for k in range(1, copies):
        for block in blocks:
            extra.append(re.sub(r'(?m)^name = "([^"]+)"', rf'name = "\1_copy{k}"', block, count=1))
    text = text.replace("[fit]", "".join(extra) + "[fit]", 1)
    text = re.sub(r"(?m)^contributions = .*$", f"contributions = {contributions}", text)
    text = re.sub(r"(?m)^repetitions = .*$", f"repetitions = {repetitions}", text)
    text = re.sub(r"(?ms)^\[\[series\]\].*", "", text)  # samples only: series are not what is timed
    path = folder / "beamtime_bench.toml"
    path.write_text(text)
    return path


def read_seconds(files) -> float:
    """Wall time to read and decompress every frame of ``files`` (one pass, this process)."""
    from saxs.id02 import open_raw

    start = time.perf_counter()
    for path in files:
        with open_raw(path) as raw:
            for index in range(raw.n_frames):
                raw.frame(index)
    return time.perf_counter() - start


def run_once(config_path: Path, outdir: Path, workers: int) -> dict:
    from saxs.config import load_beamtime
    from saxs.pipeline.batch import BatchOptions, run_batch

    config = load_beamtime(config_path)
    start = time.perf_counter()
    summary = run_batch(config, BatchOptions(outdir=outdir, workers=workers, overwrite=True, progress=False))
    wall = time.perf_counter() - start
    samples = [s for s in summary["samples"] if s["status"] == "done"]
    if len(samples) != len(summary["samples"]):
        raise SystemExit(f"benchmark batch failed: {summary['failed']}")
    phases: dict[str, float] = {}
    for s in samples:
        for key, value in s["timings_s"].items():
            phases[key] = phases.get(key, 0.0) + value
    blanks = sum(b.get("seconds", 0.0) for b in summary["blanks"]) + (summary["calibration"] or {}).get("seconds", 0.0)
    return {"workers": workers, "wall_s": wall, "n_samples": len(samples),
            "samples_per_min": 60.0 * len(samples) / wall, "sample_task_s": sum(s["seconds"] for s in samples),
            "phases_s": phases, "blanks_and_standard_s": blanks}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="where to simulate and write (default: a temp folder)")
    parser.add_argument("--frames", type=int, default=2, help="frames per raw file (default 2)")
    parser.add_argument("--copies", type=int, default=2, help="times the sample list is repeated (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--contributions", type=int, default=300)
    parser.add_argument("--repetitions", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_batch_"))
    work.mkdir(parents=True, exist_ok=True)
    bt = work / "beamtime"
    config_path = make_beamtime(bt, frames=args.frames, copies=args.copies, contributions=args.contributions,
                                repetitions=args.repetitions)
    from saxs.config import load_beamtime

    config = load_beamtime(config_path)
    sample_files = [f for s in config.samples for f in config.resolve(s.files)]
    runs = [run_once(config_path, work / f"out_{n}", n) for n in args.workers]
    read_s = read_seconds(sample_files)
    for r in runs:
        reduce_s = r["phases_s"].get("reduce", 0.0)
        r["split_s"] = {
            "read (measured apart)": read_s, "integrate (reduce - read)": max(0.0, reduce_s - read_s),
            "screen + subtract": r["phases_s"].get("screen", 0.0) + r["phases_s"].get("subtract", 0.0),
            "fit": r["phases_s"].get("fit", 0.0), "peaks": r["phases_s"].get("peaks", 0.0),
            "write": r["phases_s"].get("write", 0.0), "figures": r["phases_s"].get("figures", 0.0),
        }
    from saxs.id02 import open_raw

    with open_raw(sample_files[0]) as raw:
        shape = list(raw.frame(0).shape)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "beamtime": {"preset": "full", "frame_shape": shape, "frames_per_file": args.frames,
                     "sample_tasks": len(config.samples), "sample_files": len(sample_files),
                     "fit": {"contributions": args.contributions, "repetitions": args.repetitions}},
        "runs": runs,
        "scaling_1_to_2": (runs[0]["wall_s"] / runs[1]["wall_s"]) if len(runs) >= 2 else None,
    }
    print(f"\nfull-size batch: {len(config.samples)} sample tasks, frames {shape[0]} x {shape[1]}, "
          f"{args.frames} per file, fit {args.contributions} x {args.repetitions}; {os.cpu_count()} cpus")
    print(f"{'workers':>8} {'wall s':>8} {'samples/min':>12}   split of sample-task time (s, summed over samples)")
    for r in runs:
        split = ", ".join(f"{k} {v:.1f}" for k, v in r["split_s"].items())
        print(f"{r['workers']:>8} {r['wall_s']:>8.1f} {r['samples_per_min']:>12.2f}   {split}")
    if result["scaling_1_to_2"]:
        print(f"scaling 1 -> 2 workers: {result['scaling_1_to_2']:.2f}x")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_batch.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS / 'bench_batch.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
