"""``/cases``: open, list (``owner=me``, ``status``), change under If-Match, audited; roles as for reviews.

Every test runs once per store (the ``api`` fixture): the real app over the
local store and over the real Neo4j.
"""

from __future__ import annotations

from typing import Any

from .api_support import Api, problem


def _ring_ids(api: Api, count: int = 2) -> list[str]:
    return [r["ring_id"] for r in api.run.rings[:count]]


def _creator(api: Api) -> str:
    return next(m["id"] for r in api.run.rings for m in r["members"] if m["type"] == "creator")


def _open(api: Api, role: str = "investigator", **body: Any):
    return api.post("/cases", role=role, json={"title": "payout shared by two farms", **body})


def _send(api: Api, method: str, path: str, etag: str | None, *, role: str = "investigator",
          json: Any = None):
    headers = api.headers(role, **({"If-Match": etag} if etag is not None else {}))
    return api.client.request(method, path, headers=headers, json=json)


def test_an_investigator_opens_a_case_owned_by_them_and_reads_it_back(api: Api) -> None:
    rings = _ring_ids(api)
    creator = _creator(api)
    response = _open(api, rings=rings, accounts=[{"type": "creator", "id": creator}],
                     note="seen in this week's queue")
    assert response.status_code == 201
    case = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/cases/{case['case_id']}"
    assert case["owner"] == "investigator-label" and case["status"] == "open"
    assert case["rings"] == rings and case["accounts"] == [{"type": "creator", "id": creator}]
    assert [n["text"] for n in case["notes"]] == ["seen in this week's queue"]
    assert "outcome" not in case or case["outcome"] is None
    again = api.get(f"/cases/{case['case_id']}", role="viewer")
    assert again.status_code == 200 and again.json() == case and again.headers["etag"] == '"1"'


def test_a_viewer_reads_cases_but_cannot_open_or_change_one(api: Api) -> None:
    assert _open(api, role="viewer").status_code == 403
    case = _open(api).json()
    assert api.get("/cases", role="viewer").status_code == 200
    response = _send(api, "POST", f"/cases/{case['case_id']}/notes", '"1"', role="viewer",
                     json={"text": "may I?"})
    assert response.status_code == 403
    assert api.get("/cases", role=None).status_code == 401


def test_listing_filters_by_owner_me_and_status(api: Api) -> None:
    mine = _open(api).json()
    other = _open(api, role="admin").json()
    waiting = _send(api, "PUT", f"/cases/{mine['case_id']}/status", '"1"',
                    json={"status": "waiting"})
    assert waiting.status_code == 200

    def ids(query: str, role: str = "investigator") -> list[str]:
        response = api.get(f"/cases{query}", role=role)
        assert response.status_code == 200, response.text
        return [c["case_id"] for c in response.json()["items"]]
    assert sorted(ids("")) == sorted([mine["case_id"], other["case_id"]])  # opened in one second
    assert ids("?owner=me") == [mine["case_id"]]
    assert ids("?owner=me", role="admin") == [other["case_id"]]
    assert ids("?owner=me&status=open") == []
    assert ids("?owner=me&status=waiting") == [mine["case_id"]]
    assert ids("?status=open") == [other["case_id"]]
    assert api.get("/cases?status=shelved").status_code == 422


def test_rings_accounts_notes_and_status_change_under_if_match_and_are_audited(api: Api) -> None:
    ring_a, ring_b = _ring_ids(api)
    creator = _creator(api)
    case = _open(api, rings=[ring_a]).json()
    path = f"/cases/{case['case_id']}"
    steps = [
        ("POST", "/rings", {"ring_id": ring_b}),
        ("POST", "/accounts", {"type": "creator", "id": creator}),
        ("POST", "/notes", {"text": "payments confirm one bank account"}),
        ("DELETE", f"/rings/{ring_a}", None),
        ("PUT", "/status", {"status": "closed", "outcome": "farm confirmed, payouts frozen"}),
    ]
    etag = '"1"'
    for method, tail, body in steps:
        response = _send(api, method, path + tail, etag, json=body)
        assert response.status_code == 200, (tail, response.text)
        etag = response.headers["etag"]
    final = api.get(path).json()
    assert final["version"] == 6 and etag == '"6"'
    assert final["rings"] == [ring_b]
    assert final["accounts"] == [{"type": "creator", "id": creator}]
    assert [n["text"] for n in final["notes"]] == ["payments confirm one bank account"]
    assert final["status"] == "closed" and final["outcome"] == "farm confirmed, payouts frozen"
    audited = [e for e in api.get("/audit?limit=200").json()["items"]
               if e.get("case_id") == case["case_id"]]
    assert [e["action"] for e in audited] == ["case.open", "case.add_ring", "case.add_account",
                                              "case.note", "case.remove_ring", "case.status"]
    assert {e["actor"] for e in audited} == {"investigator-label"}
    assert [e["version"] for e in audited] == [1, 2, 3, 4, 5, 6]
    # Reopening clears the outcome.
    reopened = _send(api, "PUT", path + "/status", etag, json={"status": "open"}).json()
    assert reopened["status"] == "open" and reopened.get("outcome") is None


def test_a_change_needs_if_match_and_a_stale_one_is_412(api: Api) -> None:
    case = _open(api).json()
    path = f"/cases/{case['case_id']}/notes"
    missing = _send(api, "POST", path, None, json={"text": "no etag"})
    assert missing.status_code == 428 and "If-Match" in problem(missing)["detail"]
    assert _send(api, "POST", path, '"1"', json={"text": "first"}).status_code == 200
    stale = _send(api, "POST", path, '"1"', json={"text": "second, from an old page"})
    assert stale.status_code == 412 and '"2"' in problem(stale)["detail"]
    assert [n["text"] for n in api.get(f"/cases/{case['case_id']}").json()["notes"]] == ["first"]


def test_only_the_owner_or_an_admin_changes_a_case(api: Api) -> None:
    case = _open(api, role="admin").json()
    path = f"/cases/{case['case_id']}/notes"
    refused = _send(api, "POST", path, '"1"', json={"text": "not mine"})
    assert refused.status_code == 403 and "admin" in problem(refused)["detail"]
    assert _send(api, "POST", path, '"1"', role="admin", json={"text": "mine"}).status_code == 200


def test_unknown_rings_accounts_and_a_close_without_outcome_are_422(api: Api) -> None:
    assert _open(api, rings=["R-nope"]).status_code == 422
    assert _open(api, accounts=[{"type": "creator", "id": "nobody"}]).status_code == 422
    case = _open(api).json()
    path = f"/cases/{case['case_id']}"
    for method, tail, body in (("POST", "/rings", {"ring_id": "R-nope"}),
                               ("POST", "/accounts", {"type": "creator", "id": "nobody"}),
                               ("PUT", "/status", {"status": "closed"}),
                               ("PUT", "/status", {"status": "waiting", "outcome": "why?"}),
                               ("DELETE", "/rings/R-never-added", None)):
        response = _send(api, method, path + tail, '"1"', json=body)
        assert response.status_code == 422, (tail, response.text)
    assert api.get(path).json()["version"] == 1
    assert api.get("/cases/C-missing").status_code == 404
    assert _send(api, "POST", "/cases/C-missing/notes", '"1"', json={"text": "x"}).status_code == 404
