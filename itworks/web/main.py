"""The dashboard everyone lands on, the year-on-year history, and the local copy of
plotly.js the charts use."""

from __future__ import annotations

from importlib import metadata

from flask import Blueprint, Response, send_file
from flask_babel import gettext as _

from itworks.services.kpi import notes
from itworks.services.kpi import progress as funnel

from .. import fiscal
from ..db import db
from ..models import MEASURES
from . import figures
from .access import ALL_STAFF, roles

bp = Blueprint("main", __name__)

PLOTLY_VERSION = metadata.version("plotly")
STATUS_LABELS = {"on_track": "順調", "at_risk": "注意", "behind": "遅れ"}


def _status_label(status: str | None) -> str:
    labels = {"on_track": _("順調"), "at_risk": _("注意"), "behind": _("遅れ")}
    return labels.get(status or "", "—")


def _sparkline(progress: funnel.Progress, measure: funnel.Measure) -> dict:
    months = figures.month_labels(progress.fiscal_year)
    actual = measure.cumulative[: progress.months_elapsed]
    return figures.chart(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("目安（ペース）"),
                "x": months,
                "y": measure.pace,
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


@bp.get("/")
@roles(*ALL_STAFF)
def dashboard():
    """Show the year's KGI and KPIs against target, pace and the same date last year."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    progress = funnel.progress(db.session, fiscal_year, measured_at)
    return figures.chart_page(
        "main/dashboard.html",
        p=progress,
        definitions=funnel.DEFINITIONS,
        fair_definition=funnel.FAIR_ATTENDANCE,
        notes=notes.notes_for(db.session, fiscal_year),
        halves=notes.HALVES,
        half_label=notes.half_label,
        charts={key: _sparkline(progress, m) for key, m in progress.measures.items()},
        status_label=_status_label,
        years=funnel.known_years(db.session, measured_at),
    )


@bp.get("/progress.csv")
@roles(*ALL_STAFF)
def dashboard_csv():
    """Download the dashboard's measures as CSV (UTF-8 with BOM)."""
    measured_at = figures.as_of()
    fiscal_year = figures.selected_fiscal_year(measured_at)
    p = funnel.progress(db.session, fiscal_year, measured_at)
    header = [
        "年度",
        "基準日",
        "区分",
        "指標",
        "実績",
        "目標",
        "旧目標",
        "達成率",
        "目安（経過按分）",
        "着地見込み",
        "状況",
        "前年同期",
        "前年同期は推計",
        "前年同期差",
        "前年同期比",
        "定義",
    ]
    rows = []
    for key in MEASURES:
        m = p.measures[key]
        last = m.last_year
        rows.append(
            [
                fiscal.fy_display(fiscal_year),
                p.as_of.isoformat(),
                m.kind,
                m.definition.label_ja,
                m.actual,
                m.target,
                m.former_target,
                _ratio(m.achievement),
                m.expected_to_date,
                m.projection,
                STATUS_LABELS.get(m.status or "", ""),
                last.value if last else None,
                ("はい" if last.estimated else "いいえ") if last else None,
                last.difference(m.actual) if last else None,
                _ratio(last.ratio(m.actual)) if last else None,
                m.definition.ja,
            ]
        )
    for number, attended in enumerate(p.fair_attendance, start=1):
        rows.append(
            [fiscal.fy_display(fiscal_year), p.as_of.isoformat(), "KPI",
             f"転職フェア参加者数（第{number}回）", attended, *[None] * 10,
             funnel.FAIR_ATTENDANCE.ja]
        )  # fmt: skip
    return figures.csv_response(f"progress-{fiscal_year}.csv", header, rows)


def _ratio(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.0f}%"


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


@bp.get("/history")
@roles(*ALL_STAFF)
def history():
    """Show every fiscal year's figures with the change from the year before."""
    measured_at = figures.as_of()
    rows = funnel.year_on_year(funnel.history(db.session, measured_at))
    return figures.chart_page(
        "main/history.html",
        rows=rows,
        as_of=measured_at,
        current=fiscal.fiscal_year_of(measured_at),
        definitions=funnel.DEFINITIONS,
        fair_definition=funnel.FAIR_ATTENDANCE,
        chart=_history_chart(rows),
    )


@bp.get("/history.csv")
@roles(*ALL_STAFF)
def history_csv():
    """Download the year-on-year history as CSV (UTF-8 with BOM)."""
    measured_at = figures.as_of()
    rows = funnel.year_on_year(funnel.history(db.session, measured_at))
    header = ["年度", "西暦年度"]
    keys = ("new_registrants", "consultations", "fair_signups", "hires")
    for key in keys:
        label = funnel.DEFINITIONS[key].label_ja
        header += [label, f"{label} 対前年度差", f"{label} 対前年度比"]
    header += ["転職フェア参加者数（第1回／第2回／第3回）", "転職フェア参加者数（計）"]
    out = []
    for r in rows:
        line: list = [r["label"], r["fiscal_year"]]
        for key in keys:
            change = r["changes"][key]
            line += [
                r[key],
                change["difference"] if change else None,
                _ratio(change["ratio"]) if change else None,
            ]
        attendance = " / ".join("—" if v is None else str(v) for v in r["fair_attendance"])
        line += [attendance, r["fair_attendance_total"]]
        out.append(line)
    return figures.csv_response("history.csv", header, out)


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
