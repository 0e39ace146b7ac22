"""The README and docs/contract.md name the quarantine columns the loader writes, all of them.

They once disagreed (the README left out ``_ringwatch_raw_line``); users script
against these columns, so each document is checked against the loader's own list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ringwatch.loaders import QUARANTINE_COLUMNS

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("document", ["README.md", "docs/contract.md"])
def test_every_quarantine_column_is_named_in(document: str) -> None:
    text = (REPO / document).read_text()
    assert [c for c in QUARANTINE_COLUMNS if f"`{c}`" not in text] == []
