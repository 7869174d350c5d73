"""The KGI/KPI tables: progress against target (the one KPI table every output shows),
month by month, and year on year.

The four headline totals and the fair attendance by fair are the contract's official
figures: they are published exactly to every audience. So are their monthly
breakdowns (the dashboard's curves): other tables that split the same people by
month publish the same counts (see tables.stages and tables.publicity).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from itworks import fiscal, i18n, vocabulary
from itworks.fiscal import Period
from itworks.models import MEASURES
from itworks.services.kpi import progress as kpi_progress
from itworks.tables.audience import Audience
from itworks.tables.table import Column, Table, frame

STATUS_RULE = (
    "状況：目安以上または目安との差が1人未満は「順調」、目安の80%以上は「注意」、"
    "それ未満は「遅れ」。"
)

# The union of what the dashboard CSV and the report's sheet showed before: one set of
# columns, in one order, everywhere.
KPI_COLUMNS = [
    Column("kind", "区分", "text"),
    Column("measure", "指標", "text"),
    Column("actual", "実績"),
    Column("target", "目標"),
    Column("achievement", "達成率", "ratio"),
    Column("former_target", "旧目標"),
    Column("former_achievement", "旧目標達成率", "ratio"),
    Column("expected_to_date", "目安（経過按分）", "number"),
    Column("projection", "着地見込み"),
    Column("status", "状況", "text"),
    Column("last_year", "前年同期", "number"),
    Column("last_year_estimated", "前年同期は推計", "text"),
    Column("last_year_difference", "前年同期差", "number"),
    Column("last_year_ratio", "前年同期比", "ratio"),
    Column("definition", "定義", "text"),
    Column("fiscal_year", "年度", "text"),
    Column("as_of", "基準日", "text"),
]


def status_label(status: str | None, lang: str = "ja") -> str:
    return i18n.label(vocabulary.STATUS_LABELS, status, lang) if status else ""


def measured(session: Session, period: Period) -> kpi_progress.Progress:
    """The measures of the period, computed once for the tables that share them (and
    reused while no write could have changed them: see ``cached_progress``)."""
    return kpi_progress.cached_progress(session, period)


def kpi(
    session: Session,
    period: Period,
    audience: Audience,
    *,
    progress: kpi_progress.Progress | None = None,
) -> Table:
    """The year's KGI and KPIs against target, pace, projection and last year, then the
    attendance of each fair. Official figures: the same for every audience.

    The table is a pure function of the progress and the audience, so the one built
    from a progress is kept with it: while the figures cache serves that progress
    (no write since), the API and the pages are not building the same frame again."""
    p = progress or kpi_progress.cached_progress(session, period)
    built: dict[Audience, Table] = p.__dict__.setdefault("_kpi_tables", {})
    if audience not in built:
        built[audience] = _kpi_table(p, audience)
    return built[audience]


def _kpi_table(p: kpi_progress.Progress, audience: Audience) -> Table:
    common = {"fiscal_year": fiscal.fy_display(p.fiscal_year), "as_of": p.as_of.isoformat()}
    rows, index = [], []
    for key in MEASURES:
        m = p.measures[key]
        last = m.last_year
        d = m.definition
        rows.append(
            {
                "kind": m.kind,
                "measure": d.label_ja,
                "actual": m.actual,
                "target": m.target,
                "achievement": m.achievement,
                "former_target": m.former_target,
                "former_achievement": m.actual / m.former_target if m.former_target else None,
                "expected_to_date": m.expected_to_date,
                "projection": m.projection,
                "status": status_label(m.status),
                "last_year": last.value if last else None,
                "last_year_estimated": ("はい" if last.estimated else "いいえ") if last else None,
                "last_year_difference": last.difference(m.actual) if last else None,
                "last_year_ratio": last.ratio(m.actual) if last else None,
                "definition": d.ja,
                **common,
                "status_code": m.status,
                "is_estimate": bool(last and last.estimated),
                "measure_en": d.in_language("en")[0],
                "definition_en": d.in_language("en")[1],
            }
        )
        index.append(key)
    fair = kpi_progress.FAIR_ATTENDANCE
    for number, attended in enumerate(p.fair_attendance, start=1):
        rows.append(
            {
                "kind": fair.kind,
                "measure": f"転職フェア参加者数（第{number}回）",
                "actual": attended,
                "definition": fair.ja,
                **common,
                "fair_number": number,
            }
        )
        index.append(f"fair_attendance_{number}")
    note = (
        f"基準日 {p.as_of.isoformat()}（{fiscal.wareki_date(p.as_of)}）。{p.pace_method['note']}"
        + STATUS_RULE
    )
    return Table(
        "kpi",
        "KGI・KPIの達成状況",
        KPI_COLUMNS,
        frame(rows, index, [c.key for c in KPI_COLUMNS]),
        audience,
        note,
        meta={
            "fiscal_year": p.fiscal_year,
            "label": p.label,
            "as_of": p.as_of,
            "period": p.period,
            "contract_end": p.contract_end,
            "elapsed": p.elapsed,
            "pace_method": p.pace_method,
            "fair_attendance": list(p.fair_attendance),
        },
    )


def monthly(
    session: Session,
    period: Period,
    audience: Audience,
    *,
    progress: kpi_progress.Progress | None = None,
) -> Table:
    """Each measure month by month: new, cumulative, and the expected cumulative pace.
    Months after the as-of day have no actual figure."""
    p = progress or kpi_progress.cached_progress(session, period)
    columns = [Column("month", "月", "text")]
    for key in MEASURES:
        label = p.measures[key].definition.label_ja
        columns += [
            Column(f"{key}_monthly", f"{label}（月）"),
            Column(f"{key}_cumulative", f"{label}（累計）"),
            Column(f"{key}_pace", f"{label}（目安累計）", "number"),
        ]
    rows = []
    for index, month in enumerate(period.months):
        row: dict[str, object] = {"month": f"{month.year}年{month.month}月"}
        reached = index < p.months_elapsed
        for key in MEASURES:
            m = p.measures[key]
            row[f"{key}_monthly"] = m.monthly[index] if reached else None
            row[f"{key}_cumulative"] = m.cumulative[index] if reached else None
            row[f"{key}_pace"] = m.pace[index]
        rows.append(row)
    return Table(
        "monthly",
        "月次の進捗",
        columns,
        frame(rows, range(12), [c.key for c in columns]),
        audience,
        "目安累計は目標×経過率（月末時点）。",
        meta={"months_elapsed": p.months_elapsed, "fiscal_year": p.fiscal_year},
    )


HISTORY_MEASURES = ("new_registrants", "consultations", "fair_signups", "hires")


def history(session: Session, period: Period, audience: Audience) -> Table:
    """Every fiscal year up to the period's (measured on its as-of day), with the
    difference and ratio to the year before. Official figures for every audience."""
    rows = kpi_progress.year_on_year(kpi_progress.cached_history(session, period.measured_on))
    columns = [Column("label", "年度", "text"), Column("fiscal_year", "西暦年度", "text")]
    for key in HISTORY_MEASURES:
        label = kpi_progress.DEFINITIONS[key].label_ja
        columns += [
            Column(key, label),
            Column(f"{key}_difference", f"{label} 対前年度差"),
            Column(f"{key}_ratio", f"{label} 対前年度比", "ratio"),
        ]
    columns += [
        Column("fair_attendance", "転職フェア参加者数（第1回／第2回／第3回）", "counts"),
        Column("fair_attendance_total", "転職フェア参加者数（計）"),
    ]
    out = []
    for r in rows:
        row: dict[str, object] = {
            "label": r["label"],
            "fiscal_year": r["fiscal_year"],
            "fair_attendance": list(r["fair_attendance"]),
            "fair_attendance_total": r["fair_attendance_total"],
        }
        for key in HISTORY_MEASURES:
            change = r["changes"][key]
            row[key] = r[key]
            row[f"{key}_difference"] = change["difference"] if change else None
            row[f"{key}_ratio"] = change["ratio"] if change else None
        out.append(row)
    return Table(
        "history",
        "年度推移（対前年度）",
        columns,
        frame(out, [r["fiscal_year"] for r in rows], [c.key for c in columns]),
        audience,
        "平成30年度〜令和3年度は仕様書の実績、令和4年度以降は記録からの集計。",
        meta={"current": fiscal.fiscal_year_of(period.measured_on), "as_of": period.measured_on},
    )
