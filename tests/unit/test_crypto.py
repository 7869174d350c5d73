"""The one crypto module: envelope encryption, AEAD binding, blind indexes, key files."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itworks import crypto
from itworks.crypto import DecryptionError, KeyConfigError, Vault


def make_vault(master_ids: tuple[str, ...] = ("k1",)) -> Vault:
    masters = {kid: os.urandom(32) for kid in master_ids}
    return Vault(masters, {"b1": os.urandom(32)})


VAULT = make_vault()
DATA_KEY = VAULT.new_data_key()


def seal(value: str | None, *, row: str = "row1", column: str = "name", vault: Vault = VAULT):
    return vault.encrypt(
        DATA_KEY.key, key_uid=DATA_KEY.uid, table="registrants", column=column, row=row, value=value
    )


def open_(blob: bytes | None, *, row: str = "row1", column: str = "name", vault: Vault = VAULT):
    return vault.decrypt(
        DATA_KEY.key, key_uid=DATA_KEY.uid, table="registrants", column=column, row=row, blob=blob
    )


@settings(max_examples=200)
@given(st.text() | st.sampled_from(["", "島根　太郎", "ｼﾏﾈ ﾀﾛｳ", "🙂👩‍💻", "あ" * 10_000]))
def test_round_trip_any_text(value: str) -> None:
    assert open_(seal(value)) == value


def test_none_stays_none() -> None:
    assert seal(None) is None
    assert open_(None) is None


def test_two_encryptions_of_one_value_differ() -> None:
    first, second = seal("山田 花子"), seal("山田 花子")
    assert first != second
    assert open_(first) == open_(second) == "山田 花子"


def test_ciphertext_does_not_contain_plaintext() -> None:
    blob = seal("taro@example.jp", column="email")
    assert b"taro" not in blob and b"example" not in blob


def test_ciphertext_moved_to_another_row_fails() -> None:
    blob = seal("山田 花子", row="row1")
    with pytest.raises(DecryptionError, match="row2"):
        open_(blob, row="row2")


def test_ciphertext_moved_to_another_column_fails() -> None:
    blob = seal("山田 花子", column="name")
    with pytest.raises(DecryptionError):
        open_(blob, column="employer")


def test_ciphertext_under_another_data_key_fails() -> None:
    other = VAULT.new_data_key()
    blob = seal("山田 花子")
    with pytest.raises(DecryptionError):
        VAULT.decrypt(
            other.key,
            key_uid=DATA_KEY.uid,
            table="registrants",
            column="name",
            row="row1",
            blob=blob,
        )


@pytest.mark.parametrize("position", [0, 1, 12, 13, -1, -17])
def test_flipped_byte_fails_and_never_returns_other_text(position: int) -> None:
    blob = bytearray(seal("山田 花子"))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError) as info:
        open_(bytes(blob))
    assert "山田" not in str(info.value)


def test_truncated_ciphertext_fails() -> None:
    with pytest.raises(DecryptionError):
        open_(seal("x")[:10])


def test_data_key_wrap_round_trip_and_binding() -> None:
    new = VAULT.new_data_key()
    assert VAULT.unwrap(new.uid, new.kek_id, new.wrapped) == new.key
    with pytest.raises(DecryptionError):
        VAULT.unwrap("someone-else", new.kek_id, new.wrapped)
    with pytest.raises(DecryptionError, match="destroyed"):
        VAULT.unwrap(new.uid, new.kek_id, None)


def test_data_key_needs_the_right_master_key() -> None:
    new = VAULT.new_data_key()
    stranger = Vault({"k1": os.urandom(32)}, {"b1": os.urandom(32)})
    with pytest.raises(DecryptionError):
        stranger.unwrap(new.uid, new.kek_id, new.wrapped)


def test_rewrap_moves_a_data_key_to_the_new_master_key() -> None:
    old_kek = os.urandom(32)
    old = Vault({"k1": old_kek}, {"b1": os.urandom(32)})
    new_key = old.new_data_key()
    rotated = Vault({"k2": os.urandom(32), "k1": old_kek}, {"b1": os.urandom(32)})
    kek_id, wrapped = rotated.rewrap(new_key.uid, new_key.kek_id, new_key.wrapped)
    assert kek_id == "k2"
    only_new = Vault({"k2": rotated._masters["k2"]}, {"b1": os.urandom(32)})
    assert only_new.unwrap(new_key.uid, kek_id, wrapped) == new_key.key


def test_blind_index_is_keyed_not_a_plain_hash() -> None:
    value = "taro@example.jp"
    index = VAULT.blind_index("email", value)
    assert index == VAULT.blind_index("email", value)
    assert index != make_vault().blind_index("email", value)
    assert index != hashlib.sha256(value.encode()).hexdigest()
    assert index != hmac.new(b"", value.encode(), hashlib.sha256).hexdigest()
    assert index != VAULT.blind_index("phone", value)


def test_vault_repr_hides_keys() -> None:
    import base64

    key, text = VAULT._masters["k1"], repr(VAULT)
    assert base64.b64encode(key).decode() not in text
    assert repr(key) not in text and key.hex() not in text


def test_key_checks_detect_the_wrong_key() -> None:
    checks = VAULT.check_values()
    assert all(VAULT.check_matches(p, k, v) for p, k, v in checks)
    other = make_vault()
    assert all(other.check_matches(p, k, v) is False for p, k, v in checks)
    assert make_vault(("k9",)).check_matches("master", "k1", checks[0][2]) is None


# ---------------------------------------------------------------- key files


def test_new_key_files_are_private_and_never_overwritten(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    written = crypto.write_new_key_files(keys)
    assert {p.name for p in written} == {
        "master.key",
        "blind-index.key",
        "session.key",
        "signing.key",
    }
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o600
    before = (keys / "master.key").read_bytes()
    assert crypto.write_new_key_files(keys) == []
    assert (keys / "master.key").read_bytes() == before


def test_load_refuses_a_missing_key_naming_file_and_variable(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError) as info:
        crypto.load_vault(tmp_path / "keys", environ={})
    message = str(info.value)
    assert str(tmp_path / "keys" / "master.key") in message
    assert "ITWORKS_MASTER_KEY" in message


def test_load_refuses_a_world_readable_key(tmp_path: Path) -> None:
    crypto.write_new_key_files(tmp_path / "keys")
    (tmp_path / "keys" / "master.key").chmod(0o644)
    with pytest.raises(KeyConfigError, match="chmod 600"):
        crypto.load_vault(tmp_path / "keys", environ={})


@pytest.mark.parametrize(
    "content",
    ["", "k1", "k1:notbase64!!", "k1:" + "QUJD" * 4, "k1:AAAA\nk1:AAAA", "bad id:" + "A" * 44],
)
def test_load_refuses_malformed_key_text(tmp_path: Path, content: str) -> None:
    with pytest.raises(KeyConfigError, match="ITWORKS_MASTER_KEY"):
        crypto.load_vault(
            tmp_path,
            environ={
                "ITWORKS_MASTER_KEY": content or " ",
                "ITWORKS_BLIND_INDEX_KEY": "b1:" + "A" * 44,
            },
        )


def test_keys_from_environment(tmp_path: Path) -> None:
    import base64

    key = base64.b64encode(os.urandom(32)).decode()
    environ = {"ITWORKS_MASTER_KEY": f"k7:{key}", "ITWORKS_BLIND_INDEX_KEY": f"b1:{key}"}
    vault = crypto.load_vault(tmp_path / "nowhere", environ=environ)
    assert vault.active_kek_id == "k7"
    assert vault.sources["master"] == "ITWORKS_MASTER_KEY"


def test_add_master_key_puts_the_new_one_first(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    crypto.write_new_key_files(keys)
    assert crypto.add_master_key(keys) == "k2"
    vault = crypto.load_vault(keys, environ={})
    assert vault.kek_ids == ("k2", "k1")
    assert (keys / "master.key").stat().st_mode & 0o777 == 0o600
    assert crypto.retire_master_keys(keys, "k2") == ["k1"]
    assert crypto.load_vault(keys, environ={}).kek_ids == ("k2",)


def test_passwords_hash_with_argon2id() -> None:
    hashed = crypto.hash_password("a long enough password")
    assert hashed.startswith("$argon2id$")
    assert crypto.verify_password(hashed, "a long enough password")
    assert not crypto.verify_password(hashed, "a long enough passwore")
    assert not crypto.verify_password(None, "anything")
    assert not crypto.verify_password("not a hash", "anything")


def test_link_signer_detects_tampering_and_expiry() -> None:
    signer = crypto.LinkSigner(os.urandom(32))
    token = signer.sign("abc123")
    assert signer.unsign(token, max_age_seconds=60) == "abc123"
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(crypto.LinkError) as info:
        signer.unsign(tampered, max_age_seconds=60)
    assert info.value.reason == "tampered"
    with pytest.raises(crypto.LinkError) as info:
        crypto.LinkSigner(os.urandom(32)).unsign(token, max_age_seconds=60)
    assert info.value.reason == "tampered"
    with pytest.raises(crypto.LinkError) as info:
        signer.unsign(token, max_age_seconds=-1)
    assert info.value.reason == "expired"
