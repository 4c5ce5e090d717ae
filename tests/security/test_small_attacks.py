"""Small attacks on the service's edges, each performed over HTTP against the real app (in
process) or a real ``uei serve`` where it takes a socket: deeply nested JSON, slow clients,
times far outside reason, and files other local users could read."""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.registry.service_process import ServiceProcess
from uei.antiabuse.secret import create_secret_file
from uei.antiabuse.stores import AbuseStores
from uei.app.cli import main
from uei.app.factory import create_app
from uei.app.policy import PolicyError
from uei.app.settings import Settings
from uei.registry.identity import ConfigError, load_key_file
from uei.trust import KeySet, encode_key, generate_key_set, sign_header
from uei_testing.callers import Caller, iso, nack
from uei_testing.harness import REPO, Harness, running

pytestmark = pytest.mark.anyio


# --- 1. JSON nested 100,000 deep ------------------------------------------------------------

DEPTH = 100_000
DEEP = {
    "array": b"[" * DEPTH + b"]" * DEPTH,
    "object": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
}


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("shape", sorted(DEEP))
@pytest.mark.parametrize("path", ["/lookup", "/subscribe", "/abuse/events"])
async def test_deeply_nested_json_is_a_400_nack_not_a_500(
    h: Harness, cpo: Caller, caplog: pytest.LogCaptureFixture, shape: str, path: str
) -> None:
    """``/lookup`` is open; ``/subscribe`` and ``/abuse/events`` are decoded after the app's
    guard, so they are sent signed by a caller who is allowed in (a CPO's own /subscribe)."""
    body = DEEP[shape]
    if path != "/lookup":
        answer = await cpo.send(path, body)
    else:
        answer = await h.client.post(
            path, content=body, headers={"Content-Type": "application/json"}
        )
    error = nack(answer, 400)
    assert error["message"].startswith("the body is not valid JSON: nested too deeply")
    assert errors_logged(caplog) == []


@pytest.mark.parametrize("shape", sorted(DEEP))
@pytest.mark.parametrize("path", ["/subscribe", "/abuse/events"])
async def test_deeply_nested_json_unsigned_is_refused_by_the_guard(
    h: Harness, caplog: pytest.LogCaptureFixture, shape: str, path: str
) -> None:
    """Unsigned, a signed route answers 401 before it parses anything."""
    answer = await h.client.post(
        path, content=DEEP[shape], headers={"Content-Type": "application/json"}
    )
    nack(answer, 401)
    assert errors_logged(caplog) == []


def test_uei_verify_explains_a_deeply_nested_body_without_crashing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``uei verify`` re-serializes the JSON when a signature does not hold, to explain it."""
    keys = generate_key_set("k1")
    header = sign_header(
        b"{}", keys.signing_key, subscriber_id="a", unique_key_id="k1", created=int(time.time())
    )
    body = tmp_path / "body.json"
    body.write_bytes(DEEP["array"])
    args = ["verify", "--body", str(body), "--authorization", header]
    with pytest.raises(SystemExit) as exited:
        main([*args, "--public-key", encode_key(keys.verify_key)])
    assert exited.value.code == 1
    assert capsys.readouterr().out.startswith("invalid: ")


# --- 2. slow clients ------------------------------------------------------------------------

PATIENCE = 30.0
"""The longest a test waits for the server to act: far beyond the tiny timeouts configured,
so a busy machine cannot fail a test, while a server that never acts still does."""


@pytest.fixture
def slow_service(tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {"UEI_DATA_DIR": str(tmp_path / "data"), "UEI_POLICIES": str(REPO / "policies.yaml")}
    args = ["--body-timeout", "0.5", "--timeout-keep-alive", "1"]
    with ServiceProcess(env, tmp_path, args) as service:
        yield service


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or ``PATIENCE`` passes).
    A reset counts as closed: a server that closes with bytes of ours unread sends one."""
    sock.settimeout(PATIENCE)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def test_a_body_trickled_byte_by_byte_is_a_408_nack_and_the_connection_closes(
    slow_service: ServiceProcess,
) -> None:
    head = (
        b"POST /lookup HTTP/1.1\r\nHost: uei\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", slow_service.port)) as sock:
        sock.sendall(head)
        sent, started = 0, time.monotonic()
        # one byte whenever the server has not answered for 0.1 s: 1000 bytes take 100 s
        while not select.select([sock], [], [], 0.1)[0]:
            assert time.monotonic() - started < PATIENCE, "the server never answered"
            sock.sendall(b" ")
            sent += 1
        answer = read_until_closed(sock)
    assert sent < 1000
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout", answer[:200]
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"connection: close" in headers.lower()
    error = json.loads(body)["error"]
    assert error["message"] == "the request body did not arrive in full within 0.5 s"


def test_an_idle_keep_alive_connection_is_closed(slow_service: ServiceProcess) -> None:
    with socket.create_connection(("127.0.0.1", slow_service.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: uei\r\n\r\n")
        started = time.monotonic()
        answer = read_until_closed(sock)  # one answer, then the server hangs up
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 200 OK"), answer[:200]
    assert answer.count(b"HTTP/1.1") == 1
    assert waited < PATIENCE


async def test_a_body_in_time_is_served(h: Harness) -> None:
    """The deadline (default 10 s) does not touch an ordinary request, nor one without body."""
    assert h.app.state.settings.body_timeout == 10.0
    answer = await h.client.post("/lookup", content=b"{}")
    assert answer.status_code == 200, answer.text
    assert (await h.client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_body_timeout_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="UEI_BODY_TIMEOUT"):
        Settings.from_env({"UEI_BODY_TIMEOUT": value})


# --- 3. times far outside reason ------------------------------------------------------------

DAY = 86_400.0
YEAR_1 = "0001-01-01T00:00:00Z"
YEAR_9999 = "9999-12-31T23:59:59Z"


def at(h: Harness, offset: float) -> str:
    return iso(h.clock() + offset)


def search(message_id: str, when: str) -> dict[str, Any]:
    return {
        "type": "search",
        "bap_id": "app.example",
        "message_id": message_id,
        "at": when,
        "search": {"gps": "12.971600,77.594600", "radius_km": 5},
    }


async def all_events(h: Harness) -> list[Any]:
    store: AbuseStores = h.app.state.stores
    return list(await store.events.events("app.example", -1e13, 1e13))


@pytest.mark.parametrize(
    "when",
    [YEAR_1, YEAR_9999, "8 days ago", "6 minutes ahead"],
)
async def test_an_event_time_far_from_the_clock_refuses_the_batch_naming_the_event(
    h: Harness, bg: Caller, when: str
) -> None:
    offsets = {"8 days ago": -8 * DAY, "6 minutes ahead": 360.0}
    stamp = at(h, offsets[when]) if when in offsets else when
    batch = [search("m-good", at(h, -60)), search("m-bad", stamp)]
    error = nack(await bg.post("/abuse/events", {"events": batch}), 400)
    assert error["path"] == "events[1].at"
    assert "events[1].at" in error["message"]
    assert await all_events(h) == []


async def test_event_times_within_the_bounds_are_recorded(h: Harness, bg: Caller) -> None:
    """A gateway uploading six days of late logs, or a clock four minutes fast."""
    batch = [search("m-late", at(h, -6 * DAY)), search("m-fast", at(h, 240.0))]
    answer = await bg.post("/abuse/events", {"events": batch})
    assert answer.status_code == 200, answer.text
    assert len(await all_events(h)) == 2


def vpa(n: int) -> dict[str, str]:
    return {"kind": "upi_vpa", "value": f"user{n}@okaxis"}


@pytest.mark.parametrize("when", [YEAR_1, YEAR_9999])
async def test_a_report_or_observation_dated_far_from_the_clock_is_refused(
    h: Harness, cpo: Caller, when: str
) -> None:
    amount = {"value": "420.00", "currency": "INR"}
    report = {"session_ref": "s-1", "amount": amount, "identifiers": [vpa(1)]}
    error = nack(await cpo.post("/abuse/defaulters/report", report | {"occurred_at": when}), 400)
    assert error["path"] == "occurred_at"
    observation = {"context": "session", "identifiers": [vpa(1), vpa(2)]}
    error = nack(await cpo.post("/abuse/observations", observation | {"observed_at": when}), 400)
    assert error["path"] == "observed_at"
    # nothing was opened: the same session reported at a sane time is a new case (201)
    sane = report | {"occurred_at": at(h, -3600)}
    assert (await cpo.post("/abuse/defaulters/report", sane)).status_code == 201


async def test_a_policy_cannot_stretch_case_expiry_to_take_reports_from_year_1(
    tmp_path: Path,
) -> None:
    """The past bound of reports is the policy's case expiry, so the expiry is bounded."""
    with pytest.raises(PolicyError, match="case_expiry_days"):
        async with running(
            f"sqlite:///{tmp_path / 'uei.db'}", tmp_path, defaulters={"case_expiry_days": 1e6}
        ):
            pass


# --- 4. files other local users could read --------------------------------------------------


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The umask of many a shell (022): files the service left to it would be world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def modes(directory: Path) -> dict[str, int]:
    """The directory's mode under ``"."`` and each entry's under its name."""
    found = {".": stat.S_IMODE(directory.stat().st_mode)}
    found |= {p.name: stat.S_IMODE(p.lstat().st_mode) for p in directory.iterdir()}
    return found


EVERY_FILE = {
    "operators.json",
    "registry-keys.json",
    "network-secret",
    "uei.db",
    "uei.db-wal",
    "uei.db-shm",
}


def add_operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeySet:
    """``uei admin add-operator``: lists the key in ``$UEI_DATA_DIR/operators.json``."""
    monkeypatch.setenv("UEI_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "ops-key.json"
    main(["admin", "add-operator", "--operator-id", "ops", "--out", str(out)])
    keys, _ = load_key_file(out)
    return keys


ALLOW_BODY = b'{"roles": [{"type": "BPP"}]}'


def allow(keys: KeySet, sid: str) -> tuple[str, dict[str, str]]:
    """A signed operator write (a subscriber, a log entry, a replay-guard row): path, headers;
    the body is ``ALLOW_BODY``."""
    header = sign_header(
        ALLOW_BODY,
        keys.signing_key,
        subscriber_id="ops",
        unique_key_id=keys.unique_key_id,
        created=int(time.time()),
    )
    return f"/admin/subscribers/{sid}/allow", {
        "Authorization": header,
        "Content-Type": "application/json",
    }


def assert_owner_only(data: Path) -> None:
    found = modes(data)
    assert EVERY_FILE | {"."} <= set(found), found
    assert found == {name: 0o700 if name == "." else 0o600 for name in found}
    secret = (data / "network-secret").read_text().strip()
    for name in ("uei.db", "uei.db-wal"):  # the secret is never in the database
        raw = (data / name).read_bytes()
        assert secret.encode() not in raw
        assert bytes.fromhex(secret) not in raw


@pytest.mark.usefixtures("permissive_umask")
async def test_the_app_keeps_a_fresh_data_dir_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = add_operator(tmp_path, monkeypatch)
    data = tmp_path / "data"
    settings = Settings.from_env(
        {"UEI_DATA_DIR": str(data), "UEI_POLICIES": str(REPO / "policies.yaml")}
    )
    app = create_app(settings, background=False)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://uei") as c:
        path, headers = allow(keys, "x.example")
        answer = await c.post(path, headers=headers, content=ALLOW_BODY)
        assert answer.status_code == 200, answer.text
        assert_owner_only(data)


@pytest.mark.usefixtures("permissive_umask")
def test_uei_serve_keeps_a_fresh_data_dir_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = add_operator(tmp_path, monkeypatch)
    data = tmp_path / "data"
    env = {"UEI_DATA_DIR": str(data), "UEI_POLICIES": str(REPO / "policies.yaml")}
    with ServiceProcess(env, tmp_path) as service, httpx.Client(base_url=service.url) as c:
        path, headers = allow(keys, "x.example")
        answer = c.post(path, headers=headers, content=ALLOW_BODY)
        assert answer.status_code == 200, answer.text
        assert_owner_only(data)


@pytest.mark.usefixtures("permissive_umask")
async def test_an_existing_data_dir_open_to_others_is_tightened_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """As an older version (or a careless copy) left it: 0755, its files 0644."""
    keys = add_operator(tmp_path, monkeypatch)
    data = tmp_path / "data"
    old = sqlite3.connect(data / "uei.db")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE leftover (x)")
    old.execute("INSERT INTO leftover VALUES (1)")
    old.commit()  # -wal and -shm stay while this connection is open
    try:
        create_secret_file(data / "network-secret")
        for entry in [data, *data.iterdir()]:
            entry.chmod(0o755 if entry.is_dir() else 0o644)
        settings = Settings.from_env(
            {"UEI_DATA_DIR": str(data), "UEI_POLICIES": str(REPO / "policies.yaml")}
        )
        with caplog.at_level(logging.WARNING, logger="uei.files"):
            app = create_app(settings, background=False)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="http://uei") as c,
        ):
            path, headers = allow(keys, "x.example")
            assert (await c.post(path, headers=headers, content=ALLOW_BODY)).status_code == 200
            assert_owner_only(data)
    finally:
        old.close()
    tightened = {r.getMessage().split(" was open")[0] for r in caplog.records}
    assert str(data) in tightened
    assert str(data / "network-secret") in tightened
