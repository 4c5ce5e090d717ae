"""Run the registry app, or a bare Litestar app, under identical uvicorn settings.

python -m bench.serve_app uei  PORT   # the registry (env UEI_* as for `uei serve`)
python -m bench.serve_app bare PORT   # GET and POST returning fixed bytes (env BENCH_*)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from litestar import Litestar, Response, get, post


def bare_app() -> Litestar:
    record = Path(os.environ["BENCH_RECORD"]).read_bytes()
    records = Path(os.environ["BENCH_RECORDS"]).read_bytes()

    @get("/lookup/{subscriber_id:str}/{unique_key_id:str}", sync_to_thread=False)
    def one(subscriber_id: str, unique_key_id: str) -> Response[bytes]:
        return Response(record, media_type="application/json")

    @post("/lookup", status_code=200, sync_to_thread=False)
    def many() -> Response[bytes]:
        return Response(records, media_type="application/json")

    return Litestar([one, many])


def main() -> None:
    which, port = sys.argv[1], int(sys.argv[2])
    if which == "bare":
        app = bare_app()
    else:
        from uei.app.factory import create_app
        from uei.app.settings import Settings

        app = create_app(Settings.from_env(os.environ))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
