"""Disclosure (開示): one person's file, as JSON and as a readable HTML page.

The file holds the person's record (every field, decrypted), the history of
corrected values, and every row of every table that refers to them — survey
answers, consultations and contacts with their notes, tiers, invitations and
sign-ups, introductions with their stages, hires, third-party provisions,
messages, requests — found from the schema itself, so a table added later is
disclosed without a change here, and the audit entries about them. Nothing
about anyone else: rows are chosen by the person's own ids only, a company or
event is named, never its contact person.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import sqlalchemy as sa
from sqlalchemy.orm import Session

from itworks import japanese
from itworks.crypto import DecryptionError, Vault
from itworks.database import begin_write
from itworks.fiscal import JST
from itworks.i18n import N_, Message, translate
from itworks.models import (
    PERSONAL_FIELDS,
    AuditEvent,
    Base,
    Company,
    Event,
    Registrant,
    User,
    utcnow,
)
from itworks.services import audit
from itworks.services.intake import registrants as registrant_service
from itworks.services.privacy import correction, requests
from itworks.vocabulary import ORIGIN_LABELS, TIER_LABELS, TIER_METHOD_LABELS

_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "privacy"
# Tables that are not the person's records (keys, the registrant row itself, indexes).
SKIPPED_TABLES = {"registrants", "data_keys", "registrant_identifiers", "audit_events"}
# Columns that say nothing to the person (row numbers of other tables stay, they are
# harmless; the blind-index digest is a keyed hash of their own address).
SKIPPED_COLUMNS = {"digest", "token_id", "message_id"}
# Detail keys of audit entries that may name the person from another record.
AUDIT_PERSON_KEYS = ("registrant", "registrants")

FIELD_LABELS: dict[str, Message] = {
    "name": N_("氏名"),
    "name_kana": N_("氏名（カナ）"),
    "email": N_("メールアドレス"),
    "phone": N_("電話番号"),
    "employer": N_("現在の勤務先"),
    "residence_prefecture": N_("居住都道府県"),
    "birth_year": N_("生年"),
    "age_band": N_("年代"),
    "origin": N_("UターンかIターンか"),
    "public_id": N_("登録者ID"),
    "utm": N_("流入元（UTM）"),
    "registered_at": N_("登録日時"),
    "source": N_("登録経路"),
    "referrer": N_("参照元"),
    "consent_notice_version": N_("同意したプライバシーポリシーの版"),
    "consent_at": N_("同意日時"),
    "mail_opt_out_at": N_("メール配信停止日時"),
    "use_stopped_at": N_("利用停止日時"),
    "erased_at": N_("削除日時"),
}
COLUMN_LABELS: dict[str, Message] = {
    "id": N_("番号"),
    "public_id": N_("ID"),
    "kind": N_("種類"),
    "status": N_("状態"),
    "channel": N_("経路"),
    "at": N_("日時"),
    "created_at": N_("作成日時"),
    "submitted_at": N_("回答日時"),
    "answers": N_("回答"),
    "free_text": N_("自由記述"),
    "held_at": N_("実施日時"),
    "contacted_at": N_("連絡日時"),
    "notes": N_("メモ"),
    "outcome": N_("結果"),
    "coordinator_id": N_("担当"),
    "tier": N_("ティア"),
    "method": N_("判定方法"),
    "assigned_at": N_("判定日時"),
    "confidence": N_("確からしさ"),
    "persona": N_("ペルソナ"),
    "explanation": N_("判定の根拠"),
    "event_id": N_("イベント"),
    "company_id": N_("企業"),
    "signed_up_at": N_("申込日時"),
    "attended_at": N_("出席日時"),
    "introduced_at": N_("紹介日時"),
    "stage": N_("段階"),
    "hired_at": N_("採用日時"),
    "items": N_("提供した項目"),
    "provided_on": N_("提供日"),
    "consent_at": N_("同意日時"),
    "keep_until": N_("保存期限"),
    "template": N_("メールの種類"),
    "sent_at": N_("送信日時"),
    "received_on": N_("受付日"),
    "answered_at": N_("回答日時"),
}
TABLE_LABELS: dict[str, Message] = {
    "utm_touches": N_("流入の記録"),
    "survey_responses": N_("アンケートの回答"),
    "survey_links": N_("アンケートのリンク"),
    "consultations": N_("キャリア相談の記録"),
    "contact_logs": N_("連絡の記録"),
    "tier_assignments": N_("ティアの履歴"),
    "stage_exits": N_("離脱・育成に戻した記録"),
    "event_signups": N_("イベントの申込み"),
    "invitations": N_("イベントへの招待"),
    "introductions": N_("企業への紹介"),
    "introduction_stages": N_("紹介の段階"),
    "hires": N_("採用の記録"),
    "settling_follow_ups": N_("定着の確認"),
    "third_party_provisions": N_("第三者提供の記録"),
    "outbox_messages": N_("送信したメール"),
    "privacy_requests": N_("個人情報に関する請求"),
    "registrant_field_history": N_("訂正前の値"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _person_tables() -> tuple[list[sa.Table], list[tuple[sa.Table, sa.Column, sa.Table]]]:
    """Tables with a ``registrant_id`` to registrants, and the tables below them
    (table, foreign-key column, parent table), from the schema."""
    direct = []
    for table in Base.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES or "registrant_id" not in table.c:
            continue
        if any(fk.column.table.name == "registrants" for fk in table.c.registrant_id.foreign_keys):
            direct.append(table)
    names = {t.name for t in direct}
    below = []
    for table in Base.metadata.sorted_tables:
        if table.name in names or table.name in SKIPPED_TABLES or "registrant_id" in table.c:
            continue
        for column in table.c:
            for fk in column.foreign_keys:
                if fk.column.table.name in names and fk.column.name == "id":
                    below.append((table, column, fk.column.table))
    return direct, below


class _Names:
    """Names of the staff, companies and events a row points at (never a contact)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._users: dict[int, str] | None = None
        self._companies: dict[int, str | None] = {}
        self._events: dict[int, dict[str, Any]] = {}

    def of(self, column: sa.Column, value: Any) -> Any:
        if value is None:
            return None
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "users" in targets:
            if self._users is None:
                self._users = dict(self.session.execute(sa.select(User.id, User.username)).all())
            return self._users.get(value)
        if "companies" in targets:
            if value not in self._companies:
                self._companies[value] = self.session.scalar(
                    sa.select(Company.name).where(Company.id == value)
                )
            return self._companies[value]
        if "events" in targets:
            if value not in self._events:
                row = self.session.execute(
                    sa.select(Event.public_id, Event.name, Event.starts_at).where(Event.id == value)
                ).first()
                self._events[value] = (
                    {"id": row[0], "name": row[1], "starts_at": row[2].isoformat()} if row else {}
                )
            return self._events[value]
        return value


def _rows(
    session: Session,
    vault: Vault,
    table: sa.Table,
    where: sa.ColumnElement[bool],
    owners: dict[int, Registrant],
    names: _Names,
    owner_of: Any,
) -> list[dict[str, Any]]:
    out = []
    order = [table.c[c] for c in ("id",) if c in table.c]
    for row in session.execute(sa.select(table).where(where).order_by(*order)).mappings():
        item: dict[str, Any] = {}
        owner = owners.get(owner_of(row))
        row_key = str(row["public_id"]) if "public_id" in table.c else str(row["id"])
        for column in table.c:
            name = column.name
            if name in SKIPPED_COLUMNS or name == "registrant_id":
                continue
            value = row[name]
            if name.endswith("_enc"):
                plain_name = name[: -len("_enc")]
                item[plain_name] = _open(vault, owner, table.name, plain_name, row_key, value)
                continue
            if column.foreign_keys:
                value = names.of(column, value)
            item[name] = _plain(value)
        if "registrant_id" in table.c and len(owners) > 1:
            item["registrant"] = owner.public_id if owner else None
        out.append(item)
    return out


def _open(
    vault: Vault, owner: Registrant | None, table: str, column: str, row: str, blob: bytes | None
) -> Any:
    if blob is None or owner is None:
        return None
    try:
        return registrant_service.open_for(
            vault, owner, table=table, column=column, row=row, blob=blob
        )
    except DecryptionError:
        return {"unreadable": True}


def _registrant(vault: Vault, registrant: Registrant) -> dict[str, Any]:
    view = registrant_service.summarize(vault, registrant)
    out: dict[str, Any] = {"public_id": registrant.public_id}
    out.update({name: view.personal.get(name) for name in PERSONAL_FIELDS})
    for name in (
        "residence_prefecture",
        "birth_year",
        "age_band",
        "origin",
        "registered_at",
        "source",
        "referrer",
        "consent_notice_version",
        "consent_at",
        "mail_opt_out_at",
        "use_stopped_at",
        "erased_at",
    ):
        out[name] = _plain(getattr(registrant, name))
    out["utm"] = view.utm
    if view.unreadable:
        out["unreadable"] = view.unreadable
    return out


def _audit_entries(
    session: Session, person_ids: Iterable[str], own_ids: Iterable[str]
) -> list[dict[str, Any]]:
    """Audit entries about the person: on their row or one of their records, or
    naming them in the entry's detail (a sign-up names the event and the person)."""
    person_ids, entity_ids = set(person_ids), set(person_ids) | set(own_ids)
    entries = session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.entity_id.in_(entity_ids),
                AuditEvent.detail["registrant"].as_string().in_(person_ids),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "outcome": getattr(entry, "outcome", None),
            # a list of people (a batch) would name others: only its length is shown
            "detail": {
                k: (len(v) if k in AUDIT_PERSON_KEYS and isinstance(v, list) else v)
                for k, v in (entry.detail or {}).items()
            },
        }
        for entry in entries
    ]


def collect(session: Session, vault: Vault, person: Registrant) -> dict[str, Any]:
    """The person's whole file as JSON-ready data (no audit, no commit)."""
    rows = requests.people(session, person)
    owners = {row.id: row for row in rows}
    ids = list(owners)
    names = _Names(session)
    direct, below = _person_tables()
    records: dict[str, list[dict[str, Any]]] = {}
    parent_ids: dict[str, dict[int, int]] = {}
    for table in direct:
        where = table.c.registrant_id.in_(ids)
        found = _rows(session, vault, table, where, owners, names, lambda r: r["registrant_id"])
        if "id" in table.c:
            parent_ids[table.name] = dict(
                session.execute(sa.select(table.c.id, table.c.registrant_id).where(where)).all()
            )
        if found:
            records[table.name] = found
    for table, column, parent in below:
        owner_by_parent = parent_ids.get(parent.name, {})
        if not owner_by_parent:
            continue
        found = _rows(
            session,
            vault,
            table,
            column.in_(list(owner_by_parent)),
            owners,
            names,
            lambda r, c=column.name, m=owner_by_parent: m.get(r[c]),
        )
        if found:
            records.setdefault(table.name, []).extend(found)
    history = [
        {
            "field": h.field,
            "old_value": h.old_value,
            "changed_at": h.changed_at.isoformat(),
            "changed_by": h.changed_by,
        }
        for row in rows
        for h in correction.history(session, vault, row)
    ]
    records.pop("registrant_field_history", None)  # shown decrypted as "corrections"
    return {
        "format": "itworks-disclosure/1",
        "generated_at": utcnow().isoformat(),
        "registrant": _registrant(vault, person),
        "merged_duplicates": [_registrant(vault, row) for row in rows[1:]],
        "corrections": history,
        "records": records,
        "audit": _audit_entries(
            session,
            [row.public_id for row in rows],
            [r["public_id"] for found in records.values() for r in found if r.get("public_id")],
        ),
    }


def render_html(data: dict[str, Any], lang: str = "ja") -> str:
    """The readable page of a disclosure file (Japanese first; ``lang="en"`` in English)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(("html",)),
        undefined=jinja2.StrictUndefined,
    )

    def gettext(msgid: str, **params: Any) -> str:
        return translate(Message(msgid, **params), lang)

    codes = {"tier": TIER_LABELS, "origin": ORIGIN_LABELS, "method": TIER_METHOD_LABELS}

    def shown(value: Any, column: str | None = None) -> Any:
        """A value as the page shows it: times in Japan, codes by their label."""
        if isinstance(value, str):
            if column in codes and value in codes[column]:
                return translate(codes[column][value], lang)
            if column == "phone" and value.startswith("+"):
                return japanese.display_phone(value)
            if _ISO_TIME.fullmatch(value):
                return datetime.fromisoformat(value).astimezone(JST).strftime("%Y-%m-%d %H:%M")
        return value

    env.globals.update(
        _=gettext,
        shown=shown,
        column_label=lambda name: (
            translate(COLUMN_LABELS[name], lang) if name in COLUMN_LABELS else name
        ),
        field_label=lambda name: (
            translate(FIELD_LABELS[name], lang) if name in FIELD_LABELS else name
        ),
        table_label=lambda name: (
            translate(TABLE_LABELS[name], lang) if name in TABLE_LABELS else name
        ),
    )
    return env.get_template("disclosure.html").render(data=data, lang=lang)


def disclose(
    session: Session,
    vault: Vault,
    ref: str,
    *,
    received_on: object = None,
    answered_via: str | None = None,
    actor: User | None = None,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A disclosure request: the person's file, with the request recorded and the
    export audited (no value in either); commits."""
    now = now or utcnow()
    received = requests.parse_received(received_on, requests.today_jst(now))
    via = requests.check_via(answered_via)
    begin_write(session)
    person = requests.find(session, vault, ref)
    data = collect(session, vault, person)
    request = requests.record(
        session,
        "disclosure",
        person,
        received_on=received,
        outcome="disclosed",
        answered_via=via,
        handled_by=requests.actor_name(actor, actor_label),
        now=now,
        tables=sorted(data["records"]),
    )
    audit.record(
        session,
        "registrant.disclose",
        actor=actor,
        actor_label=actor_label,
        entity_type="registrant",
        entity_id=person.public_id,
        request=request.public_id,
        tables=len(data["records"]),
    )
    session.commit()
    data["request"] = {"id": request.public_id, "received_on": received.isoformat()}
    return data
