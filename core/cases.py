"""Cases: an investigator's rings and accounts under one owner, with notes and a status, every change audited.

A ring is what a detector found; a case is what a person is working on: two
rings that share a payout account, a creator no detector flagged, the notes of
who was asked what, and whether the case is open, waiting on someone or closed
(with an outcome). The command line, the HTTP routers (``/cases``) and scripts
call these functions; they hold the rules:

- the owner (the investigator who opened the case) edits it, and so does an
  admin; anybody with a key reads it (the routers require the roles);
- every change names the version its editor read and is written by
  compare-and-set (:meth:`~ringwatch.graph.capabilities.CaseRepository.save_case`),
  so two editors never overwrite each other unseen, exactly as ring reviews do;
- every accepted change is appended to the audit log with its actor;
- a ring or account added must exist (a typo is refused, not kept);
- a case is closed only with an outcome, and reopening it clears the outcome.

The enforcement job asks :func:`cases_of_rings` which case a confirmed ring was
worked in, so its actions carry the case id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from ringwatch import RingwatchError
from ringwatch.domain import (
    AuditEntry,
    Case,
    CaseAccount,
    CaseNote,
    CaseStatus,
    is_account_type,
    new_case_id,
    utc_stamp,
)
from ringwatch.graph.capabilities import CaseRepository, CaseStore

T = TypeVar("T")

#: The longest title and note accepted (a case is read on a page, not a document store).
MAX_TITLE = 200
MAX_NOTE = 4_000

#: The role that may edit any case, not only its own.
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Editor:
    """Who changes a case, as the audit log names them: the actor, their key's id and role."""

    actor: str
    key_id: str | None
    role: str


class CaseNotFoundError(RingwatchError):
    """No case has the id a request names."""


class StaleCaseError(RingwatchError):
    """The case changed since the editor read it; ``current`` is its version now."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the case has changed: its version is now {current}")
        self.current = current


class NotCaseOwnerError(RingwatchError):
    """The editor neither owns the case nor is an admin."""


class CaseChangeError(RingwatchError, ValueError):
    """A change the case cannot take: an unknown ring or account, a close without outcome, ..."""


# --- reading -------------------------------------------------------------------------------------


def find_cases(store: CaseRepository, *, owner: str | None = None,
               status: CaseStatus | str | None = None) -> list[Case]:
    """The cases of ``owner`` (any owner when ``None``) in ``status`` (any when ``None``), oldest first."""
    wanted = None if status is None else CaseStatus(status)
    return [case for case in store.cases()
            if (owner is None or case.owner == owner) and (wanted is None or case.status is wanted)]


def get_case(store: CaseRepository, case_id: str) -> Case:
    """One case; :class:`CaseNotFoundError` when there is none."""
    case = store.case(case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id!r}")
    return case


def cases_of_rings(cases: Iterable[Case]) -> dict[str, str]:
    """Ring id -> the id of the case it is worked in, for every ring some case names.

    A ring may sit in several cases; an open or waiting one is preferred over a
    closed one, then the most recently changed, then the lowest id, so that the
    answer is the same in every run. The enforcement job reads this once per
    batch to put the case id into a ring's actions.
    """
    ordered = sorted(cases, key=lambda c: c.case_id, reverse=True)
    ordered.sort(key=lambda c: c.updated_at)  # stable sorts: the last key counts most
    ordered.sort(key=lambda c: not c.closed)
    # Later cases overwrite earlier ones: the last written for a ring is the preferred one.
    return {ring_id: case.case_id for case in ordered for ring_id in case.rings}


# --- opening -------------------------------------------------------------------------------------


def open_case(store: CaseStore, title: str, *, editor: Editor, rings: Iterable[str] = (),
              accounts: Iterable[CaseAccount] = (), note: str = "", request_id: str | None = None,
              at: str | None = None) -> Case:
    """Open a case owned by ``editor``, with its first rings, accounts and note; audited as ``case.open``.

    Raises :class:`CaseChangeError` for an empty or overlong title or note, or a
    ring or account the store does not have.
    """
    at = at or utc_stamp()
    title = _checked_title(title)
    ring_ids = _unique(_existing_ring(store, ring_id) for ring_id in rings)
    members = _unique(_existing_account(store, account) for account in accounts)
    notes = (CaseNote(at, editor.actor, _checked_note(note)),) if note.strip() else ()
    case = Case(case_id=new_case_id(), title=title, owner=editor.actor, status=CaseStatus.OPEN,
                created_at=at, updated_at=at, version=1, rings=ring_ids, accounts=members,
                notes=notes)
    if not store.save_case(case, expected_version=None):  # a random id taken: practically never
        raise StaleCaseError(0)
    _audit(store, case, editor, "open", {"title": title, "rings": list(ring_ids),
                                         "accounts": [a.key for a in members]}, request_id, at)
    return case


# --- changing ------------------------------------------------------------------------------------


def add_ring(store: CaseStore, case_id: str, ring_id: str, *, editor: Editor,
             expected_version: int | None, request_id: str | None = None,
             at: str | None = None) -> Case:
    """Add a ring to a case (a ring already there changes nothing and is not audited again)."""
    def change(case: Case) -> Case | None:
        if case.holds_ring(ring_id):
            return None
        return replace(case, rings=(*case.rings, _existing_ring(store, ring_id)))
    return _change(store, case_id, editor, expected_version, change, "add_ring",
                   {"ring_id": ring_id}, request_id, at)


def remove_ring(store: CaseStore, case_id: str, ring_id: str, *, editor: Editor,
                expected_version: int | None, request_id: str | None = None,
                at: str | None = None) -> Case:
    """Take a ring out of a case; :class:`CaseChangeError` when the case does not hold it."""
    def change(case: Case) -> Case:
        if not case.holds_ring(ring_id):
            raise CaseChangeError(f"case {case.case_id!r} holds no ring {ring_id!r}")
        return replace(case, rings=tuple(r for r in case.rings if r != ring_id))
    return _change(store, case_id, editor, expected_version, change, "remove_ring",
                   {"ring_id": ring_id}, request_id, at)


def add_account(store: CaseStore, case_id: str, account: CaseAccount, *, editor: Editor,
                expected_version: int | None, request_id: str | None = None,
                at: str | None = None) -> Case:
    """Add an account to a case (one already there changes nothing and is not audited again)."""
    def change(case: Case) -> Case | None:
        if account in case.accounts:
            return None
        return replace(case, accounts=(*case.accounts, _existing_account(store, account)))
    return _change(store, case_id, editor, expected_version, change, "add_account",
                   {"account": account.key}, request_id, at)


def remove_account(store: CaseStore, case_id: str, account: CaseAccount, *, editor: Editor,
                   expected_version: int | None, request_id: str | None = None,
                   at: str | None = None) -> Case:
    """Take an account out of a case; :class:`CaseChangeError` when the case does not hold it."""
    def change(case: Case) -> Case:
        if account not in case.accounts:
            raise CaseChangeError(f"case {case.case_id!r} holds no account {account.key!r}")
        return replace(case, accounts=tuple(a for a in case.accounts if a != account))
    return _change(store, case_id, editor, expected_version, change, "remove_account",
                   {"account": account.key}, request_id, at)


def add_note(store: CaseStore, case_id: str, text: str, *, editor: Editor,
             expected_version: int | None, request_id: str | None = None,
             at: str | None = None) -> Case:
    """Append a note, signed by the editor; the audit entry holds the note's text too."""
    when = at or utc_stamp()
    note = CaseNote(when, editor.actor, _checked_note(text))
    return _change(store, case_id, editor, expected_version,
                   lambda case: replace(case, notes=(*case.notes, note)), "note",
                   {"note": note.text}, request_id, when)


def set_status(store: CaseStore, case_id: str, status: CaseStatus | str, *, editor: Editor,
               expected_version: int | None, outcome: str | None = None,
               request_id: str | None = None, at: str | None = None) -> Case:
    """Move a case to ``status``: ``closed`` needs an ``outcome``, the others take none
    (reopening clears it)."""
    if status not in CaseStatus._value2member_map_ and not isinstance(status, CaseStatus):
        raise CaseChangeError(f"unknown case status {status!r}; one of "
                              f"{', '.join(s.value for s in CaseStatus)}")
    status = CaseStatus(status)
    outcome = (outcome or "").strip() or None
    if status is CaseStatus.CLOSED and outcome is None:
        raise CaseChangeError("a case is closed with an outcome: say what was found")
    if status is not CaseStatus.CLOSED and outcome is not None:
        raise CaseChangeError(f"only a closed case has an outcome, not an {status.value} one")

    def change(case: Case) -> Case | None:
        if case.status is status and case.outcome == outcome:
            return None
        return replace(case, status=status, outcome=outcome)
    return _change(store, case_id, editor, expected_version, change, "status",
                   {"status": status.value, "outcome": outcome}, request_id, at)


# --- the rules every change follows ----------------------------------------------------------------


def _change(store: CaseStore, case_id: str, editor: Editor, expected_version: int | None,
            change: Callable[[Case], Case | None], action: str, details: dict[str, object],
            request_id: str | None, at: str | None) -> Case:
    """Read, check owner and version, change, compare-and-set, audit: what every edit does.

    ``change`` returns ``None`` when the case already is as asked: then nothing
    is written or audited and the case comes back as it is.
    """
    case = get_case(store, case_id)
    if editor.role != ADMIN_ROLE and editor.actor != case.owner:
        raise NotCaseOwnerError(f"case {case_id!r} is {case.owner}'s: only its owner or an admin "
                                "changes it")
    if expected_version != case.version:
        raise StaleCaseError(case.version)
    changed = change(case)
    if changed is None:
        return case
    at = at or utc_stamp()
    updated = replace(changed, version=case.version + 1, updated_at=at)
    if not store.save_case(updated, expected_version=case.version):
        raise StaleCaseError(get_case(store, case_id).version)
    _audit(store, updated, editor, action, {**details, "previous_status": case.status.value},
           request_id, at)
    return updated


def _audit(store: CaseStore, case: Case, editor: Editor, action: str, details: dict[str, object],
           request_id: str | None, at: str) -> None:
    store.append_audit(AuditEntry(at=at, actor=editor.actor, action=f"case.{action}", details={
        "key_id": editor.key_id, "role": editor.role, "case_id": case.case_id, **details,
        "request_id": request_id, "status": case.status.value, "version": case.version}))


def _existing_ring(store: CaseStore, ring_id: str) -> str:
    if store.ring(ring_id) is None:
        raise CaseChangeError(f"no ring {ring_id!r}")
    return ring_id


def _existing_account(store: CaseStore, account: CaseAccount) -> CaseAccount:
    if not is_account_type(account.type):
        raise CaseChangeError(f"{account.type!r} is not an account type")
    if store.account(account.type, account.id) is None:
        raise CaseChangeError(f"no {account.type} {account.id!r} in the loaded snapshot")
    return account


def _checked_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise CaseChangeError(f"a case's title is 1 to {MAX_TITLE} characters")
    return title


def _checked_note(text: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_NOTE:
        raise CaseChangeError(f"a note is 1 to {MAX_NOTE} characters")
    return text


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))
