"""The graph model of docs/contract.md: node labels, relationship types and how snapshot tables map onto them.

Both stores describe themselves with these names (``GraphStore.counts``), so a
count in the local store and a count in Neo4j mean the same thing.
"""

from __future__ import annotations

ACCOUNT_LABELS: dict[str, str] = {"creator": "Creator", "seller": "Seller", "buyer": "Buyer",
                                  "shop": "Shop"}
IDENTIFIER_LABELS: dict[str, str] = {
    "device": "Device",
    "ip": "IP",
    "payout_account": "PayoutAccount",
    "phone": "Phone",
    "email": "Email",
}

NODE_LABELS: tuple[str, ...] = (
    "Creator", "Shop", "Seller", "Buyer", "Order", "Commission", "Agency",
    *IDENTIFIER_LABELS.values(),
    "Violation", "AllowlistEntry",
)

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
