"""Shared fixtures: the two stores (one parametrised fixture), snapshots good and bad.

The Neo4j store runs against the real server that ``scripts/test.sh`` starts.
Outside CI a missing server skips those tests with a reason; in CI (``CI=true``)
or with ``RINGWATCH_REQUIRE_NEO4J=1`` it fails them, so they can never be
skipped silently where it matters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore

from .snapshots import write_bad_snapshot, write_generated_snapshot


def _neo4j_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "RINGWATCH_REQUIRE_NEO4J", "") == "1"


@pytest.fixture(scope="session")
def neo4j_session_store() -> Iterator[GraphStore]:
    """One connection to the real Neo4j for the whole session."""
    from ringwatch.graph.neo4j_store import Neo4jStore
    from ringwatch.store_settings import Neo4jSettings

    try:
        store = Neo4jStore(Neo4jSettings.from_env())
        store.verify()
    except Exception as exc:
        message = (f"Neo4j is not reachable ({exc}); start it with "
                   "tools/neo4j_launcher/neo4jctl start, or run bash scripts/test.sh")
        if _neo4j_required():
            pytest.fail(message)
        pytest.skip(message)
    yield store
    store.close()


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """An empty store of each backend: every test using it runs once per store."""
    if request.param == "local":
        yield LocalStore(tmp_path / "store")
        return
    neo4j = request.getfixturevalue("neo4j_session_store")
    neo4j.clear()
    yield neo4j


@pytest.fixture(scope="session")
def generated_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated marketplace (every typology and hard negative planted)."""
    return write_generated_snapshot(tmp_path_factory.mktemp("generated"), scale=0.2)


@pytest.fixture
def bad_snapshot(tmp_path: Path) -> Path:
    """A tiny snapshot holding every kind of bad row docs/contract.md names."""
    return write_bad_snapshot(tmp_path / "bad")
