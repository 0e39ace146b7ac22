"""``--engine spark`` without pyspark: one line, exit 1, nothing loaded (README's commands need no Spark)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ringwatch.api.cli import app


def test_engine_spark_without_pyspark_says_how_to_install_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark raises ImportError
    result = CliRunner().invoke(app, ["run", "--data", str(tmp_path / "none"), "--out",
                                      str(tmp_path / "out"), "--store", str(tmp_path / "store"),
                                      "--engine", "spark"])
    assert result.exit_code == 1
    assert "pip install 'ringwatch[spark]'" in result.output
    assert not (tmp_path / "out").exists()
