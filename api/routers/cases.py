"""``/cases``: investigators' cases (rings and accounts under one owner), read by all, edited by the owner.

The rules (who may edit, compare-and-set on the case's version, audit, a close
needs an outcome) are :mod:`ringwatch.cases`'; this adapter reads ``If-Match``
on every change (428 without it, as ring reviews do), maps a missing case to
404, a changed one to 412, an editor who does not own the case to 403 and a
change the case cannot take (an unknown ring or account, a close without an
outcome) to 422, and answers with the case and its new ETag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from ringwatch import cases
from ringwatch.domain import Case as CaseRecord
from ringwatch.domain import CaseAccount as CaseAccountRecord

from ..auth import Caller, Investigator, Viewer
from ..case_schemas import (
    Case,
    CaseCreate,
    CaseList,
    CaseNoteAdd,
    CaseRingAdd,
    CaseStatus,
    CaseStatusChange,
)
from ..case_schemas import CaseAccount as CaseAccountBody
from ..deps import Store
from ..middleware import request_id_of
from ..schemas import AccountType, problem_responses
from .reviews import parse_if_match

router = APIRouter(prefix="/cases", tags=["cases"])

CaseId = Annotated[str, Path(min_length=1, max_length=100, description="The case's id.")]
IfMatch = Annotated[str | None, Header(alias="If-Match",
                                       description='The ETag of the case as last read, e.g. "2".')]
_ETAG_HEADER = {"ETag": {"description": "The case's version.", "schema": {"type": "string"}}}
_CHANGE_ERRORS = problem_responses(401, 403, 404, 412, 422, 428)


def etag(case: CaseRecord) -> str:
    """The ETag of a case: its version, quoted."""
    return f'"{case.version}"'


def _editor(caller: Caller) -> cases.Editor:
    return cases.Editor(actor=caller.actor, key_id=caller.key_id, role=caller.role.value)


def _answer(case: CaseRecord, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(case)
    return case.to_json()


async def _changed(edit: Callable[..., CaseRecord], *args: Any, if_match: str | None,
                   response: Response, **kwargs: Any) -> dict[str, Any]:
    """Run one change of :mod:`ringwatch.cases` in a worker thread, its errors as problems."""
    if if_match is None:
        raise HTTPException(428, 'send If-Match with the case\'s ETag (GET /cases/{case_id}), '
                            'e.g. If-Match: "1"')
    try:
        case = await run_in_threadpool(edit, *args, expected_version=parse_if_match(if_match),
                                       **kwargs)
    except cases.CaseNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except cases.NotCaseOwnerError as exc:
        raise HTTPException(403, str(exc)) from None
    except cases.StaleCaseError as exc:
        raise HTTPException(412, f'the case has changed: its version is now "{exc.current}"; '
                            "reload it and try again") from None
    except cases.CaseChangeError as exc:
        raise HTTPException(422, str(exc)) from None
    return _answer(case, response)


@router.post("", status_code=201, response_model=Case, summary="Open a case",
             responses={201: {"headers": _ETAG_HEADER}, **problem_responses(401, 403, 422)})
async def open_case(body: CaseCreate, caller: Investigator, store: Store, request: Request,
                    response: Response) -> Any:
    """Open a case owned by the caller, with its first rings, accounts and note."""
    try:
        case = await run_in_threadpool(
            cases.open_case, store, body.title, editor=_editor(caller), rings=body.rings,
            accounts=[CaseAccountRecord(a.type.value, a.id) for a in body.accounts],
            note=body.note, request_id=request_id_of(request))
    except cases.CaseChangeError as exc:
        raise HTTPException(422, str(exc)) from None
    response.headers["Location"] = str(request.url_for("get_case", case_id=case.case_id).path)
    return _answer(case, response)


@router.get("", response_model=CaseList, summary="List cases",
            responses=problem_responses(401, 403, 422))
async def list_cases(
    caller: Viewer,
    store: Store,
    owner: Annotated[str | None, Query(max_length=200, description=(
        "Only the cases of this owner; `me` is the caller.")) ] = None,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status.")] = None,
) -> Any:
    """Cases, oldest first, optionally one owner's (``owner=me``) and in one status."""
    who = caller.actor if owner == "me" else owner
    found = await run_in_threadpool(cases.find_cases, store, owner=who,
                                    status=None if status is None else status.value)
    return {"items": [case.to_json() for case in found]}


@router.get("/{case_id}", response_model=Case, summary="One case",
            responses={200: {"headers": _ETAG_HEADER}, **problem_responses(401, 403, 404, 422)})
async def get_case(case_id: CaseId, caller: Viewer, store: Store, response: Response) -> Any:
    """One case, with its ETag (send it back as If-Match to change the case)."""
    try:
        case = await run_in_threadpool(cases.get_case, store, case_id)
    except cases.CaseNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    return _answer(case, response)


@router.post("/{case_id}/rings", response_model=Case, summary="Add a ring to a case",
             responses=_CHANGE_ERRORS)
async def add_ring(case_id: CaseId, body: CaseRingAdd, caller: Investigator, store: Store,
                   request: Request, response: Response, if_match: IfMatch = None) -> Any:
    """Add a ring (one already in the case changes nothing)."""
    return await _changed(cases.add_ring, store, case_id, body.ring_id, editor=_editor(caller),
                          request_id=request_id_of(request), if_match=if_match, response=response)


@router.delete("/{case_id}/rings/{ring_id}", response_model=Case,
               summary="Take a ring out of a case", responses=_CHANGE_ERRORS)
async def remove_ring(case_id: CaseId, ring_id: Annotated[str, Path(min_length=1, max_length=200)],
                      caller: Investigator, store: Store, request: Request, response: Response,
                      if_match: IfMatch = None) -> Any:
    """Take a ring out of the case."""
    return await _changed(cases.remove_ring, store, case_id, ring_id, editor=_editor(caller),
                          request_id=request_id_of(request), if_match=if_match, response=response)


@router.post("/{case_id}/accounts", response_model=Case, summary="Add an account to a case",
             responses=_CHANGE_ERRORS)
async def add_account(case_id: CaseId, body: CaseAccountBody, caller: Investigator, store: Store,
                      request: Request, response: Response, if_match: IfMatch = None) -> Any:
    """Add an account of the loaded snapshot (one already in the case changes nothing)."""
    return await _changed(cases.add_account, store, case_id,
                          CaseAccountRecord(body.type.value, body.id), editor=_editor(caller),
                          request_id=request_id_of(request), if_match=if_match, response=response)


@router.delete("/{case_id}/accounts/{type}/{id}", response_model=Case,
               summary="Take an account out of a case", responses=_CHANGE_ERRORS)
async def remove_account(
    case_id: CaseId,
    account_type: Annotated[AccountType, Path(alias="type")],  # type: ignore[valid-type]
    account_id: Annotated[str, Path(alias="id", min_length=1, max_length=300)],
    caller: Investigator, store: Store, request: Request, response: Response,
    if_match: IfMatch = None,
) -> Any:
    """Take an account out of the case."""
    return await _changed(cases.remove_account, store, case_id,
                          CaseAccountRecord(account_type.value, account_id), editor=_editor(caller),
                          request_id=request_id_of(request), if_match=if_match, response=response)


@router.post("/{case_id}/notes", response_model=Case, summary="Add a note to a case",
             responses=_CHANGE_ERRORS)
async def add_note(case_id: CaseId, body: CaseNoteAdd, caller: Investigator, store: Store,
                   request: Request, response: Response, if_match: IfMatch = None) -> Any:
    """Append a note signed by the caller (kept in the case and in the audit log)."""
    return await _changed(cases.add_note, store, case_id, body.text, editor=_editor(caller),
                          request_id=request_id_of(request), if_match=if_match, response=response)


@router.put("/{case_id}/status", response_model=Case, summary="Change a case's status",
            responses=_CHANGE_ERRORS)
async def set_status(case_id: CaseId, body: CaseStatusChange, caller: Investigator, store: Store,
                     request: Request, response: Response, if_match: IfMatch = None) -> Any:
    """Open, waiting, or closed with an outcome (reopening clears the outcome)."""
    return await _changed(cases.set_status, store, case_id, body.status.value, outcome=body.outcome,
                          editor=_editor(caller), request_id=request_id_of(request),
                          if_match=if_match, response=response)
