"""Start-up checks that the loaded keys are the ones this database was made with,
and key rotation."""

from __future__ import annotations

from collections.abc import Callable

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


def rewrap_all(
    session: Session,
    vault: Vault,
    batch: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-wrap every live data key under the active KEK; returns how many moved.

    Resumable: each batch is one transaction, and a data key not yet moved is
    still wrapped by a key the file keeps, so a run killed at any point loses
    nothing and the next run carries on with what is left. The active key's
    check value is stored first, so a wrong key file is refused before it is used.
    """
    record_checks(session, vault)
    table = DataKey.__table__
    active = vault.active_kek_id
    moved, after = 0, 0
    while True:
        rows = session.execute(
            sa.select(table.c.id, table.c.uid, table.c.kek_id, table.c.wrapped)
            .where(table.c.kek_id != active, table.c.wrapped.is_not(None), table.c.id > after)
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        now = utcnow()
        updates = []
        for row in rows:
            kek_id, wrapped = vault.rewrap(row.uid, row.kek_id, row.wrapped)
            updates.append({"b_id": row.id, "b_kek": kek_id, "b_wrapped": wrapped})
        session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"), table.c.wrapped.is_not(None))
            .values(
                kek_id=sa.bindparam("b_kek"), wrapped=sa.bindparam("b_wrapped"), rotated_at=now
            ),
            updates,
        )
        session.commit()
        moved += len(rows)
        after = rows[-1].id
        if progress:
            progress(moved)
    return moved


def keys_using(session: Session, kek_id: str) -> int:
    """How many live data keys are still wrapped by ``kek_id``."""
    return (
        session.scalar(
            sa.select(sa.func.count(DataKey.id)).where(
                DataKey.kek_id == kek_id, DataKey.wrapped.is_not(None)
            )
        )
        or 0
    )


def forget_check(session: Session, purpose: str, key_id: str) -> None:
    """Drop a retired key's check value, so start-up no longer asks for that key."""
    session.execute(
        sa.delete(KeyCheck).where(KeyCheck.purpose == purpose, KeyCheck.key_id == key_id)
    )
    session.commit()
