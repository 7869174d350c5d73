"""`itworks export registrants` writes the same values the registrant pages decrypt:
plain rows streamed with their data key, checked against the ORM path row by row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import sqlalchemy as sa

from itworks.models import PERSONAL_FIELDS, Registrant, TierAssignment
from itworks.services.intake import exports, registrants


def test_every_column_matches_the_orm_path_with_erased_unreadable_and_tiered(
    app, session, make_registrant
) -> None:
    from itworks.extensions import vault
    from itworks.services.privacy import erasure

    plain = make_registrant(name="出力 一郎", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    gone = make_registrant(name="削除 二郎", registered_at=datetime(2022, 5, 2, tzinfo=UTC))
    broken = make_registrant(name="破損 三郎", registered_at=datetime(2022, 5, 3, tzinfo=UTC))
    tiered = make_registrant(name="確定 四郎", registered_at=datetime(2022, 5, 3, tzinfo=UTC))
    with app.app_context():
        keys = vault()
    erasure.erase(session, keys, gone, actor_label="test")
    rows = {r.public_id: r for r in session.scalars(sa.select(Registrant))}
    damaged = bytearray(rows[broken].employer_enc)
    damaged[-1] ^= 1
    rows[broken].employer_enc = bytes(damaged)
    session.add(
        TierAssignment(
            registrant_id=rows[tiered].id,
            tier="few_years",
            method="import",
            assigned_at=datetime(2022, 6, 1, tzinfo=UTC),
        )
    )
    session.commit()

    out = io.StringIO()
    count = exports.export_registrants(session, keys, out, actor_label="test")
    written = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))

    assert count == len(written) == 4
    assert [r["public_id"] for r in written] == [plain, gone, broken, tiered]
    for line in written:
        row = session.scalar(sa.select(Registrant).where(Registrant.public_id == line["public_id"]))
        values, unreadable = registrants.decrypt_fields(keys, row)
        for name in PERSONAL_FIELDS:
            expected = "#UNREADABLE" if name in unreadable else (values[name] or "")
            assert line[name] == expected, (line["public_id"], name)
        assert line["registered_at"] == row.registered_at.isoformat()
        assert line["birth_year"] == str(row.birth_year or "")
        assert line["utm_source"] == (row.utm_source or "")
        assert line["consent_at"] == (row.consent_at.isoformat() if row.consent_at else "")
    by_id = {r["public_id"]: r for r in written}
    assert by_id[plain]["name"] == "出力 一郎"
    assert by_id[gone]["erased"] == "yes" and by_id[gone]["name"] == ""
    assert by_id[broken]["employer"] == "#UNREADABLE"
    assert by_id[broken]["name"] == "破損 三郎"
    assert (by_id[tiered]["tier"], by_id[tiered]["tier_method"]) == ("few_years", "import")
    assert by_id[plain]["tier"] == ""
