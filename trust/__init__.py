"""Pure Beckn crypto: keys, digests, signature headers, verification, challenge crypto.

No I/O and no framework: everything else in the service depends on this package.
"""

from trust.challenge import (
    decrypt_challenge,
    encrypt_challenge,
    new_otp,
    shared_secret,
    sign_site_verification,
    verify_signed_answer,
    verify_site_verification,
)
from trust.diagnose import explain_mismatch
from trust.digest import body_digest
from trust.envelope import ErrorCode, Refusal, ack_body, nack, nack_body
from trust.errors import (
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
from trust.header import ALGORITHM, SIGNED_HEADERS, SignatureParams, build_header, parse_header
from trust.keys import (
    KeySet,
    encode_key,
    generate_key_set,
    load_encryption_private_key,
    load_encryption_public_key,
    load_signing_key,
    load_verify_key,
)
from trust.refusal import GATEWAY_HEADER, Unauthorized, unauthorized
from trust.replay import MemoryReplayGuard, ReplayGuard, refuse_replay
from trust.signing import (
    DEFAULT_MAX_SKEW,
    DEFAULT_TTL,
    check_times,
    sign,
    sign_header,
    signing_string,
    verify,
)
from trust.verifier import Clock, KeyResolver, Verifier

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
    "ErrorCode",
    "Expired",
    "KeyFormatError",
    "KeyResolver",
    "KeySet",
    "MalformedHeader",
    "MemoryReplayGuard",
    "NotYetValid",
    "Refusal",
    "ReplayGuard",
    "Replayed",
    "SignatureError",
    "SignatureMismatch",
    "SignatureParams",
    "TrustError",
    "Unauthorized",
    "UnknownAlgorithm",
    "UnknownKey",
    "Verifier",
    "ack_body",
    "body_digest",
    "build_header",
    "check_times",
    "decrypt_challenge",
    "encode_key",
    "encrypt_challenge",
    "explain_mismatch",
    "generate_key_set",
    "load_encryption_private_key",
    "load_encryption_public_key",
    "load_signing_key",
    "load_verify_key",
    "nack",
    "nack_body",
    "new_otp",
    "parse_header",
    "refuse_replay",
    "shared_secret",
    "sign",
    "sign_header",
    "sign_site_verification",
    "signing_string",
    "unauthorized",
    "verify",
    "verify_signed_answer",
    "verify_site_verification",
]
