"""今日の対応: the coordinators' home page (coordinators and admins only)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from itworks import vocabulary
from itworks.services.engagement import today as today_service

from ..db import db
from ..extensions import vault
from .access import PERSONAL_DATA, roles
from .auth import current_staff
from .registrants import (
    SETTLING_OUTCOME_LABELS,
    STAGE_LABELS,
    service_today,
)

bp = Blueprint("today", __name__, url_prefix="/today")
# Each list shows its oldest few; ``?full=1`` shows up to PAGE_SIZE of each.
SHORT = 10


@bp.get("")
@roles(*PERSONAL_DATA)
def index():
    """Show what is due today: first contacts, re-contacts, nurture contacts,
    introduction follow-ups, settling-in checks and failed mail."""
    full = request.args.get("full") == "1"
    result = today_service.build(
        db.session,
        vault(),
        service_today(),
        level_days=int(current_app.config["FIRST_CONTACT_BUSINESS_DAYS"]),
        recontact_days=current_app.config["RECONTACT_DAYS"],
        actor=current_staff(),
        limit=int(current_app.config["PAGE_SIZE"]) if full else SHORT,
    )
    return render_template(
        "today/index.html",
        t=result,
        full=full,
        STAGE_LABELS=STAGE_LABELS,
        SETTLING_OUTCOMES=vocabulary.SETTLING_OUTCOMES,
        SETTLING_OUTCOME_LABELS=SETTLING_OUTCOME_LABELS,
    )
