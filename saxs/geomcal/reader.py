"""Read one calibrant frame (any fabio format, or HDF5 with a dataset path) and its rough geometry.

The rough geometry is only a starting point for the ring search: the beam centre in pixels
(Fit2D convention, first pixel centre at 0.5; x = column, y = row of the frame as stored), the
sample-to-beam-centre distance and the pixel size. Two header families are understood:

* ID02 / EDF (and LIMA header groups): ``Center_1`` (x, column), ``Center_2`` (y, row),
  ``PSize_1`` / ``PSize_2`` (m), ``SampleDistance`` (m), ``WaveLength`` (m).
* APS 12-ID (Nika) HDF5 metadata under ``entry/Metadata``: ``pin_ccd_center_x_pixel`` counts
  along the *first* array axis (rows: Nika/Igor shows the frame transposed), so it is our y;
  ``pin_ccd_center_y_pixel`` is our x; both count from 0 at the first pixel centre, so 0.5 is
  added. ``pin_ccd_pixel_size_x`` (mm), ``SDD`` (mm), ``wavelength`` (Angstrom).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class RoughGeometry:
    """A starting geometry without tilts (Fit2D style).

    Attributes
    ----------
    distance_mm : float or None
        Sample to beam-centre distance, mm.
    center_x_px, center_y_px : float or None
        Beam centre in pixels of the stored frame (x = column, y = row; first pixel centre 0.5).
    pixel_x_um, pixel_y_um : float or None
        Pixel size along columns (x) and rows (y), micrometres.
    wavelength_nm : float or None
        Wavelength, nm.
    source : mapping
        Where each value came from (``"option"``, ``"header:<key>"``, ``"search"``).
    """

    distance_mm: float | None = None
    center_x_px: float | None = None
    center_y_px: float | None = None
    pixel_x_um: float | None = None
    pixel_y_um: float | None = None
    wavelength_nm: float | None = None
    source: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "source", MappingProxyType(dict(self.source)))

    def merged(self, other: "RoughGeometry") -> "RoughGeometry":
        """Values of ``other`` where it has one, else ours (``other`` wins, e.g. options over header)."""
        values, source = {}, dict(self.source)
        for name in ("distance_mm", "center_x_px", "center_y_px", "pixel_x_um", "pixel_y_um", "wavelength_nm"):
            theirs = getattr(other, name)
            values[name] = getattr(self, name) if theirs is None else theirs
            if theirs is not None:
                source[name] = other.source.get(name, "option")
        return RoughGeometry(**values, source=source)


@dataclass(frozen=True)
class CalibrantFrame:
    """One calibrant frame with its invalid-pixel mask and the geometry found in its header.

    Attributes
    ----------
    path : str
        The file read.
    dataset : str or None
        HDF5 dataset path, when the file is HDF5.
    image : ndarray, shape (ny, nx), float64
        Counts (read-only).
    mask : ndarray, shape (ny, nx), bool
        True where a pixel is invalid (negative, integer maximum, non-finite, dummy value).
    header_geometry : RoughGeometry
        What the header says (fields are None where it says nothing).
    """

    path: str
    dataset: str | None
    image: np.ndarray
    mask: np.ndarray
    header_geometry: RoughGeometry

    def __post_init__(self):
        for name in ("image", "mask"):
            array = np.array(getattr(self, name))
            array.setflags(write=False)
            object.__setattr__(self, name, array)


def _is_hdf5(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def _scalar(value):
    """Turn an HDF5 / header value (bytes, str, 1-element array) into a float, or None."""
    value = np.asarray(value)
    if value.size != 1:
        return None
    value = value.reshape(()).item()
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    try:
        number = float(str(value).split()[0]) if isinstance(value, str) else float(value)
    except (ValueError, IndexError, TypeError):
        return None
    return number if np.isfinite(number) else None


def _geometry_from_header(header: Mapping[str, object]) -> RoughGeometry:
    """Recognise the header keys listed in the module docstring; missing keys give None."""
    values, source = {}, {}

    def take(name, key, scale=1.0, offset=0.0):
        if name in values or key not in header:
            return
        number = _scalar(header[key])
        if number is not None:
            values[name] = number * scale + offset
            source[name] = f"header:{key}"

    # ID02 / EDF family (metres, Fit2D pixel centres).
    take("center_x_px", "Center_1")
    take("center_y_px", "Center_2")
    take("pixel_x_um", "PSize_1", 1e6)
    take("pixel_y_um", "PSize_2", 1e6)
    take("distance_mm", "SampleDistance", 1e3)
    take("wavelength_nm", "WaveLength", 1e9)
    # APS 12-ID / Nika family (see module docstring for the axis swap and the 0.5 offset).
    take("center_y_px", "pin_ccd_center_x_pixel", 1.0, 0.5)
    take("center_x_px", "pin_ccd_center_y_pixel", 1.0, 0.5)
    take("pixel_y_um", "pin_ccd_pixel_size_x", 1e3)
    take("pixel_x_um", "pin_ccd_pixel_size_y", 1e3)
    take("distance_mm", "SDD")
    take("wavelength_nm", "wavelength", 0.1)
    return RoughGeometry(**values, source=source)


def _hdf5_header(h5file, dataset_path: str) -> dict:
    """Scalar values near the frame: ``entry/Metadata``-like groups and the dataset's parents."""
    import h5py

    header: dict = {}
    top = dataset_path.strip("/").split("/")[0]
    candidates = [f"{top}/Metadata", f"{top}/instrument/detector", f"{top}/instrument"]
    parent = "/".join(dataset_path.strip("/").split("/")[:-1])
    candidates.append(parent)
    # LIMA: entry/<instrument>/<detector>/header (the instrument group is "ESRF-ID02" for ID02's Eiger2)
    if top in h5file and isinstance(h5file[top], h5py.Group):
        for inst_name, inst in h5file[top].items():
            if not isinstance(inst, h5py.Group):
                continue
            for name, group in inst.items():
                if isinstance(group, h5py.Group) and "header" in group:
                    candidates.append(f"{top}/{inst_name}/{name}/header")
    for group_path in candidates:
        group = h5file.get(group_path)
        if not isinstance(group, h5py.Group):
            continue
        for key, item in group.items():
            if isinstance(item, h5py.Dataset) and item.size == 1 and key not in header:
                header[key] = item[()]
    return header


def read_calibrant_frame(path, *, dataset: str | None = None, frame_index: int = 0) -> CalibrantFrame:
    """Read a calibrant frame, its invalid-pixel mask and the geometry its header gives.

    Parameters
    ----------
    path : str or os.PathLike
        Any image fabio reads (EDF, TIFF, CBF, ...) or an HDF5 file.
    dataset : str, optional
        Dataset path inside an HDF5 file (e.g. ``entry/data/data``). Required for HDF5 unless the
        file has a single 2D/3D image dataset at ``entry/data/data`` or ``entry_0000/measurement/data``.
    frame_index : int
        Which frame of a 3D stack to take.

    Returns
    -------
    CalibrantFrame

    Raises
    ------
    InputError
        Missing file, unreadable format, missing dataset, or not a 2D image.
    """
    from ..guards import missing_file_reason

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "an existing calibrant frame", got=missing_file_reason(path))
    if path.stat().st_size == 0:
        raise InputError(path, "file", "a calibrant frame", got="an empty file")
    if _is_hdf5(path):
        import h5py
        import hdf5plugin  # noqa: F401 - registers the compression filters

        try:
            h5 = h5py.File(path, "r")
        except OSError as exc:
            raise InputError(path, "file", "a readable HDF5 file", got=" ".join(str(exc).split())) from None
        with h5:
            if dataset is None:
                for guess in ("entry/data/data", "entry_0000/measurement/data"):
                    if guess in h5:
                        dataset = guess
                        break
                else:
                    raise InputError(path, "--dataset", "the HDF5 path of the frame (e.g. entry/data/data)")
            item = h5.get(dataset)
            if not isinstance(item, h5py.Dataset):
                raise InputError(path, dataset, "an HDF5 dataset holding the frame", got="no such dataset")
            if item.ndim == 3:
                if not 0 <= frame_index < item.shape[0]:
                    raise InputError(path, dataset, f"a frame index below {item.shape[0]}", got=frame_index)
                raw = item[frame_index]
            elif item.ndim == 2:
                raw = item[()]
            else:
                raise InputError(path, dataset, "a 2D frame or a 3D stack of frames", got=f"shape {item.shape}")
            header = _hdf5_header(h5, dataset)
    else:
        import fabio

        try:
            image = fabio.open(os.fspath(path))
        except Exception as exc:  # fabio raises many types for unknown formats
            raise InputError(path, "format", "an image format fabio reads, or HDF5",
                             got=f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}") from None
        raw = image.getframe(frame_index).data if image.nframes > 1 else image.data
        header = dict(image.header)
        if raw is None or np.ndim(raw) != 2:
            raise InputError(path, "data", "a 2D frame", got=None if raw is None else f"shape {np.shape(raw)}")
    raw = np.asarray(raw)
    image = raw.astype(np.float64)
    mask = ~np.isfinite(image)
    if np.issubdtype(raw.dtype, np.integer):
        mask |= raw == np.iinfo(raw.dtype).max
    mask |= image < 0  # Pilatus gaps (-1) and bad pixels (-2)
    dummy = _scalar(header.get("Dummy", 0)) or 0.0
    if dummy != 0:
        ddummy = _scalar(header.get("DDummy", 0)) or 0.0
        mask |= np.abs(image - dummy) <= max(ddummy, 0.0)
    image[mask] = 0.0
    if mask.all():
        raise InputError(path, dataset or "data", "a frame with valid pixels", got="every pixel invalid")
    return CalibrantFrame(path=os.fspath(path), dataset=dataset, image=image, mask=mask,
                          header_geometry=_geometry_from_header(header))
