"""Request ids, JSON logs and request metrics at the edge of the app.

Each request gets an id (a well-formed incoming ``X-Request-Id`` is kept, else a new one); it
is echoed in the response and carried by every log line written while the request runs.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import MediaType, Response, get
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from uei.access import CALLER, Caller
from uei.app.metrics import LATENCY, REQUESTS

__all__ = ["JsonFormatter", "log_config", "metrics", "observe", "request_id"]

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._\-]{1,64}")
_PROCESS = uuid.uuid4().hex[:12]
_serial = itertools.count(1)
_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}
"""(method, route, status) -> its counter and histogram children, looked up once."""


def _record(method: str, route: str, status: int, seconds: float) -> None:
    children = _series.get((method, route, status))
    if children is None:
        children = _series[(method, route, status)] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(route),
        )
    children[0].inc()
    children[1].observe(seconds)


def observe(app: ASGIApp) -> ASGIApp:
    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        rid = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id" and _WELL_FORMED.fullmatch(value):
                rid = bytes(value)
        rid = rid or b"%s-%x" % (_PROCESS.encode(), next(_serial))
        token = request_id.set(rid.decode())
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], (b"x-request-id", rid)]
            await send(message)

        try:
            await app(scope, receive, tagged)
        finally:
            route = str(scope.get("path_template", "unmatched"))
            _record(scope["method"], route, status, time.perf_counter() - started)
            request_id.reset(token)

    return observed


@get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics",
    sync_to_thread=False,
    opt={CALLER: Caller.PUBLIC},
    include_in_schema=True,
    media_type=MediaType.TEXT,
)
def metrics() -> Response[bytes]:
    """Requests and latencies by route, lookups, challenge attempts by outcome."""
    return Response(generate_latest(), media_type=_METRICS_TYPE)


_METRICS_TYPE = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")
"""Litestar adds the charset to a text/ type itself."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and the error)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id.get(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def log_config(level: str = "INFO", access_log: bool = False) -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``uei serve``: everything as JSON lines on stderr
    (times in ISO 8601, UTC); ``access_log``: one line per request too (uvicorn's)."""
    access = (
        {"handlers": ["stderr"], "level": "INFO", "propagate": False}
        if access_log
        else {"handlers": [], "level": "WARNING", "propagate": False}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": access,
            "httpx": {"level": "WARNING"},
        },
    }
