"""The Neo4j ingest's CREATE path: which keys count as new, and that it never duplicates.

A row whose key named no node when the load began is CREATEd
(``cypher/ingest_*.cypher``); every other row is MERGEd as before. These tests
prove the choice on the real server: new and known keys are told apart (a ring
member's placeholder node counts as known), a disjoint second load adds exactly
its own graph, and a batch of CREATEs whose keys exist after all (a retry, or
another load) runs as its MERGE twin instead of failing or duplicating; and
sessions writing side by side in lanes make the very graph one session makes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringwatch.domain import Ring, Run, identifier_types
from ringwatch.graph import neo4j_ingest
from ringwatch.graph.model import RELATIONSHIP_TYPES
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot
from ringwatch.store_settings import Neo4jSettings

from .neo4j_contents import graph_contents
from .small_snapshots import write_small_snapshot

pytestmark = pytest.mark.neo4j


@pytest.fixture
def neo4j(neo4j_session_store: GraphStore) -> Neo4jStore:
    neo4j_session_store.clear()
    assert isinstance(neo4j_session_store, Neo4jStore)
    return neo4j_session_store


def _snapshot(tmp_path: Path, prefix: str, creators: int = 10) -> Snapshot:
    directory = write_small_snapshot(tmp_path / prefix, prefix=prefix, creators=creators)
    return load_snapshot(directory, quarantine_dir=tmp_path / f"{prefix}q").snapshot


@pytest.fixture(params=["label read whole", "each key sought"])
def key_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the ingest asks which keys exist: a label with few nodes next to the keys
    asked is read whole, any other has each key sought in its index."""
    if request.param == "each key sought":
        monkeypatch.setattr(neo4j_ingest, "READ_WHOLE", 0)
    return str(request.param)


def test_every_key_is_new_to_an_empty_store_and_none_after_its_load(
        neo4j: Neo4jStore, tmp_path: Path, key_check: str) -> None:
    a = _snapshot(tmp_path, "a_")
    before = neo4j_ingest.new_keys(neo4j._run, a)
    assert all(before[name].all() for name in ("creators", "shops", "orders", "commissions",
                                               "identity_links"))
    assert not before["allowlist"].any()  # no owner: always MERGEd
    neo4j.write_snapshot(a)
    after = neo4j_ingest.new_keys(neo4j._run, a)
    assert not any(mask.any() for mask in after.values())
    b = neo4j_ingest.new_keys(neo4j._run, _snapshot(tmp_path, "b_"))
    assert b["orders"].all() and b["identity_links"].all()


def test_a_ring_members_placeholder_is_a_known_key(neo4j: Neo4jStore, tmp_path: Path,
                                                   key_check: str) -> None:
    a = _snapshot(tmp_path, "a_")
    creator = str(a["creators"]["creator_id"].iloc[0])
    neo4j.save_run(Run("run-1"), [Ring.from_json({
        "ring_id": "R-1", "kind": "identity_ring", "score": 0.9, "status": "new",
        "members": [{"type": "creator", "id": creator}], "evidence": [], "metrics": {}})])
    new = neo4j_ingest.new_keys(neo4j._run, a)
    known = (a["creators"]["creator_id"] == creator).to_numpy()
    assert not new["creators"][known].any() and new["creators"][~known].all()
    links = a["identity_links"]
    linked = ((links["account_type"] == "creator") & (links["account_id"] == creator)).to_numpy()
    assert not new["identity_links"][linked].any()
    neo4j.write_snapshot(a)  # the placeholder is MERGEd into: one node, with its properties
    assert neo4j.counts()["Creator"] == len(a["creators"])


def _total(counts: dict[str, int]) -> int:
    return sum(counts[name] for name in RELATIONSHIP_TYPES)


def test_a_disjoint_second_load_adds_exactly_its_own_graph(
        neo4j: Neo4jStore, tmp_path: Path, neo4j_session_store: GraphStore) -> None:
    a, b = _snapshot(tmp_path, "a_", creators=8), _snapshot(tmp_path, "b_", creators=12)
    neo4j.write_snapshot(b)
    only_b = neo4j.counts()
    neo4j.clear()
    neo4j.write_snapshot(a)
    only_a = neo4j.counts()
    neo4j.write_snapshot(b)
    both = neo4j.counts()
    assert both == {name: only_a[name] + only_b[name] for name in both}
    assert _total(both) > _total(only_a) > 0
    neo4j.write_snapshot(b)  # and again: every key known, MERGEd, nothing added
    assert neo4j.counts() == both


@pytest.mark.parametrize(("fast", "safe"), [("ingest_creators", "write_creators"),
                                            ("ingest_orders", "write_orders")])
def test_creates_whose_keys_exist_run_as_their_merge_twin(
        neo4j: Neo4jStore, tmp_path: Path, fast: str, safe: str) -> None:
    a = _snapshot(tmp_path, "a_")
    neo4j.write_snapshot(a)
    counts = neo4j.counts()
    table = fast.removeprefix("ingest_")
    rows = neo4j_ingest._rows(a[table], table)
    # As if the load had found these keys new, but they exist (a lost commit reply, another load).
    neo4j._run(fast, mode="write", retry_as=safe, rows=rows)
    assert neo4j.counts() == counts


def test_new_accounts_on_known_identifiers_link_to_the_one_identifier_node(
        neo4j: Neo4jStore, tmp_path: Path, key_check: str) -> None:
    # A new account's identifier that a previous load wrote is linked to, never copied.
    a, b = _snapshot(tmp_path, "a_", creators=8), _snapshot(tmp_path, "b_", creators=8)
    neo4j.write_snapshot(a)
    before = neo4j.counts()
    links = b["identity_links"].copy()
    shared = a["identity_links"].drop_duplicates(["identifier_type", "identifier"])
    take = min(len(links), len(shared))
    links.loc[links.index[:take], "identifier_type"] = shared["identifier_type"].to_numpy()[:take]
    links.loc[links.index[:take], "identifier"] = shared["identifier"].to_numpy()[:take]
    links = links.drop_duplicates(["account_type", "account_id", "identifier_type", "identifier"])
    b = Snapshot({**{name: b[name] for name in b.tables}, "identity_links": links})
    assert neo4j_ingest.new_keys(neo4j._run, b)["identity_links"].all()
    neo4j.write_snapshot(b)
    after = neo4j.counts()
    assert after["USES"] == before["USES"] + len(links)
    new_identifiers = links.drop_duplicates(["identifier_type", "identifier"])
    known = new_identifiers["identifier"].isin(shared["identifier"]).sum()
    identifier_labels = [t.neo4j_label for t in identifier_types()]
    assert (sum(after.get(label, 0) for label in identifier_labels)
            == sum(before.get(label, 0) for label in identifier_labels)
            + len(new_identifiers) - known)
    neo4j.write_snapshot(b)  # again: all MERGEd, nothing added
    assert neo4j.counts() == after



def test_sessions_writing_in_lanes_make_the_graph_one_session_makes(
        neo4j: Neo4jStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = _snapshot(tmp_path, "a_", creators=30)
    settings = Neo4jSettings.from_env()
    with Neo4jStore(settings, batch_size=7, ingest_workers=1) as one:
        one.write_snapshot(a)
    expected = graph_contents(settings)
    assert expected[0] and expected[1]
    neo4j.clear()
    phases: list[int] = []
    lanes = neo4j_ingest.lanes

    def counted(*args: object, **kwargs: object) -> list:
        out = lanes(*args, **kwargs)  # type: ignore[arg-type]
        phases.append(sum(len(phase) > 1 for phase in out))
        return out

    monkeypatch.setattr(neo4j_ingest, "lanes", counted)
    with Neo4jStore(settings, batch_size=7, ingest_workers=3) as three:
        three.write_snapshot(a)  # every key new: the CREATE statements, in lanes
        assert sum(phases) > 0  # some phases really ran sessions side by side
        assert graph_contents(settings) == expected
        three.write_snapshot(a)  # every key known: the MERGE statements, in lanes
    assert graph_contents(settings) == expected
