"""A flagged ring as rings.jsonl, the stores and the API hold it (docs/contract.md section 2).

:meth:`Ring.contract_json` is one line of ``rings.jsonl``: the fields of
:data:`RING_FIELDS`, in that order. :meth:`Ring.to_json` is the whole
document the stores keep, those fields first and then what runs and reviews
add (``review_status``, ``version``, ``reviews``, ...). A field that is
``None`` here is absent from the JSON, so a ring read and written back is
the same JSON.

``status`` is not a field: it is derived (:func:`~ringwatch.domain.ring_status`)
from two that the contract's one field mixes, the :class:`~ringwatch.domain.Lifecycle`
(new, persisting, dissolved) and the :class:`~ringwatch.domain.ReviewStatus`
(new, confirmed, dismissed, escalated). Reading a document, the lifecycle is
``dissolved`` when its status says so, ``persisting`` when its history holds
more than one run, ``new`` otherwise; the review status is ``review_status``
(or, in a document without it, the status of a ring not dissolved).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from ._json import optional, without
from .documents import (
    EvidenceDocument,
    HistoryDocument,
    LineageDocument,
    MemberDocument,
    ReviewDocument,
    RingDocument,
)
from .member_types import is_identifier_type
from .vocabulary import (
    Lifecycle,
    MemberType,
    ReviewAction,
    ReviewStatus,
    RingKind,
    is_account,
    member_type,
    ring_kind_named,
    ring_status,
)

#: The fields of a ring in rings.jsonl, in order (the contract's, then additive ones).
RING_FIELDS: tuple[str, ...] = ("ring_id", "kind", "score", "status", "members", "evidence",
                                "metrics", "first_detected", "run_id", "lineage", "history",
                                "uncalibrated_score")

#: Fields the stores keep beyond :data:`RING_FIELDS`, in the order :meth:`Ring.to_json` writes them.
STORED_FIELDS: tuple[str, ...] = ("review_status", "version", "last_seen_run", "dissolved_in_run",
                                  "reviews", "reviewed_members", "note", "enforcement")


@dataclass(frozen=True, order=True, slots=True)
class Member:
    """A ring member: an account (creator, shop, seller, buyer) or an identifier (device, ...).

    Members order by type, then id (the order rings list them in).
    """

    type: MemberType | str
    id: str

    @property
    def is_account(self) -> bool:
        return is_account(self.type)

    @property
    def key(self) -> str:
        """``type:id``: ids are opaque and may repeat across types."""
        return f"{self.type}:{self.id}"

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Member:
        return cls(member_type(doc["type"]), doc["id"])

    def to_json(self) -> MemberDocument:
        return {"type": str(self.type), "id": self.id}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One checkable reason: a code, a sentence naming graph elements, and its weight in the score.

    ``text`` reads alone (a reviewer may see it without its neighbours, and the
    pipeline moves items between rings): it names the accounts and identifiers
    it is about and says its counts through :mod:`ringwatch.wording`.
    The weight is written to four decimals.
    """

    code: str
    text: str
    weight: float

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Evidence:
        return cls(doc["code"], doc["text"], doc["weight"])

    def to_json(self) -> EvidenceDocument:
        # float() first: a detector's weight is often numpy's, whose own rounding costs 4 us.
        return {"code": self.code, "text": self.text, "weight": round(float(self.weight), 4)}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One run that found the ring: when, its score then, how many accounts it had, and its money.

    Every run writes the first four; runs since the review queue breaks score
    ties by commission at stake also write ``commission_total``, ``currency``
    and ``orders`` (the ring's metrics then), so that a listing pinned to a run
    orders ties as that run saw them. The API's schema (and
    :mod:`ringwatch.ring_history`) also accept an entry without any of them,
    which reads as ``None`` and is written back without it.
    """

    run_id: str
    at: str | None
    score: float | None
    accounts: int | None
    commission_total: float | None = None
    currency: str | None = None
    orders: int | None = None

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> HistoryEntry:
        return cls(doc["run_id"], doc.get("at"), doc.get("score"), doc.get("accounts"),
                   doc.get("commission_total"), doc.get("currency"), doc.get("orders"))

    def to_json(self) -> HistoryDocument:
        return cast(HistoryDocument, optional(("run_id", self.run_id), ("at", self.at), ("score", self.score),
                        ("accounts", self.accounts), ("commission_total", self.commission_total),
                        ("currency", self.currency), ("orders", self.orders)))


@dataclass(frozen=True, slots=True)
class Lineage:
    """Which earlier rings a ring split or merged from, and (once dissolved) which it became.

    A list that was never set is ``None`` and absent from the JSON; an empty
    ``became`` says the ring dissolved into nothing.
    """

    split_from: tuple[str, ...] | None = None
    merged_from: tuple[str, ...] | None = None
    became: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Lineage:
        def ids(name: str) -> tuple[str, ...] | None:
            return None if doc.get(name) is None else tuple(doc[name])
        return cls(ids("split_from"), ids("merged_from"), ids("became"))

    def to_json(self) -> LineageDocument:
        return cast(LineageDocument, {name: list(ids) for name, ids in (("split_from", self.split_from),
                                                  ("merged_from", self.merged_from),
                                                  ("became", self.became)) if ids is not None})


@dataclass(frozen=True, slots=True)
class Review:
    """One reviewer's decision, as recorded on the ring.

    ``key_id`` is always written, ``null`` for a reviewer without an API key (a
    script calling :func:`ringwatch.reviewing.review_ring`): every review
    Ringwatch has stored carries the field.
    """

    action: ReviewAction
    note: str
    actor: str
    at: str
    key_id: str | None = None

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Review:
        return cls(ReviewAction(doc["action"]), doc.get("note", ""), doc["actor"], doc["at"],
                   doc.get("key_id"))

    def to_json(self) -> ReviewDocument:
        return {"action": self.action.value, "note": self.note, "actor": self.actor,
                "key_id": self.key_id, "at": self.at}


def _tuple(items: Iterable[Any] | None, record: Any) -> tuple[Any, ...] | None:
    return None if items is None else tuple(record.from_json(item) for item in items)


@dataclass(frozen=True, slots=True)
class Ring:
    """A ring: what it is, who is in it, why, and its history across runs and reviews.

    ``extra`` keeps fields a newer writer added, in their order, after the known ones.
    ``first_detected`` and ``run_id`` are ``None`` (and stay absent) in a document
    written by hand or by a test without them; every run writes both.
    """

    ring_id: str
    kind: RingKind | str
    score: float
    members: tuple[Member, ...]
    evidence: tuple[Evidence, ...]
    metrics: Mapping[str, Any]
    first_detected: str | None
    run_id: str | None
    lifecycle: Lifecycle = Lifecycle.NEW
    review_status: ReviewStatus = ReviewStatus.NEW
    lineage: Lineage | None = None
    history: tuple[HistoryEntry, ...] | None = None
    version: int | None = None
    last_seen_run: str | None = None
    dissolved_in_run: str | None = None
    reviews: tuple[Review, ...] | None = None
    reviewed_members: tuple[str, ...] | None = None
    note: str | None = None
    enforcement: Mapping[str, Any] | None = None
    #: The detector's own score before recalibration on reviewers' verdicts
    #: (:mod:`ringwatch.detectors.recalibration`); ``None`` in a document written before it existed.
    uncalibrated_score: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """The contract's ``status``: ``dissolved``, or else the review status."""
        return ring_status(self.lifecycle, self.review_status)

    @property
    def detector_score(self) -> float:
        """The score before any recalibration: ``uncalibrated_score``, or ``score`` for an older ring."""
        return self.score if self.uncalibrated_score is None else self.uncalibrated_score

    @property
    def account_keys(self) -> frozenset[str]:
        """The account members as ``type:id`` keys (identifiers do not decide a ring's identity)."""
        return frozenset(m.key for m in self.members if m.is_account)

    def count(self, member_type: MemberType | str) -> int:
        """How many members are of ``member_type``."""
        return sum(1 for m in self.members if m.type == member_type)

    @property
    def identifiers(self) -> tuple[Member, ...]:
        return tuple(m for m in self.members if is_identifier_type(m.type))

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Ring:
        """Read a ring from rings.jsonl or a store's document."""
        history = _tuple(doc.get("history"), HistoryEntry)
        if doc.get("status") == Lifecycle.DISSOLVED:
            lifecycle = Lifecycle.DISSOLVED
        else:
            lifecycle = Lifecycle.PERSISTING if history and len(history) > 1 else Lifecycle.NEW
        review = doc.get("review_status") or (
            ReviewStatus.NEW if lifecycle is Lifecycle.DISSOLVED else doc.get("status", "new"))
        lineage = doc.get("lineage")
        reviewed = doc.get("reviewed_members")
        return cls(
            ring_id=doc["ring_id"], kind=ring_kind_named(doc["kind"]), score=doc["score"],
            members=tuple(Member.from_json(m) for m in doc["members"]),
            evidence=tuple(Evidence.from_json(e) for e in doc["evidence"]),
            metrics=doc["metrics"], first_detected=doc.get("first_detected"), run_id=doc.get("run_id"),
            lifecycle=lifecycle, review_status=ReviewStatus(review),
            lineage=None if lineage is None else Lineage.from_json(lineage), history=history,
            version=doc.get("version"), last_seen_run=doc.get("last_seen_run"),
            dissolved_in_run=doc.get("dissolved_in_run"), reviews=_tuple(doc.get("reviews"), Review),
            reviewed_members=None if reviewed is None else tuple(reviewed), note=doc.get("note"),
            enforcement=doc.get("enforcement"), uncalibrated_score=doc.get("uncalibrated_score"),
            extra=without(doc, (*RING_FIELDS, *STORED_FIELDS)))

    def contract_json(self) -> RingDocument:
        """One line of rings.jsonl: the fields of :data:`RING_FIELDS`, in that order."""
        return cast(RingDocument, optional(
            ("ring_id", self.ring_id), ("kind", str(self.kind)), ("score", self.score),
            ("status", self.status), ("members", [m.to_json() for m in self.members]),
            ("evidence", [e.to_json() for e in self.evidence]), ("metrics", dict(self.metrics)),
            ("first_detected", self.first_detected), ("run_id", self.run_id),
            ("lineage", None if self.lineage is None else self.lineage.to_json()),
            ("history", None if self.history is None else [h.to_json() for h in self.history]),
            ("uncalibrated_score", self.uncalibrated_score)))

    def to_json(self) -> RingDocument:
        """The whole document: :meth:`contract_json`, then :data:`STORED_FIELDS`, then ``extra``."""
        return cast(RingDocument, {**self.contract_json(), **optional(
            ("review_status", self.review_status.value), ("version", self.version),
            ("last_seen_run", self.last_seen_run), ("dissolved_in_run", self.dissolved_in_run),
            ("reviews", None if self.reviews is None else [r.to_json() for r in self.reviews]),
            ("reviewed_members", None if self.reviewed_members is None else list(self.reviewed_members)),
            ("note", self.note), ("enforcement", self.enforcement),
        ), **self.extra})
