"""The API documents, offline: Swagger UI's assets served by the service from a package
(``swagger-ui-py``), so ``/schema`` works with no network (no CDN, no fonts from afar)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from uei.access import CALLER, Caller

__all__ = ["ASSETS", "assets_router", "render_plugins"]

ASSETS = "/schema/assets"
"""Where the documents' scripts, styles and icon are served."""
_STATIC = Path(str(resources.files("swagger_ui").joinpath("static")))


def render_plugins() -> list[SwaggerRenderPlugin]:
    """Swagger UI at ``/schema`` (and ``/schema/swagger``), every asset from ``ASSETS``."""
    return [
        SwaggerRenderPlugin(
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
            path=["/", "/swagger"],
        )
    ]


def assets_router() -> Router:
    """The assets themselves, public like the documents (and cacheable)."""
    return create_static_files_router(
        path=ASSETS,
        directories=[_STATIC],
        opt={CALLER: Caller.PUBLIC},
        include_in_schema=False,
        cache_control=None,
    )
