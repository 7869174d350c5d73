"""Every route of the app, for every kind of caller: anonymous, prefecture staff,
coordinator, admin, an intake token and a read token.

The expected answer comes from ACCESS below, one entry per (endpoint, method). A
route added without an entry fails ``test_every_route_is_in_the_table``, so none
can be added unclassified. Responses to prefecture staff, read tokens and
anonymous callers are searched for the personal values seeded here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from testsupport import PASSWORD, csrf_token

STAFF = ("admin", "coordinator", "prefecture")
PERSONAL = ("admin", "coordinator")
ADMIN = ("admin",)
PUBLIC = "public"  # no login: the login page, survey and invitation links, the API document
INTAKE = "intake"  # the JSON API with an intake token
READ = "read"  # the JSON API with a read token (or any staff session)

# (endpoint, method) → who may use it. GETs by someone allowed must answer 200
# unless EXPECTED_GET says otherwise; POSTs (with a CSRF token, empty form) must
# get past the role check (no 401/403) and never give a 5xx.
ACCESS: dict[tuple[str, str], object] = {
    ("main.dashboard", "GET"): STAFF,
    ("main.history", "GET"): STAFF,
    ("main.history_csv", "GET"): STAFF,
    ("main.monthly_csv", "GET"): STAFF,
    ("main.dashboard_csv", "GET"): STAFF,
    ("main.plotly_js", "GET"): STAFF,
    ("main.flow", "GET"): STAFF,
    ("main.flow_csv", "GET"): STAFF,
    ("funnel.index", "GET"): STAFF,
    ("funnel.download", "GET"): STAFF,
    ("publicity.index", "GET"): STAFF,
    ("publicity.campaigns_csv", "GET"): STAFF,
    ("publicity.channels_csv", "GET"): STAFF,
    ("publicity.create", "GET"): PERSONAL,
    ("publicity.create_submit", "POST"): PERSONAL,
    ("publicity.edit", "GET"): PERSONAL,
    ("publicity.edit_submit", "POST"): PERSONAL,
    ("reports.download", "GET"): STAFF,
    ("surveys.tallies", "GET"): STAFF,
    ("surveys.tallies_csv", "GET"): STAFF,
    ("tiers.movement", "GET"): STAFF,
    ("notes.edit", "GET"): PERSONAL,
    ("notes.edit_submit", "POST"): PERSONAL,
    ("auth.logout", "POST"): STAFF,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login_submit", "POST"): PUBLIC,
    ("surveys.answer", "GET"): PUBLIC,
    ("surveys.answer_submit", "POST"): PUBLIC,
    ("invitations.reply", "GET"): PUBLIC,
    ("invitations.reply_submit", "POST"): PUBLIC,
    ("api.openapi_document", "GET"): PUBLIC,
    ("api.registrations", "POST"): INTAKE,
    ("api.fair_applications", "POST"): INTAKE,
    ("api.funnel_progress", "GET"): READ,
    ("api.funnel_history", "GET"): READ,
    ("today.index", "GET"): PERSONAL,
    ("registrants.index", "GET"): PERSONAL,
    ("registrants.search", "POST"): PERSONAL,
    ("registrants.detail", "GET"): PERSONAL,
    ("registrants.add_contact", "POST"): PERSONAL,
    ("registrants.set_disposition", "POST"): PERSONAL,
    ("registrants.record_settling", "POST"): PERSONAL,
    ("registrants.add_introduction", "POST"): PERSONAL,
    ("registrants.move_introduction", "POST"): PERSONAL,
    ("surveys.interview", "GET"): PERSONAL,
    ("surveys.interview_submit", "POST"): PERSONAL,
    ("surveys.create_link", "POST"): PERSONAL,
    ("surveys.rounds", "GET"): PERSONAL,
    ("surveys.rounds_create", "POST"): PERSONAL,
    ("surveys.round_detail", "GET"): PERSONAL,
    ("tiers.index", "GET"): PERSONAL,
    ("tiers.evaluate", "POST"): PERSONAL,
    ("tiers.interview_queue", "GET"): PERSONAL,
    ("tiers.recontact", "GET"): PERSONAL,
    ("tiers.registrant_list", "GET"): PERSONAL,
    ("tiers.log_contact", "POST"): PERSONAL,
    ("tiers.confirm", "POST"): PERSONAL,
    ("tiers.run", "POST"): PERSONAL,
    ("companies.index", "GET"): PERSONAL,
    ("companies.add", "POST"): PERSONAL,
    ("companies.detail", "GET"): PERSONAL,
    ("events.index", "GET"): PERSONAL,
    ("events.index_csv", "GET"): PERSONAL,
    ("events.create", "GET"): PERSONAL,
    ("events.create_submit", "POST"): PERSONAL,
    ("events.detail", "GET"): PERSONAL,
    ("events.attendance_template", "GET"): PERSONAL,
    ("events.attendance_upload", "POST"): PERSONAL,
    ("events.material_upload", "POST"): PERSONAL,
    ("events.material_download", "GET"): PERSONAL,
    ("events.signup", "POST"): PERSONAL,
    ("events.attendance", "POST"): PERSONAL,
    ("events.cancel", "POST"): PERSONAL,
    ("invitation_batches.index", "GET"): PERSONAL,
    ("invitation_batches.new", "GET"): PERSONAL,
    ("invitation_batches.detail", "GET"): PERSONAL,
    ("invitation_batches.conversion_csv", "GET"): PERSONAL,
    ("invitation_batches.send", "POST"): PERSONAL,
    ("audit.index", "GET"): ADMIN,
    ("audit.entries_csv", "GET"): ADMIN,
}
# GETs whose answer to an allowed caller is not 200: a personal link that is not
# a signed token is 400, an id that names nothing (made up here) is 404, and a
# signed-in user asking for the login page goes home.
EXPECTED_GET = {
    "auth.login": {"prefecture": 302, "coordinator": 302, "admin": 302},
    "surveys.answer": {PUBLIC: 400},
    "invitations.reply": {PUBLIC: 400},
    "surveys.round_detail": {"coordinator": 404, "admin": 404},
    "invitation_batches.detail": {"coordinator": 404, "admin": 404},
}
CALLERS = (None, "prefecture", "coordinator", "admin", INTAKE, READ)

# Known personal values, searched for in what non-personal callers receive.
SEEDED = {
    "name": "経路 確認子",
    "name_kana": "ケイロ カクニンコ",
    "email": "route.matrix.person@example.jp",
    "phone": "090-7777-3131",
    "employer": "株式会社マトリクス検証",
}
NOTE = "面談メモ：経路確認の秘密"
FORMS_OF_VALUES = [
    *SEEDED.values(),
    NOTE,
    "09077773131",
    "+819077773131",
    "ROUTE.MATRIX.PERSON",
]


@pytest.fixture
def world(app, make_registrant):  # noqa: ANN001, ANN201
    """One of everything a URL can name, entered through the services."""
    from itworks.db import db
    from itworks.extensions import vault
    from itworks.models import Hire
    from itworks.services.accounts import tokens
    from itworks.services.engagement import companies, contacts, events, introductions, materials

    app.config["AS_OF_DATE"] = "2022-11-20"
    public_id = make_registrant(**SEEDED)
    with app.app_context():
        session = db.session
        keys = vault()
        now = datetime(2022, 11, 20, 3, tzinfo=UTC)
        contacts.record_contact(
            session, keys, public_id, "career_consultation", at="2022-10-01", notes=NOTE, now=now
        )
        event = events.create_event(
            session,
            kind="fair",
            name="GO 島根！ITエンジニア転職フェア",
            starts_at=datetime(2022, 9, 10, 4, tzinfo=UTC),
            fair_number=1,
            capacity=50,
        )
        session.commit()
        company = companies.add_company(session, keys, "株式会社経路テック", city="松江市")
        made = introductions.add_introduction(
            session,
            public_id,
            company.public_id,
            items="name",
            consent_at="2022-10-02",
            at="2022-10-03",
            now=now,
        )
        introductions.move(session, made.public_id, "hired", at="2022-11-01", now=now)
        hire = session.scalar(sa.select(Hire).where(Hire.introduction_id == made.id))
        material = materials.add_material(
            session,
            app.instance_path,
            event.public_id,
            filename="flyer.pdf",
            data=b"%PDF-1.4 matrix",
            kind="flyer",
        )
        intake_token = tokens.create(session, "matrix-intake", "intake")
        read_token = tokens.create(session, "matrix-read", "read")
        args = {
            "public_id": public_id,
            "registrant": public_id,
            "introduction_id": made.public_id,
            "hire_id": hire.public_id,
            "material_id": material.public_id,
            "token": "no-such-token",
            "table": "stages",
            "fiscal_year": 2022,
            "measure": "hires",
            "half": "first",
            "filename": "style.css",
        }
        by_endpoint = {
            "events": event.public_id,
            "companies": company.public_id,
            "surveys.round_detail": "NoSuchRound000000000000",
            "invitation_batches": "NoSuchBatch000000000000",
            "publicity": None,  # a campaign, made in the test (see _campaign)
        }
        session.commit()
    return args, by_endpoint, {INTAKE: intake_token, READ: read_token}


def _url(app, rule, args: dict, by_endpoint: dict) -> str:  # noqa: ANN001
    values = {}
    for name in rule.arguments:
        value = args[name]
        if name == "public_id":
            for prefix, special in by_endpoint.items():
                if special and rule.endpoint.startswith(prefix):
                    value = special
        values[name] = value
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _campaign(app) -> str:  # noqa: ANN001
    from itworks.db import db
    from itworks.services.publicity import campaigns
    from itworks.vocabulary import CAMPAIGN_CHANNELS

    with app.app_context():
        made = campaigns.create_campaign(
            db.session,
            {
                "name": "経路キャンペーン",
                "channel": CAMPAIGN_CHANNELS[0],
                "fiscal_year": "2022",
                "starts_on": "2022-06-01",
                "ends_on": "2022-06-30",
                "utm_campaign": "matrix",
                "cost_yen": "100000",
            },
        )
        db.session.commit()
        return made.public_id


def _rules(app):  # noqa: ANN001, ANN202
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_table(app) -> None:
    found = {(rule.endpoint, method) for rule, method in _rules(app) if rule.endpoint != "static"}
    assert sorted(found - set(ACCESS)) == [], "classify the new routes in ACCESS"
    assert sorted(set(ACCESS) - found) == [], "ACCESS names routes that are gone"


def _expected(endpoint: str, method: str, caller: str | None) -> int | None:
    """The status a GET must give, or None for a POST that must pass the role check."""
    allowed = ACCESS[(endpoint, method)]
    api = allowed in (INTAKE, READ)
    if allowed == PUBLIC:
        ok = True
    elif api:
        ok = caller == allowed or (allowed == READ and caller in STAFF)
    else:
        ok = caller in allowed  # type: ignore[operator]
    if not ok:
        if api:  # a login session is no token for the intake API
            return 403 if caller in (INTAKE, READ) else 401
        if caller in (None, INTAKE, READ):
            return 302  # a token is no login: to the login page
        return 403
    if method == "POST":
        return None
    special = EXPECTED_GET.get(endpoint, {})
    return special.get(caller if allowed != PUBLIC or caller in special else PUBLIC, 200)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c or "anonymous")
def test_route_by_role_matrix(app, client, auth, world, caller) -> None:  # noqa: ANN001
    args, by_endpoint, api_tokens = world
    by_endpoint["publicity"] = _campaign(app)
    headers = {}
    if caller in STAFF:
        auth.login(f"matrix-{caller}", PASSWORD, role=caller)
    elif caller in api_tokens:
        headers["Authorization"] = f"Bearer {api_tokens[caller]}"
    # A real form's token, so a refusal below is the role check's and not CSRF's.
    token = csrf_token(client.get("/" if caller in STAFF else "/login").text)
    wrong, leaked = [], []
    for rule, method in sorted(_rules(app), key=lambda r: (r[0].rule, r[1])):
        if rule.endpoint == "static" or (rule.endpoint, method) == ("auth.logout", "POST"):
            continue  # logging out would end the walk; tests/web/test_auth.py covers it
        url = _url(app, rule, args, by_endpoint)
        expected = _expected(rule.endpoint, method, caller)
        if method == "GET":
            response = client.get(url, headers=headers)
        elif rule.endpoint.startswith("api."):
            response = client.post(url, json={}, headers=headers)
        else:
            response = client.post(url, data={"csrf_token": token}, headers=headers)
        status = response.status_code
        body = response.get_data().decode("utf-8", "replace")
        response.close()
        if expected is None:
            if status in (401, 403) or status >= 500:
                wrong.append(f"{method} {url}: {status}, expected the role check passed")
        elif status != expected:
            wrong.append(f"{method} {url}: {status}, expected {expected}")
        if status == 302 and caller in (None, INTAKE, READ) and expected == 302:
            assert response.headers["Location"].startswith("/login"), url
        if caller not in PERSONAL:
            leaked += [f"{url}: {v}" for v in FORMS_OF_VALUES if v.lower() in body.lower()]
    assert wrong == [], "\n".join(wrong)
    assert leaked == [], "\n".join(leaked)


def test_the_matrix_would_see_a_leak(app, client, auth, world) -> None:
    """The search above finds the seeded values where they are shown: on the
    registrant's page for a coordinator (so an empty result elsewhere means something)."""
    args, _, _ = world
    auth.login("matrix-coordinator", PASSWORD, role="coordinator")
    body = client.get(f"/registrants/{args['public_id']}").get_data(as_text=True)
    assert SEEDED["name"] in body and SEEDED["email"] in body
