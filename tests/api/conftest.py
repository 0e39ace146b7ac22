"""Fixtures for the HTTP API tests: the app over each store, holding a market with known rings.

Every test that uses :func:`api` runs once per store (the parametrised
``store`` fixture of ``tests/conftest.py``): the real app over the real local
store and the real Neo4j.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot

from .api_support import Api, serve_api, week1_market, week2_market


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
    with serve_api(store, market_snapshots) as served:
        yield served
