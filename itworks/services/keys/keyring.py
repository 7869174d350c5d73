"""Start-up checks that the loaded keys are the ones this database was made with,
and key rotation."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.crypto import KeyConfigError, Vault
from itworks.models import DataKey, KeyCheck, utcnow


def verify_against_database(engine: sa.Engine, vault: Vault) -> None:
    """Refuse a key that does not match the data. A fresh database passes."""
    if not sa.inspect(engine).has_table("key_checks"):
        return
    with Session(engine) as session:
        checks = session.scalars(sa.select(KeyCheck)).all()
        used_keks = set(session.scalars(sa.select(DataKey.kek_id).distinct()).all())
    for check in checks:
        verdict = vault.check_matches(check.purpose, check.key_id, check.check_value)
        source = vault.sources.get(check.purpose, check.purpose)
        if verdict is False:
            raise KeyConfigError(
                f"the {check.purpose} key {check.key_id!r} from {source} does not match this "
                "database; restore the original key (鍵がデータベースと一致しません)"
            )
        if verdict is None and (check.purpose == "blind_index" or check.key_id in used_keks):
            raise KeyConfigError(
                f"{source} lacks the {check.purpose} key {check.key_id!r} this database needs "
                "(必要な鍵がありません)"
            )
    missing = used_keks - set(vault.kek_ids)
    if missing:
        raise KeyConfigError(
            f"{vault.sources.get('master')} lacks master key(s) {sorted(missing)} "
            "that wrap registrant data keys (必要なマスター鍵がありません)"
        )


def record_checks(session: Session, vault: Vault) -> None:
    """Store a check value for every loaded key that has none yet."""
    known = {(c.purpose, c.key_id) for c in session.scalars(sa.select(KeyCheck))}
    for purpose, key_id, value in vault.check_values():
        if (purpose, key_id) not in known:
            session.add(KeyCheck(purpose=purpose, key_id=key_id, check_value=value))
    session.commit()


def rewrap_all(session: Session, vault: Vault, batch: int = 500) -> int:
    """Re-wrap every live data key under the active KEK; returns how many moved."""
    moved = 0
    while True:
        keys = session.scalars(
            sa.select(DataKey)
            .where(DataKey.kek_id != vault.active_kek_id, DataKey.wrapped.is_not(None))
            .limit(batch)
        ).all()
        if not keys:
            break
        for key in keys:
            key.kek_id, key.wrapped = vault.rewrap(key.uid, key.kek_id, key.wrapped)
            key.rotated_at = utcnow()
        session.commit()
        moved += len(keys)
    record_checks(session, vault)
    return moved
