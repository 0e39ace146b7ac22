"""``ringwatch enforce`` as a scheduler runs it: real processes, killed with SIGKILL, run twice at once.

Each test copies one local store holding 150 confirmed rings (1,950 actions
by the default policy; confirmed through the review API's own code path), runs
``python -m ringwatch enforce`` on it as a subprocess, and checks the
contract's promise afterwards: every confirmed ring's actions are in the
files, each action id exactly once across them, each ring marked enforced in
the store exactly once (its version moved by one) and audited exactly once.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ringwatch.graph.local_files import file_stamp
from ringwatch.graph.local_store import LocalStore

from ..core.test_enforcement import assert_enforced_exactly_once, confirmed_rings, exported

RINGS = 150
MEMBERS = 12
CRASH_AFTER_ENV = "RINGWATCH_ENFORCE_CRASH_AFTER"


@pytest.fixture(scope="module")
def confirmed_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A local store with ``RINGS`` confirmed rings (built once), and those rings as confirmed."""
    directory = tmp_path_factory.mktemp("enforce") / "store"
    rings = confirmed_rings(LocalStore(directory), RINGS, members=MEMBERS)
    return directory, rings


@pytest.fixture
def job(confirmed_store: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> Job:
    """A fresh copy of the confirmed store and a way to run the enforcement job on it."""
    template, rings = confirmed_store
    shutil.copytree(template, tmp_path / "store")
    return Job(tmp_path, rings)


class Job:
    """Starts ``python -m ringwatch enforce`` on one store and output directory, as a shell would."""

    def __init__(self, root: Path, confirmed: list[dict[str, Any]]) -> None:
        self.root, self.confirmed = root, confirmed
        self.store_dir, self.out = root / "store", root / "out"

    @property
    def store(self) -> LocalStore:
        return LocalStore(self.store_dir)

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("RINGWATCH_")}
        return subprocess.Popen(
            [sys.executable, "-m", "ringwatch", "--quiet", "enforce", "--out", "out", "--store", "store",
             *args], cwd=self.root, env={**environment, **(env or {})}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        process = self.start(*args, env=env)
        stdout, stderr = process.communicate(timeout=300)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    def assert_exactly_once(self) -> None:
        assert_enforced_exactly_once(self.store, self.out, self.confirmed)


def _kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], rng: random.Random) -> bool:
    """SIGKILL ``process`` at the first look at which ``ready()`` holds; False if it ended first.

    The test looks only while the job is frozen (SIGSTOP), letting it run a random 1-10 ms
    between looks, so the job cannot race past the moment meant for its kill however
    busy the machine is, and the kill still falls wherever the job happened to be.
    """
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        process.send_signal(signal.SIGSTOP)
        _until_stopped(process)
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.communicate()
            return True
        process.send_signal(signal.SIGCONT)
        time.sleep(rng.uniform(0.001, 0.01))
    process.kill()
    process.communicate()
    return False


def _until_stopped(process: subprocess.Popen[str]) -> None:
    """Wait until the kernel shows ``process`` stopped (or gone): SIGSTOP is not synchronous."""
    stat = Path(f"/proc/{process.pid}/stat")
    for _ in range(1000):
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return
        if state in ("T", "t", "Z", "X"):
            return
        time.sleep(0.001)


def test_one_job_enforces_every_confirmed_ring_and_says_so(job: Job) -> None:
    done = job.run()
    assert done.returncode == 0, done.stderr
    assert (f"{RINGS} rings enforced, {len(exported(job.out)):,} actions in out/actions-enforce-"
            in done.stdout)
    assert done.stderr == ""  # --quiet: no bar, no blast radius
    job.assert_exactly_once()
    again = job.run()
    assert again.returncode == 0 and "nothing to enforce in the local store at" in again.stdout
    assert f"({RINGS} rings enforced earlier)" in again.stdout


@pytest.mark.slow
def test_killed_at_random_moments_then_rerun_exports_and_marks_every_ring_once(job: Job) -> None:
    rng = random.Random(20261102)

    seen: dict[tuple[int, int, int] | None, int] = {}

    def marked_now() -> int:  # read again only once a job rewrote the rings (the looks are many)
        stamp = file_stamp(job.store_dir / "rings.json")
        if stamp not in seen:
            seen[stamp] = sum(1 for r in job.store.rings() if r.enforcement)
        return seen[stamp]

    # First once the journals' folder exists (around planning and export), then three
    # times while a rerun is marking rings, the recovery of the batch before included:
    # each kill lands a random few rings into the rerun's marking.
    assert _kill_when(job.start(), (job.out / "batches").is_dir, rng)
    marked = [marked_now()]
    for _ in range(3):
        target = marked[-1] + rng.randint(1, 20)
        assert _kill_when(job.start(), lambda target=target: marked_now() >= target, rng)
        marked.append(marked_now())
    assert marked[1] < marked[2] < marked[3] < RINGS, marked  # each rerun got further, none finished
    final = job.run()
    assert final.returncode == 0, final.stderr
    assert "finished interrupted batch" in final.stdout
    job.assert_exactly_once()


@pytest.mark.slow
@pytest.mark.parametrize("crash_after", ["planned", "0", "1", "76", str(RINGS)])
def test_killed_at_the_worst_moment_then_rerun_loses_and_repeats_nothing(job: Job, crash_after: str) -> None:
    crashed = job.run(env={CRASH_AFTER_ENV: crash_after})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    marked = sum(1 for r in job.store.rings() if r.enforcement)
    audited = sum(1 for e in job.store.audit_entries() if e.action == "enforce")
    expected_marked = 0 if crash_after == "planned" else int(crash_after)
    assert (marked, audited) == (expected_marked, max(expected_marked - 1, 0))
    if crash_after != "planned":  # the file is whole before the first ring is marked
        assert len(exported(job.out)) == len({a["action_id"] for a in exported(job.out)}) > 0
    rerun = job.run()
    assert rerun.returncode == 0, rerun.stderr
    assert "finished interrupted batch enforce-" in rerun.stdout
    assert f"{RINGS} rings enforced ({RINGS - expected_marked} marked now)" in rerun.stdout
    assert "batch enforce-" in rerun.stdout and "0 rings enforced" in rerun.stdout
    job.assert_exactly_once()


def test_two_jobs_started_together_one_runs_the_other_exits_5_at_once(job: Job) -> None:
    started = time.monotonic()
    first, second = job.start(), job.start()
    ended: dict[int, float] = {}
    outputs: dict[int, tuple[str, str]] = {}
    while len(ended) < 2:
        for i, process in enumerate((first, second)):
            if i not in ended and process.poll() is not None:
                ended[i] = time.monotonic() - started
                outputs[i] = process.communicate()
        time.sleep(0.01)
    codes = {i: p.returncode for i, p in enumerate((first, second))}
    assert sorted(codes.values()) == [0, 5], outputs
    loser = next(i for i, code in codes.items() if code == 5)
    winner = 1 - loser
    assert ended[loser] < ended[winner], "the refused job waited for the lock instead of exiting"
    stdout, stderr = outputs[loser]
    assert stdout == "" and len(stderr.splitlines()) == 1
    assert stderr.startswith("ringwatch: error: another enforcement job is running on out (pid ")
    job.assert_exactly_once()


def test_the_dry_run_prints_the_blast_radius_and_changes_nothing(job: Job) -> None:
    before = {p.name: p.read_bytes() for p in job.store_dir.iterdir() if p.is_file()}
    dry = job.run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would plan a new batch by the built-in default policy: {RINGS} rings" in dry.stdout
    radius = next(line for line in dry.stdout.splitlines() if line.startswith("blast radius: "))
    assert "creators" in radius and "shops" in radius and "buyers touched" in radius
    assert f"commission held {RINGS * 120.5:,.2f} USD" in radius
    assert not job.out.exists()
    assert {p.name: p.read_bytes() for p in job.store_dir.iterdir() if p.is_file()} == before


def test_an_invalid_policy_exits_2_naming_the_file_the_rule_and_the_key(job: Job) -> None:
    (job.root / "policy.toml").write_text(
        '[[rule]]\nname = "collusion"\nkind = "colusion_ring"\nstatus = "confirmed"\n')
    before = (job.store_dir / "rings.json").read_bytes()
    bad = job.run("--policy", "policy.toml")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.splitlines() == [
        "ringwatch: error: invalid enforcement policy policy.toml: rule 1 ('collusion'), key 'kind': "
        "unknown 'colusion_ring' (known: identity_ring, collusion_ring, commission_abuse, lockstep_ring, "
        "coordinated_block)"]
    assert not job.out.exists() and (job.store_dir / "rings.json").read_bytes() == before


def test_a_policy_file_runs_and_its_rules_name_the_actions(job: Job) -> None:
    (job.root / "policy.toml").write_text(
        '[[rule]]\nname = "confirmed: hold money"\nstatus = "confirmed"\nreason = "confirmed"\n'
        '[[rule.action]]\naction = "hold_payouts"\ntarget = "payout_account"\n')
    done = job.run("--policy", "policy.toml", "--batch-id", "night-1", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = (job.out / "actions-night-1.csv").read_text().splitlines()
    assert len(lines) == 1 + RINGS and lines[0].startswith("action_id,batch_id,ring_id,action,")
    assert {line.split(",")[3] for line in lines[1:]} == {"hold_payouts"}


def test_an_unreachable_store_exits_3_and_a_missing_one_exits_2(job: Job) -> None:
    down = job.run("--backend", "neo4j", env={"RINGWATCH_NEO4J_URI": "bolt://127.0.0.1:9",
                                              "RINGWATCH_NEO4J_PASSWORD": "not-a-password"})
    assert down.returncode == 3, down.stderr
    assert len(down.stderr.splitlines()) == 1 and down.stderr.startswith("ringwatch: error: ")
    missing = job.run("--store", "no-such-store")
    assert missing.returncode == 2 and "there is no local store at no-such-store" in missing.stderr
    assert not job.out.exists()
