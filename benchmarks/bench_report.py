"""Beamtime report benchmark: report.html of a synthetic 500-sample beamtime, written and opened.

The synthetic OUTDIR is made from a real batch output (``--source``, or the cdse-demo beamtime run
here with test-sized fits): its summary.json with the sample entries repeated under new names up to
``--samples`` (each copy keeps its figures: real PNGs of real size, and its sample file), the series
as they are. Measured:

- generation: ``saxs.report.write_report`` (read summary.json, sample files, figures; render; write),
  wall time, best of ``--repeat``;
- page open: headless Chromium (Debian's ``chromium``) navigates to the file; time to the load event,
  best of ``--repeat`` (fresh browser each time); and, for information, until every image is decoded.

Target (issue 14): both under 2 s for 500 samples. Run:
``python benchmarks/bench_report.py [--source OUTDIR] [--samples 500] [--repeat 3]``.
Writes benchmarks/results/bench_report.json. The development machine is shared: figures are indicative.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def demo_outdir(workdir: Path) -> Path:
    """Run the cdse-demo beamtime (2 frames, test-sized fits) into workdir/out, once."""
    from tests.batch.helpers import run_batch, set_fit, simulate

    out = workdir / "out"
    if not (out / "summary.json").exists():
        beamtime = simulate(workdir / "demo", frames=2)
        set_fit(beamtime, contributions=100, repetitions=3, max_steps=20000)
        code, _ = run_batch(beamtime, "-o", out, "--no-report")
        assert code == 0
    return out


def synthetic_outdir(source: Path, target: Path, n_samples: int) -> Path:
    """A batch OUTDIR whose summary.json holds ``n_samples`` samples (the source's, repeated)."""
    summary = json.loads((source / "summary.json").read_text())
    samples = summary["samples"]
    new = []
    for i in range(n_samples):
        s = dict(samples[i % len(samples)])
        s["name"] = f"{s['name']}_{i:04d}"
        new.append(s)
    summary["samples"] = new
    summary["counts"] = {**summary["counts"], "samples": n_samples, "done": n_samples}
    summary["outdir"] = str(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / "summary.json").write_text(json.dumps(summary))
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a batch OUTDIR (default: run the demo beamtime)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "saxs-bench-report")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from saxs.report import write_report
    from tests.batch.chromium import Browser, find_chromium

    source = args.source or demo_outdir(args.workdir)
    outdir = synthetic_outdir(source, args.workdir / f"synthetic_{args.samples}", args.samples)
    generation = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        page = write_report(outdir)
        generation.append(time.perf_counter() - t0)
    result = {"samples": args.samples, "html_bytes": page.stat().st_size,
              "images": sum(len(s["figures"]) for s in json.loads((outdir / "summary.json").read_text())["samples"]),
              "generation_s": min(generation), "generation_all_s": generation}
    chromium = find_chromium()
    if chromium:
        loads, decoded = [], []
        for _ in range(args.repeat):
            with Browser(chromium) as browser:
                loads.append(browser.open(page))
                t0 = time.perf_counter()
                browser.evaluate("Promise.all(Array.from(document.images).map(function (i) { i.loading = 'eager'; "
                                 "return i.decode(); }))", await_promise=True)
                decoded.append(loads[-1] + time.perf_counter() - t0)
                assert browser.errors() == [], browser.errors()
        result.update({"open_to_load_event_s": min(loads), "open_all_s": loads,
                       "open_to_all_images_decoded_s": min(decoded), "chromium": chromium})
    else:
        result["open_to_load_event_s"] = None
        result["note"] = "no chromium: page open not measured"
    result["target_s"] = 2.0
    result["meets_target"] = result["generation_s"] < 2.0 and (result["open_to_load_event_s"] or 0) < 2.0
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_report.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
