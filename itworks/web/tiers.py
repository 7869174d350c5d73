"""Tier pages: segmentation runs, lists by tier/persona/confidence, the interview
queue, re-contact, movement between tiers, and the tier section of a
registrant's page (confirm or override, log a contact).

Personal lists are for coordinators and admins; prefecture staff see only the
movement table, with small cells suppressed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
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
from flask_login import current_user

from itworks.services.intake import registrants
from itworks.services.tiers import evaluation, segment, tiers
from itworks.services.tiers import lists as tiers_lists
from itworks.services.tiers import recontact as tiers_recontact
from itworks.tables import movement as tiers_movement

from .. import vocabulary
from ..db import db
from ..extensions import vault
from ..services.errors import Conflict, InvalidInput, NotFound
from . import figures
from .access import ALL_STAFF, PERSONAL_DATA, roles
from .auth import current_staff
from .registrants import service_now
from .text import flash_error, lazy_labels, localize

bp = Blueprint("tiers", __name__, url_prefix="/tiers")

TIER_LABELS = {**lazy_labels(vocabulary.TIER_LABELS), "none": _l(vocabulary.NO_TIER.msgid)}
TIER_METHOD_LABELS = lazy_labels(vocabulary.TIER_METHOD_LABELS)
CONTACT_CHANNEL_LABELS = lazy_labels(vocabulary.CONTACT_CHANNEL_LABELS)


def _today():  # noqa: ANN202
    return tiers_recontact.reference_date(current_app.config["AS_OF_DATE"])


def _intervals() -> dict[str, int]:
    return tiers_recontact.intervals(current_app.config["RECONTACT_DAYS"])


def _page_size() -> int:
    return int(current_app.config["PAGE_SIZE"])


# ----------------------------------------------------------------- runs


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """Show the latest segmentation runs with their metrics."""
    runs = segment.list_runs(db.session)
    latest = runs[0] if runs else None
    kept = (latest.metrics or {}).get("evaluation") if latest else None
    return render_template(
        "tiers/index.html",
        runs=runs,
        latest=latest,
        evaluation=kept,
        evaluated_at=datetime.fromisoformat(kept["evaluated_at"]) if kept else None,
    )


@bp.post("/runs")
@roles(*PERSONAL_DATA)
def run():
    """Fit the model on everyone and propose a tier per registrant."""
    staff = current_staff()
    try:
        record = segment.run(db.session, started_by=staff.username, actor=staff)
    except Conflict as exc:
        flash_error(exc)
        return redirect(url_for("tiers.index"))
    flash(_("%(n)s 人のティアを提案しました。", n=figures.number(record.registrants)), "ok")
    return redirect(url_for("tiers.index"))


@bp.post("/evaluation")
@roles(*PERSONAL_DATA)
def evaluate():
    """Judge the model on the confirmed tiers, out of fold, and show it on the tiers page."""
    try:
        evaluation.evaluate_and_record(db.session, actor=current_staff())
    except Conflict as exc:
        flash_error(exc)
    return redirect(url_for("tiers.index"))


# ----------------------------------------------------------------- lists


def _list(template: str, *, queue: bool):  # noqa: ANN202
    personas = tiers_lists.persona_options(db.session)
    args: dict[str, Any] = dict(request.args)
    if queue:
        args = {k: v for k, v in args.items() if k in ("tier", "page")}
        args.update(method="model", max_confidence=str(current_app.config["TIER_LOW_CONFIDENCE"]))
    try:
        flt = tiers_lists.parse_filter(args, personas)
    except InvalidInput as exc:
        return render_template(
            template, result=None, errors=exc.errors, personas=personas, args=request.args
        ), 400
    result = tiers_lists.list_page(
        db.session, vault(), flt, actor=current_staff(), page_size=_page_size(), queue=queue
    )
    return render_template(template, result=result, errors={}, personas=personas, args=request.args)


@bp.get("/registrants")
@roles(*PERSONAL_DATA)
def registrant_list():
    """Show registrants by current tier, persona and model confidence."""
    return _list("tiers/registrants.html", queue=False)


@bp.get("/interview")
@roles(*PERSONAL_DATA)
def interview_queue():
    """Show the proposals the model is least sure of, to settle in an interview."""
    return _list("tiers/interview.html", queue=True)


@bp.get("/recontact")
@roles(*PERSONAL_DATA)
def recontact():
    """Show who is due for contact by their tier's interval, most overdue first."""
    errors: dict[str, str] = {}
    tier = (request.args.get("tier") or "").strip() or None
    page = request.args.get("page", "1")
    try:
        if tier:
            tier = tiers.parse_tier(tier)
        if not page.isdigit() or not 1 <= int(page) <= 1_000_000:
            raise InvalidInput({"page": tiers.MESSAGES["page"]})
    except InvalidInput as exc:
        errors = exc.errors
    if errors:
        return render_template(
            "tiers/recontact.html", result=None, errors=errors, tier=None, today=None
        ), 400
    today, days = _today(), _intervals()
    result = tiers_recontact.due_page(
        db.session,
        vault(),
        days,
        today,
        actor=current_staff(),
        tier=tier,
        page=int(page),
        page_size=_page_size(),
    )
    return render_template(
        "tiers/recontact.html", result=result, errors={}, tier=tier, today=today, days=days
    )


@bp.get("/movement")
@roles(*ALL_STAFF)
def movement():
    """Show how many registrants moved from each tier to each other between two days."""
    audience = figures.audience()
    suppressed, k = audience.k is not None, int(current_app.config["SMALL_CELL_K"])
    try:
        date_from, date_to = tiers_movement.parse_dates(
            db.session, request.args.get("from"), request.args.get("to"), _today()
        )
    except InvalidInput as exc:
        return render_template(
            "tiers/movement.html",
            result=None,
            table=None,
            errors=exc.errors,
            args=request.args,
            suppressed=suppressed,
            k=k,
        ), 400
    result = tiers_movement.movement(db.session, date_from, date_to)
    return render_template(
        "tiers/movement.html",
        result=result,
        table=result.table(audience.k),
        errors={},
        args=request.args,
        suppressed=suppressed,
        k=k,
    )


# ----------------------------------------------------------------- one registrant


def _back(public_id: str):  # noqa: ANN202
    return redirect(url_for("registrants.detail", public_id=public_id) + "#tier")


def _flash_errors(exc: InvalidInput) -> None:
    for message in exc.errors.values():
        flash(str(localize(message)), "error")


def _act_on(public_id: str, action: Callable[[], object], done: str):  # noqa: ANN202
    """Run one service call for a registrant's tier section and go back to it: a
    404 for an unknown person, each error flashed, ``done`` flashed on success."""
    try:
        action()
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        _flash_errors(exc)
        return _back(public_id)
    except Conflict as exc:
        flash_error(exc)
        return _back(public_id)
    flash(done, "ok")
    return _back(public_id)


@bp.post("/registrants/<public_id>/tier")
@roles(*PERSONAL_DATA)
def confirm(public_id: str):
    """Confirm the proposed tier or set another, with an optional reason."""
    return _act_on(
        public_id,
        lambda: tiers.confirm(
            db.session,
            public_id,
            request.form.get("tier", ""),
            actor=current_staff(),
            reason=request.form.get("reason"),
            at=service_now(),
        ),
        _("ティアを確定しました。"),
    )


@bp.post("/registrants/<public_id>/contacts")
@roles(*PERSONAL_DATA)
def log_contact(public_id: str):
    """Record a contact with the registrant (now, or at the time given)."""
    return _act_on(
        public_id,
        lambda: tiers_recontact.log_contact(
            db.session,
            public_id,
            request.form.get("channel", ""),
            actor=current_staff(),
            contacted_at=request.form.get("contacted_at", ""),
            now=service_now(),
        ),
        _("連絡を記録しました。"),
    )


def tier_panel(public_id: str) -> tiers_recontact.ContactPanel | None:
    """The tier section of a registrant's page (for coordinators and admins only)."""
    if not current_user.is_authenticated or current_user.role not in PERSONAL_DATA:
        return None
    try:
        registrant = registrants.get(db.session, public_id)
    except NotFound:
        return None
    return tiers_recontact.panel(db.session, registrant, _intervals(), _today())


INVITE_ENDPOINT = "invitation_batches.new"


def invite_url(tier: str | None) -> str | None:
    """Where a coordinator invites the listed tier to an event (/invitations/new?tier=…);
    None without a tier, or while the app has no invitation page."""
    if tier not in vocabulary.TIERS or INVITE_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(INVITE_ENDPOINT, tier=tier)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def tier_context() -> dict[str, object]:
        return {
            "tier_panel": tier_panel,
            "invite_url": invite_url,
            "TIER_LABELS": TIER_LABELS,
            "TIER_METHOD_LABELS": TIER_METHOD_LABELS,
            "CONTACT_CHANNEL_LABELS": CONTACT_CHANNEL_LABELS,
            "CONTACT_CHANNELS": vocabulary.CONTACT_CHANNELS,
            "TIERS": vocabulary.TIERS,
        }
