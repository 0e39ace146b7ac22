"""The nightly enforcement job: rings become actions by a policy, exactly once, with an audit trail.

Exactly once, end to end (docs/contract.md section 2b; the details are in
docs/enforcement.md). The actions and the store's "enforced" mark live in two
places that cannot be written in one transaction, so the job writes ahead:

1. **plan**: the rings the policy (:mod:`.policy`) gives actions and
   that no earlier batch enforced for that rule, each with its actions, go into
   the batch's journal, written and ``fsync``-ed (:mod:`.journal`);
2. **export**: the actions file is written from the journal and ``fsync``-ed,
   file and directory;
3. **mark**: only then is each ring marked enforced in the store, by
   compare-and-set (:meth:`~ringwatch.graph.capabilities.RingRepository.update_ring`), and
   audited (:meth:`~ringwatch.graph.capabilities.AuditLog.append_audit`);
4. **done**: the journal says so.

A job killed anywhere leaves a journal that is not ``done``; the next run,
under the same output directory lock, finishes it first (re-exports the same
lines, marks and audits only what is missing) and only then plans a new batch.
An action's id is a hash of the action, its target, the ring and the ring's
version when planned, so a ring planned again after a crash before its journal
was written gets the very same ids.

A ring that changed between plan and mark (a reviewer dismissed it in that
second, another job enforced it) is *withdrawn*: the journal records why and
the file is rewritten without its actions before the batch is done, so the
files of finished batches hold every action exactly once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ringwatch.cases import cases_of_rings
from ringwatch.domain import AuditEntry, Ring, utc_stamp
from ringwatch.graph.capabilities import (
    AuditLog,
    EnforcementStore,
    ProjectionSource,
    ReviewStore,
    RingRepository,
)
from ringwatch.graph.projections import group_currency

from .journal import (
    DONE,
    PLANNED,
    BatchJournal,
    EnforcementAction,
    PlannedRing,
    actions_path,
    check_batch_id,
    export_actions,
    exported_actions,
    journal_path,
    journals,
    new_batch_id,
    output_lock,
    read_journal,
    remove_temp_files,
    write_journal,
)
from .policy import DEFAULT_POLICY, ActionSpec, Policy, Rule

DEFAULT_ACTOR = "enforcement-job"

#: Called as ``progress(stage, done, total)``: ``planned`` once the journal is durable,
#: ``exported`` once the actions file is, ``marked`` after each ring is marked in the
#: store (and before its audit entry), ``checked`` for a ring an interrupted run had
#: marked already; ``done`` counts the batch's rings enforced so far, this one included.
#: The command line draws its bar from it.
Progress = Callable[[str, int, int], None]

#: An enforcement record without a rule (written by versions before policies) counts
#: for every rule: such a ring was enforced once and for all.
ANY_RULE = "*"

#: Why a planned ring's actions were taken back out of its batch's file.
WITHDRAWN_WHY = {
    "changed": "its status changed between plan and mark (a review); the next batch looks again",
    "earlier": "another batch enforced it first (a second job on another output directory)",
    "missing": "the ring is no longer in the store",
}

#: ``(target type, target id)`` -> ``(commission, currency or None)``, see :func:`account_commissions`.
AccountMoney = dict[tuple[str, str], tuple[float, str | None]]


@dataclass(frozen=True)
class BlastRadius:
    """Who and what a set of actions touches: the numbers a person checks before a batch runs.

    ``targets`` counts distinct targets per type; ``commission_held`` sums, per
    currency (``""`` when the snapshot gives none), each target's largest hold once.
    """

    rings: int
    actions: int
    by_action: dict[str, int]
    targets: dict[str, int]
    commission_held: dict[str, float]


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one batch: the rings it enforced, those withdrawn, and its file.

    ``marked_now`` are the rings this process marked (a recovered batch may have
    marked others before it was interrupted); ``already`` are rings the policy
    gives actions that earlier batches enforced (known when the batch is planned).
    """

    batch_id: str
    file: Path
    enforced: list[str]
    marked_now: list[str]
    withdrawn: dict[str, str]
    actions: int
    already: list[str] = field(default_factory=list)
    recovered: bool = False
    re_exported: bool = False
    radius: BlastRadius | None = None


@dataclass(frozen=True)
class EnforcementReport:
    """One run of the job: the interrupted batches it finished first, then its own batch."""

    recovered: list[BatchOutcome]
    batch: BatchOutcome


@dataclass(frozen=True)
class Preview:
    """What a run would do (``--dry-run``): batches it would finish, rings it would plan, the blast radius."""

    unfinished: dict[str, int]
    planned: list[PlannedRing]
    already: list[str]
    radius: BlastRadius


def action_id(action: str, target_type: str, target_id: str, ring_id: str, ring_version: int) -> str:
    """The idempotency key of an action: the same inputs give the same id, in any run, after any crash.

    A consumer that applies each id once applies each action once. The ring
    version is part of it: an action planned for a ring a detection run has
    changed since is a new decision.
    """
    text = "\x1f".join((action, target_type, target_id, ring_id, str(ring_version)))
    return "A-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def ring_version(ring: Ring) -> int:
    """A ring's ``version`` (absent counts as 0, as for the store's compare-and-set)."""
    return ring.version or 0


def account_commissions(store: ProjectionSource) -> AccountMoney:
    """Commission per creator (earned) and per shop (owed through creators), from the loaded snapshot.

    Read once per run, and only for policies with ``commission = "account"``:
    one projection, summed by pandas, so the per-ring planning is lookups.
    """
    trade = store.projection("creator_shop_trade")
    money: AccountMoney = {}
    for account_type, column in (("creator", "creator_id"), ("shop", "shop_id")):
        if trade.empty:
            continue
        totals = trade.groupby(column, sort=False)["commission_total"].sum()
        currency = group_currency(trade, column).reindex(totals.index)
        for key, amount, code in zip(totals.index.tolist(), totals.tolist(), currency.tolist(),
                                     strict=True):
            money[(account_type, str(key))] = (round(float(amount), 2), str(code) or None)
    return money


def plan_ring(ring: Ring, rule: Rule, *, batch_id: str, created_at: str,
              account_money: AccountMoney | None = None,
              case_id: str | None = None) -> list[EnforcementAction]:
    """The actions ``rule`` gives ``ring``, in the shape of docs/contract.md section 2b.

    ``case_id`` is the investigator's case the ring was worked in (``None``: no
    case names it); it travels with every action so that whoever applies one can
    find the case behind it. It is not part of the action's id: an action
    stays the same action when a case is opened around its ring.

    One action per matching member for each of the rule's actions (in the
    rule's order, members in the ring's order), one per ring for ``ring``
    targets; an action with ``only_with_commission`` is left out when it would
    hold nothing.
    """
    version = ring_version(ring)
    members: dict[str, list[str]] = {}
    for member in ring.members:
        ids = members.setdefault(str(member.type), [])
        if member.id not in ids:
            ids.append(member.id)
    actions: list[EnforcementAction] = []
    for spec in rule.actions:
        for target in spec.targets:
            for target_id in [ring.ring_id] if target == "ring" else members.get(target, []):
                held, currency = _commission(spec, ring, target, target_id, account_money)
                if spec.only_with_commission and not held:
                    continue
                actions.append({
                    "action_id": action_id(spec.action, target, target_id, ring.ring_id, version),
                    "batch_id": batch_id, "ring_id": ring.ring_id, "action": spec.action,
                    "target": {"type": target, "id": target_id}, "rule": rule.name,
                    "reason": spec.reason, "commission_held": held, "currency": currency,
                    "ring_version": version, "created_at": created_at, "case_id": case_id,
                })
    return actions


def _commission(spec: ActionSpec, ring: Ring, target: str, target_id: str,
                account_money: AccountMoney | None) -> tuple[float, str | None]:
    metrics = ring.metrics or {}
    if spec.commission == "ring":
        return round(float(metrics.get("commission_total") or 0.0), 2), metrics.get("currency") or None
    if spec.commission == "account":
        if account_money is None:
            raise ValueError("a policy with commission = 'account' needs account_commissions(store)")
        return account_money.get((target, target_id), (0.0, None))
    return 0.0, None


@dataclass
class StoreView:
    """The rings and the enforcement audit entries, read once per run and kept current by the job.

    Why not ask the store each time: a batch looks at every ring, and the local
    store reads its whole ring file per lookup. The job holds the output lock, so
    only reviews and detection runs change rings under it, and the
    compare-and-set catches those.

    ``done`` comes from the ring documents *and* the audit log: a detection run
    that finds an enforced ring again writes its document afresh, and the audit
    log is what still says it was enforced.
    """

    rings: dict[str, Ring]
    audited: set[tuple[str, str]]
    done: dict[str, set[str]]
    #: Ring id -> the case it is worked in (:func:`ringwatch.cases.cases_of_rings`).
    cases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, store: EnforcementStore) -> StoreView:
        """Read the store's rings, audit log and cases (once)."""
        rings = {ring.ring_id: ring for ring in store.rings()}
        audited: set[tuple[str, str]] = set()
        done: dict[str, set[str]] = {}
        for entry in store.audit_entries():
            if entry.action == "enforce" and entry.ring_id:
                audited.add((entry.ring_id, str(entry.details.get("batch_id"))))
                done.setdefault(entry.ring_id, set()).add(entry.details.get("rule") or ANY_RULE)
        return cls(rings, audited, done, cases_of_rings(store.cases()))

    def is_done(self, ring: Ring, rule: str) -> bool:
        """Whether ``ring`` was enforced for ``rule`` by any batch (its document or the audit log says so)."""
        record = ring.enforcement or {}
        if record and record.get("rule", ANY_RULE) in (ANY_RULE, rule):
            return True
        rules = self.done.get(ring.ring_id, set())
        return ANY_RULE in rules or rule in rules

    def enforced_by(self, ring_id: str) -> str | None:
        """The batch the ring's own enforcement record names (``None``: none, or no such ring)."""
        ring = self.rings.get(ring_id)
        return (ring.enforcement or {}).get("batch_id") if ring is not None else None


def plan_batch(view: StoreView, policy: Policy, *, batch_id: str, fmt: str, now: datetime,
               actor: str, account_money: AccountMoney | None = None,
               skip: Iterable[str] = ()) -> tuple[BatchJournal, list[str]]:
    """A new batch's journal (state ``planned``) and the rings enforced earlier.

    Rings in ``skip`` (planned by an unfinished batch, for a preview) are left out.
    """
    created = utc_stamp(now)
    skipped = set(skip)
    entries: list[PlannedRing] = []
    already: list[str] = []
    for ring in sorted(view.rings.values(), key=lambda r: (-float(r.score or 0), r.ring_id)):
        rule = policy.rule_for(ring)
        if rule is None or not rule.actions or ring.ring_id in skipped:
            continue
        if view.is_done(ring, rule.name):
            already.append(ring.ring_id)
            continue
        actions = plan_ring(ring, rule, batch_id=batch_id, created_at=created,
                            account_money=account_money, case_id=view.cases.get(ring.ring_id))
        if actions:
            entries.append({"ring_id": ring.ring_id, "ring_version": ring_version(ring),
                            "status": ring.status, "rule": rule.name, "state": PLANNED,
                            "actions": actions})
    journal: BatchJournal = {
        "batch_id": batch_id, "state": PLANNED, "format": fmt,
        "file": actions_path(Path(), batch_id, fmt).name, "created_at": created, "actor": actor,
        "policy": {"source": policy.source, "sha256": policy.digest}, "rings": entries,
    }
    return journal, already


def finish_batch(store: ReviewStore, out_dir: Path, journal: BatchJournal, view: StoreView, *,
                 actor: str, progress: Progress | None = None, recovered: bool = False,
                 attempts: int = 5) -> BatchOutcome:
    """Export, mark and audit every ring of a planned batch that is not yet; returns what it did.

    The same function finishes a new batch and one an earlier run left
    unfinished: each step looks first whether it was done (the file's bytes,
    the ring's mark, the audit entry), so running it twice changes nothing.
    """
    step = progress or (lambda stage, done, total: None)
    batch_id = journal["batch_id"]
    path = export_actions(out_dir, journal)
    live = [r for r in journal["rings"] if r.get("state") != "withdrawn"]
    step("exported", 0, len(live))
    enforced: list[str] = []
    marked_now: list[str] = []
    newly_withdrawn = False
    for entry in live:
        state = _mark(store, view, entry, journal, actor=actor, attempts=attempts)
        if state in ("marked", "enforced"):
            if state == "marked":
                marked_now.append(entry["ring_id"])
            step("marked" if state == "marked" else "checked", len(enforced) + 1, len(live))
            _audit(store, view, entry, journal, actor=actor)
            entry["state"] = "enforced"
            enforced.append(entry["ring_id"])
        else:
            entry.update(state="withdrawn", why=state)
            newly_withdrawn = True
    if newly_withdrawn:
        write_journal(out_dir, journal)  # the decision first: a crash here re-exports from it
        export_actions(out_dir, journal)
    withdrawn = {r["ring_id"]: r.get("why", "changed") for r in journal["rings"]
                 if r.get("state") == "withdrawn"}
    journal.update(state=DONE, finished_at=utc_stamp(),
                   summary={"enforced": len(enforced), "withdrawn": len(withdrawn),
                            "actions": len(exported_actions(journal))})
    write_journal(out_dir, journal)
    exported = exported_actions(journal)
    return BatchOutcome(batch_id, path, enforced, marked_now, withdrawn, len(exported),
                        recovered=recovered, radius=blast_radius(exported))


def _mark(store: RingRepository, view: StoreView, entry: PlannedRing, journal: BatchJournal, *,
          actor: str, attempts: int) -> str:
    """Mark one planned ring enforced by compare-and-set; returns ``marked``, ``enforced`` (it was
    before), or why it is withdrawn (``changed``, ``earlier``, ``missing``)."""
    ring_id, batch_id = entry["ring_id"], journal["batch_id"]
    for _ in range(attempts):
        current = view.rings.get(ring_id)
        if current is None:
            return "missing"
        if view.enforced_by(ring_id) == batch_id or (ring_id, batch_id) in view.audited:
            return "enforced"
        if view.is_done(current, entry["rule"]):
            return "earlier"
        if current.status != entry["status"]:
            return "changed"
        version = ring_version(current)
        marked = replace(current, version=version + 1, enforcement={
            "batch_id": batch_id, "at": utc_stamp(), "actor": actor,
            "rule": entry["rule"], "ring_version": entry["ring_version"],
            "actions": len(entry["actions"]), "file": journal["file"]})
        if store.update_ring(marked, expected_version=version):
            view.rings[ring_id] = marked
            return "marked"
        fresh = store.ring(ring_id)  # changed under us: look again at what it is now
        if fresh is None:
            view.rings.pop(ring_id, None)
        else:
            view.rings[ring_id] = fresh
    return "changed"  # changed every time we looked: the next batch tries again


def _audit(store: AuditLog, view: StoreView, entry: PlannedRing, journal: BatchJournal, *,
           actor: str) -> None:
    """One audit entry per ring and batch: appended unless the log already has it (a recovery)."""
    key = (entry["ring_id"], journal["batch_id"])
    if key in view.audited:
        return
    store.append_audit(AuditEntry(at=utc_stamp(), actor=actor, action="enforce", details={
        "role": "admin", "ring_id": entry["ring_id"], "batch_id": journal["batch_id"],
        "rule": entry["rule"], "ring_version": entry["ring_version"], "actions": len(entry["actions"]),
        "file": journal["file"]}))
    view.audited.add(key)
    view.done.setdefault(entry["ring_id"], set()).add(entry["rule"])


def enforce(store: EnforcementStore, out_dir: Path, *, policy: Policy = DEFAULT_POLICY,
            batch_id: str | None = None, actor: str = DEFAULT_ACTOR, fmt: str = "jsonl",
            now: datetime | None = None, progress: Progress | None = None) -> EnforcementReport:
    """Run one enforcement job on ``out_dir``: finish interrupted batches, then plan and run a new one.

    Holds ``out_dir``'s lock throughout (:class:`~.journal.EnforcementLockedError`
    at once when another job has it). A ``batch_id`` whose batch is already
    finished here is not run again: its file is re-exported as it was (a
    scheduler's retry of a task that did succeed changes nothing).

    Returns
    -------
    EnforcementReport
        The recovered batches and this run's batch (possibly with no rings).
    """
    now = now or datetime.now(UTC)
    if batch_id is not None:
        check_batch_id(batch_id)
    with output_lock(out_dir):
        remove_temp_files(out_dir)
        view = StoreView.read(store)
        recovered = [finish_batch(store, out_dir, j, view, actor=j.get("actor") or actor,
                                  progress=progress, recovered=True)
                     for j in journals(out_dir) if j["state"] != DONE]
        if batch_id is not None and journal_path(out_dir, batch_id).exists():
            mine = next((o for o in recovered if o.batch_id == batch_id), None)
            others = [o for o in recovered if o.batch_id != batch_id]
            return EnforcementReport(others, mine or _re_export(out_dir, batch_id))
        batch_id = batch_id or new_batch_id(now)
        money = account_commissions(store) if policy.needs_account_commission else None
        journal, already = plan_batch(view, policy, batch_id=batch_id, fmt=fmt, now=now, actor=actor,
                                      account_money=money)
        write_journal(out_dir, journal)
        if progress:
            progress("planned", 0, len(journal["rings"]))
        outcome = finish_batch(store, out_dir, journal, view, actor=actor, progress=progress)
        return EnforcementReport(recovered, dataclasses.replace(outcome, already=already))


def _re_export(out_dir: Path, batch_id: str) -> BatchOutcome:
    """A finished batch's file written again from its journal (restored if someone deleted it)."""
    journal = read_journal(journal_path(out_dir, batch_id))
    path = export_actions(out_dir, journal)
    enforced = [r["ring_id"] for r in journal["rings"] if r.get("state") == "enforced"]
    withdrawn = {r["ring_id"]: r.get("why", "changed") for r in journal["rings"]
                 if r.get("state") == "withdrawn"}
    exported = exported_actions(journal)
    return BatchOutcome(batch_id, path, enforced, [], withdrawn, len(exported), re_exported=True,
                        radius=blast_radius(exported))


def preview(store: EnforcementStore, out_dir: Path, *, policy: Policy = DEFAULT_POLICY,
            now: datetime | None = None) -> Preview:
    """What :func:`enforce` would do now, changing nothing: no lock, no file, no store write.

    Unfinished batches in ``out_dir`` count with the rings they have left to
    mark (a run finishes them first); the new batch is planned as a run would
    plan it, and the blast radius covers both.
    """
    now = now or datetime.now(UTC)
    view = StoreView.read(store)
    unfinished = {}
    pending: list[PlannedRing] = []
    for journal in (j for j in journals(out_dir) if j["state"] != DONE):
        left = [r for r in journal["rings"] if r.get("state") != "withdrawn"
                and (r["ring_id"], journal["batch_id"]) not in view.audited
                and view.enforced_by(r["ring_id"]) != journal["batch_id"]]
        unfinished[journal["batch_id"]] = len(left)
        pending += left
    money = account_commissions(store) if policy.needs_account_commission else None
    journal, already = plan_batch(view, policy, batch_id="dry-run", fmt="jsonl", now=now,
                                  actor=DEFAULT_ACTOR, account_money=money,
                                  skip=[r["ring_id"] for r in pending])
    actions = [a for r in (*pending, *journal["rings"]) for a in r["actions"]]
    return Preview(unfinished, journal["rings"], already, blast_radius(actions))


def blast_radius(actions: Iterable[EnforcementAction]) -> BlastRadius:
    """Count what ``actions`` touch: rings, actions by name, distinct targets by type, commission held.

    A target held by several actions (a creator frozen by two rings) counts its
    largest hold once; a creator's and a shop's holds may still cover the same
    commission, so the total is an upper bound.
    """
    rings: set[str] = set()
    by_action: Counter[str] = Counter()
    targets: dict[str, set[str]] = {}
    holds: dict[tuple[str, str, str], float] = {}
    count = 0
    for action in actions:
        count += 1
        rings.add(action["ring_id"])
        by_action[action["action"]] += 1
        target_type, target_id = action["target"]["type"], action["target"]["id"]
        targets.setdefault(target_type, set()).add(target_id)
        if action["commission_held"]:
            key = (target_type, target_id, action.get("currency") or "")
            holds[key] = max(holds.get(key, 0.0), float(action["commission_held"]))
    held: dict[str, float] = {}
    for (_, _, currency), amount in holds.items():
        held[currency] = round(held.get(currency, 0.0) + amount, 2)
    return BlastRadius(len(rings), count, dict(by_action.most_common()),
                       {k: len(v) for k, v in sorted(targets.items())}, held)
