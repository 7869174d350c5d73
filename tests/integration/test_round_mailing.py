"""The mail merge of a round as a service the web can call as well as the CLI."""

from __future__ import annotations

import sqlalchemy as sa


def test_round_mailing_decrypts_signs_and_audits(app, make_registrant) -> None:  # noqa: ANN001
    from itworks.db import db
    from itworks.extensions import link_signer, vault
    from itworks.models import AuditEvent
    from itworks.services.surveys import links, mailing

    for n in range(3):
        make_registrant(email=f"m{n}@example.jp", name=f"松江 花子{n}", phone=None)
    with app.app_context():
        links.create_round(db.session, link_signer(), "秋", ["none"], seed=1, actor_label="test")
        rows = mailing.round_mailing(
            db.session, vault(), link_signer(), "秋", "https://itworks.example/", actor_label="t"
        )
        assert sorted(r.email for r in rows) == [f"m{n}@example.jp" for n in range(3)]
        assert {r.name for r in rows} == {f"松江 花子{n}" for n in range(3)}
        assert all(r.url.startswith("https://itworks.example/s/") for r in rows)
        assert len(rows[0].as_row()) == len(mailing.COLUMNS)
        audited = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "survey.round_links")
        ).all()
        assert len(audited) == 1 and audited[0].actor == "t"
