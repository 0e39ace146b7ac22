"""Reviewers' decisions as labels: how precise each detector is in the analysts' judgement.

A confirmed ring is a true positive of the detector (its ``kind``) that found
it, a dismissed ring a false positive; escalated and unreviewed rings are
counted but not judged. This is the figure that says which detector earns its
keep on the real marketplace, where no generator's labels exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ringwatch.domain import ReviewStatus, Ring

#: The review statuses that are a verdict; ``new`` is counted as unreviewed.
_VERDICTS = (ReviewStatus.CONFIRMED, ReviewStatus.DISMISSED, ReviewStatus.ESCALATED)


@dataclass(frozen=True)
class KindVerdicts:
    """Review outcomes of one detector's rings."""

    kind: str
    confirmed: int
    dismissed: int
    escalated: int
    unreviewed: int

    @property
    def judged(self) -> int:
        return self.confirmed + self.dismissed

    @property
    def precision(self) -> float | None:
        """Confirmed over judged; None until a reviewer has judged one of its rings."""
        return self.confirmed / self.judged if self.judged else None


def reviewer_precision(rings: Iterable[Ring]) -> list[KindVerdicts]:
    """Per ring kind, the reviewers' verdicts (dissolved rings count by their last review)."""
    counts: dict[str, Counter] = {}
    for ring in rings:
        verdict = ring.review_status.value if ring.review_status in _VERDICTS else "unreviewed"
        counts.setdefault(ring.kind.value, Counter())[verdict] += 1
    return [KindVerdicts(kind, c["confirmed"], c["dismissed"], c["escalated"], c["unreviewed"])
            for kind, c in sorted(counts.items())]


def verdicts_table(verdicts: list[KindVerdicts]) -> str:
    """A fixed-width table of the verdicts, one line per detector."""
    lines = [f"{'detector':<18} {'precision':>9} {'confirmed':>9} {'dismissed':>9} "
             f"{'escalated':>9} {'unreviewed':>10}", "-" * 70]
    for v in verdicts:
        shown = f"{v.precision:.3f}" if v.precision is not None else "n/a"
        lines.append(f"{v.kind:<18} {shown:>9} {v.confirmed:>9} {v.dismissed:>9} "
                     f"{v.escalated:>9} {v.unreviewed:>10}")
    return "\n".join(lines)
