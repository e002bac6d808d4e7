"""`saxs reduce` against a bare h5py + pyFAI loop on a full-size 20-frame Eiger2 4M file.

The file is one sample of the simulator's ``full`` preset (2162 x 2068 uint32 frames, bitshuffle-LZ4,
module gaps and dead pixels at 2**32 - 1), with its dark (40 frames), flat, mask and PONI, written
once into ``--workdir``. Both sides reduce it with the same corrections (the dark's per-pixel
statistic, the flat, the mask file, the PONI geometry, polarisation, the monitor divisors) and the same
pyFAI method, and must give the same curves bit for bit (checked).

- **bare loop**: ``h5py`` opens the LIMA file; per frame ``ds[i]`` (decompression), the variance
  ``frame + dark_variance`` and one ``integrate1d`` call with pyFAI's dummy at the integer maximum;
  its output is one ``(n_frames, npt)`` HDF5 dataset per quantity. Its dark, flat, mask, geometry and
  divisors are the ones saxs built (those are set-up, not the loop).
- **saxs**: ``reduce_file`` (opens the file through ``saxs.id02``, reads the header and monitors,
  builds the corrections from the caches, integrates every frame) and ``write_reduced`` (NXcanSAS:
  one entry per frame, the average, the I(t, q) series).

Reported, interleaved over ``--repeats`` (medians, and the ratio within each repeat): steady state =
frames per second of the per-frame work only (read + integrate) after the integration engine is
built; end to end = frames per second of the whole call with output writing, integrator, dark and static
corrections (mask, per-pixel arrays) already cached in the process (as in a batch worker after its
first file; the cached calls' curves are checked equal to the first, uncached call's); and the ratio saxs / bare
of each. Both by wall time and by the process's CPU time (``process_time``, every thread): on a
shared machine the CPU figure is the steadier one. Also the time of ``write_reduced`` alone. The first call of all
(integrator and full-splitting matrix build, dark median) is reported apart. Writes
benchmarks/results/bench_reduce.json.

Command against script (``--cli``, on by default; ``--no-cli`` skips it, ``--cli-only`` runs only it):
what a user waits for. ``--copies`` K (3) copies of the sample's master file under new names (in
``WORKDIR/cli``, beside a link to its LIMA file: the same frames, distinct output names) are reduced,
each side in a fresh process that pays its own imports, integrator and matrix build and dark statistic:

- **saxs**: ``python -m saxs reduce FILES... --poni --mask --flat --dark --dark-statistic clipped_mean
  -o OUT`` (its spawned worker included);
- **bare script**: ``python bench_reduce.py bare-script FILES...``: the corrections built once by
  saxs's loaders from the first file (as the bare loop above gets them), the integrator from
  ``get_integrator``, then per file the monitors (saxs's ``frame_divisors``), the bare loop and one
  HDF5 file per input.

Reported per repeat (interleaved, the order alternating) and as medians: the wall time of each process
and its CPU time (``RUSAGE_CHILDREN``: the process and the children it waited for), frames per second
(K x frames / wall), saxs / bare, the bare script's phases, the load average. The curves of file 1 are
checked: saxs's frames (``read_reduced``) equal the bare script's I and sigma bit for bit on the valid
q bins. Writes benchmarks/results/bench_reduce_cli.json.

Run: ``python benchmarks/bench_reduce.py [--workdir DIR] [--frames 20] [--repeats 5] [--copies 3]
[--no-cli | --cli-only]``. The development machine is shared (2 cores): figures are indicative; the
load is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SAMPLE = "cdse_T240"


def make_files(folder: Path, frames: int) -> dict:
    """Simulate the sample, the dark and the calibrations of the full preset into ``folder`` (once)."""
    from saxs.simulate import beamtime as bt
    from saxs.simulate.rawfiles import write_measurement

    marker = folder / f".bench_reduce_{frames}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    t0 = time.perf_counter()
    plan = bt.make_plan("full", frames=frames)
    seed = 20261124
    img = bt.detector_images(plan, seed)
    cal = folder / "calibrations"
    bt._write_edf(cal / "flat.edf", img.flat, {"Title": "simulated flat field"})
    bt._write_edf(cal / "mask.edf", img.mask, {"Title": "simulated mask"})
    (cal / "geometry.poni").write_text(bt.det.poni_text(plan.geometry))
    paths = {}
    for m in plan.measurements:
        if m.name not in ("dark", SAMPLE):
            continue
        truth = bt.make_truth(plan, m, seed)
        write_measurement(folder, truth, bt._frames(plan, truth, img, seed), bt._header(plan, m, truth),
                          detector=plan.geometry.detector_name)
        paths[m.name] = str(folder / truth.raw_file)
    info = {"sample": paths[SAMPLE], "dark": paths["dark"], "flat": str(cal / "flat.edf"),
            "mask": str(cal / "mask.edf"), "poni": str(cal / "geometry.poni"), "frames": frames}
    marker.write_text(json.dumps(info))
    print(f"simulated {SAMPLE} ({frames} frames) and its dark in {time.perf_counter() - t0:.0f} s", flush=True)
    return info


def lima_dataset(raw_path: str):
    """(LIMA file, frame dataset) behind a sample's raw file (a master file's frames live in one LIMA file)."""
    from saxs.id02 import open_raw

    with open_raw(raw_path) as raw:
        lima = raw.companions[0] if raw.companions else raw.path
    return str(lima), "entry_0000/measurement/data"


def bare_loop(lima_file, dataset, corrections, divisors, out_path=None):
    """The bare loop; returns (intensity, sigma) arrays (n_frames, npt) and per-frame (wall, CPU) seconds."""
    import h5py

    from saxs.geometry import get_integrator
    from saxs.integrate import Q_UNIT

    ai = get_integrator(corrections.geometry)
    saturation = corrections.saturation_value
    intensity, sigma, seconds = [], [], []
    with h5py.File(lima_file, "r") as f:
        ds = f[dataset]
        for index in range(ds.shape[0]):
            t0 = _clocks()
            frame = ds[index]
            variance = frame + corrections.dark_variance
            result = ai.integrate1d(frame, corrections.npt, correctSolidAngle=False, variance=variance,
                                    radial_range=corrections.radial_range, mask=corrections.static.pyfai_mask, dummy=saturation,
                                    delta_dummy=0.5, polarization_factor=corrections.polarization_factor,
                                    dark=corrections.dark, flat=corrections.normalization_array,
                                    method=corrections.method, unit=Q_UNIT,
                                    normalization_factor=float(divisors[index]))
            intensity.append(result.intensity)
            sigma.append(result.sigma)
            seconds.append(_clocks() - t0)
    intensity, sigma = np.array(intensity), np.array(sigma)
    if out_path is not None:
        with h5py.File(out_path, "w") as f:
            f["q"] = result.radial
            f["I"] = intensity
            f["sigma"] = sigma
    return intensity, sigma, seconds


def saxs_frames(raw_path, corrections, divisors):
    """saxs's per-frame path alone (raw.stored_frame + integrate_frame, as in reduce_file); results and per-frame
    (wall, CPU) seconds."""
    from saxs.id02 import open_raw
    from saxs.integrate import integrate_frame

    out, seconds = [], []
    with open_raw(raw_path) as raw:
        for index in range(raw.n_frames):
            t0 = _clocks()
            out.append(integrate_frame(raw.stored_frame(index), corrections, normalization=float(divisors[index])))
            seconds.append(_clocks() - t0)
    return out, seconds


def _clocks() -> np.ndarray:
    """(wall, CPU) seconds now: ``perf_counter`` and ``process_time`` (all threads of this process). On a
    shared machine the CPU time of each side is the steadier figure; wall time is what a user sees."""
    return np.array([time.perf_counter(), time.process_time()])


def _fps(frames: int, seconds) -> dict:
    wall, cpu = np.sum(np.atleast_2d(seconds), axis=0)
    return {"wall": frames / wall, "cpu": frames / cpu}


def _count_objects(path) -> dict:
    """HDF5 datasets and groups of a file, each object once (a hard link is not a second object)."""
    import h5py

    is_dataset = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: is_dataset.append(isinstance(obj, h5py.Dataset)))
    return {"datasets": sum(is_dataset), "groups": len(is_dataset) - sum(is_dataset)}


def array_work_ms(frame, corrections, repeats=7):
    """ms per frame of the array work each side does besides reading and ``integrate1d``, on one
    stored frame, interleaved, medians: the bare loop's variance; saxs's stored path (invalid-pixel
    check, masked count, variance); saxs's general path as it ran on every LIMA frame before (float64
    frame, :func:`saxs.integrate.frame_invalid`, two ``np.where``, masked count, variance)."""
    from saxs.integrate import _invalid_only_at_stored_maximum, frame_invalid

    def bare():
        return frame + corrections.dark_variance

    def stored():
        at_top = _invalid_only_at_stored_maximum(frame, corrections)
        corrections.static_masked_count + int(np.count_nonzero(corrections.unmasked.reshape(-1)[at_top]))
        return frame + corrections.dark_variance

    def general():
        f = np.asarray(frame, dtype=np.float64)
        bad = frame_invalid(f, corrections)
        int(np.count_nonzero(bad | corrections.mask))
        np.where(bad, -1.0, f)
        return np.where(bad, 0.0, f) + corrections.dark_variance

    times = {"bare": [], "saxs_stored": [], "saxs_general_before": []}
    for _ in range(repeats):
        for name, work in (("bare", bare), ("saxs_stored", stored), ("saxs_general_before", general)):
            t0 = time.perf_counter()
            work()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {k: float(np.median(v)) for k, v in times.items()}


LIMA_DATASET = "entry_0000/measurement/data"


def _save(report: dict, name: str, indent: str = "") -> None:
    """Print the load average at start and end, and write ``report`` to benchmarks/results/``name``."""
    print(f"{indent}load average at start {report['load_average_start']}, end {report['load_average_end']} on "
          f"{os.cpu_count()} cores")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / name
    out.write_text(json.dumps(report, indent=1, default=float))
    print(f"written: {out}")


def cli_files(workdir: Path, info: dict, copies: int) -> list[str]:
    """``copies`` copies of the sample's master file (``<sample>_c<k>.h5``) in ``workdir/cli``, beside a
    link to its LIMA file (the master's external link is relative): the same frames under distinct names."""
    folder = workdir / "cli"
    folder.mkdir(exist_ok=True)
    master = Path(info["sample"])
    lima, _ = lima_dataset(info["sample"])
    link = folder / Path(lima).name
    if not link.exists():
        link.symlink_to(Path(lima).resolve())
    files = []
    for k in range(1, copies + 1):
        copy = folder / f"{master.stem}_c{k}{master.suffix}"
        if not copy.exists():
            shutil.copyfile(master, copy)
        files.append(str(copy))
    return files


def bare_script(argv) -> int:
    """The bare loop as a program of its own: ``bench_reduce.py bare-script FILES... --poni P --mask M
    --flat F --dark D [--dark-statistic S] -o OUT``. The corrections come from saxs's loaders (once,
    from the first file), the integrator from ``get_integrator``; per file the monitors and divisors
    (saxs's ``frame_divisors``), then :func:`bare_loop` writing ``OUT/<stem>_bare.h5``. Prints its
    phases (s, wall, from the start of ``main``) as one JSON line."""
    t0 = time.perf_counter()
    parser = argparse.ArgumentParser(prog="bench_reduce.py bare-script")
    parser.add_argument("files", nargs="+")
    for name in ("--poni", "--mask", "--flat", "--dark"):
        parser.add_argument(name, required=True)
    parser.add_argument("--dark-statistic", default="clipped_mean")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    import h5py  # noqa: F401 - imported here so that the phase below counts it
    import pyFAI  # noqa: F401

    from saxs.geometry import get_integrator
    from saxs.id02 import open_raw
    from saxs.id02.header import header_float
    from saxs.normalization import frame_divisors, frame_monitors
    from saxs.reduce import ReductionOptions, _corrections, _geometry

    phases = {"imports": time.perf_counter() - t0}
    options = ReductionOptions(poni=args.poni, dark=args.dark, flat=args.flat, mask=args.mask,
                               dark_statistic=args.dark_statistic)
    with open_raw(args.files[0]) as raw:
        corrections = _corrections(raw, _geometry(raw, options), options, {}, [])
    get_integrator(corrections.geometry)
    phases["corrections_and_integrator"] = time.perf_counter() - t0 - sum(phases.values())
    phases["files"] = []
    for path in args.files:
        t1 = time.perf_counter()
        with open_raw(path) as raw:
            monitors = frame_monitors(raw, options)
            divisors, _ = frame_divisors(raw.path, monitors, options, [])
            nf = header_float(raw.header, "NormalizationFactor", raw.path, default=1.0)
            lima = raw.companions[0] if raw.companions else raw.path
        bare_loop(str(lima), LIMA_DATASET, corrections, np.asarray(divisors, dtype=np.float64) / nf,
                  out_path=Path(args.output) / f"{Path(path).stem}_bare.h5")
        phases["files"].append(time.perf_counter() - t1)
    phases["total"] = time.perf_counter() - t0
    print(json.dumps(phases))
    return 0


def _run_timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` (this worktree first on ``PYTHONPATH``); (wall s, CPU s of it and the children it
    waited for, stdout). A failure ends the benchmark with its stderr."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def compare_cli_curves(saxs_file: Path, bare_file: Path) -> dict:
    """saxs's frames (read back from its NXcanSAS file) against the bare script's rows, on saxs's q bins
    (the valid ones): equal bit for bit? (and the largest relative differences)."""
    import h5py

    from saxs.reduce import read_reduced

    reduced = read_reduced(saxs_file)
    with h5py.File(bare_file, "r") as f:
        q, intensity, sigma = f["q"][()], f["I"][()], f["sigma"][()]
    q_saxs = reduced.frames[0].q_nm
    cols = np.searchsorted(q, q_saxs)
    rows = [int(fr.provenance.get("frame_index", k)) for k, fr in enumerate(reduced.frames)]
    i_saxs = np.array([fr.intensity for fr in reduced.frames])
    s_saxs = np.array([fr.sigma for fr in reduced.frames])
    i_bare, s_bare = intensity[np.ix_(rows, cols)], sigma[np.ix_(rows, cols)]

    def rel(a, b):
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), np.finfo(float).tiny)))

    return {"frames_compared": len(rows), "q_bins_compared": int(q_saxs.size), "q_bins_bare": int(q.size),
            "same_q": bool(np.array_equal(q[cols], q_saxs)),
            "identical_intensity": bool(np.array_equal(i_saxs, i_bare)),
            "identical_sigma": bool(np.array_equal(s_saxs, s_bare)),
            "max_rel_diff_intensity": rel(i_saxs, i_bare), "max_rel_diff_sigma": rel(s_saxs, s_bare)}


def cli_compare(args, info: dict, workdir: Path) -> None:
    """``saxs reduce`` against the bare script, each a fresh process on the same ``--copies`` files."""
    files = cli_files(workdir, info, args.copies)
    n_frames = args.copies * info["frames"]
    common = ["--poni", info["poni"], "--mask", info["mask"], "--flat", info["flat"], "--dark", info["dark"],
              "--dark-statistic", "clipped_mean"]
    commands = {"saxs": [sys.executable, "-m", "saxs", "reduce", *files, *common],
                "bare": [sys.executable, str(Path(__file__).resolve()), "bare-script", *files, *common]}
    report = {"files": files, "frames": n_frames, "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg(),
              "commands": {k: " ".join(v[1:]) + " -o OUT" for k, v in commands.items()}}
    runs = {"saxs": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="bench_reduce_cli_") as tmp:
        for repeat in range(args.repeats):
            for side in ("bare", "saxs") if repeat % 2 == 0 else ("saxs", "bare"):
                out = Path(tmp) / f"{side}{repeat}"
                out.mkdir()
                load = os.getloadavg()
                wall, cpu, stdout = _run_timed(commands[side] + ["-o", str(out)])
                record = {"wall_s": wall, "cpu_s": cpu, "fps_wall": n_frames / wall, "fps_cpu": n_frames / cpu,
                          "load_average_before": load}
                if side == "bare":
                    record["phases_s"] = json.loads(stdout.strip().splitlines()[-1])
                runs[side].append(record)
                print(f"repeat {repeat + 1} {side:4s}: {wall:6.2f} s wall, {cpu:6.2f} s CPU, "
                      f"{n_frames / wall:5.2f} fps (load {load[0]:.1f})", flush=True)
            if repeat == 0:
                stem = Path(files[0]).stem
                saxs_out = sorted((Path(tmp) / "saxs0").glob(f"{stem}_*reduced.h5"))
                report["curves_file_1"] = compare_cli_curves(saxs_out[0], Path(tmp) / "bare0" / f"{stem}_bare.h5")
            for side in runs:
                shutil.rmtree(Path(tmp) / f"{side}{repeat}")
    report["runs"] = runs
    summary = {}
    for key in ("wall_s", "cpu_s", "fps_wall", "fps_cpu"):
        summary[key] = {side: float(np.median([r[key] for r in runs[side]])) for side in runs}
    summary["ratio_fps_wall_saxs_over_bare"] = summary["fps_wall"]["saxs"] / summary["fps_wall"]["bare"]
    summary["ratio_fps_cpu_saxs_over_bare"] = summary["fps_cpu"]["saxs"] / summary["fps_cpu"]["bare"]
    summary["pairwise_wall_ratios"] = [b["wall_s"] / s["wall_s"] for s, b in zip(runs["saxs"], runs["bare"])]
    summary["pairwise_cpu_ratios"] = [b["cpu_s"] / s["cpu_s"] for s, b in zip(runs["saxs"], runs["bare"])]
    report["summary"] = summary
    report["load_average_end"] = os.getloadavg()
    phases = [r["phases_s"] for r in runs["bare"]]
    print(f"`saxs reduce` of {args.copies} files ({n_frames} frames) against the bare script, fresh processes, "
          f"{args.repeats} repeats (medians):")
    for key, unit in (("wall_s", "s"), ("cpu_s", "s"), ("fps_wall", "fps"), ("fps_cpu", "fps")):
        print(f"  {key:8s} bare {summary[key]['bare']:6.2f} {unit}, saxs {summary[key]['saxs']:6.2f} {unit}")
    print(f"  saxs / bare fps: wall {summary['ratio_fps_wall_saxs_over_bare']:.3f} (pairwise "
          f"{', '.join(f'{v:.2f}' for v in summary['pairwise_wall_ratios'])}), CPU "
          f"{summary['ratio_fps_cpu_saxs_over_bare']:.3f} (pairwise "
          f"{', '.join(f'{v:.2f}' for v in summary['pairwise_cpu_ratios'])})")
    print("  bare script phases (medians, s): imports {:.2f}, corrections + integrator {:.2f}, files {}".format(
        np.median([p["imports"] for p in phases]), np.median([p["corrections_and_integrator"] for p in phases]),
        ", ".join(f"{v:.2f}" for v in np.median([p["files"] for p in phases], axis=0))))
    print(f"  curves of file 1: {report['curves_file_1']}")
    _save(report, "bench_reduce_cli.json", indent="  ")


def in_process(args, info: dict) -> None:
    """``reduce_file`` + ``write_reduced`` against the bare loop, both in this process."""
    from saxs.id02 import open_raw
    from saxs.normalization import frame_divisors, frame_monitors
    from saxs.reduce import ReductionOptions, _corrections, _geometry, reduce_file, write_reduced

    options = ReductionOptions(poni=info["poni"], dark=info["dark"], flat=info["flat"], mask=info["mask"],
                               dark_statistic="clipped_mean")
    report = {"file": info, "cpu_count": os.cpu_count(), "load_average_start": os.getloadavg()}

    t0 = time.perf_counter()
    first = reduce_file(info["sample"], options)  # builds the integrator, its matrix, the dark (cached after)
    report["first_call_s"] = time.perf_counter() - t0
    with open_raw(info["sample"]) as raw:
        geometry = _geometry(raw, options)
        monitors = frame_monitors(raw, options)
        divisors, _ = frame_divisors(raw.path, monitors, options, [])
        corrections = _corrections(raw, geometry, options, {}, [])
        saturation = raw.saturation_value
    nf = float(first.provenance["normalization_factor"])
    divisors = np.asarray(divisors, dtype=np.float64) / nf
    lima_file, dataset = lima_dataset(info["sample"])
    report["saturation_value"] = saturation

    # identical output, bit for bit
    i_bare, s_bare, _ = bare_loop(lima_file, dataset, corrections, divisors)
    frames, _ = saxs_frames(info["sample"], corrections, divisors)
    i_saxs = np.array([f.intensity for f in frames])
    s_saxs = np.array([f.sigma for f in frames])
    valid = np.array([f.valid for f in frames])
    report["identical_intensity"] = bool(np.array_equal(np.where(valid, i_bare, 0.0), i_saxs))
    report["identical_sigma"] = bool(np.array_equal(np.where(valid, s_bare, 0.0), s_saxs))

    with open_raw(info["sample"]) as raw:
        report["array_work_ms_per_frame"] = array_work_ms(raw.stored_frame(0), corrections)

    steady = {"bare": [], "saxs": []}
    end_to_end = {"bare": [], "saxs": []}
    write_s = []
    same_as_first = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            _, _, sec = bare_loop(lima_file, dataset, corrections, divisors)
            steady["bare"].append(_fps(len(sec), sec))
            _, sec = saxs_frames(info["sample"], corrections, divisors)
            steady["saxs"].append(_fps(len(sec), sec))
            t0 = _clocks()
            bare_loop(lima_file, dataset, corrections, divisors, out_path=Path(tmp) / "bare.h5")
            end_to_end["bare"].append(_fps(args.frames, _clocks() - t0))
            t0 = _clocks()
            reduced = reduce_file(info["sample"], options)
            t1 = _clocks()
            write_reduced(reduced, Path(tmp) / "saxs.h5")
            t2 = _clocks()
            same_as_first.append(all(np.array_equal(a.intensity, b.intensity) and np.array_equal(a.sigma, b.sigma)
                                     for a, b in zip(reduced.frames + (reduced.average,),
                                                     first.frames + (first.average,), strict=True)))
            end_to_end["saxs"].append(_fps(args.frames, t2 - t0))
            write_s.append((t2 - t1).tolist())
        report["reduced_file_objects"] = _count_objects(Path(tmp) / "saxs.h5")
    report["cached_calls_identical_to_first"] = bool(all(same_as_first))
    for name, runs in (("steady_state_fps", steady), ("end_to_end_fps", end_to_end)):
        report[name] = {"runs": runs}
        for clock in ("wall", "cpu"):
            med = {k: float(np.median([r[clock] for r in v])) for k, v in runs.items()}
            pairs = [a[clock] / b[clock] for a, b in zip(runs["saxs"], runs["bare"])]
            report[name][clock] = {**med, "ratio_saxs_over_bare": med["saxs"] / med["bare"],
                                   "pairwise_ratios": pairs}
    report["write_reduced_s"] = {"runs_wall_cpu": write_s, "median_wall": float(np.median([w for w, _ in write_s])),
                                 "median_cpu": float(np.median([c for _, c in write_s]))}
    report["load_average_end"] = os.getloadavg()
    for name in ("steady_state_fps", "end_to_end_fps"):
        for clock in ("wall", "cpu"):
            r = report[name][clock]
            print(f"{name:18s} {clock:4s} bare {r['bare']:6.2f} fps, saxs {r['saxs']:6.2f} fps, saxs/bare "
                  f"{r['ratio_saxs_over_bare']:.3f} (pairwise {', '.join(f'{v:.2f}' for v in r['pairwise_ratios'])})")
    print(f"write_reduced: {report['write_reduced_s']['median_wall']:.3f} s wall, "
          f"{report['write_reduced_s']['median_cpu']:.3f} s CPU (medians); the file holds "
          f"{report['reduced_file_objects']['datasets']} datasets, {report['reduced_file_objects']['groups']} groups")
    print("array work per frame besides reading and integrate1d (ms): " + ", ".join(
        f"{k} {v:.1f}" for k, v in report["array_work_ms_per_frame"].items()))
    print(f"first call (integrator, matrix, dark): {report['first_call_s']:.1f} s; identical output: "
          f"I {report['identical_intensity']}, sigma {report['identical_sigma']}; cached calls as the first: "
          f"{report['cached_calls_identical_to_first']}")
    _save(report, "bench_reduce.json")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bare-script"]:
        return bare_script(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=None, help="where the simulated files live (kept; default: a temp dir)")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--copies", type=int, default=3, metavar="K", help="files per command in the --cli part")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-cli", dest="cli", action="store_false", help="skip `saxs reduce` against the script")
    group.add_argument("--cli-only", action="store_true", help="run only `saxs reduce` against the script")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench_reduce_"))
    workdir.mkdir(parents=True, exist_ok=True)
    info = make_files(workdir, args.frames)
    if not args.cli_only:
        in_process(args, info)
    if args.cli:
        cli_compare(args, info, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
