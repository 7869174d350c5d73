"""Stop use (利用停止): from now on the person is in no list, audience, search result
or model fit (``scope.in_use``) and gets no mail (the outbox refuses and voids it at
send time); their past facts still count in the KPI figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.database import begin_write
from itworks.i18n import N_
from itworks.models import User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict
from itworks.services.privacy import requests


@dataclass(frozen=True)
class Stopped:
    public_id: str
    stopped_at: datetime
    already: bool


def stop_use(
    session: Session,
    vault: Vault,
    ref: str,
    *,
    received_on: object = None,
    answered_via: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Stopped:
    """Stop the use of a person's data (and of the duplicates merged into them); commits."""
    now = now or utcnow()
    received = requests.parse_received(received_on, requests.today_jst(now))
    via = requests.check_via(answered_via)
    begin_write(session)
    person = requests.find(session, vault, ref)
    if person.erased_at is not None:
        raise Conflict(N_("この登録者のデータは削除済みです"))
    already = person.use_stopped_at is not None
    for row in requests.people(session, person):
        if row.use_stopped_at is None:
            row.use_stopped_at = now
    requests.record(
        session,
        "stop_use",
        person,
        received_on=received,
        outcome="already_done" if already else "stopped",
        answered_via=via,
        handled_by=requests.actor_name(actor, actor_label),
        now=now,
    )
    audit.record(
        session,
        "registrant.stop_use",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=person.public_id,
        already=already,
    )
    session.commit()
    return Stopped(person.public_id, person.use_stopped_at or now, already)
