"""The review page in a real browser: key, ring list, the ring's graph, a review, the audit trail.

Headless Chromium from Debian (``/usr/bin/chromium``), driven by Playwright,
opens ``/ui`` on the real app (uvicorn on a free loopback port, in a thread)
over a real local store holding a small market with known rings, two
detection runs and an investigator key. Nothing is stubbed between the page
and the store.

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
from pathlib import Path
from typing import Any

import httpx
import pytest
from ringwatch.api.app import create_app
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


def _add_markup_farm(market: Market) -> None:
    """Four creators on one payout account, device and phone; the first one's id is markup."""
    for creator in (EVIL_ID, "xss_c1", "xss_c2", "xss_c3"):
        market.creator(creator)
        for kind in ("payout_account", "device", "phone"):
            market.link("creator", creator, kind, f"xss_{kind}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real app over a local store with two weekly runs, served by uvicorn on loopback."""
    import uvicorn

    store = LocalStore(tmp_path_factory.mktemp("ui-store"))
    for name, market, now in (("week1", week1_market(), WEEK1), ("week2", week2_market(), WEEK2)):
        _add_markup_farm(market)
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


@pytest.fixture
def page(chromium: Any, served: Served) -> Iterator[Any]:
    """A fresh browser tab (new session storage) that fails the test on any script error."""
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error"
           and "status of 412" not in msg.text else None)
    yield tab
    context.close()
    assert errors == [], errors


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


def _drawn_nodes(page: Any) -> int:
    # page.evaluate runs over the DevTools protocol, so the page's CSP (no eval) does not block it.
    return page.evaluate("window.ringwatchCy.nodes().length")


def test_an_analyst_opens_the_top_ring_sees_its_graph_and_confirms_it(page: Any, served: Served) -> None:
    _sign_in(page, served)
    listed = page.locator("#ring-list li[data-ring-id]")
    api_page = served.api("GET", "/rings").json()
    assert listed.count() == len(api_page["items"]) > 0
    ring_id = listed.first.get_attribute("data-ring-id")
    assert ring_id == api_page["items"][0]["ring_id"]  # best first, as the API ranks them

    _open_ring(page, ring_id)
    graph = served.api("GET", f"/rings/{ring_id}/graph").json()
    assert _drawn_nodes(page) == len(graph["nodes"]) > 0
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
