"""The nightly enforcement job: confirmed rings become actions, exactly once, with an audit trail.

A ring a reviewer confirmed is enforced once: the job marks it with its batch
and the actions it planned, atomically, with the store's compare-and-set
(:meth:`~ringwatch.graph.store.GraphStore.update_ring`). Two jobs running at
once cannot both enforce a ring, and a job that crashes leaves every ring
either marked with its actions or untouched. The actions live in the ring
document, so running the same batch again exports the same actions and
enforces nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ringwatch.graph.store import GraphStore

#: What enforcement does to each kind of ring member, and why.
ACTIONS: dict[str, tuple[str, str]] = {
    "creator": ("suspend_creator", "creator account in a confirmed ring"),
    "seller": ("suspend_seller", "seller account in a confirmed ring"),
    "shop": ("suspend_affiliate_program", "shop's affiliate program used by a confirmed ring"),
    "buyer": ("block_buyer", "buyer account in a confirmed ring"),
    "payout_account": ("hold_payouts", "commissions of a confirmed ring paid here"),
    "device": ("flag_identifier", "device used by a confirmed ring"),
    "phone": ("flag_identifier", "phone used by a confirmed ring"),
    "email": ("flag_identifier", "email used by a confirmed ring"),
    "ip": ("flag_identifier", "IP used by a confirmed ring"),
}


@dataclass(frozen=True)
class EnforcementResult:
    """What one batch did: its actions (new and previously planned), and what it skipped."""

    batch_id: str
    actions: list[dict[str, Any]]
    enforced: list[str]
    already: list[str]
    contended: list[str]


def plan_actions(ring: dict[str, Any]) -> list[dict[str, Any]]:
    """One action per member, plus a commission claw-back when the ring earned any."""
    actions = [
        {"ring_id": ring["ring_id"], "action": ACTIONS[m["type"]][0], "target_type": m["type"],
         "target_id": m["id"], "reason": ACTIONS[m["type"]][1]}
        for m in ring["members"] if m["type"] in ACTIONS
    ]
    commission = ring.get("metrics", {}).get("commission_total", 0.0)
    if commission:
        actions.append({"ring_id": ring["ring_id"], "action": "claw_back_commission",
                        "target_type": "ring", "target_id": ring["ring_id"],
                        "amount": commission,
                        "reason": "commission earned by the ring's creators inside the ring"})
    return actions


def enforce(store: GraphStore, *, batch_id: str | None = None, actor: str = "enforcement-job",
            now: datetime | None = None) -> EnforcementResult:
    """Enforce every confirmed ring not enforced yet; return this batch's actions.

    Rings already enforced by this same ``batch_id`` (a re-run) contribute their
    recorded actions again without being touched; rings enforced by another
    batch are left alone; a ring changed under the job (a review at the same
    moment) is skipped and picked up next time.
    """
    now = now or datetime.now(UTC)
    batch_id = batch_id or f"enforce-{now:%Y%m%dT%H%M%SZ}"
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    actions: list[dict[str, Any]] = []
    enforced, already, contended = [], [], []
    for ring in store.rings():
        done = ring.get("enforcement")
        if done:
            if done.get("batch_id") == batch_id:
                actions.extend(done["actions"])
                enforced.append(ring["ring_id"])
            else:
                already.append(ring["ring_id"])
            continue
        if ring.get("status") != "confirmed":
            continue
        planned = plan_actions(ring)
        version = int(ring.get("version", 0))
        marked = {**ring, "version": version + 1,
                  "enforcement": {"batch_id": batch_id, "at": stamp, "actor": actor,
                                  "actions": planned}}
        if not store.update_ring(marked, expected_version=version):
            contended.append(ring["ring_id"])
            continue
        store.append_audit({"at": stamp, "actor": actor, "role": "admin", "action": "enforce",
                            "ring_id": ring["ring_id"], "batch_id": batch_id,
                            "actions": len(planned)})
        actions.extend(planned)
        enforced.append(ring["ring_id"])
    return EnforcementResult(batch_id, actions, enforced, already, contended)
