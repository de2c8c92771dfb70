"""/docs: Swagger UI from a package, started by a script file (no CDN, no inline script); no ReDoc."""

from __future__ import annotations

import re

import httpx

from app.main import create_app
from config.settings import Settings
from tests.web.conftest import ClientMaker


async def test_the_docs_page_loads_nothing_from_elsewhere_and_nothing_inline(client_with: ClientMaker) -> None:
    async with client_with() as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "http://" not in html and "https://" not in html and "//" not in html.replace("://", "")
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert scripts and all('src="' in attributes and not body.strip() for attributes, body in scripts)
        assert "<style" not in html and " style=" not in html
        assert 'data-openapi-url="/openapi.json"' in html
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["cache-control"] == "public, max-age=3600, must-revalidate"
        bundle = await client.get("/docs/swagger-ui-bundle.js")
        assert bundle.headers["content-type"].startswith("text/javascript") and b"SwaggerUIBundle" in bundle.content
        assert (await client.get("/docs/swagger-ui.css")).headers["content-type"].startswith("text/css")


async def test_only_swagger_ui_files_are_served_under_docs(client_with: ClientMaker) -> None:
    async with client_with() as client:
        for path in ("/docs/redoc.standalone.js", "/docs/core.py", "/docs/%2e%2e", "/docs/..%2fcore.py",
                     "/redoc", "/docs/oauth2-redirect", "/docs/a%00b"):
            response = await client.get(path)
            assert response.status_code == 404, path


async def test_the_docs_follow_a_root_path() -> None:
    app = create_app(Settings(environment="test", log_json=False))
    transport = httpx.ASGITransport(app=app, root_path="/maps")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        html = (await client.get("/maps/docs")).text
        assert 'data-openapi-url="/maps/openapi.json"' in html
        assert 'src="/maps/docs/swagger-ui-bundle.js"' in html
        assert (await client.get("/maps/docs/start.js")).status_code == 200
