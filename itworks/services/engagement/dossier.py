"""Everything a coordinator sees on one registrant's page, gathered in one call:
the record (decrypted, audited), survey answers, the timeline, open introductions,
hires, the current disposition, and the choices the page's forms offer."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from itworks.crypto import Vault
from itworks.models import Company, Event, ReasonCode, Registrant, User
from itworks.services.engagement import companies, contacts, events, hires, introductions
from itworks.services.engagement import timeline as timelines
from itworks.services.intake import registrants
from itworks.services.surveys import responses as survey_responses
from itworks.vocabulary import (
    INTRODUCTION_OPEN_STATUSES,
    REASON_KIND_DROPOUT,
    REASON_KIND_NURTURE,
)


@dataclass(frozen=True)
class Dossier:
    r: registrants.RegistrantView
    row: Registrant
    responses: Any
    latest: dict[str, Any]
    instrument: Any
    timeline: Any
    open_introductions: list[introductions.IntroductionView]
    hires: list[hires.HireView]
    disposition: Any
    companies: list[Company]
    fairs: list[Event]
    decline_reasons: list[ReasonCode]
    dropout_reasons: list[ReasonCode]
    nurture_reasons: list[ReasonCode]

    def as_dict(self) -> dict[str, Any]:
        """The parts by name (shallow: the rows stay rows)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def build(session: Session, vault: Vault, row: Registrant, *, actor: User) -> Dossier:
    """One registrant's page; viewing the record and the timeline is audited."""
    return Dossier(
        r=registrants.view(session, vault, row, actor=actor),
        row=row,
        responses=survey_responses.history(session, vault, row),
        latest=survey_responses.latest_answers(session, [row.id]).get(row.id, {}),
        instrument=survey_responses.current_instrument(),
        timeline=timelines.build(session, vault, row, actor=actor),
        open_introductions=[
            i
            for i in introductions.of_registrant(session, row)
            if i.status in INTRODUCTION_OPEN_STATUSES
        ],
        hires=hires.of_registrant(session, row),
        disposition=contacts.disposition_of(session, row),
        companies=companies.list_companies(session),
        fairs=list(reversed(events.list_events(session, kind="fair"))),
        decline_reasons=introductions.decline_reasons(session),
        dropout_reasons=contacts.reason_codes(session, REASON_KIND_DROPOUT),
        nurture_reasons=contacts.reason_codes(session, REASON_KIND_NURTURE),
    )
