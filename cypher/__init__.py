"""Every Cypher statement Ringwatch runs, one purpose per ``NAME.cypher`` file, loaded by name.

Keeping statements as files (shipped as package data) means an investigator can
read and run exactly what the product runs, and no statement is ever assembled
from values: callers pass values as parameters (docs/contract.md section 1).
"""

from __future__ import annotations

from functools import cache
from importlib import resources

_SUFFIX = ".cypher"


def names() -> list[str]:
    """The names of every shipped statement file (without ``.cypher``), sorted."""
    return sorted(entry.name[: -len(_SUFFIX)] for entry in resources.files(__package__).iterdir()
                  if entry.name.endswith(_SUFFIX))


@cache
def load(name: str) -> str:
    """The text of ``cypher/NAME.cypher``.

    Raises ``KeyError`` naming the known statements when there is no such file,
    so a typo in a statement name fails at once and says what was meant.
    """
    resource = resources.files(__package__) / f"{name}{_SUFFIX}"
    if not resource.is_file():
        raise KeyError(f"no Cypher statement {name!r} in ringwatch.cypher; "
                       f"known: {', '.join(names())}")
    return resource.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The ``;``-separated statements of ``cypher/NAME.cypher``, without comment-only parts.

    Most files hold one statement; ``schema.cypher`` holds one per constraint.
    Lines starting with ``//`` are comments.
    """
    text = "\n".join(line for line in load(name).splitlines()
                     if not line.lstrip().startswith("//"))
    return [part.strip() for part in text.split(";") if part.strip()]
