"""The implementation report (実施報告書) as one Excel workbook: cover, KGI/KPI against
target, year-on-year history, monthly progress, stage funnel, publicity, survey tallies,
events and fairs, and the half-year notes. Aggregates only, small cells suppressed:
the workbook is handed to the prefecture."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import sqlalchemy as sa
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from itworks import fiscal
from itworks.models import MEASURES, Event, EventSignup, Registrant, User
from itworks.services import audit
from itworks.services.kpi import notes
from itworks.services.kpi import progress as funnel
from itworks.services.publicity import campaigns as publicity
from itworks.tables import stages as funnel_stages
from itworks.tables import suppression

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)
STATUS_JA = {"on_track": "順調", "at_risk": "注意", "behind": "遅れ"}
EVENT_KINDS_JA = {
    "fair": "転職フェア",
    "study_session": "勉強会",
    "meetup": "交流会",
    "seminar": "セミナー",
    "other": "その他",
}
SURVEY_MISSING = "アンケート集計は未実装 / survey tallies not yet available"

# Number formats by column name: counts, yen, ratios, days.
YEN_COLUMNS = ("費用（円）", "登録単価", "相談単価", "採用単価")
RATIO_COLUMNS = ("達成率", "旧目標達成率", "リーチ達成率", "対前年度比", "移行率")


@dataclass
class Section:
    title: str
    frame: pd.DataFrame
    note: str | None = None


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _cell(value: object) -> object:
    if value is None or suppression.is_hidden(value):
        return value
    if isinstance(value, float):
        return value
    return int(value)  # numpy integers and ints alike


# ----------------------------------------------------------------------------- sheets


def kpi_section(p: funnel.Progress) -> Section:
    rows = []
    for key in MEASURES:
        m = p.measures[key]
        rows.append(
            {
                "区分": m.kind,
                "指標": m.definition.label_ja,
                "実績": m.actual,
                "目標": m.target,
                "達成率": _ratio(m.achievement),
                "旧目標": m.former_target,
                "旧目標達成率": _ratio(m.actual / m.former_target) if m.former_target else None,
                "目安（経過按分）": m.expected_to_date,
                "着地見込み": m.projection,
                "状況": STATUS_JA.get(m.status or "", ""),
                "定義": m.definition.ja,
            }
        )
    for number, attended in enumerate(p.fair_attendance, start=1):
        rows.append(
            {
                "区分": "KPI",
                "指標": f"転職フェア参加者数（第{number}回）",
                "実績": attended,
                "定義": funnel.FAIR_ATTENDANCE.ja,
            }
        )
    note = (
        f"基準日 {p.as_of.isoformat()}（{fiscal.wareki_date(p.as_of)}）。{p.pace_method['ja']}"
        "状況：目安以上または目安との差が1人未満は「順調」、目安の80%以上は「注意」、それ未満は"
        "「遅れ」。"
    )
    return Section("KGI・KPIの達成状況", pd.DataFrame(rows), note)


def history_section(session: Session, as_of: date) -> Section:
    rows = []
    for r in funnel.year_on_year(funnel.history(session, as_of)):
        row: dict[str, object] = {"年度": f"{r['label']}（FY{r['fiscal_year']}）"}
        for key in ("new_registrants", "consultations", "fair_signups", "hires"):
            label = funnel.DEFINITIONS[key].label_ja
            change = r["changes"][key]
            row[label] = r[key]
            row[f"{label} 対前年度差"] = change["difference"] if change else None
            row[f"{label} 対前年度比"] = _ratio(change["ratio"]) if change else None
        row["転職フェア参加者数（第1回／第2回／第3回）"] = " / ".join(
            "—" if v is None else str(v) for v in r["fair_attendance"]
        )
        row["転職フェア参加者数（計）"] = r["fair_attendance_total"]
        rows.append(row)
    return Section(
        "年度推移（対前年度）",
        pd.DataFrame(rows),
        "平成30年度〜令和3年度は仕様書の実績、令和4年度以降は記録からの集計。",
    )


def monthly_section(p: funnel.Progress) -> Section:
    rows = []
    months = fiscal.fiscal_months(p.fiscal_year)
    for index, month in enumerate(months):
        row: dict[str, object] = {"月": f"{month.year}年{month.month}月"}
        for key in MEASURES:
            m = p.measures[key]
            label = m.definition.label_ja
            reached = index < p.months_elapsed
            row[f"{label}（月）"] = m.monthly[index] if reached else None
            row[f"{label}（累計）"] = m.cumulative[index] if reached else None
            row[f"{label}（目安累計）"] = m.pace[index]
        rows.append(row)
    return Section("月次の進捗", pd.DataFrame(rows), "目安累計は目標×経過率（月末時点）。")


def funnel_sections(session: Session, fiscal_year: int, as_of: date, k: int) -> list[Section]:
    frame = funnel_stages.partition(session, fiscal_year, as_of)
    tables = funnel_stages.published(frame, k)
    stages = list(funnel_stages.FUNNEL_STAGES)
    labels = [funnel_stages.stage_label(s) for s in stages]
    sections = []
    overall = tables["tier"].loc[suppression.TOTAL_LABEL]
    rates = funnel_stages.conversion(overall)
    sections.append(
        Section(
            "段階別人数と移行率（当年度の新規登録者）",
            pd.DataFrame(
                {
                    "段階": labels,
                    "到達人数": [_cell(v) for v in overall],
                    "移行率": [_ratio(r) for r in rates],
                }
            ),
            "各段階の記録がある人の数（段階を飛ばす人がいるため移行率は100%を超えることがある）。",
        )
    )
    for split in funnel_stages.SPLITS:
        reached = tables[split]
        out = pd.DataFrame(
            [[_cell(v) for v in row] for _, row in reached.iterrows()], columns=labels
        )
        out.insert(
            0,
            funnel_stages.SPLIT_LABELS["ja"][split],
            [
                "計"
                if key == suppression.TOTAL_LABEL
                else funnel_stages.group_label(split, key, fiscal_year)
                for key in reached.index
            ],
        )
        sections.append(Section(f"段階別人数（{funnel_stages.SPLIT_LABELS['ja'][split]}）", out))
    timing_rows = []
    for t in funnel_stages.median_days(session, fiscal_year, as_of):
        hidden = 0 < t.people < k
        timing_rows.append(
            {
                "段階": f"{funnel_stages.stage_label(t.stage_from)}→"
                f"{funnel_stages.stage_label(t.stage_to)}",
                "人数": suppression.primary_marker(k) if hidden else t.people,
                "中央値（日）": None if hidden else t.median_days,
            }
        )
    sections.append(Section("段階間の所要日数（中央値）", pd.DataFrame(timing_rows)))
    exits = funnel_stages.exit_reasons(session, fiscal_year, as_of)
    if not exits.empty:
        published = funnel_stages.with_totals(exits, k)
        out = pd.DataFrame(
            [[_cell(v) for v in row] for _, row in published.iterrows()],
            columns=[
                funnel_stages.stage_label(c) if c in stages else "計" for c in published.columns
            ],
        )
        out.insert(0, "理由", list(published.index))
        sections.append(Section("離脱理由（段階別）", out))
    else:
        sections.append(Section("離脱理由（段階別）", pd.DataFrame({"理由": ["記録なし"]})))
    return sections


def publicity_sections(session: Session, fiscal_year: int, as_of: date, k: int) -> list[Section]:
    result = publicity.evaluation(session, fiscal_year, as_of, model="first", k=k)
    by_id = {c.public_id: c for c in result.campaigns}
    rows = []
    for key, row in result.table.iterrows():
        c = by_id.get(key)
        rows.append(
            {
                "キャンペーン": c.name if c else "キャンペーン外・その他",
                "媒体": publicity.channel_label(c.channel) if c else None,
                "utm_campaign": c.utm_campaign if c else None,
                "期間": (
                    f"{c.starts_on.isoformat()}〜{c.ends_on.isoformat() if c.ends_on else ''}"
                    if c
                    else None
                ),
                "費用（円）": c.cost_yen if c else None,
                "目標リーチ": c.reach_target if c else None,
                "実績リーチ": c.reach_actual if c else None,
                "リーチ達成率": _ratio(row["reach_achievement"]),
                "クリック数": c.clicks if c else None,
                "登録者（ファースト）": _cell(row["registrants_first"]),
                "登録者（ラスト）": _cell(row["registrants_last"]),
                "相談者（ファースト）": _cell(row["consultations_first"]),
                "採用者（ファースト）": _cell(row["hires_first"]),
                "登録単価": row["cost_per_registrants"],
                "相談単価": row["cost_per_consultations"],
                "採用単価": row["cost_per_hires"],
                "評価": c.evaluation if c else None,
            }
        )
    mix = publicity.channel_mix(session, fiscal_year, as_of, k=k)
    months = fiscal.fiscal_months(fiscal_year)
    mix_out = pd.DataFrame(
        [[_cell(v) for v in row] for _, row in mix.iterrows()],
        columns=["計" if c == suppression.TOTAL_LABEL else publicity.channel_label(c) for c in mix],
    )
    mix_out.insert(
        0,
        "登録月",
        ["計" if m == suppression.TOTAL_LABEL else f"{months[int(m)].month}月" for m in mix.index],
    )
    return [
        Section(
            "広報の評価（キャンペーン別）",
            pd.DataFrame(rows),
            "帰属はファーストタッチ（最初の流入）とラストタッチ（基準日までの最後の流入）。"
            "単価はファーストタッチの人数で計算。",
        ),
        Section("流入チャネルの構成（登録月別・ファーストタッチ）", mix_out),
    ]


def survey_sections(session: Session, fiscal_year: int, k: int) -> list[Section]:
    try:
        from itworks.tables import tallies as survey_tallies

        tables = survey_tallies.report_tables(session, fiscal_year, k=k)
    except (ImportError, AttributeError):
        return [Section("アンケート集計結果", pd.DataFrame({"状況": [SURVEY_MISSING]}))]
    if not tables:
        return [Section("アンケート集計結果", pd.DataFrame({"状況": ["回答なし / no responses"]}))]
    sections = []
    for title, table in tables:
        frame = table.copy()
        frame.insert(0, "", [str(i) for i in frame.index])
        sections.append(Section(title, frame.reset_index(drop=True)))
    return sections


def events_section(session: Session, fiscal_year: int, as_of: date, k: int) -> Section:
    start, end = fiscal.fiscal_year_bounds_utc(fiscal_year)
    cutoff = funnel.cutoff_utc(fiscal_year, as_of)
    # Count people, not rows: a merged duplicate's sign-up is the same person's.
    person = sa.func.coalesce(Registrant.merged_into_id, Registrant.id)
    applied = sa.func.count(sa.distinct(person)).filter(EventSignup.status != "cancelled")
    attended = sa.func.count(sa.distinct(person)).filter(EventSignup.status == "attended")
    rows = session.execute(
        sa.select(Event.kind, Event.name, Event.starts_at, Event.fair_number, applied, attended)
        .outerjoin(
            EventSignup,
            sa.and_(EventSignup.event_id == Event.id, EventSignup.signed_up_at < cutoff),
        )
        .outerjoin(Registrant, Registrant.id == EventSignup.registrant_id)
        .where(Event.starts_at >= start, Event.starts_at < end)
        .group_by(Event.id, Event.kind, Event.name, Event.starts_at, Event.fair_number)
        .order_by(Event.starts_at)
    ).all()

    def small(n: int, official: bool) -> object:
        # Fair figures are the specification's own measures; other events' small
        # counts are hidden.
        return suppression.primary_marker(k) if not official and 0 < n < k else n

    out = []
    for kind, name, starts_at, number, n_applied, n_attended in rows:
        held = starts_at < cutoff
        out.append(
            {
                "種類": EVENT_KINDS_JA.get(kind, kind),
                "回": number,
                "名称": name,
                "開催日": f"{starts_at.astimezone(fiscal.JST):%Y-%m-%d}"
                f"（{fiscal.wareki_date(starts_at)}）",
                "申込数": small(int(n_applied), kind == "fair"),
                "参加者数": small(int(n_attended), kind == "fair") if held else "未開催",
            }
        )
    if not out:
        out = [{"種類": "記録なし"}]
    return Section("イベント・転職フェア", pd.DataFrame(out))


def notes_section(session: Session, fiscal_year: int) -> Section:
    written = notes.notes_for(session, fiscal_year)
    rows = []
    for key in MEASURES:
        for half in notes.HALVES:
            note = written.get((key, half))
            rows.append(
                {
                    "指標": funnel.DEFINITIONS[key].label_ja,
                    "期": notes.half_label(half),
                    "実施内容": note.done if note else "",
                    "対策": note.countermeasures if note else "",
                    "更新者": note.updated_by if note else "",
                    "更新日": (
                        f"{note.updated_at.astimezone(fiscal.JST):%Y-%m-%d}" if note else ""
                    ),
                }
            )
    return Section("半期メモ（上期の実施内容・下期の対策）", pd.DataFrame(rows))


# ----------------------------------------------------------------------------- workbook


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    longest = max((line for line in text.splitlines()), key=len, default="")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _number_format(column: str) -> str | None:
    if any(column.startswith(c) or column.endswith(c) for c in YEN_COLUMNS):
        return "¥#,##0"
    if any(c in column for c in RATIO_COLUMNS):
        return "0%"
    if "中央値" in column or "目安" in column:
        return "#,##0.0"
    return "#,##0"


def _write_sections(writer: pd.ExcelWriter, sheet: str, sections: list[Section]) -> None:
    row = 0
    for section in sections:
        frame = section.frame
        frame.to_excel(writer, sheet_name=sheet, startrow=row + 1, index=False)
        ws = writer.sheets[sheet]
        ws.cell(row=row + 1, column=1, value=section.title).font = SECTION_FONT
        header_row = row + 2
        for col, name in enumerate(frame.columns, start=1):
            cell = ws.cell(row=header_row, column=col)
            cell.fill = HEADER_FILL
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            number_format = _number_format(str(name))
            for r in range(header_row + 1, header_row + 1 + len(frame)):
                body = ws.cell(row=r, column=col)
                if isinstance(body.value, int | float) and number_format:
                    body.number_format = number_format
                elif (
                    isinstance(body.value, str)
                    and suppression.is_hidden(body.value)
                    and (body.value.startswith("<") or body.value == suppression.COMPLEMENT_MARKER)
                ):
                    body.alignment = Alignment(horizontal="right")
                elif isinstance(body.value, str) and len(body.value) > 40:
                    body.alignment = Alignment(wrap_text=True, vertical="top")
        row = header_row + len(frame)
        if section.note:
            ws.cell(row=row + 1, column=1, value=section.note).font = Font(italic=True)
            row += 1
        row += 2
    ws = writer.sheets[sheet]
    for col in range(1, ws.max_column + 1):
        letter = get_column_letter(col)
        widest = max(
            (_width(ws.cell(row=r, column=col).value) for r in range(1, ws.max_row + 1)),
            default=8,
        )
        ws.column_dimensions[letter].width = min(max(widest + 2, 8), 60)
    ws.freeze_panes = "A3"


def _cover(writer: pd.ExcelWriter, p: funnel.Progress, k: int, generated_by: str) -> None:
    label = fiscal.wareki_label(p.fiscal_year)
    lines = [
        ("IT WORKS@島根 実施報告書", None),
        (f"{label}（FY{p.fiscal_year}）", None),
        ("", None),
        ("対象期間", f"{p.period[0].isoformat()} 〜 {p.period[1].isoformat()}"),
        (
            "契約期間の終了日",
            f"{p.contract_end.isoformat()}（{fiscal.wareki_date(p.contract_end)}）",
        ),
        ("基準日", f"{p.as_of.isoformat()}（{fiscal.wareki_date(p.as_of)}）"),
        ("作成日時", f"{datetime.now(UTC).astimezone(fiscal.JST):%Y-%m-%d %H:%M} (JST)"),
        ("作成者", generated_by),
        ("発注者", "島根県 商工労働部 産業振興課"),
        (
            "個人情報の取扱い",
            f"集計値のみを掲載しています。内訳の1〜{k - 1}人の区分は「<{k}」、そこから逆算できる"
            "区分は「x」で秘匿しています（KGI・KPIの公式合計値は秘匿しません）。",
        ),
        ("", None),
        ("目次", None),
    ]
    for sheet in SHEETS:
        lines.append((f"・{sheet}", None))
    frame = pd.DataFrame(lines)
    frame.to_excel(writer, sheet_name="表紙", index=False, header=False)
    ws = writer.sheets["表紙"]
    ws["A1"].font = Font(bold=True, size=18)
    ws["A2"].font = TITLE_FONT
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    for row in ws.iter_rows(min_row=4, max_row=10):
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True)


SHEETS = (
    "KGI・KPI",
    "年度推移",
    "月次推移",
    "ファネル",
    "広報評価",
    "アンケート集計結果",
    "イベント・フェア",
    "半期メモ",
)


def write_report(
    session: Session,
    fiscal_year: int,
    as_of: date,
    out: str | Path | BinaryIO,
    *,
    k: int,
    actor: User | None = None,
    actor_label: str | None = None,
) -> list[str]:
    """Write the workbook to ``out`` (a path or a binary file); returns the sheet names."""
    generated_by = actor.username if actor else (actor_label or "system")
    p = funnel.progress(session, fiscal_year, as_of)
    measured_at = p.as_of
    sheets: dict[str, list[Section]] = {
        "KGI・KPI": [kpi_section(p)],
        "年度推移": [history_section(session, measured_at)],
        "月次推移": [monthly_section(p)],
        "ファネル": funnel_sections(session, fiscal_year, measured_at, k),
        "広報評価": publicity_sections(session, fiscal_year, measured_at, k),
        "アンケート集計結果": survey_sections(session, fiscal_year, k),
        "イベント・フェア": [events_section(session, fiscal_year, measured_at, k)],
        "半期メモ": [notes_section(session, fiscal_year)],
    }
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        _cover(writer, p, k, generated_by)
        for name, sections in sheets.items():
            _write_sections(writer, name, sections)
    audit.record(
        session,
        "report.generate",
        actor=actor,
        actor_label=actor_label,
        entity_type="report",
        entity_id=str(fiscal_year),
        as_of=measured_at.isoformat(),
    )
    session.commit()
    return ["表紙", *sheets]
