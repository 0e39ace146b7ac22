"""Reviews (If-Match guarded, audited) and the audit log."""

from __future__ import annotations

from .api_support import Api, problem

CONFIRM = {"action": "confirm", "note": "four creators cash out to one payout account"}


def _ring_id(api: Api, kind: str = "identity_ring") -> str:
    return next(r["ring_id"] for r in api.run.rings if r["kind"] == kind)


def test_a_review_needs_if_match_428(api: Api) -> None:
    ring_id = _ring_id(api)
    response = api.post(f"/rings/{ring_id}/reviews", role="investigator", json=CONFIRM)
    assert response.status_code == 428
    assert "If-Match" in problem(response)["detail"]
    assert api.get(f"/rings/{ring_id}").json()["status"] == "new"


def test_a_review_confirms_the_ring_and_returns_it_with_a_new_etag(api: Api) -> None:
    ring_id = _ring_id(api)
    etag = api.get(f"/rings/{ring_id}", role="viewer").headers["etag"]
    response = api.post(f"/rings/{ring_id}/reviews", role="investigator", json=CONFIRM,
                        headers={"If-Match": etag, "X-Request-ID": "review-req-1"})
    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/rings/{ring_id}"
    ring = response.json()
    assert ring["status"] == ring["review_status"] == "confirmed"
    assert ring["version"] == 1
    [review] = ring["reviews"]
    assert review["action"] == "confirm" and review["note"] == CONFIRM["note"]
    assert review["actor"] == "investigator-label" and review["at"]
    members = next(r for r in api.run.rings if r["ring_id"] == ring_id)["members"]
    assert ring["reviewed_members"] == sorted(
        f"{m['type']}:{m['id']}" for m in members if m["type"] in ("creator", "shop", "seller",
                                                                    "buyer"))
    # Stored, and seen at once by the listing (the cache is dropped on review).
    again = api.get(f"/rings/{ring_id}")
    assert again.headers["etag"] == '"1"' and again.json()["status"] == "confirmed"
    listed = {r["ring_id"]: r for r in api.get("/rings").json()["items"]}
    assert listed[ring_id]["status"] == "confirmed"
    assert [r["ring_id"] for r in api.get("/rings?status=confirmed").json()["items"]] == [ring_id]


def test_a_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    ring_id = _ring_id(api)
    first = api.post(f"/rings/{ring_id}/reviews", role="investigator", json=CONFIRM,
                     headers={"If-Match": '"0"'})
    assert first.status_code == 201
    for stale in ('"0"', "0", 'W/"0"', '"7"', "garbage"):
        response = api.post(f"/rings/{ring_id}/reviews", role="investigator",
                            json={"action": "dismiss", "note": "late"}, headers={"If-Match": stale})
        assert response.status_code == 412, stale
        assert '"1"' in problem(response)["detail"]
    ring = api.get(f"/rings/{ring_id}").json()
    assert ring["status"] == "confirmed" and len(ring["reviews"]) == 1 and ring["version"] == 1
    weak = api.post(f"/rings/{ring_id}/reviews", role="investigator",
                    json={"action": "escalate"}, headers={"If-Match": 'W/"1"'})
    assert weak.status_code == 201 and weak.json()["status"] == "escalated"


def test_reviewing_an_unknown_ring_is_404(api: Api) -> None:
    response = api.post("/rings/R-nope/reviews", role="investigator", json=CONFIRM,
                        headers={"If-Match": '"0"'})
    assert response.status_code == 404
    problem(response)


def test_a_bad_review_body_is_422_with_the_field(api: Api) -> None:
    ring_id = _ring_id(api)
    for body, field in (({"action": "approve"}, ["body", "action"]),
                        ({"note": "no action"}, ["body", "action"]),
                        ({"action": "confirm", "note": "x" * 4001}, ["body", "note"]),
                        ({"action": "confirm", "extra": 1}, ["body", "extra"])):
        response = api.post(f"/rings/{ring_id}/reviews", role="investigator", json=body,
                            headers={"If-Match": '"0"'})
        assert response.status_code == 422, body
        assert problem(response)["errors"][0]["loc"] == field
    not_json = api.post(f"/rings/{ring_id}/reviews", role="investigator", content=b"{",
                        headers={"If-Match": '"0"', "Content-Type": "application/json"})
    assert not_json.status_code == 422
    problem(not_json)


def test_dismissing_hides_the_ring_from_the_default_list_and_a_rerun_keeps_the_decision(
        api: Api) -> None:
    ring_id = _ring_id(api, "commission_abuse")
    response = api.post(f"/rings/{ring_id}/reviews", role="investigator",
                        json={"action": "dismiss", "note": "a family"}, headers={"If-Match": '"0"'})
    assert response.status_code == 201
    assert ring_id not in {r["ring_id"] for r in api.get("/rings").json()["items"]}
    assert ring_id in {r["ring_id"] for r in api.get("/rings?status=dismissed").json()["items"]}
    api.second_week()
    response = api.get(f"/rings/{ring_id}")
    ring = response.json()
    assert ring["status"] == "dismissed" and [r["action"] for r in ring["reviews"]] == ["dismiss"]
    # The run changed the ring: the ETag the reviewer held no longer matches.
    assert ring["version"] == 2 and response.headers["etag"] == '"2"'
    stale = api.post(f"/rings/{ring_id}/reviews", role="investigator", json={"action": "confirm"},
                     headers={"If-Match": '"1"'})
    assert stale.status_code == 412


def test_every_review_is_in_the_audit_log_with_who_what_and_the_request_id(api: Api) -> None:
    ring_id = _ring_id(api)
    other = _ring_id(api, "commission_abuse")
    api.post(f"/rings/{ring_id}/reviews", role="investigator", json=CONFIRM,
             headers={"If-Match": '"0"', "X-Request-ID": "review-req-1"})
    api.post(f"/rings/{other}/reviews", role="admin", json={"action": "escalate", "note": "big"},
             headers={"If-Match": '"0"'})
    entries = api.get("/audit", role="viewer").json()
    assert entries["next_cursor"] is None
    first, second = entries["items"]
    assert {k: first[k] for k in ("actor", "role", "action", "ring_id", "note", "request_id",
                                  "previous_status", "status")} == {
        "actor": "investigator-label", "role": "investigator", "action": "review.confirm",
        "ring_id": ring_id, "note": CONFIRM["note"], "request_id": "review-req-1",
        "previous_status": "new", "status": "confirmed"}
    assert first["at"] and first["audit_id"] and first["seq"] < second["seq"]
    assert second["action"] == "review.escalate" and second["actor"] == "admin-label"
    # Filters.
    assert [e["ring_id"] for e in api.get(f"/audit?ring_id={other}").json()["items"]] == [other]
    assert [e["action"] for e in api.get("/audit?actor=investigator-label").json()["items"]] == [
        "review.confirm"]
    assert api.get("/audit?since=2999-01-01T00:00:00Z").json()["items"] == []
    assert api.get("/audit?until=2000-01-01T00:00:00Z").json()["items"] == []
    assert len(api.get(f"/audit?since={first['at']}&until=2999-01-01T00:00:00").json()["items"]) == 2
    # Paging, oldest first.
    page = api.get("/audit?limit=1").json()
    assert [e["seq"] for e in page["items"]] == [first["seq"]] and page["next_cursor"]
    rest = api.get(f"/audit?limit=1&cursor={page['next_cursor']}").json()
    assert [e["seq"] for e in rest["items"]] == [second["seq"]] and rest["next_cursor"] is None
    assert api.get("/audit?cursor=W10").status_code == 400
