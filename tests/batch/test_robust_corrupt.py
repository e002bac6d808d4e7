"""A corrupted raw file fails its sample alone, whatever the worker count (issue 13, item 1).

A chunk of random bytes crashes the bitshuffle-LZ4 filter with SIGSEGV (no Python exception);
other patterns make the filter return an error. Either way the sample is recorded as failed with
a reason naming the file and the frame, every other sample's file is bit-identical to a clean run
(same seeds, same arithmetic), the batch exits 1 and no temporary file is left. The same on a
Dask LocalCluster (``--scheduler local``), where the client learns only "KilledWorker" and reads
the file and frame from the dead worker's breadcrumb files (saxs.pipeline.postmortem).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from .corrupt import corrupt_chunk
from .helpers import copy_beamtime, h5_content, run_batch

ONLY = ("cdse_T200", "cdse_T210", "cdse_T220")
BAD = "cdse_T210"


@pytest.fixture(scope="module")
def clean_run(small_beamtime, tmp_path_factory):
    """One beamtime copy (its paths are in the result files) and its clean results."""
    base = tmp_path_factory.mktemp("corrupt")
    bt = copy_beamtime(small_beamtime, base / "bt")
    code, summary = run_batch(bt, "-o", base / "clean", "--only", *ONLY)
    assert code == 0, summary["failed"]
    return bt, base / "clean"


@pytest.fixture
def corrupted(clean_run, request):
    """The beamtime with one chunk of BAD's LIMA file corrupted; restored (bytes and time) after."""
    bt, _ = clean_run
    lima = bt / "raw" / f"{BAD}_eiger2_4m_bin8_00001_00.h5"
    original, stat = lima.read_bytes(), lima.stat()
    corrupt_chunk(lima, frame=1, pattern=request.param)
    yield lima, request.param
    lima.write_bytes(original)
    os.utime(lima, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize(("corrupted", "workers", "scheduler"), [
    ("random", 1, "none"), pytest.param("random", 2, "none", marks=pytest.mark.slow),
    pytest.param("zeros", 1, "none", marks=pytest.mark.slow), pytest.param("bitflips", 2, "none", marks=pytest.mark.slow),
    pytest.param("random", 2, "local", marks=pytest.mark.slow)], indirect=["corrupted"])
def test_corrupted_chunk_fails_its_sample_alone(clean_run, corrupted, tmp_path, workers, scheduler):
    bt, clean_out = clean_run
    lima, pattern = corrupted
    out = tmp_path / "out"
    code, summary = run_batch(bt, "-o", out, "--only", *ONLY, "--workers", workers, "--scheduler", scheduler)
    assert code == 1 and summary["exit_code"] == 1
    status = {s["name"]: s for s in summary["samples"]}
    assert [n for n, s in status.items() if s["status"] != "done"] == [BAD]
    reason = status[BAD]["reason"]
    assert lima.name in reason and ("frame 1" in reason or "data[1]" in reason), reason
    if pattern == "random":  # the filter dies in native code (checked: exit 139 before), so does its worker
        assert reason.startswith("ReaderCrashed: reader crashed (signal 11 (SIGSEGV)) while reading frame 1 of ")
    assert json.loads((out / "summary.json").read_text())["failed"] == summary["failed"]
    assert not list(out.rglob(".*.tmp"))
    assert not list(out.glob(".saxs-crumbs-*"))  # the Dask breadcrumbs go with the run
    # every other result file bit-identical to the clean run's (the series differs by construction:
    # one member fewer; its members' files are compared instead)
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.h5") if "series" not in p.parts)
    assert len(names) == 5  # two samples, three blanks
    assert names == sorted(str(p.relative_to(clean_out)) for p in clean_out.rglob("*.h5")
                           if "series" not in p.parts and BAD not in p.name)
    for rel in names:
        a, b = h5_content(clean_out / rel, [(clean_out, "<OUT>")]), h5_content(out / rel, [(out, "<OUT>")])
        assert sorted(a) == sorted(b), rel
        for key in a:
            assert np.array_equal(np.asarray(a[key]), np.asarray(b[key]), equal_nan=np.asarray(a[key]).dtype.kind == "f"), \
                f"{rel}:{key}"
