"""Two helpers the records share to write JSON objects whose absent fields stay absent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def optional(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """An object of the pairs whose value is not ``None``, in the order given."""
    return {key: value for key, value in pairs if value is not None}


def without(doc: Mapping[str, Any], known: Iterable[str]) -> dict[str, Any]:
    """The fields of ``doc`` not in ``known``, in ``doc``'s order (what a newer writer added)."""
    skip = set(known)
    return {key: value for key, value in doc.items() if key not in skip}
