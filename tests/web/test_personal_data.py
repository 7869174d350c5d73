"""Personal values never reach the database file, the logs or the audit trail
in clear. Seeded through the demo (the same services as real data), then searched for."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from itworks.japanese import display_phone
from testsupport import PASSWORD


@pytest.fixture
def seeded(app, session, caplog):  # noqa: ANN001, ANN201
    """Load demo registrants and return every personal value they hold, in clear."""
    from itworks.demo import demo
    from itworks.extensions import link_signer, vault
    from itworks.models import Registrant
    from itworks.services.intake import arrivals, registrants

    caplog.set_level(logging.DEBUG)
    with app.app_context():
        notice = arrivals.Notice(
            app.config["PRIVACY_NOTICE_VERSION"], app.config["PRIVACY_NOTICE_TEXT"]
        )
        demo.load(session, vault(), link_signer(), notice, count=30)
        values: set[str] = set()
        for row in session.scalars(sa.select(Registrant)):
            personal, unreadable = registrants.decrypt_fields(vault(), row)
            assert unreadable == []
            values.update(v for v in personal.values() if v)
            # Surnames and given names on their own, and the phone digits.
            values.update(part for part in (personal["name"] or "").split() if len(part) >= 2)
            if personal["phone"]:
                values.add(personal["phone"].removeprefix("+81"))
                values.add(display_phone(personal["phone"]))  # as coordinators see it
    assert len(values) > 60
    return values


def _needles(values: set[str]) -> list[bytes]:
    # UTF-16 too, in case a driver stored text that way; short values only in
    # UTF-8, where a chance match in random ciphertext is negligible.
    return [v.encode("utf-8") for v in values] + [
        v.encode("utf-16-le") for v in values if len(v) >= 4
    ]


def test_sqlite_file_wal_and_journal_hold_no_personal_value(
    app, instance: Path, database_url: str, seeded: set[str], client, auth
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite file check; the PostgreSQL variant is below")
    auth.login("coord", PASSWORD, role="coordinator")
    client.get("/registrants/")  # decrypting must not write clear text back anywhere
    files = [p for p in instance.glob("itworks.db*") if p.is_file()]
    assert any(p.name == "itworks.db" for p in files)
    blob = b"".join(p.read_bytes() for p in files)
    found = [n for n in _needles(seeded) if n in blob]
    assert found == []


@pytest.mark.postgres
def test_postgres_dump_and_raw_select_hold_no_personal_value(
    app, database_url: str, seeded: set[str], session
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs the PostgreSQL run (ITWORKS_TEST_DATABASE_URL)")
    url = sa.engine.make_url(database_url)
    rows = session.execute(sa.text("SELECT r::text FROM registrants r")).scalars().all()
    raw = "\n".join(rows)
    assert len(rows) == 30
    assert [v for v in seeded if v in raw] == []
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed for this check"
    dump = subprocess.run(
        [
            pg_dump,
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "--data-only",
            url.database,
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert b"registrants" in dump
    assert [n for n in _needles(seeded) if n in dump] == []


def test_logs_and_audit_trail_hold_no_personal_value(
    app, seeded: set[str], client, auth, session, caplog
) -> None:
    from itworks.models import AuditEvent, Registrant

    auth.login("coord", PASSWORD, role="coordinator")
    ids = session.scalars(sa.select(Registrant.public_id).limit(5)).all()
    client.get("/registrants/")
    for public_id in ids:
        client.get(f"/registrants/{public_id}")
    session.rollback()  # end the read snapshot taken above, to see the requests' writes
    audit_text = " ".join(
        f"{e.actor} {e.action} {e.entity_id} {e.detail}"
        for e in session.scalars(sa.select(AuditEvent))
    )
    assert "registrant.view" in audit_text
    assert [v for v in seeded if v in audit_text] == []
    assert [v for v in seeded if v in caplog.text] == []


def test_urls_carry_only_random_ids(app, seeded: set[str], client, auth) -> None:
    auth.login("coord", PASSWORD, role="coordinator")
    listing = client.get("/registrants/").text
    hrefs = [part.split('"')[0] for part in listing.split('href="')[1:]]
    assert any(h.startswith("/registrants/") for h in hrefs)
    assert [h for h in hrefs for v in seeded if v in h] == []
