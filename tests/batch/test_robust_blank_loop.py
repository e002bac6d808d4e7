"""A blank whose glob meets a symbolic link loop fails that blank and the samples that need it,
with one line naming the path; planning goes on and every other sample is processed (issue 13's
planning gap: before, the loop's ELOOP stopped the whole batch as an internal error)."""

from __future__ import annotations

from .helpers import copy_beamtime, run_batch

GOOD, NEEDS_BAD = "cdse_T210", "cdse_T200"


def _add_blank_with_loop(bt) -> str:
    """A second solvent blank ``solvent_b`` (files ``raw/solvent_b_*.h5``: two links pointing at
    each other, a real loop) used by NEEDS_BAD only; returns the path planning must name."""
    raw = bt / "raw"
    (raw / "solvent_b_1.h5").symlink_to("solvent_b_2.h5")
    (raw / "solvent_b_2.h5").symlink_to("solvent_b_1.h5")
    path = bt / "beamtime.toml"
    text = path.read_text()
    text = text.replace("[blanks.empty_capillary]", '[blanks.solvent_b]\nfiles = ["raw/solvent_b_*.h5"]\n'
                        'empty = "empty_capillary"\n\n[blanks.empty_capillary]', 1)
    start = text.index(f'name = "{NEEDS_BAD}"')
    at = text.index('solvent = "solvent_ode"', start)
    assert at < text.index("[[samples]]", start)  # the line belongs to NEEDS_BAD
    path.write_text(text[:at] + 'solvent = "solvent_b"' + text[at + len('solvent = "solvent_ode"'):])
    return str(raw / "solvent_b_1.h5")


def test_blank_glob_meeting_a_symlink_loop_fails_only_its_samples(small_beamtime, tmp_path):
    bt = copy_beamtime(small_beamtime, tmp_path / "bt")
    loop = _add_blank_with_loop(bt)
    reason = f"{loop} (matched by blanks.solvent_b.files) is a symbolic link loop, not a raw file"
    # the plan already says it (nothing written)
    code, plan = run_batch(bt, "-o", tmp_path / "dry", "--only", GOOD, NEEDS_BAD, "--dry-run")
    assert code == 0 and not (tmp_path / "dry").exists()
    rows = {(r["kind"], r["name"]): r for r in plan["tasks"]}
    assert (rows["blank", "solvent_b"]["status"], rows["blank", "solvent_b"]["reason"]) == ("failed", reason)
    assert rows["sample", NEEDS_BAD]["status"] == "failed" and rows["sample", GOOD]["status"] == "todo"
    # the run: exit 1, the blank and its sample failed with that one line, the other sample done
    out = tmp_path / "out"
    code, summary = run_batch(bt, "-o", out, "--only", GOOD, NEEDS_BAD)
    assert code == 1 and summary["exit_code"] == 1
    failed = {(f["kind"], f["name"]): f["reason"] for f in summary["failed"]}
    assert failed == {("blank", "solvent_b"): reason, ("sample", NEEDS_BAD): f"blank 'solvent_b' failed: {reason}"}
    assert all("\n" not in r for r in failed.values())
    status = {s["name"]: s["status"] for s in summary["samples"]}
    assert status == {GOOD: "done", NEEDS_BAD: "failed"}
    assert (out / "samples" / f"{GOOD}.h5").is_file() and not (out / "samples" / f"{NEEDS_BAD}.h5").exists()
    assert (out / "blanks" / "solvent_ode.h5").is_file() and not (out / "blanks" / "solvent_b.h5").exists()
