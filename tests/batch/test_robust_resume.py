"""The summary of a resumed batch equals that of an uninterrupted one (issue 13, item 6): the
skipped tasks' results (frames, peaks, phase, warnings, the calibration factor...) are read back."""

from __future__ import annotations

from .helpers import comparable_summary, run_batch

ONLY = ("cdse_T200", "precursor_T025")


def test_resumed_summary_equals_uninterrupted(small_beamtime, tmp_path):
    resumed = tmp_path / "out"
    code, _ = run_batch(small_beamtime, "-o", resumed, "--only", *ONLY)
    assert code == 0
    uninterrupted = comparable_summary(resumed)
    (resumed / "summary.json").unlink()
    (resumed / "samples" / "cdse_T200.h5").unlink()  # as if killed before it: redone; the rest skipped
    code, again = run_batch(small_beamtime, "-o", resumed, "--only", *ONLY, "--resume")
    assert code == 0
    status = {s["name"]: s["status"] for s in again["samples"]}
    assert status == {"cdse_T200": "done", "precursor_T025": "skipped"}
    assert {b["status"] for b in again["blanks"]} == {"skipped"} and again["calibration"]["status"] == "skipped"
    precursor = next(s for s in again["samples"] if s["name"] == "precursor_T025")
    for key in ("peaks_q_nm", "phase", "warnings", "frames", "frames_used", "intensity_unit"):
        assert key in precursor, key  # lost on resume before
    for key in ("factor", "factor_std", "chi2_red"):
        assert key in again["calibration"], key
    assert comparable_summary(resumed) == uninterrupted
    # a report kept for other inputs is not used: the task is redone
    report = resumed / ".reports" / "samples" / "precursor_T025.json"
    report.write_text(report.read_text().replace('"fingerprint": "', '"fingerprint": "x'))
    code, third = run_batch(small_beamtime, "-o", resumed, "--only", *ONLY, "--resume")
    assert {s["name"]: s["status"] for s in third["samples"]} == {"cdse_T200": "skipped", "precursor_T025": "done"}
    assert comparable_summary(resumed) == uninterrupted
