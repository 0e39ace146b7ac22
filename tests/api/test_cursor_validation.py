"""Paging cursors are client input: any malformed one is a 400 problem, never a 500, and the
connection stays open.

The named cases run on both stores; the property (hypothesis: arbitrary text,
arbitrary bytes, arbitrary JSON payloads with huge numbers, NaN, deep nesting
and wrong types) runs on the local store, since cursors are read before any
store is asked; a real uvicorn server shows that a bad cursor does not cost
the client its keep-alive connection.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringwatch.api.app import create_app
from ringwatch.api.cursors import encode_cursor
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import run_detection
from ringwatch.domain import AuditEntry, Run
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import Snapshot

from .api_support import WEEK1, Api, make_key, problem


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _ring_cursor(key: Any, *, run: Any = "RUN", sort: Any = "score") -> str:
    return encode_cursor({"run": run, "sort": sort, "key": key})


#: Cursors no listing issued, by what is wrong with them. ``RUN`` is replaced by the real run id.
BAD_RING_CURSORS: dict[str, str] = {
    "not base64": "not-base64!",
    "base64 of bytes that are not UTF-8": _b64(b"\xff\xfe\x00"),
    "base64 of text that is not JSON": _b64(b"not json"),
    "a JSON list": _b64(b"[]"),
    "a JSON string": _b64(b'"score"'),
    "JSON nested deeper than the parser's recursion limit": _b64(b"[" * 1500),
    "an object nested deeply": _b64(b'{"key":' * 150 + b"1" + b"}" * 150),
    "a 400-digit number as the key": _ring_cursor([10**400, "R-1"]),
    "a 400-digit negative number": _ring_cursor([-(10**400), "R-1"]),
    "a 1400-digit number": _b64(
        b'{"key":[' + b"9" * 1400 + b',"R-1"],"run":"RUN","sort":"score"}'),
    "NaN as the key": _b64(b'{"key":[NaN,"R-1"],"run":"RUN","sort":"score"}'),
    "Infinity as the key": _b64(b'{"key":[Infinity,"R-1"],"run":"RUN","sort":"score"}'),
    "1e999 as the key": _b64(b'{"key":[1e999,"R-1"],"run":"RUN","sort":"score"}'),
    "a bool as the key": _ring_cursor([True, "R-1"]),
    "a string as the key's number": _ring_cursor(["0.5", "R-1"]),
    "a number as the key's ring id": _ring_cursor([-0.5, 7]),
    "an empty ring id": _ring_cursor([-0.5, ""]),
    "a key of three parts": _ring_cursor([-0.5, "R-1", "x"]),
    "a key that is an object": _ring_cursor({"score": -0.5}),
    "no key": encode_cursor({"run": "RUN", "sort": "score"}),
    "a run that is a number": _ring_cursor([-0.5, "R-1"], run=1),
    "a run that is a list": _ring_cursor([-0.5, "R-1"], run=["RUN"]),
    "a run id of 1,000 characters": _ring_cursor([-0.5, "R-1"], run="r" * 1000),
    "a ring id of 1,000 characters": _ring_cursor([-0.5, "R-1" * 333]),
    "a cursor of 5,000 characters": _ring_cursor([-0.5, "R-1"], run="r" * 5000),
    "a run the store never had": _ring_cursor([-0.5, "R-1"], run="run-none"),
    "another sort order": _ring_cursor([-0.5, "R-1"], sort="recent"),
    "a sort that is a list": _ring_cursor([-0.5, "R-1"], sort=["score"]),
}

BAD_AUDIT_CURSORS: dict[str, str] = {
    "a negative position": encode_cursor({"from": -1}),
    "a 400-digit position": encode_cursor({"from": 10**400}),
    "a position past the end of the log": encode_cursor({"from": 10**6}),
    "a fractional position": encode_cursor({"from": 1.5}),
    "a position that is a string": encode_cursor({"from": "3"}),
    "a bool position": encode_cursor({"from": True}),
    "NaN": _b64(b'{"from":NaN}'),
    "deep nesting": _b64(b"[" * 1500),
}


def _with_run(cursor: str, run_id: str) -> str:
    """``cursor`` with the placeholder run id replaced by ``run_id`` (in the decoded JSON)."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):
        return cursor
    if isinstance(payload, dict) and payload.get("run") == "RUN":
        return encode_cursor({**payload, "run": run_id})
    return cursor.replace(_b64(b'"run":"RUN"'), _b64(f'"run":"{run_id}"'.encode()))


def test_every_malformed_cursor_is_a_400_problem(api: Api) -> None:
    # One test per store over every case (the app is built once), each failure named.
    api.post("/runs")  # one audit entry, so that a position past the end is past something
    api.client.app.state.runner.wait(120)
    failures = {}
    cases = [("/rings", name, _with_run(cursor, api.run.run["run_id"]))
             for name, cursor in BAD_RING_CURSORS.items()]
    cases += [("/audit", name, cursor) for name, cursor in BAD_AUDIT_CURSORS.items()]
    for path, name, cursor in cases:
        response = api.get(path, params={"cursor": cursor, "limit": 2})
        if response.status_code != 400 or "cursor" not in problem(response)["detail"]:
            failures[f"{path}: {name}"] = f"{response.status_code} {response.text[:200]}"
    assert not failures, failures


def test_issued_cursors_still_page_through_everything(api: Api) -> None:
    for sort in ("score", "recent"):
        query = {"limit": 2, "sort": sort, "status": "all"}
        seen, page = [], api.get("/rings", params=query).json()
        while True:
            seen += [r["ring_id"] for r in page["items"]]
            if page["next_cursor"] is None:
                break
            page = api.get("/rings", params={**query, "cursor": page["next_cursor"]}).json()
        assert sorted(seen) == sorted(r["ring_id"] for r in api.run.rings)


# --- the property, on the local store ------------------------------------------------------------


@pytest.fixture(scope="module")
def local_client(tmp_path_factory: pytest.TempPathFactory,
                 market_snapshots: dict[str, Snapshot]) -> Iterator[tuple[TestClient, str, str]]:
    """A client of the app over a local store with week 1 and its run; its key and run id."""
    store = LocalStore(Path(tmp_path_factory.mktemp("cursors")) / "store")
    store.write_snapshot(market_snapshots["week1"])
    run_id = run_detection(store, now=WEEK1).run["run_id"]
    key = make_key(store, "viewer", "cursors")
    store.append_audit(AuditEntry(at="2026-11-01T00:00:00Z", actor="x", action="review.confirm"))
    with TestClient(create_app(ApiSettings(cache_seconds=60.0), store=store),
                    raise_server_exceptions=False) as client:
        yield client, key, run_id


#: JSON numbers, with ints too large for a float (a 400-digit number) and NaN / infinities.
_NUMBERS = (st.integers() | st.floats() | st.integers(min_value=10**300, max_value=10**420)
            | st.integers(min_value=-(10**420), max_value=-(10**300)))
_JSON_SCALARS = st.none() | st.booleans() | _NUMBERS | st.text(max_size=30)
_JSON = st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def _payloads(run_id: str, sort: str) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads near the real ones for a listing in ``sort`` order: mostly the right run and
    sort, so that the key itself (any JSON, huge numbers, NaN) gets read, and any field may be
    missing or of any type."""
    near = st.fixed_dictionaries({
        "run": st.just(run_id), "sort": st.just(sort),
        "key": st.tuples(_NUMBERS, st.text(min_size=1, max_size=30)).map(list)
        | st.tuples(_JSON_SCALARS, _JSON_SCALARS).map(list) | _JSON})
    anything = st.fixed_dictionaries({}, optional={
        "run": st.just(run_id) | _JSON, "sort": st.just(sort) | _JSON, "key": _JSON,
        "from": _JSON_SCALARS})
    return near | anything


def test_no_cursor_whatsoever_makes_a_server_error(local_client: tuple[TestClient, str, str]) -> None:
    client, key, run_id = local_client

    @given(data=st.data(), listing=st.sampled_from(["score", "recent", "audit"]))
    @settings(max_examples=400, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(data: st.DataObject, listing: str) -> None:
        cursor = data.draw(st.text(max_size=300)
                           | st.binary(max_size=300).map(_b64)
                           | _payloads(run_id, listing).map(encode_cursor)
                           | _JSON.map(lambda v: _b64(json.dumps(v).encode())), label="cursor")
        path = "/audit" if listing == "audit" else f"/rings?sort={listing}"
        response = client.get(path, params={"cursor": cursor}, headers={"X-API-Key": key})
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert "cursor" in problem(response)["detail"]
        else:
            assert set(response.json()) >= {"items", "next_cursor"}

    check()


# --- a real server keeps the connection ----------------------------------------------------------


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """The app on a real uvicorn server (in a thread) over an empty local store; port and key."""
    store = LocalStore(tmp_path / "store")
    store.save_run(Run("run-1"), [])
    key = make_key(store, "viewer", "live")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(ApiSettings(), store=store), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port, key
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_malformed_cursor_does_not_close_the_connection(live_server: tuple[int, str]) -> None:
    port, key = live_server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"X-API-Key": key}
    connection.request("GET", "/rings", headers=headers)
    first = connection.getresponse()
    first.read()
    sock = connection.sock
    assert first.status == 200 and sock is not None
    for name, cursor in {**BAD_RING_CURSORS, **BAD_AUDIT_CURSORS}.items():
        path = "/audit" if name in BAD_AUDIT_CURSORS else "/rings"
        connection.request("GET", f"{path}?cursor={cursor}", headers=headers)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 400, (name, body)
        assert response.getheader("Connection", "").lower() != "close", name
        assert not response.will_close and connection.sock is sock, name
    connection.request("GET", "/rings", headers=headers)
    last = connection.getresponse()
    assert last.status == 200 and last.read().startswith(b'{"items":')
    assert connection.sock is sock
    connection.close()
