"""The batched registrant import keeps the per-row guarantees: a re-run imports
nothing twice, a bad row costs only itself, an interruption loses nothing that was
reported as imported, and the parallel path writes exactly what the serial one does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

HEADER = "氏名,フリガナ,メールアドレス,電話番号,都道府県,登録日,流入経路\n"


def line(n: int, *, email: str | None = None, phone: str | None = None) -> str:
    email = email or f"batch{n}@example.jp"
    phone = phone if phone is not None else f"080-2000-{n:04d}"
    return f"テスト {n},テスト,{email},{phone},東京都,2022-06-01,src{n % 3}"


def csv_bytes(lines: list[str]) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def small_batches(monkeypatch):  # noqa: ANN001, ANN201
    from itworks.services.intake import registrant_import as imports

    monkeypatch.setattr(imports, "BATCH_ROWS", 4)
    return 4


@pytest.fixture
def run(app):  # noqa: ANN001, ANN201
    from itworks.db import db
    from itworks.services.intake import registrant_import as imports

    def run(data, **options):  # noqa: ANN001, ANN202
        with app.app_context():
            return imports.import_registrants(
                db.session, app.extensions["itworks.vault"], data, **options
            )

    return run


def counts(session) -> dict[str, int]:  # noqa: ANN001
    from itworks.models import DataKey, Registrant, RegistrantIdentifier, UtmTouch

    session.rollback()
    return {
        model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Registrant, DataKey, RegistrantIdentifier, UtmTouch)
    }


def test_a_rerun_imports_nothing_twice(run, session, small_batches) -> None:
    # 10 people over three batches, with a duplicate inside a batch (row 3 = row 1 by
    # email), one across batches (row 9 = row 2 by phone) and a normalised email.
    lines = [line(n) for n in range(10)]
    lines[3] = line(3, email="ＢＡＴＣＨ1@example.jp")
    lines[9] = line(9, phone="０８０－２０００－０００２")
    first = run(csv_bytes(lines))
    assert (first.imported, first.duplicates, first.rejected) == (8, 2, 0)
    after_first = counts(session)
    assert after_first["registrants"] == after_first["data_keys"] == 8
    assert after_first["registrant_identifiers"] == 16
    # the duplicates' arrivals differ from the first (another source): each is a touch
    assert after_first["utm_touches"] == 10

    again = run(csv_bytes(lines))
    assert (again.imported, again.duplicates, again.rejected) == (0, 10, 0)
    assert counts(session) == after_first


def test_a_bad_row_is_reported_with_line_and_field_and_keeps_the_good_rows(
    run, session, small_batches
) -> None:
    lines = [line(n) for n in range(6)]
    lines[1] = line(1, email="not-an-email")  # file line 3, inside the first batch
    lines[4] = line(4, phone="12-34")  # file line 6, inside the second batch
    summary = run(csv_bytes(lines))
    assert (summary.imported, summary.rejected) == (4, 2)
    assert [(e.row, e.field) for e in summary.errors] == [(3, "email"), (6, "phone")]
    assert counts(session)["registrants"] == 4
    assert summary.exit_code == 1


class Stop(Exception):
    pass


def test_an_interruption_loses_no_row_reported_as_imported(run, session, small_batches) -> None:
    from itworks.models import DataKey, Registrant

    reported: list[int] = []

    def progress(done: int) -> None:
        reported.append(done)
        if len(reported) == 2:
            raise Stop  # e.g. Ctrl-C after the second batch was reported

    lines = [line(n) for n in range(11)]
    with pytest.raises(Stop):
        run(csv_bytes(lines), progress=progress)
    assert reported == [4, 8]
    assert counts(session)["registrants"] == 8  # every reported row, whole
    orphans = session.scalar(
        sa.select(sa.func.count(Registrant.id)).where(
            ~Registrant.identifiers.any() | ~sa.exists().where(DataKey.id == Registrant.data_key_id)
        )
    )
    assert orphans == 0
    resumed = run(csv_bytes(lines))
    assert (resumed.imported, resumed.duplicates) == (3, 8)
    assert counts(session)["registrants"] == 11


def test_a_row_that_fails_to_write_rolls_back_only_its_batch(
    run, session, small_batches, monkeypatch
) -> None:
    from itworks.services.intake import registrant_import as imports

    calls = {"n": 0}
    original = imports._Writer._write

    def failing(self, good):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")  # midway through the second batch
        return original(self, good)

    monkeypatch.setattr(imports._Writer, "_write", failing)
    with pytest.raises(RuntimeError):
        run(csv_bytes([line(n) for n in range(10)]))
    assert counts(session)["registrants"] == 4  # the first batch, committed


def test_a_digest_held_by_a_merged_registrant_rejects_only_that_row(
    run, session, small_batches
) -> None:
    from itworks.models import Registrant

    run(csv_bytes([line(0), line(1)]))
    session.rollback()
    first, second = session.scalars(sa.select(Registrant).order_by(Registrant.id)).all()
    second.merged_into_id = first.id  # a merged duplicate keeps its identifiers
    session.commit()
    # batch1 row 1 reuses the merged row's email: not a live match, and its
    # identifier cannot be stored twice
    summary = run(csv_bytes([line(5), line(1, phone=""), line(6)]))
    assert (summary.imported, summary.rejected) == (2, 1)
    assert [(e.row, e.field) for e in summary.errors] == [(3, "email")]
    assert counts(session)["registrants"] == 4


def test_the_parallel_path_writes_what_the_serial_path_writes(app, run, session) -> None:
    from itworks.extensions import vault as vault_of
    from itworks.models import Registrant
    from itworks.services.intake import registrants

    lines = [line(n) for n in range(30)]
    lines[20] = line(20, email="batch3@example.jp")  # a duplicate across batches
    lines[7] = line(7, email="broken")
    from itworks.services.intake import registrant_import as imports

    imports_batch = imports.BATCH_ROWS
    try:
        imports.BATCH_ROWS = 5
        summary = run(csv_bytes(lines), workers=2)
    finally:
        imports.BATCH_ROWS = imports_batch
    assert (summary.imported, summary.duplicates, summary.rejected) == (28, 1, 1)
    assert [(e.row, e.field) for e in summary.errors] == [(9, "email")]
    session.rollback()
    with app.app_context():
        vault = vault_of()
        people = session.scalars(sa.select(Registrant).order_by(Registrant.id)).all()
        names = [registrants.decrypt_fields(vault, p)[0]["name"] for p in people]
    assert len(set(p.public_id for p in people)) == 28
    assert names[:3] == ["テスト 0", "テスト 1", "テスト 2"]
    assert all(p.source == "import" and p.consent_notice_version for p in people)


def test_a_path_is_read_as_a_stream_in_its_encoding(run, session, tmp_path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(csv_bytes([line(n) for n in range(3)]).decode().encode("cp932"))
    summary = run(path)
    assert (summary.imported, summary.encoding) == (3, "cp932")


def test_a_batch_is_audited_with_public_ids_only(run, session, small_batches) -> None:
    from itworks.models import AuditEvent, Registrant

    run(csv_bytes([line(n) for n in range(6)]))
    session.rollback()
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "registrant.create")
    ).all()
    assert [e.detail["count"] for e in events] == [4, 2]
    ids = {pid for e in events for pid in e.detail["public_ids"]}
    assert ids == set(session.scalars(sa.select(Registrant.public_id)))
    assert all("@" not in str(e.detail) for e in events)
