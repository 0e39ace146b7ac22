"""The JSON shapes of rings and runs as they travel inside the package, as ``TypedDict`` s.

A detection run builds its rings as JSON documents (what ``rings.jsonl`` has,
docs/contract.md section 2) before they become :class:`~ringwatch.domain.Ring`
records, and the id matching, the recalibration, the report and the
evaluation read those documents. They are plain dictionaries at run time (a
``TypedDict`` costs nothing and changes no byte written); the types say which
keys a reader may count on, so that a typo in a key is a type error, not a
``KeyError`` at the end of a long run.

Fields that are open by nature (``metrics``, ``parameters``, ``enforcement``)
stay mappings of ``str`` to anything: they are JSON the contract leaves open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Required, TypedDict


class MemberDocument(TypedDict):
    """A ring member as JSON: ``{"type": ..., "id": ...}``."""

    type: str
    id: str


class EvidenceDocument(TypedDict):
    """One evidence item as JSON: a code, a sentence, its weight (four decimals)."""

    code: str
    text: str
    weight: float


class HistoryDocument(TypedDict, total=False):
    """One run that found a ring (see :class:`~ringwatch.domain.HistoryEntry`)."""

    run_id: Required[str]
    at: str
    score: float
    accounts: int
    commission_total: float
    currency: str
    orders: int


class LineageDocument(TypedDict, total=False):
    """Which earlier rings a ring split or merged from, and which it became."""

    split_from: list[str]
    merged_from: list[str]
    became: list[str]


class ReviewDocument(TypedDict):
    """One reviewer's decision as the ring keeps it."""

    action: str
    note: str
    actor: str
    key_id: str | None
    at: str


class RingDocument(TypedDict, total=False):
    """A ring as JSON: a line of ``rings.jsonl``, then what the stores keep beyond it.

    A detection run's rings have ``kind``, ``score``, ``members``, ``evidence``
    and ``metrics`` from the start; the id matching
    (:func:`ringwatch.detectors.ring_ids.assign_ids`) adds the rest. The order
    of the fields written is :data:`~ringwatch.domain.RING_FIELDS`, then
    :data:`~ringwatch.domain.STORED_FIELDS`.
    """

    ring_id: str
    kind: Required[str]
    score: Required[float]
    status: str
    members: Required[list[MemberDocument]]
    evidence: Required[list[EvidenceDocument]]
    metrics: Required[Mapping[str, Any]]
    first_detected: str
    run_id: str
    lineage: LineageDocument
    history: list[HistoryDocument]
    uncalibrated_score: float
    review_status: str
    version: int
    last_seen_run: str
    dissolved_in_run: str
    reviews: list[ReviewDocument]
    reviewed_members: list[str]
    note: str
    enforcement: Mapping[str, Any]


class DetectorInputDocument(TypedDict, total=False):
    """What one detector had to work on (``run.json`` ``detectors``; ``why`` only when nothing)."""

    input: Required[str]
    rows: Required[int]
    nothing_to_work_on: Required[bool]
    why: str


class CalibrationDocument(TypedDict, total=False):
    """How one kind's scores were recalibrated in a run (``run.json`` ``calibration``)."""

    method: Required[str]
    verdicts: Required[int]
    confirmed: Required[int]
    dismissed: Required[int]
    fingerprint: Required[str]
    knots: list[list[float]]
    shift: float
    reason: str


class RunDocument(TypedDict, total=False):
    """A run record as JSON (``run.json``, the stores, ``GET /runs``).

    A caller's additions (the load summary, who started the run) follow the
    fields named here; :class:`~ringwatch.domain.Run` keeps them in ``extra``.
    """

    run_id: Required[str]
    started_at: str
    backend: str
    duration_seconds: float
    parameters: Mapping[str, Any]
    rings: int
    rings_by_kind: Mapping[str, int]
    new: int
    persisting: int
    dissolved: int
    allowlist: list[AllowlistUseDocument]
    as_of_ms: int
    detectors: Mapping[str, DetectorInputDocument]
    calibration: Mapping[str, CalibrationDocument]
    load_summary: LoadSummaryDocument
    trigger: str
    started_by: str


class AllowlistUseDocument(TypedDict):
    """An allowlist entry and what it did in a run (``run.json`` ``allowlist``)."""

    identifier_type: str
    identifier: str
    owner: str
    reason: str
    expired: bool
    accounts: int


class TableSummaryDocument(TypedDict):
    """One table's line of the load summary: read = loaded + quarantined, and why."""

    table: str
    file: str | None
    read: int
    loaded: int
    quarantined: int
    reasons: Mapping[str, int]
    notes: list[str]


class LoadSummaryDocument(TypedDict):
    """The load summary (``load_summary.json``, and ``run.json`` ``load_summary``)."""

    snapshot: str
    reconciles: bool
    warnings: list[str]
    tables: list[TableSummaryDocument]
