"""The events and invitations pages with the Flask client: prefecture staff get 403,
a coordinator creates an event, signs people up, marks attendance by CSV, builds an
audience (pre-filled from the tier list's link), sees its count and a sample, sends,
and the outbox holds one message per invitee in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
import sqlalchemy as sa

from itworks.models import Invitation, InvitationBatch, OutboxMessage, TierAssignment
from testsupport import PASSWORD, csrf_token

FUTURE = datetime(2030, 12, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    "path",
    [
        "/events/",
        "/events/new",
        "/events/{event}",
        "/events/{event}/attendance-template.csv",
        "/invitations/",
        "/invitations/new?tier=move_now",
        "/invitations/conversion.csv",
    ],
)
def test_prefecture_staff_get_403(client, auth, make_event, path) -> None:
    event = make_event()
    auth.login("pref", PASSWORD, role="prefecture")
    assert client.get(path.format(event=event.public_id)).status_code == 403


def test_prefecture_cannot_post_either(client, auth, make_event, registrant) -> None:
    event = make_event()
    person = registrant()
    auth.login("pref", PASSWORD, role="prefecture")
    token = csrf_token(client.get("/").text)
    for path in (f"/events/{event.public_id}/signups", "/invitations/send", "/events/new"):
        response = client.post(path, data={"csrf_token": token, "registrant": person.public_id})
        assert response.status_code == 403, path


def test_a_coordinator_creates_an_event_and_bad_input_names_the_field(client, auth) -> None:
    auth.login("coord1", PASSWORD, role="coordinator")
    page = client.get("/events/new")
    token = csrf_token(page.text)
    bad = client.post(
        "/events/new",
        data={
            "csrf_token": token,
            "kind": "fair",
            "name": "第1回フェア",
            "starts": "2030-07-09T13:00",
        },
    )
    assert bad.status_code == 422
    assert "回数（1〜3）" in bad.text and 'value="第1回フェア"' in bad.text  # input kept
    good = client.post(
        "/events/new",
        data={
            "csrf_token": token,
            "kind": "company_exchange",
            "name": "県内IT企業との交流会",
            "starts": "2030-07-09T13:00",
            "capacity": "30",
            "online": "1",
        },
    )
    assert good.status_code == 302
    listing = client.get("/events/?fy=2030")
    assert "県内IT企業との交流会" in listing.text and "オンライン" in listing.text


def test_sign_ups_waiting_list_and_csv_attendance_on_the_page(
    client, auth, session, make_event, registrant
) -> None:
    event = make_event(capacity=1, starts=datetime(2022, 7, 2, 4, tzinfo=UTC))
    first, second = registrant(name="申込 一郎"), registrant()
    auth.login("coord2", PASSWORD, role="coordinator")
    token = csrf_token(client.get(f"/events/{event.public_id}").text)
    for person in (first, second):
        client.post(
            f"/events/{event.public_id}/signups",
            data={"csrf_token": token, "registrant": person.public_id},
        )
    page = client.get(f"/events/{event.public_id}")
    assert "申込 一郎" in page.text and "キャンセル待ち" in page.text
    bad = client.post(
        f"/events/{event.public_id}/attendance.csv",
        data={
            "csrf_token": token,
            "file": (BytesIO(f"public_id,attended\n{first.public_id},maybe\n".encode()), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "2行目" in bad.text and "attended" in bad.text
    good = client.post(
        f"/events/{event.public_id}/attendance.csv",
        data={
            "csrf_token": token,
            "file": (BytesIO(f"public_id,attended\n{first.public_id},参加\n".encode()), "a.csv"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "参加 1 人" in good.text
    template = client.get(f"/events/{event.public_id}/attendance-template.csv")
    assert template.data.decode("utf-8-sig").splitlines() == [
        "public_id,attended",
        f"{first.public_id},attended",
    ]


@pytest.fixture
def audience_people(session, registrant):  # noqa: ANN001, ANN201
    """Five people of the move_now tier: two invitable, one of each always excluded."""
    names = ("in1", "in2", "opted_out", "stopped", "erased")
    people = {name: registrant() for name in names}
    people["other_tier"] = registrant()
    for name, row in people.items():
        session.add(
            TierAssignment(
                registrant_id=row.id,
                tier="few_years" if name == "other_tier" else "move_now",
                method="coordinator",
                assigned_at=datetime(2022, 9, 1, tzinfo=UTC),
            )
        )
    now = datetime(2022, 10, 1, tzinfo=UTC)
    people["opted_out"].mail_opt_out_at = now
    people["stopped"].use_stopped_at = now
    people["erased"].erased_at = now
    session.commit()
    return people


def test_the_invitation_flow_counts_sends_and_queues_the_mail(
    client, auth, session, make_event, audience_people
) -> None:
    event = make_event(starts=FUTURE)
    auth.login("coord3", PASSWORD, role="coordinator")
    # The tier list's link pre-fills the filter.
    form = client.get("/invitations/new?tier=move_now")
    assert form.status_code == 200
    assert '<option value="move_now" selected>' in form.text
    counted = client.get(f"/invitations/new?tier=move_now&event={event.public_id}")
    assert "対象者: 2 人" in counted.text
    wanted = {audience_people["in1"].public_id, audience_people["in2"].public_id}
    for name in ("opted_out", "stopped", "erased", "other_tier"):
        assert audience_people[name].public_id not in counted.text
    for public_id in wanted:
        assert public_id in counted.text  # the sample (all of them, when so few)
    sent = client.post(
        "/invitations/send",
        data={"csrf_token": csrf_token(counted.text), "event": event.public_id, "tier": "move_now"},
    )
    assert sent.status_code == 302
    session.commit()
    batch = session.scalar(sa.select(InvitationBatch))
    assert batch.filter == {"tier": "move_now"} and batch.audience_size == 2
    invited = session.scalars(sa.select(Invitation)).all()
    messages = session.scalars(sa.select(OutboxMessage)).all()
    assert {i.registrant.public_id for i in invited} == wanted
    assert sorted(m.id for m in messages) == sorted(i.message_id for i in invited)
    assert {(m.status, m.template) for m in messages} == {("queued", "event_invitation")}
    detail = client.get(sent.headers["Location"])
    assert detail.status_code == 200 and "直ぐに島根へUIターンしたい" in detail.text
    # Already invited: nobody is left, and sending again is refused with the reason.
    again = client.get(f"/invitations/new?tier=move_now&event={event.public_id}")
    assert "対象者: 0 人" in again.text
    refused = client.post(
        "/invitations/send",
        data={"csrf_token": csrf_token(again.text), "event": event.public_id, "tier": "move_now"},
    )
    assert refused.status_code == 409 and "招待対象者がいません" in refused.text
    session.commit()
    assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 2
    listing = client.get("/invitations/")
    assert listing.status_code == 200 and "全ティア" in listing.text


def test_a_bad_filter_names_the_field(client, auth, make_event, audience_people) -> None:
    event = make_event(starts=FUTURE)
    auth.login("coord4", PASSWORD, role="coordinator")
    page = client.get(f"/invitations/new?tier=someday&age_band=99&event={event.public_id}")
    assert page.status_code == 200
    assert page.text.count('class="field-error"') == 2
    assert "対象者:" not in page.text
