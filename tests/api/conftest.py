"""Fixtures for the HTTP API tests: the app over each store, holding a market with known rings.

Every test that uses :func:`api` runs once per store (the parametrised
``store`` fixture of ``tests/conftest.py``): the real app over the real local
store and the real Neo4j.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot

from .api_support import ROLES, WEEK1, Api, make_key, week1_market, week2_market


@pytest.fixture(scope="session")
def market_snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    """Both weeks, validated once for the session."""
    out = {}
    for name, market in (("week1", week1_market()), ("week2", week2_market())):
        result = load_snapshot(market.write(tmp_path_factory.mktemp(name)))
        assert result.summary.quarantined == 0, result.summary.as_dict()
        out[name] = result.snapshot
    return out


@pytest.fixture
def api(store: GraphStore, market_snapshots: dict[str, Snapshot]) -> Iterator[Api]:
    """The app over ``store`` (each backend) holding week 1 and its run, with a key per role."""
    store.write_snapshot(market_snapshots["week1"])
    run = run_detection(store, now=WEEK1)
    keys = {role: make_key(store, role, f"{role}-label") for role in ROLES}
    app = create_app(ApiSettings(cache_seconds=0.0), store=store)
    with TestClient(app) as client:
        yield Api(client, store, keys, run, market_snapshots)
