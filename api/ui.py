"""The review page: static files under ``/ui``, served by the API app itself.

The page (``static/ui``: one HTML file, one script, one stylesheet) is a
client of the HTTP API described in ``docs/api.md``; it holds no data of its
own, so ``/ui`` needs no API key: the analyst types the key into the page,
which sends it as ``X-API-Key`` on every API call. It works offline: its only
library, Cytoscape.js, is vendored under ``static/vendor`` and served at
``/ui/vendor``.

Ids and evidence shown by the page come from marketplace input; the page puts
them in with ``textContent`` only, and every response from here carries a
Content-Security-Policy that allows scripts from this origin alone, so an id
that smuggles markup can neither run nor load anything.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

UI_PATH = "/ui"

#: Headers on every file of the page. Cytoscape sets inline styles on its canvas, hence
#: ``style-src 'unsafe-inline'``; no inline script is needed or allowed.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class UiAssetsMissing(RuntimeError):
    """The package was installed without its ``static`` files (package data left out)."""


class PageFiles(StaticFiles):
    """Static files with the page's security headers added to every response."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def static_dir(*parts: str) -> Path:
    """The directory ``ringwatch.api/static/<parts>`` on disk, where StaticFiles can serve it.

    Raises :class:`UiAssetsMissing` when the installed package lacks it, so a
    broken wheel fails at startup instead of serving 404s.
    """
    resource = files("ringwatch.api").joinpath("static", *parts)
    path = Path(str(resource))
    if not path.is_dir():
        raise UiAssetsMissing(f"the review page's files are missing: {path} is not a directory "
                              "(was the package built without its static package data?)")
    return path


def mount_ui(app: FastAPI) -> None:
    """Serve the review page at ``/ui/`` and its vendored libraries at ``/ui/vendor/``.

    ``/ui`` redirects to ``/ui/`` so that the page's relative links resolve.
    Neither path needs an API key; the routes are left out of the OpenAPI schema.
    """
    # The vendor mount goes first: Starlette takes the first mount whose prefix matches.
    app.mount(f"{UI_PATH}/vendor", PageFiles(directory=static_dir("vendor")), name="ui-vendor")

    @app.get(UI_PATH, include_in_schema=False)
    def ui_redirect(request: Request) -> RedirectResponse:
        return RedirectResponse(url=f"{request.scope.get('root_path', '')}{UI_PATH}/", status_code=307)

    app.mount(UI_PATH, PageFiles(directory=static_dir("ui"), html=True), name="ui")
