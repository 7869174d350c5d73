"""Registrant pages for coordinators (personal data: never for prefecture staff)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from itworks.services.intake import registrants
from itworks.services.surveys import responses as survey_responses

from ..db import db
from ..extensions import vault
from ..services.errors import NotFound
from .access import PERSONAL_DATA, roles
from .auth import current_staff

bp = Blueprint("registrants", __name__, url_prefix="/registrants")
MAX_PAGE = 1_000_000


@bp.get("/")
@roles(*PERSONAL_DATA)
def index():
    """Show the registrants, newest first, one page at a time."""
    page = request.args.get("page", 1, type=int) or 1
    # Bounded before it reaches SQL: a 20-digit page overflowed the OFFSET.
    if not 1 <= page <= MAX_PAGE:
        abort(400)
    result = registrants.list_page(
        db.session,
        vault(),
        actor=current_staff(),
        page=page,
        page_size=int(current_app.config["PAGE_SIZE"]),
    )
    return render_template("registrants/index.html", result=result)


@bp.get("/<public_id>")
@roles(*PERSONAL_DATA)
def detail(public_id: str):
    """Show one registrant's record."""
    try:
        row = registrants.get(db.session, public_id)
    except NotFound:
        abort(404)
    registrant = registrants.view(db.session, vault(), row, actor=current_staff())
    responses = survey_responses.history(db.session, vault(), row)
    latest = survey_responses.latest_answers(db.session, [row.id]).get(row.id, {})
    return render_template(
        "registrants/detail.html",
        r=registrant,
        responses=responses,
        latest=latest,
        instrument=survey_responses.current_instrument(),
    )
