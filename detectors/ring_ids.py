"""Stable ring ids across runs: a ring found again keeps its id, first-detected time and status.

Each new ring is matched to an earlier one of the same kind by the Jaccard
overlap of their account members (``>= MatchingConfig.jaccard``), best pairs
first, one to one. Earlier rings left unmatched are marked dissolved, never
deleted. Where rings split or merge, the lineage says which earlier rings
became which new ones (any two rings sharing at least half of the smaller
one's accounts are related), so a reviewer sees the history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from ringwatch.domain import Lifecycle, ReviewDocument, ReviewStatus, RingDocument, is_account

GREW_SINCE_DISMISSED = "grew since dismissed"
#: Fields a review writes on a ring; a later run carries them over to the ring it continues.
REVIEW_FIELDS = ("reviews", "version", "reviewed_members", "note", "enforcement")


class CarriedReview(TypedDict, total=False):
    """The review fields a ring found again takes over (:func:`carried_review`), merged into it."""

    status: str
    review_status: str
    reviews: list[ReviewDocument]
    version: int
    reviewed_members: list[str]
    note: str
    enforcement: Mapping[str, Any]


class HistoryMoney(TypedDict, total=False):
    """A ring's money as its history entry keeps it (absent where its metrics have none)."""

    commission_total: float
    currency: str
    orders: int


def account_keys(ring: RingDocument) -> frozenset[str]:
    """A ring's account members as ``type:id`` keys (identifiers do not decide identity)."""
    return frozenset(f"{m['type']}:{m['id']}" for m in ring["members"]
                     if is_account(m["type"]))


def new_ring_id(kind: str, accounts: frozenset[str]) -> str:
    """A deterministic id for a ring seen for the first time: the same input gives the same id."""
    digest = hashlib.sha1(("|".join([kind, *sorted(accounts)])).encode()).hexdigest()
    return f"R-{digest[:12]}"


def review_status_after(old: RingDocument, ring: RingDocument, *,
                        jaccard: float) -> tuple[str, str | None]:
    """The review status a ring found again carries, and a note when it changed.

    A dismissed ring stays dismissed while its accounts stay within ``jaccard``
    of the accounts it had when it was dismissed; once it has grown past that,
    a reviewer must look again: it comes back as ``new``, noted "grew since
    dismissed". Other decisions carry over as they are.
    """
    review = old.get("review_status", ReviewStatus.NEW)
    if review != ReviewStatus.DISMISSED:
        return review, None
    seen = frozenset(old.get("reviewed_members") or account_keys(old))
    now = account_keys(ring)
    overlap = len(seen & now) / len(seen | now) if seen | now else 1.0
    if overlap < jaccard:
        return ReviewStatus.NEW, GREW_SINCE_DISMISSED
    return review, None


def carried_review(old: RingDocument, ring: RingDocument, *, jaccard: float) -> CarriedReview:
    """The review fields a ring found again takes from ``old``: decision, reviews, note, version.

    The version is bumped: the ring changed, so an ETag taken before must no
    longer match.
    """
    review, note = review_status_after(old, ring, jaccard=jaccard)
    carried = cast(CarriedReview, {k: old[k] for k in REVIEW_FIELDS if k in old})
    carried["version"] = int(old.get("version", 0)) + 1
    if note:
        carried["note"] = note
    return {**carried, "status": review, "review_status": review}


@dataclass(frozen=True)
class Match:
    """The outcome of matching: new ring index -> earlier ring id, and lineage links."""

    continues: dict[int, str]
    related: list[tuple[str, int]]  # (earlier ring id, new ring index) sharing half the smaller


def match(previous: list[RingDocument], current: list[RingDocument], *,
          jaccard: float) -> Match:
    """Match ``current`` rings (dicts with kind and members) to ``previous`` ones."""
    old_keys = [(r["ring_id"], r["kind"], account_keys(r), r.get("status") != Lifecycle.DISSOLVED)
                for r in previous]
    # Index earlier rings by account so that only overlapping pairs are compared.
    by_account: dict[str, list[int]] = {}
    for i, (_, _, keys, _) in enumerate(old_keys):
        for key in keys:
            by_account.setdefault(key, []).append(i)
    candidates: list[tuple[float, bool, int, int]] = []
    related: list[tuple[str, int]] = []
    for j, ring in enumerate(current):
        keys = account_keys(ring)
        seen = {i for key in keys for i in by_account.get(key, ())}
        for i in seen:
            old_id, kind, old, active = old_keys[i]
            if kind != ring["kind"]:
                continue
            shared = len(keys & old)
            if shared * 2 >= min(len(keys), len(old)):
                related.append((old_id, j))
            score = shared / len(keys | old)
            if score >= jaccard:
                candidates.append((score, active, i, j))
    continues: dict[int, str] = {}
    used: set[int] = set()
    # Ties go by content (the earlier ring's id, then the new ring's accounts), never by the
    # order the detectors returned the rings in: the same rings get the same ids.
    content = [tuple(sorted(account_keys(ring))) for ring in current]
    for _, _, i, j in sorted(candidates, key=lambda c: (-c[0], not c[1], old_keys[c[2]][0],
                                                        content[c[3]])):
        if i in used or j in continues:
            continue
        used.add(i)
        continues[j] = old_keys[i][0]
    return Match(continues, related)


def assign_ids(previous: list[RingDocument], current: list[RingDocument], *, run_id: str,
                stamp: str, jaccard: float) -> list[RingDocument]:
    """Give each current ring its id, history and lineage; mark earlier rings not found dissolved."""
    found = match(previous, current, jaccard=jaccard)
    by_id = {r["ring_id"]: r for r in previous}
    touched: list[RingDocument] = []
    kept_ids: set[str] = set()
    related_to: dict[int, set[str]] = {}  # by new ring: the earlier rings it shares half with
    for old_id, j in found.related:
        related_to.setdefault(j, set()).add(old_id)
    for j, ring in enumerate(current):
        old = by_id.get(found.continues.get(j, ""))
        if old is not None:
            ring_id = old["ring_id"]
            history = old.get("history", [])
            first = old["first_detected"]
            lineage = dict(old.get("lineage", {}))
            kept = carried_review(old, ring, jaccard=jaccard)
        else:
            ring_id = new_ring_id(ring["kind"], frozenset(
                f"{m['type']}:{m['id']}" for m in ring["members"]))
            while ring_id in by_id or ring_id in kept_ids:
                ring_id = new_ring_id(ring["kind"], frozenset([ring_id]))
            history, first, lineage = [], stamp, {}
            kept: CarriedReview = {"status": ReviewStatus.NEW, "review_status": ReviewStatus.NEW}
        kept_ids.add(ring_id)
        related = sorted(related_to.get(j, set()) - {ring_id})
        if related:
            relation = "merged_from" if old is not None else "split_from"
            lineage[relation] = sorted(set(lineage.get(relation, [])) | set(related))
        touched.append({
            **kept, "ring_id": ring_id, **ring, "status": kept["status"],
            "first_detected": first, "run_id": run_id, "last_seen_run": run_id,
            "lineage": lineage,
            "history": [*history, {"run_id": run_id, "at": stamp, "score": ring["score"],
                                   "accounts": len(account_keys(ring)), **_money(ring)}],
        })
    became: dict[str, list[str]] = {}
    for old_id, j in found.related:
        became.setdefault(old_id, []).append(touched[j]["ring_id"])
    for old in previous:
        if old["ring_id"] in kept_ids or old.get("status") == Lifecycle.DISSOLVED:
            continue
        touched.append({**old, "status": Lifecycle.DISSOLVED, "dissolved_in_run": run_id,
                        "lineage": {**old.get("lineage", {}),
                                    "became": sorted(set(became.get(old["ring_id"], [])))}})
    return touched


def _money(ring: RingDocument) -> HistoryMoney:
    """The ring's money as its history entry keeps it, so that a listing pinned to this run
    breaks score ties as this run saw them (:mod:`ringwatch.domain.queue`)."""
    metrics = ring.get("metrics") or {}
    money = {"commission_total": metrics.get("commission_total"), "currency": metrics.get("currency"),
             "orders": metrics.get("orders")}
    return cast(HistoryMoney, {name: value for name, value in money.items() if value is not None})
