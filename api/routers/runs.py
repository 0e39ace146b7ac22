"""``/runs``: detection runs, and starting one (admin) in the background."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import AuditEntry, Run, utc_stamp

from ..auth import Admin, Viewer
from ..deps import Runner, Store
from ..middleware import request_id_of
from ..ring_views import json_safe
from ..schemas import Run as RunModel
from ..schemas import RunList, RunStarted, problem_responses

router = APIRouter(prefix="/runs", tags=["runs"])


def present(run: Run) -> dict[str, Any]:
    """A stored run record as the API shows it (status, quarantine summary when recorded)."""
    doc = run.to_json()
    out = {"status": "succeeded", **doc}
    quarantine = doc.get("quarantine", doc.get("load_summary"))
    out["quarantine"] = quarantine if isinstance(quarantine, dict) else None
    return json_safe(out)


@router.get("", response_model=RunList, summary="Detection runs",
            responses=problem_responses(401, 403))
async def list_runs(caller: Viewer, store: Store, runner: Runner) -> Any:
    """Runs, newest first; a run in progress (or one that failed) started here comes first."""
    stored = await run_in_threadpool(store.runs)
    known = {r.run_id for r in stored}
    pending = [r for r in runner.records() if r["run_id"] not in known]
    return {"items": [*pending, *(present(r) for r in reversed(stored))]}


@router.get("/{run_id}", response_model=RunModel, summary="One detection run",
            responses=problem_responses(401, 403, 404, 422))
async def get_run(run_id: Annotated[str, Path(max_length=200)], caller: Viewer, store: Store,
                  runner: Runner) -> Any:
    """Parameters, counts, duration and quarantine summary of one run."""
    stored = await run_in_threadpool(store.runs)
    for run in stored:
        if run.run_id == run_id:
            return present(run)
    pending = runner.record(run_id)
    if pending is None:
        raise HTTPException(404, f"no run {run_id!r}")
    return pending


@router.post("", status_code=202, response_model=RunStarted, summary="Start a detection run",
             responses=problem_responses(401, 403, 409))
async def start_run(caller: Admin, store: Store, runner: Runner, request: Request) -> Any:
    """Start detection on what the store holds; poll ``GET /runs/{run_id}`` for the outcome."""
    run_id = runner.reserve(started_by=caller.actor)
    if run_id is None:
        raise HTTPException(409, f"run {runner.running} is in progress; try again when it "
                            "has finished")
    try:
        entry = AuditEntry(at=utc_stamp(), actor=caller.actor,
                           action="run.start", details={
            "key_id": caller.key_id, "role": caller.role.value, "ring_id": None, "run_id": run_id,
            "note": "", "request_id": request_id_of(request)})
        await run_in_threadpool(store.append_audit, entry)
    except BaseException:
        runner.release(run_id)
        raise
    runner.launch(run_id, extra={"trigger": "api", "started_by": caller.actor})
    return {"run_id": run_id, "status": "running"}
