"""`ringwatch keys create|list` and `ringwatch serve` (a real uvicorn process on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from typer.testing import CliRunner

from ringwatch.api.auth import hash_key
from ringwatch.api.cli import app
from ringwatch.graph.local_store import LocalStore

runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, ["--log-level", "warning", *args], catch_exceptions=False)


def test_keys_create_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    LocalStore(store_dir)  # an existing store: keys and serve never make one
    result = _cli("keys", "create", "--role", "investigator", "--label", "alice",
                  "--store", str(store_dir))
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("rw_") and "\n" not in key
    assert "shown only this once" in result.stderr
    [record] = LocalStore(store_dir).api_keys()
    assert record.hash == hash_key(key) and record.role == "investigator"
    assert record.label == "alice" and key not in str(record)
    listed = _cli("keys", "list", "--store", str(store_dir))
    assert listed.exit_code == 0
    assert record.key_id in listed.stdout and "investigator" in listed.stdout
    assert "alice" in listed.stdout
    assert key not in listed.output and record.hash not in listed.output


def test_keys_create_refuses_an_unknown_role(tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "root", "--store", str(tmp_path)])
    assert result.exit_code == 2
    assert LocalStore(tmp_path).api_keys() == []


def test_serve_refuses_a_public_address_before_any_key_exists(tmp_path: Path) -> None:
    LocalStore(tmp_path / "store")  # an existing store: serve never makes one
    result = _cli("serve", "--host", "0.0.0.0", "--store", str(tmp_path / "store"))
    assert result.exit_code == 1
    assert "no API key" in result.stderr and "keys create" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_serve_answers_over_http_and_logs_request_ids(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    LocalStore(store_dir)  # an existing store: keys and serve never make one
    key = _cli("keys", "create", "--role", "viewer", "--store", str(store_dir)).stdout.strip()
    port = _free_port()
    env = {**os.environ, "RINGWATCH_STORE": str(store_dir)}
    server = subprocess.Popen([sys.executable, "-m", "ringwatch", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.3)
        status, headers, body = _get(f"{base}/rings", {"X-API-Key": key, "X-Request-ID": "e2e-1"})
        assert status == 200 and headers["X-Request-ID"] == "e2e-1"
        assert body == b'{"items":[],"next_cursor":null,"as_of_run":null}'
        status, headers, _ = _get(f"{base}/rings")
        assert status == 401 and headers["Content-Type"] == "application/problem+json"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    access = [line for line in stderr.splitlines() if "GET /rings" in line]
    assert any("[e2e-1]" in line and " 200" in line for line in access), stderr[-3000:]
