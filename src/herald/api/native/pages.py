"""The pages a browser meets: ``/`` (what this server is, and where to go), ``/docs`` (Swagger UI) and
``/redoc``, with every asset served by Herald itself from the ``fastapi-offline`` package, never from a
CDN: a self-hosted server may have no internet, and its operator's browser may not either.

``fastapi-offline`` is a maintained package that carries the Swagger UI and ReDoc bundles FastAPI would
otherwise load from jsDelivr; Herald only serves its files.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from herald import __version__

ASSETS = "/_assets"
_STATIC = Path(str(files("fastapi_offline") / "static"))

_HOME = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Herald {version}</title>
<link rel="icon" href="{assets}/favicon.png">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5;
padding:0 1rem}}
code{{background:#f3f3f3;padding:0 .2em}}</style></head>
<body>
<h1>Herald <small>{version}</small></h1>
<p>Self-hosted email and SMS/MMS messaging, with SenderGuide and ExpertSender compatible APIs.</p>
<ul>
<li><a href="/docs">API documentation</a> (Swagger UI) and <a href="/redoc">ReDoc</a></li>
<li><a href="/openapi.json">The OpenAPI document</a></li>
<li><a href="/healthz">Health</a></li>
<li>The native API: <code>/v1/...</code>, with <code>Authorization: Bearer YOUR_KEY</code></li>
<li>SenderGuide: <code>/api/3.0/...</code> and <code>/api/2.0/...</code>;
ExpertSender: <code>/v2/Api/...</code></li>
</ul>
</body></html>
"""


def install(app: FastAPI) -> None:
    """Serve ``/``, ``/docs``, ``/redoc`` and their assets; the app must be made with ``docs_url=None``
    and ``redoc_url=None`` so FastAPI's CDN-loading pages do not exist."""
    app.mount(ASSETS, StaticFiles(directory=_STATIC), name="assets")
    title = escape(app.title)

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        return HTMLResponse(_HOME.format(version=escape(__version__), assets=ASSETS))

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{title} API",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
