"""The application factory: the one place where parts are wired together."""

from __future__ import annotations

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from registry.health import healthz
from registry.http_errors import exception_handlers
from registry.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings) -> Litestar:
    app = Litestar(
        route_handlers=[healthz],
        exception_handlers=exception_handlers,
        openapi_config=OpenAPIConfig(
            title="UEI registry and abuse protection",
            version="0.1.0",
            path="/schema",
            description="Subscriber registry and abuse protection for the UEI Beckn network.",
        ),
        debug=False,
    )
    app.state.settings = settings
    return app
