"""The enforcement job's output directory: its lock, its batch journals and its action files.

Why a journal: the actions of a batch must be durable before the store says
their rings are enforced (docs/contract.md section 2b), and a job killed
between the two must be finished by the next one. The journal of a batch is
written (and ``fsync``-ed) before anything else happens; it holds every
planned action, so the next run can re-export exactly the same lines with the
same ids and mark the rings that were not marked yet, without asking the
policy or the store what they would say today.

Layout of ``OUT`` (all names documented in docs/enforcement.md)::

    OUT/.enforce.lock              held (flock) by the running job; names its pid
    OUT/batches/BATCH.json         the journal of one batch: its state, planned rings and actions
    OUT/actions-BATCH.jsonl|.csv   the batch's actions, for the systems that carry them out

Every file is written whole, ``fsync``-ed, renamed into place and its directory
``fsync``-ed, so a reader (or a crash) never sees half a file. The lock is an
``flock``: the kernel drops it when the process dies, so a killed job never
leaves the directory locked.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NotRequired, Required, TypedDict, cast

from ringwatch import RingwatchError
from ringwatch.durable import PRIVATE_FILE_MODE, fsync_directory

LOCK_NAME = ".enforce.lock"
JOURNAL_DIR = "batches"
FORMATS: tuple[str, ...] = ("jsonl", "csv")

#: Journal states: ``planned`` (written before any ring is marked; the batch is
#: unfinished until it says ``done``) and ``done``.
PLANNED, DONE = "planned", "done"

#: Columns of the CSV export: the JSON fields of docs/contract.md section 2b, ``target`` as two columns.
CSV_COLUMNS: tuple[str, ...] = ("action_id", "batch_id", "ring_id", "action", "target_type", "target_id",
                                "rule", "reason", "commission_held", "currency", "ring_version",
                                "created_at", "case_id")



class ActionTarget(TypedDict):
    """What an action is taken on: a member of the ring (``creator``, ``shop``, ...) or the ring."""

    type: str
    id: str


class EnforcementAction(TypedDict):
    """One action, as a line of the actions file (docs/contract.md section 2b)."""

    action_id: str
    batch_id: str
    ring_id: str
    action: str
    target: ActionTarget
    rule: str
    reason: str
    commission_held: float
    currency: str | None
    ring_version: int
    created_at: str
    #: The investigator's case the ring was worked in (None: none); absent in actions
    #: planned before cases existed.
    case_id: NotRequired[str | None]


class PlannedRing(TypedDict, total=False):
    """A ring in a batch's journal: what it was when planned, its actions, and how far it got.

    ``state`` is ``planned``, then ``enforced`` or ``withdrawn`` (``why`` says why).
    """

    ring_id: Required[str]
    ring_version: Required[int]
    status: Required[str]
    rule: Required[str]
    state: Required[str]
    actions: Required[list[EnforcementAction]]
    why: str


class PolicyStamp(TypedDict):
    """Which policy planned a batch: where it came from and its digest."""

    source: str
    sha256: str


class BatchSummary(TypedDict):
    """What a finished batch did (written when its state becomes ``done``)."""

    enforced: int
    withdrawn: int
    actions: int


class BatchJournal(TypedDict, total=False):
    """A batch's journal (``OUT/batches/BATCH.json``, docs/enforcement.md).

    ``finished_at`` and ``summary`` are there once the batch is ``done``.
    """

    batch_id: Required[str]
    state: Required[str]
    format: Required[str]
    file: Required[str]
    created_at: Required[str]
    actor: Required[str]
    policy: Required[PolicyStamp]
    rings: Required[list[PlannedRing]]
    finished_at: str
    summary: BatchSummary


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_TEMP_MARK = ".tmp-"


class EnforcementLockedError(RingwatchError):
    """Another enforcement job holds the output directory's lock (the command exits 5)."""


class JournalError(RingwatchError):
    """A batch journal in the output directory cannot be read; the message names the file."""


def check_batch_id(batch_id: str) -> str:
    """Return ``batch_id`` if it is usable in a file name, else raise ``ValueError`` saying why."""
    if not _BATCH_ID.match(batch_id):
        raise ValueError(f"batch id {batch_id!r} must be 1-128 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (it names the batch's files)")
    return batch_id


def new_batch_id(now: datetime) -> str:
    """A batch id no other run makes: UTC time to the microsecond and 32 random bits.

    Two jobs started in the same second must never share files, which the
    second-resolution ids of earlier versions did.
    """
    return f"enforce-{now:%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(4)}"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``OUT/.enforce.lock`` for the whole job, or raise :class:`EnforcementLockedError` at once.

    Non-blocking on purpose: a scheduler that started a second job while the
    first still runs must hear so immediately (exit 5), not queue a job that
    would find nothing left to do.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise EnforcementLockedError(
                f"another enforcement job is running on {out_dir} ({holder}); this one did "
                "nothing (exit 5): let that job finish, it completes every batch") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole and durably: temp file, ``fsync``, rename, ``fsync`` the directory."""
    tmp = path.with_name(f".{path.name}{_TEMP_MARK}{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_directory(path.parent)


def remove_temp_files(out_dir: Path) -> int:
    """Delete temp files a killed job left behind (only under the lock); returns how many."""
    removed = 0
    for folder in (out_dir, out_dir / JOURNAL_DIR):
        if folder.is_dir():
            for path in folder.glob(f".*{_TEMP_MARK}*"):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def journal_path(out_dir: Path, batch_id: str) -> Path:
    """Where the journal of ``batch_id`` lives."""
    return out_dir / JOURNAL_DIR / f"{batch_id}.json"


def actions_path(out_dir: Path, batch_id: str, fmt: str) -> Path:
    """Where the actions of ``batch_id`` are exported, as ``fmt`` (``jsonl`` or ``csv``)."""
    return out_dir / f"actions-{batch_id}.{fmt}"


def write_journal(out_dir: Path, journal: BatchJournal) -> Path:
    """Write a batch's journal durably (see :func:`write_atomic`); returns its path."""
    path = journal_path(out_dir, journal["batch_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(journal, separators=(",", ":")) + "\n").encode())
    return path


def read_journal(path: Path) -> BatchJournal:
    """One journal; :class:`JournalError` when it is not one (it was written atomically, so never torn)."""
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise JournalError(f"batch journal {path} cannot be read ({exc}); move it aside only after "
                           "checking its batch's actions file") from None
    if not isinstance(journal, dict) or not {"batch_id", "state", "rings"} <= set(journal):
        raise JournalError(f"{path} is not a batch journal (no batch_id, state or rings)")
    return cast(BatchJournal, journal)


def journals(out_dir: Path) -> list[BatchJournal]:
    """Every batch journal in ``out_dir``, oldest first (by when it was planned, then id)."""
    folder = out_dir / JOURNAL_DIR
    if not folder.is_dir():
        return []
    found = [read_journal(p) for p in sorted(folder.glob("*.json")) if not p.name.startswith(".")]
    return sorted(found, key=lambda j: (str(j.get("created_at", "")), j["batch_id"]))


def exported_actions(journal: BatchJournal) -> list[EnforcementAction]:
    """The actions a batch's file holds: those of every planned ring not withdrawn, in plan order."""
    return [a for ring in journal["rings"] if ring.get("state") != "withdrawn" for a in ring["actions"]]


def render_actions(actions: Sequence[dict[str, Any]], fmt: str) -> bytes:
    """Actions as the bytes of a JSONL (one object per line) or CSV file (header, one row each)."""
    if fmt == "jsonl":
        return "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in actions).encode()
    if fmt != "csv":
        raise ValueError(f"unknown actions format {fmt!r} (known: {', '.join(FORMATS)})")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    # The writer quotes a cell holding "\n" (the line terminator) but not one holding a lone
    # "\r", which would end the row for most readers: such rows are written fully quoted.
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for a in actions:
        row = [csv_cell(value) for value in (
            a["action_id"], a["batch_id"], a["ring_id"], a["action"], a["target"]["type"],
            a["target"]["id"], a["rule"], a["reason"], a["commission_held"],
            a.get("currency") or "", a.get("ring_version", ""), a["created_at"],
            a.get("case_id") or "")]
        carriage_return = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (quoted if carriage_return else writer).writerow(row)
    return buffer.getvalue().encode()


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula.

    Target ids and reasons come from marketplace input: an account id such as
    ``=HYPERLINK(...)`` would be a live formula in whoever opens the export.
    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
    return gets a leading single quote (OWASP's CSV injection guidance);
    numbers are left alone (a negative amount is a number, not a formula).

    >>> csv_cell("=1+1"), csv_cell("creator:7"), csv_cell(-2.5)
    ("'=1+1", 'creator:7', -2.5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def export_actions(out_dir: Path, journal: BatchJournal) -> Path:
    """Make the batch's actions file hold exactly the journal's actions, durably; returns its path.

    A file that already holds those bytes is left alone (a re-run or a
    recovery rewrites nothing); otherwise it is replaced whole.
    """
    path = out_dir / journal["file"]
    data = render_actions(exported_actions(journal), journal["format"])
    try:
        if path.read_bytes() == data:
            return path
    except FileNotFoundError:
        pass
    write_atomic(path, data)
    return path
