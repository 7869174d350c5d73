"""Introductions of a registrant to a company, and the third-party provision
record that must exist before one.

Handing a registrant's details to a company is a third-party provision under
the personal-information law, so ``add_introduction`` refuses unless it can
record the recipient, the items provided, the date and the basis (the
registrant's consent with its time). Stages run

    introduced → interviewing → offered → hired
                 (any open stage) → declined, with a reason code

forward only; every change is kept with its time in ``introduction_stages``.
Reaching ``hired`` records the hire (see hires.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import japanese
from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_
from itworks.models import (
    Company,
    Event,
    Introduction,
    IntroductionStage,
    ReasonCode,
    Registrant,
    ThirdPartyProvision,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.engagement import companies, hires
from itworks.services.engagement.contacts import parse_when
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.privacy import scope
from itworks.services.tiers import tiers
from itworks.vocabulary import (
    HIRE_TURNS,
    INTRODUCTION_OPEN_STATUSES,
    INTRODUCTION_STATUS_LABELS,
    INTRODUCTION_STATUSES,
    PROVISION_ITEM_LABELS,
    PROVISION_ITEMS,
    REASON_KIND_MATCH_FAILED,
)

__all__ = ["PROVISION_ITEM_LABELS", "PROVISION_ITEMS"]

STAGES = INTRODUCTION_STATUSES
STAGE_LABELS = INTRODUCTION_STATUS_LABELS
OPEN_STAGES = INTRODUCTION_OPEN_STATUSES
DECLINE_REASON_KIND = REASON_KIND_MATCH_FAILED
MESSAGES = {
    "items_missing": N_("提供する項目を1つ以上選んでください（第三者提供の記録に必要です）"),
    "items": N_("提供する項目は %(codes)s から選んでください", codes=",".join(PROVISION_ITEMS)),
    "consent_at": N_("本人が第三者提供に同意した日時を指定してください"),
    "consent_future": N_("同意日時が未来です"),
    "consent_after": N_("同意は提供より前に必要です"),
    "future": N_("未来の日時は記録できません"),
    "early": N_("2000年以降の日時を入力してください"),
    "date": N_("日付は 2022-04-01 の形で入力してください"),
    "stage": N_("段階は %(codes)s のいずれかです", codes=" / ".join(INTRODUCTION_STATUSES)),
    "backwards": N_("この段階へは進められません"),
    "before_introduced": N_("紹介した日時より前の日時です"),
    "before_stage": N_("前の段階の日時より前です"),
    "reason": N_("辞退・不成立には理由コードが必要です"),
    "reason_only_declined": N_("理由コードは辞退・不成立のときだけ指定します"),
    "unknown_reason": N_("理由コードは %(codes)s のいずれかです"),
    "turn": N_("UターンかIターンか（%(codes)s）を選んでください", codes=" / ".join(HIRE_TURNS)),
    "hire_only": N_("入社のときだけ指定します"),
    "follow_up_past": N_("次回フォロー日は紹介日以降の日付です"),
    "fair": N_("フェア後の継続支援には転職フェアを指定してください"),
    "company": N_("企業が見つかりません"),
    "company_missing": N_("紹介先の企業を選んでください"),
    "stopped": N_("利用停止の登録者は紹介できません"),
}


def parse_items(items: str | Sequence[str] | None) -> list[str]:
    if items is None:
        return []
    if isinstance(items, str):
        items = items.split(",")
    return [i.strip() for i in items if i and i.strip()]


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record_provision(
    session: Session,
    registrant: Registrant,
    company_id: int,
    items: Sequence[str],
    consent_at: datetime,
    provided_at: datetime,
    *,
    retention_years: int,
    actor: User | None = None,
) -> ThirdPartyProvision:
    """Add a provision record to the unit of work (no commit)."""
    provided_on = provided_at.astimezone(JST).date()
    provision = ThirdPartyProvision(
        registrant_id=registrant.id,
        company_id=company_id,
        items=list(items),
        provided_on=provided_on,
        basis="consent",
        consent_at=consent_at,
        keep_until=_add_years(provided_on, retention_years),
        recorded_by_id=actor.id if actor else None,
    )
    session.add(provision)
    session.flush()
    return provision


def _when(errors: dict[str, object], field: str, value: object, now: datetime) -> datetime | None:
    """Parse a time field into ``errors``; not in the future, not before 2000."""
    try:
        when = parse_when(value, now)
    except InvalidInput as exc:
        errors[field] = exc.errors.get("at", MESSAGES["early"])
        return None
    if when > now + timedelta(minutes=5):
        errors[field] = MESSAGES["future"]
        return None
    if when.year < 2000:
        errors[field] = MESSAGES["early"]
        return None
    return when


def _day(errors: dict[str, object], field: str, value: object) -> date | None:
    """A date field: a date, ISO text (YYYY-MM-DD) or empty; an error otherwise."""
    if value is None or isinstance(value, date):
        return value
    text = japanese.nfkc(str(value)).strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = MESSAGES["date"]
        return None
    if day.year < 2000:
        errors[field] = MESSAGES["early"]
        return None
    return day


def _find_company(session: Session, company: str | None) -> Company | None:
    if not company or not str(company).strip():
        return None
    try:
        return companies.get_company(session, str(company).strip())
    except NotFound:
        return None


def add_introduction(
    session: Session,
    public_id: str,
    company: str,
    *,
    items: str | Sequence[str] | None,
    consent_at: object,
    at: object = None,
    from_fair: str | None = None,
    follow_up_on: object = None,
    retention_years: int = 3,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Introduction:
    """Introduce a registrant to a company, recording the provision first; commits.

    Every field is checked before anything is written; without the provision's
    items and consent time it refuses. ``from_fair`` (an event public id of a
    fair) flags it as the continued support after a fair that ended without a match.
    """
    now = now or utcnow()
    errors: dict[str, object] = {}
    chosen = parse_items(items)
    if not chosen:
        errors["items"] = MESSAGES["items_missing"]
    elif any(i not in PROVISION_ITEMS for i in chosen):
        errors["items"] = MESSAGES["items"]
    when = _when(errors, "at", at, now)
    consent = None
    if consent_at is None or (isinstance(consent_at, str) and not consent_at.strip()):
        errors["consent_at"] = MESSAGES["consent_at"]
    else:
        try:
            consent = parse_when(consent_at, now)
        except InvalidInput:
            errors["consent_at"] = MESSAGES["consent_at"]
    if consent is not None and consent > now + timedelta(minutes=5):
        errors["consent_at"] = MESSAGES["consent_future"]
    elif consent is not None and when is not None and consent > when:
        errors["consent_at"] = MESSAGES["consent_after"]
    employer = _find_company(session, company)
    if not company or not str(company).strip():
        errors["company"] = MESSAGES["company_missing"]
    elif employer is None:
        errors["company"] = MESSAGES["company"]
    follow_up_on = _day(errors, "follow_up_on", follow_up_on)
    if follow_up_on is not None and when is not None and follow_up_on < when.astimezone(JST).date():
        errors["follow_up_on"] = MESSAGES["follow_up_past"]
    event_id = None
    if from_fair is not None:
        event = session.scalar(sa.select(Event).where(Event.public_id == from_fair))
        if event is None or event.kind != "fair":
            errors["from_fair"] = MESSAGES["fair"]
        else:
            event_id = event.id
    if errors:
        raise InvalidInput(errors)  # type: ignore[arg-type]
    assert employer is not None and when is not None and consent is not None
    begin_write(session)
    registrant = tiers.live_registrant(session, public_id)
    if registrant.use_stopped_at is not None:
        raise Conflict(MESSAGES["stopped"])
    provision = record_provision(
        session,
        registrant,
        employer.id,
        sorted(set(chosen)),
        consent,
        when,
        retention_years=retention_years,
        actor=actor,
    )
    introduction = Introduction(
        registrant_id=registrant.id,
        company_id=employer.id,
        event_id=event_id,
        introduced_at=when,
        status="introduced",
        stage_changed_at=when,
        follow_up_on=follow_up_on,
        fair_follow_up=from_fair is not None,
        provision_id=provision.id,
    )
    session.add(introduction)
    session.flush()
    session.add(
        IntroductionStage(
            introduction_id=introduction.id,
            stage="introduced",
            at=when,
            recorded_by_id=actor.id if actor else None,
        )
    )
    audit.record(
        session,
        "introduction.create",
        actor=actor,
        actor_label=actor_label,
        entity_type="introduction",
        entity_id=introduction.public_id,
        registrant=registrant.public_id,
        company=employer.public_id,
        provision=provision.public_id,
        items=sorted(set(chosen)),
    )
    session.commit()
    return introduction


def get_introduction(session: Session, public_id: str) -> Introduction:
    introduction = session.scalar(
        sa.select(Introduction).where(Introduction.public_id == public_id)
    )
    if introduction is None:
        raise NotFound(N_("紹介が見つかりません"))
    return introduction


def decline_reasons(session: Session) -> list[ReasonCode]:
    """The active reason codes a decline may name."""
    return list(
        session.scalars(
            sa.select(ReasonCode)
            .where(ReasonCode.kind == DECLINE_REASON_KIND, ReasonCode.active.is_(True))
            .order_by(ReasonCode.code)
        )
    )


def move(
    session: Session,
    public_id: str,
    stage: str,
    *,
    reason: str | None = None,
    at: object = None,
    follow_up_on: object = None,
    turn: str | None = None,
    moved_on: object = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Introduction:
    """Move an introduction to a later stage; ``hired`` records the hire; commits.

    Stage, reason, time, turn and dates are all checked before anything is written.
    """
    now = now or utcnow()
    errors: dict[str, object] = {}
    reason = (reason or "").strip() or None
    turn = (turn or "").strip() or None
    if stage not in STAGES:
        errors["stage"] = MESSAGES["stage"]
    when = _when(errors, "at", at, now)
    follow_up_on = _day(errors, "follow_up_on", follow_up_on)
    moved_on = _day(errors, "moved_on", moved_on)
    if stage == "declined":
        allowed = [code.code for code in decline_reasons(session)]
        if not reason:
            errors["reason"] = MESSAGES["reason"]
        elif reason not in allowed:
            errors["reason"] = MESSAGES["unknown_reason"].bind(codes=" / ".join(allowed))
    elif reason is not None:
        errors["reason"] = MESSAGES["reason_only_declined"]
    if stage == "hired":
        if turn is not None and turn not in HIRE_TURNS:
            errors["turn"] = MESSAGES["turn"]
    else:
        if turn is not None:
            errors["turn"] = MESSAGES["hire_only"]
        if moved_on is not None:
            errors["moved_on"] = MESSAGES["hire_only"]
    introduction = session.scalar(
        sa.select(Introduction).where(Introduction.public_id == public_id)
    )
    if introduction is None:
        raise NotFound(N_("紹介が見つかりません"))
    if when is not None:
        reached = [_aware(row.at) for row in stages_of(session, introduction)]
        last = max(reached) if reached else None
        if when < _aware(introduction.introduced_at):
            errors["at"] = MESSAGES["before_introduced"]
        elif last is not None and when < last:
            errors["at"] = MESSAGES["before_stage"]
        if follow_up_on is not None and follow_up_on < when.astimezone(JST).date():
            errors["follow_up_on"] = MESSAGES["follow_up_past"]
    if errors:
        raise InvalidInput(errors)  # type: ignore[arg-type]
    assert when is not None
    current = introduction.status
    if current not in OPEN_STAGES or (
        stage in OPEN_STAGES and OPEN_STAGES.index(stage) <= OPEN_STAGES.index(current)
    ):
        raise Conflict(MESSAGES["backwards"])
    begin_write(session)
    introduction = get_introduction(session, public_id)
    introduction.status = stage
    introduction.stage_changed_at = when
    introduction.reason_code = reason if stage == "declined" else None
    if follow_up_on is not None or stage in ("hired", "declined"):
        introduction.follow_up_on = follow_up_on
    session.add(
        IntroductionStage(
            introduction_id=introduction.id,
            stage=stage,
            at=when,
            reason_code=reason,
            recorded_by_id=actor.id if actor else None,
        )
    )
    if stage == "hired":
        hires.record_hire(session, introduction, when, turn=turn, moved_on=moved_on)
    audit.record(
        session,
        "introduction.move",
        actor=actor,
        actor_label=actor_label,
        entity_type="introduction",
        entity_id=introduction.public_id,
        stage=stage,
        reason=reason,
    )
    session.commit()
    return introduction


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IntroductionView:
    public_id: str
    company: str
    status: str
    introduced_at: datetime
    stage_changed_at: datetime | None
    follow_up_on: date | None
    fair_follow_up: bool
    reason_code: str | None


def of_registrant(session: Session, registrant: Registrant) -> list[IntroductionView]:
    """The introductions of a registrant (and of the duplicates merged into them), newest first."""
    ids = [registrant.id] + list(
        session.scalars(sa.select(Registrant.id).where(Registrant.merged_into_id == registrant.id))
    )
    rows = session.execute(
        sa.select(Introduction, Company.name)
        .join(Company, Company.id == Introduction.company_id)
        .where(Introduction.registrant_id.in_(ids))
        .order_by(Introduction.introduced_at.desc(), Introduction.id.desc())
    ).all()
    return [
        IntroductionView(
            i.public_id,
            name,
            i.status,
            i.introduced_at,
            i.stage_changed_at,
            i.follow_up_on,
            i.fair_follow_up,
            i.reason_code,
        )
        for i, name in rows
    ]


def stages_of(session: Session, introduction: Introduction) -> list[IntroductionStage]:
    return list(
        session.scalars(
            sa.select(IntroductionStage)
            .where(IntroductionStage.introduction_id == introduction.id)
            .order_by(IntroductionStage.at, IntroductionStage.id)
        )
    )


def follow_ups_due(session: Session, today: date) -> list[Introduction]:
    """Open introductions whose next follow-up date has come, oldest first."""
    return list(
        session.scalars(
            sa.select(Introduction)
            .where(
                Introduction.status.in_(OPEN_STAGES),
                Introduction.follow_up_on.is_not(None),
                Introduction.follow_up_on <= today,
                scope.person_in_use(Introduction.registrant_id),
            )
            .order_by(Introduction.follow_up_on, Introduction.id)
        )
    )


def provisions(
    session: Session, *, registrant_id: int | None = None, company_id: int | None = None
) -> list[ThirdPartyProvision]:
    """Provision records per registrant or per company, newest first."""
    query = sa.select(ThirdPartyProvision).order_by(
        ThirdPartyProvision.provided_on.desc(), ThirdPartyProvision.id.desc()
    )
    if registrant_id is not None:
        query = query.where(ThirdPartyProvision.registrant_id == registrant_id)
    if company_id is not None:
        query = query.where(ThirdPartyProvision.company_id == company_id)
    return list(session.scalars(query))
