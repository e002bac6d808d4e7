"""The beamtime report (saxs report, and the batch's report.html): content, self-containment, errors.

Its rendering in a real browser is tests/batch/test_report_browser.py.
"""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import pytest

from saxs.cli import main
from saxs.report.conclusions import peaks_conclusions, steps_conclusions


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_steps_conclusions_in_plain_words():
    """A hand-written series entry (the published CdSe example) gives the sentences written here by hand."""
    series = {"status": "done", "analysis": "steps", "by": "nucleation_temperature_C",
              "families": [{"radius_nm": 0.8702, "radius_nm_std": 0.0021}, {"radius_nm": 0.9398, "radius_nm_std": 0.003},
                           {"radius_nm": 1.0194, "radius_nm_std": 0.004}],
              "steps": [{"from_nm": 0.8702, "to_nm": 0.9398, "between": [190.0, 200.0]}],
              "shoulders": [{"radius_nm": 1.0194, "beside_nm": 0.9398, "at": 230.0, "fraction": 0.352,
                             "fraction_std": 0.005}],
              "continuous_growth_onset": 250.0,
              "samples": [{"sample": "T220", "value": 220.0, "status": "ok", "populations_withheld": "poor fit"},
                          {"sample": "T270", "value": 270.0, "status": "failed", "reason": "no frames"}]}
    assert steps_conclusions(series) == [
        "Families (magic sizes, radius) at 0.870 +- 0.002, 0.940 +- 0.003 and 1.019 +- 0.004 nm.",
        "Step 0.870 -> 0.940 nm between 190 C and 200 C.",
        "Shoulder of the 1.02 nm family beside 0.94 nm at 230 C (35.2 +- 0.5 %).",
        "Continuous growth from 250 C (the radius drifts and the distribution broadens).",
        "T220 (220 C) takes no part: poor fit.",
        "T270 (270 C) is missing: no frames.",
    ]


def test_peaks_conclusions_in_plain_words():
    """Lamellar d = 3.41 nm at 25 and 50 C, gone at 100 C (the published Cd-myristate example)."""
    lam = {"type": "lamellar", "d_nm": 3.4101}
    series = {"status": "done", "analysis": "peaks", "by": "temperature_C",
              "phases": [{"value": 25.0, "phase": lam}, {"value": 50.0, "phase": lam}, {"value": 100.0, "phase": None}],
              "tracks": [{"q_nm": 1.8425, "vanishes_at": 100.0}, {"q_nm": 3.6853, "vanishes_at": 100.0}],
              "broad_maxima": [{"maxima": [{"q_nm": 0.25}]}, {"maxima": [{"q_nm": 0.249}]}, {"maxima": []}]}
    assert peaks_conclusions(series) == [
        "Lamellar, d = 3.410 nm (25 to 50 C).",
        "No mesophase indexed (100 C).",
        "Bragg peaks at q = 1.843, 3.685 1/nm gone at 100 C.",
        "Broad maximum near q = 0.25-0.25 1/nm (in 2 of 3 members).",
    ]


def test_batch_writes_a_self_contained_report(small_batch_out, small_beamtime):
    """report.html: every sample and series, figures embedded as decodable PNGs, nothing fetched from elsewhere."""
    html = (small_batch_out / "report.html").read_text(encoding="utf-8")
    summary = json.loads((small_batch_out / "summary.json").read_text())
    page = _parse(html)
    text = " ".join(" ".join(page.text).split())
    # self-contained: no external style sheet, script or image; links only to anchors of the page
    ids = {a["id"] for _, a in page.tags if "id" in a}
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed"), tag
        if tag in ("img", "script") and "src" in attrs:
            assert attrs["src"].startswith("data:image/png;base64,"), attrs["src"][:60]
        if tag == "a":
            assert attrs["href"].startswith("#") and attrs["href"][1:] in ids, attrs["href"]
    assert "http://" not in html and "https://" not in html
    images = [a["src"] for t, a in page.tags if t == "img"]
    n_figures = sum(len(s["figures"]) for s in summary["samples"]) + sum(len(s["figures"]) for s in summary["series"])
    assert len(images) == n_figures > 0
    for src in images:
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # at a glance, table and sections: every sample and series, the seed, the poor fit, the warnings
    rows = [a for t, a in page.tags if t == "tr" and a.get("class", "").split()[:1] == ["done"]]
    assert len(rows) == summary["counts"]["samples"] == 11
    for s in summary["samples"]:
        assert f'id="sample-{s["name"]}"' in html
    for s in summary["series"]:
        assert f'id="series-{s["name"]}"' in html
    assert str(summary["fit_seed"]) in text and "saxs-insitu" in text and "pyFAI" in text
    assert "POOR FIT" in text and summary["fit_quality"]["poor_fit"] == ["cdse_T220"]
    for group in summary["warnings"]:
        assert group["example"] in text
    for s in summary["series"]:
        for line in s.get("model_assumptions", []):
            assert line in text
    # the findings match the simulated truth (the published values the demo is built on)
    found = re.search(r"Families \(magic sizes, radius\) at (.*?) nm\.", text).group(1)
    radii = [float(x.split(" +- ")[0]) for x in found.replace(" and ", ", ").split(", ")]
    assert radii == pytest.approx([0.87, 0.94, 1.02], rel=0.02)  # 2 %: the family tolerance of the analysis
    assert "between 190 C and 200 C" in text and "Continuous growth from 250 C" in text
    d = float(re.search(r"Lamellar, d = ([0-9.]+) nm \(25 to 50 C\)", text).group(1))
    assert d == pytest.approx(3.41, rel=0.002)  # the simulated d; peak positions are fitted to < 0.1 %
    assert "gone at 100 C" in text
    # transmission per sample against the simulation's (monitor ratio: within 1 %)
    truth = json.loads((small_beamtime / "truth" / "cdse_T190.json").read_text())["transmission"]
    row = html[html.index('href="#sample-cdse_T190"'):]
    value = float(re.search(r'class="num transmission" data-sort="([0-9.]+)"', row).group(1))
    assert value == pytest.approx(truth, rel=0.01)


def test_report_command_and_refresh(small_batch_out, tmp_path, capsys):
    """saxs report rewrites report.html (same page) and --refresh adds the reload; the page carries the charset."""
    import shutil

    out = tmp_path / "moved"  # a folder moved elsewhere (a USB stick): figures found under it
    shutil.copytree(small_batch_out, out)
    before = (out / "report.html").read_bytes()
    (out / "report.html").unlink()
    assert main(["report", str(out), "--json"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["report"] == str(out / "report.html")
    assert (out / "report.html").read_bytes() == before  # the batch's page, rendered from the same files
    assert main(["report", str(out), "--refresh", "30"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="30">' in html and '<meta charset="utf-8">' in html
    assert 'http-equiv="refresh"' not in before.decode()


def test_report_bad_input(tmp_path, capsys):
    """No summary.json, a broken one, a bad --refresh: exit 2, one line naming the file, nothing written."""
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "summary.json" in err and str(tmp_path) in err and len(err.strip().splitlines()) == 1
    (tmp_path / "summary.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "summary.json: content" in capsys.readouterr().err
    (tmp_path / "summary.json").write_text(json.dumps({"dry_run": True}))
    assert main(["report", str(tmp_path)]) == 2
    assert main(["report", str(tmp_path), "--refresh", "0"]) == 2
    assert "--refresh" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
    assert not list(tmp_path.glob(".*.tmp"))
