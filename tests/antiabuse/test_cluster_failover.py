"""A Redis Cluster of 3 masters with a replica each under a real ``uei serve``: the service
works across slots, and when the master serving a BAP's slot is SIGKILLed and the cluster
fails over, its checks follow the failure mode meanwhile (never hanging) and return to the
store by themselves, with no restart."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.antiabuse.test_quota_http import QUOTAS
from tests.registry.service_process import ServiceProcess
from tests.registry.test_service_process import _env
from uei.registry.model import ParticipantType
from uei.registry.stores import open_store
from uei.trust import sign_header
from uei_testing.factories import Participant, enrol
from uei_testing.redis_servers import RedisCluster

BAPS = [f"app{i}.example" for i in range(6)]


class Gateway:
    def __init__(self, url: str, participant: Participant) -> None:
        self.url, self.p, self.n = url, participant, 0

    def check(self, bap: str) -> httpx.Response:
        self.n += 1
        body = json.dumps(
            {
                "bap_id": bap,
                "action": "search",
                "message_id": f"m{self.n}",
                "search": {"gps": "12.97,77.59", "radius_km": 5},
            }
        ).encode()
        header = sign_header(
            body,
            self.p.keys.signing_key,
            subscriber_id=self.p.subscriber_id,
            unique_key_id=self.p.keys.unique_key_id,
            created=int(time.time()),
        )
        return httpx.post(
            f"{self.url}/abuse/quota/check",
            content=body,
            headers={"Authorization": header, "Content-Type": "application/json"},
            timeout=5,  # a check that hangs fails the test
        )


@pytest.mark.cluster
def test_the_service_recovers_after_a_master_fails_over(tmp_path: Path) -> None:
    quotas: dict[str, Any] = {
        "tiers": {"default": {**QUOTAS["tiers"]["default"], "search": {"limit": 100_000}}},
        "store_timeout_ms": 300,
    }
    policies = tmp_path / "policies.yaml"
    policies.write_text(json.dumps({"quotas": quotas}))
    bg = Participant("bg.example", type=ParticipantType.BG)
    with RedisCluster(replicas=1) as cluster:
        env = _env(tmp_path, cluster.url) | {"UEI_POLICIES": str(policies)}

        async def enrolled() -> None:
            store = await open_store(cluster.url)
            for p in [bg, *(Participant(b, type=ParticipantType.BAP) for b in BAPS)]:
                await enrol(store, p, time.time())
            await store.close()

        asyncio.run(enrolled())
        with ServiceProcess(env, tmp_path) as service:
            gateway = Gateway(service.url, bg)
            slots = {cluster.master_port_for_slot(cluster.keyslot(f"{{{b}}}")) for b in BAPS}
            assert len(slots) > 1  # the BAPs' data spreads over several masters
            for bap in BAPS:
                answer = gateway.check(bap)
                assert (answer.status_code, answer.json()["path"]) == (200, "store"), answer.text
            victim = BAPS[0]
            cluster.kill_node(cluster.master_port_for_slot(cluster.keyslot(f"{{{victim}}}")))
            paths: list[str] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                answer = gateway.check(victim)
                assert answer.status_code == 200, answer.text  # the local share meanwhile
                paths.append(answer.json()["path"])
                if len(paths) > 1 and paths[-1] == "store":
                    break
            assert paths[-1] == "store", paths  # recovered by itself
            assert "local" in paths  # and the outage was seen, not skipped
            for bap in BAPS:
                assert gateway.check(bap).json()["path"] == "store"
            assert httpx.get(f"{service.url}/readyz", timeout=5).status_code == 200
