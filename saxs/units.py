"""``@units`` (NeXus) of datasets whose name ends in their unit (``radius_nm``, ``exposure_s``, ...).

The project names every physical quantity with its unit; :func:`add_units` turns that suffix into
the ``@units`` attribute NeXus readers look for, on every dataset of a group that has none yet
(counts and indices, which are not physical quantities, get none).
"""

from __future__ import annotations

#: Name suffix -> NeXus units string (longest suffixes first where one ends another).
SUFFIX_UNITS = (
    ("_per_nm", "1/nm"), ("_nm2", "nm^2"), ("_nm3", "nm^3"), ("_nm", "nm"), ("_mm", "mm"), ("_um", "um"),
    ("_m", "m"), ("_s", "s"), ("_rad", "rad"), ("_deg", "deg"), ("_C", "degC"), ("_K", "K"), ("_px", "pixel"),
    ("_keV", "keV"),
)


#: Words that make a ``_nm`` name a scattering vector or a width in q, in 1/nm (``q_nm``, ``fwhm_nm``).
Q_WORDS = ("q", "q1", "fwhm")


def units_from_name(name: str) -> str | None:
    """The unit a name ends in, or None.

    A spread has its quantity's unit (``"radius_nm_std"`` -> ``"nm"``); q and peak widths in q,
    named ``..._nm`` by the project's convention, are in 1/nm (``"broad_maxima_q_nm"`` -> ``"1/nm"``).
    """
    base = name[:-4] if name.endswith("_std") else name
    for suffix, units in SUFFIX_UNITS:
        if base.endswith(suffix):
            if units == "nm" and any(word in Q_WORDS for word in base.split("_")):
                return "1/nm"
            return units
    return None


def add_units(group, overrides: dict[str, str] | None = None) -> None:
    """Set ``@units`` on every numeric dataset under an open h5py group that has none.

    Parameters
    ----------
    group : h5py.Group
        Visited recursively.
    overrides : dict, optional
        Dataset name (the last path component) -> units, for names without a unit suffix
        (``"volume": "1"``); they win over the suffix.
    """
    overrides = overrides or {}

    def visit(path, obj):
        if hasattr(obj, "dtype") and obj.dtype.kind in "fiu" and "units" not in obj.attrs:
            name = path.rsplit("/", 1)[-1]
            units = overrides.get(name) or units_from_name(name)
            if units:
                obj.attrs["units"] = units

    group.visititems(visit)


#: Datasets of a steps analysis (:meth:`mcfit.steps.SeriesResult.to_hdf5`) that hold series values.
STEPS_SERIES_VALUES = ("value", "at", "members", "standalone_members", "shoulder_at", "between",
                       "continuous_growth_onset", "continuous_members")
#: Dimensionless fractions in series files.
FRACTIONS = ("volume", "volume_std", "volume_observability", "volume_fraction", "volume_fraction_std",
             "observability", "fractions", "fraction_stds", "fraction", "fraction_std", "significance")


def add_series_units(group, series_key: str | None, intensity_units: str = "arbitrary") -> None:
    """:func:`add_units` for a series group (steps analysis, members, histograms, curves, peaks):
    series values in the series key's unit (``nucleation_temperature_C`` -> ``C``), fractions ``1``,
    intensities in ``intensity_units``, peak areas (I x q) ``arbitrary``."""
    series = units_from_name(series_key or "") or "1"
    add_units(group, {**dict.fromkeys(STEPS_SERIES_VALUES + ("values", "vanishes_at"), series),
                      **dict.fromkeys(FRACTIONS, "1"),
                      **dict.fromkeys(("intensity", "sigma"), intensity_units),
                      **dict.fromkeys(("area", "area_std"), "arbitrary")})
