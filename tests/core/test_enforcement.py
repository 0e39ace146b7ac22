"""Enforcement: a policy turns rings into actions, written ahead of the store's mark, exactly once.

In-process tests, on both stores: the policy file and its errors, action ids,
the write-ahead order, a batch cut short at each step and finished by the next
run, a ring reviewed or re-detected while a batch runs, re-running a batch,
the dry run. The real-process tests (SIGKILL, two jobs at once, exit codes)
are in ``tests/api/test_enforce_process.py`` and use the helpers here.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ringwatch.domain import ReviewStatus, Ring, Run
from ringwatch.enforcement.job import (
    account_commissions,
    action_id,
    enforce,
    plan_ring,
    preview,
)
from ringwatch.enforcement.journal import (
    CSV_COLUMNS,
    EnforcementLockedError,
    journal_path,
    journals,
    output_lock,
)
from ringwatch.enforcement.policy import (
    DEFAULT_POLICY,
    Policy,
    PolicyError,
    load_policy,
    parse_policy,
)
from ringwatch.graph.store import GraphStore
from ringwatch.reviewing import Reviewer, review_ring

from ..detectors.market import Market

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_POLICY = REPO / "docs" / "enforcement-policy.example.toml"
NIGHT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
REVIEWER = Reviewer(actor="alice", key_id="k-test", role="investigator")

#: Members of every type, so the default policy's every action shows up.
MEMBER_TYPES = ("creator", "creator", "creator", "shop", "seller", "buyer", "buyer", "payout_account",
                "device", "phone", "email", "ip")


class Killed(BaseException):
    """Stands in for SIGKILL in-process: nothing of the job's own code catches a BaseException."""


# --- helpers the process tests share ----------------------------------------------------------------


def make_ring(ring_id: str, *, kind: str = "identity_ring", score: float = 0.9, status: str = "new",
              members: int = len(MEMBER_TYPES), commission: float = 120.5) -> dict[str, Any]:
    """A ring document as a detection run saves it (status new, version 0)."""
    types = [MEMBER_TYPES[i % len(MEMBER_TYPES)] for i in range(members)]
    return {"ring_id": ring_id, "kind": kind, "score": score, "status": status,
            "review_status": status, "first_detected": "2026-11-01T00:00:00Z",
            "members": [{"type": t, "id": f"{ring_id}-{t}{i}"} for i, t in enumerate(types)],
            "evidence": [], "metrics": {"commission_total": commission, "currency": "USD"},
            "history": [], "lineage": {}, "version": 0}


def review(store: GraphStore, ring_id: str, action: str = "confirm") -> dict:
    """Review a ring through the application's review path: compare-and-set, then audit."""
    ring = store.ring(ring_id)
    assert ring is not None
    return review_ring(store, ring_id, action, reviewer=REVIEWER, note="checked",
                       expected_version=int(ring.version or 0),
                       at="2026-11-01T12:00:00Z").to_json()


def confirmed_rings(store: GraphStore, count: int, *, members: int = len(MEMBER_TYPES),
                    extra: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Save ``count`` rings (plus ``extra``) in one run and confirm the ``count`` through the review path."""
    rings = [make_ring(f"R-{i:04d}", score=round(0.5 + (i % 50) / 100, 2), members=members,
                       kind=("identity_ring", "collusion_ring", "commission_abuse")[i % 3])
             for i in range(count)]
    save(store, {"run_id": "run-1", "started_at": "2026-11-01T00:00:00Z"}, rings + (extra or []))
    return [review(store, r["ring_id"]) for r in rings]


def save(store: GraphStore, run: dict[str, Any], rings: list[dict[str, Any]]) -> None:
    """Save a run of ring documents (as tests write them) through the store's records."""
    store.save_run(Run.from_json(run), [Ring.from_json(r) for r in rings])


def ring_docs(store: GraphStore) -> list[dict[str, Any]]:
    """The store's rings as their JSON, which the assertions below look into."""
    return [r.to_json() for r in store.rings()]


def ring_doc(store: GraphStore, ring_id: str) -> dict[str, Any]:
    ring = store.ring(ring_id)
    assert ring is not None
    return ring.to_json()


def audit_docs(store: GraphStore) -> list[dict[str, Any]]:
    return [e.to_json() for e in store.audit_entries()]


def expected_action_ids(rings: list[dict[str, Any]], policy: Policy = DEFAULT_POLICY) -> set[str]:
    """The ids the policy gives these ring documents (as they were before enforcement)."""
    ids: set[str] = set()
    for ring in map(Ring.from_json, rings):
        rule = policy.rule_for(ring)
        if rule is not None:
            ids |= {a["action_id"] for a in plan_ring(ring, rule, batch_id="-", created_at="-")}
    return ids


def exported(out_dir: Path) -> list[dict[str, Any]]:
    """Every action line of every actions file in ``out_dir`` (a torn line fails the test)."""
    return [json.loads(line) for path in sorted(out_dir.glob("actions-*.jsonl"))
            for line in path.read_text().splitlines()]


def assert_enforced_exactly_once(store: GraphStore, out_dir: Path, confirmed: list[dict[str, Any]],
                                 policy: Policy = DEFAULT_POLICY) -> None:
    """Every confirmed ring's actions exported, each id once across files; one mark, one audit per ring."""
    ids = Counter(a["action_id"] for a in exported(out_dir))
    assert [i for i, n in ids.items() if n > 1] == []
    assert set(ids) == expected_action_ids(confirmed, policy)
    versions = {r["ring_id"]: r["version"] for r in confirmed}
    stored = {r["ring_id"]: r for r in ring_docs(store)}
    for ring_id, version in versions.items():
        ring = stored[ring_id]
        assert ring["enforcement"]["ring_version"] == version
        assert ring["version"] == version + 1, f"{ring_id} written more than once"
    audits = Counter(e["ring_id"] for e in audit_docs(store) if e["action"] == "enforce")
    assert audits == Counter(versions)
    assert all(j["state"] == "done" for j in journals(out_dir))


# --- the policy ---------------------------------------------------------------------------------


def test_the_default_policy_plans_what_enforce_always_did() -> None:
    ring = Ring.from_json(make_ring("R-1", status="confirmed"))
    actions = plan_ring(ring, DEFAULT_POLICY.rule_for(ring), batch_id="b", created_at="t")
    before = {"creator": "suspend_creator", "seller": "suspend_seller",
              "shop": "suspend_affiliate_program", "buyer": "block_buyer",
              "payout_account": "hold_payouts", "device": "flag_identifier",
              "phone": "flag_identifier", "email": "flag_identifier", "ip": "flag_identifier"}
    assert sorted((a["action"], a["target"]["id"]) for a in actions) == sorted(
        [(before[m.type], m.id) for m in ring.members] + [("claw_back_commission", "R-1")])
    claw = next(a for a in actions if a["action"] == "claw_back_commission")
    assert (claw["commission_held"], claw["currency"], claw["target"]) == (
        120.5, "USD", {"type": "ring", "id": "R-1"})
    assert DEFAULT_POLICY.rule_for(replace(ring, review_status=ReviewStatus.NEW)) is None
    nothing_earned = replace(ring, metrics={"commission_total": 0.0})
    assert "claw_back_commission" not in {
        a["action"] for a in plan_ring(nothing_earned, DEFAULT_POLICY.rules[0], batch_id="b",
                                       created_at="t")}


def test_each_action_has_the_contract_fields() -> None:
    ring = Ring.from_json({**make_ring("R-1", status="confirmed"), "version": 3})
    action = plan_ring(ring, DEFAULT_POLICY.rules[0], batch_id="b1", created_at="2026-11-02T02:00:00Z")[0]
    assert list(action)[:10] == ["action_id", "batch_id", "ring_id", "action", "target", "rule",
                                 "reason", "commission_held", "currency", "ring_version"]
    assert action["created_at"] == "2026-11-02T02:00:00Z" and action["ring_version"] == 3
    assert action["rule"] == "confirmed rings" and action["reason"]


def test_an_action_id_is_the_same_for_the_same_action_target_ring_and_version_only() -> None:
    key = ("freeze_commission_payouts", "creator", "c_1", "R-1", 4)
    assert action_id(*key) == action_id(*key)
    assert action_id(*key).startswith("A-") and len(action_id(*key)) == 34
    variants = {action_id("hold_payouts", *key[1:]), action_id(key[0], "shop", *key[2:]),
                action_id(*key[:2], "c_2", *key[3:]), action_id(*key[:3], "R-2", 4),
                action_id(*key[:4], 5)}
    assert action_id(*key) not in variants and len(variants) == 5


def test_the_example_policy_maps_kind_status_and_score_to_its_actions() -> None:
    policy = load_policy(EXAMPLE_POLICY)
    collusion = Ring.from_json(make_ring("R-c", kind="collusion_ring", status="confirmed"))
    identity_new = Ring.from_json(make_ring("R-i", kind="identity_ring", score=0.95))
    identity_low = Ring.from_json(make_ring("R-l", kind="identity_ring", score=0.85))
    dismissed = Ring.from_json(make_ring("R-d", kind="collusion_ring", score=0.99,
                                          status="dismissed"))
    assert policy.rule_for(collusion).name == "confirmed collusion rings"
    assert {a.action for a in policy.rule_for(collusion).actions} >= {
        "freeze_commission_payouts", "hold_pending_commissions"}
    queued = plan_ring(identity_new, policy.rule_for(identity_new), batch_id="b", created_at="t")
    assert [(a["action"], a["target"]) for a in queued] == [
        ("queue_for_review", {"type": "ring", "id": "R-i"})]
    assert policy.rule_for(identity_low) is None
    assert policy.rule_for(dismissed).actions == ()


def _policy_problems(tmp_path: Path, text: str) -> PolicyError:
    path = tmp_path / "team-policy.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"invalid enforcement policy {path}: ")
    return caught.value


def test_an_invalid_policy_names_the_file_the_rule_and_the_key_of_every_problem(tmp_path: Path) -> None:
    error = _policy_problems(tmp_path, """
[[rule]]
name = "ok"
status = "confirmed"
reason = "r"
[[rule.action]]
action = "suspend_creator"
target = "creator"

[[rule]]
name = "typos"
kind = "colusion_ring"
status = "confirmd"
min_score = 1.5
colour = "red"
[[rule.action]]
action = "Freeze Payouts"
target = "wallet"
commission = "account"
""")
    problems = error.problems
    assert all(p.startswith("rule 2 ('typos')") for p in problems), problems
    for key, text in (("kind", "colusion_ring"), ("status", "confirmd"), ("min_score", "1.5"),
                      ("colour", "unknown"), ("action", "Freeze Payouts"), ("target", "wallet"),
                      ("reason", "required")):
        assert any(f"key '{key}'" in p and text in p for p in problems), (key, problems)
    assert any("action 1, key 'target'" in p for p in problems)


@pytest.mark.parametrize(("text", "expected"), [
    ("rule = 3\n", "key 'rule': must be a list"),
    ("policy_version = 2\n[[rule]]\nname = 'a'\nstatus = 'new'\n", "key 'policy_version'"),
    ("[[rule]]\nname = 'a'\nstatus = 'new'\n[[rule]]\nname = 'a'\nstatus = 'new'\n",
     "rule 2 ('a'), key 'name': another rule has this name"),
    ("[[rule]]\nname = 'a'\nstatus = 'new'\nreason = 'r'\n[[rule.action]]\naction = 'x'\n"
     "target = 'device'\ncommission = 'account'\n", "applies to creator and shop targets only"),
    ("[[rule]]\nname = 'a'\nstatus = 'new'\nreason = 'r'\n[[rule.action]]\naction = 'x'\n"
     "target = 'ring'\nonly_with_commission = true\n", "key 'only_with_commission'"),
    ("[[rule]]\nname = 'a'\nstatus = 'new'\nmin_score = 0.9\nmax_score = 0.5\n", "is above max_score"),
    ("[[rule]]\nstatus = 'new'\n", "rule 1, key 'name': required"),
    ("unknown = 1\n[[rule]]\nname = 'a'\nstatus = 'new'\n", "key 'unknown': unknown"),
    ("", "key 'rule': missing"),
    ("[[rule]\nname = 'a'\n", "not valid TOML"),
])
def test_each_kind_of_policy_mistake_is_reported(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in str(_policy_problems(tmp_path, text))


def test_a_missing_policy_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.toml: the file does not exist"):
        load_policy(tmp_path / "nope.toml")


# --- the job, on both stores ----------------------------------------------------------------------


def test_confirmed_rings_are_enforced_once_with_one_audit_entry_each(store: GraphStore,
                                                                     tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 3, extra=[make_ring("R-new"), {
        **make_ring("R-dismissed"), "status": "dismissed", "review_status": "dismissed"}])
    out = tmp_path / "out"
    first = enforce(store, out, batch_id="b1", now=NIGHT)
    assert sorted(first.batch.enforced) == ["R-0000", "R-0001", "R-0002"]
    assert first.batch.file == out / "actions-b1.jsonl"
    assert_enforced_exactly_once(store, out, confirmed)
    assert {a["batch_id"] for a in exported(out)} == {"b1"}

    later = enforce(store, out, now=NIGHT)  # a later night: nothing twice
    assert later.batch.enforced == [] and sorted(later.batch.already) == ["R-0000", "R-0001", "R-0002"]
    assert later.batch.batch_id != "b1" and later.batch.batch_id.startswith("enforce-20261102T020000")
    assert_enforced_exactly_once(store, out, confirmed)


def test_the_actions_are_durable_in_the_file_before_any_ring_is_marked(store: GraphStore,
                                                                      tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 4)
    out = tmp_path / "out"
    seen: list[tuple[str, int, int]] = []

    def watch(stage: str, done: int, total: int) -> None:
        seen.append((stage, done, total))
        if stage == "exported":
            assert {a["action_id"] for a in exported(out)} == expected_action_ids(confirmed)
            assert not any(r.get("enforcement") for r in ring_docs(store))
        if stage == "marked":
            assert sum(1 for r in ring_docs(store) if r.get("enforcement")) == done

    enforce(store, out, batch_id="b1", progress=watch)
    assert seen == [("planned", 0, 4), ("exported", 0, 4), *(("marked", i, 4) for i in range(1, 5))]


@pytest.mark.parametrize("crash_at", [("planned", 0), ("exported", 0), ("marked", 1), ("marked", 3),
                                      ("marked", 5)])
def test_a_batch_cut_short_is_finished_by_the_next_run(store: GraphStore, tmp_path: Path,
                                                       crash_at: tuple[str, int]) -> None:
    confirmed = confirmed_rings(store, 5)
    out = tmp_path / "out"

    def die(stage: str, done: int, total: int) -> None:
        if (stage, done) == crash_at:
            raise Killed

    with pytest.raises(Killed):
        enforce(store, out, batch_id="cut-short", progress=die)
    assert [j["state"] for j in journals(out)] == ["planned"]
    rerun = enforce(store, out, now=NIGHT)
    assert [o.batch_id for o in rerun.recovered] == ["cut-short"]
    assert sorted(rerun.recovered[0].enforced) == sorted(r["ring_id"] for r in confirmed)
    assert rerun.batch.enforced == []
    assert_enforced_exactly_once(store, out, confirmed)
    assert {a["batch_id"] for a in exported(out)} == {"cut-short"}


def test_a_crash_between_the_mark_and_the_audit_entry_gets_the_entry_once(store: GraphStore,
                                                                         tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 2)
    out = tmp_path / "out"

    def die(stage: str, done: int, total: int) -> None:
        if stage == "marked" and done == 2:  # ring 2 is marked, its audit entry not yet written
            raise Killed

    with pytest.raises(Killed):
        enforce(store, out, progress=die)
    assert sum(1 for e in audit_docs(store) if e["action"] == "enforce") == 1
    enforce(store, out)
    assert_enforced_exactly_once(store, out, confirmed)


def test_a_ring_dismissed_between_plan_and_mark_is_withdrawn_from_the_file(store: GraphStore,
                                                                          tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 3)
    out = tmp_path / "out"

    def dismiss_one(stage: str, done: int, total: int) -> None:
        if stage == "exported":
            review(store, "R-0001", "dismiss")

    result = enforce(store, out, batch_id="b1", progress=dismiss_one)
    assert result.batch.withdrawn == {"R-0001": "changed"}
    assert {a["ring_id"] for a in exported(out)} == {"R-0000", "R-0002"}
    journal = json.loads(journal_path(out, "b1").read_text())
    assert {r["ring_id"]: r["state"] for r in journal["rings"]} == {
        "R-0000": "enforced", "R-0001": "withdrawn", "R-0002": "enforced"}
    assert "enforcement" not in ring_doc(store, "R-0001")
    assert sorted(e["ring_id"] for e in audit_docs(store) if e["action"] == "enforce") == [
        "R-0000", "R-0002"]
    assert enforce(store, out).batch.enforced == []  # dismissed: no later batch takes it
    assert_enforced_exactly_once(store, out, [confirmed[0], confirmed[2]])


def test_a_ring_reviewed_again_but_still_confirmed_is_marked_on_its_new_version(
        store: GraphStore, tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 2)
    out = tmp_path / "out"

    def confirm_again(stage: str, done: int, total: int) -> None:
        if stage == "exported":
            review(store, "R-0000", "confirm")

    result = enforce(store, out, progress=confirm_again)
    assert sorted(result.batch.enforced) == ["R-0000", "R-0001"]
    ring = ring_doc(store, "R-0000")
    assert ring["enforcement"]["ring_version"] == confirmed[0]["version"]  # the ids it was planned with
    assert ring["version"] == confirmed[0]["version"] + 2  # the second review, then the mark
    assert {a["action_id"] for a in exported(out)} == expected_action_ids(confirmed)


def test_a_ring_a_detection_run_rewrites_after_enforcement_is_not_enforced_twice(
        store: GraphStore, tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 2)
    out = tmp_path / "out"
    enforce(store, out)
    # A later detection run finds the ring again and writes its document afresh:
    # review fields carried, the enforcement mark not (detectors/ring_ids.py).
    found_again = {k: v for k, v in ring_doc(store, "R-0000").items() if k != "enforcement"}
    save(store, {"run_id": "run-2"}, [{**found_again, "version": found_again["version"] + 1}])
    later = enforce(store, out)
    assert later.batch.enforced == [] and "R-0000" in later.batch.already
    assert Counter(e["ring_id"] for e in audit_docs(store) if e["action"] == "enforce") == Counter(
        r["ring_id"] for r in confirmed)


def test_a_finished_batch_id_is_not_run_again_and_its_file_is_restored(store: GraphStore,
                                                                      tmp_path: Path) -> None:
    confirmed_rings(store, 2)
    out = tmp_path / "out"
    first = enforce(store, out, batch_id="nightly-2026-11-02")
    original = first.batch.file.read_bytes()
    review(store, "R-0001", "escalate")  # changes after the batch do not enter it
    first.batch.file.unlink()
    again = enforce(store, out, batch_id="nightly-2026-11-02")
    assert again.batch.re_exported and again.batch.file.read_bytes() == original
    assert sum(1 for e in audit_docs(store) if e["action"] == "enforce") == 2


def test_actions_can_be_written_as_csv_with_the_contract_columns(store: GraphStore,
                                                                 tmp_path: Path) -> None:
    confirmed = confirmed_rings(store, 2)
    result = enforce(store, tmp_path / "out", batch_id="b1", fmt="csv")
    assert result.batch.file.name == "actions-b1.csv"
    with result.batch.file.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {r["action_id"] for r in rows} == expected_action_ids(confirmed)
    claw = next(r for r in rows if r["action"] == "claw_back_commission")
    assert (claw["target_type"], claw["commission_held"], claw["currency"]) == ("ring", "120.5", "USD")


def test_a_second_job_on_the_same_output_directory_is_refused_at_once(store: GraphStore,
                                                                     tmp_path: Path) -> None:
    confirmed_rings(store, 1)
    out = tmp_path / "out"
    with output_lock(out), pytest.raises(EnforcementLockedError, match="another enforcement job"):
        enforce(store, out)
    assert not any(r.get("enforcement") for r in ring_docs(store))
    assert enforce(store, out).batch.enforced == ["R-0000"]  # the lock died with its holder


def test_the_dry_run_changes_nothing_and_counts_the_blast_radius(store: GraphStore,
                                                                 tmp_path: Path) -> None:
    confirmed_rings(store, 3)
    rings, audit = ring_docs(store), audit_docs(store)
    out = tmp_path / "out"
    found = preview(store, out)
    assert not out.exists() and ring_docs(store) == rings and audit_docs(store) == audit
    assert len(found.planned) == 3 and found.radius.rings == 3
    assert found.radius.targets["creator"] == 9 and found.radius.targets["buyer"] == 6
    assert found.radius.commission_held == {"USD": 361.5}
    assert found.radius.by_action["suspend_creator"] == 9


def test_a_dry_run_counts_what_an_interrupted_batch_has_left(store: GraphStore, tmp_path: Path) -> None:
    confirmed_rings(store, 4)
    out = tmp_path / "out"

    def die(stage: str, done: int, total: int) -> None:
        if stage == "marked" and done == 1:
            raise Killed

    with pytest.raises(Killed):
        enforce(store, out, batch_id="cut", progress=die)
    found = preview(store, out)
    assert found.unfinished == {"cut": 3} and found.planned == []


def test_each_rule_acts_once_per_ring_and_a_review_moves_a_ring_to_the_next_rule(
        store: GraphStore, tmp_path: Path) -> None:
    policy = load_policy(EXAMPLE_POLICY)
    save(store, {"run_id": "run-1"}, [make_ring("R-farm", kind="identity_ring", score=0.97)])
    out = tmp_path / "out"
    queued = enforce(store, out, policy=policy)
    assert [a["action"] for a in exported(out)] == ["queue_for_review"]
    assert enforce(store, out, policy=policy).batch.already == ["R-farm"]
    review(store, "R-farm")  # a reviewer agrees: the confirmed rule acts now, once
    confirmed = enforce(store, out, policy=policy)
    assert queued.batch.enforced == confirmed.batch.enforced == ["R-farm"]
    assert Counter(a["action"] for a in exported(out)) == {
        "queue_for_review": 1, "suspend_creator": 3, "block_buyer": 2, "hold_payouts": 1,
        "claw_back_commission": 1}
    assert [e["rule"] for e in audit_docs(store) if e["action"] == "enforce"] == [
        "likely identity rings to review", "confirmed identity rings and commission abuse"]


def test_account_commission_holds_what_each_creator_earned_and_each_shop_owes(
        store: GraphStore, tmp_path: Path) -> None:
    market = Market()
    for creator in ("c1", "c2"):
        market.creator(creator)
    market.shop("s1", seller="se1")
    market.order("b1", "s1", "c1", amount=100.0, rate=0.1)
    market.order("b2", "s1", "c1", amount=50.0, rate=0.1)
    market.order("b3", "s1", "c2", amount=80.0, rate=0.25)
    market.load(store, tmp_path / "snapshot")
    assert account_commissions(store) == {("creator", "c1"): (15.0, "USD"),
                                          ("creator", "c2"): (20.0, "USD"),
                                          ("shop", "s1"): (35.0, "USD")}
    ring = {**make_ring("R-c", kind="collusion_ring"), "status": "confirmed", "review_status": "confirmed",
            "members": [{"type": "creator", "id": "c1"}, {"type": "creator", "id": "c2"},
                        {"type": "shop", "id": "s1"}]}
    save(store, {"run_id": "run-1"}, [ring])
    enforce(store, tmp_path / "out", policy=load_policy(EXAMPLE_POLICY))
    held = {(a["action"], a["target"]["id"]): a["commission_held"] for a in exported(tmp_path / "out")}
    assert held == {("freeze_commission_payouts", "c1"): 15.0, ("freeze_commission_payouts", "c2"): 20.0,
                    ("hold_pending_commissions", "s1"): 35.0, ("suspend_creator", "c1"): 0.0,
                    ("suspend_creator", "c2"): 0.0}


def test_a_policy_given_as_text_is_checked_like_a_file() -> None:
    with pytest.raises(PolicyError, match=r"inline: rule 1 \('x'\), key 'status': required"):
        parse_policy("[[rule]]\nname = 'x'\n", source="inline")
