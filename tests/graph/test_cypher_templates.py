"""Cypher's per-type branches are generated from the domain's type table, never listed by hand."""

from __future__ import annotations

import re

import pytest

from ringwatch import cypher
from ringwatch.domain import IdentifierTypeInfo, identifier_types, member_types

SIM = IdentifierTypeInfo("sim", "SIM card", "SIM cards", "SimCard", "#123456",
                         evidence_weight=0.8, personal_sharing=3, sharing_cap=25)

#: Statements with a branch, a column or a constraint per identifier type.
PER_IDENTIFIER = ("write_identity_links", "save_rings", "schema", "counts", "account",
                  "projection_table_identity_links", "neighbours")


def test_no_statement_file_names_an_identifier_type_by_hand() -> None:
    for name in cypher.names():
        text = cypher._file(name)
        for t in identifier_types():
            assert f"'{t.name}'" not in text and f":{t.neo4j_label}" not in text, (name, t.name)


def test_every_template_expands_to_plain_cypher() -> None:
    for name in cypher.names():
        text = cypher.load(name)
        assert "// for each" not in text and "// end for" not in text, name
        assert "{type}" not in text and "{label}" not in text, name


@pytest.mark.parametrize("name", PER_IDENTIFIER)
def test_a_type_added_to_the_table_gets_its_branch_in_every_statement(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = cypher.load(name)
    assert ":SimCard" not in before
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES, SIM))
    after = cypher.load(name)
    assert re.search(r"\w:SimCard\b", after), name
    # The other types' branches are all still there.
    for t in identifier_types():
        assert f":{t.neo4j_label}" in after, (name, t.name)


def test_the_schema_gets_a_constraint_per_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES, SIM))
    constraints = [s for s in cypher.statements("schema") if "FOR (n:SimCard)" in s]
    assert constraints == ["CREATE CONSTRAINT sim_id IF NOT EXISTS FOR (n:SimCard) REQUIRE n.id IS UNIQUE"]


def test_an_unknown_group_in_a_template_is_an_error() -> None:
    with pytest.raises(KeyError, match="unknown type group"):
        cypher.expand("// for each colour:\nX\n// end for\n")
