"""The largest ring of a 100 k-row market, as a reviewer sees it in the page (headless Chromium).

The generator at scale 1 writes about 100,000 rows; its largest ring (about forty
members: creators, buyers, shops, sellers and the identifiers they share) is the
dense case the drawing rules are for. What is checked, on what Chromium drew:

- the decisive identifier (the one the ring's heaviest evidence names, a payout
  account ten accounts share) is drawn larger than every other node and marked;
- no label sits under a line: inside every label's box the rendered picture has no
  pixel of a coloured edge, and no label overlaps another label or a node;
- edges are merged per pair and type, with their count, and a crowded type is
  folded into one node whose every member is listed by one click on it;
- the evidence panel shows every item with no inner scroll;
- kinds read as words.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

from ..snapshots import write_generated_snapshot
from .api_support import make_key
from .test_ui_browser import (  # noqa: F401  (chromium: the fixture)
    ARTIFACTS,
    Served,
    _assert_readable,
    _drawing,
    _open_ring_by_hash,
    _sign_in,
    _tab,
    chromium,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app over a local store holding a scale-1 generated market and one detection run."""
    import uvicorn

    snapshot = write_generated_snapshot(tmp_path_factory.mktemp("market"), scale=1.0)
    rows = sum(len(f.read_text().splitlines()) - 1 for f in snapshot.glob("*.csv"))
    assert rows >= 100_000
    store = LocalStore(tmp_path_factory.mktemp("store"))
    store.write_snapshot(load_snapshot(snapshot).snapshot)
    run_detection(store)
    key = make_key(store, "investigator", "analyst-large")
    app = create_app(ApiSettings(cache_seconds=0.0), store=store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{sock.getsockname()[1]}", key)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def page(chromium: Any, large: Served) -> Iterator[Any]:  # noqa: F811
    yield from _tab(chromium, ())


def _largest_ring(served: Served) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"status": "all", "limit": 200, **({"cursor": cursor} if cursor else {})}
        found = served.api("GET", "/rings", params=params).json()
        items += found["items"]
        cursor = found.get("next_cursor")
        if not cursor:
            break
    full = [served.api("GET", f"/rings/{r['ring_id']}").json() for r in items]
    return max(full, key=lambda r: (len(r["members"]), r["ring_id"]))


#: Per drawn label, its box in the PNG that cy.png() renders at scale 1 (the drawing's own
#: coordinates, shifted to the image's origin), and the image's pixels as RGBA rows.
_PIXELS = """async () => {
  const cy = window.ringwatchCy;
  const all = cy.elements().boundingBox();
  const uri = cy.png({ full: true, scale: 1, bg: "#fbfbfc" });
  const image = new Image();
  await new Promise((done, fail) => { image.onload = done; image.onerror = fail; image.src = uri; });
  const canvas = document.createElement("canvas");
  canvas.width = image.width; canvas.height = image.height;
  const g = canvas.getContext("2d");
  g.drawImage(image, 0, 0);
  const sx = image.width / all.w, sy = image.height / all.h;
  const labels = cy.nodes().map((n) => {
    const b = n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
    // Cytoscape's label box also holds the text's outline and the plate's padding around it:
    // the letters are inside that margin.
    const m = parseFloat(n.style("text-outline-width")) + parseFloat(n.style("text-background-padding"));
    return { id: n.id(), box: [(b.x1 - all.x1 + m) * sx, (b.y1 - all.y1 + m) * sy, (b.x2 - all.x1 - m) * sx,
      (b.y2 - all.y1 - m) * sy] };
  });
  const data = g.getImageData(0, 0, image.width, image.height).data;
  let binary = "";
  for (let i = 0; i < data.length; i += 8192) {
    binary += String.fromCharCode.apply(null, data.subarray(i, i + 8192));
  }
  return { width: image.width, height: image.height, labels, rgba: btoa(binary) };
}"""


def _coloured_pixels_in_labels(picture: dict[str, Any]) -> dict[str, int]:
    """Per label, how many pixels inside its text's box carry a coloured line (TRADES red, BOUGHT
    green, OWNS blue): labels are dark text on a near-white plate, so any such pixel is a line
    across the letters. (USES is grey, which text anti-aliasing is too: not told apart here.)"""
    width = picture["width"]
    rgba = base64.b64decode(picture["rgba"])
    found: dict[str, int] = {}
    for label in picture["labels"]:
        x0, y0, x1, y1 = label["box"]
        hits = 0
        for y in range(int(y0), int(y1) + 1):
            row = y * width * 4
            for x in range(int(x0), int(x1) + 1):
                r, g, b = rgba[row + 4 * x], rgba[row + 4 * x + 1], rgba[row + 4 * x + 2]
                if max(r, g, b) - min(r, g, b) > 40:
                    hits += 1
        if hits:
            found[label["id"]] = hits
    return found


def test_the_largest_ring_of_a_100k_row_market_reads_as_its_evidence(page: Any, large: Served) -> None:
    ring = _largest_ring(large)
    graph = large.api("GET", f"/rings/{ring['ring_id']}/graph").json()
    assert len(ring["members"]) >= 30 and len(graph["edges"]) > 60
    _sign_in(page, large)
    _open_ring_by_hash(page, large, ring["ring_id"])
    drawing = _drawing(page)
    nodes = drawing["nodes"]

    # Readable: labels whole, at 11 px or more, none on another label or a node.
    _assert_readable(drawing)
    # Every member drawn once; parallel edges merged per pair and type, with their count.
    assert sum(len(n["members"]) for n in nodes) == len(graph["nodes"])
    assert sum(e["count"] for e in drawing["edges"]) == len(graph["edges"])
    assert len(drawing["edges"]) < len(graph["edges"])

    # The decisive identifier: named by the heaviest identifier evidence, drawn larger than any node.
    decisive = page.evaluate("window.ringwatchCy.nodes('.decisive').map(n => n.data('full'))")
    heaviest = max((e for e in ring["evidence"] if e["code"].startswith("shared_")),
                   key=lambda e: e["weight"])
    assert len(decisive) == 1 and decisive[0] in heaviest["text"], (decisive, heaviest)
    width = {n["full"]: n["body_box"][2] - n["body_box"][0] for n in nodes}
    assert all(width[decisive[0]] > w for full, w in width.items() if full != decisive[0]), width
    weak = [n for n in nodes if n["type"] == "ip"]
    assert weak and all(n["full"] not in decisive for n in weak)

    # No label under a line: no coloured edge pixel inside any label's box, as Chromium drew it.
    picture = page.evaluate(_PIXELS)
    assert len(picture["labels"]) == len(nodes)
    assert _coloured_pixels_in_labels(picture) == {}

    # A folded type: one click on its node lists every folded member.
    folded = [n for n in nodes if n["folded"]]
    assert folded, "the largest ring folds a crowded type"
    group = folded[0]
    page.locator("#ring-graph").scroll_into_view_if_needed()
    where = page.evaluate("""(id) => {
      const n = window.ringwatchCy.getElementById(id);
      const p = n.renderedPosition(), c = document.querySelector("#ring-graph").getBoundingClientRect();
      return { x: c.left + p.x, y: c.top + p.y };
    }""", group["id"])
    page.mouse.click(where["x"], where["y"])
    listed = page.locator("[data-testid=folded-members] code")
    assert listed.count() == len(group["members"])
    assert sorted(listed.all_text_contents()) == sorted(k.split(":", 1)[1] for k in group["members"])

    # The evidence panel: every item inside the card, none behind a scroll of the list or the card
    # (the ring's detail pane as a whole scrolls like a page; the panel itself never does).
    items = page.locator("#ring-evidence li")
    assert items.count() == len(ring["evidence"]) >= 10
    panel = page.evaluate("""() => {
      const list = document.querySelector("#ring-evidence");
      const card = list.closest(".evidence-card");
      const scrolls = [];
      for (let e = list; e && e !== card.parentElement; e = e.parentElement) {
        if (e.scrollHeight > e.clientHeight + 1) scrolls.push(e.id || e.className);
      }
      const box = card.getBoundingClientRect();
      const outside = [...list.children].filter((li) => {
        const b = li.getBoundingClientRect();
        return b.height === 0 || b.top < box.top || b.bottom > box.bottom;
      }).length;
      return { scrolls, outside };
    }""")
    assert panel == {"scrolls": [], "outside": 0}
    zero = sum(1 for e in ring["evidence"] if e["weight"] == 0)
    assert page.locator("#ring-evidence li.context").count() == zero

    # Kinds read as words, in the ring's header and in the kind filter.
    assert page.locator("#ring-kind").text_content() == ring["kind"].replace("_", " ")
    assert all("_" not in o for o in page.locator("#filter-kind option").all_text_contents())

    ARTIFACTS.mkdir(exist_ok=True)
    shot = page.locator("#ring-graph").screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 5000
    (ARTIFACTS / "ui-largest-ring.png").write_bytes(shot)
    page.screenshot(path=str(ARTIFACTS / "ui-largest-ring-page.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 3000})  # the whole card on one screen
    card = page.locator(".evidence-card").screenshot()
    assert card[:8] == b"\x89PNG\r\n\x1a\n"
    (ARTIFACTS / "ui-largest-ring-evidence.png").write_bytes(card)
