"""The API docs at ``/docs``: Swagger UI served from a Python package, so they work offline and under the CSP.

FastAPI's own page loads Swagger UI from a public CDN and starts it with an inline script, which
the Content-Security-Policy (``app.kit.http_policy``) refuses. Here the assets come from the
``fastapi-offline`` package (Swagger UI's released files), and the page starts Swagger UI from a
script file of ours, reading the OpenAPI URL from a data attribute. ReDoc is not served.
"""

from __future__ import annotations

import gzip
from functools import cache
from html import escape
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.errors import NotFound
from app.web.static import DATA, REVALIDATE, bytes_response

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}

# Swagger UI with FastAPI's default options; no validator badge (it would call an outside service).
START_SCRIPT = b"""window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""


@router.get("/docs")
def docs_page(request: Request) -> HTMLResponse:
    root = escape(request.scope.get("root_path", ""))
    openapi_url = escape(request.scope.get("root_path", "") + (request.app.openapi_url or "/openapi.json"))
    title = escape(f"{request.app.title} API")
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{root}/docs/favicon.png">
<link rel="stylesheet" href="{root}/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{root}/docs/swagger-ui-bundle.js"></script>
<script src="{root}/docs/start.js"></script>
</body>
</html>
"""
    return HTMLResponse(page, headers={"Cache-Control": REVALIDATE})


@router.get("/docs/start.js")
def docs_start(request: Request) -> Response:
    return bytes_response(request, *_compressed(START_SCRIPT), "text/javascript; charset=utf-8", DATA)


@router.get("/docs/{name}")
def docs_asset(name: str, request: Request) -> Response:
    """One of Swagger UI's files; nothing else (the name is looked up, never joined to a path)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound(f"no such file: /docs/{name[:200]}")
    return bytes_response(request, *_asset(name), media_type, DATA)


@cache
def _asset(name: str) -> tuple[bytes, bytes]:
    return _compressed(files("fastapi_offline").joinpath("static", name).read_bytes())


def _compressed(body: bytes) -> tuple[bytes, bytes]:
    return body, gzip.compress(body, compresslevel=6, mtime=0)
