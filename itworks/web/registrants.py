"""Registrant pages for coordinators (personal data: never for prefecture staff).

The list searches by email or phone (blind index), by public id, or by part of a
name or kana (a bounded, audited scan), and filters by tier, status, origin and
prefecture. A person's page shows their record, tier, survey answers and timeline, with the forms a
coordinator uses there: record a consultation or contact, start an introduction
(the third-party provision is recorded first), move an introduction's stage,
mark a drop-off or a return to nurturing, record a settling-in check.

A form that fails comes back on the same page with what was typed, each error
beside its field, at the form's own anchor (the form posts to ``…#anchor``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from itworks import japanese, vocabulary
from itworks.fiscal import JST
from itworks.models import utcnow
from itworks.services.engagement import contacts as contact_service
from itworks.services.engagement import dossier as dossier_service
from itworks.services.engagement import hires as hire_service
from itworks.services.engagement import introductions as introduction_service
from itworks.services.intake import directory, registrants
from itworks.services.tiers import recontact

from ..db import db
from ..extensions import vault
from ..services.errors import Conflict, InvalidInput, NotFound
from .access import PERSONAL_DATA, roles
from .auth import current_staff
from .text import error_text, lazy_labels, localize

bp = Blueprint("registrants", __name__, url_prefix="/registrants")
MAX_PAGE = 1_000_000

CONTACT_KIND_LABELS = lazy_labels(vocabulary.CONTACT_KIND_LABELS)
STAGE_LABELS = lazy_labels(vocabulary.INTRODUCTION_STATUS_LABELS)
PROVISION_ITEM_LABELS = lazy_labels(vocabulary.PROVISION_ITEM_LABELS)
SETTLING_OUTCOME_LABELS = lazy_labels(vocabulary.SETTLING_OUTCOME_LABELS)
TIMELINE_KIND_LABELS = lazy_labels(vocabulary.TIMELINE_KIND_LABELS)
STATUS_LABELS = lazy_labels(vocabulary.REGISTRANT_STATUS_LABELS)
SIGNUP_STATUS_LABELS = lazy_labels(vocabulary.SIGNUP_STATUS_LABELS)
FUNNEL_STAGE_LABELS = lazy_labels(vocabulary.STAGE_LABELS)
ANSWER_LABELS = {"accepted": _l("参加する"), "declined": _l("参加しない")}

# What each form's fields are called, for an error that names a field the form
# does not show (and for the summary above a form).
FIELD_LABELS = {
    "kind": _l("種類"),
    "at": _l("日時"),
    "outcome": _l("結果"),
    "notes": _l("メモ"),
    "channel": _l("連絡方法"),
    "coordinator": _l("担当"),
    "company": _l("企業"),
    "items": _l("提供する項目"),
    "consent_at": _l("第三者提供への同意日時"),
    "follow_up_on": _l("次回フォロー日"),
    "from_fair": _l("フォロー元の転職フェア"),
    "stage": _l("段階"),
    "reason": _l("理由"),
    "turn": _l("U/Iターン"),
    "moved_on": _l("移住日"),
    "disposition": _l("操作"),
    "next_contact_on": _l("次回の連絡日"),
    "outcome_settling": _l("定着の状況"),
    "months": _l("確認の時期"),
    "q": _l("検索"),
    "tier": _l("ティア"),
    "status": _l("状態"),
    "origin": _l("区分"),
    "prefecture": _l("居住地"),
    "page": _l("ページ"),
}
FORMS = ("contact", "introduction", "stage", "disposition", "settling")
ANCHORS = {name: f"{name}-form" for name in FORMS}


def service_now() -> datetime:
    """Now, on the service's clock (see recontact.service_now)."""
    return recontact.service_now(current_app.config.get("AS_OF_DATE"))


def service_today() -> date:
    return recontact.reference_date(current_app.config.get("AS_OF_DATE"))


def _intervals() -> dict[str, int]:
    return recontact.intervals(current_app.config["RECONTACT_DAYS"])


def _translated(errors: dict[str, Any]) -> dict[str, str]:
    return {name: str(localize(message)) for name, message in errors.items()}


# ----------------------------------------------------------------- the list


FILTER_NAMES = ("q", "tier", "status", "origin", "prefecture")


def _list(args, page: int):  # noqa: ANN001, ANN202
    errors: dict[str, str] = {}
    result = None
    try:
        flt = directory.parse_filter(args)
        result = directory.list_page(
            db.session,
            vault(),
            actor=current_staff(),
            page=page,
            page_size=int(current_app.config["PAGE_SIZE"]),
            flt=flt,
            scan_limit=int(current_app.config["SEARCH_SCAN_LIMIT"]),
        )
    except InvalidInput as exc:
        db.session.rollback()
        errors = _translated(exc.errors)
    kept: dict[str, Any] = {
        k: v for k, v in (result.filter.as_args() if result else {}).items() if k != "q"
    }

    def page_url(number: int) -> str:
        # The pager keeps the filters, never the search term (personal data).
        return url_for("registrants.index", page=number, **kept)

    return render_template(
        "registrants/index.html",
        result=result,
        page_url=page_url,
        errors=errors,
        args={k: (args.get(k) or "") for k in FILTER_NAMES},
        status_codes=vocabulary.REGISTRANT_STATUSES,
        STATUS_LABELS=STATUS_LABELS,
        prefectures=japanese.PREFECTURES,
        FIELD_LABELS=FIELD_LABELS,
    ), (422 if errors else 200)


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """List the registrants, newest first, filtered by tier, status, origin and
    prefecture (query parameters), one page at a time."""
    page = request.args.get("page", 1, type=int) or 1
    # Bounded before it reaches SQL: a 20-digit page overflowed the OFFSET.
    if not 1 <= page <= MAX_PAGE:
        abort(400)
    return _list(request.args, page)


@bp.post("/")
@roles(*PERSONAL_DATA)
def search():
    """The same list searched by name, kana, email, phone or public id. The page's
    search form (and the pager of a search) posts here, so the term never appears
    in a URL, a log or the history."""
    page = request.form.get("page", 1, type=int) or 1
    if not 1 <= page <= MAX_PAGE:
        abort(400)
    return _list(request.form, page)


# ----------------------------------------------------------------- one registrant


def _load(public_id: str):  # noqa: ANN202
    try:
        return registrants.get(db.session, public_id)
    except NotFound:
        abort(404)


def _render_detail(public_id: str, form: str | None = None, values=None, errors=None, status=200):  # noqa: ANN001, ANN202
    row = _load(public_id)
    dossier = dossier_service.build(db.session, vault(), row, actor=current_staff())
    state: dict[str, dict[str, Any]] = {name: {"typed": {}, "errors": {}} for name in FORMS}
    if form is not None:
        state[form] = {"typed": values or {}, "errors": _translated(errors or {})}
    now_local = service_now().astimezone(JST)
    return render_template(
        "registrants/detail.html",
        **dossier.as_dict(),
        state=state,
        anchors=ANCHORS,
        now_text=now_local.strftime("%Y-%m-%d %H:%M"),
        today_text=now_local.date().isoformat(),
        CONTACT_KINDS=vocabulary.CONTACT_KINDS,
        CONTACT_KIND_LABELS=CONTACT_KIND_LABELS,
        STAGES=vocabulary.INTRODUCTION_STATUSES,
        STAGE_LABELS=STAGE_LABELS,
        PROVISION_ITEMS=vocabulary.PROVISION_ITEMS,
        PROVISION_ITEM_LABELS=PROVISION_ITEM_LABELS,
        SETTLING_OUTCOMES=vocabulary.SETTLING_OUTCOMES,
        SETTLING_OUTCOME_LABELS=SETTLING_OUTCOME_LABELS,
        TIMELINE_KIND_LABELS=TIMELINE_KIND_LABELS,
        SIGNUP_STATUS_LABELS=SIGNUP_STATUS_LABELS,
        FUNNEL_STAGE_LABELS=FUNNEL_STAGE_LABELS,
        ANSWER_LABELS=ANSWER_LABELS,
        STATUS_LABELS=STATUS_LABELS,
        HIRE_TURNS=vocabulary.HIRE_TURNS,
        FIELD_LABELS=FIELD_LABELS,
    ), status


@bp.get("/<public_id>")
@roles(*PERSONAL_DATA)
def detail(public_id: str):
    """Show one registrant's record, timeline and the coordinator's forms."""
    return _render_detail(public_id)


def _back(public_id: str, form: str):  # noqa: ANN202
    return redirect(url_for("registrants.detail", public_id=public_id) + "#" + ANCHORS[form])


def _refused(public_id: str, form: str, values: dict[str, Any], exc: Exception):  # noqa: ANN202
    """The page again, with what was typed and the errors beside their fields."""
    db.session.rollback()
    if isinstance(exc, InvalidInput):
        errors: dict[str, Any] = dict(exc.errors)
    else:
        errors = {"_form": error_text(exc)}
    return _render_detail(public_id, form, values, errors, 422)


def _form(*names: str) -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip() for name in names}


def _run(public_id: str, form: str, values: dict[str, Any], call, done: str):  # noqa: ANN001, ANN202
    try:
        call()
    except NotFound:
        # The registrant gone is a 404; anything else named (an introduction, a
        # hire) is refused at the form like any other bad input.
        _load(public_id)
        return _refused(public_id, form, values, Conflict(_("対象が見つかりません")))
    except (InvalidInput, Conflict) as exc:
        return _refused(public_id, form, values, exc)
    flash(done, "ok")
    return _back(public_id, form)


@bp.post("/<public_id>/contacts")
@roles(*PERSONAL_DATA)
def add_contact(public_id: str):
    """Record a consultation or contact (kind, time, outcome, encrypted notes)."""
    values = _form("kind", "at", "outcome", "notes")
    _load(public_id)

    def call() -> None:
        contact_service.record_contact(
            db.session,
            vault(),
            public_id,
            values["kind"],
            at=values["at"] or None,
            outcome=values["outcome"],
            notes=values["notes"],
            actor=current_staff(),
            now=service_now(),
        )

    return _run(public_id, "contact", values, call, _("連絡を記録しました。"))


@bp.post("/<public_id>/introductions")
@roles(*PERSONAL_DATA)
def add_introduction(public_id: str):
    """Start an introduction: the third-party provision record first, or nothing."""
    values: dict[str, Any] = _form("company", "consent_at", "at", "follow_up_on", "from_fair")
    values["items"] = [i for i in request.form.getlist("items") if i]
    _load(public_id)

    def call() -> None:
        introduction_service.add_introduction(
            db.session,
            public_id,
            values["company"],
            items=values["items"],
            consent_at=values["consent_at"] or None,
            at=values["at"] or None,
            from_fair=values["from_fair"] or None,
            follow_up_on=values["follow_up_on"] or None,
            retention_years=int(current_app.config["PROVISION_RETENTION_YEARS"]),
            actor=current_staff(),
            now=service_now(),
        )

    return _run(public_id, "introduction", values, call, _("紹介を記録しました。"))


@bp.post("/<public_id>/introductions/<introduction_id>/stage")
@roles(*PERSONAL_DATA)
def move_introduction(public_id: str, introduction_id: str):
    """Move one of the registrant's introductions to a later stage."""
    values: dict[str, Any] = _form("stage", "reason", "at", "turn", "moved_on", "follow_up_on")
    values["introduction"] = introduction_id
    row = _load(public_id)
    mine = {i.public_id for i in introduction_service.of_registrant(db.session, row)}
    if introduction_id not in mine:
        abort(404)

    def call() -> None:
        introduction_service.move(
            db.session,
            introduction_id,
            values["stage"],
            reason=values["reason"] or None,
            at=values["at"] or None,
            follow_up_on=values["follow_up_on"] or None,
            turn=values["turn"] or None,
            moved_on=values["moved_on"] or None,
            actor=current_staff(),
            now=service_now(),
        )

    return _run(public_id, "stage", values, call, _("紹介の段階を更新しました。"))


@bp.post("/<public_id>/disposition")
@roles(*PERSONAL_DATA)
def set_disposition(public_id: str):
    """Mark the registrant dropped out, or returned to nurturing with a next contact."""
    values = _form("disposition", "reason", "next_contact_on", "at")
    _load(public_id)

    def call() -> None:
        contact_service.set_disposition(
            db.session,
            public_id,
            values["disposition"],
            values["reason"] or None,
            next_contact_on=values["next_contact_on"] or None,
            at=values["at"] or None,
            actor=current_staff(),
            now=service_now(),
        )

    return _run(public_id, "disposition", values, call, _("状態を記録しました。"))


@bp.post("/<public_id>/hires/<hire_id>/settling")
@roles(*PERSONAL_DATA)
def record_settling(public_id: str, hire_id: str):
    """Record a hire's settling-in check (3 or 12 months) with its outcome."""
    values = _form("months", "outcome")
    values["hire"] = hire_id
    row = _load(public_id)
    if hire_id not in {h.public_id for h in hire_service.of_registrant(db.session, row)}:
        abort(404)
    back = request.form.get("back") == "today"

    def call() -> None:
        try:
            months = int(values["months"])
        except ValueError:
            raise InvalidInput({"months": hire_service.MESSAGES["months"]}) from None
        hire_service.record_settling(
            db.session, hire_id, months, values["outcome"], actor=current_staff(), now=utcnow()
        )

    if back:
        try:
            call()
        except (InvalidInput, Conflict, NotFound) as exc:
            db.session.rollback()
            errors = getattr(exc, "errors", None) or {"_form": error_text(exc)}
            for name, message in errors.items():
                label = FIELD_LABELS.get(name)
                text = str(localize(message))
                flash(f"{label}: {text}" if label else text, "error")
            return redirect(url_for("today.index") + "#settling")
        flash(_("定着確認を記録しました。"), "ok")
        return redirect(url_for("today.index") + "#settling")
    return _run(public_id, "settling", values, call, _("定着確認を記録しました。"))
