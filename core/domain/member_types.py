"""What Ringwatch knows about each account type and identifier type, as one table of data.

Adding an identifier type is one row of :data:`IDENTIFIER_TYPES`: the loader's
domain, the graph model's node labels, the Neo4j statements (generated from the
table by :mod:`ringwatch.cypher`), the detectors' default weights and caps
(``detectors/config.py``), the evidence wording, the report's and the page's
colours and plurals (the page reads them from ``GET /vocabulary``) all follow.
Before this table a type was spelled out in about seventeen places, and one left
out of the sharing caps had its links dropped without a word.

Code reads the table through :func:`identifier_types`, :func:`account_types`
and their lookups, never by copying it at import time: a test that adds a type
(``monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", ...)``) is then seen
everywhere, as a new row would be.

Examples
--------
>>> [t.name for t in identifier_types()]
['device', 'ip', 'payout_account', 'phone', 'email']
>>> identifier_type("ip").label, identifier_type("ip").plural, identifier_type("ip").neo4j_label
('IP', 'IPs', 'IP')
>>> [t.name for t in identifiers_by_strength()]
['payout_account', 'phone', 'device', 'email', 'ip']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_LABEL = re.compile(r"[A-Z][A-Za-z0-9]*")
_COLOUR = re.compile(r"#[0-9a-f]{6}")


@dataclass(frozen=True)
class AccountTypeInfo:
    """A marketplace account type: its contract name and how it is shown and stored.

    ``uses_identifiers``: accounts of this type appear in ``identity_links``
    (a shop uses none: its seller does).
    """

    name: str
    label: str
    plural: str
    neo4j_label: str
    colour: str
    uses_identifiers: bool


@dataclass(frozen=True)
class IdentifierTypeInfo:
    """An identifier type accounts use and may share, with the defaults the detectors start from.

    ``evidence_weight``: what one identifier of this type shared by exactly two
    accounts says about their being one operator (``IdentityConfig.type_weights``).
    ``personal_sharing``: up to this many accounts it is still personal (full
    weight per pair); ``sharing_cap``: beyond this many it is a hub and says
    nothing (``IdentityConfig.max_sharing``). ``everyday``: shared every day by
    households, offices and carriers (NAT), so it only ever corroborates: left
    out of the types that make a buyer the creator, absorb an account into a
    group or count as lockstep on their own, and used for lockstep joins instead.
    """

    name: str
    label: str
    plural: str
    neo4j_label: str
    colour: str
    evidence_weight: float
    personal_sharing: int
    sharing_cap: int
    everyday: bool = False


#: Account types, in the order the API, the report and the page list them.
ACCOUNT_TYPES: tuple[AccountTypeInfo, ...] = (
    AccountTypeInfo("creator", "creator", "creators", "Creator", "#d1495b", uses_identifiers=True),
    AccountTypeInfo("shop", "shop", "shops", "Shop", "#2e86ab", uses_identifiers=False),
    AccountTypeInfo("seller", "seller", "sellers", "Seller", "#1b3a5c", uses_identifiers=True),
    AccountTypeInfo("buyer", "buyer", "buyers", "Buyer", "#66a182", uses_identifiers=True),
)

#: Identifier types, in the order the contract, legends and Neo4j statements list them.
#: Weights: a payout account is where the money goes, so sharing it is the strongest tell; a
#: phone (SIM, verification number) and a device (hardware fingerprint) are personal; an email
#: is personal but cheap to share in a household; an IP is shared by whole offices, homes and
#: carriers. Personal sharing: one person, a household or one operator's handful of accounts;
#: money gets a wider allowance (ten accounts paid into one payout account off the allowlist
#: are one purse). Caps: beyond them an identifier is a hub (carrier NAT, aggregator, shared
#: studio kit); phone farms run tens of accounts per device, hence the device allowance.
IDENTIFIER_TYPES: tuple[IdentifierTypeInfo, ...] = (
    IdentifierTypeInfo("device", "device", "devices", "Device", "#8d6a9f",
                       evidence_weight=0.6, personal_sharing=4, sharing_cap=60),
    IdentifierTypeInfo("ip", "IP", "IPs", "IP", "#9a9a9a",
                       evidence_weight=0.15, personal_sharing=2, sharing_cap=40, everyday=True),
    IdentifierTypeInfo("payout_account", "payout account", "payout accounts", "PayoutAccount",
                       "#edae49", evidence_weight=1.0, personal_sharing=10, sharing_cap=60),
    IdentifierTypeInfo("phone", "phone", "phones", "Phone", "#f28482",
                       evidence_weight=0.7, personal_sharing=4, sharing_cap=60),
    IdentifierTypeInfo("email", "email", "emails", "Email", "#00a6a6",
                       evidence_weight=0.5, personal_sharing=3, sharing_cap=30),
)


class VocabularyError(ValueError):
    """The type table itself is inconsistent (a duplicate name, a bad label or colour, a cap below 2)."""


def account_types() -> tuple[AccountTypeInfo, ...]:
    """Every account type, in table order."""
    return ACCOUNT_TYPES


def identifier_types() -> tuple[IdentifierTypeInfo, ...]:
    """Every identifier type, in table order."""
    return IDENTIFIER_TYPES


def linked_account_types() -> tuple[AccountTypeInfo, ...]:
    """The account types that use identifiers (``identity_links.account_type``)."""
    return tuple(t for t in account_types() if t.uses_identifiers)


def identifiers_by_strength() -> tuple[IdentifierTypeInfo, ...]:
    """Identifier types from the strongest evidence of one operator to the weakest (ties: table order).

    The order a crowded picture keeps members in, and the order of the detectors'
    per-type defaults.
    """
    return tuple(sorted(identifier_types(), key=lambda t: -t.evidence_weight))


def identifier_type(name: str) -> IdentifierTypeInfo:
    """The row of identifier type ``name``; ``KeyError`` naming the known types otherwise."""
    for row in identifier_types():
        if row.name == name:
            return row
    raise KeyError(f"unknown identifier type {name!r}; known: "
                   f"{', '.join(t.name for t in identifier_types())}")


def is_identifier_type(name: str) -> bool:
    """Whether ``name`` is a registered identifier type."""
    return name in _names(identifier_types())


def is_account_type(name: str) -> bool:
    """Whether ``name`` is a registered account type."""
    return name in _names(account_types())


#: The names of a table's rows, by the table's identity: asked once per ring member (tens of
#: thousands of times a run), a scan of the rows cost a run 0.1 s; the table itself may be
#: swapped (a test registers a type), so a set is kept per table object, with the object.
_NAMES: dict[int, tuple[tuple[AccountTypeInfo | IdentifierTypeInfo, ...], frozenset[str]]] = {}


def _names(rows: tuple[AccountTypeInfo, ...] | tuple[IdentifierTypeInfo, ...]) -> frozenset[str]:
    held = _NAMES.get(id(rows))
    if held is None or held[0] is not rows:
        held = _NAMES[id(rows)] = (rows, frozenset(t.name for t in rows))
    return held[1]


def type_row(name: str) -> AccountTypeInfo | IdentifierTypeInfo | None:
    """The row of a member type (account or identifier), or ``None`` for an unknown word."""
    return next((t for t in (*account_types(), *identifier_types()) if t.name == name), None)


def check_table() -> None:
    """Raise :class:`VocabularyError` when the table cannot be used as is.

    Names are the contract's words (lower case), Neo4j labels are generated into
    statements, so both must be plain identifiers; every identifier type needs a
    sharing cap above its personal sharing (a cap of 0 would drop its links).
    """
    rows = (*account_types(), *identifier_types())
    problems = []
    for field_name in ("name", "neo4j_label"):
        values = [getattr(t, field_name) for t in rows]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            problems.append(f"duplicate {field_name}: {', '.join(dupes)}")
    for t in rows:
        if not _NAME.fullmatch(t.name):
            problems.append(f"{t.name!r}: a name is lower case letters, digits and _")
        if not _LABEL.fullmatch(t.neo4j_label):
            problems.append(f"{t.name}: Neo4j label {t.neo4j_label!r} is not CamelCase letters")
        if not _COLOUR.fullmatch(t.colour):
            problems.append(f"{t.name}: colour {t.colour!r} is not #rrggbb")
    for t in identifier_types():
        if not 2 <= t.personal_sharing < t.sharing_cap:
            problems.append(f"{t.name}: needs 2 <= personal_sharing < sharing_cap, got "
                            f"{t.personal_sharing} and {t.sharing_cap}")
        if not 0.0 < t.evidence_weight <= 1.0:
            problems.append(f"{t.name}: evidence_weight {t.evidence_weight} is not in (0, 1]")
    if problems:
        raise VocabularyError("the member type table is inconsistent: " + "; ".join(problems))
