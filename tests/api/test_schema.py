"""Property-based tests of every operation against the app's own OpenAPI schema (schemathesis).

Schemathesis generates requests from ``/openapi.json`` (valid and invalid
parameters and bodies), sends them in-process through the ASGI transport
with an admin key, and checks that no response is a server error and that
every response matches the schema the app documents for it. Local store
only: the property is about the HTTP layer, which is the same on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ringwatch.api.app import create_app
from ringwatch.api.auth import hash_key
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.pipeline import run_detection
from ringwatch.domain import ApiKey
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import Snapshot

from .api_support import WEEK1

ADMIN_KEY = "rw_schemathesis-admin-key-only-for-this-test-0000"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory,
               market_snapshots: dict[str, Snapshot]) -> schemathesis.schemas.BaseSchema:
    store = LocalStore(Path(tmp_path_factory.mktemp("schemathesis")) / "store")
    store.write_snapshot(market_snapshots["week1"])
    rings = run_detection(store, now=WEEK1).rings
    store.save_api_key(ApiKey("key_schemathesis", hash_key(ADMIN_KEY), "admin", "schemathesis",
                              "2026-11-01T00:00:00Z"))
    # Rate limits high enough for the generated examples (tests/api/test_limits.py tests them).
    app = create_app(ApiSettings(cache_seconds=0.0, expensive_read_burst=100_000,
                                 failed_key_burst=10_000), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Real ids too, so that the 200 answers (not just 404s) are generated and checked.
    farm = next(r for r in rings if r["kind"] == "identity_ring")
    account = next(m for m in farm["members"] if m["type"] == "creator")
    schema.known_ids = {"ring_id": farm["ring_id"], "run_id": store.runs()[-1].run_id,
                        "type": account["type"], "id": account["id"]}
    return schema


#: Examples per operation and generation mode: bounded, so the whole test takes a minute or two.
MAX_EXAMPLES = 20


@pytest.mark.slow
def test_every_operation_answers_without_server_errors_and_as_documented(
        api_schema: schemathesis.schemas.BaseSchema) -> None:
    # One loop over the operations rather than ``schemathesis.pytest.from_fixture``, whose
    # parametrisation reaches into pytest internals that pytest 9 removed.
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        known = {k: v for k, v in api_schema.known_ids.items() if k in names}
        variants = [(mode, None) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if known:
            variants.append((GenerationMode.POSITIVE, known))
        for mode, path_parameters in variants:

            @given(case=operation.as_strategy(generation_mode=mode,
                                              path_parameters=path_parameters))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case) -> None:
                case.call_and_validate(headers={"X-API-Key": ADMIN_KEY},
                                       checks=[not_a_server_error, response_schema_conformance])

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to get wrong
            except Exception as exc:  # every operation is tried; all failures are reported
                label = f"{operation.label} ({mode.value}, {path_parameters})"
                failures[label] = f"{type(exc).__name__}: {exc}"[:3000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    # The key was accepted: real answers were generated and checked, not only 401s.
    served = api_schema.app.state.metrics.requests
    for route in ("/rings", "/rings/{ring_id}", "/rings/{ring_id}/graph", "/accounts/{type}/{id}",
                  "/accounts/{type}/{id}/neighbourhood", "/audit", "/runs", "/stats", "/keys"):
        assert served.labels("GET", route, "200")._value.get() > 0, route
    assert served.labels("POST", "/runs", "202")._value.get() > 0
