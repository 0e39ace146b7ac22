"""What a detector returns: a ring of members with evidence, before scoring and stable ids.

A :class:`Finding` is one detector's raw result; :func:`ringwatch.detectors.scoring.score`
turns its evidence into a score, and :mod:`ringwatch.detectors.ring_ids`
gives it a stable ``ring_id``. Its members and evidence are the domain model's
(:class:`ringwatch.domain.Member`, :class:`ringwatch.domain.Evidence`), so a
finding becomes a :class:`ringwatch.domain.Ring` (docs/contract.md section 2)
without translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ringwatch.domain import Evidence, Member, RingKind

__all__ = ["Evidence", "Finding", "Member"]


@dataclass
class Finding:
    """One ring as a detector found it: kind, members, evidence, metrics."""

    kind: RingKind
    members: frozenset[Member]
    evidence: list[Evidence] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def accounts(self) -> frozenset[Member]:
        return frozenset(m for m in self.members if m.is_account)

    def count(self, member_type: str) -> int:
        return sum(1 for m in self.members if m.type == member_type)
