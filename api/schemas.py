"""The API's request and response bodies (pydantic v2), with examples for ``/docs``.

Rings, runs and audit entries are JSON documents written by the detectors and
the stores, and docs/contract.md only ever grows them, so the response models
declare what the API promises and let additional fields through
(``extra="allow"``) instead of failing on a newer document.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ringwatch.domain import (
    LINKED_ACCOUNT_TYPES,
    RING_STATUSES,
    IdentifierType,
    RingKindInfo,
    account_types,
    identifier_types,
    ring_kinds,
)
from ringwatch.domain import AccountType as _AccountType
from ringwatch.domain import ReviewAction as _ReviewAction
from ringwatch.domain import RingKind as _RingKind

RING_ID_EXAMPLE = "R-7f3a09c2e1b4"
RUN_ID_EXAMPLE = "run-20261120T000000Z-a1b2c3"
#: The ring kind and identifier type the examples show (values from the domain's vocabulary).
_KIND_EXAMPLE = _RingKind.IDENTITY_RING.value
_DEVICE = IdentifierType.DEVICE.value
STAMP_EXAMPLE = "2026-11-20T00:00:00Z"


class _Open(BaseModel):
    """A response document that may carry more fields than declared."""

    model_config = ConfigDict(extra="allow")



def _api_enum(name: str, values: Iterable[str], doc: str) -> type[Enum]:
    """An enum of the API named after its values (``ReviewAction.confirm``), from the domain's enum.

    The API's enums keep their own member names (lower case, as the values),
    and OpenAPI lists their values; deriving them from :mod:`ringwatch.domain`
    means a kind, status or action added there is accepted here unchanged, and
    any other value is a 422 instead of an empty list that looks like "no such rings".
    """
    enum = Enum(name, {value: value for value in values}, type=str)
    enum.__doc__ = doc
    return enum


#: What a ring's ``kind`` filter accepts: every :class:`ringwatch.domain.RingKind`.
RingKind = _api_enum("RingKind", _RingKind, "A kind of ring, as the detectors name it.")

#: Every :class:`ringwatch.domain.AccountType`, in the order OpenAPI has always listed them
#: (the accounts that use identifiers, then shops).
_ACCOUNT_ORDER = (*LINKED_ACCOUNT_TYPES, _AccountType.SHOP)

#: An account's path type.
AccountType = _api_enum("AccountType", _ACCOUNT_ORDER, "A kind of marketplace account.")

#: Every type a ring member can have: an account type or an identifier type (device, ip, ...).
MEMBER_TYPES: tuple[str, ...] = (*_ACCOUNT_ORDER, *IdentifierType)

#: ``type:id`` with a known member type; an unknown type is a 422, not an empty list.
MEMBER_PATTERN = rf"^({'|'.join(map(re.escape, MEMBER_TYPES))}):.+$"


ReviewAction = _api_enum("ReviewAction", _ReviewAction, "What a reviewer decided.")

#: Ring statuses a list can be filtered by (:data:`ringwatch.domain.RING_STATUSES`); ``all``
#: lifts the filter.
StatusFilter = _api_enum("StatusFilter", (*RING_STATUSES, "all"),
                         "Ring statuses a list can be filtered by; ``all`` lifts the filter.")


class RingSort(str, Enum):
    """``score``: highest score first; ``recent``: most recently first detected first."""

    score = "score"
    recent = "recent"


class GraphFormat(str, Enum):
    """JSON for the review page; GraphML and GEXF for Gephi and other graph tools."""

    json = "json"
    graphml = "graphml"
    gexf = "gexf"


class Member(_Open):
    type: str = Field(description="An account type (creator, shop, seller, buyer) or an identifier "
                      "type (device, ip, payout_account, phone, email).")
    id: str = Field(description="The id as the marketplace gave it (opaque).")


class Evidence(_Open):
    code: str
    text: str = Field(description="What a reviewer can check in the graph.")
    weight: float


class HistoryEntry(_Open):
    run_id: str
    at: str | None = None
    score: float | None = None
    accounts: int | None = None
    commission_total: float | None = Field(None, description="The ring's commission then (newer runs).")
    currency: str | None = None
    orders: int | None = None


class Lineage(_Open):
    split_from: list[str] = Field(default_factory=list)
    merged_from: list[str] = Field(default_factory=list)
    became: list[str] = Field(default_factory=list)


class Review(_Open):
    """One review of a ring, as recorded on the ring."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "action": "confirm", "note": "same payout account as R-11", "actor": "alice",
        "at": STAMP_EXAMPLE}]})

    action: str
    note: str = ""
    actor: str
    at: str


class ReviewRequest(BaseModel):
    """A reviewer's decision on a ring."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "action": "confirm", "note": "four creators cash out to one payout account"}]})

    action: ReviewAction
    note: str = Field("", max_length=4000, description="Why; kept on the ring and in the audit log.")


class RingSummary(_Open):
    """A ring in a list: enough to triage it without opening it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "ring_id": RING_ID_EXAMPLE, "kind": _KIND_EXAMPLE, "score": 0.93, "status": "new",
        "first_detected": STAMP_EXAMPLE, "last_seen_run": RUN_ID_EXAMPLE,
        "metrics": {"creators": 4, "commission_total": 1830.5, "refund_rate": 0.62},
        "accounts": 6, "top_evidence": "4 creators logged in from device d_55"}]})

    ring_id: str
    kind: str
    score: float
    status: str
    first_detected: str | None = None
    last_seen_run: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    accounts: int = Field(description="Account members (creators, shops, sellers, buyers).")
    top_evidence: str | None = Field(None, description="Text of the strongest evidence item.")


class Overlap(_Open):
    """Another open ring that holds some of this ring's accounts."""

    ring_id: str
    kind: str
    status: str
    score: float
    shared_accounts: int = Field(description="How many accounts the two rings share.")


class Ring(_Open):
    """A whole ring: members, metrics, evidence, history, lineage and reviews."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "ring_id": RING_ID_EXAMPLE, "kind": _KIND_EXAMPLE, "score": 0.93, "status": "confirmed",
        "review_status": "confirmed", "version": 1,
        "members": [{"type": "creator", "id": "c_102"}, {"type": _DEVICE, "id": "d_55"}],
        "metrics": {"creators": 4, "commission_total": 1830.5},
        "evidence": [{"code": "shared_device", "text": "4 creators logged in from device d_55",
                      "weight": 0.4}],
        "first_detected": STAMP_EXAMPLE, "run_id": RUN_ID_EXAMPLE, "last_seen_run": RUN_ID_EXAMPLE,
        "history": [{"run_id": RUN_ID_EXAMPLE, "at": STAMP_EXAMPLE, "score": 0.93, "accounts": 4}],
        "lineage": {"split_from": [], "merged_from": [], "became": []},
        "reviews": [{"action": "confirm", "note": "same device", "actor": "alice",
                     "at": STAMP_EXAMPLE}],
        "note": None}]})

    ring_id: str
    kind: str
    score: float
    status: str
    review_status: str | None = None
    version: int = Field(0, description="Bumped by every review; the ETag and If-Match value.")
    members: list[Member] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    first_detected: str | None = None
    run_id: str | None = None
    last_seen_run: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    lineage: Lineage = Field(default_factory=Lineage)
    reviews: list[Review] = Field(default_factory=list)
    reviewed_members: list[str] | None = Field(
        None, description="The ring's accounts (type:id) when it was last reviewed.")
    note: str | None = Field(None, description="Set by a run, e.g. 'grew since dismissed'.")
    overlaps: list[Overlap] = Field(default_factory=list, description=(
        "Open rings (new, confirmed, escalated) other than this one that share accounts with it, "
        "the most shared first (at most 100)."))


class RingPage(BaseModel):
    """One page of rings as of the pinned run; follow ``next_cursor`` for the next."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [RingSummary.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
        "next_cursor": "eyJydW4iOiAi...", "as_of_run": RUN_ID_EXAMPLE}]})

    items: list[RingSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end.")
    as_of_run: str | None = Field(description="The run the listing is pinned to (null before any run).")


class GraphNode(_Open):
    id: str = Field(description="'type:id'")
    type: str
    label: str
    flagged: bool = True


class GraphEdge(_Open):
    source: str
    target: str
    type: str = Field(description="USES, TRADES, BOUGHT or OWNS")
    weight: float | None = None
    label: str | None = None


class RingGraph(BaseModel):
    """A ring's members and the edges among them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "nodes": [{"id": "creator:c_102", "type": "creator", "label": "c_102", "flagged": True},
                  {"id": f"{_DEVICE}:d_55", "type": _DEVICE, "label": "d_55", "flagged": True}],
        "edges": [{"source": "creator:c_102", "target": f"{_DEVICE}:d_55", "type": "USES",
                   "weight": 3.0, "label": "3 events", "events": 3}],
        "truncated": False}]})

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool


class Identifier(_Open):
    type: str
    id: str
    shared_by: int = Field(description="How many distinct accounts use this identifier (this one "
                           "included).")


class Account(BaseModel):
    """One account: its rings and how risky they make it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "type": "creator", "id": "c_102", "risk": 0.93,
        "rings": [RingSummary.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
        "identifiers": [{"type": _DEVICE, "id": "d_55", "shared_by": 4}]}]})

    type: str
    id: str
    risk: float = Field(description="Highest score of the account's open rings; 0 if none.")
    rings: list[RingSummary]
    identifiers: list[Identifier]


class NeighbourNode(_Open):
    id: str = Field(description="'type:id'")
    type: str
    label: str
    flagged: bool = Field(description="The node belongs to an open ring.")


class NeighbourEdge(_Open):
    source: str
    target: str
    type: str


class Neighbourhood(BaseModel):
    """Nodes and edges around an account."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "nodes": [{"id": "creator:c_102", "type": "creator", "label": "c_102", "flagged": True},
                  {"id": f"{_DEVICE}:d_55", "type": _DEVICE, "label": "d_55", "flagged": True}],
        "edges": [{"source": "creator:c_102", "target": f"{_DEVICE}:d_55", "type": "USES"}],
        "truncated": False}]})

    nodes: list[NeighbourNode]
    edges: list[NeighbourEdge]
    truncated: bool


#: ``type:id`` of an account (creator, shop, seller, buyer): the ends of a path.
ACCOUNT_PATTERN = rf"^({'|'.join(map(re.escape, _ACCOUNT_ORDER))}):.+$"


class PathNode(BaseModel):
    """One node of a path: an account or an identifier; a hub is used by many and proves little."""

    id: str = Field(description="'type:id'")
    type: str
    label: str
    hub: bool = Field(description="More than the search's per-node limit of neighbours: a "
                      "carrier NAT, a payment aggregator, a busy shop. Not walked through; a path "
                      "through it is weak evidence.")
    shared_by: int | None = Field(None, description="For an identifier: how many accounts use it.")
    flagged: bool = Field(description="A member of an open ring.")


class PathHop(_Open):
    """One edge of a path, in the graph's direction, with its numbers (events, orders, money)."""

    source: str
    target: str
    type: str = Field(description="USES, TRADES, BOUGHT or OWNS")
    label: str | None = Field(None, description="What the edge holds, in words ('3 orders').")


class AccountPath(BaseModel):
    """One shortest path: its nodes from one account to the other, and the hop between each two."""

    nodes: list[PathNode]
    hops: list[PathHop]


class Paths(BaseModel):
    """How two accounts are connected: every shortest path found (up to a limit), hop by hop."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "source": "creator:c_102", "target": "creator:c_7", "length": 2, "complete": True,
        "reason": None,
        "paths": [{"nodes": [
            {"id": "creator:c_102", "type": "creator", "label": "c_102", "hub": False,
             "shared_by": None, "flagged": True},
            {"id": f"{_DEVICE}:d_55", "type": _DEVICE, "label": "d_55", "hub": False,
             "shared_by": 2, "flagged": True},
            {"id": "creator:c_7", "type": "creator", "label": "c_7", "hub": False,
             "shared_by": None, "flagged": False}],
            "hops": [{"source": "creator:c_102", "target": f"{_DEVICE}:d_55", "type": "USES",
                      "label": "3 events", "events": 3},
                     {"source": "creator:c_7", "target": f"{_DEVICE}:d_55", "type": "USES",
                      "label": "1 event", "events": 1}]}]}]})

    source: str
    target: str
    length: int | None = Field(description="Hops of the shortest paths; null when none was found.")
    complete: bool = Field(description="False when the time limit stopped the search first.")
    reason: str | None = Field(description="Why no path, or why the search stopped.")
    paths: list[AccountPath]


class AuditEntry(_Open):
    """One audited action. Entries are never changed or deleted."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "audit_id": "A-0000000012", "seq": 12, "at": STAMP_EXAMPLE, "actor": "alice",
        "key_id": "key_3f2a9c1b0d4e", "role": "investigator", "action": "review.confirm",
        "ring_id": RING_ID_EXAMPLE,
        "note": "same device", "request_id": "9f1c2e", "previous_status": "new",
        "status": "confirmed"}]})

    audit_id: str | None = None
    seq: int | None = Field(None, description="Position in the log: 1, 2, 3, ...")
    at: str
    actor: str
    role: str | None = None
    action: str
    ring_id: str | None = None
    note: str | None = None
    request_id: str | None = None
    previous_status: str | None = None
    status: str | None = None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None


class Run(_Open):
    """A detection run: its parameters, counts and duration."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "run_id": RUN_ID_EXAMPLE, "status": "succeeded", "started_at": STAMP_EXAMPLE,
        "backend": "local", "duration_seconds": 4.2, "parameters": {"seed": 7},
        "rings": 31, "rings_by_kind": {_KIND_EXAMPLE: 12, _RingKind.COLLUSION_RING.value: 9,
                                       _RingKind.COMMISSION_ABUSE.value: 10},
        "new": 3, "persisting": 28, "dissolved": 1, "quarantine": None}]})

    run_id: str
    status: Literal["running", "succeeded", "failed"] = "succeeded"
    started_at: str | None = None
    backend: str | None = None
    duration_seconds: float | None = None
    parameters: dict[str, Any] | None = None
    rings: int | None = None
    rings_by_kind: dict[str, int] | None = None
    new: int | None = None
    persisting: int | None = None
    dissolved: int | None = None
    quarantine: dict[str, Any] | None = Field(
        None, description="The load's quarantine summary, when the run recorded one.")
    error: str | None = None


class RunList(BaseModel):
    """Runs, newest first (a run in progress at the top)."""

    items: list[Run]


class RunStarted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": RUN_ID_EXAMPLE, "status": "running"}]})

    run_id: str
    status: Literal["running"] = "running"


class RunStats(_Open):
    run_id: str
    started_at: str | None = None
    rings_by_kind: dict[str, int] = Field(default_factory=dict)
    new: int = 0
    persisting: int = 0
    dissolved: int = 0


class CurrentStats(BaseModel):
    rings_by_kind_and_status: dict[str, dict[str, int]]
    open_rings: int
    commission_held_by_open_rings: float = Field(
        description="Sum of commission_total over open (new, confirmed, escalated) rings.")


class Stats(BaseModel):
    """Per run and now."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "as_of_run": RUN_ID_EXAMPLE,
        "runs": [{"run_id": RUN_ID_EXAMPLE, "started_at": STAMP_EXAMPLE,
                  "rings_by_kind": {_KIND_EXAMPLE: 12}, "new": 3, "persisting": 9,
                  "dissolved": 1}],
        "now": {"rings_by_kind_and_status": {_KIND_EXAMPLE: {"new": 10, "confirmed": 2}},
                "open_rings": 12, "commission_held_by_open_rings": 18204.5}}]})

    as_of_run: str | None
    runs: list[RunStats]
    now: CurrentStats


class ReliabilityRow(BaseModel):
    kind: str
    bucket: str = Field(description="Score bucket of the score reviewers were shown, e.g. 0.8-0.9.")
    verdicts: int
    confirmed: int
    mean_score: float
    share_confirmed: float


class Reliability(BaseModel):
    """Reviewers' verdicts per ring kind and score bucket: do scores read as probabilities?"""

    rows: list[ReliabilityRow]


class KeyInfo(BaseModel):
    """An API key without its secret or hash."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key_id": "key_3f2a9c1b0d4e", "role": "investigator", "label": "alice",
        "created_at": STAMP_EXAMPLE, "last_used_at": STAMP_EXAMPLE, "revoked_at": None}]})

    key_id: str
    role: str
    label: str | None = None
    created_at: str | None = None
    last_used_at: str | None = Field(
        None, description="When the key was last accepted (recorded at most once a minute per key "
        "and server, so it may lag by that much); null if never.")
    revoked_at: str | None = Field(
        None, description="When the key was revoked; a revoked key is refused at once and kept so "
        "that audit entries still name it.")


class KeyList(BaseModel):
    items: list[KeyInfo]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class AccountTypeEntry(BaseModel):
    """One account type of the domain's type table."""

    name: str = Field(description="The contract's word (a member's ``type``, ``/accounts/{type}``).")
    label: str = Field(description="How one is named in text.")
    plural: str
    neo4j_label: str
    colour: str = Field(description="Fill colour in pictures (#rrggbb); accounts are drawn round.")
    uses_identifiers: bool = Field(description="Whether it appears in identity_links.")


class IdentifierTypeEntry(BaseModel):
    """One identifier type of the domain's type table, with the detectors' defaults for it."""

    name: str = Field(description="The contract's word (``identity_links.identifier_type``).")
    label: str = Field(description="How one is named in text (``IP``, ``payout account``).")
    plural: str
    neo4j_label: str
    colour: str = Field(description="Fill colour in pictures (#rrggbb); identifiers are drawn square.")
    evidence_weight: float = Field(description="Default weight of one identifier shared by two accounts.")
    personal_sharing: int = Field(description="Up to this many accounts it is still personal.")
    sharing_cap: int = Field(description="Beyond this many accounts it is a hub and says nothing.")
    everyday: bool = Field(description="Shared every day (households, offices, NAT): corroborates only.")


def ring_kind_entry(row: RingKindInfo) -> dict[str, str]:
    """A ring kind's row as the API shows it: its words and colour (not its detector module)."""
    return {key: value for key, value in dataclasses.asdict(row).items() if key != "detector"}


class RingKindEntry(BaseModel):
    """One ring kind of the domain's kind table: its words and colour."""

    name: str = Field(description="The contract's word (a ring's ``kind``, the ``kind`` filter).")
    label: str = Field(description="How one is named in text (``identity ring``).")
    plural: str
    colour: str = Field(description="Its colour in charts and badges (#rrggbb).")
    meaning: str = Field(description="What a ring of this kind is, in one phrase.")


#: The example rows of ``GET /vocabulary``: the table's first account type and its first
#: everyday identifier type (an IP), read from the table so the example never drifts from it.
_EXAMPLE_ACCOUNT = account_types()[0]
_EXAMPLE_IDENTIFIER = next(t for t in identifier_types() if t.everyday)


class Vocabulary(BaseModel):
    """The account and identifier types and the ring kinds the API, the page and the detectors know."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "account_types": [dataclasses.asdict(_EXAMPLE_ACCOUNT)],
        "identifier_types": [dataclasses.asdict(_EXAMPLE_IDENTIFIER)],
        "ring_kinds": [ring_kind_entry(ring_kinds()[0])],
        "type_order": [_EXAMPLE_ACCOUNT.name, _EXAMPLE_IDENTIFIER.name]}]})

    account_types: list[AccountTypeEntry]
    identifier_types: list[IdentifierTypeEntry]
    ring_kinds: list[RingKindEntry] = Field(description="Every ring kind, in the order reports "
                                            "list them.")
    type_order: list[str] = Field(description="Member types in the order pictures keep and list "
                                  "them: accounts, then identifiers from the strongest evidence.")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem detail: every error response has this shape."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "about:blank", "title": "Precondition Failed", "status": 412,
        "detail": "the ring changed since version 1 (now 2): reload it and review again",
        "instance": f"/rings/{RING_ID_EXAMPLE}/reviews", "request_id": "9f1c2e7d"}]})

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem-details errors."""
    return {status: {"model": Problem, "content": {"application/problem+json": {}},
                     "description": _DESCRIPTIONS.get(status, "Error")}
            for status in statuses}


_DESCRIPTIONS = {
    400: "Bad request (e.g. a cursor that does not belong to this listing)",
    401: "No valid API key",
    403: "The key's role is too weak",
    404: "Not found",
    409: "Conflict",
    412: "The ring changed since the version in If-Match",
    422: "Invalid input",
    428: "If-Match is required",
    429: "Too many requests: wait the seconds in Retry-After",
    503: "The store is unreachable",
}
