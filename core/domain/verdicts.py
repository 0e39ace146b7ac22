"""A reviewer's verdict on a ring, as the team's memory keeps it for learning from reviews.

A ring document changes with every run and disappears with ``ringwatch load
--replace``; a verdict does neither. It is written once, when a reviewer
confirms or dismisses a ring, and holds what recalibrating the detector's
scores needs: which kind of ring it was, the score the reviewer saw, and the
ring's *uncalibrated* score at that moment (the detector's own score, before
any recalibration on earlier verdicts), so that a fit on verdicts never fits
its own output. Escalations are not verdicts: they decide nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .vocabulary import ReviewStatus

#: The review statuses that are a verdict.
VERDICT_STATUSES: tuple[ReviewStatus, ...] = (ReviewStatus.CONFIRMED, ReviewStatus.DISMISSED)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One confirm or dismiss of one ring, with the scores it carried when it was reviewed.

    ``uncalibrated_score`` is what recalibration fits on; ``score`` is what the
    reviewer was shown (the same number when the run did not recalibrate the
    ring's kind). ``run_id`` is the run whose scores those are.
    """

    ring_id: str
    kind: str
    verdict: ReviewStatus
    uncalibrated_score: float
    score: float
    actor: str
    at: str
    run_id: str | None = None
    key_id: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.verdict is ReviewStatus.CONFIRMED

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Verdict:
        return cls(ring_id=doc["ring_id"], kind=doc["kind"], verdict=ReviewStatus(doc["verdict"]),
                   uncalibrated_score=float(doc["uncalibrated_score"]), score=float(doc["score"]),
                   actor=doc["actor"], at=doc["at"], run_id=doc.get("run_id"),
                   key_id=doc.get("key_id"))

    def to_json(self) -> dict[str, Any]:
        return {"ring_id": self.ring_id, "kind": self.kind, "verdict": self.verdict.value,
                "uncalibrated_score": self.uncalibrated_score, "score": self.score,
                "actor": self.actor, "at": self.at, "run_id": self.run_id, "key_id": self.key_id}


def latest_per_ring(verdicts: Iterable[Verdict | Mapping[str, Any]]) -> list[Verdict]:
    """One verdict per ring, the last appended (``verdicts`` oldest first, as stores list them):
    a reviewer who changed their mind is heard once, by their last word. Records or their JSON."""
    latest: dict[str, Verdict] = {}
    for item in verdicts:
        verdict = item if isinstance(item, Verdict) else Verdict.from_json(item)
        latest.pop(verdict.ring_id, None)
        latest[verdict.ring_id] = verdict
    return list(latest.values())
