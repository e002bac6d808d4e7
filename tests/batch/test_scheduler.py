"""The task runner: same results on every back end, failures as values, seeds and fingerprints."""

from __future__ import annotations

import os

import pytest

from saxs.errors import InputError
from saxs.pipeline.fingerprint import derive_seed, fingerprint
from saxs.pipeline.scheduler import Task, open_runner, parse_scheduler

from . import _tasks


def _tasks_list():
    tasks = [Task(f"sum{k}", _tasks.seeded_sum, (derive_seed(11, f"s{k}"), 1000)) for k in range(4)]
    tasks += [Task("ok", _tasks.fail_if_negative, (3,)), Task("bad", _tasks.fail_if_negative, (-1,))]
    return tasks


def _check(outcomes):
    assert [o.key for o in outcomes] == ["sum0", "sum1", "sum2", "sum3", "ok", "bad"]
    ok = {o.key: o for o in outcomes if o.ok}
    assert ok["ok"].value == 9
    bad = outcomes[-1]
    assert not bad.ok and bad.value is None
    assert bad.failure.error_type == "ValueError" and bad.failure.message == "negative input -1"
    assert "fail_if_negative" in bad.failure.traceback
    return [o.value for o in outcomes[:4]]


def test_one_and_two_worker_processes_agree():
    with open_runner("none", workers=1) as runner:
        seen = []
        serial = _check(runner.run(_tasks_list(), on_done=seen.append))
        assert len(seen) == 6
        # one worker is a child process too: its crash must not end the run
        assert runner.run([Task("pid", _tasks.worker_pid)])[0].value != os.getpid()
    with open_runner("none", workers=2) as runner:
        pooled = _check(runner.run(_tasks_list()))
        assert runner.run([Task("pid", _tasks.worker_pid)])[0].value != os.getpid()
    # bit-identical: the seed depends on the sample name only, not on the worker
    assert pooled == serial


def test_dead_worker_is_a_failure_not_a_crash():
    with open_runner("none", workers=2) as runner:
        outcomes = runner.run([Task("dies", _tasks.die)])
    assert outcomes[0].failure.error_type == "WorkerDied"
    assert "exit code 3" in outcomes[0].failure.message


@pytest.mark.parametrize("workers", [1, 2])
def test_segfault_fails_one_task_the_others_finish(tmp_path, workers):
    # a SIGSEGV in native code (as in the HDF5 filter on a corrupted chunk) fails its task alone,
    # names what it was doing, removes its temporary file; a fresh worker runs the tasks after it
    tasks = [Task("before", _tasks.seeded_sum, (1, 100)), Task("crash", _tasks.segfault_while_writing, (str(tmp_path),)),
             Task("after", _tasks.seeded_sum, (2, 100)), Task("last", _tasks.fail_if_negative, (4,))]
    with open_runner("none", workers=workers) as runner:
        outcomes = runner.run(tasks)
        again = runner.run([Task("again", _tasks.fail_if_negative, (5,))])
    crash = outcomes[1].failure
    assert crash.error_type == "ReaderCrashed"
    assert crash.message == "reader crashed (signal 11 (SIGSEGV)) while reading frame 2 of x.h5"
    assert [o.value for o in outcomes if o.ok] == [_tasks.seeded_sum(1, 100), _tasks.seeded_sum(2, 100), 16]
    assert again[0].value == 25
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.slow
def test_dask_local_cluster_agrees():
    with open_runner("none", workers=1) as runner:
        serial = _check(runner.run(_tasks_list()))
    with open_runner("local", workers=2, warmup=_tasks.warm) as runner:
        assert runner.description.startswith("Dask LocalCluster tcp://127.0.0.1:")
        dask = _check(runner.run(_tasks_list()))
        # a second run on the same cluster runs again (pure=False), no stale results
        assert _check(runner.run(_tasks_list())) == dask
        assert runner.run([Task("warm", _tasks.was_warmed)])[0].value is True
        address = runner.description.split()[-1]
        # an existing cluster by its address, as --scheduler tcp://HOST:PORT does
        with open_runner(address) as remote:
            assert remote.workers == 2
            assert _check(remote.run(_tasks_list())) == dask
    assert dask == serial


def test_scheduler_option_is_checked():
    assert parse_scheduler("tcp://host:8786") == "tcp://host:8786"
    with pytest.raises(InputError, match="--scheduler"):
        parse_scheduler("dask")
    with pytest.raises(InputError, match="--workers"):
        with open_runner("none", workers=0):
            pass


def test_seed_and_fingerprint(tmp_path):
    # independent answer: the seeds of two names differ, the same name gives the same seed
    assert derive_seed(5, "a") == derive_seed(5, "a")
    assert len({derive_seed(5, "a"), derive_seed(5, "b"), derive_seed(6, "a")}) == 3
    assert 0 <= derive_seed(5, "a") < 2**63
    f = tmp_path / "raw.h5"
    f.write_bytes(b"abc")
    one = fingerprint([f], {"x": 1.0}, base_dir=tmp_path)
    assert fingerprint([f], {"x": 1.0}, base_dir=tmp_path) == one
    assert fingerprint([f], {"x": 1.0000001}, base_dir=tmp_path) != one
    f.write_bytes(b"abcd")  # size changes
    assert fingerprint([f], {"x": 1.0}, base_dir=tmp_path) != one
