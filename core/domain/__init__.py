"""The typed domain model every part of Ringwatch speaks: its vocabulary and its records.

Vocabulary (:mod:`.member_types`, :mod:`.vocabulary`, :mod:`.quarantine`): the
table of account and identifier types (label, plural, Neo4j label, colour, the
detectors' default weight and cap), string enums for account and identifier
types, ring kinds, a ring's lifecycle and review status, review actions and
quarantine reason codes, each listed once. Records (:mod:`.rings`,
:mod:`.runs`, :mod:`.audit`, :mod:`.keys`, :mod:`.verdicts`, :mod:`.cases`): frozen
dataclasses for a ring, a run, an audit entry, an API key, a reviewer's verdict and an
investigator's case, each read with ``from_json`` and written with ``to_json`` in
exactly the JSON docs/contract.md and the stores use
(tests/fixtures/contract holds JSON written before this model existed); their
times are written by :func:`.stamps.utc_stamp`, the one timestamp format.

This package imports nothing else of Ringwatch, so every folder may use it.
"""

from .audit import AuditEntry
from .cases import Case, CaseAccount, CaseNote, CaseStatus, new_case_id
from .documents import (
    AllowlistUseDocument,
    CalibrationDocument,
    DetectorInputDocument,
    EvidenceDocument,
    HistoryDocument,
    LineageDocument,
    LoadSummaryDocument,
    MemberDocument,
    ReviewDocument,
    RingDocument,
    RunDocument,
    TableSummaryDocument,
)
from .keys import API_KEY_FIELDS, ApiKey
from .member_types import (
    AccountTypeInfo,
    IdentifierTypeInfo,
    VocabularyError,
    account_types,
    check_table,
    identifier_type,
    identifier_types,
    identifiers_by_strength,
    is_account_type,
    is_identifier_type,
    linked_account_types,
    type_row,
)
from .quarantine import QuarantineCode, QuarantineReason, reason_codes
from .queue import QueueEntry, QueueKey, Stake, in_queue_order, queue_keys
from .ring_kind_table import RingKindInfo, ring_kind, ring_kinds
from .rings import RING_FIELDS, STORED_FIELDS, Evidence, HistoryEntry, Lineage, Member, Review, Ring
from .runs import RUN_FIELDS, Run, new_run_id
from .stamps import UTC_STAMP_FORMAT, utc_stamp
from .verdicts import VERDICT_STATUSES, Verdict, latest_per_ring
from .vocabulary import (
    LINKED_ACCOUNT_TYPES,
    MIXED_CURRENCY,
    OPEN_STATUSES,
    RING_STATUSES,
    AccountType,
    IdentifierType,
    Lifecycle,
    MemberType,
    ReviewAction,
    ReviewStatus,
    RingKind,
    is_account,
    member_type,
    ring_status,
)

__all__ = [
    "API_KEY_FIELDS",
    "LINKED_ACCOUNT_TYPES",
    "MIXED_CURRENCY",
    "OPEN_STATUSES",
    "RING_FIELDS",
    "RING_STATUSES",
    "RUN_FIELDS",
    "STORED_FIELDS",
    "UTC_STAMP_FORMAT",
    "VERDICT_STATUSES",
    "AccountType",
    "AccountTypeInfo",
    "AllowlistUseDocument",
    "ApiKey",
    "AuditEntry",
    "CalibrationDocument",
    "Case",
    "CaseAccount",
    "CaseNote",
    "CaseStatus",
    "DetectorInputDocument",
    "Evidence",
    "EvidenceDocument",
    "HistoryDocument",
    "HistoryEntry",
    "IdentifierType",
    "IdentifierTypeInfo",
    "Lifecycle",
    "Lineage",
    "LineageDocument",
    "LoadSummaryDocument",
    "Member",
    "MemberDocument",
    "MemberType",
    "QuarantineCode",
    "QuarantineReason",
    "QueueEntry",
    "QueueKey",
    "Review",
    "ReviewAction",
    "ReviewDocument",
    "ReviewStatus",
    "Ring",
    "RingDocument",
    "RingKind",
    "RingKindInfo",
    "Run",
    "RunDocument",
    "Stake",
    "TableSummaryDocument",
    "Verdict",
    "VocabularyError",
    "account_types",
    "check_table",
    "identifier_type",
    "identifier_types",
    "identifiers_by_strength",
    "in_queue_order",
    "is_account",
    "is_account_type",
    "is_identifier_type",
    "latest_per_ring",
    "linked_account_types",
    "member_type",
    "new_case_id",
    "new_run_id",
    "queue_keys",
    "reason_codes",
    "ring_kind",
    "ring_kinds",
    "ring_status",
    "type_row",
    "utc_stamp",
]
