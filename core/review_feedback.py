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

from ringwatch.domain import ReviewStatus, Ring, Verdict, latest_per_ring

#: Score buckets of the reliability table: [0.0, 0.1), ..., [0.9, 1.0] (1.0 in the last).
RELIABILITY_BUCKETS = 10

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
        counts.setdefault(str(ring.kind), Counter())[verdict] += 1
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


@dataclass(frozen=True)
class ReliabilityRow:
    """Verdicts on rings of one kind shown with a score in one bucket, and how many were confirmed."""

    kind: str
    bucket: str
    verdicts: int
    confirmed: int
    mean_score: float

    @property
    def share_confirmed(self) -> float:
        return self.confirmed / self.verdicts if self.verdicts else 0.0


def reliability(verdicts: Iterable[Verdict]) -> list[ReliabilityRow]:
    """The reviewers' reliability table: per kind and bucket of the score reviewers were shown,
    the verdicts and the share confirmed (a score reads as a probability: they should agree).

    One verdict per ring, its latest (as recalibration counts them); only buckets holding
    verdicts are listed, by kind then bucket.
    """
    cells: dict[tuple[str, int], list[tuple[float, bool]]] = {}
    for v in latest_per_ring(verdicts):
        bucket = min(int(v.score * RELIABILITY_BUCKETS), RELIABILITY_BUCKETS - 1)
        cells.setdefault((v.kind, bucket), []).append((v.score, v.confirmed))
    return [ReliabilityRow(kind, f"{b / RELIABILITY_BUCKETS:.1f}-{(b + 1) / RELIABILITY_BUCKETS:.1f}",
                           len(rows), sum(c for _, c in rows), sum(s for s, _ in rows) / len(rows))
            for (kind, b), rows in sorted(cells.items())]


def reliability_table(rows: list[ReliabilityRow]) -> str:
    """A fixed-width reliability table: per kind and score bucket, verdicts and share confirmed."""
    lines = [f"{'detector':<18} {'score':<8} {'verdicts':>8} {'mean score':>10} {'confirmed':>9}",
             "-" * 57]
    lines += [f"{r.kind:<18} {r.bucket:<8} {r.verdicts:>8} {r.mean_score:>10.3f} {r.share_confirmed:>9.3f}"
              for r in rows]
    return "\n".join(lines)
