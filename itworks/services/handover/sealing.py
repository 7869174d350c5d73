"""Handover files sealed under a passphrase (scrypt, then AES-256-GCM): the file the
next operator receives. No instance key is involved (those stay in itworks.crypto)."""

from __future__ import annotations

import base64
import binascii
import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from itworks.crypto import KEY_BYTES, NONCE_BYTES

HANDOVER_MAGIC = b"ITWORKS-HANDOVER\x00v1\n"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class HandoverFileError(Exception):
    """A handover file that is not one, was altered, or the passphrase is wrong."""


def _passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal_handover(passphrase: str, payload: bytes) -> bytes:
    """``payload`` encrypted with AES-256-GCM under a scrypt key of the passphrase.

    The header (format, KDF parameters, salt, nonce) is the associated data, so
    changing any byte of the file, header included, makes opening it fail.
    """
    if not passphrase:
        raise HandoverFileError("empty passphrase")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(NONCE_BYTES)
    header = json.dumps(
        {
            "kdf": "scrypt",
            "n": SCRYPT_N,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode("ascii"),
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "cipher": "AES-256-GCM",
        },
        sort_keys=True,
    ).encode("ascii")
    key = _passphrase_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    head = HANDOVER_MAGIC + len(header).to_bytes(4, "big") + header
    return head + AESGCM(key).encrypt(nonce, payload, head)


def open_handover(passphrase: str, blob: bytes) -> bytes:
    if not blob.startswith(HANDOVER_MAGIC):
        raise HandoverFileError("not an IT WORKS handover file")
    offset = len(HANDOVER_MAGIC)
    try:
        size = int.from_bytes(blob[offset : offset + 4], "big")
        head = blob[: offset + 4 + size]
        header = json.loads(blob[offset + 4 : offset + 4 + size])
        if header.get("kdf") != "scrypt" or header.get("cipher") != "AES-256-GCM":
            raise ValueError
        n, r, p = int(header["n"]), int(header["r"]), int(header["p"])
        if not (2**14 <= n <= 2**20 and 1 <= r <= 16 and 1 <= p <= 4):
            raise ValueError
        salt = base64.b64decode(header["salt"], validate=True)
        nonce = base64.b64decode(header["nonce"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise HandoverFileError("the file header is damaged") from None
    key = _passphrase_key(passphrase, salt, n, r, p)
    try:
        return AESGCM(key).decrypt(nonce, blob[len(head) :], head)
    except (InvalidTag, ValueError):
        raise HandoverFileError("wrong passphrase, or the file was altered") from None
