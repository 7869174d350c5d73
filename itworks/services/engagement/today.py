"""今日の対応: what a coordinator has to do today, in one place.

Each list comes from the service that owns the rule (nothing is recomputed here):

* first contacts overdue — first_contact.overdue (the business-day service level);
* re-contacts due — tiers.recontact.due (each tier's interval);
* returns to nurturing whose next-contact date has come — contacts.nurture_due;
* introductions with a follow-up due — introductions.follow_ups_due;
* settling-in (定着) checks due at 3 and 12 months — hires.settling_due;
* mail that failed to send — outbox.list_messages("failed").

The people shown get their names decrypted (bounded by ``limit`` per list), so
building the page is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from itworks.crypto import Vault
from itworks.models import Company, OutboxMessage, Registrant, User
from itworks.services import audit
from itworks.services.engagement import contacts, first_contact, hires, introductions, outbox
from itworks.services.intake import registrants
from itworks.services.tiers import recontact


@dataclass
class Item:
    """One thing to do about one registrant."""

    public_id: str
    name: str | None = None
    due_on: date | None = None
    days: int | None = None  # days (or business days) overdue
    code: str | None = None  # a tier, a stage, a template…
    subject: str | None = None  # a company name
    ref: str | None = None  # an introduction / hire / message public id
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Section:
    items: list[Item]
    total: int


@dataclass
class Today:
    day: date
    level_days: int
    first_contacts: Section
    recontacts: Section
    nurture: Section
    follow_ups: Section
    settling: Section
    failed_messages: Section

    @property
    def empty(self) -> bool:
        return not any(
            s.total
            for s in (
                self.first_contacts,
                self.recontacts,
                self.nurture,
                self.follow_ups,
                self.settling,
                self.failed_messages,
            )
        )


def build(
    session: Session,
    vault: Vault,
    today: date,
    *,
    level_days: int,
    recontact_days: Mapping[str, object],
    actor: User | None = None,
    limit: int = 50,
) -> Today:
    """Every list of 今日の対応 for ``today``, each cut at ``limit`` with its total."""
    late = first_contact.overdue(session, level_days, today)
    firsts = [
        Item(
            s.public_id,
            due_on=s.due_on,
            days=s.days_overdue(today),
            extra={"registered_on": s.registered_on},
        )
        for s in late[:limit]
    ]
    due = recontact.due(session, recontact.intervals(recontact_days), today)
    again = [
        Item(
            s.public_id,
            due_on=s.next_contact,
            days=s.days_overdue,
            code=s.tier,
            extra={"last_contact": s.last_contact, "contacted": s.contacted},
        )
        for s in due[:limit]
    ]
    planned = contacts.nurture_due(session, today)
    nurture = [
        Item(public_id, due_on=plan.next_contact_on, days=(today - plan.next_contact_on).days)
        for plan, public_id in planned[:limit]
    ]
    follow = introductions.follow_ups_due(session, today)
    settle = hires.settling_due(session, today)
    names = dict(session.execute(sa.select(Company.id, Company.name)).all())
    wanted = {i.registrant_id for i in follow[:limit]} | {
        h.registrant_id for _, h in settle[:limit]
    }
    people = dict(
        session.execute(
            sa.select(Registrant.id, Registrant.public_id).where(Registrant.id.in_(wanted))
        ).all()
    )
    follow_items = [
        Item(
            people[i.registrant_id],
            due_on=i.follow_up_on,
            days=(today - i.follow_up_on).days if i.follow_up_on else None,
            code=i.status,
            subject=names.get(i.company_id),
            ref=i.public_id,
            extra={"fair_follow_up": i.fair_follow_up},
        )
        for i in follow[:limit]
    ]
    settle_items = [
        Item(
            people[hire.registrant_id],
            due_on=check.due_on,
            days=(today - check.due_on).days,
            subject=names.get(hire.company_id),
            ref=hire.public_id,
            extra={"months": check.months, "hired_at": hire.hired_at},
        )
        for check, hire in settle[:limit]
    ]
    failed = outbox.list_messages(session, "failed", limit=limit)
    failed_total = session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.status == "failed")
    )
    mail = [
        Item(
            m["registrant"],
            code=m["template"],
            ref=m["id"],
            extra={"reason": m["reason"], "attempts": m["attempts"], "created_at": m["created_at"]},
        )
        for m in failed
    ]
    sections = (firsts, again, nurture, follow_items, settle_items, mail)
    _add_names(session, vault, [item for items in sections for item in items])
    audit.record(
        session,
        "today.view",
        actor=actor,
        entity_type="registrant",
        shown=sum(len(items) for items in sections),
    )
    session.commit()
    return Today(
        day=today,
        level_days=level_days,
        first_contacts=Section(firsts, len(late)),
        recontacts=Section(again, len(due)),
        nurture=Section(nurture, len(planned)),
        follow_ups=Section(follow_items, len(follow)),
        settling=Section(settle_items, len(settle)),
        failed_messages=Section(mail, int(failed_total or 0)),
    )


def _add_names(session: Session, vault: Vault, items: list[Item]) -> None:
    wanted = {item.public_id for item in items}
    if not wanted:
        return
    found = {}
    for chunk in _chunks(sorted(wanted), 500):
        for person in session.scalars(
            sa.select(Registrant)
            .options(selectinload(Registrant.data_key))
            .where(Registrant.public_id.in_(chunk))
        ):
            values, _ = registrants.decrypt_fields(vault, person, ("name",))
            found[person.public_id] = values["name"]
    for item in items:
        item.name = found.get(item.public_id)


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
