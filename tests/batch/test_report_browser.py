"""The beamtime report in a real browser: headless Chromium (Debian's package) loads report.html from disk.

Checks: no console error, exception or failed load; every image decodes (naturalWidth > 0); the
table sorts on a click; a screenshot is not blank. Skipped when no Chromium is installed
(``.ci/run`` installs it with apt-get).
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from .chromium import Browser, find_chromium

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")

#: Decode every image now (lazy ones included) and return their natural widths.
IMAGES = """Promise.all(Array.from(document.images).map(function (img) {
  img.loading = "eager";
  return img.decode().then(function () { return img.naturalWidth; }, function () { return 0; });
}))"""


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]


def test_report_renders_in_chromium(small_batch_out, tmp_path):
    page = small_batch_out / "report.html"
    with Browser(CHROMIUM, width=1400, height=1000) as browser:
        load_s = browser.open(page)
        widths = browser.evaluate(IMAGES, await_promise=True)
        n_rows = browser.evaluate("document.querySelectorAll('#sample-table tbody tr').length")
        # sort by the chi2 (data's sigma) column, descending: the poor fit cdse_T220 (chi2_r 233) first
        browser.evaluate("document.querySelectorAll('#sample-table th')[3].click()")
        browser.evaluate("document.querySelectorAll('#sample-table th')[3].click()")
        first = browser.evaluate("document.querySelector('#sample-table tbody tr td').textContent.trim()")
        browser.evaluate("window.scrollTo(0, 0)")
        shot = browser.screenshot()
        errors = browser.errors()
    (tmp_path / "report.png").write_bytes(shot)
    assert errors == []
    assert len(widths) == 27 and min(widths) > 0, widths  # 8 x 2 fit samples, 3 x 2 peaks samples, 3 + 2 series
    assert n_rows == 11
    assert first == "cdse_T220"
    pixels = _pixels(shot)
    assert pixels.shape[:2] == (1000, 1400)
    # not blank: a white page has std 0; text, tables and the title give a std of about 0.1 here
    assert pixels.std() > 0.03, pixels.std()
    assert (pixels.mean(axis=2) < 0.5).mean() > 0.005  # dark (text) pixels cover more than 0.5 % of the view
    assert load_s < 10.0  # a sanity bound; the 2-second target is benchmarks/bench_report.py's


def test_report_without_javascript(small_batch_out):
    """With JavaScript off every figure still shows (only the sorting needs scripts)."""
    with Browser(CHROMIUM) as browser:
        browser.call("Emulation.setScriptExecutionDisabled", value=True)
        browser.open(small_batch_out / "report.html")
        browser.call("Emulation.setScriptExecutionDisabled", value=False)  # evaluate our probes again
        widths = browser.evaluate(IMAGES, await_promise=True)
        errors = browser.errors()
    assert errors == [] and len(widths) == 27 and min(widths) > 0
