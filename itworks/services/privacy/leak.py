"""Leak drill: which people and which fields an account (or API token) could have
read in a window, from the audit trail, and a draft of the preliminary report to
the Personal Information Protection Commission (個人情報保護委員会への速報).

What the trail lets us see today (the actions and what each one shows):

* ``registrant.view`` — a registrant's page: every personal field and the survey
  free text; ``contact.view`` — their consultation and contact notes;
  ``registrant.disclose`` — their whole file;
* ``registrant.export`` — the CSV of every registrant at that time;
* ``survey.round_links`` — the mail-merge file of a survey round (name, email);
* ``registrant.list`` / ``tier.list`` — a page of names: the trail keeps how many
  were shown but not who, so they count toward an upper bound, unnamed;
* ``company.view`` — a company's contact person (not a registrant).

A person read in the window counts once, with the union of the fields read. The
public-body threshold (more than 100 people) is judged on the upper bound, since
the law covers a leak that "may have" happened (おそれ).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import csvio
from itworks.i18n import N_, Message
from itworks.models import (
    PERSONAL_FIELDS,
    AuditEvent,
    InvitationRound,
    Registrant,
    SurveyLink,
)
from itworks.services.errors import InvalidInput
from itworks.services.privacy.disclosure import FIELD_LABELS

THRESHOLD = 100
ALL = (*PERSONAL_FIELDS, "survey_free_text", "contact_notes", "history")
READS: dict[str, tuple[str, ...]] = {
    "registrant.view": (*PERSONAL_FIELDS, "survey_free_text"),
    "contact.view": ("contact_notes",),
    "registrant.disclose": ALL,
}
LIST_READS: dict[str, tuple[str, ...]] = {
    "registrant.list": ("name", "name_kana"),
    "tier.list": ("name", "name_kana"),
}
EXPORT_FIELDS = PERSONAL_FIELDS
ROUND_LINK_FIELDS = ("name", "email")
EXTRA_LABELS: dict[str, Message] = {
    "survey_free_text": N_("アンケートの自由記述"),
    "contact_notes": N_("相談・連絡の記録（メモ・結果）"),
    "history": N_("訂正前の値"),
}
TO_FILL = N_("（記入してください）")
PEOPLE_OVER = N_(
    "%(upper)s 人（個人を特定できる者 %(named)s 人、一覧表示で人数のみ記録された行 %(unnamed)s）。"
    "報告が必要な基準（100人超）を超えます。"
)
PEOPLE_UNDER = N_(
    "%(upper)s 人（個人を特定できる者 %(named)s 人、一覧表示で人数のみ記録された行 %(unnamed)s）。"
    "報告が必要な基準（100人超）は超えません。"
)
REPORT_ITEMS: tuple[tuple[str, Message], ...] = (
    ("summary", N_("概要")),
    ("items", N_("漏えい等が発生し、又は発生したおそれがある個人データの項目")),
    ("people", N_("漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数")),
    ("cause", N_("原因")),
    ("secondary_damage", N_("二次被害又はそのおそれの有無及びその内容")),
    ("response_to_people", N_("本人への対応の実施状況")),
    ("publication", N_("公表の実施状況")),
    ("prevention", N_("再発防止のための措置")),
    ("other", N_("その他参考となる事項")),
)
MESSAGES = {
    "window": N_("--since と --until に日時を指定してください（--since が前）"),
    "who": N_("--user か --token のどちらか一つを指定してください"),
}


def field_label(name: str) -> Message:
    return FIELD_LABELS.get(name) or EXTRA_LABELS.get(name) or Message(name)


@dataclass
class PersonRead:
    registrant: str
    fields: set[str] = field(default_factory=set)
    reads: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def add(self, fields: Iterable[str], at: datetime) -> None:
        self.fields.update(fields)
        self.reads += 1
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)


def parse_window(since: object, until: object) -> tuple[datetime, datetime]:
    try:
        start = since if isinstance(since, datetime) else csvio.parse_datetime(str(since))
        end = until if isinstance(until, datetime) else csvio.parse_datetime(str(until))
    except ValueError:
        raise InvalidInput({"window": MESSAGES["window"]}) from None
    if end <= start:
        raise InvalidInput({"window": MESSAGES["window"]})
    return start, end


def _actor_filter(user: str | None, token: str | None) -> sa.ColumnElement[bool]:
    if bool(user) == bool(token):
        raise InvalidInput({"who": MESSAGES["who"]})
    if user:
        return AuditEvent.actor == user
    return sa.or_(
        AuditEvent.actor == f"token:{token}",
        AuditEvent.detail["token"].as_string() == token,
    )


def _everyone_at(session: Session, at: datetime) -> list[str]:
    """Who a full export at ``at`` held: registered by then, not erased before."""
    return list(
        session.scalars(
            sa.select(Registrant.public_id).where(
                Registrant.merged_into_id.is_(None),
                Registrant.registered_at <= at,
                sa.or_(Registrant.erased_at.is_(None), Registrant.erased_at > at),
            )
        )
    )


def _round_members(session: Session, round_public_id: str | None) -> list[str]:
    return list(
        session.scalars(
            sa.select(Registrant.public_id)
            .join(SurveyLink, SurveyLink.registrant_id == Registrant.id)
            .join(InvitationRound, InvitationRound.id == SurveyLink.round_id)
            .where(InvitationRound.public_id == round_public_id)
        )
    )


def report(
    session: Session,
    *,
    since: object,
    until: object,
    user: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """The leak drill's findings and the preliminary-report draft (codes and public
    ids only; the operator looks the people up to notify them)."""
    start, end = parse_window(since, until)
    who = _actor_filter(user, token)
    events = session.scalars(
        sa.select(AuditEvent)
        .where(who, AuditEvent.at >= start, AuditEvent.at < end)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    people: dict[str, PersonRead] = {}
    by_action: dict[str, int] = {}
    unnamed = 0
    companies: set[str] = set()
    downloads = 0

    def read(public_ids: Iterable[str], fields: Iterable[str], at: datetime) -> None:
        fields = tuple(fields)
        for public_id in public_ids:
            people.setdefault(public_id, PersonRead(public_id)).add(fields, at)

    for event in events:
        by_action[event.action] = by_action.get(event.action, 0) + 1
        if getattr(event, "outcome", "ok") not in (None, "ok"):
            continue  # refused or failed: nothing was shown
        detail = event.detail or {}
        if event.action in READS and event.entity_id:
            read([event.entity_id], READS[event.action], event.at)
        elif event.action == "registrant.export":
            read(_everyone_at(session, event.at), EXPORT_FIELDS, event.at)
        elif event.action == "survey.round_links":
            read(_round_members(session, event.entity_id), ROUND_LINK_FIELDS, event.at)
        elif event.action in LIST_READS:
            unnamed += int(detail.get("shown") or 0)
        elif event.action == "company.view" and event.entity_id:
            companies.add(event.entity_id)
        elif event.action == "download":
            downloads += 1
    erased = set(
        session.scalars(
            sa.select(Registrant.public_id).where(
                Registrant.public_id.in_(list(people)), Registrant.erased_at.is_not(None)
            )
        )
    )
    list_fields = sorted({f for a in LIST_READS for f in LIST_READS[a]}) if unnamed else []
    fields = sorted({f for p in people.values() for f in p.fields} | set(list_fields), key=_order)
    named = len(people)
    upper = named + unnamed
    result: dict[str, Any] = {
        "window": {"since": start.isoformat(), "until": end.isoformat()},
        "account": {"user": user, "token": token},
        "events": len(events),
        "by_action": dict(sorted(by_action.items())),
        "people": [
            {
                "registrant": p.registrant,
                "fields": sorted(p.fields, key=_order),
                "reads": p.reads,
                "first_read": p.first_at.isoformat() if p.first_at else None,
                "last_read": p.last_at.isoformat() if p.last_at else None,
                "erased_since": p.registrant in erased,
            }
            for p in sorted(people.values(), key=lambda p: p.registrant)
        ],
        "fields": fields,
        "named_people": named,
        "unnamed_list_rows": unnamed,
        "people_upper_bound": upper,
        "threshold": THRESHOLD,
        "exceeds_threshold": upper > THRESHOLD,
        "company_contacts": sorted(companies),
    }
    result["preliminary_report"] = _draft(result, downloads)
    return result


def _order(name: str) -> int:
    return ALL.index(name) if name in ALL else len(ALL)


def _draft(found: dict[str, Any], downloads: int) -> list[dict[str, Any]]:
    """The items of the preliminary report, filled where the trail allows."""
    account = found["account"]["user"] or f"token:{found['account']['token']}"
    window = found["window"]
    values: dict[str, Any] = {
        "summary": N_(
            "%(account)s が %(since)s から %(until)s までに個人データを閲覧できた可能性がある"
            "（監査ログの記録 %(events)s 件から抽出）。",
            account=account,
            since=window["since"],
            until=window["until"],
            events=found["events"],
        ),
        "items": [field_label(f) for f in found["fields"]]
        or N_("なし（個人データの閲覧の記録はありません）"),
        "people": (PEOPLE_OVER if found["exceeds_threshold"] else PEOPLE_UNDER).bind(
            upper=found["people_upper_bound"],
            named=found["named_people"],
            unnamed=found["unnamed_list_rows"],
        ),
        "cause": None,
        "secondary_damage": None,
        "response_to_people": None,
        "publication": None,
        "prevention": None,
        "other": N_(
            "監査ログに基づく抽出。ファイルのダウンロード %(downloads)s 件、"
            "企業担当者の閲覧 %(companies)s 社。",
            downloads=downloads,
            companies=len(found["company_contacts"]),
        ),
    }
    return [
        {
            "item": code,
            "label": label,
            "value": values[code] if values[code] is not None else TO_FILL,
            "filled": values[code] is not None,
        }
        for code, label in REPORT_ITEMS
    ]
