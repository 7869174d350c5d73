"""Read-only KGI/KPI figures for staff sessions and read tokens (aggregates only),
rendered from the published KPI and history tables."""

from __future__ import annotations

from flask import current_app, jsonify, request

from itworks import fiscal
from itworks.fiscal import Period
from itworks.models import MEASURES
from itworks.services.kpi import progress as kpi_progress
from itworks.tables import kpi
from itworks.tables.audience import Audience
from itworks.tables.table import Table

from ..db import db
from . import api_scope, bp, localize

# The API is read by tokens as well as by staff: it carries only the official
# figures, which are the same for every audience.
AUDIENCE = Audience.coordinator()


def _as_of():  # noqa: ANN202
    return kpi_progress.as_of_date(current_app.config["AS_OF_DATE"])


def payload(table: Table) -> dict:
    """The body of GET /api/v1/funnel, from the KPI table."""
    meta = table.meta
    rows = table.frame
    return {
        "fiscal_year": meta["fiscal_year"],
        "label": meta["label"],
        "period": {
            "start": meta["period"][0].isoformat(),
            "end": meta["period"][1].isoformat(),
            "contract_end": meta["contract_end"].isoformat(),
        },
        "as_of": meta["as_of"].isoformat(),
        "measures": {
            key: {
                "kind": rows.at[key, "kind"],
                "actual": rows.at[key, "actual"],
                "target": rows.at[key, "target"],
                "baseline": rows.at[key, "former_target"],
                "definition": kpi_progress.DEFINITIONS[key].text,
                "expected_to_date": rows.at[key, "expected_to_date"],
                "projection": rows.at[key, "projection"],
                "status": rows.at[key, "status_code"],
            }
            for key in MEASURES
        },
        "fair_attendance": meta["fair_attendance"],
        "pace": {
            "method": meta["pace_method"]["method"],
            "note": meta["pace_method"]["note"],
        },
    }


@bp.get("/funnel")
@api_scope("read")
def funnel_progress():
    """Report one fiscal year's KGI and KPIs against target, pace and projection."""
    as_of = _as_of()
    if "fy" in request.args:
        fiscal_year = kpi_progress.parse_fiscal_year(request.args["fy"])
    else:
        fiscal_year = kpi_progress.current_fiscal_year(
            current_app.config["CURRENT_FISCAL_YEAR"], as_of
        )
    table = kpi.kpi(db.session, Period.of(fiscal_year, as_of), AUDIENCE)
    return jsonify(localize(payload(table)))


HISTORY_FIELDS = ("fiscal_year", "label", *kpi.HISTORY_MEASURES, "fair_attendance")


@bp.get("/funnel/history")
@api_scope("read")
def funnel_history():
    """Report every fiscal year's figures, oldest first."""
    as_of = _as_of()
    period = Period.of(fiscal.fiscal_year_of(as_of), as_of)
    table = kpi.history(db.session, period, AUDIENCE)
    years = [{k: row[k] for k in HISTORY_FIELDS} for row in table.records()]
    return jsonify(years=years)
