"""Sign and verify rates of uei/trust/ against raw PyNaCl, measured in the same run.

    .venv/bin/python -m bench.bench_trust [--seconds 2] [--rounds 5]

The ceiling is PyNaCl signing / verifying the same signing string with a ready key object:
uei/trust/ adds the BLAKE2b-512 body digest, the signing string, and building or parsing the
header. The best of several rounds is reported for each, so a noisy neighbour costs less.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

from nacl.signing import VerifyKey

from bench.progress import say
from uei.trust import (
    Verifier,
    body_digest,
    load_signing_key,
    parse_header,
    sign_header,
    signing_string,
    verify,
)
from uei.trust.encoding import b64decode
from uei_testing.vectors import BAP


def rate(fn: Callable[[], object], seconds: float, rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / rounds
        while True:
            for _ in range(100):
                fn()
            count += 100
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="time per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement (best wins)")
    args = parser.parse_args()

    assert BAP.private_key is not None
    key = load_signing_key(BAP.private_key)
    verify_key = key.verify_key
    body = BAP.body
    created, expires = BAP.created, BAP.expires
    message = signing_string(created, expires, body_digest(body))

    def trust_sign() -> str:
        return sign_header(
            body,
            key,
            subscriber_id="example-bap.com",
            unique_key_id="k1",
            created=created,
            expires=expires,
        )

    header = trust_sign()
    signature = b64decode(parse_header(header).signature)

    async def resolve(_: str, __: str) -> VerifyKey:
        return verify_key

    verifier = Verifier(resolve=resolve, clock=lambda: created + 1)

    def raw_sign() -> None:
        key.sign(message)

    def raw_verify() -> None:
        verify_key.verify(message, signature)

    def trust_verify() -> None:
        verify(body, parse_header(header), verify_key, now=created + 1)

    def verifier_verify() -> None:
        """100 awaited verifications inside one running loop, as in a server."""

        async def hundred() -> None:
            for _ in range(100):
                await verifier.verify(header, body, once=False)

        asyncio.run(hundred())

    s, r = args.seconds, args.rounds
    say(f"signing: raw PyNaCl, uei.trust ({s:g} s each) ...")
    raw_s, ours_s = rate(raw_sign, s, r), rate(trust_sign, s, r)
    say(f"verifying: raw PyNaCl, uei.trust, the Verifier ({s:g} s each) ...")
    raw_v, ours_v = rate(raw_verify, s, r), rate(trust_verify, s, r)
    ours_verifier = rate(verifier_verify, s, r) * 100
    print(f"body: {len(body)} bytes (the BECKN-006 search vector)")
    print(f"{'operation':44} {'ops/s':>10} {'vs raw':>8}")
    print(f"{'raw PyNaCl sign (ceiling)':44} {raw_s:10.0f} {1:8.1%}")
    print(f"{'uei.trust.sign_header (digest+sign+header)':44} {ours_s:10.0f} {ours_s / raw_s:8.1%}")
    print(f"{'raw PyNaCl verify (ceiling)':44} {raw_v:10.0f} {1:8.1%}")
    print(f"{'uei.trust.parse_header + verify':44} {ours_v:10.0f} {ours_v / raw_v:8.1%}")
    print(
        f"{'uei.trust.Verifier.verify (async, resolver)':44} {ours_verifier:10.0f} "
        f"{ours_verifier / raw_v:8.1%}"
    )
    print("target: verify >= 80% of raw PyNaCl verify (docs/architecture.md, Numbers)")


if __name__ == "__main__":
    main()
