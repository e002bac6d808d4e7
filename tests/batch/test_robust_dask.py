"""A Dask worker that dies in native code is reported like a local one: file and frame, temporary
files removed, the other tasks finished (saxs.pipeline.postmortem; issue 13's Dask gap).

Real Dask LocalCluster on 127.0.0.1 and a real SIGSEGV (a read of address 0, as in the HDF5 filter
on a corrupted chunk: tests/batch/_tasks.py). The batch-level check on a corrupted LIMA file is
``test_robust_corrupt.py`` (``--scheduler local``, slow).
"""

from __future__ import annotations

import threading

import pytest

from saxs import crumbs
from saxs.pipeline.scheduler import Task, open_runner

from . import _tasks

pytest.importorskip("distributed")


def test_dask_worker_segfault_names_what_it_was_reading(tmp_path):
    work, crumbs_dir = tmp_path / "work", tmp_path / "crumbs"
    work.mkdir()
    crumbs_dir.mkdir()
    tasks = [Task("before", _tasks.seeded_sum, (1, 100)), Task("crash", _tasks.segfault_while_writing, (str(work),)),
             Task("dies", _tasks.die), Task("last", _tasks.fail_if_negative, (4,))]
    with open_runner("local", workers=2, crumbs_dir=crumbs_dir) as runner:
        outcomes = runner.run(tasks)
        again = runner.run([Task("again", _tasks.fail_if_negative, (5,))])  # the cluster still works
        assert len(list(crumbs_dir.iterdir())) == 1  # this runner's breadcrumb folder, while it runs
    crash, dies = outcomes[1].failure, outcomes[2].failure
    # the same words as the local process pool (test_scheduler.py): signal from the fault dump,
    # "reading frame 2 of x.h5" from the breadcrumbs of the last of Dask's attempts
    assert crash.reason == "ReaderCrashed: reader crashed (signal 11 (SIGSEGV)) while reading frame 2 of x.h5"
    # os._exit leaves no fault dump and no breadcrumb: what Dask raised stands for how it died
    assert dies.error_type == "WorkerDied" and "KilledWorker" in dies.message, dies
    assert [o.value for o in outcomes if o.ok] == [_tasks.seeded_sum(1, 100), 16]
    assert again[0].value == 25
    assert list(work.iterdir()) == []  # the temporary file of every attempt (Dask retries) removed
    assert list(crumbs_dir.iterdir()) == []  # and the breadcrumbs with the runner


def test_file_breadcrumbs_are_per_thread(tmp_path):
    # two threads of one worker, each its own file; the process's slot (none here) is untouched
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    ready, release = threading.Barrier(3), threading.Barrier(3)

    def work(k: int) -> None:
        with crumbs.record_to_file(paths[k]):
            crumbs.doing(f"reading frame {k} of a much longer name than the other thread's" if k else "reading frame 0")
            crumbs.add_temp(f"/tmp/.t{k}.tmp")
            crumbs.doing(f"reading frame {k}")  # shorter than before: the file keeps only this
            ready.wait()
            release.wait()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    ready.wait()
    left = [crumbs.read_file(p) for p in paths]
    release.wait()
    for t in threads:
        t.join()
    assert left == [{"doing": "reading frame 0", "temps": ["/tmp/.t0.tmp"]},
                    {"doing": "reading frame 1", "temps": ["/tmp/.t1.tmp"]}]
    assert crumbs.read_file(tmp_path / "missing.json") == {"doing": "", "temps": []}
