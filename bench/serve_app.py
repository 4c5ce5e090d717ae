"""Run the registry app, or a bare Litestar app, under identical uvicorn settings.

python -m bench.serve_app uei  PORT   # the registry (env UEI_* as for `uei serve`)
python -m bench.serve_app bare PORT   # the ceilings, returning fixed bytes (env BENCH_*)

The bare app is each hot path's ceiling: the least work its answer needs.
- ``GET /lookup/{id}/{kid}`` and ``POST /lookup``: the bytes the service answered (the
  ``BENCH_RECORD`` and ``BENCH_RECORDS`` files);
- with ``BENCH_KEYS`` (subscriber id -> key id -> base64 public key) and ``BENCH_REDIS``:
  ``POST /abuse/quota/check`` verifies the request's Beckn signature and runs one EVALSHA of
  the GCRA script on that Redis; ``POST /abuse/status`` verifies it and makes the status
  path's minimum of store round trips: the replay mark, the query quota, one read of the
  identity graph and the audit entry (4).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar, Request, Response, get, post
from litestar.types import ControllerRouterHandler

from uei.app.workers import OneWriteH11, frozen_after_startup

ALLOW = b'{"decision":"allow","limit":3000,"remaining":2999,"reset":1}'
STATUS = b'{"verdict":"allow","score":0.0,"reasons":[],"case_count":0,"path":"store"}'


def bare_app() -> Litestar:
    record = Path(os.environ["BENCH_RECORD"]).read_bytes()
    records = Path(os.environ["BENCH_RECORDS"]).read_bytes()

    @get("/lookup/{subscriber_id:str}/{unique_key_id:str}", sync_to_thread=False)
    def one(subscriber_id: str, unique_key_id: str) -> Response[bytes]:
        return Response(record, media_type="application/json")

    @post("/lookup", status_code=200, sync_to_thread=False)
    def many() -> Response[bytes]:
        return Response(records, media_type="application/json")

    handlers: list[ControllerRouterHandler] = [one, many]
    if "BENCH_KEYS" in os.environ and "BENCH_REDIS" in os.environ:
        handlers += _signed_ceilings(
            json.loads(Path(os.environ["BENCH_KEYS"]).read_text()), os.environ["BENCH_REDIS"]
        )
    return frozen_after_startup(Litestar(handlers))  # served as the service is


def _signed_ceilings(keys: dict[str, dict[str, str]], redis_url: str) -> list[Any]:
    from nacl.signing import VerifyKey

    from uei.storage.connect import LuaScript, lua_source, redis_client
    from uei.trust import Verifier
    from uei.trust.encoding import b64decode

    client: Any = redis_client(redis_url)
    take = LuaScript(client, lua_source("uei.antiabuse.stores", "gcra", "take"))
    loaded = {
        sid: {kid: VerifyKey(b64decode(k)) for kid, k in ks.items()} for sid, ks in keys.items()
    }

    async def resolve(subscriber_id: str, unique_key_id: str) -> VerifyKey:
        return loaded[subscriber_id][unique_key_id]

    verifier = Verifier(resolve=resolve, clock=time.time)

    async def signer(request: Request[Any, Any, Any]) -> str:
        body = await request.body()
        params = await verifier.verify(request.headers["authorization"], body, once=False)
        return params.subscriber_id

    async def gcra(key: str) -> None:
        await take(keys=[f"uei:q:{{bench:{key}}}"], args=["", "0.0001", 10_000_000, 1])

    @post("/abuse/quota/check", status_code=200)
    async def quota(request: Request[Any, Any, Any]) -> Response[bytes]:
        await gcra(await signer(request))
        return Response(ALLOW, media_type="application/json")

    @post("/abuse/status", status_code=200)
    async def status(request: Request[Any, Any, Any]) -> Response[bytes]:
        header = request.headers["authorization"]
        asker = await signer(request)
        await client.set(f"uei:bench:seen:{{{header[-24:]}}}", "1", nx=True, px=60_000)
        await gcra(f"status:{asker}")
        await client.hgetall(f"uei:ab:deg:{{bench:{asker}}}")
        await client.rpush("{uei:bench}:audit", header[-24:])
        return Response(STATUS, media_type="application/json")

    return [quota, status]


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    if which == "bare":
        app = bare_app()
    else:
        from uei.app.workers import app_from_env

        app = app_from_env()  # as `uei serve` serves it, frozen once started
    # the protocol `uei serve` runs (each answer in one write), for either app
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="info", access_log=False, http=OneWriteH11
    )


if __name__ == "__main__":
    main()
