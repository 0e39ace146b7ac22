"""`ringwatch keys revoke` and `keys list`, and a revocation reaching a running `ringwatch serve` at once.

Each test runs once per store (the parametrised ``store`` fixture): the
command line and the server are pointed at the same local store directory,
or at the same real Neo4j, as an operator's shell and server would be.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore

from .api_support import make_key

runner = CliRunner()


def _store_options(store: GraphStore) -> list[str]:
    """The command-line options that point `ringwatch` at ``store``."""
    if isinstance(store, LocalStore):
        return ["--store", str(store.directory)]
    return ["--backend", "neo4j"]  # RINGWATCH_NEO4J_* name the test server


def _cli(store: GraphStore, *args: str):
    return runner.invoke(app, ["--log-level", "warning", *args, *_store_options(store)],
                         catch_exceptions=False)


def _key_id(store: GraphStore, label: str) -> str:
    return next(k.key_id for k in store.api_keys() if k.label == label)


def test_keys_revoke_keeps_the_record_says_so_in_one_line_and_audits_it(store: GraphStore) -> None:
    make_key(store, "viewer", "alice")
    make_key(store, "admin", "ops")
    key_id = _key_id(store, "alice")
    result = _cli(store, "keys", "revoke", key_id)
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert key_id in line and "revoked" in line and "already" not in line
    records = {k.key_id: k for k in store.api_keys()}
    assert records[key_id].revoked_at and records[key_id].label == "alice"
    assert not records[_key_id(store, "ops")].revoked_at
    [entry] = (e.to_json() for e in store.audit_entries())
    assert entry["action"] == "key.revoke" and entry["revoked_key_id"] == key_id
    assert entry["actor"].startswith("cli:")
    again = _cli(store, "keys", "revoke", key_id)
    assert again.exit_code == 0 and "already" in again.stdout
    assert len(store.audit_entries()) == 1


def test_keys_revoke_of_an_unknown_key_exits_2_with_one_line(store: GraphStore) -> None:
    make_key(store, "viewer", "alice")
    result = _cli(store, "keys", "revoke", "key_nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "no such key" in line and "key_nope" in line
    assert not any(k.revoked_at for k in store.api_keys())
    assert store.audit_entries() == []


def test_keys_list_shows_use_and_revocation_but_no_secret(store: GraphStore) -> None:
    secret = make_key(store, "viewer", "alice")
    make_key(store, "admin", "ops")
    alice, ops = _key_id(store, "alice"), _key_id(store, "ops")
    store.record_api_key_use(ops, at="2026-11-22T09:30:00Z")
    store.revoke_api_key(alice, at="2026-11-22T10:00:00Z")
    result = _cli(store, "keys", "list")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "key_id" in line)
    columns = ("key_id", "role", "label", "created_at", "last_used_at", "revoked_at")
    assert [header.index(c) for c in columns] == sorted(header.index(c) for c in columns)
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if "key_" in line
            and "key_id" not in line}
    assert "2026-11-22T10:00:00Z" in rows[alice] and "2026-11-22T09:30:00Z" not in rows[alice]
    assert "2026-11-22T09:30:00Z" in rows[ops] and "2026-11-22T10:00:00Z" not in rows[ops]
    assert "1 revoked" in result.stdout
    assert secret not in result.output and "hash" not in result.output


# --- a running server ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _ringwatch(store: GraphStore, *args: str) -> subprocess.CompletedProcess[str]:
    """``ringwatch ARGS`` as a process of its own, as an operator's shell runs it."""
    return subprocess.run([sys.executable, "-m", "ringwatch", "--log-level", "warning", *args,
                           *_store_options(store)], capture_output=True, text=True, timeout=120,
                          check=False)


@contextmanager
def _serving(store: GraphStore) -> Iterator[str]:
    """A real `ringwatch serve` process over ``store``; yields its base URL."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ringwatch", "--log-level", "warning", "serve", "--port", str(port),
         *_store_options(store)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _status(f"{base}/readyz", "") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
        assert "Traceback" not in stderr, stderr[-3000:]


@pytest.mark.slow
def test_a_key_revoked_from_the_shell_is_refused_by_a_running_server_at_the_next_request(
        store: GraphStore) -> None:
    created = _ringwatch(store, "keys", "create", "--role", "viewer", "--label", "soon-gone")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    keeper = make_key(store, "viewer", "keeper")
    with _serving(store) as base:
        assert _status(f"{base}/rings", key) == 200
        assert _status(f"{base}/rings", key) == 200
        revoked = _ringwatch(store, "keys", "revoke", _key_id(store, "soon-gone"))
        assert revoked.returncode == 0, revoked.stderr
        # The very next request: no waiting for a cache to expire.
        assert _status(f"{base}/rings", key) == 401
        assert _status(f"{base}/stats", key) == 401
        assert _status(f"{base}/rings", keeper) == 200
        # A key created while serving works at once too.
        late = _ringwatch(store, "keys", "create", "--role", "viewer", "--label", "late")
        assert _status(f"{base}/rings", late.stdout.strip()) == 200
    # The server recorded the key's use before it was revoked (once: at most once a minute).
    record = next(k for k in store.api_keys() if k.label == "soon-gone")
    assert record.last_used_at and record.revoked_at and record.revoked_at >= record.last_used_at
