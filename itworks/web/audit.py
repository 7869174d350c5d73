"""監査ログ: the audit trail for admins, filtered, one page at a time, and as CSV.

Entries name records by public id and never carry personal values (see
itworks.services.audit), so the page shows them as they are. The filters are a
GET form: a bad value comes back beside its field (422), nothing is searched.
The CSV download is audited like every attachment (access.audit_download); the
page itself shows no personal data and, like the other pages without it, is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from itworks import vocabulary
from itworks.fiscal import JST
from itworks.services import audit
from itworks.services.errors import InvalidInput
from itworks.services.tiers.recontact import end_of

from ..db import db
from . import figures
from .access import roles
from .text import lazy_labels, localize

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

OUTCOME_LABELS = lazy_labels(vocabulary.AUDIT_OUTCOME_LABELS)
FILTER_NAMES = ("action", "actor", "entity_type", "entity_id", "outcome", "since", "until")
# The columns' lengths in models/audit.py: a longer value can match nothing.
MAX_LENGTH = {"action": 64, "actor": 64, "entity_type": 32, "entity_id": 64}
MAX_PAGE = 1_000_000
CSV_BATCH = 1000

FIELD_LABELS = {
    "action": _l("操作"),
    "actor": _l("操作者"),
    "entity_type": _l("対象の種類"),
    "entity_id": _l("対象ID"),
    "outcome": _l("結果"),
    "since": _l("開始日"),
    "until": _l("終了日"),
    "page": _l("ページ"),
}


def _day(raw: str) -> date:
    day = date.fromisoformat(raw)  # ValueError on anything but YYYY-MM-DD
    if not 2000 <= day.year <= 2100:
        raise ValueError(raw)
    return day


def parse(args: Mapping[str, str]) -> tuple[audit.AuditFilter, int, dict[str, str]]:
    """The filter and page of the query string, and the errors by field (translated).

    ``since`` and ``until`` are days in Japan, both included. The outcome and the
    order of the days are checked by the service when it browses.
    """
    errors: dict[str, str] = {}
    values = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    for name, limit in MAX_LENGTH.items():
        if len(values[name]) > limit:
            errors[name] = _("%(n)s 文字以内で入力してください", n=limit)
    days: dict[str, date] = {}
    for name in ("since", "until"):
        if values[name]:
            try:
                days[name] = _day(values[name])
            except ValueError:
                errors[name] = _("日付は 2022-04-01 の形で入力してください")
    raw_page = (args.get("page") or "1").strip()
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) <= 7 else 0
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = _("ページは 1 以上の整数で指定してください")
    flt = audit.AuditFilter(
        action=values["action"] or None,
        actor=values["actor"] or None,
        entity_type=values["entity_type"] or None,
        entity_id=values["entity_id"] or None,
        outcome=values["outcome"] or None,
        since=datetime.combine(days["since"], time(0), tzinfo=JST) if "since" in days else None,
        until=end_of(days["until"]) if "until" in days else None,
    )
    return flt, page, errors


def _browse(
    flt: audit.AuditFilter, page: int, page_size: int, errors: dict[str, str]
) -> audit.AuditPage | None:
    """One page of the trail, or None with the service's refusals added to ``errors``.

    The service checks the outcome and the order of the days even when a field is
    already wrong, so every error is shown at once."""
    try:
        found = audit.browse(db.session, flt, page=max(page, 1), page_size=page_size)
    except InvalidInput as exc:
        errors.update({name: str(localize(message)) for name, message in exc.errors.items()})
        return None
    return None if errors else found


def _kept() -> dict[str, Any]:
    return {name: value for name in FILTER_NAMES if (value := request.args.get(name, "").strip())}


def detail_items(detail: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An entry's detail as (key, text) pairs: lists joined, other values as JSON."""
    items = []
    for key, value in sorted((detail or {}).items()):
        if isinstance(value, list | tuple):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False)
        items.append((str(key), text))
    return items


def _render(flt: audit.AuditFilter, page: int, errors: dict[str, str]):  # noqa: ANN202
    result = _browse(flt, page, int(current_app.config["PAGE_SIZE"]), errors)
    kept = _kept()

    def page_url(number: int) -> str:
        return url_for("audit.index", page=number, **kept)

    return render_template(
        "audit/index.html",
        result=result,
        errors=errors,
        args={name: request.args.get(name, "") for name in FILTER_NAMES},
        kept=kept,
        page_url=page_url,
        action_choices=audit.actions(db.session),
        AUDIT_OUTCOMES=vocabulary.AUDIT_OUTCOMES,
        OUTCOME_LABELS=OUTCOME_LABELS,
        FIELD_LABELS=FIELD_LABELS,
        detail_items=detail_items,
    ), (422 if errors else 200)


@bp.get("")
@roles("admin")
def index():
    """Show the audit trail, newest first, filtered by action (``prefix*``), actor,
    entity, outcome and days, one page at a time."""
    flt, page, errors = parse(request.args)
    return _render(flt, page, errors)


CSV_HEADER = (
    "at_jst",
    "seq",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "outcome",
    "detail",
)


def _csv_rows(first: audit.AuditPage, flt: audit.AuditFilter) -> Iterator[tuple[Any, ...]]:
    found = first
    while True:
        for event in found.rows:
            yield (
                event.at.astimezone(JST).isoformat(timespec="seconds"),
                event.seq,
                event.actor,
                event.action,
                event.entity_type,
                event.entity_id,
                event.outcome,
                json.dumps(event.detail or {}, ensure_ascii=False, sort_keys=True),
            )
        if found.page >= found.pages:
            return
        found = audit.browse(db.session, flt, page=found.page + 1, page_size=CSV_BATCH)


@bp.get("/entries.csv")
@roles("admin")
def entries_csv():
    """Download every entry the filters select as CSV (UTF-8 with BOM), newest first."""
    flt, page, errors = parse(request.args)
    first = _browse(flt, 1, CSV_BATCH, errors)
    if first is None:
        return _render(flt, page, errors)
    return figures.csv_response("audit-log.csv", CSV_HEADER, list(_csv_rows(first, flt)))
