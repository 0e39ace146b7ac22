"""The typed records read and write exactly the JSON Ringwatch wrote before them (tests/fixtures/contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringwatch.domain import (
    RING_STATUSES,
    AccountType,
    ApiKey,
    AuditEntry,
    Lifecycle,
    QuarantineCode,
    QuarantineReason,
    ReviewAction,
    ReviewStatus,
    Ring,
    RingKind,
    Run,
    member_type,
    reason_codes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contract"


def _stored(name: str) -> list[dict]:
    return json.loads((FIXTURES / "store" / name).read_text())


@pytest.mark.parametrize("run", ["first_run", "second_run"])
def test_rings_jsonl_read_into_rings_and_written_back_is_byte_identical(run: str) -> None:
    text = (FIXTURES / run / "rings.jsonl").read_text()
    rings = [Ring.from_json(json.loads(line)) for line in text.splitlines()]
    assert {r.lifecycle for r in rings} == {Lifecycle.NEW if run == "first_run" else Lifecycle.PERSISTING}
    assert "".join(json.dumps(r.contract_json()) + "\n" for r in rings) == text


@pytest.mark.parametrize("run", ["first_run", "second_run"])
def test_run_json_read_into_a_run_and_written_back_is_byte_identical(run: str) -> None:
    text = (FIXTURES / run / "run.json").read_text()
    assert json.dumps(Run.from_json(json.loads(text)).to_json(), indent=2) == text


def test_stored_rings_round_trip_with_their_review_and_enforcement_fields() -> None:
    docs = _stored("rings.json")
    rings = [Ring.from_json(doc) for doc in docs]
    assert [r.to_json() for r in rings] == docs
    # Every field shape the fixture holds came through typed, not as leftovers.
    assert all(not r.extra for r in rings)
    # Every kind there was when the fixture was written (lockstep rings and coordinated blocks
    # came after it).
    assert {r.kind for r in rings} == set(RingKind) - {RingKind.LOCKSTEP_RING,
                                                       RingKind.COORDINATED_BLOCK}
    assert {r.lifecycle for r in rings} == {Lifecycle.PERSISTING, Lifecycle.DISSOLVED}
    assert {r.review_status for r in rings} == set(ReviewStatus)
    assert any(r.enforcement for r in rings) and any(r.reviews for r in rings)


def test_status_is_the_lifecycle_and_the_review_as_the_contract_mixes_them() -> None:
    by_status = {r.status: r for r in map(Ring.from_json, _stored("rings.json"))}
    assert set(by_status) <= set(RING_STATUSES)
    dissolved = [r for r in map(Ring.from_json, _stored("rings.json"))
                 if r.lifecycle is Lifecycle.DISSOLVED]
    # A dissolved ring keeps its decision apart from its status.
    assert {r.status for r in dissolved} == {"dissolved"}
    assert ReviewStatus.ESCALATED in {r.review_status for r in dissolved}
    confirmed = by_status["confirmed"]
    assert confirmed.lifecycle is Lifecycle.PERSISTING and len(confirmed.history or ()) == 2
    assert confirmed.reviews and confirmed.reviews[0].action is ReviewAction.CONFIRM


def test_a_ring_without_review_status_takes_it_from_its_status() -> None:
    doc = json.loads((FIXTURES / "first_run" / "rings.jsonl").read_text().splitlines()[0])
    ring = Ring.from_json({**doc, "status": "confirmed"})
    assert ring.review_status is ReviewStatus.CONFIRMED and ring.status == "confirmed"


def test_runs_audit_entries_and_keys_round_trip_in_their_stored_order() -> None:
    for name, record in (("runs.json", Run), ("audit.json", AuditEntry), ("api_keys.json", ApiKey)):
        docs = _stored(name)
        written = [record.from_json(doc).to_json() for doc in docs]
        assert [list(d.items()) for d in written] == [list(d.items()) for d in docs], name


def test_audit_entries_keep_null_fields_apart_from_absent_ones() -> None:
    revoke = {"at": "t", "actor": "cli:ops", "key_id": None, "role": None, "action": "key.revoke",
              "ring_id": None, "revoked_key_id": "key_1", "note": "n", "request_id": None}
    entry = AuditEntry.from_json(revoke)
    assert entry.key_id is None and entry.ring_id is None
    assert list(entry.to_json().items()) == list(revoke.items())
    enforce = AuditEntry.from_json({"at": "t", "actor": "job", "role": "admin", "action": "enforce",
                                    "ring_id": "R-1", "batch_id": "b"})
    assert "key_id" not in enforce.to_json() and enforce.ring_id == "R-1"


def test_enums_are_their_text() -> None:
    assert json.dumps([AccountType.SHOP, RingKind.COLLUSION_RING]) == '["shop", "collusion_ring"]'
    assert member_type("payout_account") == "payout_account" and member_type("shop") is AccountType.SHOP
    with pytest.raises(ValueError):
        member_type("robot")
    assert [a.status for a in ReviewAction] == ["confirmed", "dismissed", "escalated"]


def test_quarantine_reasons_keep_their_text_form() -> None:
    import pandas as pd

    text = "out_of_domain: status must be one of completed, refunded, cancelled; got 'lost'"
    reason = QuarantineReason.parse(text)
    assert reason.code is QuarantineCode.OUT_OF_DOMAIN and str(reason) == text
    codes = reason_codes(pd.Series([text, "bad_timestamp: placed_at is not an ISO-8601 time: 'x: y'"]))
    assert codes.tolist() == ["out_of_domain", "bad_timestamp"]
    with pytest.raises(ValueError):
        QuarantineReason.parse("no_such_code: detail")
