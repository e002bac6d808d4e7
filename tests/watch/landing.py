"""A beamtime that lands over time: a writer process copies a finished beamtime into a folder as
the beamline would write it (run with multiprocessing's spawn start method).

Ways a file lands (``Step.how``):

* ``"copy"``: copied at once (shutil.copyfile);
* ``"chunks"``: copied byte by byte in a few chunks with pauses longer than the watch's settle
  interval (a truncated HDF5 file sits stable on disk between chunks);
* ``"lima-frames"``: a LIMA file written in place frame by frame with
  ``acquisition/nb_frames`` set first (the file opens between frames and its size stays still
  during each pause, but its frame count is short);
* ``"master-open"``: a BLISS master file written with the scan's ``start_time`` and no
  ``end_time``; ``"master-end"`` adds the ``end_time`` (the scan ended).

A step may wait until the watch has processed some tasks (``after_events``: keys that must
appear as "done" in OUTDIR/watch_events.jsonl), so a blank lands after its samples were done.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Step:
    rel: str                      # path relative to the beamtime folder
    how: str = "copy"
    pause_s: float = 0.0          # pause between chunks / frames, and after the step
    after_events: tuple = ()


def _wait_events(outdir: Path, keys, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        path = outdir / "watch_events.jsonl"
        done = set()
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line being appended
                if event["event"] == "done":
                    done.add(event["key"])
        if set(keys) <= done:
            return
        time.sleep(0.1)
    raise TimeoutError(f"the watch did not process {keys}")


def _chunks(src: Path, dst: Path, pause_s: float, n: int = 3) -> None:
    data = src.read_bytes()
    size = -(-len(data) // n)
    with open(dst, "wb") as f:
        for k in range(n):
            f.write(data[k * size:(k + 1) * size])
            f.flush()
            time.sleep(pause_s)


def _lima_frames(src: Path, dst: Path, pause_s: float) -> None:
    import h5py
    import hdf5plugin  # noqa: F401

    with h5py.File(src, "r") as s:
        frames = s["entry_0000/measurement/data"][()]
        with h5py.File(dst, "w") as d:
            for k, v in s.attrs.items():
                d.attrs[k] = v
            s.copy(s["entry_0000"], d, "entry_0000")
            det = d[d["entry_0000/measurement"].get("data", getlink=True).path.rsplit("/", 1)[0]]
            det["acquisition"].create_dataset("nb_frames", data=len(frames))
            data = det["data"]
            data.resize(0, axis=0)
            d.flush()
            for k, frame in enumerate(frames):
                time.sleep(pause_s)
                data.resize(k + 1, axis=0)
                data[k] = frame
                d.flush()


def _master_open(src: Path, dst: Path) -> None:
    import h5py

    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    with h5py.File(tmp, "a") as f:
        for key in f:
            f[key]["start_time"] = "2026-11-30T10:00:00"
    tmp.rename(dst)


def _master_end(dst: Path) -> None:
    import h5py

    with h5py.File(dst, "a") as f:
        for key in f:
            if "start_time" in f[key]:
                f[key]["end_time"] = "2026-11-30T10:00:10"


def land(source: str, target: str, outdir: str, steps, log_path: str) -> None:
    """Write ``steps`` from ``source`` into ``target``; log each finished file (name, size, mtime_ns)."""
    source, target, outdir = Path(source), Path(target), Path(outdir)
    with open(log_path, "a") as log:
        for step in steps:
            if step.after_events:
                _wait_events(outdir, step.after_events)
            src, dst = source / step.rel, target / step.rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if step.how == "copy":
                shutil.copyfile(src, dst)
            elif step.how == "chunks":
                _chunks(src, dst, step.pause_s)
            elif step.how == "lima-frames":
                _lima_frames(src, dst, step.pause_s)
            elif step.how == "master-open":
                _master_open(src, dst)
            elif step.how == "master-end":
                _master_end(dst)
            else:
                raise ValueError(step.how)
            if step.how not in ("master-open",):
                st = dst.stat()
                log.write(json.dumps({"rel": step.rel, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                                      "t": time.time()}) + "\n")
                log.flush()
            if step.how not in ("chunks", "lima-frames"):
                time.sleep(step.pause_s)
