"""Identifier types and ring kinds are spelled out once, in ``ringwatch.domain``'s vocabulary.

Code names them through :class:`~ringwatch.domain.IdentifierType` and
:class:`~ringwatch.domain.RingKind`, so renaming or adding one is a change to
the table, not a hunt through string literals that fail silently when one is
forgotten. The check reads every string constant of the package's modules
(docstrings aside) and fails on one that equals a vocabulary value.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ringwatch.domain import IdentifierType, RingKind

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("core", "loaders", "cypher", "graph", "detectors", "generator", "api")
VOCABULARY = frozenset(str(value) for value in (*IdentifierType, *RingKind))

#: The tables themselves: the enums and the rows they are built from.
TABLES = frozenset({"core/domain/vocabulary.py", "core/domain/member_types.py",
                    "core/domain/ring_kind_table.py"})

#: Files whose literals are another vocabulary that happens to share a word, with the reason.
ALLOWED: dict[str, str] = {
    "generator/market.py": "labels.csv's typology names; one typology is called collusion_ring too",
    "generator/typologies.py": "planters keyed by the labels' typology names (collusion_ring is one)",
}

#: Debt to pay off, not a licence: files that still spell the values out. Remove an entry
#: once its file is clean; the test fails when an entry is no longer needed, so the list
#: can only shrink.
DEBT: dict[str, str] = {
    "detectors/collusion_rings.py": "'device' in the shared-device evidence",
}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring constants of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                found.add(id(body[0].value))
    return found


def vocabulary_literals(path: Path) -> list[str]:
    """``line: value`` for each string constant in ``path`` that is a vocabulary value."""
    tree = ast.parse(path.read_text())
    docstrings = _docstrings(tree)
    return [f"{node.lineno}: {node.value}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value in VOCABULARY and id(node) not in docstrings]


def _spelled_out() -> dict[str, list[str]]:
    found = {}
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            name = path.relative_to(REPO).as_posix()
            if name not in TABLES and (hits := vocabulary_literals(path)):
                found[name] = hits
    return found


def test_no_identifier_type_or_ring_kind_is_spelled_out_outside_its_table() -> None:
    spelled = _spelled_out()
    unexpected = {name: hits for name, hits in spelled.items() if name not in ALLOWED | DEBT}
    assert unexpected == {}


def test_every_allowlisted_file_still_needs_its_entry() -> None:
    spelled = _spelled_out()
    assert sorted(name for name in ALLOWED | DEBT if name not in spelled) == []


def test_the_check_sees_values_in_code_but_not_in_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text('"""About payout_account."""\n\n'
                      'def f(t):\n    """Is it an identity_ring?"""\n'
                      '    return t == "payout_account" or f"{t}" == "lockstep_ring" or t == "payout"\n')
    assert vocabulary_literals(module) == ["5: payout_account", "5: lockstep_ring"]
    assert {"payout_account", "identity_ring", "ip"} <= VOCABULARY
