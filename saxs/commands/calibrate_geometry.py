"""`saxs calibrate geometry`: distance, beam centre and tilts from a calibrant frame -> PONI file."""

from __future__ import annotations

import logging
from pathlib import Path

from ._common import add_command, emit_json

logger = logging.getLogger(__name__)


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "geometry",
        help="refine distance, beam centre and tilts from a calibrant (AgBh) frame; write a PONI file",
        description="Find the calibrant rings from a rough starting geometry (the header's, or the options'), "
        "refine distance, beam centre and tilts with pyFAI, and write a PONI file (version 2.1), a text "
        "report (NAME.report.txt) and a figure (NAME.png) next to it. Beam centre in pixels of the frame "
        "as stored, Fit2D convention: x = column, y = row, first pixel centre at 0.5. The reported "
        "distance and centre are where the direct beam meets the detector, not pyFAI's PONI point.",
        examples="  saxs calibrate geometry tests/data/agbh/SAXS.hdf --dataset entry/data/data --calibrant AgBh \\\n"
        "      --wavelength-nm 0.04428 --detector Pilatus100k -o calibrations/agbh_pilatus100k.poni --json\n"
        "  saxs calibrate geometry tests/data/agbh/SAXS.hdf --dataset entry/data/data --calibrant AgBh \\\n"
        "      --wavelength-nm 0.04428 --detector Pilatus100k --tilt fix --max-rings 8 -o calibrations/agbh_notilt.poni",
    )
    parser.add_argument("frame", metavar="FRAME", help="calibrant frame: any format fabio reads, or HDF5")
    parser.add_argument("--calibrant", default="AgBh", help="pyFAI calibrant name (default: AgBh)")
    parser.add_argument("--wavelength-nm", type=float, required=True, help="X-ray wavelength, nm (kept fixed)")
    parser.add_argument("--distance-mm", type=float, help="starting sample-to-beam-centre distance, mm "
                        "(default: header); the search covers 0.7-1.45 times it")
    parser.add_argument("--center-px", type=float, nargs=2, metavar=("X", "Y"),
                        help="starting beam centre, pixels (x = column, y = row, first pixel centre 0.5; "
                        "default: header)")
    parser.add_argument("--pixel-um", type=float, help="pixel size, um (default: header, then --detector)")
    parser.add_argument("--detector", help="pyFAI detector name (e.g. Pilatus100k, Eiger2_4M), written to the PONI")
    parser.add_argument("--dataset", help="HDF5 dataset path of the frame (e.g. entry/data/data)")
    parser.add_argument("--frame-index", type=int, default=0, help="frame of a 3D stack (default: 0)")
    parser.add_argument("--search-px", type=float, default=20.0,
                        help="half-width of the square of beam centres searched around the start (default: 20)")
    parser.add_argument("--tilt", choices=("auto", "fit", "fix"), default="auto",
                        help="refine the tilts: auto keeps them only if they clearly improve the fit (default)")
    parser.add_argument("--max-rings", type=int, help="use at most the first N calibrant rings")
    parser.add_argument("--max-residual-px", type=float, default=1.0,
                        help="fail when the RMS ring residual exceeds this (default: 1 px)")
    parser.add_argument("-o", "--output", required=True, help="PONI file to write (e.g. calibrations/NAME.poni)")
    parser.add_argument("--report", help="text report path (default: OUTPUT with .report.txt)")
    parser.add_argument("--figure", help="PNG figure path (default: OUTPUT with .png)")
    parser.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..guards import check_output
    from ..limits import check_limit
    from ..geomcal import (QualityLimits, calibrate_geometry, read_calibrant_frame, save_figure, summary_dict,
                           write_poni, write_report)

    check_limit("max_rings", args.max_rings)
    if args.max_rings is not None and args.max_rings < 3:
        raise InputError(None, "--max-rings", "at least 3", got=args.max_rings)
    if args.pixel_um is not None and not args.pixel_um > 0:
        raise InputError(None, "--pixel-um", "a positive pixel size", got=args.pixel_um)
    from pyFAI.calibrant import CALIBRANT_FACTORY

    if args.calibrant not in CALIBRANT_FACTORY:
        raise InputError(None, "--calibrant", f"a pyFAI calibrant name ({', '.join(sorted(CALIBRANT_FACTORY.keys()))})",
                         got=args.calibrant)
    output = check_output(args.output, option="-o/--output", inputs=[("FRAME", args.frame)])
    report = Path(args.report) if args.report else output.with_suffix(".report.txt")
    figure = None if args.no_figure else (Path(args.figure) if args.figure else output.with_suffix(".png"))
    check_output(report, option="--report", inputs=[("FRAME", args.frame), ("-o/--output", output)])
    if figure is not None:
        check_output(figure, option="--figure", inputs=[("FRAME", args.frame), ("-o/--output", output),
                                                         ("--report", report)])
    frame = read_calibrant_frame(args.frame, dataset=args.dataset, frame_index=args.frame_index)
    calibration = calibrate_geometry(
        frame, calibrant=args.calibrant, wavelength_nm=args.wavelength_nm, distance_mm=args.distance_mm,
        center_px=args.center_px, pixel_um=args.pixel_um, detector=args.detector, search_px=args.search_px,
        tilt=args.tilt, max_rings=args.max_rings, limits=QualityLimits(max_residual_px=args.max_residual_px),
    )
    write_poni(calibration, output)
    write_report(calibration, report, frame_path=args.frame)
    if figure is not None:
        save_figure(calibration, frame.image, frame.mask, figure)
    summary = summary_dict(calibration, poni_path=output, report_path=report, figure_path=figure)
    if args.json:
        emit_json(summary)
    else:
        logger.info("wrote %s", output)
        print(f"{output}: distance {calibration.distance_mm:.2f} mm, beam centre ({calibration.center_x_px:.2f}, "
              f"{calibration.center_y_px:.2f}) px, {len(calibration.rings_used)} rings, "
              f"RMS {calibration.residual_px:.3f} px")
    return 0
