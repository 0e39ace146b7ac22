"""What a detector returns: a ring of members with evidence, before scoring and stable ids.

A :class:`Finding` is one detector's raw result; :func:`ringwatch.detectors.scoring.score`
turns its evidence into a score, and :mod:`ringwatch.detectors.ring_ids`
gives it a stable ``ring_id``. The JSON shape is CONTRACT.md section 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCOUNT_TYPES = ("creator", "shop", "seller", "buyer")


@dataclass(frozen=True, order=True)
class Member:
    """A ring member: an account (creator, shop, seller, buyer) or an identifier (device, ...)."""

    type: str
    id: str

    @property
    def is_account(self) -> bool:
        return self.type in ACCOUNT_TYPES

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id}


@dataclass(frozen=True)
class Evidence:
    """One checkable reason: a code, a sentence naming graph elements, and its weight in the score.

    ``text`` reads alone (a reviewer may see it without its neighbours, and the
    pipeline moves items between rings): it names the accounts and identifiers
    it is about and says its counts through :mod:`ringwatch.detectors.wording`.
    """

    code: str
    text: str
    weight: float

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "text": self.text, "weight": round(self.weight, 4)}


@dataclass
class Finding:
    """One ring as a detector found it: kind, members, evidence, metrics."""

    kind: str
    members: frozenset[Member]
    evidence: list[Evidence] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def accounts(self) -> frozenset[Member]:
        return frozenset(m for m in self.members if m.is_account)

    def count(self, member_type: str) -> int:
        return sum(1 for m in self.members if m.type == member_type)
