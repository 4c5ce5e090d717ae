"""The ``uei`` command-line contract that other tools and scripts rely on."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from nacl.signing import SigningKey

import uei
from uei.app.cli import main
from uei.trust import body_digest, encode_key, load_encryption_private_key, load_signing_key
from uei_testing.vectors import BAP, CHALLENGE

UEI = Path(sys.executable).parent / "uei"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def body_file(tmp_path: Path) -> Path:
    path = tmp_path / "body.json"
    path.write_bytes(BAP.body)
    return path


def test_keys_generate_prints_working_raw_base64_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "keys", "generate")
    assert code == 0
    keys = json.loads(out)
    assert set(keys) == {
        "unique_key_id",
        "signing_public_key",
        "signing_private_key",
        "encr_public_key",
        "encr_private_key",
    }
    signing = load_signing_key(keys["signing_private_key"])
    assert encode_key(signing.verify_key) == keys["signing_public_key"]
    encryption = load_encryption_private_key(keys["encr_private_key"])
    assert encode_key(encryption.public_key) == keys["encr_public_key"]
    assert all(
        len(__import__("base64").b64decode(v)) == 32
        for k, v in keys.items()
        if "key" in k and k != "unique_key_id"
    )


def test_keys_secret_creates_an_owner_only_secret_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "network-secret"
    assert run(capsys, "keys", "secret", str(target)) == (0, f"created {target}\n", "")
    assert target.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(target.read_text().strip())) == 32
    before = target.read_text()
    code, _, err = run(capsys, "keys", "secret", str(target))
    assert (code, target.read_text()) == (2, before)
    assert err == f"uei: error: {target} exists; a secret is never overwritten\n"


@pytest.mark.parametrize("encoding", ["libsodium64", "seed", "file"])
def test_sign_prints_the_published_header(
    capsys: pytest.CaptureFixture[str], body_file: Path, tmp_path: Path, encoding: str
) -> None:
    assert BAP.private_key is not None
    assert BAP.header is not None
    key = BAP.private_key
    if encoding == "seed":
        key = encode_key(load_signing_key(key))
    elif encoding == "file":
        (tmp_path / "key").write_text(key + "\n")
        key = f"@{tmp_path / 'key'}"
    code, out, _ = run(
        capsys,
        "sign",
        "--private-key",
        key,
        "--subscriber-id",
        "example-bap.com",
        "--key-id",
        "ae3ea24b-cfec-495e-81f8-044aaef164ac",
        "--body",
        str(body_file),
        "--created",
        str(BAP.created),
        "--expires",
        str(BAP.expires),
    )
    assert code == 0
    assert out == BAP.header + "\n"


def test_sign_reads_the_body_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert BAP.private_key is not None
    assert BAP.header is not None
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAP.body)))
    code, out, _ = run(
        capsys,
        "sign",
        "--private-key",
        BAP.private_key,
        "--subscriber-id",
        "example-bap.com",
        "--key-id",
        "ae3ea24b-cfec-495e-81f8-044aaef164ac",
        "--body",
        "-",
        "--gateway",
        "--created",
        str(BAP.created),
        "--expires",
        str(BAP.expires),
    )
    assert (code, out) == (0, BAP.header + "\n")


def test_sign_then_verify_with_the_live_clock(
    capsys: pytest.CaptureFixture[str], body_file: Path
) -> None:
    _, out, _ = run(capsys, "keys", "generate")
    keys = json.loads(out)
    code, header, _ = run(
        capsys,
        "sign",
        "--private-key",
        keys["signing_private_key"],
        "--subscriber-id",
        "bap.example",
        "--key-id",
        keys["unique_key_id"],
        "--body",
        str(body_file),
    )
    assert code == 0
    code, out, _ = run(
        capsys,
        "verify",
        "--body",
        str(body_file),
        "--authorization",
        header.strip(),
        "--public-key",
        keys["signing_public_key"],
    )
    assert (code, out) == (0, "valid\n")


def _verify(capsys: pytest.CaptureFixture[str], body: Path, *extra: str) -> tuple[int, str, str]:
    assert BAP.header is not None
    return run(capsys, "verify", "--body", str(body), "--public-key", BAP.public_key, *extra)


def test_verify_vector(capsys: pytest.CaptureFixture[str], body_file: Path) -> None:
    assert BAP.header is not None
    code, out, _ = _verify(
        capsys, body_file, "--authorization", BAP.header, "--now", str(BAP.created + 10)
    )
    assert (code, out) == (0, "valid\n")
    code, out, _ = _verify(
        capsys,
        body_file,
        "--authorization",
        f"Authorization: {BAP.header}",
        "--now",
        str(BAP.created + 10),
    )
    assert (code, out) == (0, "valid\n")


def test_verify_expired(capsys: pytest.CaptureFixture[str], body_file: Path) -> None:
    assert BAP.header is not None
    code, out, _ = _verify(
        capsys, body_file, "--authorization", BAP.header, "--now", str(BAP.expires + 100)
    )
    assert code == 1
    assert out == "invalid: expired: expires=1641291475 passed 100 s ago\n"


def test_verify_names_the_reserialization_the_sender_hashed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert BAP.header is not None
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(BAP.body), indent=2))
    code, out, _ = _verify(capsys, pretty, "--authorization", BAP.header, "--now", str(BAP.created))
    assert code == 1
    first, second = out.splitlines()
    assert first.startswith(
        "invalid: digest mismatch: the signature verifies over the same JSON re-serialized minified"
    )
    assert second == f"digest of the body as given: BLAKE-512={body_digest(pretty.read_bytes())}"


def test_verify_wrong_key_is_a_signature_mismatch(
    capsys: pytest.CaptureFixture[str], body_file: Path
) -> None:
    assert BAP.header is not None
    other = encode_key(SigningKey.generate().verify_key)
    code, out, _ = run(
        capsys,
        "verify",
        "--body",
        str(body_file),
        "--authorization",
        BAP.header,
        "--public-key",
        other,
        "--now",
        str(BAP.created),
    )
    assert code == 1
    assert out.startswith(
        "invalid: signature mismatch: the signature does not verify with key "
        "example-bap.com|ae3ea24b-cfec-495e-81f8-044aaef164ac|ed25519"
    )


def test_verify_malformed_header(capsys: pytest.CaptureFixture[str], body_file: Path) -> None:
    code, out, _ = _verify(capsys, body_file, "--authorization", 'keyId="a|b",signature="x"')
    assert code == 1
    assert out.startswith("invalid: malformed header: keyId must be")


def test_challenge_both_directions(capsys: pytest.CaptureFixture[str]) -> None:
    keys = [
        "--private-key",
        CHALLENGE["encryption_private_key_pkcs8_der_b64"],
        "--peer-public-key",
        CHALLENGE["encryption_public_key_spki_der_b64"],
    ]
    code, out, _ = run(
        capsys, "challenge", "decrypt", *keys, "--ciphertext", CHALLENGE["ciphertext_b64"]
    )
    assert (code, out) == (0, CHALLENGE["plaintext"] + "\n")
    code, out, _ = run(capsys, "challenge", "encrypt", *keys, "--plaintext", CHALLENGE["plaintext"])
    assert (code, out) == (0, CHALLENGE["ciphertext_b64"] + "\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sign", "--body", "x"], "Missing option '--private-key'"),
        (
            [
                "sign",
                "--private-key",
                "@/nonexistent/key",
                "--subscriber-id",
                "s",
                "--key-id",
                "k",
                "--body",
                "x",
            ],
            "cannot read /nonexistent/key",
        ),
        (
            [
                "sign",
                "--private-key",
                "AAAA",
                "--subscriber-id",
                "s",
                "--key-id",
                "k",
                "--body",
                "x",
            ],
            "--private-key is 3 bytes",
        ),
        (
            [
                "verify",
                "--body",
                "/nonexistent",
                "--authorization",
                "x",
                "--public-key",
                BAP.public_key,
            ],
            "cannot read /nonexistent",
        ),
        (
            [
                "verify",
                "--body",
                "x",
                "--authorization",
                "x",
                "--public-key",
                BAP.public_key,
                "--now",
                "yesterday",
            ],
            "'yesterday' is not a valid float",
        ),
        (
            [
                "challenge",
                "decrypt",
                "--private-key",
                CHALLENGE["encryption_private_key_pkcs8_der_b64"],
                "--peer-public-key",
                CHALLENGE["encryption_public_key_spki_der_b64"],
                "--ciphertext",
                "abc",
            ],
            "not a whole number of AES blocks",
        ),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["serve", "--port", "99999"], "99999 is not in the range"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("uei: error: ")
    assert message in err
    assert "Traceback" not in err


def test_console_script_is_installed_and_documents_its_commands() -> None:
    result = subprocess.run([str(UEI), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("keys", "sign", "verify", "challenge", "serve"):
        assert command in result.stdout
    result = subprocess.run([str(UEI), "sign"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("uei: error: Missing option")


def test_version_is_the_installed_distribution_s() -> None:
    result = subprocess.run([str(UEI), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"uei {version('uei-registry')}\n"
    assert uei.__version__ == version("uei-registry")


def test_python_m_uei_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uei", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: uei ")
    for command in ("keys", "sign", "verify", "challenge", "serve"):
        assert command in result.stdout
