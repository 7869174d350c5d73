"""Personal survey links and invitation rounds with incentive arms.

A link is signed (itworks.crypto.LinkSigner), expires, is bound to one
registrant, and can be used once. A round invites a set of registrants,
assigning them to incentive arms at random with a recorded seed, and reports
the response rate per arm with Wilson intervals and the difference between
arms (Newcombe), so the operator can tell whether an incentive paid for itself.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

import surveys
from itworks.crypto import LinkError, LinkSigner, Vault, new_link_id
from itworks.i18n import N_
from itworks.models import InvitationRound, Registrant, SurveyLink, User, utcnow
from itworks.services import audit
from itworks.services.errors import Conflict, InvalidInput, NotFound
from itworks.services.privacy import scope
from itworks.services.surveys import responses as survey_responses
from surveys.stats import difference_interval, wilson_interval

DEFAULT_LIFETIME = timedelta(days=14)
ARM_CODE_MESSAGE = N_("アームは英小文字・数字・_ の1〜64文字です")


class LinkProblem(Exception):
    """Why a link cannot be used: tampered, expired, used or gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_link(
    session: Session,
    signer: LinkSigner,
    registrant: Registrant,
    *,
    lifetime: timedelta = DEFAULT_LIFETIME,
    round_: InvitationRound | None = None,
    arm: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> tuple[SurveyLink, str]:
    """Make a personal link (added to the unit of work) and return it with its URL token."""
    if registrant.erased_at is not None:
        raise Conflict(N_("削除済みの登録者です"))
    instrument = survey_responses.current_instrument()
    now = now or utcnow()
    link = SurveyLink(
        token_id=new_link_id(),
        registrant_id=registrant.id,
        round_id=round_.id if round_ else None,
        arm=arm,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        created_at=now,
        expires_at=now + lifetime,
        created_by_id=actor.id if actor else None,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        "survey.link",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=registrant.public_id,
        round=round_.public_id if round_ else None,
    )
    return link, signer.sign(link.token_id)


def link_for_registrant(
    session: Session, signer: LinkSigner, public_id: str, *, actor: User
) -> str:
    """A coordinator creates a personal link for one registrant; returns the token."""
    from itworks.services.intake import registrants

    registrant = registrants.get(session, public_id)
    _, token = create_link(session, signer, registrant, actor=actor)
    session.commit()
    return token


def open_link(
    session: Session, signer: LinkSigner, token: str, *, now: datetime | None = None
) -> SurveyLink:
    """The link a token names, if it may still be answered; LinkProblem otherwise."""
    max_age = int(timedelta(days=366).total_seconds())
    try:
        token_id = signer.unsign(token, max_age)
    except LinkError as exc:
        raise LinkProblem(exc.reason) from None
    link = session.scalar(sa.select(SurveyLink).where(SurveyLink.token_id == token_id))
    if link is None or link.registrant.erased_at is not None:
        raise LinkProblem("gone")
    if link.used_at is not None:
        raise LinkProblem("used")
    if (now or utcnow()) >= link.expires_at:
        raise LinkProblem("expired")
    return link


def submit(
    session: Session,
    vault: Vault,
    signer: LinkSigner,
    token: str,
    raw: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> None:
    """Record a registrant's own answers through their link, which is then spent.

    The link is claimed with a conditional update, so two simultaneous
    submissions cannot both be recorded.
    """
    link = open_link(session, signer, token, now=now)
    instrument = survey_responses.instrument_for(link.instrument_id, link.instrument_version)
    cleaned = survey_responses.clean(raw, instrument)
    now = now or utcnow()
    # Session.execute() of an UPDATE returns a CursorResult (with rowcount); it is typed Result.
    claimed = cast(
        sa.CursorResult[Any],
        session.execute(
            sa.update(SurveyLink)
            .where(SurveyLink.id == link.id, SurveyLink.used_at.is_(None))
            .values(used_at=now)
        ),
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise LinkProblem("used")
    response = survey_responses.record(
        session,
        vault,
        link.registrant,
        cleaned,
        instrument=instrument,
        channel="web",
        submitted_at=now,
        actor_label="registrant",
    )
    link.response_id = response.id
    session.commit()


# ------------------------------------------------------------------ invitation rounds


def create_round(
    session: Session,
    signer: LinkSigner,
    name: str,
    arms: Sequence[str],
    *,
    registrant_ids: Sequence[int] | None = None,
    seed: int | None = None,
    days: int | str = DEFAULT_LIFETIME.days,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> InvitationRound:
    """Invite registrants (default: every live one) and assign arms at random.

    The shuffle uses ``seed`` (drawn and recorded when not given), and arms are
    dealt in turn, so arm sizes differ by at most one and the assignment can
    be reproduced from the round's record.
    """
    arms = [a.strip() for a in (arms or ["none"])]
    errors = {}
    if not name or not name.strip() or len(name) > 200:
        errors["name"] = N_("名前は1〜200文字です")
    if len(set(arms)) != len(arms) or not all(
        a and len(a) <= 64 and a.replace("_", "").isalnum() and a.isascii() and a == a.lower()
        for a in arms
    ):
        errors["arms"] = ARM_CODE_MESSAGE
    try:
        lifetime = timedelta(days=int(days))
        if not 1 <= int(days) <= 90:
            raise ValueError
    except (TypeError, ValueError):
        errors["days"] = N_("有効日数は1〜90です")
    if errors:
        raise InvalidInput(errors)
    if session.scalar(sa.select(InvitationRound.id).where(InvitationRound.name == name)):
        raise Conflict(N_("ラウンド「%(name)s」は既にあります", name=name))
    seed = seed if seed is not None else secrets.randbits(31)
    instrument = survey_responses.current_instrument()
    round_ = InvitationRound(
        name=name.strip(),
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        arms=arms,
        seed=seed,
        created_by_id=actor.id if actor else None,
    )
    session.add(round_)
    session.flush()
    query = sa.select(Registrant).where(scope.in_use()).order_by(Registrant.id)
    if registrant_ids is not None:
        query = query.where(Registrant.id.in_(list(registrant_ids)))
    members = list(session.scalars(query))
    random.Random(seed).shuffle(members)
    for position, registrant in enumerate(members):
        create_link(
            session,
            signer,
            registrant,
            lifetime=lifetime,
            round_=round_,
            arm=arms[position % len(arms)],
            actor=actor,
            actor_label=actor_label,
            now=now,
        )
    audit.record(
        session,
        "survey.round",
        actor=actor,
        actor_label=actor_label,
        entity_type="round",
        entity_id=round_.public_id,
        invited=len(members),
        arms=arms,
        seed=seed,
    )
    session.commit()
    return round_


@dataclass(frozen=True)
class ArmResult:
    arm: str
    invited: int
    responded: int
    rate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ArmDifference:
    arm: str
    baseline: str
    difference: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class RoundReport:
    round: InvitationRound
    arms: list[ArmResult]
    differences: list[ArmDifference]

    @property
    def invited(self) -> int:
        return sum(a.invited for a in self.arms)

    @property
    def responded(self) -> int:
        return sum(a.responded for a in self.arms)

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": self.round.name,
            "seed": self.round.seed,
            "arms": [a.__dict__ for a in self.arms],
            "differences": [d.__dict__ for d in self.differences],
        }


def get_round(session: Session, public_id_or_name: str) -> InvitationRound:
    round_ = session.scalar(
        sa.select(InvitationRound).where(
            sa.or_(
                InvitationRound.public_id == public_id_or_name,
                InvitationRound.name == public_id_or_name,
            )
        )
    )
    if round_ is None:
        raise NotFound(N_("ラウンドが見つかりません"))
    return round_


def list_rounds(session: Session) -> list[InvitationRound]:
    return list(session.scalars(sa.select(InvitationRound).order_by(InvitationRound.created_at)))


def report(session: Session, round_: InvitationRound) -> RoundReport:
    """Response rate per arm with 95% Wilson intervals, and each arm against the
    first (the control) with a 95% Newcombe interval for the difference."""
    rows = dict(
        (arm, (invited, responded))
        for arm, invited, responded in session.execute(
            sa.select(
                SurveyLink.arm,
                sa.func.count(SurveyLink.id),
                sa.func.count(SurveyLink.used_at),
            )
            .where(SurveyLink.round_id == round_.id)
            .group_by(SurveyLink.arm)
        )
    )
    results = []
    for arm in round_.arms:
        invited, responded = rows.get(arm, (0, 0))
        interval = wilson_interval(responded, invited)
        results.append(
            ArmResult(
                arm,
                invited,
                responded,
                responded / invited if invited else None,
                interval.low if interval else None,
                interval.high if interval else None,
            )
        )
    differences = []
    if results:  # every other arm against the first (the control)
        control = results[0]
        for other in results[1:]:
            diff = difference_interval(
                other.responded, other.invited, control.responded, control.invited
            )
            differences.append(
                ArmDifference(
                    other.arm,
                    control.arm,
                    diff.difference if diff else None,
                    diff.low if diff else None,
                    diff.high if diff else None,
                )
            )
    return RoundReport(round_, results, differences)


def round_report(session: Session, public_id_or_name: str) -> RoundReport:
    """The report of one round, found by public id or name."""
    return report(session, get_round(session, public_id_or_name))


def round_links(
    session: Session, signer: LinkSigner, round_: InvitationRound
) -> list[tuple[Registrant, SurveyLink, str]]:
    """Each open link of a round with its URL token, for the mail merge."""
    links = session.scalars(
        sa.select(SurveyLink)
        .where(SurveyLink.round_id == round_.id, SurveyLink.used_at.is_(None))
        .order_by(SurveyLink.id)
    ).all()
    return [(link.registrant, link, signer.sign(link.token_id)) for link in links]


def instrument_of(link: SurveyLink) -> surveys.Instrument:
    return survey_responses.instrument_for(link.instrument_id, link.instrument_version)
