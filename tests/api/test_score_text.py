"""Scores are written with enough digits to tell rings apart, alike on the page, the CLI and the report."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ringwatch.api.score_text import fixed, score_text, score_texts

APP_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "ui" / "app.js"


def test_two_decimals_when_they_tell_the_scores_apart() -> None:
    assert score_texts([0.93, 0.85, 0.5, 0.07]) == ["0.93", "0.85", "0.50", "0.07"]


def test_neighbours_that_would_read_the_same_get_more_decimals() -> None:
    assert score_texts([0.9981, 0.9973, 0.95]) == ["0.998", "0.997", "0.95"]
    assert score_texts([0.9931, 0.9932]) == ["0.9931", "0.9932"]
    assert score_texts([0.814, 0.812, 0.7]) == ["0.814", "0.812", "0.70"]


def test_equal_scores_read_the_same_and_only_true_certainty_reads_one() -> None:
    assert score_texts([1.0, 1.0, 0.9999, 0.9999, 0.5]) == ["1.0000", "1.0000", "0.9999", "0.9999", "0.50"]
    assert score_texts([1.0, 1.0, 0.5]) == ["1.00", "1.00", "0.50"]
    assert score_text(0.9973) == "0.997" and score_text(1.0) == "1.00"
    assert score_text(0.0004) == "0.0004" and score_text(0.0) == "0.00"


def test_rounding_is_half_up_on_the_exact_value_as_javascript_does() -> None:
    assert fixed(0.125, 2) == "0.13"  # exactly representable: half up (Python's format says 0.12)
    assert fixed(0.815, 2) == "0.81"  # 0.815 is 0.81499999... in binary


def test_a_missing_score_is_a_dash() -> None:
    assert score_texts([0.5, float("nan"), None]) == ["0.50", "—", "—"]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_review_page_writes_scores_exactly_as_python_does() -> None:
    """The page's own functions (cut from app.js, run by node) against score_texts on random lists."""
    source = APP_JS.read_text()
    start = source.index("  // --- scores: the rule of api/score_text.py")
    end = source.index("  // --- end of scores ---")
    rng = random.Random(5)
    lists = [[round(rng.choice([rng.random(), 1 - rng.random() / 100, rng.random() / 500]), 4)
              for _ in range(rng.randint(1, 12))] for _ in range(300)]
    lists += [[0.125, 0.375, 0.625, 0.875], [1.0, 0.99995, 0.0, 0.00005]]
    script = (source[start:end] + "\nconst lists = " + json.dumps(lists) + ";\n"
              "process.stdout.write(JSON.stringify("
              "[lists.map(fmtScores), lists.map((l) => l.map(fmtScore))]));")
    shown, alone = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True,
                                             check=True, timeout=60).stdout)
    assert shown == [score_texts(scores) for scores in lists]
    assert alone == [[score_text(s) for s in scores] for scores in lists]


def test_the_run_summary_tells_near_scores_apart_in_queue_order(capsys: pytest.CaptureFixture[str]) -> None:
    from ringwatch.api.cli import _print_top
    from ringwatch.detectors.pipeline import RunResult

    def ring(ring_id: str, score: float) -> dict:
        return {"ring_id": ring_id, "kind": "identity_ring", "score": score, "status": "new",
                "members": [{"type": "creator", "id": f"c-{ring_id}"}],
                "evidence": [{"code": "shared_device", "text": f"why {ring_id}", "weight": 0.5}],
                "metrics": {}}
    run = {"run_id": "run-x", "rings": 3, "new": 3, "persisting": 0, "dissolved": 0}
    _print_top(RunResult(run, [ring("R-1", 0.9981), ring("R-2", 0.9973), ring("R-3", 0.95)], []))
    rows = [line for line in capsys.readouterr().out.splitlines() if "R-" in line]
    assert [row.split("│")[3].strip() for row in rows] == ["0.998", "0.997", "0.95"]
