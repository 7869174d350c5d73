"""Read-only KGI/KPI figures for staff sessions and read tokens (aggregates only)."""

from __future__ import annotations

from flask import current_app, jsonify, request

from itworks.services.kpi import progress as funnel

from ..db import db
from . import api_scope, bp


def _as_of():  # noqa: ANN202
    return funnel.as_of_date(current_app.config["AS_OF_DATE"])


@bp.get("/funnel")
@api_scope("read")
def funnel_progress():
    """Report one fiscal year's KGI and KPIs against target, pace and projection."""
    as_of = _as_of()
    if "fy" in request.args:
        fiscal_year = funnel.parse_fiscal_year(request.args["fy"])
    else:
        fiscal_year = funnel.current_fiscal_year(current_app.config["CURRENT_FISCAL_YEAR"], as_of)
    progress = funnel.progress(db.session, fiscal_year, as_of)
    return jsonify(funnel.api_payload(progress))


@bp.get("/funnel/history")
@api_scope("read")
def funnel_history():
    """Report every fiscal year's figures, oldest first."""
    return jsonify(years=funnel.history(db.session, _as_of()))
