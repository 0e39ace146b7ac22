"""A case: the rings and accounts one investigator works on together, with notes and a status.

A ring is what a detector found; a case is what a person decided to look into,
and it can span rings (two rings sharing a payout account) and single accounts
no detector flagged. So a case is the team's own record: it outlives the rings
it names (``ringwatch load --replace`` keeps it, as it keeps verdicts and
keys), it names rings and accounts by their ids rather than holding copies,
and it carries a ``version`` so that two people editing it never overwrite each
other unseen (compare-and-set, like a ring's review).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ._json import optional


class CaseStatus(str, Enum):
    """Where a case stands: being worked on, waiting on someone else, or closed with an outcome."""

    OPEN = "open"
    WAITING = "waiting"
    CLOSED = "closed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class CaseAccount:
    """An account a case names, as ``(type, id)`` (an account type of :mod:`.member_types`)."""

    type: str
    id: str

    @property
    def key(self) -> str:
        """``type:id``, the form the API and the page use for an account."""
        return f"{self.type}:{self.id}"

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CaseAccount:
        return cls(type=str(doc["type"]), id=str(doc["id"]))


@dataclass(frozen=True, slots=True)
class CaseNote:
    """A note written on a case: who wrote it, when, and what."""

    at: str
    actor: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"at": self.at, "actor": self.actor, "text": self.text}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CaseNote:
        return cls(at=doc["at"], actor=doc["actor"], text=doc["text"])


@dataclass(frozen=True, slots=True)
class Case:
    """One case. ``outcome`` is set when (and only when) the case is closed; ``version`` starts at 1
    and grows by one with every change, which is what ``If-Match`` names."""

    case_id: str
    title: str
    owner: str
    status: CaseStatus
    created_at: str
    updated_at: str
    version: int = 1
    rings: tuple[str, ...] = ()
    accounts: tuple[CaseAccount, ...] = ()
    notes: tuple[CaseNote, ...] = ()
    outcome: str | None = None

    @property
    def closed(self) -> bool:
        return self.status is CaseStatus.CLOSED

    def holds_ring(self, ring_id: str) -> bool:
        return ring_id in self.rings

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Case:
        return cls(case_id=doc["case_id"], title=doc["title"], owner=doc["owner"],
                   status=CaseStatus(doc["status"]), created_at=doc["created_at"],
                   updated_at=doc["updated_at"], version=int(doc.get("version") or 1),
                   rings=tuple(doc.get("rings") or ()),
                   accounts=tuple(CaseAccount.from_json(a) for a in doc.get("accounts") or ()),
                   notes=tuple(CaseNote.from_json(n) for n in doc.get("notes") or ()),
                   outcome=doc.get("outcome"))

    def to_json(self) -> dict[str, Any]:
        """The case as the stores keep it and the API serves it (``outcome`` only once closed)."""
        return {"case_id": self.case_id, "title": self.title, "owner": self.owner,
                "status": self.status.value,
                **optional(("outcome", self.outcome)),
                "rings": list(self.rings), "accounts": [a.to_json() for a in self.accounts],
                "notes": [n.to_json() for n in self.notes], "created_at": self.created_at,
                "updated_at": self.updated_at, "version": self.version}


def new_case_id() -> str:
    """A fresh case id, ``C-`` and 16 hex digits: random, so that two servers never collide."""
    return "C-" + uuid.uuid4().hex[:16]
