"""The request and response bodies of ``/cases`` (pydantic v2), with examples for ``/docs``.

Apart from :mod:`ringwatch.api.schemas` because a case is its own resource
with its own requests; the shared pieces (account types, problem responses)
come from there.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ringwatch.cases import MAX_NOTE, MAX_TITLE
from ringwatch.domain import CaseStatus as _CaseStatus

from .schemas import RING_ID_EXAMPLE, STAMP_EXAMPLE, AccountType, _api_enum

CASE_ID_EXAMPLE = "C-4be0c1d2e3f4a5b6"

#: A case's status: ``open``, ``waiting`` or ``closed``.
CaseStatus = _api_enum("CaseStatus", _CaseStatus, "Where a case stands.")


class CaseAccount(BaseModel):
    """An account a case names."""

    model_config = ConfigDict(extra="forbid")

    type: AccountType  # type: ignore[valid-type]
    id: str = Field(min_length=1, max_length=300)


class CaseNote(BaseModel):
    """A note on a case, signed."""

    at: str
    actor: str
    text: str


class Case(BaseModel):
    """A case: rings and accounts under one owner, with notes and a status."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "case_id": CASE_ID_EXAMPLE, "title": "payout account shared by two farms",
        "owner": "ann", "status": "open", "rings": [RING_ID_EXAMPLE],
        "accounts": [{"type": "creator", "id": "c_102"}],
        "notes": [{"at": STAMP_EXAMPLE, "actor": "ann", "text": "asked payments about the account"}],
        "created_at": STAMP_EXAMPLE, "updated_at": STAMP_EXAMPLE, "version": 2}]})

    case_id: str
    title: str
    owner: str = Field(description="The actor (key label, or key id) who opened the case.")
    status: CaseStatus  # type: ignore[valid-type]
    outcome: str | None = Field(None, description="What was found; only a closed case has one.")
    rings: list[str]
    accounts: list[CaseAccount]
    notes: list[CaseNote]
    created_at: str
    updated_at: str
    version: int = Field(description="Grows with every change; the ETag, sent back as If-Match.")


class CaseList(BaseModel):
    """Cases, oldest first."""

    items: list[Case]


class CaseCreate(BaseModel):
    """A new case, and what it starts with."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "title": "payout account shared by two farms", "rings": [RING_ID_EXAMPLE],
        "accounts": [{"type": "creator", "id": "c_102"}], "note": "seen in this week's queue"}]})

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    rings: list[str] = Field(default_factory=list, max_length=500)
    accounts: list[CaseAccount] = Field(default_factory=list, max_length=500)
    note: str = Field("", max_length=MAX_NOTE)


class CaseRingAdd(BaseModel):
    """A ring to add to a case."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"ring_id": RING_ID_EXAMPLE}]})

    ring_id: str = Field(min_length=1, max_length=200)


class CaseNoteAdd(BaseModel):
    """A note to add to a case."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE)


class CaseStatusChange(BaseModel):
    """A case's new status; ``closed`` needs an ``outcome``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"status": "closed", "outcome": "confirmed farm, payouts frozen"}, {"status": "waiting"}]})

    status: CaseStatus  # type: ignore[valid-type]
    outcome: str | None = Field(None, max_length=1000)
