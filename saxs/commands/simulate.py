"""`saxs simulate OUTDIR`: write a simulated ID02 beamtime (raw LIMA files, calibrations, truth, beamtime.toml)."""

from __future__ import annotations

import sys

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs simulate demo                      # small CdSe + precursor beamtime (a few MB, seconds)
  saxs simulate demo-seed7 --seed 7 --frames 10 --json
  saxs simulate bench --preset full       # full-size Eiger2 4M frames for benchmarks (minutes, GBs)
(the examples of the other commands run in the folder holding demo/ and demo-out/ of
'saxs simulate demo && saxs batch demo -o demo-out', one after the other)
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "simulate",
        help="write a simulated ID02 beamtime with known ground truth",
        description="Write a simulated ID02 beamtime into OUTDIR: raw/*.h5 (LIMA layout, Poisson counts from "
        "spheres, solvent, Kapton, Bragg peaks, dark current, flat field, monitors), calibrations/ (flat, "
        "mask, PONI), truth/*.json (every parameter; what the reduction must give), beamtime.toml and "
        "README.txt. Deterministic given --seed.",
        examples=EXAMPLES,
    )
    parser.add_argument("outdir", metavar="OUTDIR", help="folder to write (created if needed)")
    parser.add_argument("--preset", default="cdse-demo", choices=("cdse-demo", "full"),
                        help="cdse-demo: small binned detector, CdSe + precursor series (default); "
                        "full: full-size Eiger2 4M frames for benchmarks")
    parser.add_argument("--seed", type=int, default=20261124, help="random seed (default 20261124)")
    parser.add_argument("--frames", type=int, default=None, help="frames per file (default 5, or 2 for full)")
    parser.add_argument("--detector", choices=("small", "eiger2_4m"), default=None,
                        help="override the preset's detector (small = Eiger2 4M binned 8x8)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..limits import check_limit
    from ..simulate.beamtime import simulate_beamtime

    check_limit("frames", args.frames)

    summary = simulate_beamtime(args.outdir, preset=args.preset, seed=args.seed, frames=args.frames,
                                detector=args.detector, progress=sys.stderr.isatty())
    if args.json:
        emit_json(summary)
    else:
        print(f"wrote {len(summary['files'])} files to {summary['outdir']} "
              f"(preset {summary['preset']}, seed {summary['seed']}, {len(summary['samples'])} samples)")
    return 0
