"""The review page in a real browser: key, ring list, the ring's graph, a review, the audit trail.

Headless Chromium from Debian (``/usr/bin/chromium``), driven by Playwright,
opens ``/ui`` on the real app (uvicorn on a free loopback port, in a thread)
over a real local store holding a small market with known rings (and one
dense collusion ring: 14 creators, 3 shops, 30 buyers), two detection runs
and an investigator key. Nothing is stubbed between the page and the store
but in the one test that says so.

Outside CI a missing Chromium (or Playwright) skips these tests with a
reason; in CI (``CI=true``) or with ``RINGWATCH_REQUIRE_BROWSER=1`` it fails
them, so they can never be skipped silently where it matters. Playwright never
downloads a browser here: it launches the system one.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringwatch.api.app import create_app
from ringwatch.api.score_text import score_text, score_texts
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

from ..detectors.market import Market
from .api_support import WEEK1, WEEK2, make_key, week1_market, week2_market

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: A creator id that is markup: the page must show it as text and never run it.
EVIL_ID = '<img src=x onerror="window.__ringwatchXss=1">'
REVIEW_NOTE = "four creators cash out to one payout account <b>checked</b>"


def _browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "RINGWATCH_REQUIRE_BROWSER", "") == "1"


def _unavailable(reason: str) -> None:
    if _browser_required():
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Served:
    """The running app: its base URL and an investigator's key."""

    base_url: str
    key: str

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the API directly (as another reviewer would), with the investigator key."""
        headers = {"X-API-Key": self.key, **kwargs.pop("headers", {})}
        return httpx.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium launched headless through Playwright (one browser for the module)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _add_dense_collusion(market: Market) -> None:
    """Fourteen creators trading with three shops, each pair fed by one repeat buyer of a pool
    of thirty on three devices, three orders in four refunded after the commission was paid."""
    creators = [market.creator(f"dense_c{i:02d}") for i in range(14)]
    shops = [market.shop(f"dense_s{i}", seller=f"dense_sel{i}", category="toys") for i in range(3)]
    # The category's honest shops: a category whose every shop refunds this much would be its
    # own norm (a high-refund category), not a ring.
    for j in range(6):
        honest = market.shop(f"toy_s{j}", seller=f"toy_sel{j}", category="toys")
        for c in range(2):
            creator = market.creator(f"toy_c{j}{c}")
            market.affiliate(creator, honest, 0.1)
            for k in range(3):
                market.order(f"toy_b{j}{c}{k}", honest, creator, day=3 + k)
    buyers = [f"dense_b{i:02d}" for i in range(30)]
    for i, buyer in enumerate(buyers):
        market.link("buyer", buyer, "device", f"dense_dev{i % 3}")
    for c, creator in enumerate(creators):
        for s, shop in enumerate(shops):
            market.affiliate(creator, shop, 0.1)
            for k in range(4):
                market.order(buyers[(c * 3 + s) % 30], shop, creator, refunded_after_commission=k != 0,
                             day=3 + k)


def _add_markup_farm(market: Market) -> None:
    """Four creators on one payout account, device and phone; the first one's id is markup."""
    for creator in (EVIL_ID, "xss_c1", "xss_c2", "xss_c3"):
        market.creator(creator)
        for kind in ("payout_account", "device", "phone"):
            market.link("creator", creator, kind, f"xss_{kind}")


def _add_farm_overlapping_the_dense_ring(market: Market) -> None:
    """Four creators on one payout account, device and phone (an identity ring), two of whom
    (dense_c12, dense_c13) also trade in the dense collusion ring, too few of its fourteen for the
    rings to be one: two open rings sharing two accounts. Call after :func:`_add_dense_collusion`."""
    for creator in ("ovl_c0", "ovl_c1"):
        market.creator(creator)
    for creator in ("dense_c12", "dense_c13", "ovl_c0", "ovl_c1"):
        for kind in ("payout_account", "device", "phone"):
            market.link("creator", creator, kind, f"ovl_{kind}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app over a local store with two weekly runs, served by uvicorn on loopback."""
    import uvicorn

    store = LocalStore(tmp_path_factory.mktemp("ui-store"))
    for name, market, now in (("week1", week1_market(), WEEK1), ("week2", week2_market(), WEEK2)):
        _add_markup_farm(market)
        _add_dense_collusion(market)
        _add_farm_overlapping_the_dense_ring(market)
        store.write_snapshot(load_snapshot(market.write(tmp_path_factory.mktemp(name))).snapshot)
        run_detection(store, now=now)
    key = make_key(store, "investigator", "analyst-ui")

    app = create_app(ApiSettings(cache_seconds=0.0), store=store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", key)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _tab(chromium: Any, expected: tuple[str, ...]) -> Iterator[Any]:
    """A fresh browser tab (new session storage) that fails the test on any script error.

    ``expected`` are the responses the test provokes on purpose (Chromium logs every
    4xx as a console error), such as ``"status of 412"``.
    """
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error"
           and not any(e in msg.text for e in expected) else None)
    yield tab
    context.close()
    assert errors == [], errors


@pytest.fixture
def page(chromium: Any, served: Served) -> Iterator[Any]:
    """A fresh tab that fails the test on any script error but the 412 of a stale review."""
    yield from _tab(chromium, ("status of 412",))


@pytest.fixture
def page_expecting_404(chromium: Any, served: Served) -> Iterator[Any]:
    """A fresh tab for a test that looks up something unknown on purpose."""
    yield from _tab(chromium, ("status of 404",))


def _sign_in(page: Any, served: Served) -> None:
    page.goto(served.base_url + "/ui")
    assert page.url == served.base_url + "/ui/"
    page.wait_for_selector("#key-panel:not([hidden])")
    page.fill("#api-key", served.key)
    page.click("#key-submit")
    page.wait_for_selector('#ring-list[data-state="ready"] li[data-ring-id]')


def _open_ring(page: Any, ring_id: str) -> None:
    page.locator(f'#ring-list li[data-ring-id="{ring_id}"] a').click()
    page.wait_for_selector(f'#ring-graph[data-state="drawn"][data-ring-id="{ring_id}"]')


def _drawn_members(page: Any, cy: str = "ringwatchCy") -> int:
    """Members drawn, counting each member folded into a group node ("30 buyers") once."""
    # page.evaluate runs over the DevTools protocol, so the page's CSP (no eval) does not block it.
    return page.evaluate(f"window.{cy}.nodes().map(n => n.data('memberKeys').length)"
                         ".reduce((a, b) => a + b, 0)")


#: Every node's label box, body box and place, every edge's merged count, and the zoom (Cytoscape's
#: own measures of what it drew, in model coordinates).
_DRAWING = """(name) => {
  const cy = window[name];
  const box = (b) => [b.x1, b.y1, b.x2, b.y2];
  const extent = cy.extent();
  return {
    zoom: cy.zoom(), view: [extent.x1, extent.y1, extent.x2, extent.y2],
    nodes: cy.nodes().map((n) => ({
      id: n.id(), type: n.data("type"), label: n.data("label"), full: n.data("full"),
      folded: n.data("folded"),
      members: n.data("memberKeys"), x: n.position("x"), y: n.position("y"), focus: n.hasClass("focus"),
      font: parseFloat(n.style("font-size")),
      label_box: box(n.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true })),
      body_box: box(n.boundingBox({ includeLabels: false, includeOverlays: false })),
    })),
    edges: cy.edges().map((e) => ({ type: e.data("type"), count: e.data("count") })),
  };
}"""


def _drawing(page: Any, cy: str = "ringwatchCy") -> dict[str, Any]:
    return page.evaluate(_DRAWING, cy)


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def _assert_readable(drawing: dict[str, Any]) -> None:
    """Labels at 11 px or more on screen, whole, inside the view, overlapping no label and no node."""
    nodes = drawing["nodes"]
    for node in nodes:
        assert node["font"] * drawing["zoom"] >= 11, node
        if not node["folded"]:
            assert node["label"].replace("\n", "") == node["full"], node  # wrapped, never cut
        view, lb = drawing["view"], node["label_box"]
        assert view[0] <= lb[0] and view[1] <= lb[1] and lb[2] <= view[2] and lb[3] <= view[3], node
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i != j:
                assert not _overlap(a["label_box"], b["body_box"]), (a["id"], b["id"])
                assert i > j or not _overlap(a["label_box"], b["label_box"]), (a["id"], b["id"])


def _open_ring_by_hash(page: Any, served: Served, ring_id: str) -> None:
    page.goto(f"{served.base_url}/ui/#/rings/{ring_id}")
    page.wait_for_selector(f'#ring-graph[data-state="drawn"][data-ring-id="{ring_id}"]')


def _dense_ring(served: Served) -> dict[str, Any]:
    found = served.api("GET", "/rings", params={"member": "creator:dense_c00", "status": "all"}).json()
    assert len(found["items"]) == 1, found
    return served.api("GET", f"/rings/{found['items'][0]['ring_id']}").json()


def test_an_analyst_opens_the_top_ring_sees_its_graph_and_confirms_it(page: Any, served: Served) -> None:
    _sign_in(page, served)
    listed = page.locator("#ring-list li[data-ring-id]")
    api_page = served.api("GET", "/rings").json()
    assert listed.count() == len(api_page["items"]) > 0
    ring_id = listed.first.get_attribute("data-ring-id")
    assert ring_id == api_page["items"][0]["ring_id"]  # best first, as the API ranks them

    _open_ring(page, ring_id)
    graph = served.api("GET", f"/rings/{ring_id}/graph").json()
    assert _drawn_members(page) == len(graph["nodes"]) > 0
    assert page.locator("#ring-graph canvas").count() > 0
    assert page.locator("#ring-id").text_content() == ring_id
    ring = served.api("GET", f"/rings/{ring_id}").json()
    assert page.locator("#ring-evidence li").count() == len(ring["evidence"])
    assert page.locator("#ring-members .member-id").count() == len(ring["members"])
    assert page.locator("#ring-history tbody tr").count() == len(ring["history"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-ring.png"))

    page.check("[data-testid=review-confirm]")
    page.fill("#review-note", REVIEW_NOTE)
    page.click("#review-submit")
    page.wait_for_selector("#review-message.ok")
    assert page.locator("#ring-status").text_content() == "confirmed"
    audit = page.locator("#audit-list li", has_text=REVIEW_NOTE)
    audit.wait_for()
    assert "review.confirm" in audit.text_content()
    assert "analyst-ui" in audit.text_content()
    assert page.locator("#review-list li", has_text=REVIEW_NOTE).count() == 1
    assert page.locator(f'#ring-list li[data-ring-id="{ring_id}"] [data-testid=status]'
                        ).text_content() == "confirmed"
    assert served.api("GET", f"/rings/{ring_id}").json()["status"] == "confirmed"


def test_the_list_writes_scores_with_enough_digits_to_tell_neighbours_apart(
        page: Any, served: Served) -> None:
    _sign_in(page, served)
    listed = served.api("GET", "/rings").json()["items"]
    assert listed
    shown = page.locator("#ring-list li[data-ring-id] [data-testid=score]").all_text_contents()
    assert shown == score_texts([r["score"] for r in listed])


def test_a_ring_that_shares_accounts_says_with_which_ring_and_links_to_it(
        page: Any, served: Served) -> None:
    dense = _dense_ring(served)
    assert dense["overlaps"], "the served market plants a farm sharing two of the dense ring's creators"
    other = dense["overlaps"][0]
    _sign_in(page, served)
    _open_ring_by_hash(page, served, dense["ring_id"])
    lines = page.locator("#ring-overlaps [data-testid=overlap]")
    assert lines.count() == len(dense["overlaps"])
    assert lines.first.text_content().startswith(f"shares {other['shared_accounts']} accounts with ")
    assert other["ring_id"] in lines.first.text_content()
    lines.first.locator("a").click()
    page.wait_for_selector(f'#ring-graph[data-state="drawn"][data-ring-id="{other["ring_id"]}"]')
    back = page.locator("#ring-overlaps [data-testid=overlap]", has_text=dense["ring_id"])
    assert back.count() == 1


def test_a_review_of_a_ring_someone_else_just_reviewed_is_refused_with_a_reload_hint(
        page: Any, served: Served) -> None:
    _sign_in(page, served)
    ring_id = page.locator("#ring-list li[data-ring-id]").nth(1).get_attribute("data-ring-id")
    _open_ring(page, ring_id)
    # Another reviewer reviews the ring after this page read it.
    current = served.api("GET", f"/rings/{ring_id}")
    other = served.api("POST", f"/rings/{ring_id}/reviews", headers={"If-Match": current.headers["ETag"]},
                       json={"action": "escalate", "note": "second opinion"})
    assert other.status_code == 201

    page.check("[data-testid=review-dismiss]")
    page.fill("#review-note", "looks like an agency")
    page.click("#review-submit")
    message = page.locator("#review-message.conflict")
    message.wait_for()
    assert "Someone else reviewed this ring; reload" in message.text_content()
    assert served.api("GET", f"/rings/{ring_id}").json()["status"] == "escalated"

    page.click("#review-reload")
    page.locator("#review-list li", has_text="second opinion").wait_for()
    assert page.locator("#review-note").input_value() == "looks like an agency"  # the note survives
    assert page.locator("#ring-status").text_content() == "escalated"


def test_ids_that_look_like_markup_are_shown_as_text(page: Any, served: Served) -> None:
    _sign_in(page, served)
    page.fill("#filter-member", f"creator:{EVIL_ID}")
    page.select_option("#filter-status", "all")
    page.click("#filter-apply")
    page.wait_for_selector('#ring-list[data-state="ready"]', state="attached")
    items = page.locator("#ring-list li[data-ring-id]")
    expected = served.api("GET", "/rings", params={"member": f"creator:{EVIL_ID}", "status": "all"}).json()
    assert items.count() == len(expected["items"]) >= 1
    _open_ring(page, items.first.get_attribute("data-ring-id"))
    assert page.locator("#ring-members .member-id", has_text=EVIL_ID).count() == 1
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.__ringwatchXss") is None


def test_the_dashboard_draws_rings_by_kind_for_each_run(page: Any, served: Served) -> None:
    _sign_in(page, served)
    page.click("#nav-dashboard")
    page.wait_for_selector("#stats-chart svg .bar")
    runs = served.api("GET", "/stats").json()["runs"]
    assert page.locator("#stats-chart svg .bar").count() == len(runs) == 2
    assert page.locator("#stats-chart svg rect").count() >= 2
    assert page.locator("#stats-runs tbody tr").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-dashboard.png"))


def test_a_dense_ring_is_drawn_in_columns_by_type_with_readable_whole_labels(
        page: Any, served: Served) -> None:
    ring = _dense_ring(served)
    graph = served.api("GET", f"/rings/{ring['ring_id']}/graph").json()
    buyers = [n for n in graph["nodes"] if n["type"] == "buyer"]
    assert len(buyers) == 30 and len(graph["edges"]) > 100
    _sign_in(page, served)
    _open_ring_by_hash(page, served, ring["ring_id"])
    assert page.locator("#ring-graph").get_attribute("data-layout") == "layered"
    drawing = _drawing(page)
    nodes = drawing["nodes"]

    # Every member is drawn once; the buyer pool is one node, no type has more than 12 nodes.
    assert _drawn_members(page) == len(graph["nodes"])
    assert [n["label"] for n in nodes if n["type"] == "buyer"] == ["30 buyers"]
    assert all(sum(n["type"] == t for n in nodes) <= 12 for t in {n["type"] for n in nodes})
    # Parallel edges are merged with their count: fewer lines, the same edges.
    assert sum(e["count"] for e in drawing["edges"]) == len(graph["edges"])
    assert len(drawing["edges"]) <= len(graph["edges"]) / 2
    # Columns, left to right: sellers | shops | creators | buyers | devices.
    column = {}
    for node in nodes:
        column.setdefault(node["type"], set()).add(round(node["x"]))
    assert all(len(xs) == 1 for xs in column.values()), column
    order = [column[t].pop() for t in ("seller", "shop", "creator", "buyer", "device")]
    assert order == sorted(order) and len(set(order)) == 5
    _assert_readable(drawing)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-dense-ring.png"), full_page=True)


def test_metric_names_are_whole_money_shows_its_currency_and_the_score_is_explained(
        page: Any, served: Served) -> None:
    ring = _dense_ring(served)
    _sign_in(page, served)
    _open_ring_by_hash(page, served, ring["ring_id"])
    name = page.locator('#ring-metrics [data-metric="refunded_after_commission"] dt')
    assert name.text_content() == "refunded after commission"
    # Drawn whole: nothing of the name is hidden behind an ellipsis.
    assert name.evaluate(
        "e => e.scrollWidth <= e.clientWidth && getComputedStyle(e).textOverflow !== 'ellipsis'")
    commission = ring["metrics"]["commission_total"]
    currency = ring["metrics"].get("currency")
    expected = f"{commission:,.2f}" + (f" {currency}" if currency else "")
    assert page.locator('#ring-metrics [data-metric="commission_total"] dd').text_content() == expected
    listed = page.locator(f'#ring-list li[data-ring-id="{ring["ring_id"]}"] [data-testid=ring-commission]')
    assert listed.text_content() == f"{expected} commission"
    meaning = page.locator("[data-testid=score-meaning]")
    assert meaning.is_visible()
    text = " ".join(meaning.text_content().split())
    assert "probability that the ring is mostly fraudulent" in text
    assert "about eight in ten" in text and "ringwatch eval" in text and "calibration table" in text


def test_money_says_when_a_ring_mixes_currencies(page: Any, served: Served) -> None:
    """The one stubbed response: the market has a single currency, so the page is handed a ring
    whose orders mixed currencies (as the API reports them) to show how it says so."""
    ring = _dense_ring(served)
    commission = ring["metrics"]["commission_total"]

    def mixed(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        body["metrics"]["currency"] = "mixed"
        route.fulfill(response=response, json=body)

    page.route(f"**/rings/{ring['ring_id']}", mixed)
    _sign_in(page, served)
    _open_ring_by_hash(page, served, ring["ring_id"])
    assert page.locator('#ring-metrics [data-metric="commission_total"] dd').text_content() == (
        f"{commission:,.2f} (summed over mixed currencies)")


def test_the_account_view_shows_rings_risk_identifiers_and_a_drawn_neighbourhood(
        page: Any, served: Served) -> None:
    ring = _dense_ring(served)
    _sign_in(page, served)
    _open_ring_by_hash(page, served, ring["ring_id"])
    # Click a creator drawn in the ring's graph, then open its account from the selection.
    creator = page.evaluate("""() => {
      const node = window.ringwatchCy.nodes('[type = "creator"][!folded]').first();
      const at = node.renderedPosition();
      return { id: node.data("full"), x: at.x, y: at.y };
    }""")
    box = page.locator("#ring-graph").bounding_box()
    page.mouse.click(box["x"] + creator["x"], box["y"] + creator["y"])
    page.locator("#graph-selection [data-testid=open-account]").click()
    page.wait_for_selector(f'#account-graph[data-state="drawn"][data-owner="creator:{creator["id"]}"]')
    account = served.api("GET", f"/accounts/creator/{creator['id']}").json()
    assert page.locator("#account-name").text_content() == creator["id"]
    assert page.locator("#account-risk").text_content() == f"risk {score_text(account['risk'])}"
    listed = page.locator("#account-rings li[data-ring-id]")
    assert listed.count() == len(account["rings"]) >= 1
    assert page.locator(f'#account-rings li[data-ring-id="{ring["ring_id"]}"]').count() == 1
    hood = served.api("GET", f"/accounts/creator/{creator['id']}/neighbourhood").json()
    assert _drawn_members(page, "ringwatchAccountCy") == len(hood["nodes"]) > 1
    drawing = _drawing(page, "ringwatchAccountCy")
    assert [n["id"] for n in drawing["nodes"] if n["focus"]] == [f"creator:{creator['id']}"]
    _assert_readable(drawing)

    # Two hops reach the other creators of the ring: still drawn by the same rules.
    page.select_option("#account-hops", "2")
    page.wait_for_selector(f'#account-graph[data-state="drawn"][data-hops="2"]'
                           f'[data-owner="creator:{creator["id"]}"]')
    wide = served.api("GET", f"/accounts/creator/{creator['id']}/neighbourhood", params={"hops": 2}).json()
    assert _drawn_members(page, "ringwatchAccountCy") == len(wide["nodes"])
    _assert_readable(_drawing(page, "ringwatchAccountCy"))

    # A farm creator found by the search box: its shared identifiers, drawn concentric.
    page.select_option("#account-type", "creator")
    page.fill("#account-id", "farm2_c0")
    page.click("[data-testid=account-submit]")
    page.wait_for_selector('#account-graph[data-state="drawn"][data-owner="creator:farm2_c0"]')
    farm = served.api("GET", "/accounts/creator/farm2_c0").json()
    rows = page.locator("#account-identifiers [data-testid=account-identifier]")
    assert rows.count() == len(farm["identifiers"]) == 3
    for i, ident in enumerate(farm["identifiers"]):
        cells = rows.nth(i).locator("td")
        assert cells.nth(1).text_content() == ident["id"]
        assert cells.nth(2).text_content() == str(ident["shared_by"])
    assert page.locator("#account-rings li[data-ring-id]").count() == len(farm["rings"]) >= 1
    assert page.locator("#account-graph").get_attribute("data-layout") == "concentric"
    meaning = " ".join(page.locator("[data-testid=account-score-meaning]").text_content().split())
    assert "about eight in ten" in meaning
    _assert_readable(_drawing(page, "ringwatchAccountCy"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-account.png"), full_page=True)


def test_an_unknown_account_is_said_to_be_unknown(page_expecting_404: Any, served: Served) -> None:
    page = page_expecting_404
    _sign_in(page, served)
    page.click("#nav-accounts")
    page.select_option("#account-type", "buyer")
    page.fill("#account-id", "nobody_here")
    page.click("[data-testid=account-submit]")
    page.wait_for_selector("#account-missing:not([hidden])")
    assert page.locator("#account-missing").text_content() == (
        "No buyer with id nobody_here is known to this store.")
    assert page.locator("#account-detail").is_hidden()


def test_the_account_view_draws_how_two_accounts_are_connected(page: Any, served: Served) -> None:
    """farm2's creators share three identifiers: three two-hop paths, each drawn as a row."""
    _sign_in(page, served)
    page.click("#nav-accounts")
    page.fill("#account-id", "farm2_c0")
    page.click("[data-testid=account-submit]")
    page.wait_for_selector('#account-graph[data-state="drawn"][data-owner="creator:farm2_c0"]')
    page.select_option("#paths-type", "creator")
    page.fill("#paths-id", "farm2_c3")
    page.click("[data-testid=paths-submit]")
    page.wait_for_selector("[data-testid=path-row]")
    served_paths = served.api("GET", "/paths", params={"from": "creator:farm2_c0",
                                                       "to": "creator:farm2_c3"}).json()
    rows = page.locator("[data-testid=path-row]")
    assert rows.count() == len(served_paths["paths"]) == 3
    assert page.locator("[data-testid=paths-summary]").text_content() == "3 shortest paths of 2 hops"
    for i, path in enumerate(served_paths["paths"]):
        chips = rows.nth(i).locator("[data-testid=path-node]")
        assert chips.count() == len(path["nodes"]) == 3
        assert [n["label"] in chips.nth(k).text_content() for k, n in enumerate(path["nodes"])] == [
            True] * 3
        # Read in a row: each chip to the right of the last, none overlapping, all on screen.
        boxes = [chips.nth(k).bounding_box() for k in range(chips.count())]
        assert all(b is not None and b["width"] > 0 for b in boxes)
        assert all(a["x"] + a["width"] <= b["x"] for a, b in pairwise(boxes))
    # The identifier on each path says how many accounts use it (five farm creators).
    assert "(5 accounts)" in rows.nth(0).text_content()
    shot = page.locator("[data-testid=account-paths]").screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 2000  # drawn, not a blank box
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-paths.png").write_bytes(shot)


def test_a_path_to_an_unknown_account_says_it_is_unknown(page_expecting_404: Any,
                                                          served: Served) -> None:
    page = page_expecting_404
    _sign_in(page, served)
    page.click("#nav-accounts")
    page.fill("#account-id", "farm2_c0")
    page.click("[data-testid=account-submit]")
    page.wait_for_selector('#account-graph[data-state="drawn"][data-owner="creator:farm2_c0"]')
    page.fill("#paths-id", "nobody_at_all")
    page.click("[data-testid=paths-submit]")
    page.wait_for_selector("[data-testid=paths-missing]")
    assert page.locator("[data-testid=paths-missing]").text_content() == (
        "No creator with id nobody_at_all is known to this store.")


def test_selecting_an_identifier_or_a_shop_node_names_it_without_nulls(page: Any,
                                                                      served: Served) -> None:
    """The selection panel once read 'nullnull' for a node with no account link and no button."""
    _sign_in(page, served)
    top = served.api("GET", "/rings").json()["items"][0]["ring_id"]
    _open_ring(page, top)
    for node_type in ("payout_account", "device", "shop", "creator"):
        shown = page.evaluate("""(type) => {
          const node = window.ringwatchCy.nodes(`[type = "${type}"][!folded]`).first();
          if (node.empty()) return null;
          node.emit("tap");
          return { id: node.data("full"), text: document.querySelector("#graph-selection").textContent };
        }""", node_type)
        if shown is None:
            continue
        assert "null" not in shown["text"] and "undefined" not in shown["text"], shown
        assert shown["id"] in shown["text"]
