"""Prometheus metrics of every request the service answers, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["LATENCY", "REQUESTS"]

REQUESTS = Counter(
    "uei_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "uei_http_request_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
