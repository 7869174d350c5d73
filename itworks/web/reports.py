"""The implementation report (実施報告書) as an Excel download."""

from __future__ import annotations

import io

from flask import Blueprint, current_app, send_file

from itworks.reports import workbook as report

from ..db import db
from . import figures
from .access import ALL_STAFF, roles
from .auth import current_staff

bp = Blueprint("reports", __name__, url_prefix="/reports")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/implementation.xlsx")
@roles(*ALL_STAFF)
def download():
    """Download the year's implementation report (aggregates only, small cells hidden)."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    buffer = io.BytesIO()
    report.write_report(
        db.session,
        fiscal_year,
        measured_at,
        buffer,
        k=int(current_app.config["SMALL_CELL_K"]),
        level_days=int(current_app.config["FIRST_CONTACT_BUSINESS_DAYS"]),
        actor=current_staff(),
    )
    buffer.seek(0)
    return send_file(
        buffer,
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"implementation-report-{fiscal_year}.xlsx",
    )
