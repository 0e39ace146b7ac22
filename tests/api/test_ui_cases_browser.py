"""Cases on the review page in a real browser: from a ring to a case, an account added, the status changed.

The same real app, store and headless Chromium as tests/api/test_ui_browser.py
(its fixtures, imported); nothing is stubbed between the page and the store.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import test_ui_browser as ui
from .test_ui_browser import ARTIFACTS, Served, _open_ring, _sign_in

pytestmark = pytest.mark.browser

# The browser, the served app and a tab that fails on script errors: test_ui_browser's fixtures.
chromium = ui.chromium
served = ui.served
page = ui.page

TITLE = "payout account shared by <b>two</b> farms"
OUTCOME = "farm confirmed with payments, payouts frozen"


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, selector
    return box


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (inner["x"] >= outer["x"] - 1 and inner["y"] >= outer["y"] - 1
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1)


def _apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_an_investigator_makes_a_case_from_a_ring_adds_an_account_and_closes_it(
        page: Any, served: Served) -> None:
    _sign_in(page, served)
    ring_id = page.locator("#ring-list li[data-ring-id]").first.get_attribute("data-ring-id")
    _open_ring(page, ring_id)

    # Add to case, from the ring: a new case named by the investigator.
    page.click("[data-testid=ring-add-to-case]")
    page.wait_for_selector("#case-picker:not([hidden])")
    assert page.locator("#case-picker-what").text_content() == ring_id
    page.fill("#case-picker-title", TITLE)
    page.click("#case-picker-submit")
    page.wait_for_selector("#case-view:not([hidden]) #case-rings li[data-ring-id]")
    assert page.locator("#case-title").text_content() == TITLE  # markup shown as text
    assert page.locator("#case-title b").count() == 0
    case_id = page.locator("#case-id").text_content()
    assert page.url.endswith(f"#/cases/{case_id}")
    assert page.locator("#case-owner").text_content() == "analyst-ui"
    page.wait_for_selector(f'#case-list li[data-case-id="{case_id}"]')  # the list reloads after the save
    assert page.locator(f'#case-list li[data-case-id="{case_id}"]').count() == 1

    # Add to case, from an account: the case just made is offered and chosen.
    page.click("[data-testid=nav-accounts]")
    page.select_option("#account-type", "creator")
    page.fill("#account-id", "farm2_c0")
    page.click("[data-testid=account-submit]")
    page.wait_for_selector('#account-graph[data-state="drawn"][data-owner="creator:farm2_c0"]')
    page.click("[data-testid=account-add-to-case]")
    page.wait_for_selector("#case-picker:not([hidden])")
    page.select_option("#case-picker-case", case_id)
    assert page.locator("#case-picker-title").is_hidden()
    page.click("#case-picker-submit")
    page.wait_for_selector('#case-accounts li[data-account="creator:farm2_c0"]')
    assert page.locator("#case-version").text_content() == "2"

    # Status: waiting, then closed with an outcome; a note on the way.
    page.select_option("#case-status-select", "waiting")
    page.click("[data-testid=case-status-submit]")
    page.wait_for_selector("#case-status.case-waiting")
    page.fill("#case-note-text", "asked payments about the shared account")
    page.click("[data-testid=case-note-submit]")
    page.wait_for_selector("#case-notes li")
    page.select_option("#case-status-select", "closed")
    page.fill("#case-outcome-input", OUTCOME)
    page.click("[data-testid=case-status-submit]")
    page.wait_for_selector("#case-status.case-closed")
    assert page.locator("#case-outcome").text_content() == f"Outcome: {OUTCOME}"
    assert page.locator("#case-message").text_content() == "Saved (version 5)."
    page.wait_for_selector(f'#case-list li[data-case-id="{case_id}"] .badge.case-closed')
    assert "1 ring · 1 account" in page.locator(f'#case-list li[data-case-id="{case_id}"]').text_content()
    assert page.locator("#nav-cases.active").count() == 1 and page.locator(".tabs a.active").count() == 1

    # What the page shows is what the store holds, and every change was audited.
    case = served.api("GET", f"/cases/{case_id}").json()
    assert case["rings"] == [ring_id] and case["accounts"] == [{"type": "creator", "id": "farm2_c0"}]
    assert case["status"] == "closed" and case["outcome"] == OUTCOME and case["version"] == 5
    audit = served.api("GET", "/audit", params={"limit": 200}).json()["items"]
    assert [e["action"] for e in audit if e.get("case_id") == case_id] == [
        "case.open", "case.add_account", "case.status", "case.note", "case.status"]

    # The picture: the case and its parts are on screen, inside the case card, not on each other.
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-case.png"), full_page=True)
    card = _box(page, "#case-view")
    viewport = page.viewport_size
    assert card["x"] >= 0 and card["x"] + card["width"] <= viewport["width"]
    parts = {name: _box(page, selector) for name, selector in (
        ("title", "#case-title"), ("status", "#case-status"), ("rings", "#case-rings"),
        ("accounts", "#case-accounts"), ("notes", "#case-notes"), ("outcome", "#case-outcome"),
        ("status form", "#case-status-form"))}
    for name, box in parts.items():
        assert _inside(box, card), name
    assert _apart(parts["rings"], parts["accounts"])
    assert _apart(parts["title"], parts["status"])
    assert _apart(_box(page, "#case-list"), card)
    assert page.locator(f'#case-rings li[data-ring-id="{ring_id}"] a').is_visible()
    assert page.locator('#case-accounts li[data-account="creator:farm2_c0"] a').is_visible()
