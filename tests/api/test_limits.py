"""Body size caps, slow bodies and rate limits, through the app over each store.

The real-socket tests (a half-sent request to a served process) are in
``tests/api/test_serve_hardening.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ringwatch.api.limits import TokenBucket
from ringwatch.api.settings import ApiSettings
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot

from .api_support import Api, problem, serve_api

NEIGHBOURHOOD = "/accounts/creator/farm1_c0/neighbourhood"


@pytest.fixture
def limited(store: GraphStore, market_snapshots: dict[str, Snapshot]) -> Iterator[Api]:
    """The app with small limits: 64 KiB bodies, 3 failed key attempts, 2 graph reads a key."""
    settings = ApiSettings(cache_seconds=0.0, max_body_bytes=64 * 1024, failed_key_burst=3,
                           failed_keys_per_minute=0.01, expensive_read_burst=2,
                           expensive_reads_per_second=0.001)
    with serve_api(store, market_snapshots, settings=settings) as served:
        yield served


def test_a_declared_body_over_the_cap_is_413_before_the_key_is_checked(limited: Api) -> None:
    ring_id = limited.run.rings[0]["ring_id"]
    response = limited.client.post(f"/rings/{ring_id}/reviews", content=b"x" * (65 * 1024),
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 413  # not 401: the body never reached the app
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    assert "65536" in response.json()["detail"]
    assert limited.store.ring(ring_id).version in (0, None)


def test_a_streamed_body_is_cut_off_at_the_cap(limited: Api) -> None:
    ring_id = limited.run.rings[0]["ring_id"]
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(100):  # 1.6 MB in all, without a Content-Length
            sent.append(1)
            yield b"y" * 16384

    response = limited.post(f"/rings/{ring_id}/reviews", role="investigator", content=chunks(),
                            headers={"Content-Type": "application/json", "If-Match": '"0"'})
    assert response.status_code == 413
    assert "over the limit of 65536 bytes" in response.json()["detail"]


def test_a_body_under_the_cap_is_served_as_before(limited: Api) -> None:
    ring_id = limited.run.rings[0]["ring_id"]
    response = limited.post(f"/rings/{ring_id}/reviews", role="investigator",
                            json={"action": "escalate", "note": "n" * 2000},
                            headers={"If-Match": '"0"'})
    assert response.status_code == 201, response.text[:200]


def test_failed_key_attempts_from_one_address_are_429_with_retry_after(limited: Api) -> None:
    for _ in range(3):
        assert limited.client.get("/rings", headers={"X-API-Key": "rw_guess"}).status_code == 401
    refused = limited.client.get("/rings", headers={"X-API-Key": "rw_guess"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "failed API key attempts" in problem(refused)["detail"]
    # Once the address is out of attempts even the right key is not checked: no guess can land.
    assert limited.get("/rings", role="viewer").status_code == 429
    # Missing keys are not guesses, and health needs no key.
    assert limited.client.get("/healthz").status_code == 200


def test_a_valid_key_spends_no_failed_attempt(limited: Api) -> None:
    for _ in range(10):
        assert limited.get("/rings", role="viewer").status_code == 200


def test_expensive_reads_are_limited_per_key_with_retry_after(limited: Api) -> None:
    ring_id = limited.run.rings[0]["ring_id"]
    assert limited.get(NEIGHBOURHOOD, role="viewer").status_code == 200
    assert limited.get(f"/rings/{ring_id}/graph", role="viewer").status_code == 200
    refused = limited.get(NEIGHBOURHOOD, role="viewer")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "graph reads" in problem(refused)["detail"]
    assert limited.get("/paths?from=creator:farm1_c0&to=creator:farm1_c1",
                       role="viewer").status_code == 429
    # Another key has its own share; cheap reads are not limited.
    assert limited.get(NEIGHBOURHOOD, role="investigator").status_code == 200
    assert limited.get("/rings", role="viewer").status_code == 200


def test_the_limited_routes_document_429() -> None:
    from ringwatch.api.app import create_app

    paths = create_app(ApiSettings()).openapi()["paths"]
    for path in ("/accounts/{type}/{id}/neighbourhood", "/paths", "/rings/{ring_id}/graph"):
        assert "429" in paths[path]["get"]["responses"], path


def test_a_bucket_refills_at_its_rate_and_forgets_the_oldest_clients() -> None:
    now = [0.0]
    bucket = TokenBucket(burst=2, per_second=0.5, max_clients=2, clock=lambda: now[0])
    assert bucket.take("a") == 0.0 and bucket.take("a") == 0.0
    assert bucket.take("a") == pytest.approx(2.0)
    now[0] = 2.0
    assert bucket.exhausted("a") == 0.0 and bucket.take("a") == 0.0
    bucket.take("b")
    bucket.take("c")  # "a" is dropped: at most two clients are remembered
    assert bucket.exhausted("a") == 0.0 and len(bucket._buckets) == 2
