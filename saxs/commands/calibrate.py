"""`saxs calibrate`: geometry from a calibrant frame, or the absolute-intensity scale from a standard."""

from ._common import add_command
from . import calibrate_absolute, calibrate_geometry


def register(subparsers) -> None:
    parser = add_command(
        subparsers, "calibrate",
        help="calibrate the geometry (silver behenate) or the absolute scale (glassy carbon, water)",
        description="Calibrations kept in calibrations/: detector geometry as a PONI file, or an "
        "absolute-intensity factor as a TOML file.",
        examples="  saxs calibrate geometry tests/data/agbh/SAXS.hdf --dataset entry/data/data --calibrant AgBh \\\n"
        "      --wavelength-nm 0.04428 --detector Pilatus100k -o calibrations/agbh.poni\n"
        "  saxs calibrate absolute reduced/glassy_carbon_scan1_reduced.h5 --standard srm3600 --thickness-mm 1.055 \\\n"
        "      -o calibrations/abs.toml",
    )
    sub = parser.add_subparsers(dest="calibrate_command", metavar="WHAT", required=True)
    calibrate_geometry.register(sub)
    calibrate_absolute.register(sub)
