"""The report's pictures as Chromium lays them out: real glyph widths, not estimates.

The report places labels from an estimate of monospace text widths; here the
browser measures what it actually drew (``getBBox`` of every text) for a
dense collusion ring, an identity farm and small rings, and checks that no
label overlaps another label or a node, none runs out of its picture, none
is drawn under 11 px, and that metric names are shown whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ringwatch.api.report import write_report

from .test_report import RUN, _dense_collusion, _farm, _ring_for
from .test_ui_browser import chromium  # noqa: F401  (the fixture: Debian's Chromium, headless)

pytestmark = pytest.mark.browser

#: Per picture: its viewBox, every text's box and font size, every node shape's box (SVG units).
_MEASURE = """() => [...document.querySelectorAll("svg.graph")].map((svg) => ({
  view: svg.viewBox.baseVal ? [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height] : null,
  texts: [...svg.querySelectorAll("text")].map((t) => {
    const b = t.getBBox();
    return { text: t.textContent, box: [b.x, b.y, b.x + b.width, b.y + b.height],
             size: parseFloat(getComputedStyle(t).fontSize) };
  }),
  shapes: [...svg.querySelectorAll(".node circle, .node rect")].map((s) => {
    const b = s.getBBox();
    return [b.x, b.y, b.x + b.width, b.y + b.height];
  }),
}))"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = {"R-dense": _dense_collusion(), "R-farm": _farm(20),
            "R-long": _farm(6, "creator-account-0123456789abcdefghij")}
    rings = [_ring_for(rid, "collusion_ring" if rid == "R-dense" else "identity_ring", sub,
                       refunded_after_commission=12, median_account_age_days=33.5,
                       commission_total=1830.5, currency="USD")
             for rid, sub in subs.items()]
    return write_report(tmp_path_factory.mktemp("report"), run=RUN, rings=rings, subgraphs=subs)


def test_picture_labels_as_drawn_are_readable_whole_and_apart(chromium: Any, report: Path) -> None:  # noqa: F811
    tab = chromium.new_page(viewport={"width": 1440, "height": 1000})
    try:
        tab.goto(report.as_uri())
        pictures = tab.evaluate(_MEASURE)
    finally:
        tab.close()
    assert len(pictures) == 3
    for picture in pictures:
        width, height = picture["view"]
        texts = picture["texts"]
        assert texts
        for t in texts:
            assert t["size"] >= 11, t
            box = t["box"]
            assert box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height, t
            assert not any(_overlap(box, shape) for shape in picture["shapes"]), t
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                assert not _overlap(a["box"], b["box"]), (a, b)
    drawn = {t["text"] for p in pictures for t in p["texts"]}
    assert "creator-account-0123456789abcdefghij" in drawn and "80 buyers" in drawn


def test_metric_names_are_drawn_whole_in_a_narrow_window(chromium: Any, report: Path) -> None:  # noqa: F811
    tab = chromium.new_page(viewport={"width": 700, "height": 900})
    try:
        tab.goto(report.as_uri())
        cells = tab.locator('th[data-metric="refunded_after_commission"]')
        assert cells.count() == 3
        for i in range(3):
            cell = cells.nth(i)
            assert cell.text_content() == "refunded after commission"
            assert cell.is_visible()
            assert cell.evaluate("e => e.scrollWidth <= e.clientWidth")
        money = tab.locator('th[data-metric="commission_total"] + td').first.text_content()
        assert money == "1,830.50 USD"
    finally:
        tab.close()
