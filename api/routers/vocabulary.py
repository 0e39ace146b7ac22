"""``GET /vocabulary``: the account and identifier types and the ring kinds, from the domain's tables.

The review page draws and words members by type (colour, shape, plural, which
survive a crowded picture first); it reads them here instead of keeping its own
copy, so a type added to :mod:`ringwatch.domain.member_types` shows on the page
as it does in the report.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter

from ringwatch.domain import account_types, identifier_types, ring_kinds
from ringwatch.graph.subgraph import type_priority

from ..auth import Viewer
from ..schemas import Vocabulary, problem_responses, ring_kind_entry

router = APIRouter(tags=["vocabulary"])


@router.get("/vocabulary", response_model=Vocabulary, summary="Account and identifier types, ring kinds",
            responses=problem_responses(401, 403))
async def get_vocabulary(caller: Viewer) -> Any:
    """Every account and identifier type with its words, colour and detection defaults, and every
    ring kind with its words and colour."""
    return {"account_types": [dataclasses.asdict(t) for t in account_types()],
            "identifier_types": [dataclasses.asdict(t) for t in identifier_types()],
            "ring_kinds": [ring_kind_entry(k) for k in ring_kinds()],
            "type_order": list(type_priority())}
