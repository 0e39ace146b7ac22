"""Adding a ring kind is one row of the domain's kind table and one detector module (issue 17).

A toy kind, creators who share a name prefix, is one module written to a
temporary directory (its ``DETECTOR``) and one row of a temporary kind table
naming it; detection on each store finds it, records it in the run, saves it,
and the API serves it and names it in ``GET /vocabulary``, with no other change.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors import registry
from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.pipeline import run_detection
from ringwatch.domain import RingKindInfo, ring_kind_table
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.loading import load_into

from ..api.api_support import make_key
from ..detectors.market import Market

TOY = RingKindInfo("toy_ring", "toy ring", "toy rings", "#123456",
                   "creators whose ids share the prefix toy_", detector="toy_ring_detector")
TOYS = [f"toy_c{i}" for i in range(3)]

#: The whole of the new kind's code: one module with its detector.
TOY_MODULE = '''
from ringwatch.detectors.detector import Detector, WorkedOn
from ringwatch.detectors.rings import Evidence, Finding, Member


def find_toys(ctx, config):
    creators = sorted(c for c in ctx["creators"]["creator_id"] if c.startswith("toy_"))
    if len(creators) < 2:
        return []
    return [Finding("toy_ring", frozenset(Member("creator", c) for c in creators),
                    [Evidence("toy_prefix", f"{len(creators)} creators are named toy_", 0.9)])]


DETECTOR = Detector(
    name="toy_rings", kind="toy_ring", step="toy rings", config=None, projections=("creators",),
    find=find_toys, worked_on=lambda ctx: WorkedOn(len(ctx["creators"]), "creators", "no creators"))
'''


@pytest.fixture
def toy_registered(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    code = tmp_path / "modules"
    code.mkdir()
    (code / "toy_ring_detector.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(code))
    monkeypatch.setattr(ring_kind_table, "RING_KINDS", (*ring_kind_table.RING_KINDS, TOY))


def _snapshot(directory: Path) -> Path:
    market = Market()
    market.background()
    for creator in TOYS:
        market.creator(creator)
    return market.write(directory)


def test_a_kind_added_to_the_table_with_its_detector_is_found_recorded_and_served(
        toy_registered: None, store: GraphStore, tmp_path: Path) -> None:
    load_into(store, _snapshot(tmp_path / "snapshot"), quarantine_dir=tmp_path / "q")
    result = run_detection(store, DetectionConfig(), now=datetime(2026, 4, 1, tzinfo=UTC))
    [ring] = [r for r in result.rings if r["kind"] == TOY.name]
    assert {m["id"] for m in ring["members"]} == set(TOYS)
    assert result.run["rings_by_kind"][TOY.name] == 1
    assert result.run["detectors"]["toy_rings"]["rows"] >= len(TOYS)

    key = make_key(store, "viewer")
    app = create_app(ApiSettings(cache_seconds=0.0), store=store)
    with TestClient(app, headers={"X-API-Key": key}) as client:
        served = client.get(f"/rings/{ring['ring_id']}")
        assert served.status_code == 200 and served.json()["kind"] == TOY.name
        kinds = client.get("/vocabulary").json()["ring_kinds"]
        assert {"name": TOY.name, "plural": "toy rings", "colour": "#123456"}.items() <= next(
            k for k in kinds if k["name"] == TOY.name).items()


def test_a_kind_without_a_detector_stops_the_run_before_it_reads_anything(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = dataclasses.replace(TOY, detector="ringwatch.detectors.no_such_detector")
    monkeypatch.setattr(ring_kind_table, "RING_KINDS", (*ring_kind_table.RING_KINDS, missing))
    with pytest.raises(registry.RegistryError, match=re.escape(
            "toy_ring: its detector module ringwatch.detectors.no_such_detector cannot be "
            "imported")):
        run_detection(LocalStore(tmp_path / "store"))
    assert not (tmp_path / "store" / "runs").exists()


def test_the_registry_matches_the_kinds_the_config_and_the_projections() -> None:
    from ringwatch.detectors.pipeline import DETECTION_STEPS
    from ringwatch.graph.projections import PROJECTIONS

    registry.check_registry()
    found = registry.detectors()
    assert [d.step for d in found] == list(DETECTION_STEPS[1:1 + len(found)])
    assert [str(d.kind) for d in found] == [k.name for k in ring_kind_table.RING_KINDS]
    assert {p for d in found for p in d.projections} <= set(PROJECTIONS)


def test_a_detector_that_gives_way_to_a_later_kind_is_refused() -> None:
    identity, collusion, *rest = registry.detectors()
    with pytest.raises(registry.RegistryError, match="not run before it"):
        registry.check_registry((collusion, identity, *rest))


def test_skipping_a_detector_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    """``identity_ring`` is a kind; the detector is ``identity_rings``: a typo must not run all."""
    with pytest.raises(ValueError, match="skip names no detector: identity_ring; the detectors"):
        run_detection(LocalStore(tmp_path / "store"), DetectionConfig(skip=("identity_ring",)))
