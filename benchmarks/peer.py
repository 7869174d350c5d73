"""The peer: the obvious alternative a developer would write, and the limit.

* Peer: SQLAlchemy ORM with sqlalchemy-utils ``StringEncryptedType(..., AesGcmEngine)``
  columns (one application key, encryption in the column type), the CSV read with
  the ``csv`` module, rows added by ORM bulk insert in one transaction; its export
  loads every row through the ORM (decrypting in the type) and writes a CSV.
* Limit: the same rows pre-encrypted with the service's crypto, written by raw
  ``sqlite3.executemany`` into the service's own tables (data key, registrant, blind
  indexes) in one transaction: what the storage alone can take.

Run the peer in its own process, as the service's CLI runs:
``python -m benchmarks.peer import FILE.csv DB.sqlite`` and
``python -m benchmarks.peer export DB.sqlite OUT.csv``; each prints the row count.
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy_utils import StringEncryptedType
from sqlalchemy_utils.types.encrypted.encrypted_type import AesGcmEngine

from itworks.fiscal import JST

PEER_KEY = "benchmark-peer-application-key"
BATCH = 5000
HEADER = ("氏名", "フリガナ", "メールアドレス", "電話番号", "勤務先", "都道府県", "生年",
          "登録日", "流入経路", "medium", "キャンペーン")  # fmt: skip


class PeerBase(DeclarativeBase):
    pass


def _secret(length: int) -> StringEncryptedType:
    return StringEncryptedType(sa.Unicode(length), PEER_KEY, AesGcmEngine)


class PeerRegistrant(PeerBase):
    __tablename__ = "peer_registrants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(_secret(100))
    name_kana: Mapped[str | None] = mapped_column(_secret(100))
    email: Mapped[str] = mapped_column(_secret(254))
    phone: Mapped[str | None] = mapped_column(_secret(32))
    employer: Mapped[str | None] = mapped_column(_secret(200))
    residence_prefecture: Mapped[str | None] = mapped_column(sa.String(8))
    birth_year: Mapped[int | None] = mapped_column()
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    utm_source: Mapped[str | None] = mapped_column(sa.String(200))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(200))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(200))


def _row(values: dict[str, str]) -> dict:
    return {
        "name": values["氏名"],
        "name_kana": values["フリガナ"] or None,
        "email": values["メールアドレス"],
        "phone": values["電話番号"] or None,
        "employer": values["勤務先"] or None,
        "residence_prefecture": values["都道府県"] or None,
        "birth_year": int(values["生年"]) if values["生年"] else None,
        "registered_at": datetime.strptime(values["登録日"], "%Y/%m/%d %H:%M").replace(tzinfo=JST),
        "utm_source": values["流入経路"] or None,
        "utm_medium": values["medium"] or None,
        "utm_campaign": values["キャンペーン"] or None,
    }


def peer_import(csv_path: str, db_path: str) -> int:
    engine = sa.create_engine(f"sqlite:///{db_path}")
    PeerBase.metadata.create_all(engine)
    count = 0
    with Session(engine) as session, open(csv_path, encoding="utf-8-sig", newline="") as handle:
        batch = []
        for values in csv.DictReader(handle):
            batch.append(_row(values))
            if len(batch) == BATCH:
                session.execute(sa.insert(PeerRegistrant), batch)
                count += len(batch)
                batch = []
        if batch:
            session.execute(sa.insert(PeerRegistrant), batch)
            count += len(batch)
        session.commit()
    engine.dispose()
    return count


def peer_export(db_path: str, out_path: str) -> int:
    engine = sa.create_engine(f"sqlite:///{db_path}")
    count = 0
    columns = [c.key for c in PeerRegistrant.__table__.columns]
    with Session(engine) as session, open(out_path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        query = sa.select(PeerRegistrant).order_by(PeerRegistrant.registered_at)
        for person in session.scalars(query.execution_options(yield_per=500)):
            writer.writerow([getattr(person, c) for c in columns])
            count += 1
    engine.dispose()
    return count


def limit_insert(db_path: str, tables: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """Seconds to executemany the pre-encrypted rows into ``db_path`` and commit."""
    connection = sqlite3.connect(db_path)
    try:
        started = time.perf_counter()
        for table, (columns, rows) in tables.items():
            marks = ", ".join("?" for _ in columns)
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                rows,
            )
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


def main(argv: list[str]) -> int:
    command, source, target = argv
    count = peer_import(source, target) if command == "import" else peer_export(source, target)
    print(count)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
