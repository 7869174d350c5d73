"""Ciphertexts made with the first release must decrypt in every later release."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from itworks import crypto

GOLDEN = Path(__file__).parent / "golden"


def _vault(tmp_path: Path) -> crypto.Vault:
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in (crypto.MASTER_KEY_FILE, crypto.INDEX_KEY_FILE):
        shutil.copyfile(GOLDEN / name, keys / name)
        (keys / name).chmod(0o600)  # git does not keep the mode
    return crypto.load_vault(keys, environ={})


def test_golden_ciphertexts_still_decrypt(tmp_path: Path) -> None:
    vault = _vault(tmp_path)
    doc = json.loads((GOLDEN / "golden.json").read_text(encoding="utf-8"))
    wrapped = doc["data_key"]
    key = vault.unwrap(wrapped["uid"], wrapped["kek_id"], base64.b64decode(wrapped["wrapped"]))
    assert len(doc["fields"]) == 5
    for field in doc["fields"]:
        plain = vault.decrypt(
            key,
            key_uid=wrapped["uid"],
            table=field["table"],
            column=field["column"],
            row=field["row"],
            blob=base64.b64decode(field["ciphertext"]),
        )
        assert plain == field["plaintext"]
    for index in doc["blind_index"]:
        assert vault.blind_index(index["kind"], index["normalized"]) == index["digest"]
    for check in doc["key_checks"]:
        assert vault.check_matches(
            check["purpose"], check["key_id"], base64.b64decode(check["value"])
        )


def test_golden_key_still_unwraps_after_a_rotation(tmp_path: Path) -> None:
    """A golden data key re-wrapped under a new master key opens the same fields."""
    vault = _vault(tmp_path)
    keys = tmp_path / "keys"
    crypto.add_master_key(keys)
    rotated = crypto.load_vault(keys, environ={})
    doc = json.loads((GOLDEN / "golden.json").read_text(encoding="utf-8"))
    wrapped = doc["data_key"]
    kek_id, rewrapped = rotated.rewrap(
        wrapped["uid"], wrapped["kek_id"], base64.b64decode(wrapped["wrapped"])
    )
    assert kek_id == "k2"
    assert rotated.unwrap(wrapped["uid"], kek_id, rewrapped) == vault.unwrap(
        wrapped["uid"], wrapped["kek_id"], base64.b64decode(wrapped["wrapped"])
    )
