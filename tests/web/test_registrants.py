"""Coordinators' registrant pages, decryption failures, erasure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD


def login_coordinator(auth) -> None:
    auth.login("coord", PASSWORD, role="coordinator")


def test_list_and_detail_show_decrypted_fields(client, auth, make_registrant) -> None:
    public_id = make_registrant(
        name="出雲 大社", email="izumo@example.jp", phone="０９０－１１１１－２２２２"
    )
    login_coordinator(auth)
    listing = client.get("/registrants/")
    assert "出雲 大社" in listing.text and public_id in listing.text
    detail = client.get(f"/registrants/{public_id}")
    assert detail.status_code == 200
    assert "izumo@example.jp" in detail.text
    # Stored normalised (E.164), shown the way Japanese staff read it.
    assert "090-1111-2222" in detail.text
    assert "+819011112222" not in detail.text
    assert "令和4年度" in detail.text  # fiscal year beside the date
    assert "<title>登録者詳細 — IT WORKS@島根</title>" in detail.text


def test_every_view_of_personal_data_is_audited(client, auth, make_registrant, session) -> None:
    from itworks.models import AuditEvent

    public_id = make_registrant()
    login_coordinator(auth)
    client.get("/registrants/")
    client.get(f"/registrants/{public_id}")
    actions = session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor, AuditEvent.entity_id).where(
            AuditEvent.action.like("registrant.%")
        )
    ).all()
    assert ("registrant.view", "coord", public_id) in actions
    assert any(a == "registrant.list" and who == "coord" for a, who, _ in actions)


def test_unknown_public_id_is_404(client, auth) -> None:
    login_coordinator(auth)
    assert client.get("/registrants/nope").status_code == 404


def test_public_ids_are_random_not_row_numbers(make_registrant) -> None:
    ids = [make_registrant() for _ in range(3)]
    assert len(set(ids)) == 3
    assert all(len(i) >= 20 and i.isalnum() and not i.isdigit() for i in ids)


def test_flipped_byte_in_the_database_shows_a_clear_error_not_data(
    client, auth, make_registrant, session
) -> None:
    from itworks.models import Registrant

    public_id = make_registrant(name="松江 城", email="matsue@example.jp")
    row = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    damaged = bytearray(row.email_enc)
    damaged[20] ^= 0x40
    row.email_enc = bytes(damaged)
    session.commit()
    login_coordinator(auth)
    page = client.get(f"/registrants/{public_id}")
    assert page.status_code == 200
    assert "復号できません" in page.text
    assert "matsue@example.jp" not in page.text
    assert "松江 城" in page.text  # the undamaged fields still read


def test_ciphertext_copied_to_another_row_does_not_decrypt(
    client, auth, make_registrant, session
) -> None:
    from itworks.models import Registrant

    first = make_registrant(name="一人目 太郎")
    second = make_registrant(name="二人目 次郎")
    rows = {
        r.public_id: r
        for r in session.scalars(
            sa.select(Registrant).where(Registrant.public_id.in_([first, second]))
        )
    }
    rows[second].name_enc = rows[first].name_enc
    session.commit()
    login_coordinator(auth)
    page = client.get(f"/registrants/{second}")
    assert "一人目" not in page.text
    assert "復号できません" in page.text


def test_erasure_shreds_the_data_key_and_keeps_the_facts(
    client, auth, make_registrant, session, app
) -> None:
    from itworks.models import DataKey, Registrant
    from itworks.services.intake import registrants

    public_id = make_registrant(name="削除 希望", registered_at=datetime(2022, 5, 1, tzinfo=UTC))
    registrants.erase(session, public_id, actor_label="test")
    row = session.scalar(sa.select(Registrant).where(Registrant.public_id == public_id))
    key = session.get(DataKey, row.data_key_id)
    assert key.wrapped is None and key.destroyed_at is not None
    assert row.name_enc is None and row.identifiers == []
    assert row.registered_at.year == 2022 and row.origin == "u_turn"
    login_coordinator(auth)
    page = client.get(f"/registrants/{public_id}")
    assert page.status_code == 200 and "削除済み" in page.text and "削除 希望" not in page.text


def test_list_paginates(client, auth, make_registrant, app) -> None:
    app.config["PAGE_SIZE"] = 2
    for _ in range(5):
        make_registrant()
    login_coordinator(auth)
    page = client.get("/registrants/?page=3")
    assert "3 / 3" in page.text
    assert client.get("/registrants/?page=abc").status_code == 200


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "1000001"])
def test_an_impossible_page_number_is_refused_not_a_500(client, auth, page) -> None:
    login_coordinator(auth)
    assert client.get(f"/registrants/?page={page}").status_code == 400


def test_a_page_past_the_end_is_empty_not_an_error(client, auth) -> None:
    login_coordinator(auth)
    assert client.get("/registrants/?page=1000000").status_code == 200
