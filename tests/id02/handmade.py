"""ID02 raw files written by hand with h5py + hdf5plugin, NOT through saxs (the reader's oracle).

The layouts follow what ewoksid02 0.4.0 and dahu read (ewoksid02/id02_format.py: a master file
with ``<N>.1/instrument/<detector>/data`` and ``<N>.1/measurement/<counter>``; a LIMA file with
root ``creator`` "LIMA-...", ``entry_0000/<NXinstrument>/<NXdetector>/{data, header}``; the
scalers file of ewoksid02's ``scalers`` step / dahu's metadata plugin, ``entry_0000/TRUSAXS/MCS``).
"""

from __future__ import annotations

import h5py
import hdf5plugin
import numpy as np


def write_lima_by_hand(path, frames, header, *, instrument="ESRF-ID02", detector="eiger2", split=None,
                       exposure_s=0.5):
    """LIMA file: frames (n, ny, nx) -> uint32 bitshuffle-LZ4, header as byte strings; ``split``
    frames per entry (entry_0000, entry_0001, ...)."""
    frames = np.asarray(frames)
    split = split or len(frames)
    with h5py.File(path, "w") as f:
        f.attrs["creator"] = "LIMA-1.9.21"
        for e, start in enumerate(range(0, len(frames), split)):
            entry = f.create_group(f"entry_{e:04d}")
            entry.attrs["NX_class"] = "NXentry"
            inst = entry.create_group(instrument)
            inst.attrs["NX_class"] = "NXinstrument"
            det = inst.create_group(detector)
            det.attrs["NX_class"] = "NXdetector"
            chunk = frames[start:start + split].astype(np.uint32)
            det.create_dataset("data", data=chunk, chunks=(1, *chunk.shape[1:]), **hdf5plugin.Bitshuffle(cname="lz4"))
            head = det.create_group("header")
            for key, value in header.items():
                head[key] = str(value).encode()
            det["acquisition/exposure_time"] = exposure_s
            det["plot/data"] = h5py.SoftLink(f"/entry_{e:04d}/{instrument}/{detector}/data")
            entry["measurement/data"] = h5py.SoftLink(f"/entry_{e:04d}/{instrument}/{detector}/data")
    return path


def write_scalers_by_hand(path, values, names, *, hsi0=None, hsi1=None, hstime=None):
    """Scalers file with ``HS32V`` = ``values`` (n_frames, n_channels) as given (already calibrated)."""
    with h5py.File(path, "w") as f:
        f.attrs["creator"] = "ewoksid02"
        mcs = f.create_group("entry_0000/TRUSAXS/MCS")
        mcs["HS32V"] = np.asarray(values, dtype=np.float64)
        mcs["HS32C"] = np.zeros(np.shape(values), dtype=np.int64)   # not used by the reader
        mcs["HS32N"] = np.array(names, dtype=h5py.string_dtype())
        for key, value in (("HSI0", hsi0), ("HSI1", hsi1), ("HSTime", hstime)):
            if value is not None:
                mcs[key] = np.int64(value)
    return path


def write_master_by_hand(path, scans):
    """Master file; ``scans`` maps N -> (link, counters): link an ``h5py.ExternalLink`` or a list of
    (LIMA file name, n_frames, shape) for a virtual dataset; counters name -> 1-D values."""
    with h5py.File(path, "w") as f:
        f.attrs["creator"] = "bliss"
        for number, (link, counters) in scans.items():
            scan = f.create_group(f"{number}.1")
            scan["title"] = "handmade"
            det = scan.create_group("instrument/eiger2")
            det.attrs["NX_class"] = "NXdetector"
            if isinstance(link, h5py.ExternalLink):
                det["data"] = link
            else:
                total = sum(n for _, n, _ in link)
                layout = h5py.VirtualLayout(shape=(total, *link[0][2]), dtype=np.uint32)
                start = 0
                for name, n, shape in link:
                    layout[start:start + n] = h5py.VirtualSource(name, "/entry_0000/ESRF-ID02/eiger2/data",
                                                                 shape=(n, *shape))
                    start += n
                det.create_virtual_dataset("data", layout)
            for name, values in counters.items():
                scan[f"measurement/{name}"] = np.asarray(values, dtype=np.float64)
    return path
