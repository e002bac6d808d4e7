"""`saxs plot`: draw a figure of any file the tool writes, from that file alone."""

from __future__ import annotations

from ._common import add_command, emit_json

EXAMPLES = """\
  saxs plot demo-out/samples/cdse_T200.h5 -o T200_fit.png                  # I(q), fit and residuals
  saxs plot demo-out/samples/cdse_T200.h5 -o T200_dist.png --kind distribution
  saxs plot demo-out/series/nucleation_temperature.h5 -o steps.png --kind stacked
  saxs plot demo-out/series/precursor_mesophase.h5 -o peaks.png --kind peaks
  saxs plot demo-out/blanks/solvent_ode.h5 -o solvent.png                  # any NXcanSAS curve
kinds: fit, distribution (batch sample and 'saxs fit' files); stacked, waterfall, steps, peaks (batch
series files); stacked, steps ('saxs series' files); peaks ('saxs peaks -o' files of a series);
curve, frames ('saxs reduce' files); curve ('saxs subtract' and other NXcanSAS files)
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "plot", help="draw a figure from any file the tool writes",
        description="Draw a figure (PNG) from a file written by saxs, chosen by what the file holds: a sample "
        "result of the batch or of 'saxs fit' (I(q) with fit and residuals; size distribution with the "
        "observability limit), a series summary of the batch or of 'saxs series' (stacked distributions, "
        "I(q) waterfall, population radii and families, Bragg peak intensity vs the series variable), the "
        "peak tracks of 'saxs peaks -o', or the curve of any NXcanSAS file ('saxs reduce': the frame "
        "average or every frame; 'saxs subtract'). Reads nothing but that file. A file with nothing to "
        "plot is refused (exit 2) with one line saying why.",
        examples=EXAMPLES)
    parser.add_argument("result", metavar="RESULT.h5", help="a file written by saxs (reduce, subtract, fit, series, "
                        "peaks, batch)")
    parser.add_argument("-o", "--output", required=True, metavar="FIG.png", help="figure file (PNG, written atomically)")
    parser.add_argument("--kind", default=None, choices=ALL_KINDS,
                        help="which figure (default: the first kind the file gives, see the examples)")
    parser.add_argument("--dpi", type=int, default=110, help="resolution (default 110)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


#: Every kind ``--kind`` accepts (as :data:`saxs.plot_any.ALL_KINDS`; kept here so ``--help`` imports nothing heavy).
ALL_KINDS = ("fit", "distribution", "stacked", "waterfall", "steps", "peaks", "curve", "frames")


def run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from ..guards import check_output
    from ..limits import check_limit
    from ..plot_any import figure, kinds_for
    from ..plotting import save_figure

    check_limit("dpi", args.dpi)
    check_output(args.output, option="-o/--output", inputs=[("RESULT.h5", args.result)])
    kinds = kinds_for(args.result)
    kind = args.kind or kinds[0]
    fig = figure(args.result, kind)
    save_figure(fig, args.output, dpi=args.dpi)
    if args.json:
        emit_json({"input": args.result, "output": args.output, "kind": kind, "kinds": list(kinds)})
    else:
        print(f"wrote {args.output} ({kind})")
    return 0
