"""Master-key rotation and retirement: the key file changes, then every data key
is re-wrapped under the new active key (see ``keyring.rewrap_all``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from itworks import crypto
from itworks.services.keys import keyring


@dataclass(frozen=True)
class KeyChange:
    active: str
    rewrapped: int
    retired: list[str] = field(default_factory=list)


def rotate(session: Session, keys_dir: Path, environ: Mapping[str, str] = os.environ) -> KeyChange:
    """Put a new master key first in the key file, keep the old ones for now,
    and re-wrap every data key under the new one.

    Refuses (``KeyConfigError``) when the master key comes from the environment:
    the file is not where the keys are, so the operator changes the variable.
    """
    if environ.get(crypto.MASTER_KEY_ENV):
        raise crypto.KeyConfigError(
            f"{crypto.MASTER_KEY_ENV} is set: put the new key first in it yourself, then run "
            "`itworks keys rewrap`"
        )
    new_id = crypto.add_master_key(keys_dir)
    vault = crypto.load_vault(keys_dir, environ)
    return KeyChange(active=new_id, rewrapped=keyring.rewrap_all(session, vault))


def retire(session: Session, vault: crypto.Vault, keys_dir: Path) -> KeyChange:
    """Re-wrap what is left under the active key, then drop every other master
    key from the key file (after ``rotate``, once backups are re-taken)."""
    moved = keyring.rewrap_all(session, vault)
    retired = crypto.retire_master_keys(keys_dir, vault.active_kek_id)
    return KeyChange(active=vault.active_kek_id, rewrapped=moved, retired=retired)
