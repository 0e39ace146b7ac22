"""Both stores implement every capability, with the capability's own signatures.

``isinstance`` against a ``runtime_checkable`` protocol only sees that the
names exist; the signature check below also catches a store method whose
parameters drifted from the documented contract (a renamed keyword, a lost
default), which a consumer typed against the protocol would trip over.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringwatch.graph import capabilities
from ringwatch.graph.capabilities import CAPABILITIES, DetectionStore, ReviewStore
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.store import GraphStore
from ringwatch.store_settings import Neo4jSettings


@pytest.fixture(params=["local", "neo4j"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A store object of each kind; the Neo4j one is never connected (the driver connects lazily)."""
    store: GraphStore = (LocalStore(tmp_path / "store") if request.param == "local"
                         else Neo4jStore(Neo4jSettings("bolt://127.0.0.1:9", password="unused")))
    yield store
    store.close()


def members(protocol: type) -> list[str]:
    """The names a protocol promises: its methods and attributes, its own and inherited ones."""
    names = set()
    for cls in protocol.__mro__:
        if cls in (object,) or cls.__name__ in ("Protocol", "Generic"):
            continue
        names |= {n for n in vars(cls) if not n.startswith("_")}
        names |= set(getattr(cls, "__annotations__", {}))
    return sorted(names)


def parameters(function: object) -> list[tuple[str, object, object]]:
    """A function's parameters after ``self``: name, kind and default."""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


@pytest.mark.parametrize("protocol", [*CAPABILITIES, DetectionStore, ReviewStore],
                         ids=lambda p: p.__name__)
def test_each_store_implements_the_capability(any_store: GraphStore, protocol: type) -> None:
    assert isinstance(any_store, protocol)
    for name in members(protocol):
        promised = getattr(protocol, name, None)
        if callable(promised):
            assert parameters(getattr(type(any_store), name)) == parameters(promised), name


def test_the_store_interface_is_the_capabilities_and_clear_and_close() -> None:
    offered = {n for n in vars(GraphStore) if not n.startswith("_")}
    promised = set().union(*(members(p) for p in CAPABILITIES))
    assert offered - promised == {"clear", "close"}
    assert promised - offered == set()


def test_a_protocol_refuses_an_object_without_the_capability(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    assert not isinstance(store.documents, capabilities.ProjectionSource)
    assert not isinstance(store.graph, capabilities.KeyStore)
