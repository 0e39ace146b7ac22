"""What a Neo4j database holds, as plain sorted data, for tests that compare two loads."""

from __future__ import annotations

from typing import Any

from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.store_settings import Neo4jSettings


def graph_contents(settings: Neo4jSettings) -> tuple[list[Any], list[Any]]:
    """Every node (labels, properties) and relationship (ends, type, properties), sorted.

    Snapshot generation markers and the projections kept for them are left out: each load's
    has its own id and times (the bulk load's tests compare the projections on their own).
    """
    with Neo4jStore(settings) as store, store._driver.session() as session:
        nodes = session.run("MATCH (n) WHERE NOT (n:SnapshotGeneration OR n:KeptProjection) "
                            "RETURN elementId(n) AS e, labels(n) AS labels, "
                            "properties(n) AS props").data()
        rels = session.run("MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, "
                           "properties(r) AS props, elementId(b) AS b").data()
    key = {n["e"]: (tuple(sorted(n["labels"])), n["props"].get("id")) for n in nodes}
    return (sorted((key[n["e"]], sorted(n["props"].items())) for n in nodes),
            sorted((key[r["a"]], r["type"], key[r["b"]], sorted(r["props"].items()))
                   for r in rels))
