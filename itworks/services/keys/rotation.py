"""Master-key and blind-index-key rotation and retirement.

Master key (KEK): ``rotate`` puts a new key first in the key file (written
atomically, before the database changes), then re-wraps every data key under it
in batches (``keyring.rewrap_all``). A run killed midway is resumed by running
``rotate`` again: while any data key is still wrapped by an older key, ``rotate``
finishes that rotation instead of starting another. ``retire OLD`` drops a key
from the file only when no data key uses it any more.

Blind-index key: ``rotate_index`` puts a new key first in the blind-index key
file (the old one stays second), then recomputes every look-up index from the
decrypted email and phone under the new key, batch by batch, remembering how far
it got; run again it carries on from there. When every index is moved the old
key leaves the file.

Every key change is written to the audit trail (ids of keys only).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import crypto
from itworks.i18n import N_
from itworks.models import DataKey, KeyCheck, Registrant, RegistrantIdentifier, Setting
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.keys import keyring

INDEX_CURSOR = "keys.rotate_index.after"


@dataclass(frozen=True)
class KeyChange:
    active: str
    rewrapped: int
    retired: list[str] = field(default_factory=list)
    resumed: bool = False
    still_used: dict[str, int] = field(default_factory=dict)


def _refuse_environment(environ: Mapping[str, str], env_name: str, command: str) -> None:
    if environ.get(env_name):
        raise crypto.KeyConfigError(
            f"{env_name} is set: put the new key first in it yourself, then run "
            f"`itworks keys {command}`"
        )


def pending(session: Session, vault: crypto.Vault) -> int:
    """Live data keys not yet wrapped by the active master key."""
    return (
        session.scalar(
            sa.select(sa.func.count(DataKey.id)).where(
                DataKey.kek_id != vault.active_kek_id, DataKey.wrapped.is_not(None)
            )
        )
        or 0
    )


def rotate(
    session: Session,
    keys_dir: Path,
    environ: Mapping[str, str] = os.environ,
    *,
    actor_label: str = "cli",
    progress: Callable[[int], None] | None = None,
    batch: int = 2000,
) -> KeyChange:
    """Make a new master key and re-wrap every data key under it; or, when an
    earlier rotation was interrupted, finish that one.

    Refuses (``KeyConfigError``) when the master key comes from the environment:
    the file is not where the keys are, so the operator changes the variable.
    """
    _refuse_environment(environ, crypto.MASTER_KEY_ENV, "rewrap")
    vault = crypto.load_vault(keys_dir, environ)
    resumed = pending(session, vault) > 0
    if not resumed:
        crypto.add_master_key(keys_dir)
        vault = crypto.load_vault(keys_dir, environ)
        audit.record(
            session,
            "keys.rotate",
            actor_label=actor_label,
            entity_type="master_key",
            entity_id=vault.active_kek_id,
        )
        session.commit()
    moved = keyring.rewrap_all(session, vault, batch=batch, progress=progress)
    audit.record(
        session,
        "keys.rewrap",
        actor_label=actor_label,
        entity_type="master_key",
        entity_id=vault.active_kek_id,
        rewrapped=moved,
        resumed=resumed,
    )
    session.commit()
    return KeyChange(active=vault.active_kek_id, rewrapped=moved, resumed=resumed)


def rewrap(
    session: Session, vault: crypto.Vault, *, actor_label: str = "cli", batch: int = 2000
) -> int:
    """Re-wrap under the active key (after the operator changed the key variable)."""
    moved = keyring.rewrap_all(session, vault, batch=batch)
    audit.record(
        session,
        "keys.rewrap",
        actor_label=actor_label,
        entity_type="master_key",
        entity_id=vault.active_kek_id,
        rewrapped=moved,
    )
    session.commit()
    return moved


def retire(
    session: Session,
    vault: crypto.Vault,
    keys_dir: Path,
    old: str | None = None,
    *,
    actor_label: str = "cli",
) -> KeyChange:
    """Drop ``old`` (or every non-active master key) from the key file, only once
    no data key uses it; a key still in use is refused, with its count."""
    in_file = crypto.master_key_ids(keys_dir)
    active = in_file[0]
    if old is not None:
        if old not in in_file:
            raise InvalidInput({"key": N_("その鍵IDはマスター鍵ファイルにありません")})
        if old == active:
            raise InvalidInput({"key": N_("使用中（先頭）のマスター鍵は廃止できません")})
        candidates = [old]
    else:
        candidates = in_file[1:]
    still_used = {k: n for k in candidates if (n := keyring.keys_using(session, k))}
    if still_used:
        raise InvalidInput(
            {
                "key": N_(
                    "まだデータ鍵がこのマスター鍵で包まれています（%(keys)s）。"
                    "`itworks keys rotate` を再実行して包み直しを完了してください",
                    keys=", ".join(f"{k}: {n}" for k, n in sorted(still_used.items())),
                )
            }
        )
    for key_id in candidates:
        audit.record(
            session,
            "keys.retire",
            actor_label=actor_label,
            entity_type="master_key",
            entity_id=key_id,
        )
        keyring.forget_check(session, "master", key_id)  # commits
    for key_id in candidates:
        crypto.retire_master_key(keys_dir, key_id)
    return KeyChange(active=active, rewrapped=0, retired=candidates)


# --------------------------------------------------------------------------- blind index


@dataclass(frozen=True)
class IndexChange:
    active: str
    previous: str | None
    registrants: int
    moved: int
    dropped: int
    resumed: bool


def _cursor(session: Session) -> int | None:
    row = session.get(Setting, INDEX_CURSOR)
    return int(row.value) if row else None


def rotate_index(
    session: Session,
    keys_dir: Path,
    environ: Mapping[str, str] = os.environ,
    *,
    actor_label: str = "cli",
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> IndexChange:
    """Replace the blind-index key and recompute every look-up index from the
    decrypted values; resumable (run again after an interruption)."""
    _refuse_environment(environ, crypto.INDEX_KEY_ENV, "rotate-index")
    vault = crypto.load_vault(keys_dir, environ)
    resumed = len(vault.index_key_ids) > 1
    if not resumed:
        crypto.add_index_key(keys_dir)
        vault = crypto.load_vault(keys_dir, environ)
        keyring.record_checks(session, vault)
        session.add(Setting(key=INDEX_CURSOR, value="0"))
        audit.record(
            session,
            "keys.rotate_index",
            actor_label=actor_label,
            entity_type="blind_index_key",
            entity_id=vault.index_key_id,
        )
        session.commit()
    new_id, old_ids = vault.index_key_id, vault.index_key_ids[1:]
    after = _cursor(session) or 0
    ident = RegistrantIdentifier.__table__
    reg, key = Registrant.__table__, DataKey.__table__
    done = moved = dropped = 0
    while True:
        people = session.execute(
            sa.select(
                reg.c.id,
                reg.c.public_id,
                reg.c.email_enc,
                reg.c.phone_enc,
                key.c.uid,
                key.c.kek_id,
                key.c.wrapped,
            )
            .join(key, key.c.id == reg.c.data_key_id)
            .where(reg.c.id > after, reg.c.erased_at.is_(None))
            .order_by(reg.c.id)
            .limit(batch)
        ).all()
        if not people:
            break
        ids = [p.id for p in people]
        stored: dict[int, list[tuple[int, str, str]]] = {}
        for row in session.execute(
            sa.select(ident.c.id, ident.c.registrant_id, ident.c.kind, ident.c.digest).where(
                ident.c.registrant_id.in_(ids)
            )
        ):
            stored.setdefault(row.registrant_id, []).append((row.id, row.kind, row.digest))
        updates, stale = [], []
        for person in people:
            rows = stored.get(person.id)
            if not rows:
                continue
            mapping: dict[tuple[str, str], str] = {}
            try:
                data_key = vault.unwrap(person.uid, person.kek_id, person.wrapped)
                for kind in {kind for _, kind, _ in rows}:
                    value = vault.decrypt(
                        data_key,
                        key_uid=person.uid,
                        table="registrants",
                        column=kind,
                        row=person.public_id,
                        blob=getattr(person, f"{kind}_enc"),
                    )
                    if value:
                        new = vault.blind_index_with(new_id, kind, value)
                        mapping[(kind, new)] = new
                        for old_id in old_ids:
                            mapping[(kind, vault.blind_index_with(old_id, kind, value))] = new
            except crypto.DecryptionError:
                raise crypto.KeyConfigError(
                    f"registrant {person.public_id} cannot be decrypted; nothing after the "
                    "previous batch was changed (復号できない登録者があります)"
                ) from None
            for row_id, kind, digest in rows:
                target = mapping.get((kind, digest))
                if target is None:
                    # An index of no value this person holds now: nothing to
                    # recompute it from, and under the new key it matches nothing.
                    stale.append(row_id)
                elif target != digest:
                    updates.append({"b_id": row_id, "b_digest": target})
        if stale:
            session.execute(ident.delete().where(ident.c.id.in_(stale)))
            dropped += len(stale)
        if updates:
            session.execute(
                ident.update()
                .where(ident.c.id == sa.bindparam("b_id"))
                .values(digest=sa.bindparam("b_digest")),
                updates,
            )
        after = ids[-1]
        session.merge(Setting(key=INDEX_CURSOR, value=str(after)))
        session.commit()
        moved += len(updates)
        done += len(people)
        if progress:
            progress(done)
    # The database first: killed before the file changes, a rerun finds two keys
    # and makes one more (idempotent) pass; the other order would leave a check
    # value for a key the file no longer holds.
    cursor_row = session.get(Setting, INDEX_CURSOR)
    if cursor_row is not None:
        session.delete(cursor_row)
    session.execute(
        sa.delete(KeyCheck).where(KeyCheck.purpose == "blind_index", KeyCheck.key_id.in_(old_ids))
    )
    audit.record(
        session,
        "keys.rotate_index",
        actor_label=actor_label,
        entity_type="blind_index_key",
        entity_id=new_id,
        moved=moved,
        dropped=dropped,
        resumed=resumed,
    )
    session.commit()
    crypto.retire_index_keys(keys_dir)
    return IndexChange(
        active=new_id,
        previous=old_ids[0] if old_ids else None,
        registrants=done,
        moved=moved,
        dropped=dropped,
        resumed=resumed,
    )
