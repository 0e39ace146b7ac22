"""The review queue's order: score, then expected commission at stake within one currency, then id."""

from __future__ import annotations

from ringwatch.domain import QueueEntry, Stake, in_queue_order, queue_keys


def _ring(ring_id: str, score: float, commission: float, currency: str | None, orders: int) -> dict:
    return {"ring_id": ring_id, "score": score,
            "metrics": {"commission_total": commission, "currency": currency, "orders": orders}}


def _ids(rings: list[dict]) -> list[str]:
    return [r["ring_id"] for r in in_queue_order(rings)]


def test_a_higher_score_comes_first_whatever_the_money() -> None:
    assert _ids([_ring("R-a", 0.5, 1e6, "USD", 900), _ring("R-b", 0.9973, 1.0, "USD", 1),
                 _ring("R-c", 0.9981, 0.0, None, 0)]) == ["R-c", "R-b", "R-a"]


def test_ties_go_to_the_larger_stake_then_to_the_smaller_id() -> None:
    assert _ids([_ring("R-a", 1.0, 10.0, "EUR", 1), _ring("R-b", 1.0, 250.5, "EUR", 1),
                 _ring("R-d", 1.0, 10.0, "EUR", 1), _ring("R-c", 1.0, 10.0, "EUR", 1)]) == [
        "R-b", "R-a", "R-c", "R-d"]


def test_a_ring_without_money_does_not_stop_money_from_deciding() -> None:
    assert _ids([_ring("R-a", 0.99, 0.0, None, 80), _ring("R-b", 0.99, 5.0, "USD", 1),
                 _ring("R-c", 0.99, 50.0, "USD", 2)]) == ["R-c", "R-b", "R-a"]


def test_rings_without_a_currency_compare_their_money_among_themselves() -> None:
    assert _ids([_ring("R-a", 0.99, 5.0, None, 9), _ring("R-b", 0.99, 50.0, None, 1)]) == ["R-b", "R-a"]


def test_a_tie_across_currencies_or_with_mixed_money_goes_by_orders() -> None:
    across = [_ring("R-a", 0.99, 90000.0, "JPY", 2), _ring("R-b", 0.99, 700.0, "USD", 40)]
    assert _ids(across) == ["R-b", "R-a"]
    mixed = [_ring("R-a", 0.99, 9000.0, "mixed", 2), _ring("R-b", 0.99, 700.0, "mixed", 40)]
    assert _ids(mixed) == ["R-b", "R-a"]


def test_one_scores_currencies_do_not_change_how_another_score_ties() -> None:
    rings = [_ring("R-a", 0.99, 90000.0, "JPY", 2), _ring("R-b", 0.99, 700.0, "USD", 40),
             _ring("R-c", 0.7, 10.0, "USD", 99), _ring("R-d", 0.7, 20.0, "USD", 1)]
    assert _ids(rings) == ["R-b", "R-a", "R-d", "R-c"]


def test_keys_follow_the_entries_and_ignore_unreadable_money() -> None:
    entries = [QueueEntry("R-a", 0.5, Stake.from_metrics({"commission_total": float("nan"), "orders": "x"})),
               QueueEntry("R-b", 0.5, Stake.from_metrics(None)),
               QueueEntry("R-c", 0.5, Stake(4.0, "USD", 1))]
    keys = queue_keys(entries)
    assert [k[2] for k in keys] == ["R-a", "R-b", "R-c"]
    assert sorted(keys)[0][2] == "R-c" and keys[0][1] == 0.0
