"""The deployment examples in deploy/ say what the service reads: every UEI_* variable they set
exists, every command they run is a `uei serve` the CLI accepts, and Redis runs with AOF."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from uei.app.cli import cli

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SETTINGS = Path(__file__).resolve().parents[1] / "uei" / "app" / "settings.py"
KNOWN = set(re.findall(r"UEI_[A-Z_]+", SETTINGS.read_text())) | {"UEI_LOG_LEVEL", "UEI_ACCESS_LOG"}


def _serve_accepts(args: list[str]) -> None:
    assert args[:2] == ["uei", "serve"], args
    # --help after the options: click parses (and rejects unknown) options before answering
    result = CliRunner().invoke(cli, [*args[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_compose_runs_redis_with_aof_and_the_service_on_it() -> None:
    doc: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    redis, uei = doc["services"]["redis"], doc["services"]["uei"]
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert set(uei["environment"]) <= KNOWN
    assert uei["environment"]["UEI_STORE"].startswith("redis://redis:")
    _serve_accepts(uei["command"])
    assert (DEPLOY / uei["build"]["dockerfile"].removeprefix("deploy/")).exists()


def test_the_systemd_unit_serves_and_reloads_with_sighup() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "uei.service").read_text())
    service = unit["Service"]
    start = shlex.split(service["ExecStart"])
    _serve_accepts(["uei", *start[1:]])
    assert "-HUP" in service["ExecReload"]
    names = {line.split("=", 1)[0] for line in service.get("Environment", "").splitlines()}
    env = {
        e.split("=", 1)[0]
        for e in (DEPLOY / "uei.service").read_text().split()
        if e.startswith("UEI_")
    }
    assert names | env <= KNOWN | {""}
    assert service["NoNewPrivileges"] == "yes"


def test_kubernetes_probes_the_health_routes_and_names_known_settings() -> None:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text()) if d]
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"] for e in container["env"]} <= KNOWN
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    _serve_accepts(container["args"])
