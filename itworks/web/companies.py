"""Companies: Shimane IT employers with their introductions per stage, a page per
company (contact person decrypted, introductions, third-party provision records),
and a form to add one. Coordinators and admins only."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from itworks import vocabulary
from itworks.services.engagement import companies as service

from ..db import db
from ..extensions import vault
from ..services.errors import Conflict, InvalidInput, NotFound
from .access import PERSONAL_DATA, roles
from .auth import current_staff
from .registrants import (
    FIELD_LABELS,
    PROVISION_ITEM_LABELS,
    STAGE_LABELS,
    service_today,
)
from .text import error_text, localize

bp = Blueprint("companies", __name__, url_prefix="/companies")

COMPANY_FIELDS = ("name", "city", "contact_name", "contact_email", "contact_phone")


def _index(values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status=200):  # noqa: ANN001, ANN202
    return render_template(
        "companies/index.html",
        companies=service.overview(db.session, service_today()),
        STAGES=vocabulary.INTRODUCTION_STATUSES,
        STAGE_LABELS=STAGE_LABELS,
        st={"typed": values or {"shimane_it": "1"}, "errors": errors or {}},
        FIELD_LABELS=FIELD_LABELS,
    ), status


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """Show every company with its introductions per stage, and the add form."""
    return _index()


@bp.post("/")
@roles(*PERSONAL_DATA)
def add():
    """Add a company with its contact person (encrypted under the company's own key)."""
    values = {name: (request.form.get(name) or "").strip() for name in COMPANY_FIELDS}
    values["shimane_it"] = "1" if request.form.get("shimane_it") else ""
    try:
        company = service.add_company(
            db.session,
            vault(),
            values["name"],
            contact_name=values["contact_name"] or None,
            contact_email=values["contact_email"] or None,
            contact_phone=values["contact_phone"] or None,
            city=values["city"] or None,
            shimane_it=bool(values["shimane_it"]),
            actor=current_staff(),
        )
    except InvalidInput as exc:
        db.session.rollback()
        errors = {k: str(localize(v)) for k, v in exc.errors.items()}
        return _index(values, errors, 422)
    except Conflict as exc:
        db.session.rollback()
        return _index(values, {"name": error_text(exc)}, 422)
    flash(_("企業を追加しました。"), "ok")
    return redirect(url_for("companies.detail", public_id=company.public_id))


@bp.get("/<public_id>")
@roles(*PERSONAL_DATA)
def detail(public_id: str):
    """One company: its contact person, introductions and provision records."""
    try:
        found = service.detail(db.session, vault(), public_id, actor=current_staff())
    except NotFound:
        abort(404)
    return render_template(
        "companies/detail.html",
        c=found,
        STAGE_LABELS=STAGE_LABELS,
        PROVISION_ITEM_LABELS=PROVISION_ITEM_LABELS,
        reasons=_reason_labels(),
        retention_years=int(current_app.config["PROVISION_RETENTION_YEARS"]),
    )


def _reason_labels() -> dict[str, tuple[str, str]]:
    from itworks.services.engagement import introductions

    return {r.code: (r.label_ja, r.label_en) for r in introductions.decline_reasons(db.session)}
