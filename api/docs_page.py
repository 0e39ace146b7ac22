"""The interactive API documentation at ``/docs``, served from the package under a strict CSP.

Why not FastAPI's default page: it loads Swagger UI's script and stylesheet
from a public CDN, on the same origin as the review page, which keeps an
analyst's key in ``sessionStorage``; whatever that CDN serves could read it.
Here Swagger UI is vendored like Cytoscape (``static/vendor/swagger-ui``,
its version in ``VERSION``), its start-up script is a file of ours
(``static/docs/docs.js``), and every response carries a Content-Security-Policy
that allows scripts, styles and requests from this origin only.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import HTMLResponse

from .ui import SECURITY_HEADERS, PageFiles, static_dir

DOCS_PATH = "/docs"

#: The page's HTML: assets by relative path, so the page works under a proxy's path prefix.
PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} - API documentation</title>
  <link rel="icon" href="ui/favicon.svg">
  <link rel="stylesheet" href="docs/vendor/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/vendor/swagger-ui-bundle.js"></script>
  <script src="docs/assets/docs.js"></script>
</body>
</html>
"""


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (no API key, left out of the schema) and its files under ``/docs/...``."""
    app.mount(f"{DOCS_PATH}/vendor", PageFiles(directory=static_dir("vendor", "swagger-ui")),
              name="docs-vendor")
    app.mount(f"{DOCS_PATH}/assets", PageFiles(directory=static_dir("docs")), name="docs-assets")
    page = PAGE.format(title=app.title)

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(page, headers=SECURITY_HEADERS)
