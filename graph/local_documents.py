"""The local store's documents: rings, runs, API keys and cases as JSON files, the audit log and
reviewers' verdicts as JSON lines.

This is where the local store's records meet their JSON: every method takes and
returns :mod:`ringwatch.domain` records, written with ``to_json`` and read with
``from_json`` here and nowhere else.

Every read-change-write holds the store's :class:`~ringwatch.graph.local_files.StoreLock`
(the API server and a detection run may write at the same time, from threads
and from processes); every JSON file is replaced by an atomic rename after an
``fsync``, and the audit log is appended to, and ``fsync``-ed, instead.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any

from ringwatch.domain import ApiKey, AuditEntry, Case, Ring, Run, Verdict
from ringwatch.durable import PRIVATE_FILE_MODE, fsync_directory

from .capabilities import KeyRevocation
from .local_files import StoreLock, atomic_text
from .store import numbered, upserted_api_key

log = logging.getLogger(__name__)

#: The files of what detection found in the current snapshot: ``load --replace`` removes them.
_DETECTIONS = ("rings.json", "runs.json")
#: Every file the documents keep, relative to the store's directory.
_FILES = (*_DETECTIONS, "api_keys.json", "audit.jsonl", "verdicts.jsonl", "cases.json")


class LocalDocuments:
    """Rings, runs, API keys and the audit log of one store directory (arguments already checked)."""

    def __init__(self, directory: Path, lock: StoreLock) -> None:
        self.directory = directory
        self._lock = lock

    def _json(self, name: str) -> list[dict[str, Any]]:
        path = self.directory / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else []

    def _write(self, name: str, documents: list[dict[str, Any]]) -> None:
        atomic_text(json.dumps(documents), self.directory / f"{name}.json")

    # --- rings and runs ----------------------------------------------------------------------

    def save_run(self, run: Run, rings: Iterable[Ring]) -> None:
        docs = [ring.to_json() for ring in rings]
        with self._lock.held():
            stored = {r["ring_id"]: r for r in self._json("rings")}
            for doc in docs:
                stored[doc["ring_id"]] = doc
            runs = [r for r in self._json("runs") if r["run_id"] != run.run_id] + [run.to_json()]
            self._write("rings", list(stored.values()))
            self._write("runs", runs)

    def rings(self) -> list[Ring]:
        """The rings in the order they were first saved."""
        return [Ring.from_json(doc) for doc in self._json("rings")]

    def runs(self) -> list[Run]:
        return [Run.from_json(doc) for doc in self._json("runs")]

    def ring(self, ring_id: str) -> Ring | None:
        doc = next((r for r in self._json("rings") if r["ring_id"] == ring_id), None)
        return None if doc is None else Ring.from_json(doc)

    def replace_ring(self, ring: Ring, *, expected_version: int) -> bool:
        with self._lock.held():
            stored = self._json("rings")
            for i, old in enumerate(stored):
                if old["ring_id"] == ring.ring_id:
                    if (old.get("version") or 0) != expected_version:
                        return False
                    stored[i] = ring.to_json()
                    self._write("rings", stored)
                    return True
            return False

    # --- the audit log -----------------------------------------------------------------------

    @property
    def _audit_path(self) -> Path:
        return self.directory / "audit.jsonl"

    def append_audit(self, entry: AuditEntry) -> None:
        with self._lock.held():
            path = self._audit_path
            _append_line(path, numbered(entry, _last_audit_seq(path) + 1).to_json())

    def audit_entries(self) -> list[AuditEntry]:
        entries = _whole_records(self._audit_path, _audit_record, "audit entry")
        return [AuditEntry.from_json(doc) for doc in sorted(entries, key=lambda e: e["seq"])]

    # --- verdicts ----------------------------------------------------------------------------

    @property
    def _verdicts_path(self) -> Path:
        return self.directory / "verdicts.jsonl"

    def append_verdict(self, verdict: Verdict) -> None:
        with self._lock.held():
            _append_line(self._verdicts_path, verdict.to_json())

    def verdicts(self) -> list[Verdict]:
        return [Verdict.from_json(doc)
                for doc in _whole_records(self._verdicts_path, _json_record, "verdict")]

    # --- cases -------------------------------------------------------------------------------

    def cases(self) -> list[Case]:
        """The cases in the order they were first saved."""
        return [Case.from_json(doc) for doc in self._json("cases")]

    def case(self, case_id: str) -> Case | None:
        doc = next((c for c in self._json("cases") if c["case_id"] == case_id), None)
        return None if doc is None else Case.from_json(doc)

    def insert_case(self, case: Case) -> bool:
        with self._lock.held():
            stored = self._json("cases")
            if any(doc["case_id"] == case.case_id for doc in stored):
                return False
            self._write("cases", [*stored, case.to_json()])
            return True

    def replace_case(self, case: Case, *, expected_version: int) -> bool:
        with self._lock.held():
            stored = self._json("cases")
            for i, old in enumerate(stored):
                if old["case_id"] == case.case_id:
                    if int(old.get("version") or 0) != expected_version:
                        return False
                    stored[i] = case.to_json()
                    self._write("cases", stored)
                    return True
            return False

    # --- API keys ----------------------------------------------------------------------------

    @property
    def _keys_path(self) -> Path:
        return self.directory / "api_keys.json"

    def save_api_key(self, key: ApiKey) -> None:
        with self._lock.held():
            keys = self._json("api_keys")
            stored = next((ApiKey.from_json(k) for k in keys if k["key_id"] == key.key_id), None)
            keys = [k for k in keys if k["key_id"] != key.key_id] + [
                upserted_api_key(stored, key).to_json()]
            self._write("api_keys", keys)

    def api_keys(self) -> list[ApiKey]:
        """The key records in the order they were first saved."""
        return [ApiKey.from_json(doc) for doc in self._json("api_keys")]

    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        with self._lock.held():
            keys = self._json("api_keys")
            for i, doc in enumerate(keys):
                if doc["key_id"] == key_id:
                    stored = ApiKey.from_json(doc)
                    if stored.revoked:
                        return KeyRevocation(stored, revoked_now=False)
                    revoked = dataclasses.replace(stored, revoked_at=at)
                    keys[i] = revoked.to_json()
                    self._write("api_keys", keys)
                    return KeyRevocation(revoked, revoked_now=True)
            return None

    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        with self._lock.held():
            keys = self._json("api_keys")
            for i, stored in enumerate(keys):
                if stored["key_id"] == key_id and str(stored.get("last_used_at") or "") < at:
                    keys[i] = {**stored, "last_used_at": at}
                    self._write("api_keys", keys)
                    return

    def api_keys_revision(self) -> Hashable:
        """The keys file's inode, size and times (one ``stat``, no read).

        Every write replaces the file by a rename of a new file, made while the
        old one still exists, so each write changes the inode it shows; with
        the size and the nanosecond times on top, two states compare equal
        only if nothing was written in between (short of writes within one
        clock tick that end with a file of the very same size on a reused inode).
        """
        try:
            status = os.stat(self._keys_path)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns

    def clear_locked(self) -> None:
        """Delete every document, the audit log, the verdicts and the cases; the caller holds the lock."""
        for name in _FILES:
            (self.directory / name).unlink(missing_ok=True)

    def clear_detections_locked(self) -> None:
        """Delete the runs and rings only (``load --replace``: keys, audit, verdicts and cases
        stay); the caller holds the lock."""
        for name in _DETECTIONS:
            (self.directory / name).unlink(missing_ok=True)


def _append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line and ``fsync`` it (and the directory when it is new)."""
    line = (json.dumps(record) + "\n").encode()
    created = not path.exists()
    # Opened with the owner-only mode: the audit log and the verdicts are no one else's to read.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE),
                   "ab") as f:
        if not created and _ends_without_newline(path):
            # A torn last line from a crashed writer: keep it apart from this record.
            f.write(b"\n")
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    if created:
        fsync_directory(path.parent)


def _whole_records(path: Path, parse: Callable[[bytes], dict[str, Any] | None],
                   what: str) -> list[dict[str, Any]]:
    """Every whole record of an append-only JSON-lines file, in file order.

    A line ``parse`` refuses is skipped with a warning (a torn write); a last
    line without its newline may be an append still being written, and is
    skipped quietly.
    """
    if not path.exists():
        return []
    records = []
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            record = parse(line)
            if record is not None:
                records.append(record)
            elif line.endswith(b"\n") and line.strip():
                log.warning("%s line %d is not a whole %s (a torn write?); skipped",
                            path, number, what)
    return records


def _json_record(line: bytes) -> dict[str, Any] | None:
    """One JSON-lines line as its object, ``None`` when it is not a whole one (a torn write)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _audit_record(line: bytes) -> dict[str, Any] | None:
    """One audit log line as its entry, ``None`` when it is not a whole entry (a torn write)."""
    record = _json_record(line)
    return record if record is not None and isinstance(record.get("seq"), int) else None


def _ends_without_newline(path: Path) -> bool:
    with path.open("rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def _last_audit_seq(path: Path) -> int:
    """The ``seq`` of the last whole entry of the audit log (0 if none), reading only its tail."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        end = f.seek(0, os.SEEK_END)
        size = 4096
        while True:
            start = max(0, end - size)
            f.seek(start)
            lines = f.read(end - start).split(b"\n")
            if start > 0:
                lines = lines[1:]  # may begin mid-line
            for line in reversed(lines):
                record = _audit_record(line)
                if record is not None:
                    return int(record["seq"])
            if start == 0:
                return 0
            size *= 4
