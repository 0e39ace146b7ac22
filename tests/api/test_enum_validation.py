"""Parameters with a fixed vocabulary refuse what is not in it: 422 problem details, not an empty 200.

`GET /rings?kind=farm` used to answer an empty list, which reads as "no such
rings" when it means "no such kind". Every such parameter is an enum in the
route's signature, so OpenAPI lists the allowed values, and the ring kinds
come from one tuple (:data:`ringwatch.detectors.ring_kinds.RING_KINDS`), so a
kind registered there is accepted everywhere at once.
"""

from __future__ import annotations

from typing import Any

from ringwatch.api.app import create_app
from ringwatch.api.schemas import MEMBER_TYPES, AccountType, RingKind
from ringwatch.detectors import (
    collusion_rings,
    commission_abuse,
    coordinated_blocks,
    identity_rings,
    lockstep_rings,
)
from ringwatch.detectors.ring_kinds import RING_KINDS
from ringwatch.graph.model import account_labels, identifier_labels

from .api_support import Api, problem


def test_unknown_values_of_every_fixed_vocabulary_are_422_problems_naming_the_field(api: Api) -> None:
    ring_id = api.run.rings[0]["ring_id"]
    cases: list[tuple[str, str, dict[str, Any], list[str]]] = [
        ("GET", "/rings?kind=farm", {}, ["query", "kind"]),
        ("GET", "/rings?kind=IDENTITY_RING", {}, ["query", "kind"]),
        ("GET", "/rings?kind=", {}, ["query", "kind"]),
        ("GET", "/rings?status=open", {}, ["query", "status"]),
        ("GET", "/rings?sort=size", {}, ["query", "sort"]),
        ("GET", "/rings?member=planet:p_1", {}, ["query", "member"]),
        ("GET", f"/rings/{ring_id}/graph?format=dot", {}, ["query", "format"]),
        ("GET", "/accounts/planet/p_1", {}, ["path", "type"]),
        ("GET", "/accounts/agency/a_1/neighbourhood", {}, ["path", "type"]),
        ("POST", f"/rings/{ring_id}/reviews", {"json": {"action": "approve"},
                                               "headers": {"If-Match": '"0"'}}, ["body", "action"]),
    ]
    for method, path, kwargs, loc in cases:
        response = api.client.request(method, path, **{
            **kwargs, "headers": {**api.headers("admin"), **kwargs.get("headers", {})}})
        assert response.status_code == 422, (path, response.text)
        body = problem(response)
        assert body["errors"][0]["loc"] == loc, path
        assert loc[-1] in body["detail"]
    # Nothing was reviewed by the refused review.
    assert not api.store.ring(ring_id).reviews  # type: ignore[union-attr]


def test_every_ring_kind_filters_and_the_run_finds_no_other_kind(api: Api) -> None:
    found = {r["kind"] for r in api.run.rings}
    assert found and found <= set(RING_KINDS)
    for kind in RING_KINDS:
        response = api.get(f"/rings?kind={kind}&status=all")
        assert response.status_code == 200, kind
        items = response.json()["items"]
        assert {r["kind"] for r in items} <= {kind}
        assert len(items) == sum(1 for r in api.run.rings if r["kind"] == kind)


def test_member_types_that_exist_are_accepted(api: Api) -> None:
    for member_type in MEMBER_TYPES:
        assert api.get(f"/rings?member={member_type}:nobody").status_code == 200, member_type


def test_the_kinds_come_from_the_detectors_and_one_tuple() -> None:
    assert set(RING_KINDS) == {identity_rings.KIND, collusion_rings.KIND, commission_abuse.KIND,
                               lockstep_rings.KIND, coordinated_blocks.KIND}
    assert [k.value for k in RingKind] == list(RING_KINDS)
    assert [t.value for t in AccountType] == ["creator", "seller", "buyer", "shop"]  # as OpenAPI had
    assert set(MEMBER_TYPES) == {*account_labels(), *identifier_labels()}


def _parameter(schema: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    """The resolved JSON schema of one parameter of one operation."""
    operation = schema["paths"][path][method]
    [parameter] = [p for p in operation["parameters"] if p["name"] == name]
    found = parameter["schema"]
    if "anyOf" in found:  # Optional[...]: the non-null branch
        found = next(s for s in found["anyOf"] if s.get("type") != "null")
    if "$ref" in found:
        found = schema["components"]["schemas"][found["$ref"].rsplit("/", 1)[-1]]
    return found


def test_openapi_lists_the_allowed_values() -> None:
    schema = create_app().openapi()
    assert _parameter(schema, "/rings", "get", "kind")["enum"] == list(RING_KINDS)
    assert _parameter(schema, "/rings", "get", "status")["enum"] == [
        "new", "confirmed", "dismissed", "escalated", "dissolved", "all"]
    assert _parameter(schema, "/rings", "get", "sort")["enum"] == ["score", "recent"]
    assert _parameter(schema, "/rings/{ring_id}/graph", "get", "format")["enum"] == [
        "json", "graphml", "gexf"]
    assert set(_parameter(schema, "/accounts/{type}/{id}", "get", "type")["enum"]) == set(
        account_labels())
    pattern = _parameter(schema, "/rings", "get", "member")["pattern"]
    assert all(f"{t}" in pattern for t in MEMBER_TYPES)
    review = schema["components"]["schemas"]["ReviewRequest"]["properties"]["action"]
    action = schema["components"]["schemas"][review["$ref"].rsplit("/", 1)[-1]]
    assert action["enum"] == ["confirm", "dismiss", "escalate"]
