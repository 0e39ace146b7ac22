"""An API key's stored record: never the key itself, only its SHA-256 hash."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._json import optional, without

#: The fields every stored key record has, in order.
API_KEY_FIELDS: tuple[str, ...] = ("key_id", "hash", "role", "label", "created_at")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key record: its id, hash, role and label, when it was made, last used and revoked.

    A store checks only ``key_id`` and ``hash`` when it saves a record, so a
    record written by hand may lack the others: they read as ``None`` and are
    written back absent (such a record without a role grants no access).
    """

    key_id: str
    hash: str
    role: str | None
    label: str | None
    created_at: str | None
    last_used_at: str | None = None
    revoked_at: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ApiKey:
        return cls(key_id=doc["key_id"], hash=doc["hash"], role=doc.get("role"),
                   label=doc.get("label"), created_at=doc.get("created_at"),
                   last_used_at=doc.get("last_used_at"),
                   revoked_at=doc.get("revoked_at"),
                   extra=without(doc, (*API_KEY_FIELDS, "last_used_at", "revoked_at")))

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "hash": self.hash,
                **optional(("role", self.role), ("label", self.label), ("created_at", self.created_at),
                           ("last_used_at", self.last_used_at), ("revoked_at", self.revoked_at)),
                **self.extra}
