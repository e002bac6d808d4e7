"""Run ewoksid02's norm -> azim -> ave steps offline on a BLISS dataset (the peer of our reduction).

How it runs from files alone (learnt from ewoksid02 0.4.0: ``tasks/id02readertask.py``,
``tasks/id02task.py``, ``tests/conftest.py``): a graph whose start node is ``ID02ReaderTask``
(reads a slice of frames through the master file ``<scan>.1/instrument/<detector>/data``, the
header from the LIMA file, the counters from ``<scan>.1/measurement``; its variance from the
header's ``variance_formula``), then ``NormalizationTask`` (mask, solid angle, polarisation,
``NormalizationFactor`` / the counter HSI1 names), ``AzimuthalTask`` (pyFAI 2-D integration,
``npt2_rad`` x ``npt2_azim``) and ``AverageTask`` (mean over the azimuthal bins), each writing its
own ``*_<step>.h5``. One pass reads ``max_slice_size`` frames: enough for the whole scan here,
so the graph needs no loop. What ewoksid02 needs from the files: counter names (not pin
numbers) in HSI0/HSI1/HSTime, at least 200 radial bins in practice, a mask at the binned shape,
and ``unit`` given to the azimuthal step (it is not in the header).

Needs ``ewoksid02`` (and ``ewoks``); callers guard with ``pytest.importorskip("ewoksid02")``.
"""

from __future__ import annotations

import logging
from pathlib import Path

TASKS = {
    "reader": "ewoksid02.tasks.id02readertask.ID02ReaderTask",
    "norm": "ewoksid02.tasks.normalizationtask.NormalizationTask",
    "azim": "ewoksid02.tasks.azimuthaltask.AzimuthalTask",
    "ave": "ewoksid02.tasks.averagetask.AverageTask",
}
CHAIN = ("norm", "azim", "ave")


def _graph() -> dict:
    nodes = [{"id": "reader", "task_type": "class", "task_identifier": TASKS["reader"], "force_start_node": True}]
    nodes += [{"id": n, "task_type": "class", "task_identifier": TASKS[n]} for n in CHAIN]
    links = [{"source": "reader", "target": CHAIN[0], "map_all_data": True,
              "conditions": [{"source_output": "continue_pipeline", "value": True}]}]
    links += [{"source": a, "target": b, "map_all_data": True} for a, b in zip(CHAIN, CHAIN[1:])]
    return {"graph": {"id": "saxs_insitu_peer_check"}, "nodes": nodes, "links": links}


def run_ewoksid02(dataset, out_dir, *, npt_rad: int = 200, npt_azim: int = 360,
                  radial_range_nm: tuple[float, float] | None = None, stem: str = "spheres") -> Path:
    """Run norm -> azim -> ave on ``dataset`` (a :class:`bliss_synth.BlissDataset`); return the ``_ave.h5``.

    Parameters
    ----------
    dataset : BlissDataset
        Master file, LIMA file, mask, detector name and scan number.
    out_dir : path
        Where the ``<stem>_norm.h5``, ``_azim.h5`` and ``_ave.h5`` files go.
    npt_rad, npt_azim : int
        Radial and azimuthal bins of the 2-D integration.
    radial_range_nm : (float, float), optional
        q range of the radial bins (outer edges), 1/nm, so that the bins are ours.
    """
    root_logger = logging.getLogger()
    handlers, level = list(root_logger.handlers), root_logger.level
    from ewoks import execute_graph

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    generic = {
        "detector_name": dataset.detector, "filename_data": str(dataset.master), "filename_lima": str(dataset.lima),
        "scan_nb": dataset.scan, "max_slice_size": 1000, "log_level": "warning", "datatype": "float32",
        "save_variance": True,
    }
    azim = {"filename_mask_azimuthal": str(dataset.mask), "unit": "q_nm^-1", "npt2_rad": int(npt_rad),
            "npt2_azim": int(npt_azim), "method_pixelsplit": "bbox", "method_algorithm": "csr",
            "method_implementation": "cython"}
    if radial_range_nm is not None:  # a tuple: ewoksid02 caches its worker on the (hashable) options
        azim["integration_options"] = {"radial_range": (float(radial_range_nm[0]), float(radial_range_nm[1]))}
    per_node = {
        "norm": {"filename_mask": str(dataset.mask), "filename_dark": None, "filename_flat": None,
                 "algorithm": "cython"},
        "azim": azim,
        "ave": {},
    }
    inputs = [{"name": k, "value": v, "all": True} for k, v in generic.items()]
    for node, values in per_node.items():
        inputs += [{"name": k, "value": v, "id": node} for k, v in values.items()]
        inputs.append({"name": "processing_filename", "value": str(out_dir / f"{stem}_{node}.h5"), "id": node})
    try:
        execute_graph(graph=_graph(), inputs=inputs, engine="ppf", pool_type="thread")
    finally:  # ewoksid02 calls logging.basicConfig on import: leave the root logger as it was
        for handler in root_logger.handlers[:]:
            if handler not in handlers:
                root_logger.removeHandler(handler)
        root_logger.setLevel(level)
    ave = out_dir / f"{stem}_ave.h5"
    if not ave.is_file():
        raise RuntimeError(f"ewoksid02 did not write {ave}")
    return ave
