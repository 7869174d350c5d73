"""Many registrants quickly (Core inserts, real encryption), for rotation tests."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from itworks.crypto import Vault
from itworks.models import DataKey, Registrant, RegistrantIdentifier, new_public_id

FIELDS = ("name", "name_kana", "email", "phone", "employer")


def person(n: int) -> dict[str, str]:
    return {
        "name": f"回転 花子{n}",
        "name_kana": "カイテン ハナコ",
        "email": f"hanako{n}@example.jp",
        "phone": f"090{n:08d}"[:11],
        "employer": f"株式会社{n}",
    }


def add_registrants(
    engine: sa.Engine, vault: Vault, count: int, chunk: int = 5000
) -> dict[str, dict[str, str]]:
    """Insert ``count`` registrants with all personal fields; returns public id → values."""
    values: dict[str, dict[str, str]] = {}
    when = datetime(2022, 6, 1, tzinfo=UTC)
    with engine.begin() as connection:
        start = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(DataKey.id), 0))) or 0
        rstart = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(Registrant.id), 0))) or 0
    for base in range(0, count, chunk):
        keys, people, idents = [], [], []
        for i in range(base, min(count, base + chunk)):
            new = vault.new_data_key()
            key_id, reg_id = start + i + 1, rstart + i + 1
            keys.append(
                {"id": key_id, "uid": new.uid, "kek_id": new.kek_id, "wrapped": new.wrapped}
            )
            public_id = new_public_id()
            fields = person(i)
            values[public_id] = fields
            row = {
                "id": reg_id,
                "public_id": public_id,
                "data_key_id": key_id,
                "origin": "u_turn",
                "registered_at": when,
                "source": "coordinator",
            }
            for name in FIELDS:
                row[f"{name}_enc"] = vault.encrypt(
                    new.key,
                    key_uid=new.uid,
                    table="registrants",
                    column=name,
                    row=public_id,
                    value=fields[name],
                )
            people.append(row)
            idents.append(
                {
                    "registrant_id": reg_id,
                    "kind": "email",
                    "digest": vault.blind_index("email", fields["email"]),
                }
            )
        with engine.begin() as connection:
            connection.execute(sa.insert(DataKey), keys)
            connection.execute(sa.insert(Registrant), people)
            connection.execute(sa.insert(RegistrantIdentifier), idents)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("data_keys", "registrants", "registrant_identifiers"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return values


def decrypt_all(engine: sa.Engine, vault: Vault) -> dict[str, dict[str, str | None]]:
    out = {}
    query = sa.select(
        Registrant.public_id,
        DataKey.uid,
        DataKey.kek_id,
        DataKey.wrapped,
        *[getattr(Registrant, f"{f}_enc") for f in FIELDS],
    ).join(DataKey, DataKey.id == Registrant.data_key_id)
    with engine.connect() as connection:
        for row in connection.execute(query):
            key = vault.unwrap(row.uid, row.kek_id, row.wrapped)
            out[row.public_id] = {
                f: vault.decrypt(
                    key,
                    key_uid=row.uid,
                    table="registrants",
                    column=f,
                    row=row.public_id,
                    blob=getattr(row, f"{f}_enc"),
                )
                for f in FIELDS
            }
    return out
