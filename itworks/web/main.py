"""The dashboard everyone lands on."""

from __future__ import annotations

from flask import Blueprint, render_template

from ..db import db
from ..services import baseline
from .access import ALL_STAFF, roles

bp = Blueprint("main", __name__)

CURRENT_FISCAL_YEAR = 2022


@bp.get("/")
@roles(*ALL_STAFF)
def dashboard():
    """Show this fiscal year's targets beside the history the specification records."""
    return render_template(
        "main/dashboard.html",
        fiscal_year=CURRENT_FISCAL_YEAR,
        targets=baseline.targets(db.session, CURRENT_FISCAL_YEAR),
        history=baseline.history(db.session),
    )
