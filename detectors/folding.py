"""How a detector's findings give way to rings of kinds found before it: one operator, one ring.

A farm that also trades fake orders is found twice, by what its accounts share
and by how they trade; the reviewer should get one ring. The registry's
detectors name which of these each uses (``Detector.give_way``).
"""

from __future__ import annotations

from collections import Counter

from .config import DetectionConfig
from .rings import Finding


def fold_into_owner(findings: list[Finding], owners: list[Finding],
                    config: DetectionConfig | None = None) -> list[Finding]:
    """Findings at least half of whose creators are one owner ring's join that ring.

    A farm that also trades fake orders is found twice: by what its accounts
    share and by how they trade; one registered in one sitting, partly tied by
    a payout account, is found by that and by its lockstep. It is one operator,
    so the reviewer gets one ring: the owner takes the finding's members (its
    shops, sellers and buyer pool, and any creator of the farm the owner had
    missed) and its evidence, which corroborates the owner's with independent
    facts. A finding that merely touches an owner (fewer than half its
    creators) stays apart. Returns the findings not folded. (``config``: the
    registry's signature; folding needs no setting.)
    """
    owner = {m.id: ring for ring in owners for m in ring.members if m.type == "creator"}
    kept = []
    for ring in findings:
        # Sorted, so that two owners holding half each are told apart the same way every
        # run (the one holding the smallest creator id), not by set iteration order.
        creators = sorted(m.id for m in ring.members if m.type == "creator")
        held = Counter(id(owner[c]) for c in creators if c in owner)
        if not held or 2 * held.most_common(1)[0][1] < len(creators):
            kept.append(ring)
            continue
        most = held.most_common(1)[0][0]
        target = next(owner[c] for c in creators if c in owner and id(owner[c]) == most)
        target.members = target.members | ring.members
        target.evidence.extend(ring.evidence)
        for name, value in ring.metrics.items():
            target.metrics[name] = target.metrics.get(name, 0) + value
    return kept


def fold_into_identity(abuse: list[Finding], identity: list[Finding],
                       config: DetectionConfig | None = None) -> list[Finding]:
    """Cases whose accounts all sit in one identity ring become evidence of that ring."""
    owner = {m: ring for ring in identity for m in ring.accounts}
    kept = []
    for case in abuse:
        rings = {id(owner.get(m)) for m in case.accounts}
        ring = owner.get(next(iter(case.accounts)))
        if ring is not None and len(rings) == 1:
            ring.evidence.append(case.evidence[-1])
            ring.metrics["commission_abuse_cases"] = ring.metrics.get(
                "commission_abuse_cases", 0) + 1
        else:
            kept.append(case)
    return kept
