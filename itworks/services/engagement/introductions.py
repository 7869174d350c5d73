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
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_, Message
from itworks.models import (
    PROVISION_ITEMS,
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
from itworks.services.tiers import tiers
from itworks.vocabulary import (
    INTRODUCTION_OPEN_STATUSES,
    INTRODUCTION_STATUS_LABELS,
    INTRODUCTION_STATUSES,
)

STAGES = INTRODUCTION_STATUSES
STAGE_LABELS = INTRODUCTION_STATUS_LABELS
OPEN_STAGES = INTRODUCTION_OPEN_STATUSES
DECLINE_REASON_KIND = "match_failed"
PROVISION_ITEM_LABELS: dict[str, Message] = {
    "name": N_("氏名"),
    "name_kana": N_("氏名（カナ）"),
    "email": N_("メールアドレス"),
    "phone": N_("電話番号"),
    "employer": N_("現在の勤務先"),
    "career": N_("職務経歴"),
    "survey": N_("アンケート回答"),
}
MESSAGES = {
    "items": N_("提供する項目（name,email,phone など）を指定してください"),
    "consent_at": N_("本人が第三者提供に同意した日時を指定してください"),
    "consent_future": N_("同意日時が未来です"),
    "consent_after": N_("同意は提供より前に必要です"),
    "stage": N_("段階は introduced / interviewing / offered / hired / declined のいずれかです"),
    "backwards": N_("この段階へは進められません"),
    "reason": N_("辞退・不成立には理由コードが必要です"),
    "unknown_reason": N_("理由コードが見つかりません"),
    "fair": N_("フェア後の継続支援には転職フェアを指定してください"),
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


def add_introduction(
    session: Session,
    public_id: str,
    company: str,
    *,
    items: str | Sequence[str] | None,
    consent_at: object,
    at: object = None,
    from_fair: str | None = None,
    follow_up_on: date | None = None,
    retention_years: int = 3,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Introduction:
    """Introduce a registrant to a company, recording the provision first; commits.

    ``from_fair`` (an event public id of a fair) flags it as the continued support
    after a fair that ended without a match.
    """
    now = now or utcnow()
    errors: dict[str, object] = {}
    chosen = parse_items(items)
    if not chosen or any(i not in PROVISION_ITEMS for i in chosen):
        errors["items"] = MESSAGES["items"]
    when = consent = None
    try:
        when = parse_when(at, now)
    except InvalidInput as exc:
        errors.update(exc.errors)
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
    if errors:
        raise InvalidInput(errors)  # type: ignore[arg-type]
    begin_write(session)
    registrant = tiers.live_registrant(session, public_id)
    if registrant.use_stopped_at is not None:
        raise Conflict(MESSAGES["stopped"])
    employer = companies.get_company(session, company)
    event_id = None
    if from_fair is not None:
        event = session.scalar(sa.select(Event).where(Event.public_id == from_fair))
        if event is None or event.kind != "fair":
            raise InvalidInput({"from_fair": MESSAGES["fair"]})
        event_id = event.id
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


def move(
    session: Session,
    public_id: str,
    stage: str,
    *,
    reason: str | None = None,
    at: object = None,
    follow_up_on: date | None = None,
    turn: str | None = None,
    moved_on: date | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> Introduction:
    """Move an introduction to a later stage; ``hired`` records the hire; commits."""
    now = now or utcnow()
    if stage not in STAGES:
        raise InvalidInput({"stage": MESSAGES["stage"]})
    when = parse_when(at, now)
    begin_write(session)
    introduction = get_introduction(session, public_id)
    current = introduction.status
    if current not in OPEN_STAGES or (
        stage in OPEN_STAGES and OPEN_STAGES.index(stage) <= OPEN_STAGES.index(current)
    ):
        raise Conflict(MESSAGES["backwards"])
    if stage == "declined":
        if not reason:
            raise InvalidInput({"reason": MESSAGES["reason"]})
        code = session.get(ReasonCode, reason)
        if code is None or not code.active or code.kind != DECLINE_REASON_KIND:
            raise InvalidInput({"reason": MESSAGES["unknown_reason"]})
    elif reason is not None:
        raise InvalidInput({"reason": MESSAGES["reason"]})
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
