"""Every key, cipher, blind index, password hash and token digest lives here.

Nothing else in the project imports ``hmac``, ``hashlib``, ``secrets`` for key
material, or touches a key. See DESIGN.md, "Keys and personal data":

* envelope encryption: each registrant has a random 256-bit data key, stored
  wrapped (AES-256-GCM) by a master key (KEK) kept outside the database;
* personal fields are AES-256-GCM; the associated data binds each ciphertext to
  its table, column, row and data-key id, so a ciphertext copied elsewhere
  fails to decrypt;
* exact-match look-ups use a keyed HMAC-SHA256 blind index with its own key;
* keys come from ``<instance>/keys/*.key`` (mode 0600) or environment
  variables, and are never derived from a password or the Flask secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

KEY_BYTES = 32
NONCE_BYTES = 12
CIPHERTEXT_VERSION = b"\x01"

MASTER_KEY_FILE = "master.key"
INDEX_KEY_FILE = "blind-index.key"
SESSION_KEY_FILE = "session.key"
SIGNING_KEY_FILE = "signing.key"
MASTER_KEY_ENV = "ITWORKS_MASTER_KEY"
INDEX_KEY_ENV = "ITWORKS_BLIND_INDEX_KEY"
SESSION_KEY_ENV = "ITWORKS_SESSION_KEY"
SIGNING_KEY_ENV = "ITWORKS_SIGNING_KEY"
# Losing these only logs people out or voids outstanding survey links; losing
# the master or blind-index key loses data, so only those are irreplaceable.
REPLACEABLE_KEY_FILES = (SESSION_KEY_FILE, SIGNING_KEY_FILE)

_CHECK_PLAINTEXT = b"itworks key check v1"


class KeyConfigError(RuntimeError):
    """A key is missing, malformed, too widely readable, or does not fit the data."""


class DecryptionError(Exception):
    """A ciphertext failed authentication: wrong row, wrong key, or damaged bytes.

    The message names only where the value lives, never the value.
    """


@dataclass(frozen=True)
class NewDataKey:
    uid: str
    kek_id: str
    wrapped: bytes
    key: bytes


# --------------------------------------------------------------------------- key files


def _encode_key(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode('ascii')}"


def _parse_keys(text: str, source: str) -> dict[str, bytes]:
    """Parse ``id:base64`` lines (first line active). Comments start with ``#``."""
    keys: dict[str, bytes] = {}
    entries = [e.strip() for e in text.replace(",", "\n").splitlines()]
    for number, entry in enumerate(entries, start=1):
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, encoded = entry.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True) if sep else b""
        except (binascii.Error, ValueError):
            key = b""
        if not key_id or len(key) != KEY_BYTES or not key_id.replace("-", "").isalnum():
            raise KeyConfigError(
                f"{source}: entry {number} is not 'key-id:<base64 of 32 random bytes>' "
                "(鍵の形式が正しくありません)"
            )
        if key_id in keys:
            raise KeyConfigError(
                f"{source}: key id {key_id!r} appears twice (鍵IDが重複しています)"
            )
        keys[key_id] = key
    if not keys:
        raise KeyConfigError(f"{source}: holds no key (鍵がありません)")
    return keys


def _read_key_source(
    keys_dir: Path, filename: str, env_name: str, environ: Mapping[str, str]
) -> tuple[dict[str, bytes], str]:
    if environ.get(env_name):
        return _parse_keys(environ[env_name], env_name), env_name
    path = keys_dir / filename
    if not path.exists():
        raise KeyConfigError(
            f"key not found: set {env_name} or create {path} with `itworks init` "
            "(鍵が見つかりません。既存のデータがある場合は元の鍵を戻してください)"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyConfigError(
            f"{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}` "
            "(鍵ファイルの権限は 0600 にしてください)"
        )
    return _parse_keys(path.read_text(encoding="ascii", errors="replace"), str(path)), str(path)


def write_new_key_files(keys_dir: Path) -> list[Path]:
    """Create fresh master, blind-index and session keys, mode 0600.

    Refuses to overwrite: a new key over existing data would make it unreadable.
    """
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    written = []
    for filename, key_id in (
        (MASTER_KEY_FILE, "k1"),
        (INDEX_KEY_FILE, "b1"),
        (SESSION_KEY_FILE, "s1"),
        (SIGNING_KEY_FILE, "g1"),
    ):
        path = keys_dir / filename
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(_encode_key(key_id, secrets.token_bytes(KEY_BYTES)) + "\n")
        written.append(path)
    return written


def add_master_key(keys_dir: Path) -> str:
    """Put a new active KEK first in the master key file; older ones stay for unwrapping."""
    path = keys_dir / MASTER_KEY_FILE
    existing = _parse_keys(path.read_text(encoding="ascii"), str(path))
    number = 1 + max(int(k[1:]) for k in existing if k[1:].isdigit() and k.startswith("k"))
    key_id = f"k{number}"
    lines = [_encode_key(key_id, secrets.token_bytes(KEY_BYTES))]
    lines += [_encode_key(k, v) for k, v in existing.items()]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return key_id


def retire_master_keys(keys_dir: Path, keep: str) -> list[str]:
    """Drop every KEK but ``keep`` from the master key file."""
    path = keys_dir / MASTER_KEY_FILE
    existing = _parse_keys(path.read_text(encoding="ascii"), str(path))
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_encode_key(keep, existing[keep]) + "\n")
    os.replace(tmp, path)
    return [k for k in existing if k != keep]


def add_index_key(keys_dir: Path) -> str:
    """Put a new active blind-index key first; the old one stays second until the
    indexes are recomputed (``itworks keys rotate-index``)."""
    path = keys_dir / INDEX_KEY_FILE
    existing = _parse_keys(path.read_text(encoding="ascii"), str(path))
    number = 1 + max([int(k[1:]) for k in existing if k[1:].isdigit() and k.startswith("b")] or [0])
    key_id = f"b{number}"
    lines = [_encode_key(key_id, secrets.token_bytes(KEY_BYTES))]
    lines += [_encode_key(k, v) for k, v in existing.items()]
    _replace_key_file(path, lines)
    return key_id


def retire_index_keys(keys_dir: Path) -> list[str]:
    """Keep only the active (first) blind-index key."""
    path = keys_dir / INDEX_KEY_FILE
    existing = _parse_keys(path.read_text(encoding="ascii"), str(path))
    active = next(iter(existing))
    _replace_key_file(path, [_encode_key(active, existing[active])])
    return [k for k in existing if k != active]


def retire_master_key(keys_dir: Path, old: str) -> None:
    """Drop one (non-active) KEK from the master key file."""
    path = keys_dir / MASTER_KEY_FILE
    existing = _parse_keys(path.read_text(encoding="ascii"), str(path))
    _replace_key_file(path, [_encode_key(k, v) for k, v in existing.items() if k != old])


def master_key_ids(keys_dir: Path) -> list[str]:
    path = keys_dir / MASTER_KEY_FILE
    return list(_parse_keys(path.read_text(encoding="ascii"), str(path)))


def _replace_key_file(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("\n".join(lines) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_session_secret(keys_dir: Path, environ: Mapping[str, str] = os.environ) -> bytes:
    """The Flask cookie-signing key. Random, and unrelated to every other key."""
    keys, _ = _read_key_source(keys_dir, SESSION_KEY_FILE, SESSION_KEY_ENV, environ)
    return next(iter(keys.values()))


def load_link_signer(keys_dir: Path, environ: Mapping[str, str] = os.environ) -> LinkSigner:
    keys, _ = _read_key_source(keys_dir, SIGNING_KEY_FILE, SIGNING_KEY_ENV, environ)
    return LinkSigner(next(iter(keys.values())))


def load_vault(keys_dir: Path, environ: Mapping[str, str] = os.environ) -> Vault:
    masters, master_source = _read_key_source(keys_dir, MASTER_KEY_FILE, MASTER_KEY_ENV, environ)
    indexes, index_source = _read_key_source(keys_dir, INDEX_KEY_FILE, INDEX_KEY_ENV, environ)
    # More than one blind-index key only during `itworks keys rotate-index`: the
    # first is active, the next one is the key the stored indexes are moving from.
    return Vault(masters, indexes, sources={"master": master_source, "blind_index": index_source})


# --------------------------------------------------------------------------- the vault

FieldKey = bytes | AESGCM
"""A data key as bytes, or as ``Vault.cipher(key)`` when it serves several fields."""


def _aead(key: FieldKey) -> AESGCM:
    return key if isinstance(key, AESGCM) else AESGCM(key)


class Vault:
    """Holds the loaded keys and performs every operation that needs one."""

    def __init__(
        self,
        master_keys: Mapping[str, bytes],
        index_keys: Mapping[str, bytes],
        sources: Mapping[str, str] | None = None,
    ) -> None:
        self._masters = dict(master_keys)
        self.active_kek_id = next(iter(self._masters))
        self._index_keys = dict(index_keys)
        self.index_key_id, self._index_key = next(iter(self._index_keys.items()))
        self.sources = dict(sources or {})

    def __repr__(self) -> str:  # never show key bytes
        return f"<Vault kek={self.active_kek_id} index={self.index_key_id}>"

    @property
    def kek_ids(self) -> tuple[str, ...]:
        return tuple(self._masters)

    # ---- data keys

    @staticmethod
    def _wrap_aad(uid: str, kek_id: str) -> bytes:
        return f"itworks/data-key/v1|{uid}|{kek_id}".encode()

    def new_data_key(self) -> NewDataKey:
        uid = secrets.token_hex(16)
        key = AESGCM.generate_key(bit_length=256)
        return NewDataKey(uid, self.active_kek_id, self._wrap(uid, key, self.active_kek_id), key)

    def _wrap(self, uid: str, key: bytes, kek_id: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._masters[kek_id]).encrypt(nonce, key, self._wrap_aad(uid, kek_id))
        return CIPHERTEXT_VERSION + nonce + sealed

    def unwrap(self, uid: str, kek_id: str, wrapped: bytes | None) -> bytes:
        if wrapped is None:
            raise DecryptionError(f"data key {uid} has been destroyed (erased registrant)")
        if kek_id not in self._masters:
            raise DecryptionError(f"data key {uid} is wrapped by master key {kek_id!r}, not loaded")
        try:
            return self._open(self._masters[kek_id], wrapped, self._wrap_aad(uid, kek_id))
        except DecryptionError:
            raise DecryptionError(f"data key {uid} failed to unwrap") from None

    def rewrap(self, uid: str, kek_id: str, wrapped: bytes | None) -> tuple[str, bytes]:
        """Re-wrap a data key under the active KEK (key rotation)."""
        key = self.unwrap(uid, kek_id, wrapped)
        return self.active_kek_id, self._wrap(uid, key, self.active_kek_id)

    # ---- personal fields

    @staticmethod
    def _field_aad(key_uid: str, table: str, column: str, row: str) -> bytes:
        return f"itworks/field/v1|{table}|{column}|{row}|{key_uid}".encode()

    @staticmethod
    def cipher(key: bytes) -> AESGCM:
        """A data key with its key schedule set up, to pass as ``key`` when several
        fields are sealed or opened under it (once, not once per field)."""
        return AESGCM(key)

    def encrypt(
        self, key: FieldKey, *, key_uid: str, table: str, column: str, row: str, value: str | None
    ) -> bytes | None:
        """Encrypt one personal value; ``None`` stays ``None`` (an absent field)."""
        if value is None:
            return None
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = self._field_aad(key_uid, table, column, row)
        return CIPHERTEXT_VERSION + nonce + _aead(key).encrypt(nonce, value.encode("utf-8"), aad)

    def decrypt(
        self, key: FieldKey, *, key_uid: str, table: str, column: str, row: str, blob: bytes | None
    ) -> str | None:
        if blob is None:
            return None
        try:
            plain = self._open(key, blob, self._field_aad(key_uid, table, column, row))
        except DecryptionError:
            raise DecryptionError(f"{table}.{column} of row {row} failed to decrypt") from None
        return plain.decode("utf-8")

    @staticmethod
    def _open(key: FieldKey, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != CIPHERTEXT_VERSION:
            raise DecryptionError("malformed ciphertext")
        try:
            return _aead(key).decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
        except InvalidTag:
            raise DecryptionError("authentication failed") from None

    # ---- blind indexes and other keyed digests

    def blind_index(self, kind: str, normalized: str) -> str:
        """Keyed HMAC-SHA256 of an already-normalised value, for exact matching."""
        message = f"itworks/blind-index/v1|{kind}|{normalized}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    @property
    def index_key_ids(self) -> tuple[str, ...]:
        return tuple(self._index_keys)

    def blind_index_with(self, key_id: str, kind: str, normalized: str) -> str:
        """The blind index under a named (loaded) index key, for rotating indexes
        (the same value ``blind_index`` gives under the active key)."""
        prototypes = self.__dict__.setdefault("_hmac_prototypes", {})
        base = prototypes.get(key_id)
        if base is None:
            base = prototypes[key_id] = hmac.new(self._index_keys[key_id], None, hashlib.sha256)
        mac = base.copy()
        mac.update(f"itworks/blind-index/v1|{kind}|{normalized}".encode())
        return mac.hexdigest()

    def login_key(self, username: str) -> str:
        """A keyed digest of a typed username, for throttling without storing it."""
        return self.blind_index("login", username.strip().casefold())

    # ---- key checks

    def check_values(self) -> list[tuple[str, str, bytes]]:
        """``(purpose, key_id, value)`` for each loaded key, to store at init."""
        rows = []
        for kek_id, kek in self._masters.items():
            nonce = secrets.token_bytes(NONCE_BYTES)
            sealed = AESGCM(kek).encrypt(nonce, _CHECK_PLAINTEXT, kek_id.encode())
            rows.append(("master", kek_id, CIPHERTEXT_VERSION + nonce + sealed))
        for index_id, index_key in self._index_keys.items():
            digest = hmac.new(index_key, _CHECK_PLAINTEXT, hashlib.sha256).digest()
            rows.append(("blind_index", index_id, digest))
        return rows

    def check_matches(self, purpose: str, key_id: str, value: bytes) -> bool | None:
        """True/False when the key is loaded; None when no such key is loaded."""
        if purpose == "master":
            if key_id not in self._masters:
                return None
            try:
                self._open(self._masters[key_id], value, key_id.encode())
            except DecryptionError:
                return False
            return True
        if purpose == "blind_index":
            if key_id not in self._index_keys:
                return None
            expected = hmac.new(self._index_keys[key_id], _CHECK_PLAINTEXT, hashlib.sha256).digest()
            return hmac.compare_digest(expected, value)
        return None


# --------------------------------------------------------------------------- signed links


class LinkError(Exception):
    """A survey link that was tampered with, or has expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "tampered" or "expired"


class LinkSigner:
    """Signs the random id of a personal survey link, with its own key.

    The signature is checked before the database is asked anything, so a
    tampered or guessed URL costs no query; expiry is checked twice, here
    and against the link's row.
    """

    SALT = "itworks/survey-link/v1"

    def __init__(self, key: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt=self.SALT)

    def __repr__(self) -> str:
        return "<LinkSigner>"

    def sign(self, link_id: str) -> str:
        return self._serializer.dumps(link_id)

    def unsign(self, token: str, max_age_seconds: int) -> str:
        try:
            value = self._serializer.loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise LinkError("expired") from None
        except BadData:
            raise LinkError("tampered") from None
        if not isinstance(value, str):
            raise LinkError("tampered")
        return value


def new_link_id() -> str:
    return secrets.token_urlsafe(16)


# --------------------------------------------------------------------------- passwords and tokens

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_dummy_hash: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    global _dummy_hash
    if password_hash is None:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
        password_hash = _dummy_hash
        password = password + "\x00not-this"
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def generate_password() -> str:
    """A password for a person to type once and change: 20 URL-safe characters."""
    return secrets.token_urlsafe(15)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Digest of a high-entropy random token; only this is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def text_digest(text: str) -> str:
    """SHA-256 of a public text (the privacy notice a registrant agreed to)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def csp_hash_source(text: str) -> str:
    """A Content-Security-Policy hash source (``'sha256-…'``) allowing one inline text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


# --------------------------------------------------------------------------- audit chain


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def audit_entry_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over an audit entry's canonical JSON and the previous entry's hash."""
    body = json.dumps(
        {k: _canonical(v) for k, v in fields.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
