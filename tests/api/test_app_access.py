"""Keys and roles, problem details, request ids, metrics, and the settings that refuse unsafe serving."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from ringwatch.api.app import create_app
from ringwatch.api.auth import hash_key
from ringwatch.api.middleware import RequestIdLogFilter
from ringwatch.api.settings import ApiSettings, UnsafeSettingsError
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore

from .api_support import Api, make_key, problem

OPEN_PATHS = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs")


def test_without_a_key_every_api_endpoint_is_401(api: Api) -> None:
    for path in ("/rings", f"/rings/{api.run.rings[0]['ring_id']}", "/audit", "/runs", "/stats",
                 "/keys", "/accounts/creator/farm1_c0"):
        response = api.get(path, role=None)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "API key" in problem(response)["detail"]
    assert api.client.post("/runs").status_code == 401


def test_a_wrong_key_is_401_and_a_bearer_key_works(api: Api) -> None:
    assert api.client.get("/rings", headers={"X-API-Key": "rw_wrong"}).status_code == 401
    assert api.client.get("/rings", headers={"Authorization": "Bearer rw_wrong"}).status_code == 401
    bearer = api.client.get("/rings", headers={"Authorization": f"Bearer {api.keys['viewer']}"})
    assert bearer.status_code == 200


def test_a_key_created_while_serving_is_accepted_at_once(api: Api) -> None:
    assert api.get("/rings", role="viewer").status_code == 200  # the keys are in memory now
    late = make_key(api.store, "viewer", "late")  # as `ringwatch keys create` in another process
    assert api.client.get("/rings", headers={"X-API-Key": late}).status_code == 200


def test_a_key_revoked_while_serving_is_refused_at_the_next_request(api: Api) -> None:
    assert api.get("/rings", role="viewer").status_code == 200
    [viewer] = [k for k in api.store.api_keys() if k.role == "viewer"]
    # As `ringwatch keys revoke` in another process: the store only, nothing told the app.
    api.store.revoke_api_key(viewer.key_id, at="2026-11-22T10:00:00Z")
    refused = api.get("/rings", role="viewer")
    assert refused.status_code == 401 and "not valid" in problem(refused)["detail"]
    assert api.get("/rings", role="investigator").status_code == 200  # the others still work


def test_an_admin_revokes_a_key_over_http_audited_and_refused_at_once(api: Api) -> None:
    [viewer] = [k for k in api.store.api_keys() if k.role == "viewer"]
    path = f"/keys/{viewer.key_id}/revoke"
    assert api.post(path, role="investigator").status_code == 403
    assert api.get("/rings", role="viewer").status_code == 200
    response = api.post(path, headers={"X-Request-ID": "revoke-1"})
    assert response.status_code == 200
    body = response.json()
    assert body["key_id"] == viewer.key_id and body["role"] == "viewer" and body["revoked_at"]
    assert "hash" not in body and api.keys["viewer"] not in response.text
    assert api.get("/rings", role="viewer").status_code == 401
    again = api.post(path)  # revoking twice answers the same and audits once
    assert again.status_code == 200 and again.json()["revoked_at"] == body["revoked_at"]
    entries = [e for e in api.get("/audit").json()["items"] if e["action"] == "key.revoke"]
    assert len(entries) == 1
    [entry] = entries
    assert entry["actor"] == "admin-label" and entry["revoked_key_id"] == viewer.key_id
    assert entry["request_id"] == "revoke-1"
    # The record stays, so the key is still listed (and the audit log still resolves it).
    listed = {k["key_id"]: k for k in api.get("/keys").json()["items"]}
    assert listed[viewer.key_id]["revoked_at"] == body["revoked_at"]
    missing = api.post("/keys/key_nope/revoke")
    assert missing.status_code == 404 and "key_nope" in problem(missing)["detail"]


def test_a_keys_use_is_recorded_at_most_once_a_minute(api: Api, monkeypatch) -> None:
    recorded: list[str] = []
    record = api.store.record_api_key_use

    def counting(key_id: str, *, at: str) -> None:
        recorded.append(key_id)
        record(key_id, at=at)

    monkeypatch.setattr(api.store, "record_api_key_use", counting)
    for _ in range(5):
        assert api.get("/rings", role="viewer").status_code == 200
    [viewer] = [k for k in api.store.api_keys() if k.role == "viewer"]
    assert recorded == [viewer.key_id]
    assert viewer.last_used_at and viewer.last_used_at >= viewer.created_at
    assert not any(k.last_used_at for k in api.store.api_keys() if k.role == "investigator")
    listed = {k["key_id"]: k for k in api.get("/keys").json()["items"]}
    assert listed[viewer.key_id]["last_used_at"] == viewer.last_used_at


def test_keys_are_503_not_stale_when_the_store_cannot_say_whether_they_changed(
        api: Api, monkeypatch) -> None:
    def down() -> None:
        raise ConnectionError("store down")

    monkeypatch.setattr(api.store, "api_keys_revision", down)
    response = api.get("/rings", role="viewer")
    assert response.status_code == 503
    assert "store" in problem(response)["detail"]
    assert api.client.get("/healthz").status_code == 200


def test_roles_include_the_ones_below_and_weaker_roles_get_403(api: Api) -> None:
    ring_id = api.run.rings[0]["ring_id"]
    review = {"json": {"action": "confirm"}, "headers": {"If-Match": '"0"'}}
    forbidden = api.post(f"/rings/{ring_id}/reviews", role="viewer", **review)
    assert forbidden.status_code == 403
    assert "investigator" in problem(forbidden)["detail"]
    assert api.post("/runs", role="investigator").status_code == 403
    assert api.get("/keys", role="investigator").status_code == 403
    assert api.get("/keys", role="viewer").status_code == 403
    assert api.get("/rings", role="viewer").status_code == 200
    assert api.post(f"/rings/{ring_id}/reviews", role="admin", **review).status_code == 201


def test_keys_are_listed_without_secrets_or_hashes(api: Api) -> None:
    body = api.get("/keys").json()
    assert {k["role"] for k in body["items"]} == {"viewer", "investigator", "admin"}
    assert all(set(k) == {"key_id", "role", "label", "created_at", "last_used_at", "revoked_at"}
               for k in body["items"])
    for secret in api.keys.values():
        assert secret not in api.get("/keys").text and hash_key(secret) not in api.get("/keys").text


def test_keys_are_stored_as_sha256_only(api: Api) -> None:
    stored = api.store.api_keys()
    assert {k.hash for k in stored} == {hash_key(s) for s in api.keys.values()}
    assert all(s not in str(stored) for s in api.keys.values())
    assert all(s.startswith("rw_") and len(s) > 40 for s in api.keys.values())


def test_health_metrics_and_docs_need_no_key(api: Api) -> None:
    for path in OPEN_PATHS:
        assert api.client.get(path).status_code == 200, path


def test_every_response_carries_a_request_id(api: Api) -> None:
    seen = set()
    for path in ("/rings", "/healthz", "/nowhere", "/rings/R-nope"):
        response = api.get(path)
        seen.add(response.headers["x-request-id"])
    assert len(seen) == 4 and all(len(s) >= 16 for s in seen)
    mine = api.get("/rings", headers={"X-Request-ID": "trace-42"})
    assert mine.headers["x-request-id"] == "trace-42"
    unknown = api.get("/nowhere", headers={"X-Request-ID": "trace-43"})
    assert unknown.status_code == 404 and problem(unknown)["request_id"] == "trace-43"
    # An id that could forge log lines is replaced, not echoed.
    forged = api.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    assert forged.headers["x-request-id"] != "a b\tc" + "x" * 200


def test_an_unexpected_error_is_a_generic_500_logged_with_the_request_id(
        store: GraphStore, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(store=store)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    caplog.handler.addFilter(RequestIdLogFilter())
    with TestClient(app, raise_server_exceptions=False) as client:
        caplog.clear()
        response = client.get("/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    body = problem(response)
    assert body["request_id"] == "boom-1"
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.request_id == "boom-1"
    assert record.exc_info and "hunter2" in str(record.exc_info[1])


def test_log_lines_during_a_request_carry_its_id(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.set_level(logging.INFO, logger="ringwatch")
    api.post("/runs", headers={"X-Request-ID": "run-req-9"})
    api.client.app.state.runner.wait(120)
    lines = [r for r in caplog.records if r.name.startswith("ringwatch.detectors")]
    assert lines and all(r.request_id == "run-req-9" for r in lines)


def test_metrics_count_requests_by_route_template_and_status(api: Api) -> None:
    ring_id = api.run.rings[0]["ring_id"]
    api.get("/rings")
    api.get("/rings")
    api.get(f"/rings/{ring_id}")
    api.get("/rings", role=None)
    text = api.client.get("/metrics").text
    assert 'ringwatch_http_requests_total{method="GET",route="/rings",status="200"} 2.0' in text
    assert 'ringwatch_http_requests_total{method="GET",route="/rings",status="401"} 1.0' in text
    assert 'route="/rings/{ring_id}",status="200"' in text and ring_id not in text
    assert "ringwatch_http_request_duration_seconds_bucket" in text


def test_readyz_is_503_when_the_store_does_not_answer(api: Api, monkeypatch) -> None:
    def down() -> list:
        raise ConnectionError("store down")

    monkeypatch.setattr(api.store, "runs", down)
    response = api.client.get("/readyz")
    assert response.status_code == 503
    problem(response)
    assert api.client.get("/healthz").status_code == 200


def test_a_wildcard_cors_origin_is_refused() -> None:
    with pytest.raises(ValidationError, match="wildcard"):
        ApiSettings(cors_origins=["*"])
    assert ApiSettings(cors_origins="https://review.example, http://localhost:3000").cors_origins == [
        "https://review.example", "http://localhost:3000"]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGWATCH_API_PORT", "9001")
    monkeypatch.setenv("RINGWATCH_API_BACKEND", "neo4j")
    monkeypatch.setenv("RINGWATCH_API_CORS_ORIGINS", '["https://a.example"]')
    settings = ApiSettings()
    assert (settings.port, settings.backend.value, settings.cors_origins, settings.host) == (
        9001, "neo4j", ["https://a.example"], "127.0.0.1")
    monkeypatch.setenv("RINGWATCH_API_CORS_ORIGINS", "*")
    with pytest.raises(ValidationError):
        ApiSettings()


def test_serving_beyond_loopback_without_any_key_is_refused_at_startup(tmp_path: Path) -> None:
    empty = LocalStore(tmp_path / "store")
    for host in ("0.0.0.0", "10.1.2.3", "::"):
        with pytest.raises(UnsafeSettingsError, match="no API key"), TestClient(
                create_app(ApiSettings(host=host), store=empty)):
            pass
    for host in ("127.0.0.1", "localhost", "::1"):  # loopback: allowed, every request gets 401
        with TestClient(create_app(ApiSettings(host=host), store=empty)) as client:
            assert client.get("/rings", headers={"X-API-Key": "rw_x"}).status_code == 401
    make_key(empty, "admin")
    with TestClient(create_app(ApiSettings(host="0.0.0.0"), store=empty)) as client:
        assert client.get("/healthz").status_code == 200


def test_cors_allows_only_the_listed_origins(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    app = create_app(ApiSettings(cors_origins=["https://review.example"]), store=store)
    with TestClient(app) as client:
        ok = client.options("/rings", headers={"Origin": "https://review.example",
                                               "Access-Control-Request-Method": "GET",
                                               "Access-Control-Request-Headers": "X-API-Key"})
        assert ok.headers["access-control-allow-origin"] == "https://review.example"
        assert ok.headers["x-request-id"]
        other = client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
