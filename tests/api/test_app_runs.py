"""Runs (list, one, start in the background, one at a time), stats, accounts and neighbourhoods."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot

from .api_support import Api, problem, serve_api


class WaitingRun:
    """A detection run the app is given that waits until the test releases it, then runs."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, store: GraphStore, **kwargs: Any) -> Any:
        self.started.set()
        assert self.release.wait(60), "the test never released the run"
        return run_detection(store, **kwargs)


@pytest.fixture
def waiting_run() -> Iterator[WaitingRun]:
    run = WaitingRun()
    yield run
    run.release.set()


@pytest.fixture
def api_with_waiting_run(store: GraphStore, market_snapshots: dict[str, Snapshot],
                         waiting_run: WaitingRun) -> Iterator[Api]:
    """The app whose POST /runs starts a run that waits for ``waiting_run.release``."""
    with serve_api(store, market_snapshots, detect=waiting_run) as served:
        yield served


def test_runs_are_listed_newest_first_with_parameters_and_counts(api: Api) -> None:
    second = api.second_week()
    body = api.get("/runs", role="viewer").json()
    assert [r["run_id"] for r in body["items"]] == [second.run["run_id"], api.run.run["run_id"]]
    one = api.get(f"/runs/{api.run.run['run_id']}").json()
    assert one["status"] == "succeeded"
    assert one["parameters"] == json.loads(json.dumps(api.run.run["parameters"]))
    assert one["rings"] == len(api.run.rings) and one["rings_by_kind"]["identity_ring"] >= 7
    assert one["duration_seconds"] >= 0 and "quarantine" in one
    missing = api.get("/runs/run-nope")
    assert missing.status_code == 404
    problem(missing)


def test_a_run_started_over_http_runs_in_the_background_and_is_audited(api: Api) -> None:
    response = api.post("/runs", headers={"X-Request-ID": "start-1"})
    assert response.status_code == 202
    run_id = response.json()["run_id"]
    assert response.json()["status"] == "running"
    assert api.client.app.state.runner.wait(120)
    run = api.get(f"/runs/{run_id}").json()
    assert run["status"] == "succeeded" and run["trigger"] == "api"
    assert run["started_by"] == "admin-label"
    assert api.get("/rings").json()["as_of_run"] == run_id  # the listing moved to the new run
    [entry] = [e for e in api.get("/audit").json()["items"] if e["action"] == "run.start"]
    assert entry["run_id"] == run_id and entry["actor"] == "admin-label"
    assert entry["role"] == "admin" and entry["request_id"] == "start-1"


def test_a_second_run_while_one_runs_is_409(api_with_waiting_run: Api,
                                            waiting_run: WaitingRun) -> None:
    api = api_with_waiting_run
    first = api.post("/runs")
    assert first.status_code == 202
    run_id = first.json()["run_id"]
    assert waiting_run.started.wait(30)
    busy = api.post("/runs")
    assert busy.status_code == 409
    assert run_id in problem(busy)["detail"]
    assert api.get(f"/runs/{run_id}").json()["status"] == "running"
    assert api.get("/runs").json()["items"][0] == api.get(f"/runs/{run_id}").json()
    waiting_run.release.set()
    assert api.client.app.state.runner.wait(120)
    assert api.get(f"/runs/{run_id}").json()["status"] == "succeeded"
    assert api.post("/runs").status_code == 202  # the slot is free again
    assert api.client.app.state.runner.wait(120)
    assert len([e for e in api.get("/audit").json()["items"] if e["action"] == "run.start"]) == 2


def _broken_run(store: GraphStore, **kwargs: Any) -> Any:
    raise RuntimeError("projection exploded: internal detail")


def test_a_failed_run_is_reported_and_frees_the_slot(store: GraphStore,
                                                     market_snapshots: dict[str, Snapshot]) -> None:
    with serve_api(store, market_snapshots, detect=_broken_run) as api:
        run_id = api.post("/runs").json()["run_id"]
        assert api.client.app.state.runner.wait(60)
        run = api.get(f"/runs/{run_id}").json()
        assert run["status"] == "failed" and "internal detail" not in run["error"]
        assert api.post("/runs").status_code == 202


def test_stats_per_run_and_now(api: Api) -> None:
    ring_id = next(r["ring_id"] for r in api.run.rings if r["kind"] == "identity_ring")
    api.post(f"/rings/{ring_id}/reviews", role="investigator", json={"action": "dismiss"},
             headers={"If-Match": '"0"'})
    second = api.second_week()
    body = api.get("/stats", role="viewer").json()
    assert body["as_of_run"] == second.run["run_id"]
    assert [r["run_id"] for r in body["runs"]] == [api.run.run["run_id"], second.run["run_id"]]
    latest = body["runs"][-1]
    assert (latest["new"], latest["persisting"], latest["dissolved"]) == (
        second.run["new"], second.run["persisting"], second.run["dissolved"])
    now = body["now"]["rings_by_kind_and_status"]
    assert now["identity_ring"]["dissolved"] == second.run["dissolved"]
    assert now["identity_ring"]["dismissed"] == 1
    open_rings = [r.to_json() for r in api.store.rings() if r.status in ("new", "confirmed", "escalated")]
    assert body["now"]["open_rings"] == len(open_rings)
    assert body["now"]["commission_held_by_open_rings"] == pytest.approx(
        sum(r["metrics"].get("commission_total", 0) for r in open_rings), abs=0.01)


def test_an_account_with_its_rings_risk_and_identifiers(api: Api) -> None:
    body = api.get("/accounts/creator/farm3_c0", role="viewer").json()
    assert (body["type"], body["id"]) == ("creator", "farm3_c0")
    [ring] = body["rings"]
    assert ring["accounts"] == 6 and body["risk"] == ring["score"] > 0
    assert {(i["type"], i["id"], i["shared_by"]) for i in body["identifiers"]} >= {
        ("payout_account", "farm3_payout_account", 6), ("device", "farm3_device", 6)}
    # Dismissing its only ring takes the risk to 0.
    api.post(f"/rings/{ring['ring_id']}/reviews", role="investigator",
             json={"action": "dismiss"}, headers={"If-Match": '"0"'})
    after = api.get("/accounts/creator/farm3_c0").json()
    assert after["risk"] == 0 and after["rings"][0]["status"] == "dismissed"
    clean = api.get("/accounts/creator/bg_c1").json()
    assert clean["risk"] == 0 and clean["rings"] == []


def test_an_unknown_account_is_404_and_a_bad_type_422(api: Api) -> None:
    for path in ("/accounts/creator/nobody", "/accounts/buyer/nobody/neighbourhood"):
        response = api.get(path)
        assert response.status_code == 404, path
        problem(response)
    assert api.get("/accounts/device/farm1_device").status_code == 422
    assert api.get("/accounts/creator/farm1_c0/neighbourhood?hops=3").status_code == 422
    assert api.get("/accounts/creator/farm1_c0/neighbourhood?limit=0").status_code == 422


def test_a_neighbourhood_flags_nodes_in_open_rings(api: Api) -> None:
    body = api.get("/accounts/creator/farm1_c0/neighbourhood?hops=2&limit=200",
                   role="viewer").json()
    nodes = {n["id"]: n for n in body["nodes"]}
    assert body["nodes"][0]["id"] == "creator:farm1_c0"
    assert {f"creator:farm1_c{i}" for i in range(4)} <= set(nodes)
    assert nodes["creator:farm1_c1"]["flagged"] and nodes["payout_account:farm1_payout_account"][
        "flagged"]
    assert any(not n["flagged"] for n in body["nodes"]) or body["truncated"] is False
    assert {"source": "creator:farm1_c0", "target": "device:farm1_device", "type": "USES"} in body[
        "edges"]
    small = api.get("/accounts/creator/farm1_c0/neighbourhood?hops=2&limit=2").json()
    assert len(small["nodes"]) == 2 and small["truncated"] is True
    clean = api.get("/accounts/creator/bg_c1/neighbourhood").json()
    assert not any(n["flagged"] for n in clean["nodes"])
