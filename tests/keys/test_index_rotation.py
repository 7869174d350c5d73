"""Blind-index key rotation: every look-up index recomputed from the decrypted
value under the new key, resumable, the old key retired at the end."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from keysupport import add_registrants

from itworks import crypto, japanese
from itworks.models import KeyCheck, RegistrantIdentifier, Setting
from itworks.services.intake import registrants
from itworks.services.keys import rotation


def _digests(session) -> set[str]:  # noqa: ANN001
    session.rollback()  # a fresh snapshot: the command ran in another session
    return set(session.scalars(sa.select(RegistrantIdentifier.digest)))


def test_rotate_index_recomputes_every_index(runner, instance, make_registrant, session) -> None:
    ids = [make_registrant(phone=f"090-1234-{n:04d}") for n in range(1, 4)]
    before = _digests(session)
    result = runner.invoke(["keys", "rotate-index"])
    assert result.exit_code == 0, result.output
    new_vault = crypto.load_vault(instance / "keys")
    assert new_vault.index_key_ids == ("b2",)
    after = _digests(session)
    assert len(after) == len(before) == 6 and not (after & before)
    # Look-ups work with the new key alone: the duplicate check still recognises people.
    for n, public_id in enumerate(ids, start=1):
        found = registrants.find_existing(session, new_vault, f"taro{n}@example.jp", None)
        assert found is not None and found.public_id == public_id
        found = registrants.find_existing(
            session, new_vault, None, japanese.normalize_phone(f"090-1234-{n:04d}")
        )
        assert found is not None and found.public_id == public_id
    checks = set(
        session.scalars(sa.select(KeyCheck.key_id).where(KeyCheck.purpose == "blind_index"))
    )
    assert checks == {"b2"}
    assert session.get(Setting, rotation.INDEX_CURSOR) is None


def test_the_app_starts_after_index_rotation(runner, instance, app, make_registrant) -> None:
    from itworks import create_app

    make_registrant(phone="090-1234-5678")
    assert runner.invoke(["keys", "rotate-index"]).exit_code == 0
    fresh = create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": app.config["DATABASE_URL"]})
    assert fresh.extensions["itworks.vault"].index_key_id == "b2"
    from itworks.db import db

    with fresh.app_context():
        db.engine.dispose()


def test_interrupted_index_rotation_resumes(instance, engine, vault, session) -> None:
    values = add_registrants(engine, vault, 25)

    class Crash(Exception):
        pass

    def crash_after_two_batches(done: int) -> None:
        if done >= 10:
            raise Crash

    with pytest.raises(Crash):
        rotation.rotate_index(
            session, instance / "keys", environ={}, batch=5, progress=crash_after_two_batches
        )
    session.rollback()
    assert int(session.get(Setting, rotation.INDEX_CURSOR).value) > 0
    mid = crypto.load_vault(instance / "keys")
    assert mid.index_key_ids == ("b2", "b1")  # old key kept until the end
    change = rotation.rotate_index(session, instance / "keys", environ={}, batch=5)
    assert change.resumed and change.registrants == 15
    final = crypto.load_vault(instance / "keys")
    assert final.index_key_ids == ("b2",)
    expected = {final.blind_index("email", v["email"]) for v in values.values()}
    assert _digests(session) == expected


def test_stale_index_is_dropped(runner, make_registrant, session) -> None:
    make_registrant(phone="090-1234-5678")
    row = session.scalar(
        sa.select(RegistrantIdentifier).where(RegistrantIdentifier.kind == "phone")
    )
    row.digest = "f" * 64  # an index of a value the person no longer holds
    session.commit()
    result = runner.invoke(["keys", "rotate-index"])
    assert result.exit_code == 0 and "1 stale indexes dropped" in result.output
    session.rollback()
    assert session.scalar(sa.select(sa.func.count(RegistrantIdentifier.id))) == 1
