"""An entry of the audit log: who did what to which ring or key, and when.

Entries are written by different actors (a reviewer's request, ``ringwatch
keys revoke``, the enforcement job) and carry different fields: a request
records the caller's ``key_id`` and ``request_id``, the enforcement job has
neither, and each action adds its own (a review its statuses and version, an
enforcement its batch). So an entry is the fields every entry has, typed,
and ``details``: the rest, in the order the writer gave them, with a field
that was written as ``null`` kept as ``None`` and one never written absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._json import optional, without

#: Fields written before ``action`` when an entry has them (who acted).
_WHO = ("key_id", "role")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action. ``seq`` and ``audit_id`` are the store's, ``None`` before it is appended."""

    at: str
    actor: str
    action: str
    details: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None
    audit_id: str | None = None

    @property
    def key_id(self) -> str | None:
        """The API key that acted (``None`` for the command line and the enforcement job)."""
        return self.details.get("key_id")

    @property
    def role(self) -> str | None:
        return self.details.get("role")

    @property
    def ring_id(self) -> str | None:
        """The ring acted on; ``None`` for an action on a key or a run."""
        return self.details.get("ring_id")

    @property
    def note(self) -> str | None:
        return self.details.get("note")

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> AuditEntry:
        return cls(at=doc["at"], actor=doc["actor"], action=doc["action"],
                   details=without(doc, ("at", "actor", "action", "seq", "audit_id")),
                   seq=doc.get("seq"), audit_id=doc.get("audit_id"))

    def to_json(self) -> dict[str, Any]:
        """``at, actor``, who (``key_id``, ``role``), ``action``, ``ring_id``, details, ``seq, audit_id``."""
        who = {k: self.details[k] for k in _WHO if k in self.details}
        target = {"ring_id": self.details["ring_id"]} if "ring_id" in self.details else {}
        return {"at": self.at, "actor": self.actor, **who, "action": self.action, **target,
                **without(self.details, (*_WHO, "ring_id")),
                **optional(("seq", self.seq), ("audit_id", self.audit_id))}
