"""The `ringwatch` command line end to end: exit codes, files written, both stores agree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app
from ringwatch.graph.store import GraphStore

runner = CliRunner()

CONTRACT_FIELDS = {"ring_id", "kind", "score", "status", "members", "evidence", "metrics",
                   "first_detected", "run_id"}


def _rings(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "rings.jsonl").read_text().splitlines()]


def _run(*args: str) -> object:
    return runner.invoke(app, ["--log-level", "warning", *args], catch_exceptions=False)


def test_run_writes_rings_report_and_summary(generated_snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run("run", "--data", str(generated_snapshot), "--out", str(out),
                  "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    rings = _rings(out)
    assert rings, "the generated snapshot has planted rings"
    assert all(ring.keys() >= CONTRACT_FIELDS for ring in rings)
    scores = [ring["score"] for ring in rings]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert {ring["kind"] for ring in rings} == {"identity_ring", "collusion_ring",
                                                "commission_abuse"}
    report = (out / "report.html").read_text()
    assert rings[0]["ring_id"] in report and "<svg" in report
    summary = json.loads((out / "load_summary.json").read_text())
    assert summary["reconciles"]


def test_run_on_a_bad_snapshot_quarantines_under_out_and_exits_zero(bad_snapshot: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run("run", "--data", str(bad_snapshot), "--out", str(out),
                  "--store", str(tmp_path / "store"))
    assert result.exit_code == 0, result.output
    assert (out / "quarantine" / "orders.csv").exists()
    assert "every table reconciles" in result.output


def test_missing_required_column_exits_2_with_one_line_naming_it(bad_snapshot: Path,
                                                                 tmp_path: Path) -> None:
    header, *_rows = (bad_snapshot / "orders.csv").read_text().splitlines()
    (bad_snapshot / "orders.csv").write_text(header.replace(",placed_at", "") + "\n")
    result = runner.invoke(app, ["load", "--data", str(bad_snapshot), "--store",
                                 str(tmp_path / "store"), "--quarantine", str(tmp_path / "q")])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("ringwatch: error")]
    assert len(errors) == 1 and "orders.csv" in errors[0] and "placed_at" in errors[0]
    assert not (tmp_path / "q").exists()


def test_missing_snapshot_directory_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["load", "--data", str(tmp_path / "nope"), "--store",
                                 str(tmp_path / "store")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_every_command_explains_itself_in_help() -> None:
    for command in ("load", "run", "detect", "eval", "demo", "generate", "enforce", "serve"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output and len(result.output.splitlines()) > 8


@pytest.mark.neo4j
def test_local_and_neo4j_give_the_same_rings(generated_snapshot: Path, tmp_path: Path,
                                             neo4j_session_store: GraphStore) -> None:
    neo4j_session_store.clear()
    local, remote = tmp_path / "local", tmp_path / "neo4j"
    assert _run("run", "--data", str(generated_snapshot), "--out", str(local),
                "--store", str(tmp_path / "store")).exit_code == 0
    assert _run("run", "--data", str(generated_snapshot), "--out", str(remote),
                "--backend", "neo4j").exit_code == 0

    def comparable(out: Path) -> list[tuple]:
        return sorted((r["kind"], r["score"], tuple(sorted((m["type"], m["id"])
                                                             for m in r["members"])))
                      for r in _rings(out))

    assert comparable(local) == comparable(remote)
    assert len(neo4j_session_store.rings()) == len(_rings(remote))


def test_enforce_and_reviewer_precision_after_a_review(generated_snapshot: Path,
                                                       tmp_path: Path) -> None:
    from ringwatch.graph.local_store import LocalStore
    from ringwatch.reviewing import Reviewer, review_ring

    out, store_dir = tmp_path / "out", tmp_path / "store"
    assert _run("run", "--data", str(generated_snapshot), "--out", str(out),
                "--store", str(store_dir)).exit_code == 0
    first, second = _rings(out)[:2]
    store = LocalStore(store_dir)
    reviewer = Reviewer(actor="alice", key_id=None, role="investigator")
    for ring, action in ((first, "confirm"), (second, "dismiss")):
        review_ring(store, ring["ring_id"], action, reviewer=reviewer, expected_version=0)
    result = _run("enforce", "--out", str(tmp_path / "acts"), "--store", str(store_dir),
                  "--batch-id", "night-1")
    assert result.exit_code == 0 and "1 ring enforced" in result.output
    actions = [json.loads(line) for line in
               (tmp_path / "acts" / "actions-night-1.jsonl").read_text().splitlines()]
    assert {a["ring_id"] for a in actions} == {first["ring_id"]}
    again = _run("enforce", "--out", str(tmp_path / "acts2"), "--store", str(store_dir))
    assert again.exit_code == 0 and "nothing to enforce in the local store at" in again.output
    assert "(1 ring enforced earlier); no actions file written" in again.output
    assert not (tmp_path / "acts2").exists()  # no empty actions file, lock or journal
    verdicts = _run("eval", "--reviews", "--store", str(store_dir)).output
    kinds = {first["kind"], second["kind"]}
    expected = "1.000" if len(kinds) == 2 else "0.500"
    assert expected in verdicts
