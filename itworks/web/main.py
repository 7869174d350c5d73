"""The dashboard everyone lands on, the year-on-year history, and the local copy of
plotly.js the charts use."""

from __future__ import annotations

from importlib import metadata

from flask import Blueprint, Response, send_file
from flask_babel import gettext as _

from itworks.services.kpi import notes
from itworks.services.kpi import progress as kpi_progress
from itworks.tables import kpi
from itworks.tables.table import Table, clean

from .. import fiscal, vocabulary
from ..db import db
from ..fiscal import Period
from . import figures
from .access import ALL_STAFF, roles

bp = Blueprint("main", __name__)

PLOTLY_VERSION = metadata.version("plotly")


def _status_label(status: str | None) -> str:
    label = vocabulary.STATUS_LABELS.get(status or "")
    return "—" if label is None else _(label.msgid)


def _sparkline(monthly: Table, key: str) -> dict:
    months = figures.month_labels(monthly.meta["fiscal_year"])
    elapsed = monthly.meta["months_elapsed"]
    actual = [figures.cell(v) for v in monthly.frame[f"{key}_cumulative"][:elapsed]]
    return figures.chart(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("目安（ペース）"),
                "x": months,
                "y": [clean(v) for v in monthly.frame[f"{key}_pace"]],
                "line": {"dash": "dot", "color": "#8a96a3", "width": 1.5},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("実績（累計）"),
                "x": months[: len(actual)],
                "y": actual,
                "line": {"color": "#0b5cad", "width": 2},
                "marker": {"size": 4},
            },
        ],
        height=140,
        showlegend=False,
        margin={"l": 32, "r": 8, "t": 8, "b": 24},
        xaxis={"showgrid": False, "tickfont": {"size": 9}},
        yaxis={"rangemode": "tozero", "tickfont": {"size": 9}},
    )


def _kpi_tables(period: Period) -> tuple[Table, Table]:
    """The KPI table and the monthly table, from one computation of the measures."""
    progress = kpi.measured(db.session, period)
    audience = figures.audience()
    return (
        kpi.kpi(db.session, period, audience, progress=progress),
        kpi.monthly(db.session, period, audience, progress=progress),
    )


@bp.get("/")
@roles(*ALL_STAFF)
def dashboard():
    """Show the year's KGI and KPIs against target, pace and the same date last year."""
    period = figures.period()
    table, monthly = _kpi_tables(period)
    rows = table.frame
    return figures.chart_page(
        "main/dashboard.html",
        p=table.meta,
        rows=rows,
        fairs=[v for key, v in rows["actual"].items() if str(key).startswith("fair_attendance_")],
        definitions=kpi_progress.DEFINITIONS,
        fair_definition=kpi_progress.FAIR_ATTENDANCE,
        notes=notes.notes_for(db.session, period.fiscal_year),
        halves=notes.HALVES,
        half_label=notes.half_label,
        charts={key: _sparkline(monthly, key) for key in kpi_progress.DEFINITIONS},
        status_label=_status_label,
        years=kpi_progress.known_years(db.session, period.as_of),
    )


@bp.get("/progress.csv")
@roles(*ALL_STAFF)
def dashboard_csv():
    """Download the dashboard's KPI table as CSV (UTF-8 with BOM)."""
    period = figures.period()
    table = kpi.kpi(db.session, period, figures.audience())
    return figures.table_csv(f"progress-{period.fiscal_year}.csv", table)


@bp.get("/monthly.csv")
@roles(*ALL_STAFF)
def monthly_csv():
    """Download the measures month by month (the dashboard's curves) as CSV."""
    period = figures.period()
    _, monthly = _kpi_tables(period)
    return figures.table_csv(f"monthly-{period.fiscal_year}.csv", monthly)


def _history_chart(rows: list[dict]) -> dict:
    labels = [fiscal.wareki_label(r["fiscal_year"]) for r in rows]
    traces = []
    for key, name in (
        ("new_registrants", _("新規登録者数")),
        ("consultations", _("キャリア相談者数")),
        ("fair_attendance_total", _("転職フェア参加者数（計）")),
        ("fair_signups", _("転職フェア申込者数")),
    ):
        traces.append({"type": "bar", "name": name, "x": labels, "y": [r[key] for r in rows]})
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("採用数（右軸）"),
            "x": labels,
            "y": [r["hires"] for r in rows],
            "yaxis": "y2",
            "line": {"color": "#a33", "width": 3},
        }
    )
    return figures.chart(
        traces,
        height=360,
        barmode="group",
        yaxis={"title": {"text": _("人")}, "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False},
    )


def _history() -> Table:
    measured_at = figures.as_of()
    period = Period.of(fiscal.fiscal_year_of(measured_at), measured_at)
    return kpi.history(db.session, period, figures.audience())


@bp.get("/history")
@roles(*ALL_STAFF)
def history():
    """Show every fiscal year's figures with the change from the year before."""
    table = _history()
    rows = table.records()
    return figures.chart_page(
        "main/history.html",
        rows=rows,
        as_of=table.meta["as_of"],
        current=table.meta["current"],
        definitions=kpi_progress.DEFINITIONS,
        fair_definition=kpi_progress.FAIR_ATTENDANCE,
        chart=_history_chart(rows),
    )


@bp.get("/history.csv")
@roles(*ALL_STAFF)
def history_csv():
    """Download the year-on-year history as CSV (UTF-8 with BOM)."""
    return figures.table_csv("history.csv", _history())


@bp.get(f"/vendor/plotly-{PLOTLY_VERSION}.min.js")
@roles(*ALL_STAFF)
def plotly_js() -> Response:
    """Serve plotly.js from the installed plotly package (never a CDN)."""
    response = send_file(
        str(figures.PLOTLY_JS), mimetype="text/javascript", max_age=365 * 24 * 3600
    )
    # The URL names the version, so the file can be cached for good.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
