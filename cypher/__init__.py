"""Every Cypher statement Ringwatch runs, one purpose per ``NAME.cypher`` file, loaded by name.

Keeping statements as files (shipped as package data) means an investigator can
read and run exactly what the product runs, and no statement is ever assembled
from values: callers pass values as parameters (docs/contract.md section 1).

Labels cannot be parameters (Neo4j 5.26 plans a dynamic label as a scan of every
node), so what differs per account or identifier type is written once, as a
block the loader repeats for each row of the domain's type table
(:mod:`ringwatch.domain.member_types`), with ``{type}`` and ``{label}`` filled in
from the row::

    // for each identifier type, joined by UNION ALL:
    WITH row WHERE row.identifier_type = '{type}'
    MERGE (identifier:{label} {id: row.identifier}) RETURN identifier
    // end for

Groups: ``account type``, ``linked account type`` (accounts that use
identifiers), ``identifier type`` and ``member type`` (accounts, then
identifiers). No file lists the types by hand, so a new type is a new table row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from ringwatch.domain import account_types, identifier_types, linked_account_types

_SUFFIX = ".cypher"

#: A repeated block: its group, an optional separator line, its body, up to ``// end for``.
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)// for each (?P<group>[a-z ]+?)(?:, joined by (?P<sep>[^:\n]+))?:\n"
                    r"(?P<body>.*?)^[ \t]*// end for\n", re.MULTILINE | re.DOTALL)

_GROUPS: dict[str, Callable[[], tuple[tuple[str, str], ...]]] = {
    "account type": lambda: tuple((t.name, t.neo4j_label) for t in account_types()),
    "linked account type": lambda: tuple((t.name, t.neo4j_label) for t in linked_account_types()),
    "identifier type": lambda: tuple((t.name, t.neo4j_label) for t in identifier_types()),
    "member type": lambda: tuple((t.name, t.neo4j_label)
                                 for t in (*account_types(), *identifier_types())),
}


def names() -> list[str]:
    """The names of every shipped statement file (without ``.cypher``), sorted."""
    return sorted(entry.name[: -len(_SUFFIX)] for entry in resources.files(__package__).iterdir()
                  if entry.name.endswith(_SUFFIX))


def load(name: str) -> str:
    """The text of ``cypher/NAME.cypher``, its per-type blocks repeated for the type table's rows.

    Raises ``KeyError`` naming the known statements when there is no such file,
    so a typo in a statement name fails at once and says what was meant.
    """
    return expand(_file(name))


@cache
def _file(name: str) -> str:
    resource = resources.files(__package__) / f"{name}{_SUFFIX}"
    if not resource.is_file():
        raise KeyError(f"no Cypher statement {name!r} in ringwatch.cypher; "
                       f"known: {', '.join(names())}")
    return resource.read_text(encoding="utf-8")


def expand(text: str) -> str:
    """``text`` with each ``// for each GROUP:`` block repeated per type of GROUP (see above).

    The table's names and labels are checked to be plain identifiers
    (:func:`ringwatch.domain.check_table`), so what is filled in is never a value
    from outside.
    """
    def repeat(match: re.Match[str]) -> str:
        group = match["group"]
        if group not in _GROUPS:
            raise KeyError(f"unknown type group {group!r} in a Cypher template; "
                           f"known: {', '.join(_GROUPS)}")
        body = match["body"]
        copies = [body.replace("{type}", name).replace("{label}", label)
                  for name, label in _GROUPS[group]()]
        separator = f"{match['indent']}{match['sep'].strip()}\n" if match["sep"] else ""
        return separator.join(copies)

    return _BLOCK.sub(repeat, text)


def statements(name: str) -> list[str]:
    """The ``;``-separated statements of ``cypher/NAME.cypher``, without comment-only parts.

    Most files hold one statement; ``schema.cypher`` holds one per constraint.
    Lines starting with ``//`` are comments.
    """
    text = "\n".join(line for line in load(name).splitlines()
                     if not line.lstrip().startswith("//"))
    return [part.strip() for part in text.split(";") if part.strip()]
