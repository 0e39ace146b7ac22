"""Detectors' searches over worker processes: the same findings, errors that reach the caller,
and nothing lost when a worker dies (see ``detectors/workers.py`` and ``core/forked.py``).

The workers are real forked processes; the tests that need two searches to run
at once prove it with a barrier that only two processes can pass together.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringwatch.detectors import registry
from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.detector import Detector, WorkedOn
from ringwatch.detectors.pipeline import find_rings
from ringwatch.detectors.workers import search_all
from ringwatch.forked import WorkersError, can_fork, workers_from_env
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.loaders import load_snapshot

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes are forked; this "
                                "platform has no fork, and runs every detector in one process")

FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> MarketContext:
    snapshot = tmp_path_factory.mktemp("workers") / "snapshot"
    generate_snapshot(snapshot, GeneratorConfig(scale=0.25, seed=3, profile="evasion"))
    return MarketContext.from_tables(load_snapshot(snapshot).snapshot.tables)


def _detector(name: str, find) -> Detector:
    return Detector(name=name, kind=name, step=name, config=None, projections=(), find=find,
                    worked_on=lambda ctx: WorkedOn(0, "nothing", "nothing"))


def test_two_workers_find_what_one_process_finds(market: MarketContext) -> None:
    one = find_rings(market, workers=1)
    two = find_rings(market, workers=2)
    assert {f.kind for f in one} >= {"identity_ring", "collusion_ring"}, "a market with rings"
    assert [dataclasses.asdict(f) for f in two] == [dataclasses.asdict(f) for f in one]


def test_searches_run_at_once_and_report_where_they_ran(market: MarketContext) -> None:
    together = FORK.Barrier(2, timeout=60)  # passes only when two processes wait at it at once

    def meet(ctx: MarketContext, config: DetectionConfig) -> list:
        together.wait()
        return []

    searched = search_all([_detector("a", meet), _detector("b", meet)], market, DetectionConfig(),
                          workers=2)
    assert sorted(s.worker for s in searched.values()) == [0, 1]


def test_a_worker_error_reaches_the_caller_as_raised(market: MarketContext) -> None:
    together = FORK.Barrier(2, timeout=60)
    parent = os.getpid()

    def fail_in_worker(ctx: MarketContext, config: DetectionConfig) -> list:
        together.wait()
        if os.getpid() != parent:
            raise KeyError("the column a worker could not find")
        return []

    with pytest.raises(KeyError, match="the column a worker could not find"):
        search_all([_detector("a", fail_in_worker), _detector("b", fail_in_worker)], market,
                   DetectionConfig(), workers=2)


def test_what_a_dead_worker_held_is_found_in_the_run_process(
        market: MarketContext, caplog: pytest.LogCaptureFixture) -> None:
    parent = os.getpid()
    killed = FORK.Event()

    def die_in_worker(ctx: MarketContext, config: DetectionConfig) -> list:
        if os.getpid() != parent:
            killed.set()
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        assert killed.wait(60), "the worker took a search and died"
        return [f"found by {os.getpid()}"]

    with caplog.at_level(logging.WARNING, logger="ringwatch.forked"):
        searched = search_all([_detector("a", die_in_worker), _detector("b", die_in_worker)],
                              market, DetectionConfig(), workers=2)
    assert {name: s.findings for name, s in searched.items()} == {
        "a": [f"found by {parent}"], "b": [f"found by {parent}"]}
    assert "died before sending the" in caplog.text and "exit code -9" in caplog.text


def test_a_workers_log_records_are_logged_by_the_run_process(
        market: MarketContext, caplog: pytest.LogCaptureFixture) -> None:
    together = FORK.Barrier(2, timeout=60)

    def say(ctx: MarketContext, config: DetectionConfig) -> list:
        together.wait()
        logging.getLogger("ringwatch.detectors.test").info("searched in %d", os.getpid())
        return []

    with caplog.at_level(logging.INFO, logger="ringwatch.detectors.test"):
        search_all([_detector("a", say), _detector("b", say)], market, DetectionConfig(), workers=2)
    pids = {r.getMessage() for r in caplog.records if r.name == "ringwatch.detectors.test"}
    assert len(pids) == 2 and f"searched in {os.getpid()}" in pids


def test_skipped_detectors_are_not_searched(market: MarketContext) -> None:
    config = DetectionConfig(skip=tuple(d.name for d in registry.detectors()))
    searched = search_all(registry.detectors(), market, config, workers=2)
    assert all(s.findings == [] for s in searched.values())
    assert set(searched) == set(registry.detector_names())


def test_the_worker_count_comes_from_the_environment() -> None:
    assert workers_from_env({"RINGWATCH_WORKERS": "3"}) == 3
    assert workers_from_env({}) == len(os.sched_getaffinity(0))
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(WorkersError, match="RINGWATCH_WORKERS"):
            workers_from_env({"RINGWATCH_WORKERS": bad})


def test_the_command_refuses_a_bad_worker_count_before_any_work(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ringwatch", "run", "--data", str(tmp_path / "none"),
                           "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store")],
                          capture_output=True, text=True, env={**os.environ, "RINGWATCH_WORKERS": "0"},
                          check=False)
    assert done.returncode == 1
    assert "RINGWATCH_WORKERS must be a whole number" in done.stderr
    assert not (tmp_path / "store").exists()


def test_a_killed_command_takes_its_workers_with_it(tmp_path: Path) -> None:
    """SIGKILL of the command's process (the worst moment: its workers mid-piece) leaves no
    worker running on behind it."""
    pids = tmp_path / "worker.pid"
    script = f"""
import os, time
from ringwatch.forked import over_workers
def piece(n, worker):
    if worker:
        open({str(pids)!r}, "w").write(str(os.getpid()))
    time.sleep(600)
over_workers([1, 2], piece, workers=2)
"""
    command = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(600):
            if pids.exists() and pids.read_text():
                break
            time.sleep(0.05)
        worker = int(pids.read_text())
        assert _alive(worker)
    finally:
        command.kill()
        command.wait()
    for _ in range(200):
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the command"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by init, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def test_the_command_writes_the_same_rings_with_two_workers_as_with_one(tmp_path: Path) -> None:
    """``ringwatch run`` as users run it: a process with two workers and one with one write the
    same rings.jsonl (run ids and times aside)."""
    snapshot = tmp_path / "snapshot"
    generate_snapshot(snapshot, GeneratorConfig(scale=0.25, seed=5, profile="plain"))
    written = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        subprocess.run([sys.executable, "-m", "ringwatch", "--quiet", "run", "--data", str(snapshot),
                        "--out", str(out), "--store", str(tmp_path / f"store{workers}")],
                       env={**os.environ, "RINGWATCH_WORKERS": workers}, check=True,
                       capture_output=True)
        rings = [json.loads(line) for line in (out / "rings.jsonl").read_text().splitlines()]
        written[workers] = [{k: v for k, v in ring.items()
                             if k not in ("run_id", "first_detected", "history")} for ring in rings]
    assert len(written["1"]) >= 5, "a market with rings"
    assert written["2"] == written["1"]
