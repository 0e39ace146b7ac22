"""``ringwatch serve`` as a real process: half-sent requests time out, TLS, refusing plain HTTP
beyond loopback, and no key in the access log.

Each test starts the served process on a free loopback port and talks to it
through real sockets (a slow client is something only a real server sees).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.api.server import check_transport, redact
from ringwatch.api.settings import ApiSettings, UnsafeSettingsError
from ringwatch.graph.local_store import LocalStore

from .api_support import make_key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(store_dir: Path, *args: str, env: dict[str, str] | None = None,
           context: ssl.SSLContext | None = None) -> Iterator[tuple[int, list[str]]]:
    """``ringwatch serve`` on a free port until ready; yields the port and, after exit, its log."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ringwatch", "serve", "--port", str(port), "--store",
         str(store_dir), *args], env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log: list[str] = []
    scheme = "https" if context else "http"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/readyz", timeout=2,
                                            context=context) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.3)
        yield port, log
    finally:
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # a connection a test left open held the shutdown
            server.kill()
            _, stderr = server.communicate(timeout=30)
        log.extend(stderr.splitlines())


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    LocalStore(path)  # serve never makes a store
    return path


def _read_until_closed(connection: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    connection.settimeout(within)
    started, received = time.monotonic(), b""
    while chunk := connection.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def test_a_half_sent_body_is_answered_408_and_the_connection_closed(store_dir: Path) -> None:
    env = {"RINGWATCH_API_BODY_TIMEOUT_SECONDS": "1"}
    with served(store_dir, env=env) as (port, _), \
            socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"POST /rings/R-1/reviews HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{\"a\":")
        received, took = _read_until_closed(client, within=8)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert took < 5


def test_a_half_sent_request_head_is_closed_after_the_header_timeout(store_dir: Path) -> None:
    env = {"RINGWATCH_API_HEADER_TIMEOUT_SECONDS": "1"}
    with served(store_dir, env=env) as (port, _):
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /rings HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            received, took = _read_until_closed(client, within=8)
        assert received == b"" and took < 5
        with socket.create_connection(("127.0.0.1", port)) as silent:  # nothing sent at all
            received, took = _read_until_closed(silent, within=8)
        assert received == b"" and took < 5
        # A whole request on a fresh connection is still served.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            assert answer.status == 200


def test_a_key_in_the_query_string_never_reaches_the_access_log(store_dir: Path) -> None:
    key = make_key(LocalStore(store_dir), "viewer")
    with served(store_dir) as (port, log):
        for target in (f"/rings?api_key={key}&limit=2", f"/rings?token={key}", f"/r/{key}"):
            with suppress(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{target}", timeout=5)
    access = [line for line in log if "GET /rings" in line or "GET /r/" in line]
    assert len(access) == 3, log[-20:]
    assert not any(key in line for line in log)
    assert "GET /rings?api_key=REDACTED&limit=2 " in "\n".join(access)


def test_redact_leaves_plain_targets_alone() -> None:
    assert redact("/rings?limit=5&kind=identity_ring") == "/rings?limit=5&kind=identity_ring"
    assert redact("/rings?KEY=abc&x=1") == "/rings?KEY=REDACTED&x=1"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_serve_speaks_https_with_the_given_certificate(store_dir: Path, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(cert))
    with served(store_dir, "--tls-cert", str(cert), "--tls-key", str(key),
                context=context) as (port, log):
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=5,
                                    context=context) as answer:
            assert answer.status == 200
        with socket.create_connection(("127.0.0.1", port)) as plain:  # plain HTTP gets no answer
            plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            received, _ = _read_until_closed(plain, within=8)
        assert not received.startswith(b"HTTP/1.1 200")
    assert any(f"https://127.0.0.1:{port}/ui" in line for line in log), log[-10:]


def test_serve_refuses_plain_http_beyond_loopback(store_dir: Path) -> None:
    make_key(LocalStore(store_dir), "admin")  # keys exist: only the transport is wrong
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--store", str(store_dir)])
    assert result.exit_code == 1
    assert "plain HTTP" in result.stderr and "--allow-plain-http" in result.stderr


def test_check_transport_allows_tls_loopback_or_an_explicit_proxy(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    check_transport(ApiSettings(host="127.0.0.1"))
    check_transport(ApiSettings(host="0.0.0.0", tls_cert=cert, tls_key=key))
    check_transport(ApiSettings(host="0.0.0.0", allow_plain_http=True))
    with pytest.raises(UnsafeSettingsError, match="plain HTTP"):
        check_transport(ApiSettings(host="10.1.2.3"))
    with pytest.raises(UnsafeSettingsError, match="both"):
        check_transport(ApiSettings(host="0.0.0.0", tls_cert=cert))
