"""The graph model of docs/contract.md: node labels, relationship types and how snapshot tables map onto them.

Both stores describe themselves with these names (``GraphStore.counts``), so a
count in the local store and a count in Neo4j mean the same thing.

The labels of accounts and identifiers come from the domain's type table
(:mod:`ringwatch.domain.member_types`) and are read when asked for, so a type added
there (or by a test) is a node label here too.
"""

from __future__ import annotations

from ringwatch.domain import account_types, identifier_types


def account_labels() -> dict[str, str]:
    """Each account type's node label, by type (``{"creator": "Creator", ...}``)."""
    return {t.name: t.neo4j_label for t in account_types()}


def identifier_labels() -> dict[str, str]:
    """Each identifier type's node label, by type (``{"device": "Device", "ip": "IP", ...}``)."""
    return {t.name: t.neo4j_label for t in identifier_types()}


def member_labels() -> dict[str, str]:
    """The node label of every type a ring member can have: accounts, then identifiers."""
    return {**account_labels(), **identifier_labels()}


def node_labels() -> tuple[str, ...]:
    """Every node label a snapshot makes, in the order counts list them."""
    return (*account_labels().values(), "Order", "Commission", "Agency",
            *identifier_labels().values(), "Violation", "AllowlistEntry")

RELATIONSHIP_TYPES: tuple[str, ...] = (
    "OWNS",  # (:Seller)-[:OWNS]->(:Shop)
    "USES",  # (account)-[:USES {first_seen, last_seen, events}]->(identifier)
    "PLACED",  # (:Buyer)-[:PLACED]->(:Order)
    "FROM",  # (:Order)-[:FROM]->(:Shop)
    "ATTRIBUTED_TO",  # (:Order)-[:ATTRIBUTED_TO]->(:Creator)
    "EARNED",  # (:Creator)-[:EARNED]->(:Commission)
    "FOR",  # (:Commission)-[:FOR]->(:Order)
    "PROMOTES",  # (:Creator)-[:PROMOTES {commission_rate, started_at}]->(:Shop)
    "MEMBER_OF",  # (:Creator)-[:MEMBER_OF]->(:Agency)
    "COMMITTED",  # (:Creator)-[:COMMITTED]->(:Violation)
)

#: The property every node made from a table row is keyed by (its contract id, or the
#: ``|``-joined key for violations and allowlist entries): Ringwatch's own, never a column's.
NODE_KEY = "id"

#: The snapshot tables whose rows become nodes keyed by :data:`NODE_KEY`; the rows of the
#: others (identity_links, affiliations) become relationships, which have no key property.
NODE_TABLES: frozenset[str] = frozenset(
    {"creators", "shops", "orders", "commissions", "violations", "allowlist"})
