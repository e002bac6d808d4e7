"""NXcanSAS HDF5 output and input (written with h5py, checked with SasView's loader).

Layout (see DESIGN.md)::

    /                       @default = <entry>
    <entry>  NXentry        canSAS_class=SASentry, definition=NXcanSAS, @version=1.1, @default=sasdata
      sasdata NXdata        canSAS_class=SASdata, @signal=I, @I_axes=Q, @axes=Q, @Q_indices=0
        Q    (n,)  @units=1/nm
        I    (n,)  @units=1/cm | arbitrary, @uncertainties=Idev
        Idev (n,)  @units as I;  I_errors is a hard link to Idev
      sassample   SASsample     name, thickness (mm), transmission, temperature (C)
      sasinstrument SASinstrument  (source wavelength, detector distance) when known
      sasprocess  SASprocess    name, version, date, provenance entries

Additional groups (per-frame I(t, q), fit results, detections) are added by the stages that own
them through :func:`open_for_append`-style use of the h5py objects returned here.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import h5py
import numpy as np
from h5py import h5a, h5d, h5p, h5s, h5t

from . import __version__
from .atomic import atomic_h5
from .errors import InputError
from .fit_entry import FIT_PROCESS
from .guards import missing_file_reason
from .profile import Profile1D, SampleInfo, q_unit_factor
from .units import add_units


#: Viewer hints (``NXdata@SILX_style``, read by silx and h5web): I(q) on log-log axes.
LOG_I_OF_Q = json.dumps({"axes_scale_types": ["log"], "signal_scale_type": "log"})
#: The same for I(t, q): t linear, q log, I log.
LOG_I_OF_Q_2D = json.dumps({"axes_scale_types": ["linear", "log"], "signal_scale_type": "log"})


def _set_class(group: h5py.Group, nx_class: str, cansas_class: str | None = None) -> None:
    _set_attr(group, "NX_class", nx_class)
    if cansas_class is not None:
        _set_attr(group, "canSAS_class", cansas_class)


# h5py's high-level calls spend most of their time in Python (type guessing, property lists, a
# temporary name for each attribute): about 85 us per scalar dataset and 45-90 us per attribute,
# against 25-40 and 20-55 us through the low-level API. A reduced file has hundreds of both.
_SCALAR_TYPES = (str, bool, int, float, np.integer, np.floating, np.bool_)


def _scalar_array(value) -> np.ndarray:
    """``value`` as the 0-d array h5py's high-level API makes of it (str: variable-length UTF-8)."""
    return np.array(value, dtype=h5py.string_dtype()) if isinstance(value, str) else np.asarray(value)


@functools.lru_cache(maxsize=None)
def _scalar_ids(dtype_key: str):
    """(HDF5 type, scalar dataspace, dataset creation list) of a scalar of ``dtype_key`` (a numpy
    dtype string, or ``"str"``), made once: h5py's own type conversion, no time stamps (as its
    ``create_dataset``: reproducible files)."""
    dtype = h5py.string_dtype() if dtype_key == "str" else np.dtype(dtype_key)
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    return h5t.py_create(dtype, logical=True), h5s.create(h5s.SCALAR), dcpl


def _new_scalar(group: h5py.Group, name: str, value, *, units: str | None = None) -> None:
    """``group.create_dataset(name, data=value)`` (and its ``@units``) for a str or number: the same
    dataset, made faster."""
    if not (isinstance(value, _SCALAR_TYPES) and name.isascii() and "/" not in name):
        ds = group.create_dataset(name, data=value)
        if units is not None:
            ds.attrs["units"] = units
        return
    data = _scalar_array(value)
    tid, space, dcpl = _scalar_ids("str" if isinstance(value, str) else data.dtype.str)
    dsid = h5d.create(group.id, name.encode(), tid, space, dcpl=dcpl)
    dsid.write(h5s.ALL, h5s.ALL, data)
    if units is not None:
        _new_attr(dsid, "units", units)


def _new_attr(oid, name: str, value) -> None:
    data = _scalar_array(value)
    tid, space, _ = _scalar_ids("str" if isinstance(value, str) else data.dtype.str)
    h5a.create(oid, name.encode(), tid, space).write(data)


def _set_attr(obj, name: str, value) -> None:
    """``obj.attrs[name] = value`` for a str or number on a new attribute: the same attribute, made faster."""
    if not (isinstance(value, _SCALAR_TYPES) and name.isascii()) or h5a.exists(obj.id, name.encode()):
        obj.attrs[name] = value
        return
    _new_attr(obj.id, name, value)

def write_value(group: h5py.Group, key: str, value: Any) -> None:
    """Write one provenance value under ``group[key]``.

    Mappings become NXcollection subgroups; strings, numbers, booleans and sequences of them
    become datasets; ``None`` is skipped; anything else is stored as its JSON text.
    """
    key = str(key).replace("/", "_")
    if value is None:
        return
    if isinstance(value, Mapping):
        sub = group.require_group(key)
        _set_class(sub, "NXcollection")
        for k, v in value.items():
            write_value(sub, k, v)
        return
    if isinstance(value, (str, bytes)):
        _new_scalar(group, key, value if isinstance(value, str) else value.decode())
        return
    if isinstance(value, (bool, int, float, np.integer, np.floating, np.bool_)):
        _new_scalar(group, key, value)
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        group.create_dataset(key, data=value)
        return
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) for v in value):
            group.create_dataset(key, data=np.array(value, dtype=h5py.string_dtype()))
            return
        try:
            arr = np.asarray(value, dtype=np.float64)
            group.create_dataset(key, data=arr)
            return
        except (TypeError, ValueError):
            pass
    group.create_dataset(key, data=json.dumps(value, default=str))


def write_sasentry(parent: h5py.Group, name: str, profile: Profile1D, *, title: str | None = None,
                   provenance: Mapping[str, Any] | None = None,
                   like: tuple[h5py.Group, Profile1D] | None = None) -> h5py.Group:
    """Write one SASentry holding ``profile`` under ``parent[name]`` and return the entry group.

    Parameters
    ----------
    parent : h5py.Group
        The file (root) or another group.
    name : str
        Entry name, e.g. ``"sasentry01"`` or the sample name.
    profile : Profile1D
        The curve; q is written in 1/nm, I in ``profile.intensity_unit``.
    title : str, optional
        Entry title (defaults to the sample name).
    provenance : Mapping, optional
        What ``sasprocess/provenance`` holds (default: ``profile.provenance``, which also gives the
        instrument's wavelength and distance either way).
    like : (h5py.Group, Profile1D), optional
        An entry of the same file written by this function (entries written together, e.g. the
        frames of one file after their average) and the profile it holds: what would be written the
        same here is a hard link to it instead (``definition``, the process's name, version and
        date; ``Q`` when the q values are equal; ``sassample`` and ``sasinstrument`` when the
        sample and the instrument values are). A reader sees the same fields; the file is written
        several times faster (each HDF5 object costs 25-120 us to create, a link about 10 us).
    """
    entry = parent.create_group(name)
    _set_class(entry, "NXentry", "SASentry")
    _set_attr(entry, "version", "1.1")
    _set_attr(entry, "default", "sasdata")
    same_q = same_sample = same_instrument = False
    if like is not None:
        shared, like_profile = like
        _link(entry, "definition", shared, "definition")
        same_q = like_profile.q_nm.dtype == profile.q_nm.dtype and np.array_equal(like_profile.q_nm, profile.q_nm)
        same_sample = bool(profile.sample.name) and like_profile.sample == profile.sample
        same_instrument = _instrument_values(like_profile.provenance) == _instrument_values(profile.provenance)
    else:
        _new_scalar(entry, "definition", "NXcanSAS")
    _new_scalar(entry, "title", title if title is not None else (profile.sample.name or name))
    _new_scalar(entry, "run", name)

    data = entry.create_group("sasdata")
    _set_class(data, "NXdata", "SASdata")
    for key, value in (("signal", "I"), ("I_axes", "Q"), ("axes", "Q"), ("Q_indices", np.int32(0))):
        _set_attr(data, key, value)
    if same_q:
        _link(data, "Q", shared, "sasdata/Q")
    else:
        _set_attr(data.create_dataset("Q", data=profile.q_nm), "units", "1/nm")
    i = data.create_dataset("I", data=profile.intensity)
    _set_attr(i, "units", profile.intensity_unit)
    _set_attr(i, "uncertainties", "Idev")
    idev = data.create_dataset("Idev", data=profile.sigma)
    _set_attr(idev, "units", profile.intensity_unit)
    data["I_errors"] = idev  # hard link: generic NeXus viewers draw error bars from <signal>_errors
    _set_attr(data, "SILX_style", LOG_I_OF_Q)  # silx and h5web open I(q) on log-log axes

    if same_sample:
        _link(entry, "sassample", shared, "sassample")
    else:
        _write_sample(entry, profile.sample, name)
    if same_instrument:
        _link(entry, "sasinstrument", shared, "sasinstrument")
    else:
        _write_instrument(entry, profile.provenance)

    process = entry.create_group("sasprocess")
    _set_class(process, "NXprocess", "SASprocess")
    if like is not None:
        for key in ("name", "version", "date"):
            _link(process, key, shared, f"sasprocess/{key}")
    else:
        _new_scalar(process, "name", "saxs-insitu")
        _new_scalar(process, "version", __version__)
        _new_scalar(process, "date", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    notes = process.create_group("provenance")
    _set_class(notes, "NXcollection")
    for key, value in (profile.provenance if provenance is None else provenance).items():
        write_value(notes, key, value)
    add_units(notes)  # from the names' unit suffixes (exposure_s, distance_mm, ...)
    return entry


def _link(group: h5py.Group, name: str, source: h5py.Group, path: str) -> None:
    """Hard link ``group[name]`` to ``source[path]`` (by path: the object is not opened)."""
    group.id.links.create_hard(name.encode(), source.id, path.encode())


def _instrument_values(provenance: Mapping[str, Any]) -> tuple:
    """What :func:`_write_instrument` writes of a provenance."""
    return tuple((key in provenance, provenance.get(key)) for key in ("wavelength_nm", "distance_mm", "detector"))


def _write_sample(entry: h5py.Group, sample_info: SampleInfo, fallback_name: str) -> None:
    sample = entry.create_group("sassample")
    _set_class(sample, "NXsample", "SASsample")
    _new_scalar(sample, "name", sample_info.name or fallback_name)
    if sample_info.thickness_mm is not None:
        _new_scalar(sample, "thickness", float(sample_info.thickness_mm), units="mm")
    if sample_info.transmission is not None:
        _new_scalar(sample, "transmission", float(sample_info.transmission))
        if sample_info.transmission_sigma is not None:
            _new_scalar(sample, "transmission_uncertainty", float(sample_info.transmission_sigma))
    if sample_info.temperature_C is not None:
        _new_scalar(sample, "temperature", float(sample_info.temperature_C), units="degC")


def _write_instrument(entry: h5py.Group, prov: Mapping[str, Any]) -> None:
    instrument = entry.create_group("sasinstrument")
    _set_class(instrument, "NXinstrument", "SASinstrument")
    source = instrument.create_group("sassource")
    _set_class(source, "NXsource", "SASsource")
    _new_scalar(source, "radiation", "Synchrotron X-ray Source")
    if "wavelength_nm" in prov:
        _new_scalar(source, "incident_wavelength", float(prov["wavelength_nm"]), units="nm")
    if "distance_mm" in prov or "detector" in prov:
        det = instrument.create_group("sasdetector")
        _set_class(det, "NXdetector", "SASdetector")
        _new_scalar(det, "name", str(prov.get("detector", "unknown")))
        if "distance_mm" in prov:
            _new_scalar(det, "SDD", float(prov["distance_mm"]), units="mm")


def write_nxcansas(
    path,
    entries: Sequence[tuple[str, Profile1D]],
    *,
    default: str | None = None,
    extra=None,
) -> Path:
    """Write profiles as an NXcanSAS file, atomically (temporary name, then rename).

    Parameters
    ----------
    path : str or os.PathLike
        Output file.
    entries : sequence of (name, Profile1D)
        One SASentry each, in order.
    default : str, optional
        Entry the root ``@default`` points at (the frame average when per-frame entries are
        also written). Defaults to the first entry.
    extra : callable, optional
        ``extra(h5file)`` is called before the file is closed, to add groups (per-frame
        I(t, q), fit results, detections) inside the same atomic write.

    Returns
    -------
    Path
        The written file.
    """
    if not entries:
        raise ValueError("write_nxcansas needs at least one entry")
    names = [name for name, _ in entries]
    if default is None:
        default = names[0]
    if default not in names:
        raise ValueError(f"default entry {default!r} is not among the entries {names}")
    with atomic_h5(path) as f:
        f.attrs["default"] = default
        f.attrs["creator"] = f"saxs-insitu {__version__}"
        f.attrs["file_name"] = Path(path).name
        f.attrs["file_time"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        f.attrs["NX_class"] = "NXroot"
        for name, profile in entries:
            write_sasentry(f, name, profile)
        if extra is not None:
            extra(f)
    return Path(path)


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _decode(value[()])
    return str(value)


def sas_class(group) -> str:
    """The canSAS class of a group: ``@canSAS_class``, or ``@NX_class`` when that holds a canSAS name.

    Older NXcanSAS writers (SasView's own example files, e.g. ``33837rear_1D_1.75_16.5_NXcanSAS.h5``,
    entry ``@version=1.0``) put the canSAS class in ``@NX_class`` (``SASentry``, ``SASdata``) and have
    no ``@canSAS_class``; they also write ``@unit`` for ``@units`` and ``@uncertainty`` for
    ``@uncertainties``.
    """
    name = _decode(group.attrs.get("canSAS_class", ""))
    if name:
        return name
    nx_class = _decode(group.attrs.get("NX_class", ""))
    return nx_class if nx_class.startswith("SAS") else ""


def _attr_either(obj, *names, default=None):
    for name in names:
        if name in obj.attrs:
            return _decode(obj.attrs[name])
    return default


def _is_fit_entry(group) -> bool:
    """Whether a SASentry is a sphere fit's model curve (``/fit`` with its ``mcfit`` result; see
    :mod:`saxs.fit_entry`), not a measured curve."""
    return isinstance(group, h5py.Group) and isinstance(group.get(FIT_PROCESS), h5py.Group)


def curve_entry(f) -> str | None:
    """Name of the SASentry holding a file's measured curve: the root ``@default``, unless that is a
    sphere fit's entry (a fitted file opens at its fit, :mod:`saxs.fit_entry`): then the entry that
    was fitted (its ``sasprocess/provenance/fitted_entry``), else the first other SASentry. None when
    the file names no entry.

    Parameters
    ----------
    f : h5py.File
        An open NXcanSAS file.
    """
    name = _decode(f.attrs["default"]) if "default" in f.attrs else None
    if name is None or not isinstance(f.get(name), h5py.Group) or not _is_fit_entry(f[name]):
        return name
    fitted = f[name].get("sasprocess/provenance/fitted_entry")
    if fitted is not None and _decode(fitted[()]) in f:
        return _decode(fitted[()])
    others = [k for k, g in f.items() if isinstance(g, h5py.Group) and sas_class(g) == "SASentry" and not _is_fit_entry(g)]
    return others[0] if others else None


def list_entries(path) -> list[str]:
    """Names of the SASentry groups in an NXcanSAS file, in file order."""
    with h5py.File(path, "r") as f:
        return [k for k, g in f.items() if isinstance(g, h5py.Group) and sas_class(g) == "SASentry"]


def read_nxcansas(path, entry: str | None = None) -> Profile1D:
    """Read one SASentry of an NXcanSAS file into a :class:`Profile1D` (q converted to 1/nm).

    Parameters
    ----------
    path : str or os.PathLike
        NXcanSAS file (ours or another program's).
    entry : str, optional
        Entry name; by default the root ``@default`` chain is followed (or the first SASentry).

    Raises
    ------
    InputError
        If the file is not NXcanSAS or a required dataset is missing.
    """
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, "file", "a readable HDF5 (NXcanSAS) file", got=str(exc).split(":")[0]) from exc
    with f:
        if entry is None:
            entry = curve_entry(f)
            if entry is None or entry not in f:
                candidates = [k for k, g in f.items() if isinstance(g, h5py.Group) and sas_class(g) == "SASentry"
                              and not _is_fit_entry(g)]
                if not candidates:
                    raise InputError(path, "@default / SASentry", "an NXcanSAS file with a SASentry group "
                                     "(@canSAS_class, or @NX_class in the older layout)")
                entry = candidates[0]
        if entry not in f:
            raise InputError(path, entry, "an NXcanSAS SASentry group", got="missing")
        g = f[entry]
        data_name = _decode(g.attrs.get("default", "sasdata"))
        if data_name not in g or sas_class(g[data_name]) != "SASdata":
            data_name = next((k for k, v in g.items() if isinstance(v, h5py.Group) and sas_class(v) == "SASdata"), None)
            if data_name is None:
                raise InputError(path, f"{entry}/sasdata", "a SASdata group")
        d = g[data_name]
        signal = _decode(d.attrs.get("signal", "I"))
        axis = _decode(d.attrs.get("I_axes", "Q")).split(",")[-1].strip()
        for key in (signal, axis):
            if key not in d:
                raise InputError(path, f"{entry}/{data_name}/{key}", "a dataset", got="missing")
        q_ds, i_ds = d[axis], d[signal]
        unc_name = _attr_either(i_ds, "uncertainties", "uncertainty", default=None) or _attr_either(
            d, f"{signal}_uncertainties", f"{signal}_uncertainty", default="Idev")
        if unc_name not in d:
            raise InputError(path, f"{entry}/{data_name}/{unc_name}", "the intensity uncertainties", got="missing")
        q_units = _attr_either(q_ds, "units", "unit", default="1/nm")
        try:
            factor = q_unit_factor(q_units)
        except ValueError:
            raise InputError(path, f"{entry}/{data_name}/{axis}@units", "1/nm or 1/A", got=q_units) from None
        i_units = _attr_either(i_ds, "units", "unit", default="arbitrary")
        unit = "1/cm" if i_units.replace(" ", "").lower() in ("1/cm", "cm^-1", "cm-1") else "arbitrary"
        sample = SampleInfo(name=entry)
        if "sassample" in g:
            s = g["sassample"]
            sample = SampleInfo(
                name=_decode(s["name"][()]) if "name" in s else entry,
                thickness_mm=float(s["thickness"][()]) if "thickness" in s else None,
                transmission=float(s["transmission"][()]) if "transmission" in s else None,
                transmission_sigma=float(s["transmission_uncertainty"][()]) if "transmission_uncertainty" in s else None,
                temperature_C=float(s["temperature"][()]) if "temperature" in s else None,
            )
        provenance: dict[str, Any] = {"input_file": str(path), "input_entry": entry}
        prov_group = g.get("sasprocess/provenance")
        if isinstance(prov_group, h5py.Group):
            provenance["upstream"] = read_collection(prov_group)
        return Profile1D(
            q_nm=np.asarray(q_ds[()], dtype=np.float64).ravel() * factor,
            intensity=np.asarray(i_ds[()], dtype=np.float64).ravel(),
            sigma=np.asarray(d[unc_name][()], dtype=np.float64).ravel(),
            intensity_unit=unit,
            sample=sample,
            provenance=provenance,
        )


def read_collection(group: h5py.Group) -> dict[str, Any]:
    """Read a group written by :func:`write_value` back into plain Python values (nested dicts)."""
    out: dict[str, Any] = {}
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            out[key] = read_collection(item)
        else:
            value = item[()]
            if isinstance(value, bytes):
                value = value.decode()
            elif isinstance(value, np.ndarray):
                value = [v.decode() if isinstance(v, bytes) else v for v in value.tolist()]
            elif isinstance(value, np.generic):
                value = value.item()
            out[key] = value
    return out


def load_profile(path, *, q_unit: str | None = None, entry: str | None = None) -> Profile1D:
    """Load a 1D curve from NXcanSAS HDF5, a reduced NXdata file or a three-column text file, q in 1/nm.

    A reduced file that is not NXcanSAS (ID02's ``*_ave.h5`` from dahu or ewoksid02, or another
    program's 1-D NXdata) is read by :func:`saxs.id02.processed.load_processed_average`: masked
    bins dropped, frames screened and averaged, a stated error model when it has no uncertainties.

    Parameters
    ----------
    path : str or os.PathLike
        The data file. HDF5 files are recognised by their signature, not their suffix.
    q_unit : str, optional
        Unit of q in a text file (``"nm^-1"`` by default, or ``"A^-1"``). NXcanSAS files carry
        their own unit; a ``q_unit`` given for one is ignored.
    entry : str, optional
        SASentry to read from an NXcanSAS file (the ``@default`` one otherwise).
    """
    from .textio import read_text_profile

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing data file", got=missing_file_reason(path))
    if h5py.is_hdf5(path):
        from .id02.processed import is_processed_file, load_processed_average

        if entry is None and is_processed_file(path):  # ID02 *_ave.h5 or another program's 1-D NXdata
            return load_processed_average(path)[0]
        return read_nxcansas(path, entry)
    return read_text_profile(path, q_unit=q_unit or "nm^-1")


def write_series_nxdata(parent: h5py.Group, name: str, q_nm, intensity, sigma, t, *,
                        intensity_unit: str = "arbitrary", t_units: str | None = "s",
                        t_long_name: str | None = None) -> h5py.Group:
    """Write a plain NXdata ``I(t, q)`` (a time or frame series) for generic NeXus viewers.

    Not a SASdata group (SasView reads the SASentry groups); put it in its own NXentry so that no
    ``title``/``run`` field of it is mistaken for a SASentry's.

    Parameters
    ----------
    parent : h5py.Group
        Group to create it in (e.g. an NXentry ``series``).
    name : str
        Group name.
    q_nm : ndarray, shape (n_q,)
        q, 1/nm.
    intensity, sigma : ndarray, shape (n_t, n_q)
        I and its standard uncertainty (``I_errors`` is a hard link to ``Idev``).
    t : ndarray, shape (n_t,)
        Time (``t_units``) or frame index (``t_units=None``).
    intensity_unit : str, optional
        ``"arbitrary"`` or ``"1/cm"``.
    t_units : str or None, optional
        Unit of ``t``; None for a dimensionless index.
    t_long_name : str, optional
        Axis label.

    Returns
    -------
    h5py.Group
        The NXdata group (``@signal=I``, ``@axes=[t, Q]``).
    """
    intensity = np.asarray(intensity, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    q_nm = np.asarray(q_nm, dtype=np.float64)
    t = np.asarray(t)
    if intensity.ndim != 2 or intensity.shape != sigma.shape or intensity.shape != (t.size, q_nm.size):
        raise ValueError(f"intensity and sigma must have shape (n_t, n_q) = {(t.size, q_nm.size)}; "
                         f"got {intensity.shape} and {sigma.shape}")
    data = parent.create_group(name)
    _set_class(data, "NXdata")
    data.attrs["signal"] = "I"
    data.attrs["axes"] = ["t", "Q"]
    data.attrs["t_indices"] = np.int32(0)
    data.attrs["Q_indices"] = np.int32(1)
    ds = data.create_dataset("I", data=intensity)
    ds.attrs["units"] = intensity_unit
    # no I@uncertainties here: silx reads that attribute as one uncertainty per axis (2 axes, 1 name) and
    # rejects the group; I_errors (the NeXus <signal>_errors convention) names the uncertainties
    data.attrs["SILX_style"] = LOG_I_OF_Q_2D
    dev = data.create_dataset("Idev", data=sigma)
    dev.attrs["units"] = intensity_unit
    data["I_errors"] = dev
    q = data.create_dataset("Q", data=q_nm)
    q.attrs["units"] = "1/nm"
    tt = data.create_dataset("t", data=t)
    if t_units is not None:
        tt.attrs["units"] = t_units
    if t_long_name is not None:
        tt.attrs["long_name"] = t_long_name
    return data


__all__ = [
    "write_nxcansas", "write_sasentry", "write_value", "read_nxcansas", "read_collection", "list_entries", "load_profile",
    "write_series_nxdata",
]
