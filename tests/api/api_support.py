"""What the HTTP API tests share: a small market with known rings, keys, a client wrapper.

The market is small (a background market, seven account farms of different
sizes, a collusion ring and a self-purchase case) so that loading it into
Neo4j takes about a second; week 2 adds a farm, grows one and allowlists
another's identifiers, so that a second run makes a new ring, changes a
score and dissolves a ring.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.auth import new_api_key
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import RunResult, run_detection
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot

from ..detectors.market import Market

WEEK1 = datetime(2026, 11, 1, tzinfo=UTC)
WEEK2 = datetime(2026, 11, 8, tzinfo=UTC)
ROLES = ("viewer", "investigator", "admin")
#: Farm name -> creators sharing its identifiers in week 1.
FARMS = {"farm0": 3, "farm1": 4, "farm2": 5, "farm3": 6, "farm4": 3, "farm5": 4, "farm6": 5}


def _farm(market: Market, name: str, size: int, *, start: int = 0) -> None:
    kinds = ("payout_account", "device", "phone") if int(name[-1]) % 2 == 0 else (
        "payout_account", "device")
    for i in range(start, start + size):
        creator = market.creator(f"{name}_c{i}")
        for kind in kinds:
            market.link("creator", creator, kind, f"{name}_{kind}")


def week1_market() -> Market:
    """The first week: background, farms, a collusion ring, a self-purchase case."""
    market = Market()
    market.background()
    for name, size in FARMS.items():
        _farm(market, name, size)
    market.plant_collusion(camouflage=False)
    market.plant_self_purchase()
    return market


def week2_market() -> Market:
    """A week later: a new big farm, farm1 grew by three, farm0's identifiers are allowlisted."""
    market = week1_market()
    _farm(market, "farm9", 8)
    _farm(market, "farm1", 3, start=FARMS["farm1"])
    for kind in ("payout_account", "device", "phone"):
        market.allow(kind, f"farm0_{kind}")
    return market


def make_key(store: GraphStore, role: str, label: str = "") -> str:
    """Create a key in ``store`` the way ``ringwatch keys create`` does; returns the secret."""
    secret, record = new_api_key(role, label)
    store.save_api_key(record)
    return secret


@dataclass
class Api:
    """A client of the app over one store, a key per role, and the first run."""

    client: TestClient
    store: GraphStore
    keys: dict[str, str]
    run: RunResult
    snapshots: dict[str, Snapshot]

    def headers(self, role: str | None = "admin", **extra: str) -> dict[str, str]:
        out = {"X-API-Key": self.keys[role]} if role else {}
        return {**out, **extra}

    def get(self, path: str, *, role: str | None = "admin", **kwargs: Any):
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.get(path, headers=headers, **kwargs)

    def post(self, path: str, *, role: str | None = "admin", **kwargs: Any):
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.client.post(path, headers=headers, **kwargs)

    def second_week(self) -> RunResult:
        """Load week 2 and run detection on it (as another process would)."""
        self.store.write_snapshot(self.snapshots["week2"])
        return run_detection(self.store, now=WEEK2)


@contextmanager
def serve_api(store: GraphStore, market_snapshots: dict[str, Snapshot], *,
              settings: ApiSettings | None = None, **app_options: Any) -> Iterator[Api]:
    """The app over ``store`` holding week 1 and its run, with a key per role.

    ``app_options`` go to :func:`~ringwatch.api.app.create_app` (a test's own
    detection run, say); ``settings`` replace the default ones (no ring cache).
    """
    store.write_snapshot(market_snapshots["week1"])
    run = run_detection(store, now=WEEK1)
    keys = {role: make_key(store, role, f"{role}-label") for role in ROLES}
    app = create_app(settings or ApiSettings(cache_seconds=0.0), store=store, **app_options)
    with TestClient(app) as client:
        yield Api(client, store, keys, run, market_snapshots)


def problem(response) -> dict[str, Any]:
    """The body of a problem response, after checking it is one."""
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "request_id"} <= set(body)
    assert body["status"] == response.status_code
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body
