"""A detection run's record (``run.json``, ``GET /runs``) and how run ids are made."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from ._json import optional, without
from .documents import RunDocument

#: The fields of a run record a detection run writes, in the order ``run.json`` has them.
RUN_FIELDS: tuple[str, ...] = ("run_id", "started_at", "backend", "duration_seconds", "parameters",
                               "rings", "rings_by_kind", "new", "persisting", "dissolved",
                               "allowlist", "as_of_ms", "detectors")


def new_run_id(now: datetime | None = None) -> str:
    """A run id: ``run-`` and the UTC start time to the second, then six random hex digits.

    The time makes ids sort by start; the random tail keeps two runs started in
    the same second apart.

    >>> new_run_id(datetime(2026, 11, 20, tzinfo=UTC)).startswith("run-20261120T000000Z-")
    True
    """
    now = now or datetime.now(UTC)
    return f"run-{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class Run:
    """One detection run: when, on which store, with which parameters, and what it found.

    ``rings`` counts the rings the run found (dissolved ones apart);
    ``new``/``persisting``/``dissolved`` split them by :class:`~ringwatch.domain.Lifecycle`.
    ``extra`` holds what a caller added (the load summary, who started it), in
    the order given. A field that is ``None`` is not in the JSON.
    """

    run_id: str
    started_at: str | None = None
    backend: str | None = None
    duration_seconds: float | None = None
    parameters: Mapping[str, Any] | None = None
    rings: int | None = None
    rings_by_kind: Mapping[str, int] | None = None
    new: int | None = None
    persisting: int | None = None
    dissolved: int | None = None
    allowlist: tuple[Mapping[str, Any], ...] | None = None
    as_of_ms: int | None = None
    detectors: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Run:
        allowlist = doc.get("allowlist")
        return cls(
            run_id=doc["run_id"], started_at=doc.get("started_at"), backend=doc.get("backend"),
            duration_seconds=doc.get("duration_seconds"), parameters=doc.get("parameters"),
            rings=doc.get("rings"), rings_by_kind=doc.get("rings_by_kind"), new=doc.get("new"),
            persisting=doc.get("persisting"), dissolved=doc.get("dissolved"),
            allowlist=None if allowlist is None else tuple(allowlist),
            as_of_ms=doc.get("as_of_ms"), detectors=doc.get("detectors"),
            extra=without(doc, RUN_FIELDS))

    def to_json(self) -> RunDocument:
        """The record as ``run.json`` and the stores keep it: :data:`RUN_FIELDS` first, then ``extra``."""
        allowlist = None if self.allowlist is None else [dict(a) for a in self.allowlist]
        return cast(RunDocument, {**optional(
            ("run_id", self.run_id), ("started_at", self.started_at), ("backend", self.backend),
            ("duration_seconds", self.duration_seconds), ("parameters", self.parameters),
            ("rings", self.rings), ("rings_by_kind", self.rings_by_kind), ("new", self.new),
            ("persisting", self.persisting), ("dissolved", self.dissolved),
            ("allowlist", allowlist), ("as_of_ms", self.as_of_ms), ("detectors", self.detectors),
        ), **self.extra})
