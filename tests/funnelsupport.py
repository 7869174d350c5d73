"""Plain-ORM builders for funnel tests: people and their facts without the crypto path
(the measures never read personal fields, so a person is a row with a dummy key)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.orm import Session

_counter = itertools.count(1)


def at(text: str) -> datetime:
    """An aware datetime from ISO text; a trailing Z (or no zone) means UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Records:
    def __init__(self, session: Session) -> None:
        self.session = session

    def person(
        self,
        registered_at: str = "2022-06-01T00:00:00Z",
        *,
        merged_into: int | None = None,
        origin: str = "u_turn",
        utm_source: str | None = "google",
        utm_campaign: str | None = None,
        channel: str = "api",
    ) -> int:
        from itworks.models import DataKey, Registrant, UtmTouch

        n = next(_counter)
        key = DataKey(uid=f"test-{n}-{id(self)}", kek_id="k1", wrapped=b"dummy")
        row = Registrant(
            data_key=key,
            registered_at=at(registered_at),
            origin=origin,
            utm_source=utm_source,
            utm_campaign=utm_campaign,
            merged_into_id=merged_into,
            source="api",
        )
        self.session.add(row)
        self.session.flush()
        self.session.add(
            UtmTouch(
                registrant_id=row.id,
                at=row.registered_at,
                channel=channel,
                utm_source=utm_source,
                utm_campaign=utm_campaign,
            )
        )
        self.session.commit()
        return row.id

    def touch(self, person: int, when: str, campaign: str | None, source: str = "x") -> None:
        from itworks.models import UtmTouch

        self.session.add(
            UtmTouch(
                registrant_id=person,
                at=at(when),
                channel="api",
                utm_source=source,
                utm_campaign=campaign,
            )
        )
        self.session.commit()

    def consultation(self, person: int, when: str, kind: str = "career") -> None:
        from itworks.models import Consultation

        self.session.add(Consultation(registrant_id=person, held_at=at(when), kind=kind))
        self.session.commit()

    def company(self, name: str = "株式会社しまねソフト", shimane_it: bool = True) -> int:
        from itworks.models import Company

        row = Company(name=name, shimane_it=shimane_it)
        self.session.add(row)
        self.session.commit()
        return row.id

    def hire(self, person: int, when: str, company: int) -> None:
        from itworks.models import Hire

        self.session.add(Hire(registrant_id=person, company_id=company, hired_at=at(when)))
        self.session.commit()

    def introduction(
        self, person: int, when: str, company: int, status: str = "introduced"
    ) -> None:
        from itworks.models import Introduction

        self.session.add(
            Introduction(
                registrant_id=person, company_id=company, introduced_at=at(when), status=status
            )
        )
        self.session.commit()

    def fair(self, number: int, starts_at: str, kind: str = "fair") -> int:
        from itworks.models import Event

        row = Event(
            kind=kind,
            name=f"フェア{number}",
            starts_at=at(starts_at),
            fair_number=number if kind == "fair" else None,
        )
        self.session.add(row)
        self.session.commit()
        return row.id

    def signup(self, event: int, person: int, when: str, status: str = "applied") -> None:
        from itworks.models import EventSignup

        self.session.add(
            EventSignup(
                event_id=event,
                registrant_id=person,
                signed_up_at=at(when),
                status=status,
            )
        )
        self.session.commit()

    def survey(self, person: int, when: str) -> None:
        from itworks.models import SurveyResponse

        self.session.add(
            SurveyResponse(
                registrant_id=person,
                instrument_id="readiness",
                instrument_version=1,
                channel="web",
                submitted_at=at(when),
                answers={},
            )
        )
        self.session.commit()

    def tier(self, person: int, tier: str, method: str = "coordinator", when: str = "") -> None:
        from itworks.models import TierAssignment

        self.session.add(
            TierAssignment(
                registrant_id=person,
                tier=tier,
                method=method,
                assigned_at=at(when or "2022-09-01T00:00:00Z"),
            )
        )
        self.session.commit()

    def exit(self, person: int, stage: str, reason: str, when: str) -> None:
        from itworks.models import StageExit

        self.session.add(
            StageExit(registrant_id=person, stage=stage, reason_code=reason, exited_at=at(when))
        )
        self.session.commit()
