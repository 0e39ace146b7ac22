"""``/rings``: listing, filters, sort, cursor paging pinned to a run, one ring, its subgraph."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import networkx as nx

from ringwatch.domain import Ring, Run, utc_stamp

from .api_support import WEEK1, Api, problem

SUMMARY_FIELDS = {"ring_id", "kind", "score", "status", "first_detected", "last_seen_run",
                  "metrics", "accounts", "top_evidence"}


def _all_pages(api: Api, query: str) -> tuple[list[dict], set[str]]:
    items, runs = [], set()
    page = api.get(f"/rings?{query}").json()
    while True:
        items += page["items"]
        runs.add(page["as_of_run"])
        if page["next_cursor"] is None:
            return items, runs
        page = api.get(f"/rings?{query}&cursor={page['next_cursor']}").json()


def test_the_list_is_the_runs_rings_by_score_then_id(api: Api) -> None:
    response = api.get("/rings", role="viewer")
    assert response.status_code == 200
    body = response.json()
    assert body["as_of_run"] == api.run.run["run_id"]
    assert body["next_cursor"] is None
    assert [r["ring_id"] for r in body["items"]] == [r["ring_id"] for r in api.run.rings]
    assert [r["score"] for r in body["items"]] == sorted((r["score"] for r in body["items"]), reverse=True)
    first = body["items"][0]
    assert set(first) == SUMMARY_FIELDS
    ring = next(r for r in api.run.rings if r["ring_id"] == first["ring_id"])
    assert first["accounts"] == sum(1 for m in ring["members"]
                                    if m["type"] in ("creator", "shop", "seller", "buyer"))
    assert first["top_evidence"] == max(ring["evidence"], key=lambda e: e["weight"])["text"]
    assert {r["kind"] for r in body["items"]} >= {"identity_ring", "commission_abuse"}


def test_filters_by_kind_score_member_and_since(api: Api) -> None:
    identity = api.get("/rings?kind=identity_ring").json()["items"]
    assert identity and {r["kind"] for r in identity} == {"identity_ring"}
    cut = sorted(r["score"] for r in api.run.rings)[len(api.run.rings) // 2]
    high = api.get(f"/rings?min_score={cut}").json()["items"]
    assert high and all(r["score"] >= cut for r in high)
    assert len(high) == sum(1 for r in api.run.rings if r["score"] >= cut)
    farm = api.get("/rings?member=creator:farm3_c0").json()["items"]
    assert [r["accounts"] for r in farm] == [6]
    assert api.get("/rings?member=creator:nobody").json()["items"] == []
    assert len(api.get("/rings?since=2026-10-01T00:00:00Z").json()["items"]) == len(api.run.rings)
    later = utc_stamp(WEEK1 + timedelta(days=1))
    assert api.get(f"/rings?since={later}").json()["items"] == []


def test_sort_recent_is_first_detected_descending_then_id(api: Api) -> None:
    api.second_week()
    items, _ = _all_pages(api, "sort=recent&limit=3")
    keys = [(r["first_detected"], r["ring_id"]) for r in items]
    assert keys == sorted(keys, key=lambda k: (-_seconds(k[0]), k[1]))
    assert items[0]["first_detected"] > items[-1]["first_detected"]


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_status_filter_default_hides_dismissed_and_dissolved(api: Api) -> None:
    second = api.second_week()
    dissolved = {r["ring_id"] for r in second.touched if r["status"] == "dissolved"}
    assert dissolved
    default = {r["ring_id"] for r in api.get("/rings").json()["items"]}
    assert default and not default & dissolved
    assert {r["ring_id"] for r in api.get("/rings?status=dissolved").json()["items"]} == dissolved
    everything = api.get("/rings?status=all&limit=200").json()["items"]
    assert {r["ring_id"] for r in everything} == default | dissolved
    assert api.get("/rings?status=confirmed").json()["items"] == []


def test_bad_parameters_are_422_problems_naming_the_field(api: Api) -> None:
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("min_score=2", "min_score"),
                         ("status=open", "status"), ("sort=size", "sort"),
                         ("member=nocolon", "member"), ("member=planet:p_1", "member"),
                         ("since=yesterday", "since"), ("kind=farm", "kind"),
                         ("kind=no_such_kind", "kind")):
        response = api.get(f"/rings?{query}")
        assert response.status_code == 422, query
        body = problem(response)
        assert body["errors"][0]["loc"] == ["query", field]
        assert {"loc", "msg", "type"} == set(body["errors"][0])
        assert field in body["detail"]


def test_a_cursor_that_was_not_issued_is_a_400_problem(api: Api) -> None:
    # not base64, not JSON, a JSON list, a payload without a key, a run the store never had
    for cursor in ("not-base64!", "bm90IGpzb24", "W10", "eyJydW4iOiAxfQ",
                   "eyJrZXkiOlstMC41LCJSLTEiXSwicnVuIjoicnVuLW5vbmUiLCJzb3J0Ijoic2NvcmUifQ"):
        response = api.get(f"/rings?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert "cursor" in problem(response)["detail"]


def test_a_cursor_from_another_sort_order_is_refused(api: Api) -> None:
    cursor = api.get("/rings?limit=1").json()["next_cursor"]
    assert api.get(f"/rings?limit=1&sort=recent&cursor={cursor}").status_code == 400


def test_paging_neither_skips_nor_repeats_while_a_run_writes_rings(api: Api) -> None:
    """Page 1, then a new run on changed data, then the rest: exactly the first run's rings."""
    first = api.get("/rings?limit=2&status=all").json()
    pinned = first["as_of_run"]
    assert pinned == api.run.run["run_id"] and first["next_cursor"]
    second = api.second_week()  # new ring, a grown ring's score changes, a ring dissolves
    assert second.run["new"] >= 1 and second.run["dissolved"] >= 1
    items, page = list(first["items"]), first
    while page["next_cursor"]:
        page = api.get(f"/rings?limit=2&status=all&cursor={page['next_cursor']}").json()
        assert page["as_of_run"] == pinned
        items += page["items"]
    ids = [r["ring_id"] for r in items]
    assert len(ids) == len(set(ids)), "a ring was repeated"
    assert set(ids) == {r["ring_id"] for r in api.run.rings}, "a ring was skipped or added"
    # As of the pinned run: its scores, in its order, with nothing dissolved.
    as_of = {r["ring_id"]: r["score"] for r in api.run.rings}
    assert [r["score"] for r in items] == [as_of[i] for i in ids]
    assert ids == [r["ring_id"] for r in api.run.rings]  # the run's queue order
    assert all(r["status"] != "dissolved" for r in items)
    # A new listing pins the new run.
    fresh = api.get("/rings?limit=2").json()
    assert fresh["as_of_run"] == second.run["run_id"]


def _tied(ring_id: str, money: list[tuple[str, float]]) -> dict[str, Any]:
    """A ring scored 0.9999 in every run of ``money`` (run id, its commission then)."""
    return {"ring_id": ring_id, "kind": "identity_ring", "score": 0.9999, "status": "new",
            "members": [{"type": "creator", "id": f"tie-{ring_id}"}],
            "evidence": [{"code": "shared_device", "text": "tied", "weight": 0.9}],
            "metrics": {"commission_total": money[-1][1], "currency": "USD", "orders": 1},
            "first_detected": "2026-11-20T00:00:00Z", "run_id": money[-1][0],
            "history": [{"run_id": run, "score": 0.9999, "accounts": 1, "commission_total": c,
                         "currency": "USD", "orders": 1} for run, c in money]}


def test_rings_tied_on_score_page_one_at_a_time_by_commission_at_stake(api: Api) -> None:
    """Tied rings (ids against the money) paged one per page while a later run turns their money
    around: the pinned listing keeps its run's order, a fresh one takes the new run's."""
    first = {"R-t1": 10.0, "R-t2": 500.0, "R-t3": 80.0}
    then = {"R-t1": 9000.0, "R-t2": 1.0, "R-t3": 80.0}
    save(api.store, "run-tied-1", [_tied(i, [("run-tied-1", c)]) for i, c in first.items()])
    page = api.get("/rings?limit=1&kind=identity_ring").json()
    ids = [r["ring_id"] for r in page["items"]]
    save(api.store, "run-tied-2", [
        _tied(i, [("run-tied-1", first[i]), ("run-tied-2", c)]) for i, c in then.items()])
    while page["next_cursor"]:
        page = api.get(f"/rings?limit=1&kind=identity_ring&cursor={page['next_cursor']}").json()
        assert page["as_of_run"] == "run-tied-1"
        ids += [r["ring_id"] for r in page["items"]]
    assert ids == ["R-t2", "R-t3", "R-t1"]
    fresh = api.get("/rings?kind=identity_ring").json()
    assert fresh["as_of_run"] == "run-tied-2"
    assert [r["ring_id"] for r in fresh["items"]] == ["R-t1", "R-t3", "R-t2"]


def save(store: Any, run_id: str, rings: list[dict[str, Any]]) -> None:
    """Save ring documents (as the tests write them) as a run's records."""
    store.save_run(Run(run_id), [Ring.from_json(r) for r in rings])


def _ring_of(ring_id: str, members: list[str], *, status: str = "new") -> dict[str, Any]:
    return {"ring_id": ring_id, "kind": "identity_ring", "score": 0.8, "status": status,
            "members": [dict(zip(("type", "id"), m.split(":", 1), strict=True)) for m in members],
            "evidence": [{"code": "shared_device", "text": f"why {ring_id}", "weight": 0.5}],
            "metrics": {}, "first_detected": "2026-11-20T00:00:00Z", "run_id": "run-overlap",
            "history": [{"run_id": "run-overlap", "score": 0.8, "accounts": 1}]}


def test_a_ring_says_which_open_rings_share_its_accounts(api: Api) -> None:
    save(api.store, "run-overlap", [
        _ring_of("R-o1", ["creator:oc1", "creator:oc2", "creator:oc3", "device:od1"]),
        _ring_of("R-o2", ["creator:oc2", "creator:oc3", "shop:os1"]),
        _ring_of("R-o3", ["creator:oc1", "buyer:ob1"]),
        _ring_of("R-o4", ["creator:oc1", "creator:oc2"], status="dismissed"),  # not open
        _ring_of("R-o5", ["buyer:ob9", "device:od1"]),  # shares an identifier only
    ])
    ring = api.get("/rings/R-o1", role="viewer").json()
    assert ring["overlaps"] == [
        {"ring_id": "R-o2", "kind": "identity_ring", "status": "new", "score": 0.8, "shared_accounts": 2},
        {"ring_id": "R-o3", "kind": "identity_ring", "status": "new", "score": 0.8, "shared_accounts": 1}]
    assert [o["ring_id"] for o in api.get("/rings/R-o2").json()["overlaps"]] == ["R-o1"]
    assert [o["ring_id"] for o in api.get("/rings/R-o4").json()["overlaps"]] == ["R-o1", "R-o2", "R-o3"]
    assert api.get("/rings/R-o5").json()["overlaps"] == []
    response = api.get("/rings/R-o3")
    reviewed = api.post("/rings/R-o3/reviews", role="investigator", json={"action": "dismiss", "note": "x"},
                        headers={"If-Match": response.headers["ETag"]})
    assert reviewed.status_code == 201
    assert [o["ring_id"] for o in reviewed.json()["overlaps"]] == ["R-o1"]
    # Dismissed now: the ring it overlapped no longer names it.
    assert [o["ring_id"] for o in api.get("/rings/R-o1").json()["overlaps"]] == ["R-o2"]


def test_one_ring_with_its_etag(api: Api) -> None:
    ring_id = api.run.rings[0]["ring_id"]
    response = api.get(f"/rings/{ring_id}", role="viewer")
    assert response.status_code == 200
    assert response.headers["etag"] == '"0"'
    body = response.json()
    assert body["ring_id"] == ring_id and body["version"] == 0
    assert body["members"] == api.run.rings[0]["members"]
    assert body["evidence"] and body["history"][0]["run_id"] == api.run.run["run_id"]
    assert {"lineage", "reviews", "note", "metrics"} <= set(body)


def test_an_unknown_ring_is_a_404_problem(api: Api) -> None:
    for path in ("/rings/R-nope", "/rings/R-nope/graph"):
        response = api.get(path)
        assert response.status_code == 404
        assert "R-nope" in problem(response)["detail"]


def test_the_subgraph_as_json_graphml_and_gexf(api: Api) -> None:
    ring = next(r for r in api.run.rings if r["kind"] == "identity_ring")
    body = api.get(f"/rings/{ring['ring_id']}/graph", role="viewer").json()
    members = {f"{m['type']}:{m['id']}" for m in ring["members"]}
    assert {n["id"] for n in body["nodes"]} == members
    assert body["edges"] and {e["type"] for e in body["edges"]} == {"USES"}
    assert body["truncated"] is False
    graphml = api.get(f"/rings/{ring['ring_id']}/graph?format=graphml")
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    assert set(nx.parse_graphml(graphml.text).nodes) == members
    gexf = api.get(f"/rings/{ring['ring_id']}/graph?format=gexf")
    assert gexf.headers["content-type"].startswith("application/gexf+xml")
    assert set(nx.read_gexf(io.BytesIO(gexf.content)).nodes) == members
    assert api.get(f"/rings/{ring['ring_id']}/graph?format=dot").status_code == 422
