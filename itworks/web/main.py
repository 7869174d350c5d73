"""The dashboard everyone lands on, the year-on-year history, and the local copy of
plotly.js the charts use."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from itworks.services.kpi import notes
from itworks.services.kpi import progress as kpi_progress
from itworks.tables import flow as flow_table
from itworks.tables import kpi, service_levels
from itworks.tables.table import Table, clean

from .. import fiscal, vocabulary
from ..db import db
from ..fiscal import Period
from . import figures
from .access import ALL_STAFF, allowed_roles, roles

bp = Blueprint("main", __name__)

PLOTLY_VERSION = metadata.version("plotly")


# ----------------------------------------------------------------------------- navigation


@dataclass(frozen=True)
class NavEntry:
    """One link of the header: the endpoint, its label, and who sees it.

    ``roles`` None means the roles the view itself declares (access.roles), so the
    navigation offers exactly the pages a role may open.
    """

    endpoint: str
    label: object
    roles: tuple[str, ...] | None = None


# (group label or None for a top-level link, entries). Entries whose endpoint the app
# has not registered are skipped, so a page another part adds later appears by itself.
NAVIGATION: tuple[tuple[object | None, tuple[NavEntry, ...]], ...] = (
    (
        None,
        (
            NavEntry("main.dashboard", _l("ダッシュボード")),
            NavEntry("today.index", _l("今日の対応")),
            NavEntry("registrants.index", _l("登録者")),
        ),
    ),
    (
        _l("実績と分析"),
        (
            NavEntry("main.history", _l("年度推移")),
            NavEntry("funnel.index", _l("ファネル")),
            NavEntry("publicity.index", _l("広報")),
            NavEntry("surveys.tallies", _l("アンケート集計")),
            NavEntry("tiers.movement", _l("ティアの推移")),
            NavEntry("main.flow", _l("対応フロー")),
        ),
    ),
    (
        _l("登録者対応"),
        (
            NavEntry("tiers.registrant_list", _l("ティア")),
            NavEntry("surveys.rounds", _l("アンケート配信")),
            NavEntry("invitation_batches.index", _l("案内")),
            NavEntry("events.index", _l("イベント")),
            NavEntry("companies.index", _l("企業")),
        ),
    ),
    (
        _l("管理"),
        (NavEntry("audit.index", _l("監査ログ")),),  # admins (the view's roles)
    ),
)


@dataclass(frozen=True)
class NavLink:
    label: object
    url: str
    current: bool


@dataclass(frozen=True)
class NavGroup:
    label: object | None  # None: the links stand in the bar itself
    links: tuple[NavLink, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


def _visible(entry: NavEntry, role: str) -> bool:
    if entry.endpoint not in current_app.view_functions:
        return False
    allowed = entry.roles if entry.roles is not None else allowed_roles(entry.endpoint)
    return isinstance(allowed, tuple) and role in allowed


def _is_current(endpoint: str) -> bool:
    """The link of the page shown, or of its blueprint when only one link leads there."""
    here = request.endpoint or ""
    if here == endpoint:
        return True
    blueprint = endpoint.split(".", 1)[0]
    same = [e for _g, group in NAVIGATION for e in group if e.endpoint.startswith(blueprint + ".")]
    return len(same) == 1 and here.startswith(blueprint + ".")


# Up to this many links stand in the bar as they are; more are grouped into menus.
FLAT_LINKS = 6


def navigation(role: str | None = None) -> list[NavGroup]:
    """The header's groups of links for the signed-in user's role (empty when signed out)."""
    if role is None:
        if not current_user.is_authenticated:
            return []
        role = current_user.role
    groups = []
    for label, entries in NAVIGATION:
        links = tuple(
            NavLink(e.label, url_for(e.endpoint), _is_current(e.endpoint))
            for e in entries
            if _visible(e, role)
        )
        if links:
            groups.append(NavGroup(label, links))
    if sum(len(g.links) for g in groups) <= FLAT_LINKS:
        return [NavGroup(None, tuple(link for g in groups for link in g.links))]
    return groups


@bp.app_context_processor
def navigation_context() -> dict[str, object]:
    return {"navigation": navigation}


def _status_label(status: str | None) -> str:
    label = vocabulary.STATUS_LABELS.get(status or "")
    return "—" if label is None else _(label.msgid)


def _sparkline(monthly: Table, key: str) -> dict:
    months = figures.month_labels(monthly.meta["fiscal_year"])
    elapsed = monthly.meta["months_elapsed"]
    actual = [figures.cell(v) for v in monthly.frame[f"{key}_cumulative"][:elapsed]]
    pace = [clean(v) for v in monthly.frame[f"{key}_pace"]]
    return figures.chart(
        [
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("目安（ペース）"),
                "x": months,
                "y": pace,
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
        margin={"l": 40, "r": 8, "t": 8, "b": 24},
        # Every third month is labelled (4月, 7月, 10月, 1月): twelve do not fit a card.
        xaxis={
            "showgrid": False,
            "tickfont": {"size": 10},
            "tickmode": "array",
            "tickvals": months[::3],
            "ticktext": months[::3],
            "tickangle": 0,
            "categoryorder": "array",
            "categoryarray": months,
        },
        yaxis=figures.count_axis([*actual, *pace], tickfont={"size": 10}),
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
        # Waiting now: only for the year in progress (a past year's page has no "now").
        overdue=service_levels.first_contact_overdue(
            db.session, figures.audience(), _level_days(), period.as_of
        )
        if period.start <= period.as_of < period.end
        else None,
        level_days=_level_days(),
    )


def _level_days() -> int:
    return int(current_app.config["FIRST_CONTACT_BUSINESS_DAYS"])


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


HISTORY_BARS = ("new_registrants", "consultations", "fair_attendance_total", "fair_signups")


def _history_chart(rows: list[dict]) -> dict:
    labels = figures.fy_labels(r["fiscal_year"] for r in rows)
    names = {
        "new_registrants": _("新規登録者数"),
        "consultations": _("キャリア相談者数"),
        "fair_attendance_total": _("転職フェア参加者数（計）"),
        "fair_signups": _("転職フェア申込者数"),
    }
    traces = [
        {"type": "bar", "name": names[key], "x": labels, "y": [r[key] for r in rows]}
        for key in HISTORY_BARS
    ]
    hires = [r["hires"] for r in rows]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("採用数（右軸）"),
            "x": labels,
            "y": hires,
            "yaxis": "y2",
            "line": {"color": "#a33", "width": 3},
        }
    )
    bars = [r[key] for r in rows for key in HISTORY_BARS]
    return figures.chart(
        traces,
        height=380,
        barmode="group",
        margin={"l": 56, "r": 56, "t": 24, "b": 40},
        xaxis={"type": "category", "tickangle": 0},
        yaxis=figures.count_axis(bars, title={"text": _("人")}),
        yaxis2=figures.count_axis(
            hires,
            title={"text": _("採用数（人）")},
            overlaying="y",
            side="right",
            showgrid=False,
        ),
    )


def _history() -> Table:
    measured_at = figures.as_of()
    period = Period.of(fiscal.fiscal_year_of(measured_at), measured_at)
    return kpi.history(db.session, period, figures.audience())


@bp.get("/flow")
@roles(*ALL_STAFF)
def flow():
    """Show the registrant-handling flowchart, drawn from the service's own steps."""
    lang = figures.lang()
    return render_template(
        "main/flow.html",
        steps=flow_table.steps(lang),
        table=flow_table.flowchart(figures.audience(), lang=lang),
    )


@bp.get("/flow.csv")
@roles(*ALL_STAFF)
def flow_csv():
    """Download the flowchart's transitions as CSV."""
    table = flow_table.flowchart(figures.audience(), lang=figures.lang())
    return figures.table_csv("flow.csv", table)


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
