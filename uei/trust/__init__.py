"""Pure Beckn crypto: keys, digests, signature headers, verification, challenge crypto, replay.

No I/O, no framework and no HTTP status: everything else in the service depends on this package.
"""

from uei.trust.challenge import (
    decrypt_challenge,
    encrypt_challenge,
    new_otp,
    shared_secret,
    sign_site_verification,
    verify_signed_answer,
    verify_site_verification,
)
from uei.trust.diagnose import explain_mismatch
from uei.trust.digest import body_digest
from uei.trust.errors import (
    AlgorithmMismatch,
    ChallengeError,
    DigestMismatch,
    Expired,
    KeyFormatError,
    MalformedHeader,
    NotYetValid,
    Replayed,
    SignatureError,
    SignatureMismatch,
    TrustError,
    UnknownAlgorithm,
    UnknownKey,
)
from uei.trust.header import (
    ALGORITHM,
    GATEWAY_HEADER,
    SIGNED_HEADERS,
    SignatureParams,
    build_header,
    parse_header,
)
from uei.trust.keys import (
    KeySet,
    der_form,
    encode_key,
    encode_spki,
    generate_key_set,
    load_encryption_private_key,
    load_encryption_public_key,
    load_signing_key,
    load_verify_key,
)
from uei.trust.replay import MemoryReplayGuard, ReplayGuard, refuse_replay
from uei.trust.signing import (
    DEFAULT_MAX_SKEW,
    DEFAULT_TTL,
    check_times,
    sign,
    sign_header,
    signing_string,
    verify,
)
from uei.trust.verifier import Clock, KeyResolver, Verifier

__all__ = [
    "ALGORITHM",
    "DEFAULT_MAX_SKEW",
    "DEFAULT_TTL",
    "GATEWAY_HEADER",
    "SIGNED_HEADERS",
    "AlgorithmMismatch",
    "ChallengeError",
    "Clock",
    "DigestMismatch",
    "Expired",
    "KeyFormatError",
    "KeyResolver",
    "KeySet",
    "MalformedHeader",
    "MemoryReplayGuard",
    "NotYetValid",
    "ReplayGuard",
    "Replayed",
    "SignatureError",
    "SignatureMismatch",
    "SignatureParams",
    "TrustError",
    "UnknownAlgorithm",
    "UnknownKey",
    "Verifier",
    "body_digest",
    "build_header",
    "check_times",
    "decrypt_challenge",
    "der_form",
    "encode_key",
    "encode_spki",
    "encrypt_challenge",
    "explain_mismatch",
    "generate_key_set",
    "load_encryption_private_key",
    "load_encryption_public_key",
    "load_signing_key",
    "load_verify_key",
    "new_otp",
    "parse_header",
    "refuse_replay",
    "shared_secret",
    "sign",
    "sign_header",
    "sign_site_verification",
    "signing_string",
    "verify",
    "verify_signed_answer",
    "verify_site_verification",
]
