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
    """One ring as a detector found it: kind, members, evidence, metrics.

    ``explained`` is the share of the ring's coordination (acting in step,
    registering together) that an honest structure accounts for, 0 to 1; the
    coordination evidence added to it later is discounted by as much (see
    :func:`ringwatch.detectors.lockstep_rings.honest_explanation`).

    ``one_household``: the ring's shared identifiers are one closed bundle of a home's
    few accounts (see ``IdentityConfig.household_accounts``): one family leaves that trace
    as well as a small farm, so unless other evidence joins it the pipeline scores it
    by what such bundles mean in the snapshot (:class:`~ringwatch.detectors.scoring.HouseholdPrior`).
    """

    kind: RingKind
    members: frozenset[Member]
    evidence: list[Evidence] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    explained: float = 0.0
    one_household: bool = False

    @property
    def accounts(self) -> frozenset[Member]:
        return frozenset(m for m in self.members if m.is_account)

    def count(self, member_type: str) -> int:
        return sum(1 for m in self.members if m.type == member_type)
