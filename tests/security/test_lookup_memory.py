"""Finding 6: unsigned lookups with ever-new filter values must not grow the replica's memory.

Each distinct ``city`` used to cache its own page (about 1 MB on a large network), without
bound: 3,000 unsigned POST /lookup requests added 1.47 GB. The page cache is now bounded in
bytes, and every filter value no subscriber has shares one entry.
"""

from __future__ import annotations

import logging
import secrets
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from uei.registry.operations import SubscribeRequest
from uei.registry.view import RegistryView
from uei.trust import KeySet
from uei_testing.factories import Participant
from uei_testing.harness import Harness, running

pytestmark = pytest.mark.anyio

CACHE_BYTES = 1_000_000
SUBSCRIBERS = 120
LOOKUPS = 2000
SLACK = 4_000_000
"""Allocations besides the cache that a stream of requests may leave (interpreter caches)."""


class EverywhereCpo(Participant):
    """A CPO whose role covers every city (``*``): every city filter matches it."""

    def request(self, keys: KeySet | None = None, /, **overrides: object) -> SubscribeRequest:
        return super().request(keys, **{"city": "*", **overrides})


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    store = f"sqlite:///{tmp_path / 'uei.db'}"
    async with running(store, tmp_path, lookup={"cache_bytes": CACHE_BYTES}) as harness:
        for n in range(SUBSCRIBERS):
            await harness.enrol(EverywhereCpo(f"cpo-{n:04d}.example"))
        yield harness


async def _lookup_city(h: Harness, city: str) -> bytes:
    response = await h.client.post("/lookup?page_size=1000", json={"city": city, "type": "BPP"})
    assert response.status_code == 200
    assert response.headers["x-total-count"] == str(SUBSCRIBERS)
    return response.content


async def test_distinct_unknown_cities_do_not_grow_memory(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "httpx")  # captured request logs would grow, too
    page = len(await _lookup_city(h, "std:080"))
    assert page > 50_000  # one page is large: caching each city's page would cost a lot
    every_page = page * LOOKUPS  # what caching every city's page would need (~150 MB)
    view: RegistryView = h.registry.view
    tracemalloc.start()
    try:
        for n in range(50):  # warm up whatever the first requests allocate once
            await _lookup_city(h, f"warm-{n}")
        before, _ = tracemalloc.get_traced_memory()
        for n in range(LOOKUPS):
            await _lookup_city(h, f"std:{secrets.token_hex(8)}")
            if n % 100 == 99:  # stop early on a growing cache, before it takes the machine
                growth = tracemalloc.get_traced_memory()[0] - before
                assert growth < CACHE_BYTES + SLACK, f"{growth} bytes after {n + 1} lookups"
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < CACHE_BYTES + SLACK < every_page // 20
    cache = view.page_cache
    assert cache.bytes <= CACHE_BYTES
    # every city no subscriber has answers as "*" does: one entry for all of them
    assert len(cache) <= 2  # that one, and std:080's
    await _lookup_city(h, "*")
    assert len(cache) <= 2


async def test_the_page_cache_keeps_to_its_bound_in_bytes(h: Harness) -> None:
    view: RegistryView = h.registry.view
    for size in range(1, 1001, 7):  # distinct page sizes of one known filter: distinct pages
        response = await h.client.post(f"/lookup?page_size={size}", json={"city": "*"})
        assert response.status_code == 200
        assert view.page_cache.bytes <= CACHE_BYTES
    assert len(view.page_cache) > 1


# --- what a lookup may ask: filters and page tokens are refused by name -------------------


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("city", "std:" + "0" * 300, "longer than 255"),
        ("subscriber_id", "a" * 256, "longer than 255"),
        ("domain", "ev-charging:uei\n", "printable ASCII"),
        ("country", "IN\x00D", "printable ASCII"),
        ("type", "BPP\t", "printable ASCII"),
        ("ukId", "key\x7f", "printable ASCII"),
        ("unique_key_id", "kéy", "printable ASCII"),
        ("status", "S" * 1000, "longer than 255"),
    ],
)
async def test_bad_filter_values_are_refused_by_name(
    tmp_path: Path, field: str, value: str, fragment: str
) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        response = await h.client.post("/lookup", json={field: value})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["path"]) == ("30000", field)
        assert fragment in error["message"]
        ok = await h.client.post("/lookup", json={field: "x" * 255 if field != "status" else ""})
        assert ok.status_code == 200, ok.text  # 255 printable characters are fine


@pytest.mark.parametrize("token", ["-1", "-100", "abc", "1.5", "+1", " 1", "١٢", str(2**31)])
async def test_bad_page_tokens_are_refused_by_name(tmp_path: Path, token: str) -> None:
    async with running(f"sqlite:///{tmp_path / 'uei.db'}", tmp_path) as h:
        response = await h.client.post("/lookup", params={"page_token": token}, json={})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["path"]) == ("30000", "page_token")
        last = await h.client.post("/lookup", params={"page_token": str(2**31 - 1)}, json={})
        assert (last.status_code, last.json()) == (200, [])
