"""Request ids, JSON logs and request metrics (``uei.app.edge`` applies them to each request).

Each request gets an id (a well-formed incoming ``X-Request-Id`` is kept, else a new one); it
is echoed in the response and carried by every log line written while the request runs.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from litestar import MediaType, Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from uei.access import CALLER, Caller
from uei.app.metrics import LATENCY, REQUESTS
from uei.tally import TALLY

__all__ = [
    "JsonFormatter",
    "exposition",
    "log_config",
    "metrics",
    "new_request_id",
    "record",
    "request_id",
]

# a counter's start time is no series of its own: no `_created` beside each
disable_created_metrics()  # type: ignore[no-untyped-call]

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._\-]{1,64}")
_PROCESS = uuid.uuid4().hex[:12]
_serial = itertools.count(1)
_STATUS = {code: str(code) for code in range(100, 600)}


def record(method: str, route: str, status: int, seconds: float) -> None:
    """One request's metrics: its count by method, route and status, and its latency."""
    TALLY.count(REQUESTS, (method, route, _STATUS.get(status) or str(status)))
    TALLY.observe(LATENCY, (route,), seconds)


def new_request_id(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """A well-formed incoming ``X-Request-Id`` (the last one), else a new id."""
    rid = b""
    for name, value in headers:
        if name == b"x-request-id" and _WELL_FORMED.fullmatch(value):
            rid = bytes(value)
    return rid or b"%s-%x" % (_PROCESS.encode(), next(_serial))


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
    """The whole service's metrics, summed over every worker process when several serve
    (``uei serve --workers N``): requests and latencies by route, lookups, registry commits,
    challenge attempts by outcome, quota decisions by outcome and path, status verdicts,
    scraping verdicts by action (shadow apart), scoring passes, policy reloads."""
    TALLY.flush()  # this process's figures, current
    return Response(exposition(), media_type=_METRICS_TYPE)


def exposition() -> bytes:
    """The text exposition: this process's registry, or, when ``PROMETHEUS_MULTIPROC_DIR``
    is set (prometheus-client's multiprocess mode), every process's values read from that
    directory (a fresh collector per scrape, as prometheus-client advises)."""
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


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
