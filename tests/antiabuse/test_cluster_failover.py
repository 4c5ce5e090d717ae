"""A Redis Cluster of 3 masters with a replica each: the service works across slots, and
when the master serving a BAP's slot is SIGKILLed and the cluster fails over, the service
follows its failure mode meanwhile and recovers by itself, with no restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from registry.model import ParticipantType
from tests.antiabuse.test_quota_http import QUOTAS, Relay, participant
from tests.redis_servers import RedisCluster
from tests.registry.harness import running

pytestmark = [
    pytest.mark.anyio,
    # redis-py's cluster client drops its connections to the killed master without closing
    # them (it cannot: the peer is gone); that is the client's bookkeeping, not a leak of ours.
    pytest.mark.filterwarnings("ignore:unclosed:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

BAPS = [f"app{i}.example" for i in range(6)]


async def test_the_service_recovers_after_a_master_fails_over(tmp_path: Path) -> None:
    quotas = {
        **QUOTAS,
        "tiers": {
            "default": {**QUOTAS["tiers"]["default"], "search": {"limit": 1000}},
        },
        "members": {},
        "overrides": {},
        "store_timeout_ms": 300,
    }
    with RedisCluster(replicas=1) as cluster:
        async with running(cluster.url, tmp_path, quotas=quotas) as h:
            for bap in BAPS:
                await participant(h, bap, ParticipantType.BAP)
            bg = Relay(h, await participant(h, "bg.example", ParticipantType.BG))
            slots = {cluster.master_port_for_slot(cluster.keyslot(f"{{{b}}}")) for b in BAPS}
            assert len(slots) > 1  # the BAPs' data spreads over several masters
            for i, bap in enumerate(BAPS):
                answer = await bg.check(f"m{i}", bap=bap)
                assert (answer.status_code, answer.json()["path"]) == (200, "store")
            victim_bap = BAPS[0]
            cluster.kill_node(cluster.master_port_for_slot(cluster.keyslot(f"{{{victim_bap}}}")))
            paths = []
            deadline = time.monotonic() + 30
            n = 0
            while time.monotonic() < deadline:
                n += 1
                answer = await bg.check(f"f{n}", bap=victim_bap)
                assert answer.status_code == 200  # local share during the outage: never hangs
                paths.append(answer.json()["path"])
                if paths[-1] == "store" and n > 1:
                    break
            assert paths[-1] == "store", paths  # recovered by itself
            for i, bap in enumerate(BAPS):
                answer = await bg.check(f"after{i}", bap=bap)
                assert answer.json()["path"] == "store"
            assert (await h.client.get("/readyz")).status_code == 200
