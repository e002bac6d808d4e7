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

Run: ``python benchmarks/bench_reduce.py [--workdir DIR] [--frames 20] [--repeats 5]``.
The development machine is shared (2 cores): figures are indicative; the load is printed.
"""

from __future__ import annotations

import argparse
import json
import os
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=None, help="where the simulated files live (kept; default: a temp dir)")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from saxs.id02 import open_raw
    from saxs.normalization import frame_divisors, frame_monitors
    from saxs.reduce import ReductionOptions, _corrections, _geometry, reduce_file, write_reduced

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench_reduce_"))
    workdir.mkdir(parents=True, exist_ok=True)
    info = make_files(workdir, args.frames)
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
    print(f"load average at start {report['load_average_start']}, end {report['load_average_end']} on "
          f"{os.cpu_count()} cores")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "bench_reduce.json"
    out.write_text(json.dumps(report, indent=1, default=float))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
