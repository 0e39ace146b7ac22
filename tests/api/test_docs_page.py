"""``/docs`` is served from the package: no external host, every asset here, under a strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.graph.local_store import LocalStore

EXTERNAL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+""")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(ApiSettings(), store=LocalStore(tmp_path / "store"))
    with TestClient(app) as served:
        yield served


def _assets(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)="([^"]+)\"""", html)


def test_the_docs_page_names_no_external_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert EXTERNAL.findall(page.text) == []
    assets = _assets(page.text)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        served = client.get(urljoin("http://testserver/docs", asset))
        assert served.status_code == 200, asset
        assert "default-src 'none'" in served.headers["content-security-policy"]
    start = client.get(urljoin("http://testserver/docs", assets[-1])).text
    assert "SwaggerUIBundle" in start and "validatorUrl: null" in start
    assert EXTERNAL.findall(start) == []


def test_the_docs_page_is_served_under_a_csp_that_allows_this_origin_only(
        client: TestClient) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'" and "frame-ancestors" in directives


def test_the_docs_page_loads_the_schema_of_this_server(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
    assert client.get("/redoc").status_code == 404  # it would load ReDoc from a CDN
