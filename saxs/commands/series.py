"""`saxs series`: quantized radius steps (magic-size families) across a series of fits."""

from __future__ import annotations

from ._common import add_command

EXAMPLES = """\
  saxs series demo-out/samples/cdse_T2[0-4]0.h5 --by nucleation_temperature_C -o steps.h5 --figure steps.png
  saxs series demo-out/samples/cdse_T*.h5 --by nucleation_temperature_C --json
  saxs series T220_fit.h5 T240_fit.h5 --values 220 240 --json     # files of 'saxs fit', values given
"""


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "series",
        help="magic-size families, radius steps, shoulders and continuous growth across a series of fits",
        description=(
            "Order fit results (as written by 'saxs fit') by a series variable and decide which dominant "
            "populations are discrete families recurring at fixed radii (magic sizes) and which grow "
            "continuously; report the families (radius +- uncertainty, members), the steps between them, "
            "shoulders (a member between two families tested as a linear mixture of their fixed-radius "
            "curves) and the onset of continuous growth. Conclusions resting on the quantized-growth model "
            "are named in the output. Radii in nm."),
        examples=EXAMPLES)
    parser.add_argument("fits", nargs="+", metavar="FIT.h5", help="fit result files (saxs fit output)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--by", metavar="KEY",
                        help="metadata key holding the series value (e.g. temperature: the sample temperature; "
                             "or a provenance key, or a path inside the file)")
    source.add_argument("--values", nargs="+", type=float, metavar="V", help="series value of each file, in order")
    parser.add_argument("-o", "--output", help="result file (HDF5, written atomically)")
    parser.add_argument("--figure", metavar="FIG.png", help="write the stacked size-distribution figure (PNG)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument("--radius-tolerance", type=float, default=0.02,
                        help="relative radius agreement within a family (default 0.02)")
    parser.add_argument("--max-family-width", type=float, default=0.06,
                        help="largest relative width of a magic-size population (default 0.06)")
    parser.add_argument("--min-shoulder-fraction", type=float, default=0.15,
                        help="smallest volume share of a shoulder (default 0.15)")
    parser.add_argument("--significance", type=float, default=3.0,
                        help="mixture fractions must exceed this many standard deviations (default 3)")
    parser.add_argument("--chi2-ratio-max", type=float, default=None,
                        help="mixture accepted if its reduced chi2 <= this x the single population's "
                             "(default 1 + 2 sqrt(2/dof))")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..guards import check_output
    from ..series import analyse_series, figure_series, load_members, write_series
    from ._common import emit_json

    from mcfit.steps import SeriesSettings

    options = {"radius_tolerance_rel": ("--radius-tolerance", args.radius_tolerance),
               "max_family_rel_width": ("--max-family-width", args.max_family_width),
               "min_shoulder_fraction": ("--min-shoulder-fraction", args.min_shoulder_fraction),
               "significance": ("--significance", args.significance),
               "chi2_ratio_max": ("--chi2-ratio-max", args.chi2_ratio_max)}
    try:
        settings = SeriesSettings(**{k: v for k, (_, v) in options.items()})
    except ValueError as error:
        name = next((flag for key, (flag, _) in options.items() if f"`{key}`" in str(error)), "option")
        raise InputError(None, name, str(error).split("must ", 1)[-1]) from None
    inputs = [("FIT.h5", p) for p in args.fits]
    for option, path in (("-o/--output", args.output), ("--figure", getattr(args, "figure", None))):
        if path:
            check_output(path, option=option, inputs=inputs)
    members = load_members(args.fits, by=args.by, values=args.values)
    result = analyse_series(members, settings=settings, series_key=args.by)
    if args.output:
        order = sorted(range(len(members)), key=lambda i: members[i].value)
        write_series(result, args.output, inputs=[args.fits[i] for i in order])
    if args.figure:
        from ..plotting import save_figure

        save_figure(figure_series(result), args.figure)
    if args.json:
        summary = result.to_dict()
        summary["inputs"] = [str(p) for p in args.fits]
        if args.output:
            summary["output"] = str(args.output)
        if args.figure:
            summary["figure"] = str(args.figure)
        emit_json(summary)
    else:
        print(result.report())
        for line in result.model_assumptions:
            print(f"  model: {line}")
        for path in (args.output, args.figure):
            if path:
                print(f"written: {path}")
    return 0
