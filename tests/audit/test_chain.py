"""The audit trail is a hash chain: edits, deletions and a cut tail are found and
named; concurrent writers never fork it (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.models import AuditEvent
from itworks.services import audit


def _add(session: Session, n: int) -> None:
    for i in range(n):
        audit.record(
            session, "test.event", actor_label="tester", entity_type="thing", entity_id=f"t{i}", n=i
        )
        session.commit()


def test_intact_chain_verifies(session) -> None:
    _add(session, 5)
    report = audit.verify(session)
    assert report.ok, report.problems
    assert report.entries == session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    seqs = session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))


def test_edited_entry_is_named(session) -> None:
    _add(session, 5)
    target = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == "t2"))
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(actor="someone"))
    session.commit()
    report = audit.verify(session)
    assert not report.ok
    assert [(p.kind, p.seq) for p in report.problems] == [("edited", target.seq)]


def test_edited_detail_is_found(session) -> None:
    _add(session, 3)
    target = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == "t1"))
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == target.id).values(detail={"n": 99})
    )
    session.commit()
    assert [p.seq for p in audit.verify(session).problems] == [target.seq]


def test_deleted_entry_is_named(session) -> None:
    _add(session, 5)
    target = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == "t2"))
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == target.id))
    session.commit()
    problems = audit.verify(session).problems
    assert [(p.kind, p.seq) for p in problems] == [("missing", target.seq)]
    assert f"seq {target.seq}" in problems[0].message


def test_rehashed_edit_is_still_found_by_the_next_link(session) -> None:
    """Recomputing an edited entry's own hash breaks the link of the entry after it."""
    from itworks.models.audit import entry_hash

    _add(session, 4)
    target = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == "t1"))
    target.actor = "forger"
    target.hash = entry_hash(target.chain_fields(), target.prev_hash)
    session.commit()
    problems = audit.verify(session).problems
    assert [(p.kind, p.seq) for p in problems] == [("link", target.seq + 1)]


def test_cut_tail_is_found(session) -> None:
    _add(session, 4)
    last = session.scalar(sa.select(sa.func.max(AuditEvent.seq)))
    session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == last))
    session.commit()
    problems = audit.verify(session).problems
    assert [p.kind for p in problems] == ["truncated"]


def test_cli_verify_exit_codes(runner, session) -> None:
    _add(session, 3)
    result = runner.invoke(["audit", "verify"])
    assert result.exit_code == 0, result.output
    target = session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_id == "t1"))
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(action="x"))
    session.commit()
    result = runner.invoke(["audit", "verify"])
    assert result.exit_code == 1
    assert f"seq {target.seq}" in result.output


def test_concurrent_writers_do_not_fork_the_chain(app, session) -> None:
    from itworks.db import db

    with app.app_context():
        engine = db.engine
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(k: int) -> None:
        try:
            start.wait()
            with Session(engine) as own:
                for i in range(15):
                    audit.record(own, "test.concurrent", actor_label=f"w{k}", entity_id=f"{k}-{i}")
                    own.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "test.concurrent")
        )
        == 60
    )
    report = audit.verify(session)
    assert report.ok, report.problems
    seqs = session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))


def test_migration_chains_existing_entries(tmp_path) -> None:
    from sqlalchemy.orm import Session as PlainSession

    from itworks.database import upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(url)
    upgrade(engine, "0007")
    with engine.begin() as connection:
        for n in range(1, 4):
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, "
                    "detail) VALUES (:id, :at, 'old', 'login', NULL, NULL, :detail)"
                ),
                {"id": n, "at": f"2022-06-0{n} 01:02:03.000004", "detail": f'{{"k": {n}}}'},
            )
    upgrade(engine)
    with PlainSession(engine) as own:
        assert audit.verify(own).ok
        audit.record(own, "after.upgrade", actor_label="new")
        own.commit()
        report = audit.verify(own)
        assert report.ok and report.entries == 4
        own.execute(sa.update(AuditEvent).where(AuditEvent.id == 2).values(actor="x"))
        own.commit()
        assert [p.seq for p in audit.verify(own).problems] == [2]
    engine.dispose()
